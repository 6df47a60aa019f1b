# SPDX-License-Identifier: MIT
# Scenario 71: a `while true` loop started by hand keeps restarting a python
# server that crashes after 8 s.  hostfit names the loop, its child and the
# loop text; unmanaged-service leaves the child alone (one process, one unit);
# the fix writes one unit, the same (name and diff) in dry runs taken while the
# server runs and while the loop sleeps between two restarts, and does not
# enable it; after the printed hand-over, run as printed, the loop is gone,
# the unit is enabled, and systemd restarts the server with a back-off.
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
wait_for 120 "$listening" || fail "the looped server does not listen"
loop=$(inside pgrep -f -o 'while true; do /usr/local/bin/flaky-server')
[ -n "$loop" ] || fail "no loop process"
wait_age 2 "$loop"

expect_finding keepalive-loop
hf check keepalive-loop --verbose
show_hf check keepalive-loop --verbose
printf '%s' "$HF_OUT" | grep -q "pid $loop, a shell loop) keeps restarting its child (now pid [0-9]*): /usr/bin/python3 /usr/local/bin/flaky-server" ||
        fail "the loop's pid or the command is not named"
printf '%s' "$HF_OUT" | grep -q "evidence: loop in its -c text: while true" || fail "no evidence"
hf check unmanaged-service --verbose
printf '%s' "$HF_OUT" | grep -q "flaky-server" && fail "unmanaged-service also reports the loop's child"

wait_for 120 "$listening" || fail "the looped server did not come back"
hf fix --dry-run --format json keepalive-loop unmanaged-service
units=$(printf '%s' "$HF_OUT" | json "' '.join(a.get('path') or '' for a in d['actions'] if (a.get('path') or '').endswith('.service') and a['kind'] == 'write-file')")
set -- $units
[ $# -eq 1 ] || fail "the plan writes $# service units ($units), expected one"
name=${1##*/}
DIAG_UNITS=$name

# The same plan whatever the moment: dry runs until one falls between two restarts (the
# server lives 8 s, the loop sleeps 1 s), each the same bytes as the first.
hf fix --dry-run --format json keepalive-loop
first=$HF_OUT
between=0 tries=0
while [ "$between" -eq 0 ] && [ "$tries" -lt 120 ]; do
        tries=$((tries + 1))
        up=1
        inside_sh "$listening" > /dev/null 2>&1 || up=0
        hf fix --dry-run --format json keepalive-loop
        inside_sh "$listening" > /dev/null 2>&1 || up=0
        [ "$HF_OUT" = "$first" ] || fail "dry run $tries (server up: $up) differs from the first: $HF_OUT"
        [ "$up" -eq 0 ] && between=$tries
        sleep 0.3
done
[ "$between" -gt 0 ] || fail "no dry run fell between two restarts in $tries tries"
say "$tries dry runs, one between two restarts (try $between): all the same plan"
printf '%s' "$first" | json "[a for a in d['actions'] if a['kind'] == 'systemd' and a.get('op') == 'enable' or a['kind'] == 'symlink']" |
        grep -qx '\[\]' || fail "the plan enables the unit before the hand-over"

hf fix --yes keepalive-loop
show_hf fix --yes keepalive-loop
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat "/etc/systemd/system/$name" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside systemd-analyze verify "/etc/systemd/system/$name" > /dev/null 2>&1 || fail "systemd-analyze verify $name failed"

state=$(unit_prop "$name" UnitFileState)
[ "$state" = disabled ] || fail "$name is $state before the hand-over, expected disabled"

# The hand-over, as printed: the loop stopped, its command ended, the loop gone; then the unit.
since=$(inside date +%s)
run_handover "$name" keepalive-loop
wait_for 120 "! kill -0 $loop" || fail "the loop still runs after the hand-over"
[ "$(unit_prop "$name" UnitFileState)" = enabled ] || fail "$name is not enabled after the hand-over"
wait_for 120 "$listening" || fail "$name does not listen on $PORT"
# Its server crashes after 8 s and is started again after the back-off: wait for that second
# start, however long a loaded machine takes, instead of a fixed time.
wait_for 180 "[ \$(journalctl --no-pager -o cat -u '$name' --since @$since | grep -c 'Started ') -ge 2 ]" ||
        fail "$name was not restarted after its crash"
gaps=$(inside journalctl --no-pager -o short-unix -u "$name" --since "@$since" |
        awk '/Started / { t = $1 + 0; if (p) printf "%.1f ", t - p; p = t }')
say "gaps between starts (s): $gaps"
set -- $gaps
[ $# -ge 1 ] || fail "$name was not restarted after its crash"
for g in $gaps; do
        awk -v g="$g" 'BEGIN { exit !(g >= 17) }' || fail "restarted $g s after the last start, expected 8 s of life and 10 s of back-off"
done
expect_pass keepalive-loop
expect_no_plan keepalive-loop
pass "$name restarts its crashing server with a 10 s back-off (starts $gaps s apart)"
