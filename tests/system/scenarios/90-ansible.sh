# SPDX-License-Identifier: MIT
# Scenario 90: the Ansible collection hostfit.hostfit, run by the real
# ansible-playbook on this machine against the booted container over SSH
# (sshd -i inside the container's namespaces as the ProxyCommand: the
# container has no network).  The role runs check and fix on an image tree
# inside the bed and check on the live system; --check --diff shows the
# fstab and unit diffs and changes nothing, a first run changes, a second
# changes nothing, and variables from the inventory take effect.
# bed: container
# needs: swap-missing unit-memorymax

need_checks swap-missing unit-memorymax
command -v ansible-playbook > /dev/null 2>&1 || skip "ansible-playbook not installed (tests/pkg/packages)"
[ -n "${SYS_CT_LEADER:-}" ] || fail "no container leader pid"

A=$SYS_WORK/ansible
ansible_bed "$A"

# An image tree inside the bed, on a disk file system (a swap file cannot
# live on the container's overlay): an fstab without swap, an admin unit.
IMG=/srv/disk/image
put $IMG/etc/fstab <<'EOF2'
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=3f1c6a52-7c07-4a3e-9d1e-2b8a1d0f0e11 / ext4 errors=remount-ro 0 1
EOF2
put $IMG/etc/systemd/system/app.service <<'EOF2'
[Unit]
Description=An admin's service

[Service]
ExecStart=/usr/local/bin/app
EOF2
put $IMG/etc/hostname <<'EOF2'
image-1
EOF2

# What the inventory says wins over the role's defaults.
cat > "$A/host_vars/bed.yml" <<EOF2
hostfit_install: false
hostfit_executable: /usr/local/sbin/hostfit
hostfit_root: $IMG
hostfit_fix: [swap-missing, unit-memorymax]
hostfit_config:
  swap: {size: 16M}
  unit-memorymax: {max: "app.service:96M"}
EOF2
cat > "$A/site.yml" <<'EOF2'
- hosts: beds
  gather_facts: false
  roles:
    - hostfit.hostfit.hostfit
  tasks:
    - name: The live system, read-only, in check mode too
      hostfit.hostfit.check:
        executable: /usr/local/sbin/hostfit
      check_mode: false
      register: live
    - name: Who was killed (none yet)
      hostfit.hostfit.incidents:
        bin: /usr/local/sbin/hostfit
      register: kills
      ignore_errors: true
    - name: Facts for the test
      ansible.builtin.debug:
        msg: "LIVE hostname={{ live.report.hostname }} checks={{ live.report.checks | length }} changed={{ live.changed }}"
EOF2
tree_sum() { inside_sh "cd $IMG && find . -printf '%p %m\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum" | sha256sum; }
play() {
        ansible-playbook -i "$A/inventory" "$@" "$A/site.yml" > "$A/out" 2>&1
        PLAY_RC=$?
        sed "s/^/$SCEN_LOG_PREFIX   /" "$A/out" | tail -n 60
}

before=$(tree_sum)
play --check --diff
[ "$PLAY_RC" -eq 0 ] || fail "ansible-playbook --check --diff exited $PLAY_RC"
grep -q '^+++ after: /etc/fstab' "$A/out" || fail "--check --diff shows no fstab diff"
grep -q '^+.*swap' "$A/out" || fail "--check --diff shows no swap line added to fstab"
grep -q '^+++ after: /etc/systemd/system/app.service.d/' "$A/out" || fail "--check --diff shows no drop-in for app.service"
grep -q '^+MemoryMax=96M' "$A/out" || fail "the drop-in does not take the inventory's max (96M)"
[ "$(tree_sum)" = "$before" ] || fail "--check changed the image"
say "check mode: fstab and drop-in diffs shown, nothing changed"

play
[ "$PLAY_RC" -eq 0 ] || fail "ansible-playbook exited $PLAY_RC"
grep -Eq '^bed +: ok=[0-9]+ +changed=[1-9]' "$A/out" || fail "the first run reported no change"
inside grep -q '^size = 16M' $IMG/etc/hostfit/hostfit.conf || fail "hostfit.conf does not hold the inventory's size"
inside_sh "[ \$(stat -c %s $IMG/swapfile) -eq 16777216 ]" || fail "the swap file is not the inventory's 16M"
grep -q 'LIVE hostname=hostfit-test' "$A/out" || fail "the check module did not report the live bed"
grep -q 'changed=False' "$A/out" || fail "the check module claims a change"
say "first run: changed, inventory values in force"

play
[ "$PLAY_RC" -eq 0 ] || fail "the second ansible-playbook exited $PLAY_RC"
grep -Eq '^bed +: ok=[0-9]+ +changed=0 ' "$A/out" || fail "the second run changed something"
pass "check mode shows diffs and writes nothing; first run changes; second changes nothing"
