# SPDX-License-Identifier: MIT
# Scenario 11: the admin's zram-generator.conf already uses zram1 for a
# compressed /var/compressed (a mount, not swap).  The fix never replaces
# that file: it adds zram0 as swap in zram-generator.conf.d/; the admin's
# mount stays, now and after a reboot.
# bed: vm
# needs: zram-missing

need_checks zram-missing

CONF=/etc/systemd/zram-generator.conf
DROPIN=/etc/systemd/zram-generator.conf.d/hostfit.conf

swap_prio() {
        inside swapon --show=NAME,PRIO --noheadings --raw | awk -v d="$1" '$1 == d { print $2 }'
}

case "$PHASE" in
1)
        inside_sh 'test -x /usr/lib/systemd/system-generators/zram-generator' ||
                fail "zram-generator is not installed in the tree"
        printf '# compressed scratch space\n[zram1]\nmount-point = /var/compressed\nzram-size = 64\n' | put "$CONF"
        inside systemctl daemon-reload
        DIAG_UNITS="systemd-zram-setup@zram1.service var-compressed.mount"
        inside systemctl start var-compressed.mount || fail "the admin's zram1 mount does not start"
        src=$(inside findmnt -n -o SOURCE /var/compressed)
        say "admin's mount: /var/compressed on $src"
        [ "$src" = /dev/zram1 ] || fail "/var/compressed is on '$src', not /dev/zram1"
        [ -z "$(swap_prio /dev/zram0)" ] || fail "the bed already has zram swap"
        conf_before=$(inside cksum "$CONF")
        expect_finding zram-missing
        [ "$(check_status zram-missing)" = warn ] || fail "zram-missing: expected warn"
        DIAG_UNITS="systemd-zram-setup@zram0.service systemd-zram-setup@zram1.service var-compressed.mount"
        fix_and_verify zram-missing
        [ "$(inside cksum "$CONF")" = "$conf_before" ] || fail "the fix changed the admin's $CONF"
        say "drop-in: $(inside grep -v '^#' "$DROPIN" | tr '\n' ' ')"
        [ "$(swap_prio /dev/zram0)" = 100 ] || fail "/dev/zram0 is not swap with priority 100"
        [ "$(inside findmnt -n -o SOURCE /var/compressed)" = /dev/zram1 ] ||
                fail "the admin's /var/compressed lost its /dev/zram1"
        reboot_bed
        ;;
2)
        DIAG_UNITS="systemd-zram-setup@zram0.service systemd-zram-setup@zram1.service var-compressed.mount"
        say "after the reboot: swap $(inside swapon --show --noheadings --raw | tr '\n' ';') /var/compressed on $(inside findmnt -n -o SOURCE /var/compressed)"
        [ "$(swap_prio /dev/zram0)" = 100 ] || fail "/dev/zram0 is not swap with priority 100 after the reboot"
        [ "$(inside findmnt -n -o SOURCE /var/compressed)" = /dev/zram1 ] ||
                fail "the admin's /var/compressed is not on /dev/zram1 after the reboot"
        expect_pass zram-missing
        expect_no_plan zram-missing
        pass "the admin's zram1 mount kept; zram0 swap added in a drop-in, after a reboot too"
        ;;
esac
