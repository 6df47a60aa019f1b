# SPDX-License-Identifier: MIT
# Scenario 4: a server started by hand (setsid, in a login session's scope,
# outside any service) listening on a port.  The generated unit passes
# systemd-analyze verify, starts, listens on the same port after the hand-
# over, and survives kill -9 by being restarted.
# bed: container
# needs: unmanaged-service

need_checks unmanaged-service
PORT=8081

put /etc/hostfit/hostfit.conf <<'CONF'
[unmanaged-service]
min-age = 5
CONF
inside mkdir -p /srv/site
echo '<h1>site</h1>' | put /srv/site/index.html
hand session-7.scope sh -c "cd /srv/site && exec python3 -m http.server $PORT --bind 127.0.0.1"
listener() {
        inside ss -Hltnp "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}
wait_for 20 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the hand-started server does not listen"
old=$(listener)
say "started by hand: pid $old, $(inside cat /proc/$old/cgroup | tail -n 1)"
sleep 6

expect_finding unmanaged-service
hf fix --dry-run --format json unmanaged-service
unit=$(printf '%s' "$HF_OUT" | json "' '.join(a.get('path') or '' for a in d['actions'] if (a.get('path') or '').endswith('.service'))")
set -- $unit
[ $# -eq 1 ] || fail "the plan writes $# service units ($unit), expected one"
unit=$1 name=${1##*/}
DIAG_UNITS=$name
hf fix --yes unmanaged-service
show_hf fix --yes unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat "$unit" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside systemd-analyze verify "$unit" 2>&1 | sed "s/^/$SCEN_LOG_PREFIX   /"
inside systemd-analyze verify "$unit" > /dev/null 2>&1 || fail "systemd-analyze verify $unit failed"

# The hand-over hostfit leaves to the admin: end the old process, start the unit.
inside kill "$old"
wait_for 10 "! kill -0 $old" || fail "the hand-started server did not stop"
inside systemctl start "$name" || fail "systemctl start $name failed"
wait_for 20 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "$name does not listen on $PORT"
new=$(listener)
[ "$new" = "$(unit_prop "$name" MainPID)" ] || fail "port $PORT is held by $new, not by $name"
inside_sh "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:$PORT/\", timeout=5)'" ||
        fail "$name does not answer on $PORT"
say "$name listens on $PORT as pid $new"
sleep 6
expect_pass unmanaged-service
expect_no_plan unmanaged-service

inside kill -9 "$new"
wait_for 30 "p=\$(systemctl show -P MainPID $name); [ \"\$p\" != 0 ] && [ \"\$p\" != $new ] && ss -Hltn 'sport = :$PORT' | grep -q ." ||
        fail "$name was not restarted after kill -9"
pass "$name restarted after kill -9 (NRestarts=$(unit_prop "$name" NRestarts)), listening on $PORT"
