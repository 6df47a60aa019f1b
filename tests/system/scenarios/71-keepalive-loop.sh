# SPDX-License-Identifier: MIT
# Scenario 71: a `while true` loop started by hand keeps restarting a python
# server that crashes after 8 s.  hostfit names the loop, its child and the
# loop text; unmanaged-service leaves the child alone (one process, one unit);
# the fix writes one unit, and after the hand-over systemd restarts the server
# with a back-off.
# bed: container
# needs: keepalive-loop unmanaged-service

need_checks keepalive-loop unmanaged-service
PORT=8091

put /etc/hostfit/hostfit.conf <<'CONF'
[unmanaged-service]
min-age = 1
CONF
put /usr/local/bin/flaky-server 0755 <<'PY'
#!/usr/bin/python3
import http.server, os, threading
srv = http.server.HTTPServer(("127.0.0.1", 8091), http.server.SimpleHTTPRequestHandler)
threading.Timer(8, lambda: os._exit(1)).start()
srv.serve_forever()
PY
hand session-9.scope sh -c 'while true; do /usr/local/bin/flaky-server; sleep 1; done'
listening="ss -Hltn 'sport = :$PORT' | grep -q ."
wait_for 20 "$listening" || fail "the looped server does not listen"
sleep 2
loop=$(inside pgrep -f -o 'while true; do /usr/local/bin/flaky-server')
[ -n "$loop" ] || fail "no loop process"

expect_finding keepalive-loop
hf check keepalive-loop --verbose
show_hf check keepalive-loop --verbose
printf '%s' "$HF_OUT" | grep -q "pid $loop, a shell loop) keeps restarting its child (now pid [0-9]*): /usr/bin/python3 /usr/local/bin/flaky-server" ||
        fail "the loop's pid or the command is not named"
printf '%s' "$HF_OUT" | grep -q "evidence: loop in its -c text: while true" || fail "no evidence"
hf check unmanaged-service --verbose
printf '%s' "$HF_OUT" | grep -q "flaky-server" && fail "unmanaged-service also reports the loop's child"

wait_for 20 "$listening" || fail "the looped server did not come back"
hf fix --dry-run --format json keepalive-loop unmanaged-service
units=$(printf '%s' "$HF_OUT" | json "' '.join(a.get('path') or '' for a in d['actions'] if (a.get('path') or '').endswith('.service') and a['kind'] == 'write-file')")
set -- $units
[ $# -eq 1 ] || fail "the plan writes $# service units ($units), expected one"
name=${1##*/}
DIAG_UNITS=$name
hf fix --yes keepalive-loop
show_hf fix --yes keepalive-loop
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat "/etc/systemd/system/$name" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside systemd-analyze verify "/etc/systemd/system/$name" > /dev/null 2>&1 || fail "systemd-analyze verify $name failed"

# The hand-over: the loop first, then its child; then the unit.
inside kill "$loop"
inside pkill -f '^/usr/bin/python3 /usr/local/bin/flaky-server'
wait_for 10 "! ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the old server still listens"
since=$(inside date +%s)
inside systemctl start "$name" || fail "systemctl start $name failed"
wait_for 20 "$listening" || fail "$name does not listen on $PORT"
sleep 40
gaps=$(inside journalctl --no-pager -o short-unix -u "$name" --since "@$since" |
        awk '/Started / { t = $1 + 0; if (p) printf "%.1f ", t - p; p = t }')
say "gaps between starts (s): $gaps"
set -- $gaps
[ $# -ge 1 ] || fail "$name was not restarted after its crash"
for g in $gaps; do
        awk -v g="$g" 'BEGIN { exit !(g >= 17) }' || fail "restarted $g s after the last start, expected 8 s of life and 10 s of back-off"
done
sleep 3
expect_pass keepalive-loop
expect_no_plan keepalive-loop
pass "$name restarts its crashing server with a 10 s back-off (starts $gaps s apart)"
