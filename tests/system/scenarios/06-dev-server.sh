# Scenario 6: a dev server (vite under node_modules/.bin) in tmux with
# tmux-continuum configured to restore every program (':all:'), under a bash wrapper, the server shielded with
# oom_score_adj -500.  dev-server, wrapper-oom-unprotected and tmux-resurrect
# fire; after the fix the wrappers carry the server's value and tmux.conf
# has the lines that stop the restore, above TPM's run line.  dev-server's fix is never a silent
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
wait_for 30 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the dev server does not listen"
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
# hostfit counts a process as a service after a minute of life.
sleep 65

for id in $IDS; do
        expect_finding "$id"
done
hf fix --yes $IDS
show_hf fix --yes $IDS
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
printf '%s' "$HF_OUT" | grep -q "manual: .*production" ||
        fail "dev-server's fix did not give the manual step and its reason"
for id in wrapper-oom-unprotected tmux-resurrect; do
        expect_pass "$id"
done
expect_no_plan wrapper-oom-unprotected tmux-resurrect
hf fix --dry-run --format json dev-server
n=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if a.get('kind') != 'manual'])")
[ "$n" = 0 ] || fail "second fix --dry-run dev-server plans $n change(s)"
say "second dry run of dev-server: only the manual step"
say "process chain after the fix: $(chain "$vite")"
p=$(ppid "$vite")
while [ "$p" -gt 1 ]; do
        comm=$(cat /proc/$p/comm)
        [ "$(cat /proc/$p/oom_score_adj)" -le -500 ] || fail "wrapper $comm ($p) still has oom_score_adj $(cat /proc/$p/oom_score_adj)"
        case "$comm" in tmux*) break ;; esac
        p=$(ppid "$p")
done
grep -q "@resurrect-processes 'false'" /root/.tmux.conf || fail "tmux.conf lacks @resurrect-processes 'false'"
grep -q "@continuum-restore 'off'" /root/.tmux.conf || fail "tmux.conf lacks @continuum-restore 'off'"
[ "$(tail -n 1 /root/.tmux.conf)" = "run '~/.tmux/plugins/tpm/tpm'" ] || fail "TPM's run line is no longer last in tmux.conf"
sed "s/^/$SCEN_LOG_PREFIX   tmux.conf: /" /root/.tmux.conf
pass "wrappers carry -500; tmux.conf diff applied"
