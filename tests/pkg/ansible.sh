#!/bin/sh
# SPDX-License-Identifier: MIT
# The Ansible collection hostfit.hostfit: it builds with ansible-galaxy, its
# module documentation parses, and its modules run for real through
# ansible-playbook on this machine (local connection) against a copy of a
# fixture root: check mode with --diff shows the diffs and writes nothing, a
# first run changes, a second does not. The run against a booted systemd over
# SSH is tests/system/scenarios/90-ansible.sh.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need ansible-playbook ansible-galaxy ansible-doc
COLL=$PWD/ansible
SRC=$COLL/ansible_collections/hostfit/hostfit
export ANSIBLE_COLLECTIONS_PATH=$COLL ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
       ANSIBLE_LOCAL_TEMP=$PKG_TMP/ansible-local ANSIBLE_REMOTE_TEMP=$PKG_TMP/ansible-remote \
       ANSIBLE_HOME=$PKG_TMP/ansible-home ANSIBLE_STDOUT_CALLBACK=default \
       ANSIBLE_PYTHON_INTERPRETER=auto_silent

out=$(ansible-galaxy collection build --output-path "$PKG_TMP" "$SRC" 2>&1); st=$?
printf '%s\n' "$out"
check "ansible-galaxy collection build ($st)" [ "$st" -eq 0 ]
tarball=$(ls "$PKG_TMP"/hostfit-hostfit-*.tar.gz 2>/dev/null | head -n 1)
for f in plugins/modules/check.py plugins/modules/fix.py plugins/modules/incidents.py \
         plugins/module_utils/hostfit.py roles/hostfit/defaults/main.yml roles/hostfit/tasks/main.yml; do
        check "the collection holds $f" sh -c "tar tzf '$tarball' | grep -qx '$f'"
done
for m in check fix incidents; do
        check "ansible-doc hostfit.hostfit.$m parses" sh -c "ansible-doc -t module hostfit.hostfit.$m | grep -q '^> HOSTFIT.HOSTFIT.$(echo $m | tr a-z A-Z)'"
done
check "ansible-playbook --syntax-check docs/ansible/hostfit.yml" \
        ansible-playbook --syntax-check -i docs/ansible/inventory.example docs/ansible/hostfit.yml

need_hostfit
inv=$PKG_TMP/inventory
printf '[local]\nlocalhost ansible_connection=local\n' > "$inv"
root=$PKG_TMP/root; cp -a tests/fixtures/swap-none "$root"
cat > "$PKG_TMP/play.yml" <<YML
- hosts: local
  gather_facts: false
  tasks:
    - name: check
      hostfit.hostfit.check: {bin: "$HOSTFIT", root: "$root", checks: [swap-missing]}
      register: report
    - name: the report as data
      ansible.builtin.debug:
        msg: "SWAP={{ (report.report.checks | selectattr('id', 'equalto', 'swap-missing') | first).status }} STATUS={{ report.status }}"
    - name: fix
      hostfit.hostfit.fix:
        bin: "$HOSTFIT"
        root: "$root"
        checks: [swap-missing]
        config_content: "[swap]\nsize = 16M\n"
      register: fixed
    - name: the outcomes
      ansible.builtin.debug:
        msg: "RESULTS={{ fixed.results | map(attribute='result') | list | join(',') }} ACTIONS={{ fixed.actions | length }}"
YML
play() { ansible-playbook -i "$inv" "$@" "$PKG_TMP/play.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?; cat "$PKG_TMP/run.log"; }

before=$(tree_sum "$root")
play --check --diff
check "--check --diff runs ($PST)" [ "$PST" -eq 0 ]
check "the check module reports swap-missing failing as data" grep -q 'SWAP=fail STATUS=2' "$PKG_TMP/run.log"
check "--diff shows the fstab before and after" grep -q '^+++ after: /etc/fstab' "$PKG_TMP/run.log"
check "--diff shows the swap line added" grep -q '^+/swapfile ' "$PKG_TMP/run.log"
check "check mode wrote nothing" [ "$before" = "$(tree_sum "$root")" ]
check "check mode reports changed, with no outcomes" grep -q 'RESULTS= ACTIONS=[1-9]' "$PKG_TMP/run.log"

play
check "the first run applies ($PST)" [ "$PST" -eq 0 ]
check "the first run reports changed" grep -Eq 'localhost +: ok=[0-9]+ +changed=1 ' "$PKG_TMP/run.log"
check "the outcomes come back: applied" grep -q 'RESULTS=[a-z,]*applied' "$PKG_TMP/run.log"
check "the swap file is the configured 16M" [ "$(stat -c %s "$root/swapfile" 2>/dev/null)" = 16777216 ]
play
check "the second run succeeds ($PST)" [ "$PST" -eq 0 ]
check "the second run changes nothing" grep -Eq 'localhost +: ok=[0-9]+ +changed=0 ' "$PKG_TMP/run.log"

# hostfit's own message fails the task.
sed -i "s|root: \"$root\", checks: \[swap-missing\]|root: \"$PKG_TMP/no-such-root\", checks: [swap-missing]|" "$PKG_TMP/play.yml"
play
check "a missing root fails the task ($PST)" [ "$PST" -ne 0 ]
check "with hostfit's message" grep -q 'cannot open root' "$PKG_TMP/run.log"
finish
