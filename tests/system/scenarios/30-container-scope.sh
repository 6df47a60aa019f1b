# SPDX-License-Identifier: MIT
# Scenario 30: a server in a container-like scope, as dockerd's runc makes it
# (system.slice/docker-<64 hex>.scope), listening on a port, beside a server
# started by hand in a session scope.  The container's process belongs to
# its runtime: unmanaged-service does not report it and fix plans no unit,
# no step and no kill for it; the hand-started one is still reported and
# gets its unit.
# bed: container
# needs: unmanaged-service

need_checks unmanaged-service
PORT=8091 PORT2=8092
ID=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#ID} -eq 64 ] || fail "not 64 hex digits: $ID"
SCOPE=docker-$ID.scope

put /etc/hostfit/hostfit.conf <<'CONF'
[unmanaged-service]
min-age = 5
CONF
inside systemd-run --quiet --scope --unit="$SCOPE" \
        setsid -f python3 -m http.server $PORT --bind 127.0.0.1 < /dev/null > /dev/null 2>&1
hand session-8.scope python3 -m http.server $PORT2 --bind 127.0.0.1
listener() {
        inside ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q . && ss -Hltn 'sport = :$PORT2' | grep -q ." ||
        fail "the servers do not listen"
ct=$(listener $PORT) host=$(listener $PORT2)
cg=$(inside cat /proc/$ct/cgroup | tail -n 1)
say "container-like: pid $ct in $cg; by hand: pid $host"
case "$cg" in
*/system.slice/$SCOPE) ;;
*) fail "pid $ct is not in $SCOPE: $cg" ;;
esac
wait_age 6 "$ct" "$host"

expect_finding unmanaged-service
subjects=$(printf '%s' "$HF_OUT" | json "' '.join(f['subject'] for c in d['checks'] for f in c['findings'])")
say "findings: $subjects"
case " $subjects " in
*" pid $ct "*) fail "the container's pid $ct is reported as an unmanaged service" ;;
esac
case " $subjects " in
*" pid $host "*) ;;
*) fail "the hand-started pid $host is not reported" ;;
esac

hf fix --dry-run --format json unmanaged-service
units=$(printf '%s' "$HF_OUT" | json "' '.join(a.get('path') or '' for a in d['actions'] if (a.get('path') or '').endswith('.service'))")
say "planned units: $units"
[ "$units" = /etc/systemd/system/hostfit-python3-$PORT2.service ] ||
        fail "expected one unit, for port $PORT2, planned: $units"
mentions=$(printf '%s' "$HF_OUT" | json "sum(1 for a in d['actions'] for t in (a.get('text') or '', a.get('diff') or '') if __import__('re').search(r'\\bpid $ct\\b|\\b$PORT\\b|$ID', t))")
[ "$mentions" = 0 ] || fail "the plan has $mentions action(s) about the container's pid $ct"
hf fix --yes unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
show_hf fix --yes unmanaged-service
inside systemd-analyze verify /etc/systemd/system/hostfit-python3-$PORT2.service > /dev/null 2>&1 ||
        fail "systemd-analyze verify of the unit failed"
inside kill -0 "$ct" || fail "the container's process was stopped"
hf fix --dry-run --format json unmanaged-service
n=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if a.get('kind') != 'manual'])")
[ "$n" = 0 ] || fail "second fix --dry-run plans $n change(s)"
pass "the container-like scope's server is left to its runtime; pid $host got its unit"
