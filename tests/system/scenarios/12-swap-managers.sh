# SPDX-License-Identifier: MIT
# Scenario 12: swap and zram managers that are not fstab, from Debian's real
# packages (downloaded on the host, installed here with dpkg -i: the image is
# not rebuilt). dphys-swapfile swaps on /var/swap and zram-tools on /dev/zram0:
# swap-missing and zram-missing have no finding and fix plans nothing for them.
# Then dphys-swapfile's size is cut below hostfit's rule: the fix raises it in
# /etc/dphys-swapfile (never in fstab), its service remakes the file bigger,
# and a second fix plans nothing.
# bed: vm
# needs: swap-missing zram-missing
# debs: dphys-swapfile zram-tools dc bc lsb-base

need_checks swap-missing zram-missing

swap_kib() {
        inside awk -v f="$1" '$1 == f { print $3 }' /proc/swaps
}

[ "$PHASE" = 1 ] || fail "one phase only"
set -- "$SYS_DEBS_DIR"/dphys-swapfile_*.deb
[ -f "$1" ] || skip "the payload has no dphys-swapfile package (apt-get download failed on the host)"
DIAG_UNITS="dphys-swapfile.service zramswap.service"
inside_sh "DEBIAN_FRONTEND=noninteractive dpkg -i $SYS_DEBS_DIR/*.deb > /tmp/dpkg.log 2>&1" ||
        fail "dpkg -i failed: $(inside tail -n 5 /tmp/dpkg.log)"
inside systemctl start dphys-swapfile.service zramswap.service ||
        fail "cannot start dphys-swapfile and zramswap"
wait_for 300 'grep -q "^/var/swap " /proc/swaps && grep -q "^/dev/zram0 " /proc/swaps' ||
        fail "dphys-swapfile and zram-tools did not turn swap on: $(inside cat /proc/swaps | tr '\n' ';')"
say "swap: $(inside swapon --show --noheadings --raw | tr '\n' ';')"
inside_sh 'awk "!/^[[:space:]]*#/ && \$3 == \"swap\" { f = 1 } END { exit !f }" /etc/fstab' &&
        fail "the bed has swap in fstab before hostfit runs"

# Both running: no finding, nothing planned.
expect_pass swap-missing
expect_pass zram-missing
expect_no_plan swap-missing zram-missing

# Below the rule ([swap] size, 256 MiB: the file is remade with dd in a TCG VM):
# 64 MiB, raised in dphys-swapfile's own config.
inside_sh 'mkdir -p /etc/hostfit && printf "[swap]\nsize = 256M\n" > /etc/hostfit/hostfit.conf'
inside_sh 'sed -i "s/^#CONF_SWAPSIZE=\$/CONF_SWAPSIZE=64/" /etc/dphys-swapfile && systemctl restart dphys-swapfile.service'
wait_for 120 'awk "\$1 == \"/var/swap\" && \$3 < 70000 { f = 1 } END { exit !f }" /proc/swaps' ||
        fail "dphys-swapfile did not remake /var/swap at 64 MiB: $(inside cat /proc/swaps | tr '\n' ';')"
expect_finding swap-missing
printf '%s' "$HF_OUT" | grep -q '/etc/dphys-swapfile' || fail "the finding does not name /etc/dphys-swapfile: $HF_OUT"
fstab_before=$(inside cksum /etc/fstab)
fix_and_verify swap-missing
[ "$(inside cksum /etc/fstab)" = "$fstab_before" ] || fail "the fix changed /etc/fstab"
size=$(inside_sh '. /etc/dphys-swapfile; echo "$CONF_SWAPSIZE"')
[ "$size" = 256 ] || fail "CONF_SWAPSIZE is '$size' after the fix, not 256"
wait_for 300 "awk '\$1 == \"/var/swap\" && \$3 >= $size * 1024 - 4 { f = 1 } END { exit !f }' /proc/swaps" ||
        fail "/var/swap is not ${size} MiB after the fix: $(inside cat /proc/swaps | tr '\n' ';')"
say "after the fix: CONF_SWAPSIZE=$size; $(inside swapon --show --noheadings --raw | tr '\n' ';')"
expect_pass zram-missing
pass "dphys-swapfile and zram-tools are configured swap; a small dphys-swapfile size is raised in its config"
