# SPDX-License-Identifier: MIT
# Scenario 10: swap on LVM, as the Debian installer's LVM layout has it:
# /proc/swaps shows /dev/dm-N while /etc/fstab names /dev/mapper/VG-LV, the
# /dev/VG/LV link or its UUID=.  hostfit matches them by device: no finding.
# An LVM swap no line names gets a /dev/mapper line (not /dev/dm-N, which
# can change), and a UUID= that matches nothing is a finding.
# bed: vm
# needs: swap-missing

need_checks swap-missing

need_bed_command lvcreate lvm2
[ -z "$(inside swapon --show --noheadings)" ] || fail "the bed already has swap"
inside_sh 'modprobe loop 2>/dev/null; truncate -s 96M /var/tmp/pv.img && losetup -f --show /var/tmp/pv.img > /run/pv.loop' ||
        fail "no loop device for the physical volume"
loop=$(inside cat /run/pv.loop)
inside_sh "pvcreate -q $loop && vgcreate -q vg-test $loop && lvcreate -q -y -L 64M -n swap vg-test" >/dev/null 2>&1 ||
        fail "pvcreate/vgcreate/lvcreate on $loop failed"
inside_sh 'mkswap /dev/vg-test/swap >/dev/null && swapon /dev/mapper/vg--test-swap' || fail "mkswap/swapon failed"
active=$(inside_sh "tail -n +2 /proc/swaps | awk '{ print \$1 }'")
say "/proc/swaps: $active; /dev/mapper/vg--test-swap -> $(inside readlink /dev/mapper/vg--test-swap)"
case $active in
/dev/dm-*) ;;
*) fail "/proc/swaps shows $active, not /dev/dm-N" ;;
esac
uuid=$(inside blkid -s UUID -o value /dev/mapper/vg--test-swap)
[ -n "$uuid" ] || fail "blkid gives no UUID for the swap LV"
inside cp /etc/fstab /run/fstab.orig

# Each way an admin writes the line: one device, no finding.
for src in /dev/mapper/vg--test-swap /dev/vg-test/swap "UUID=$uuid" "/dev/disk/by-uuid/$uuid"; do
        inside_sh "cp /run/fstab.orig /etc/fstab && echo '$src none swap sw 0 0' >> /etc/fstab"
        hf check swap-missing --format json
        st=$(check_status swap-missing)
        [ "$st" = pass ] || { show_hf check swap-missing; fail "fstab $src, active $active: expected pass, got $st"; }
        say "fstab $src: pass"
done

# No line at all: one finding on the device, fixed with a /dev/mapper line.
inside cp /run/fstab.orig /etc/fstab
expect_finding swap-missing
msg=$(printf '%s' "$HF_OUT" | json "[f['subject'] + ': ' + f['message'] for c in d['checks'] for f in c['findings']]")
say "no line: $msg"
case $msg in
*"as /dev/mapper/vg--test-swap"*) ;;
*) fail "the finding does not name /dev/mapper/vg--test-swap: $msg" ;;
esac
fix_and_verify swap-missing
line=$(inside_sh "grep -v '^#' /etc/fstab | grep -w swap")
say "fstab after the fix: $line"
[ "$line" = "/dev/mapper/vg--test-swap none swap sw 0 0" ] || fail "fix wrote '$line'"

# A UUID= that matches no device, nothing active: a finding, and a manual step only.
inside swapoff /dev/mapper/vg--test-swap
inside_sh "cp /run/fstab.orig /etc/fstab && echo 'UUID=0e7c6b3a-5d1f-4a2b-9c8d-7e6f5a4b3c2d none swap sw 0 0' >> /etc/fstab"
hf check swap-missing --format json
st=$(check_status swap-missing)
msg=$(printf '%s' "$HF_OUT" | json "[f['message'] for c in d['checks'] for f in c['findings']]")
say "UUID that matches nothing: $st: $msg"
[ "$st" = fail ] || fail "a UUID that matches nothing: expected fail, got $st"
case $msg in *"configured swap not found"*) ;; *) fail "unexpected message: $msg" ;; esac
hf fix --dry-run --format json swap-missing
kinds=$(printf '%s' "$HF_OUT" | json "' '.join(a['kind'] for a in d['actions'])")
[ "$kinds" = manual ] || fail "a UUID that matches nothing: fix plans '$kinds', not one manual step"
pass "LVM swap matched by device in 4 spellings; unlisted one fixed with /dev/mapper; a lost UUID found"
