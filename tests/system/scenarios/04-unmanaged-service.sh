# SPDX-License-Identifier: MIT
# Scenario 4: a server started by hand (setsid, in a login session's scope,
# outside any service) listening on a port.  The generated unit passes
# systemd-analyze verify and is written, not enabled (a reboot before the
# hand-over must not start it next to the old process); after the printed
# hand-over, run as printed, it is enabled, listens on the same port, and
# survives kill -9 by being restarted.
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
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the hand-started server does not listen"
old=$(listener)
say "started by hand: pid $old, $(inside cat /proc/$old/cgroup | tail -n 1)"
wait_age 6 "$old"

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

state=$(unit_prop "$name" UnitFileState)
[ "$state" = disabled ] || fail "$name is $state before the hand-over, expected disabled"
say "before the hand-over $name is $state"

# The hand-over hostfit leaves to the admin, as it printed it: end the old process, enable --now the unit.
run_handover "$name" unmanaged-service
wait_for 120 "! kill -0 $old" || fail "the hand-started server did not stop"
[ "$(unit_prop "$name" UnitFileState)" = enabled ] || fail "$name is not enabled after the hand-over"
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "$name does not listen on $PORT"
new=$(listener)
[ "$new" = "$(unit_prop "$name" MainPID)" ] || fail "port $PORT is held by $new, not by $name"
inside_sh "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:$PORT/\", timeout=5)'" ||
        fail "$name does not answer on $PORT"
say "$name listens on $PORT as pid $new"
wait_age 6 "$new"
expect_pass unmanaged-service
expect_no_plan unmanaged-service

inside kill -9 "$new"
wait_for 120 "p=\$(systemctl show -P MainPID $name); [ \"\$p\" != 0 ] && [ \"\$p\" != $new ] && ss -Hltn 'sport = :$PORT' | grep -q ." ||
        fail "$name was not restarted after kill -9"
pass "$name restarted after kill -9 (NRestarts=$(unit_prop "$name" NRestarts)), listening on $PORT"
