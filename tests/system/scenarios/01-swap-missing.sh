# SPDX-License-Identifier: MIT
# Scenario 1: no swap on an ext4 root.  The fix makes a swapfile, turns it on
# and makes it permanent (fstab line or .swap unit): after a reboot it is
# still active.  The VM: swap in a container is machine-wide and fstab swap
# is not started there.
# bed: vm
# needs: swap-missing

need_checks swap-missing

# The swapfile hostfit made: the one swap area that is a regular file.
active_swapfile() {
        inside swapon --show=NAME,TYPE --noheadings --raw | awk '$2 == "file" { print $1; exit }'
}

case "$PHASE" in
1)
        [ "$(inside findmnt -n -o FSTYPE /)" = ext4 ] || fail "the root is not ext4"
        [ -z "$(inside swapon --show --noheadings)" ] || fail "the bed already has swap"
        expect_finding swap-missing
        fix_and_verify swap-missing
        f=$(active_swapfile)
        [ -n "$f" ] || fail "swapon --show lists no swapfile after the fix"
        say "swapon --show: $(inside swapon --show --noheadings --raw | tr '\n' ';')"
        say "$f: $(inside stat -c '%a %U %s bytes' "$f")"
        [ "$(inside stat -c %a "$f")" = 600 ] || fail "$f is not mode 0600"
        inside_sh "grep -v '^#' /etc/fstab | grep -qw swap" && say "fstab: $(inside grep -w swap /etc/fstab)"
        printf '%s\n' "$f" > "$SYS_GUEST_DIR/swapfile"
        reboot_bed
        ;;
2)
        f=$(cat "$SYS_GUEST_DIR/swapfile")
        say "after the reboot: $(inside swapon --show --noheadings --raw | tr '\n' ';')"
        [ "$(active_swapfile)" = "$f" ] || fail "$f is not active after the reboot"
        expect_pass swap-missing
        expect_no_plan swap-missing
        pass "$f active after the reboot"
        ;;
esac
