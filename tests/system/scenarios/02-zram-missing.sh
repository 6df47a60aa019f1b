# SPDX-License-Identifier: MIT
# Scenario 2: no zram.  Debian bookworm ships systemd-zram-generator (the VM
# tree has it, its conffile /etc/systemd/zram-generator.conf with the device
# commented out): the fix adds a drop-in in zram-generator.conf.d/ and leaves
# the conffile byte for byte; after a reboot /dev/zram0 is swap with priority 100.
# bed: vm
# needs: zram-missing

need_checks zram-missing

zram_prio() {
        inside swapon --show=NAME,PRIO --noheadings --raw | awk '$1 == "/dev/zram0" { print $2 }'
}

case "$PHASE" in
1)
        inside_sh 'test -x /usr/lib/systemd/system-generators/zram-generator' ||
                fail "zram-generator is not installed in the tree"
        [ -z "$(zram_prio)" ] || fail "the bed already has zram swap"
        expect_finding zram-missing
        [ "$(check_status zram-missing)" = warn ] || fail "zram-missing: expected warn, got $(check_status zram-missing)"
        conf_before=$(inside cksum /etc/systemd/zram-generator.conf)
        DIAG_UNITS="systemd-zram-setup@zram0.service"
        fix_and_verify zram-missing
        [ "$(inside cksum /etc/systemd/zram-generator.conf)" = "$conf_before" ] ||
                fail "the fix changed Debian's /etc/systemd/zram-generator.conf"
        say "drop-in: $(inside cat /etc/systemd/zram-generator.conf.d/hostfit.conf | grep -v '^#' | tr '\n' ' ')"
        say "now: $(inside swapon --show --noheadings --raw | tr '\n' ';')"
        reboot_bed
        ;;
2)
        DIAG_UNITS="systemd-zram-setup@zram0.service"
        p=$(zram_prio)
        say "after the reboot: $(inside swapon --show --noheadings --raw | tr '\n' ';')"
        [ -n "$p" ] || fail "/dev/zram0 is not swap after the reboot"
        [ "$p" = 100 ] || fail "/dev/zram0 has priority $p, not 100"
        expect_pass zram-missing
        expect_no_plan zram-missing
        pass "/dev/zram0 is swap with priority 100 after the reboot"
        ;;
esac
