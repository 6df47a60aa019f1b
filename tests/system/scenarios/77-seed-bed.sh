# SPDX-License-Identifier: MIT
# Scenario 77: the seed bed, the six incidents at once on a booted systemd:
# a uvicorn started by hand in tmux, `next dev` serving production, a
# `while true` loop keeping a worker up, a unit that fails at every start, a
# Node heap above its unit's MemoryMax=, and a wrapper over a shielded child.
# `check` finds each; one `fix --yes` plus the hand-overs it prints, run as
# printed, resolves each: the services run under their units with a memory
# limit sized from what they used over time (uvicorn's peak, not its rss now),
# the failing unit backs off and ends failed, node reports a heap below the
# limit, the wrapper carries its child's shield; a second `fix --dry-run`
# plans nothing; `undo --yes` leaves no failed unit it caused and no unit
# running without its file.
# Stand-ins, where the real program is not in the bed's tree: uvicorn (a
# python3 server at venv/bin/uvicorn taking uvicorn's options) and Next.js
# (a node script at node_modules/.bin/next: dev and start serve, build
# writes .next/BUILD_ID).  node, python3, tmux and systemd are the real ones.
# The VM: cgroup2 enforces MemoryMax= (the heap is judged against it) and a
# negative oom_score_adj needs CAP_SYS_RESOURCE.
# bed: vm
# needs: unmanaged-service dev-server keepalive-loop restart-storm node-heap-limit wrapper-oom-unprotected unit-memorymax

IDS="unmanaged-service dev-server keepalive-loop restart-storm node-heap-limit wrapper-oom-unprotected unit-memorymax"
need_checks $IDS
need_bed_command node nodejs
MIB=1048576
MAX=3           # [restart-storm] max-restarts: a low bar so the storm shows in a minute
UPTIME=20       # [unit-memorymax] min-uptime, seconds: every incident here is older when fixed
DIAG_UNITS="crashy.service app.service report-worker.service"

put /etc/hostfit/hostfit.conf <<CONF
[hostfit]
profile = production

[unmanaged-service]
min-age = 5

[unit-memorymax]
min-uptime = ${UPTIME}s

[restart-storm]
max-restarts = $MAX
CONF

# 1. uvicorn, by hand in tmux.  It held 160 MiB at start, then let it go: its
# unit's limit must come from that peak, not from what it holds now.
put /srv/api/venv/bin/uvicorn 0755 <<'PY'
#!/usr/bin/python3
# Stands in for uvicorn: `uvicorn APP --host H --port P`, serving HTTP.
import http.server, sys
a = sys.argv
warm = b"x" * (160 << 20)
del warm
http.server.ThreadingHTTPServer((a[a.index("--host") + 1], int(a[a.index("--port") + 1])),
                                http.server.SimpleHTTPRequestHandler).serve_forever()
PY
hand session-11.scope tmux new-session -d -s api \
        'cd /srv/api && exec venv/bin/uvicorn main:app --host 127.0.0.1 --port 8000'

# 2. `next dev` serving production.
put /srv/web/node_modules/.bin/next 0755 <<'JS'
#!/usr/bin/node
// Stands in for Next.js: `next dev|build|start [-p PORT]`.
const fs = require('fs'), http = require('http');
const cmd = process.argv[2], i = process.argv.indexOf('-p');
const port = i > 0 ? +process.argv[i + 1] : 3000;
if (cmd === 'build') {
        fs.mkdirSync('.next', { recursive: true });
        fs.writeFileSync('.next/BUILD_ID', 'seed\n');
        process.exit(0);
}
if (cmd === 'start' && !fs.existsSync('.next/BUILD_ID')) {
        console.error('Could not find a production build in .next: run next build');
        process.exit(1);
}
http.createServer((q, s) => s.end(cmd + ' ' + (process.env.NODE_ENV || '') + '\n')).listen(port, '127.0.0.1');
JS
hand session-12.scope sh -c 'cd /srv/web && exec node_modules/.bin/next dev -p 3000'

# 3. A `while true` loop keeping a worker up.
put /srv/worker/worker.py 0755 <<'PY'
#!/usr/bin/python3
import http.server
http.server.HTTPServer(("127.0.0.1", 8092), http.server.SimpleHTTPRequestHandler).serve_forever()
PY
hand session-13.scope sh -c 'while true; do /usr/bin/python3 /srv/worker/worker.py; sleep 1; done'

# 4. A unit that fails at every start (the admin gave it a memory limit).
put /etc/systemd/system/crashy.service <<'UNIT'
[Unit]
Description=Crashes at once (admin-written)

[Service]
ExecStart=/bin/sh -c 'exit 1'
Restart=always
RestartSec=5s
MemoryMax=64M
UNIT

# 5. A Node heap above its unit's MemoryMax=.
put /srv/app/server.js <<'JS'
const v8 = require('v8');
console.log('heap_size_limit ' + v8.getHeapStatistics().heap_size_limit);
setInterval(() => {}, 1000);
JS
put /etc/systemd/system/app.service <<'UNIT'
[Unit]
Description=Node app (admin-written)

[Service]
ExecStart=/usr/bin/node /srv/app/server.js
Environment="NODE_OPTIONS=--enable-source-maps --max-old-space-size=8192"
MemoryMax=256M
Restart=on-failure
UNIT

# 6. A wrapper (a unit's main process) over a shielded child.
put /opt/report/start.sh 0755 <<'SH'
#!/bin/sh
# starts the report worker, shielded from the OOM killer
sh -c 'echo -500 > /proc/self/oom_score_adj && exec python3 -m http.server 8093 --bind 127.0.0.1' &
wait
SH
put /etc/systemd/system/report-worker.service <<'UNIT'
[Unit]
Description=Report worker (admin-written)

[Service]
ExecStart=/opt/report/start.sh
WorkingDirectory=/opt/report
MemoryMax=128M
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
inside systemctl daemon-reload
inside systemctl start app.service report-worker.service || fail "the admin's units do not start"
inside systemctl start crashy.service

listens() {
        inside_sh "ss -Hltn 'sport = :$1' | grep -q ."
}
for port in 8000 3000 8092 8093; do
        wait_for 120 "ss -Hltn 'sport = :$port' | grep -q ." || fail "nothing listens on $port"
done
wait_for 180 "[ \"\$(systemctl show -P NRestarts crashy.service)\" -gt $((MAX + 1)) ]" ||
        fail "crashy.service did not restart $((MAX + 2)) times"
listener() {
        inside ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}
uv=$(listener 8000)
dev=$(listener 3000)
loop=$(inside pgrep -f -o 'while true; do /usr/bin/python3 /srv/worker/worker.py')
[ -n "$uv" ] && [ -n "$dev" ] && [ -n "$loop" ] || fail "a hand-started process is missing (uvicorn '$uv', next '$dev', loop '$loop')"
# Old enough to count as services and to be sized from what they used.
for pid in $uv $dev $loop; do
        wait_for 120 "[ \$(ps -o etimes= -p $pid) -ge $((UPTIME + 5)) ]" || fail "pid $pid did not live $((UPTIME + 5)) s"
done
say "uvicorn pid $uv (peak $(inside sed -n 's/^VmHWM:[[:space:]]*//p' /proc/$uv/status), now $(inside sed -n 's/^VmRSS:[[:space:]]*//p' /proc/$uv/status)), next dev pid $dev, loop pid $loop"

# check finds each.
hf check --format json $IDS
for id in unmanaged-service dev-server keepalive-loop restart-storm node-heap-limit wrapper-oom-unprotected; do
        st=$(check_status "$id")
        case "$st" in
        fail|warn) say "check $id: $st" ;;
        *) fail "check $id: expected a finding, got '$st'" ;;
        esac
done
hf check --verbose $IDS
show_hf check --verbose
for want in "uvicorn main:app" "next dev" "keeps restarting its child" "crashy.service" \
            "app.service) may grow its V8 heap to 8192 MiB but may use only 256 MiB" "report-worker.service"; do
        printf '%s' "$HF_OUT" | grep -qF "$want" || fail "check does not name: $want"
done

# One fix of all six.
hf fix --dry-run --format json $IDS
plan=$HF_OUT
unit_of() {
        printf '%s' "$plan" | json "' '.join(a['path'].rsplit('/', 1)[1] for a in d['actions'] if a['kind'] == 'write-file' and a['check'] == '$1' and a['path'].endswith('.service'))"
}
uv_unit=$(unit_of unmanaged-service) web_unit=$(unit_of dev-server) loop_unit=$(unit_of keepalive-loop)
for u in "$uv_unit" "$web_unit" "$loop_unit"; do
        [ "$(echo "$u" | wc -w)" = 1 ] || fail "expected one unit each for uvicorn, next and the loop: '$uv_unit' '$web_unit' '$loop_unit'"
done
say "units planned: $uv_unit (uvicorn), $web_unit (next start), $loop_unit (the loop)"
DIAG_UNITS="$DIAG_UNITS $uv_unit $web_unit $loop_unit"
hf fix --yes $IDS
show_hf fix --yes
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
printf '%s' "$HF_OUT" | grep -q "manual: .*restart app.service" || fail "no printed restart of app.service after its heap drop-in"
n_fix=$(unit_prop crashy.service NRestarts)
t_fix=$(inside date +%s)
for u in $uv_unit $web_unit $loop_unit; do
        inside cat "/etc/systemd/system/$u" | sed "s/^/$SCEN_LOG_PREFIX   $u: /"
        inside systemd-analyze verify "/etc/systemd/system/$u" > /dev/null 2>&1 || fail "systemd-analyze verify $u failed"
        [ "$(unit_prop "$u" UnitFileState)" = disabled ] || fail "$u is $(unit_prop "$u" UnitFileState) before its hand-over"
done

# The hand-overs, as printed.
run_handover "$uv_unit" $IDS
run_handover "$loop_unit" $IDS
# next's starts with the build, said in words ("run `next build` in DIR as the app's user (the
# build)"); the admin runs it with the project's own next, then the rest as printed.
handover_steps "$web_unit" $IDS
say "hand-over, as printed: $HANDOVER"
build=$(printf '%s' "$HANDOVER" | sed -n 's/^run `\([^`]*\)` in \([^ ]*\) as the app.s user (the build); .*/cd \2 \&\& PATH=\2\/node_modules\/.bin:$PATH \1/p')
[ -n "$build" ] || fail "the hand-over of $web_unit does not start with the build"
rest=$(printf '%s' "$HANDOVER" | sed 's/^[^;]*; //; s/ (the dev server)//')
inside_sh "$build" || fail "the build failed: $build"
inside_sh "$rest" || fail "the printed hand-over failed: $rest"
inside systemctl restart app.service
inside systemctl restart report-worker.service

# Resolved: each service under its unit, with its limit.
for pid in $uv $dev $loop; do
        wait_for 120 "! kill -0 $pid" || fail "pid $pid still runs after its hand-over"
done
for pair in "$uv_unit 8000" "$web_unit 3000" "$loop_unit 8092" "report-worker.service 8093"; do
        set -- $pair
        wait_for 120 "systemctl is-active -q $1 && ss -Hltnp 'sport = :$2' | grep -q 'pid='" || fail "$1 does not listen on $2"
        owner=$(listener "$2")
        inside grep -q "/$1\$" "/proc/$owner/cgroup" || fail "port $2 is held by pid $owner, not in $1: $(inside cat /proc/$owner/cgroup)"
        case "$1" in
        hostfit-*) [ "$(unit_prop "$1" UnitFileState)" = enabled ] || fail "$1 is $(unit_prop "$1" UnitFileState) after the hand-over" ;;
        esac
        mm=$(unit_prop "$1" MemoryMax)
        [ "$mm" != infinity ] && [ -n "$mm" ] || fail "$1 runs without MemoryMax="
        say "$1: pid $owner on $2, MemoryMax=$((mm / MIB))M"
done
uv_max=$(unit_prop "$uv_unit" MemoryMax)
[ "$uv_max" -gt $((256 * MIB)) ] || fail "$uv_unit's MemoryMax=$uv_max is the floor: not sized from uvicorn's 160 MiB peak"
inside_sh "python3 -c 'import urllib.request,sys; sys.exit(0 if urllib.request.urlopen(\"http://127.0.0.1:3000/\", timeout=5).read().startswith(b\"start production\") else 1)'" ||
        fail "$web_unit does not serve the production build (next start, NODE_ENV=production)"

# The failing unit backs off and ends.
wait_for 300 "[ \"\$(systemctl show -P ActiveState crashy.service)\" = failed ]" ||
        fail "crashy.service still restarts after the fix: $(unit_prop crashy.service NRestarts) restarts"
n_end=$(unit_prop crashy.service NRestarts)
# systemd 252 forgets a unit's start count at each daemon-reload (the hand-overs make several):
# the burst holds between two reloads, and the unit ends after the last one.
reloads=$(inside journalctl _PID=1 --since "@$t_fix" -o cat | grep -c '^Reloading')
[ "$n_end" -le $((n_fix + (MAX + 1) * (reloads + 1))) ] ||
        fail "$((n_end - n_fix)) restarts after the fix and $reloads daemon-reloads, more than a burst of $MAX between two"
inside_sh "journalctl -u crashy.service --no-pager | grep -q 'Start request repeated too quickly'" || fail "the start limit did not end crashy.service"
[ "$(unit_prop crashy.service Restart)" = always ] || fail "crashy.service's Restart=always was not kept"
say "crashy.service: failed at its start limit after $((n_end - n_fix)) restarts since the fix, $reloads daemon-reloads (RestartSec=$(unit_prop crashy.service RestartUSec))"

# Node's heap below the limit, as V8 reports it.
wait_for 120 "[ \$(journalctl -u app.service -o cat | grep -c heap_size_limit) -ge 2 ]" || fail "app.service's node did not start again"
heap=$(inside journalctl -u app.service -o cat | sed -n 's/^heap_size_limit //p' | tail -n 1)
[ "$heap" -lt $((256 * MIB)) ] || fail "app.service's node reports a heap of $heap, not below MemoryMax=256M"
say "app.service: V8 heap_size_limit $((heap / MIB)) MiB under MemoryMax=256M"

# The node the production unit runs (hostfit's own unit) was given a heap that fits its limit.
web_pid=$(unit_prop "$web_unit" MainPID)
web_heap=$(inside_sh "tr '\\0' '\\n' < /proc/$web_pid/environ | sed -n 's/^NODE_OPTIONS=//p'")
say "$web_unit: NODE_OPTIONS=$web_heap under MemoryMax=$(($(unit_prop "$web_unit" MemoryMax) / MIB))M"
printf '%s' "$web_heap" | grep -q -- '--max-old-space-size=' || fail "$web_unit gives node no heap limit"

# The wrapper carries its child's shield.
main=$(unit_prop report-worker.service MainPID)
[ "$(inside cat /proc/$main/oom_score_adj)" -le -500 ] || fail "start.sh (pid $main) has oom_score_adj $(inside cat /proc/$main/oom_score_adj)"
say "report-worker.service: start.sh at oom_score_adj $(inside cat /proc/$main/oom_score_adj)"

# Converged: the checks pass, a second dry run plans nothing.
for id in $IDS; do
        expect_pass "$id"
done
expect_no_plan $IDS

# Undo: no unit left running without its file, none failed by the undo.
hf undo --yes
show_hf undo --yes
[ "$HF_RC" -eq 0 ] || fail "undo --yes exited $HF_RC"
for u in $uv_unit $web_unit $loop_unit; do
        inside test -e "/etc/systemd/system/$u" && fail "$u is still there after undo"
        wait_for 120 "! systemctl is-active -q $u" || fail "$u still runs after undo"
done
notfound=$(inside systemctl list-units --all --no-legend --plain | awk '$2 == "not-found" && $3 != "inactive"')
[ -z "$notfound" ] || fail "units running without their file after undo: $notfound"
# crashy.service failed at its start limit before the undo (that was the fix); undo does not start it again.
failed=$(inside systemctl --failed --no-legend --plain | awk '$1 != "crashy.service"')
[ -z "$failed" ] || fail "failed units after undo: $failed"
pass "six incidents found and resolved by one fix and its hand-overs; a second dry run plans nothing; undo leaves nothing failed or orphaned"
