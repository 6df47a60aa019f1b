# Scenario 6: a dev server (vite under node_modules/.bin) in tmux with
# tmux-continuum configured, under a bash wrapper, the server shielded with
# oom_score_adj -500.  dev-server, wrapper-oom-unprotected and tmux-resurrect
# fire; after the fix the wrappers carry the server's value and tmux.conf
# has the lines that stop the restore.  The VM: a negative oom_score_adj
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
set -g @continuum-restore 'on'
run '~/.tmux/plugins/tpm/tpm'
CONF
put /etc/hostfit/hostfit.conf <<'CONF'
[hostfit]
profile = production
CONF
hand session-3.scope tmux new-session -d -s web /srv/app/dev.sh
wait_for 30 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the dev server does not listen"
vite=$(inside pgrep -f 'node_modules/.bin/vite')
echo -500 > /proc/$vite/oom_score_adj || fail "cannot set oom_score_adj -500 on $vite"
chain() {
        local p=$1
        while [ "$p" -gt 1 ]; do
                printf '%s(%s):%s ' "$(cat /proc/$p/comm)" "$p" "$(cat /proc/$p/oom_score_adj)"
                p=$(awk '{ print $4 }' /proc/$p/stat)
        done
}
say "process chain: $(chain "$vite")"
# hostfit counts a process as a service after a minute of life.
sleep 65

for id in $IDS; do
        expect_finding "$id"
done
fix_and_verify $IDS
say "process chain after the fix: $(chain "$vite")"
p=$(awk '{ print $4 }' /proc/$vite/stat)
while [ "$p" -gt 1 ]; do
        comm=$(cat /proc/$p/comm)
        [ "$(cat /proc/$p/oom_score_adj)" -le -500 ] || fail "wrapper $comm ($p) still has oom_score_adj $(cat /proc/$p/oom_score_adj)"
        case "$comm" in tmux*) break ;; esac
        p=$(awk '{ print $4 }' /proc/$p/stat)
done
grep -q "@resurrect-processes 'false'" /root/.tmux.conf || fail "tmux.conf lacks @resurrect-processes 'false'"
grep -q "@continuum-restore 'off'" /root/.tmux.conf || fail "tmux.conf lacks @continuum-restore 'off'"
sed "s/^/$SCEN_LOG_PREFIX   tmux.conf: /" /root/.tmux.conf
pass "wrappers carry -500; tmux.conf diff applied"
