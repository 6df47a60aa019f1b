#!/bin/sh
# docs/ansible/hostfit.yml: syntax check, then a real run against localhost
# (local connection) with the binary under test and a fixture root.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need ansible-playbook
PB=docs/ansible/hostfit.yml
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$PKG_TMP/ansible-local \
       ANSIBLE_REMOTE_TEMP=$PKG_TMP/ansible-remote ANSIBLE_HOME=$PKG_TMP/ansible-home \
       ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_PYTHON_INTERPRETER=auto_silent

check "ansible-playbook --syntax-check $PB" \
        ansible-playbook --syntax-check -i docs/ansible/inventory.example "$PB"

need_hostfit
inv=$PKG_TMP/inventory
printf '[local]\nlocalhost ansible_connection=local\n' > "$inv"
root=$PKG_TMP/root; cp -a "$(report_root)" "$root"
"$HOSTFIT" check --format json --root "$root" > "$PKG_TMP/want.json"
summary=$($PYTHON -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%d pass, %d warn, %d fail, %d error" % (s["pass"], s["warn"], s["fail"], s["error"]))' "$PKG_TMP/want.json")

vars=$PKG_TMP/vars.json
printf '{"hostfit_bin": "%s", "hostfit_root": "%s", "hostfit_become": false}\n' "$HOSTFIT" "$root" > "$vars"
ansible-playbook -i "$inv" -e "@$vars" "$PB" > "$PKG_TMP/run.log" 2>&1; st=$?
cat "$PKG_TMP/run.log"
check "playbook runs check on localhost ($st)" [ "$st" -eq 0 ]
check "the host's summary is hostfit's ($summary)" grep -q "$summary" "$PKG_TMP/run.log"
check "the fleet summary names the host" grep -q "localhost: .* pass," "$PKG_TMP/run.log"
check "no fix ran without hostfit_fix" grep -q 'Fix .*skipping\|skipping: \[localhost\]' "$PKG_TMP/run.log"

# Check mode maps to fix --dry-run: the plan is computed, nothing is written.
ids=$(check_ids | head -n 2 | tr '\n' ' ')
check "hostfit list --ids lists checks" [ -n "$ids" ]
if [ -n "$ids" ]; then
        fix=$(printf '"%s",' $ids); fix="[${fix%,}]"
        printf '{"hostfit_bin": "%s", "hostfit_root": "%s", "hostfit_become": false, "hostfit_fix": %s}\n' \
                "$HOSTFIT" "$root" "$fix" > "$vars"
        before=$(tree_sum "$root")
        ansible-playbook --check -i "$inv" -e "@$vars" "$PB" > "$PKG_TMP/check.log" 2>&1; st=$?
        cat "$PKG_TMP/check.log"
        check "playbook --check with hostfit_fix=$fix runs ($st)" [ "$st" -eq 0 ]
        check "check mode wrote nothing under the root" [ "$before" = "$(tree_sum "$root")" ]
        check "check mode ran the fix task" grep -q "TASK \[Fix " "$PKG_TMP/check.log"
fi

# A real fix of what fails, on a copy of a root made to fail: changed once, then nothing to change.
root=$PKG_TMP/failroot; cp -a tests/fixtures/cli-fail "$root"
"$HOSTFIT" check --format json --root "$root" > "$PKG_TMP/want.json"
fixable=$($PYTHON -c 'import json,sys; print(" ".join(c["id"] for c in json.load(open(sys.argv[1]))["checks"] if c["status"] in ("warn","fail") and any(f["fix"] and f["fix"].startswith("hostfit fix") for f in c["findings"])))' "$PKG_TMP/want.json")
check "something fixable fails on $root" [ -n "$fixable" ]
if [ -n "$fixable" ]; then
        # A small swap file, should the fix make one (unless the root sets its own size).
        [ -e "$root/etc/hostfit/hostfit.conf" ] || { mkdir -p "$root/etc/hostfit"; printf '[swap]\nsize = 16M\n' > "$root/etc/hostfit/hostfit.conf"; }
        fix=$(printf '"%s",' $fixable); fix="[${fix%,}]"
        printf '{"hostfit_bin": "%s", "hostfit_root": "%s", "hostfit_become": false, "hostfit_fix": %s}\n' \
                "$HOSTFIT" "$root" "$fix" > "$vars"
        ansible-playbook -i "$inv" -e "@$vars" "$PB" > "$PKG_TMP/fix1.log" 2>&1; st=$?
        cat "$PKG_TMP/fix1.log"
        check "playbook with hostfit_fix=$fix applies ($st)" [ "$st" -eq 0 ]
        check "the first run changed the root" grep -q "^changed: \[localhost\]" "$PKG_TMP/fix1.log"
        ansible-playbook -i "$inv" -e "@$vars" "$PB" > "$PKG_TMP/fix2.log" 2>&1; st=$?
        check "the second run succeeds ($st)" [ "$st" -eq 0 ]
        check "the second run changes nothing" grep -q "localhost *: ok=[0-9]* *changed=0 " "$PKG_TMP/fix2.log"
fi
finish
