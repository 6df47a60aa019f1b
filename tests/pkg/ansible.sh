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
for f in plugins/modules/check.py plugins/modules/fix.py plugins/modules/incidents.py plugins/modules/undo.py \
         plugins/module_utils/hostfit.py roles/hostfit/defaults/main.yml roles/hostfit/tasks/main.yml \
         roles/hostfit/tasks/install.yml roles/hostfit/meta/argument_specs.yml; do
        check "the collection holds $f" sh -c "tar tzf '$tarball' | grep -qx '$f'"
done
for m in check fix incidents undo; do
        ansible-doc -t module hostfit.hostfit.$m > "$PKG_TMP/doc.$m" 2>&1
        check "ansible-doc hostfit.hostfit.$m parses" grep -q "^> HOSTFIT.HOSTFIT.$(echo $m | tr a-z A-Z)" "$PKG_TMP/doc.$m"
        check "hostfit.hostfit.$m documents executable, alias bin" grep -Eq '^[-=] executable|aliases: \[bin\]' "$PKG_TMP/doc.$m"
        check "hostfit.hostfit.$m documents its requirements" grep -qi 'hostfit on the managed host' "$PKG_TMP/doc.$m"
        check "hostfit.hostfit.$m documents its attributes" grep -q 'check_mode' "$PKG_TMP/doc.$m"
        ansible-doc -j -t module hostfit.hostfit.$m > "$PKG_TMP/doc.$m.json" 2>/dev/null
        check "hostfit.hostfit.$m: every return value has a sample" $PYTHON -c "
import json, sys
d = json.load(open(sys.argv[1]))['hostfit.hostfit.$m']
rv = d['return'] or {}
sys.exit(not rv or any('sample' not in v for v in rv.values()))" "$PKG_TMP/doc.$m.json"
done
# The check module's documented sample is a report as hostfit writes it: it
# validates against the schema, counts every status the binary's summary counts
# (ignored too) over all its checks, and its failing and ignored findings have
# the fields and titles of real ones (an [ignore] line on tests/fixtures/cli-fail).
if [ -n "${HOSTFIT:-}" ] && [ -x "$HOSTFIT" ]; then
        $PYTHON -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))["hostfit.hostfit.check"]["return"]["report"]["sample"], open(sys.argv[2], "w"))' \
                "$PKG_TMP/doc.check.json" "$PKG_TMP/sample.json"
        check "the check module's sample report validates against docs/hostfit-check.schema.json" \
                $PYTHON tests/pkg/validate-json.py docs/hostfit-check.schema.json "$PKG_TMP/sample.json"
        printf '[ignore]\nzram-missing = swap on disk is enough here until 2099-06-30\n' > "$PKG_TMP/ign.conf"
        "$HOSTFIT" --config "$PKG_TMP/ign.conf" check --format json --root tests/fixtures/cli-fail > "$PKG_TMP/real.json" 2> /dev/null
        "$HOSTFIT" list --ids > "$PKG_TMP/ids"
        out=$($PYTHON - "$PKG_TMP/sample.json" "$PKG_TMP/real.json" "$PKG_TMP/ids" <<'PY'
import json, sys
sample, real = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
nids = len(open(sys.argv[3]).read().split())
bad = []
if sorted(sample['summary']) != sorted(real['summary']):
    bad.append('summary keys %s, hostfit writes %s' % (sorted(sample['summary']), sorted(real['summary'])))
if sum(sample['summary'].values()) != nids:
    bad.append('summary counts %d checks, hostfit has %d' % (sum(sample['summary'].values()), nids))
if real['summary'].get('ignored') != 1:
    bad.append('the real report counts %r ignored' % real['summary'].get('ignored'))
for status in ('fail', 'ignored'):
    s = [(c, f) for c in sample['checks'] for f in c['findings'] if f['status'] == status]
    r = [(c, f) for c in real['checks'] for f in c['findings'] if f['status'] == status]
    if not s or not r:
        bad.append('no %s finding in the %s' % (status, 'sample' if not s else 'real report'))
        continue
    (sc, sf), (rc, rf) = s[0], r[0]
    if sorted(sf) != sorted(rf) or sorted(sc) != sorted(rc):
        bad.append('%s: fields %s/%s, hostfit writes %s/%s' % (status, sorted(sc), sorted(sf), sorted(rc), sorted(rf)))
    if (sc['id'], sc['title'], sc['severity']) != (rc['id'], rc['title'], rc['severity']):
        bad.append('%s: %s, hostfit says %s' % (status, (sc['id'], sc['title'], sc['severity']), (rc['id'], rc['title'], rc['severity'])))
print('; '.join(bad))
PY
)
        check "the check module's sample has the real report's shape: summary with ignored, a failing and an ignored finding${out:+ ($out)}" [ -z "$out" ]
else
        echo "skip: the check module's sample against a real report: no hostfit binary (HOSTFIT)"
fi
ansible-doc -t role hostfit.hostfit.hostfit > "$PKG_TMP/doc.role" 2>&1
check "ansible-doc shows the role's argument_specs (hostfit_deb)" grep -q 'hostfit_deb' "$PKG_TMP/doc.role"

# ansible-test sanity --test validate-modules itself, on a copy of the collection
# (ansible-test writes tests/output, and in a git checkout sees only committed
# files), with the ignore file of this ansible-core, each line with its reason.
# ansible-test runs the test in a virtual environment it fills from PyPI; here
# that environment is made first, where ansible-test looks for it (its path
# from --explain), over Debian's packages of the same requirements
# (python3-voluptuous, python3-yaml, python3-jinja2), and marked as done, so
# ansible-test uses it as its own and never reaches for pip.
PY3=/usr/bin/python3
if command -v ansible-test > /dev/null 2>&1 && $PY3 -c 'import voluptuous, yaml, jinja2' 2>/dev/null; then
        v=$($PY3 -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')
        pyv=$($PY3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        ign=$SRC/tests/sanity/ignore-$v.txt
        check "an ignore file for ansible-core $v, a reason on each line" sh -c "[ -s '$ign' ] && ! grep -v ' # [A-Za-z]' '$ign' | grep -q ."
        at=$PKG_TMP/at/ansible_collections/hostfit/hostfit
        mkdir -p "$at" && (cd "$SRC" && tar --exclude=./tests/output --exclude=./.git -cf - .) | tar -xf - -C "$at"
        atest() { (cd "$at" && HOME=$PKG_TMP/at-home ansible-test sanity --test validate-modules --local \
                --python "$pyv" --python-interpreter $PY3 "$@"); }
        venv=$(atest --explain -v 2>&1 | sed -n 's|.* -m venv [^/]*\(/[^ ]*/sanity\.validate-modules/[^ ]*\).*|\1|p' | head -n 1)
        check "ansible-test names the virtual environment of validate-modules (${venv:-none})" [ -n "$venv" ]
        if [ -n "$venv" ]; then
                $PY3 -m venv --system-site-packages --without-pip "$venv" &&
                        "$venv/bin/python" "$($PY3 -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_util/target/tools/yamlcheck.py" > "$venv/meta.yaml.json" &&
                        echo '[]' > "$venv/meta.install.json" && touch "$venv/marker.txt"
                atest > "$PKG_TMP/vm.log" 2>&1; st=$?
                grep -v '^WARNING: ' "$PKG_TMP/vm.log"
                check "ansible-test sanity --test validate-modules ran the test ($st)" grep -q 'Running sanity test "validate-modules"' "$PKG_TMP/vm.log"
                check "ansible-test sanity --test validate-modules passes ($st)" [ "$st" -eq 0 ]
                # It is not lenient: an option the documentation leaves out fails it.
                $PY3 - "$at/plugins/modules/check.py" <<'PY'
import sys
s = open(sys.argv[1]).read()
i, j = s.index('  fail_on:\n'), s.index('extends_documentation_fragment:')
open(sys.argv[1], 'w').write(s[:i] + s[j:])
PY
                atest > "$PKG_TMP/vm-bad.log" 2>&1; st=$?
                check "validate-modules fails a module whose option fail_on is not documented ($st)" \
                        sh -c "[ $st -ne 0 ] && grep -q 'undocumented-parameter' '$PKG_TMP/vm-bad.log'"
        fi
else
        echo "skip: ansible-test sanity: ansible-test or python3-voluptuous missing (tests/pkg/packages)"
fi
if command -v ansible-lint > /dev/null 2>&1; then
        (cd "$SRC" && HOME=$PKG_TMP/lint-home ansible-lint --offline --nocolor) > "$PKG_TMP/lint.log" 2>&1; st=$?
        [ "$st" -eq 0 ] || cat "$PKG_TMP/lint.log"
        check "ansible-lint passes on the collection ($st)" [ "$st" -eq 0 ]
        HOME=$PKG_TMP/lint-home ansible-lint --offline --nocolor docs/ansible/hostfit.yml > "$PKG_TMP/lint.log" 2>&1; st=$?
        [ "$st" -eq 0 ] || cat "$PKG_TMP/lint.log"
        check "ansible-lint passes on docs/ansible/hostfit.yml ($st)" [ "$st" -eq 0 ]
else
        echo "skip: ansible-lint not installed (tests/pkg/packages)"
fi
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
      hostfit.hostfit.check: {executable: "$HOSTFIT", root: "$root", checks: [swap-missing]}
      register: report
    - name: fail_on fail stops on the failing swap
      hostfit.hostfit.check: {executable: "$HOSTFIT", root: "$root", checks: [swap-missing], fail_on: fail}
      register: stopped
      ignore_errors: true
    - name: what fail_on said
      ansible.builtin.debug:
        msg: "FAILON={{ stopped.failed }} MSG={{ stopped.msg | default('') }}"
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
        msg: "RESULTS={{ fixed.results | map(attribute='result') | list | join(',') }} ACTIONS={{ fixed.actions | length }} OUTCOMES={{ fixed.actions | map(attribute='result') | select('defined') | list | length }} STAMP={{ fixed.stamp | default('none') }}"
YML
play() { ansible-playbook -i "$inv" "$@" "$PKG_TMP/play.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?; cat "$PKG_TMP/run.log"; }

before=$(tree_sum "$root")
play --check --diff
check "--check --diff runs ($PST)" [ "$PST" -eq 0 ]
check "the check module reports swap-missing failing as data" grep -q 'SWAP=fail STATUS=2' "$PKG_TMP/run.log"
check "--diff shows the fstab before and after" grep -q '^+++ after: /etc/fstab' "$PKG_TMP/run.log"
check "--diff shows the swap line added" grep -q '^+/swapfile ' "$PKG_TMP/run.log"
check "check mode wrote nothing" [ "$before" = "$(tree_sum "$root")" ]
check "check mode reports changed, with no outcomes" grep -q 'RESULTS= ACTIONS=[1-9][0-9]* OUTCOMES=0 STAMP=none' "$PKG_TMP/run.log"
check "check fail_on: fail fails the task on the failing check" grep -q 'FAILON=True MSG=hostfit check: failing: swap-missing' "$PKG_TMP/run.log"
check "the default fail_on (never) returned the failing report as data" grep -q 'SWAP=fail STATUS=2' "$PKG_TMP/run.log"

play
check "the first run applies ($PST)" [ "$PST" -eq 0 ]
check "the first run reports changed" grep -Eq 'localhost +: ok=[0-9]+ +changed=1 ' "$PKG_TMP/run.log"
check "the outcomes come back: applied" grep -q 'RESULTS=[a-z,]*applied' "$PKG_TMP/run.log"
check "actions are what fix --yes ran, each with its outcome, and the run's stamp" \
        grep -Eq 'ACTIONS=([1-9][0-9]*) OUTCOMES=\1 STAMP=[0-9]{8}T[0-9]{6}Z' "$PKG_TMP/run.log"
stamp=$(sed -n 's/.*STAMP=\([0-9]\{8\}T[0-9]\{6\}Z\).*/\1/p' "$PKG_TMP/run.log" | head -n1)
check "the stamp is the newest run of hostfit history" sh -c "'$HOSTFIT' history --root '$root' --format json | $PYTHON -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"runs\"][0][\"stamp\"] != \"$stamp\")'"
check "the swap file is the configured 16M" [ "$(stat -c %s "$root/swapfile" 2>/dev/null)" = 16777216 ]
play
check "the second run succeeds ($PST)" [ "$PST" -eq 0 ]
check "the second run changes nothing" grep -Eq 'localhost +: ok=[0-9]+ +changed=0 ' "$PKG_TMP/run.log"

# undo takes the run back: check mode shows it and writes nothing, then it is
# undone (the fstab as before, the swap file gone), then there is nothing to undo.
cat > "$PKG_TMP/undo.yml" <<YML
- hosts: local
  gather_facts: false
  tasks:
    - name: undo
      hostfit.hostfit.undo: {bin: "$HOSTFIT", root: "$root"}
      register: undone
    - name: what undo did
      ansible.builtin.debug:
        msg: "UNDO stamp={{ undone.stamp }} undo_stamp={{ undone.undo_stamp }} undoes={{ undone.run.undoes | default('none') }}"
YML
fixed_sum=$(tree_sum "$root")
ansible-playbook -i "$inv" --check --diff "$PKG_TMP/undo.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?; cat "$PKG_TMP/run.log"
check "undo --check --diff runs ($PST)" [ "$PST" -eq 0 ]
check "undo in check mode names the run and changes" grep -q "UNDO stamp=$stamp undo_stamp= undoes=none" "$PKG_TMP/run.log"
check "undo --diff shows the swap line going" grep -q '^-/swapfile ' "$PKG_TMP/run.log"
check "undo check mode wrote nothing" [ "$fixed_sum" = "$(tree_sum "$root")" ]
ansible-playbook -i "$inv" "$PKG_TMP/undo.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?; cat "$PKG_TMP/run.log"
check "undo runs ($PST)" [ "$PST" -eq 0 ]
check "undo reports changed" grep -Eq 'localhost +: ok=[0-9]+ +changed=1 ' "$PKG_TMP/run.log"
check "undo returns its own run record, which undoes the fix" grep -Eq "UNDO stamp=$stamp undo_stamp=[0-9]{8}T[0-9]{6}Z undoes=$stamp" "$PKG_TMP/run.log"
check "the fstab is the fixture's again" cmp -s tests/fixtures/swap-none/etc/fstab "$root/etc/fstab"
check "the swap file is gone" [ ! -e "$root/swapfile" ]
ansible-playbook -i "$inv" "$PKG_TMP/undo.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?; cat "$PKG_TMP/run.log"
check "a second undo finds nothing to undo and changes nothing ($PST)" grep -Eq 'localhost +: ok=[0-9]+ +changed=0 ' "$PKG_TMP/run.log"

# The role validates its variables against meta/argument_specs.yml.
cat > "$PKG_TMP/role.yml" <<YML
- hosts: local
  gather_facts: false
  roles:
    - role: hostfit.hostfit.hostfit
      vars: {hostfit_install: false, hostfit_executable: "$HOSTFIT", hostfit_root: "$root", hostfit_fail_on: sometimes}
YML
ansible-playbook -i "$inv" "$PKG_TMP/role.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?
check "the role refuses hostfit_fail_on: sometimes by its argument_specs ($PST)" \
        sh -c "[ $PST -ne 0 ] && grep -q 'hostfit_fail_on' '$PKG_TMP/run.log' && grep -qi 'argument spec\|choices' '$PKG_TMP/run.log'"
sed -i 's/hostfit_fail_on: sometimes/hostfit_fail_on: fail, hostfit_checks: [swap-missing]/' "$PKG_TMP/role.yml"
ansible-playbook -i "$inv" "$PKG_TMP/role.yml" > "$PKG_TMP/run.log" 2>&1; PST=$?
check "the role with hostfit_fail_on: fail fails on the failing swap ($PST)" \
        sh -c "[ $PST -ne 0 ] && grep -q 'hostfit: swap-missing' '$PKG_TMP/run.log'"

# hostfit's own message fails the task.
sed -i "s|root: \"$root\", checks: \[swap-missing\]}|root: \"$PKG_TMP/no-such-root\", checks: [swap-missing]}|" "$PKG_TMP/play.yml"
play
check "a missing root fails the task ($PST)" [ "$PST" -ne 0 ]
check "with hostfit's message" grep -q 'cannot open root' "$PKG_TMP/run.log"
finish
