# SPDX-License-Identifier: MIT
# Scenario 6: a dev server (vite under node_modules/.bin) in tmux with
# tmux-continuum configured to restore every program (':all:'), under a bash wrapper, the server shielded with
# oom_score_adj -500.  dev-server, wrapper-oom-unprotected and tmux-resurrect
# fire; after the fix the script's bash carries the server's value, the tmux
# server does not (every later pane would inherit it: a new window's process
# keeps the default), and tmux.conf has the lines that stop the restore,
# above TPM's run line.  dev-server's fix is never a silent
# rewrite: it leaves a manual step with the reason, so that check still
# fails until someone moves to the production command.  The VM: a negative oom_score_adj
# needs CAP_SYS_RESOURCE.
# bed: vm
# needs: dev-server wrapper-oom-unprotected tmux-resurrect

need_checks dev-server wrapper-oom-unprotected tmux-resurrect
PORT=5173
IDS="dev-server wrapper-oom-unprotected tmux-resurrect"

# Stands in for Vite's dev server: node_modules/.bin/vite serving the app.
put /srv/app/node_modules/.bin/vite 0755 <<'PY'
#!/usr/bin/python3
import http.server, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
PY
put /srv/app/dev.sh 0755 <<EOF2
#!/bin/bash
# keeps the dev server up while the session lives
cd /srv/app
./node_modules/.bin/vite --port $PORT &
wait
EOF2
put /root/.tmux.conf <<'CONF'
set -g history-limit 10000
set -g @plugin 'tmux-plugins/tmux-resurrect'
set -g @plugin 'tmux-plugins/tmux-continuum'
set -g @resurrect-processes ':all:'
set -g @continuum-restore 'on'
run '~/.tmux/plugins/tpm/tpm'
CONF
put /etc/hostfit/hostfit.conf <<'CONF'
[hostfit]
profile = production
CONF
hand session-3.scope tmux new-session -d -s web /srv/app/dev.sh
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the dev server does not listen"
vite=$(inside pgrep -f 'node_modules/.bin/vite')
echo -500 > /proc/$vite/oom_score_adj || fail "cannot set oom_score_adj -500 on $vite"
# The parent PID: the field after the state, counted from the last ")" as
# the comm ("tmux: server") may hold spaces.
ppid() {
        sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f2
}
chain() {
        local p=$1
        while [ "$p" -gt 1 ]; do
                printf '%s(%s):%s ' "$(cat /proc/$p/comm)" "$p" "$(cat /proc/$p/oom_score_adj)"
                p=$(ppid "$p")
        done
}
say "process chain: $(chain "$vite")"
tmux_pid=$(pgrep -x 'tmux: server' | head -n 1)
tmux_adj=$(cat /proc/$tmux_pid/oom_score_adj)
# hostfit counts a process as a service after a minute of life.
wait_age 65 "$vite"

for id in $IDS; do
        expect_finding "$id"
done
hf fix --yes $IDS
show_hf fix --yes $IDS
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
# Either the production command's unit with its hand-over (build, stop, enable), or the
# reason hostfit cannot state that command: never a silent rewrite.
printf '%s' "$HF_OUT" | grep -qE "manual: .*(production|hand over to hostfit-.*the build)" ||
        fail "dev-server's fix did not give the manual step and its reason"
printf '%s' "$HF_OUT" | grep -q "manual: .*tmux: server.* keep their oom_score_adj" ||
        fail "wrapper-oom's fix did not say why the tmux server keeps its oom_score_adj"
expect_pass tmux-resurrect
expect_no_plan tmux-resurrect
# The tmux server is left to the unit: the check still says so, and plans nothing more but manual steps.
for id in dev-server wrapper-oom-unprotected; do
        hf fix --dry-run --format json $id
        n=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if a.get('kind') != 'manual'])")
        [ "$n" = 0 ] || fail "second fix --dry-run $id plans $n change(s)"
        say "second dry run of $id: only manual steps"
done
say "process chain after the fix: $(chain "$vite")"
p=$(ppid "$vite")
while [ "$p" -gt 1 ]; do
        comm=$(cat /proc/$p/comm)
        case "$comm" in tmux*) break ;; esac
        [ "$(cat /proc/$p/oom_score_adj)" -le -500 ] || fail "wrapper $comm ($p) still has oom_score_adj $(cat /proc/$p/oom_score_adj)"
        p=$(ppid "$p")
done
[ "$(cat /proc/$tmux_pid/oom_score_adj)" = "$tmux_adj" ] ||
        fail "the tmux server's oom_score_adj went from $tmux_adj to $(cat /proc/$tmux_pid/oom_score_adj)"
# A window opened now: its process inherits the server's value, not the shield.
tmux new-window -d -t web 'exec sleep 600'
wait_for 120 "pgrep -x sleep" || fail "the new tmux window did not start"
pane=$(pgrep -x sleep | head -n 1)
[ "$(cat /proc/$pane/oom_score_adj)" = "$tmux_adj" ] ||
        fail "a new tmux window's process has oom_score_adj $(cat /proc/$pane/oom_score_adj), not $tmux_adj"
say "a new window's process: oom_score_adj $(cat /proc/$pane/oom_score_adj), as the tmux server"
grep -q "@resurrect-processes 'false'" /root/.tmux.conf || fail "tmux.conf lacks @resurrect-processes 'false'"
grep -q "@continuum-restore 'off'" /root/.tmux.conf || fail "tmux.conf lacks @continuum-restore 'off'"
[ "$(tail -n 1 /root/.tmux.conf)" = "run '~/.tmux/plugins/tpm/tpm'" ] || fail "TPM's run line is no longer last in tmux.conf"
sed "s/^/$SCEN_LOG_PREFIX   tmux.conf: /" /root/.tmux.conf
pass "the script's wrapper carries -500, the tmux server and its new panes do not; tmux.conf diff applied"
