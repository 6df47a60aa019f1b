#!/bin/sh
# SPDX-License-Identifier: MIT
# Live: a real "vite" (a python3 script under node_modules/.bin that listens on 127.0.0.1)
# started by a real bash wrapper inside a real tmux server. hostfit check dev-server finds it,
# wrapper-oom-unprotected finds the wrapper more killable than it, and both are gone after it exits.
# This machine refuses negative oom_score_adj (no CAP_SYS_RESOURCE): the child is at 100 under a
# wrapper at 300, and the check's threshold is raised to 200 in a private mount namespace.
set -u
: "${HOSTFIT:?}"
HOSTFIT=$(readlink -f "$HOSTFIT")
[ "$(id -u)" -eq 0 ] || { echo "devserver: skipped: needs root"; exit 77; }
command -v tmux >/dev/null || { echo "devserver: skipped: tmux is not installed"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "devserver: skipped: python3 is not installed"; exit 77; }
command -v unshare >/dev/null || { echo "devserver: skipped: unshare is not installed"; exit 77; }

d=$(mktemp -d /tmp/hostfit-live-dev.XXXXXX)
sock="hostfit-live-$$"
made_etc=""
cleanup() {
        tmux -L "$sock" kill-server 2>/dev/null
        [ -n "$made_etc" ] && rmdir /etc/hostfit 2>/dev/null
        rm -rf "$d"
}
trap cleanup EXIT INT TERM

mkdir -p "$d/node_modules/.bin"
cat > "$d/node_modules/.bin/vite" <<'PY'
#!/usr/bin/python3
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
time.sleep(600)
PY
chmod 755 "$d/node_modules/.bin/vite"
cat > "$d/run-dev.sh" <<SH
echo 300 > /proc/\$\$/oom_score_adj
cd "$d"
sh -c 'echo 100 > /proc/self/oom_score_adj; exec "\$0" --host' "$d/node_modules/.bin/vite"
echo "vite exited with \$?"    # keeps bash from exec-ing the last command: it stays the wrapper
SH

fail() { echo "devserver: $*" >&2; exit 1; }

tmux -L "$sock" new-session -d -s live "bash $d/run-dev.sh" || fail "cannot start tmux"
pid=""
for _ in $(seq 1200); do     # up to 300 s
        pid=$(pgrep -f "^/usr/bin/python3 $d/node_modules/.bin/vite --host" | head -n1)
        [ -n "$pid" ] && [ "$(cat /proc/"$pid"/oom_score_adj 2>/dev/null)" = 100 ] && break
        sleep 0.25
done
[ -n "$pid" ] || fail "the vite process did not start"
wpid=$(awk '{print $4}' /proc/"$pid"/stat)

out=$("$HOSTFIT" check dev-server); st=$?
[ "$st" -eq 2 ] || fail "check dev-server exited $st, expected 2: $out"
echo "$out" | grep -q "pid $pid: a Vite dev server" || fail "pid $pid not named: $out"
echo "$out" | grep -q "in tmux (tmux: server" || fail "tmux not named: $out"

json=$("$HOSTFIT" check dev-server --format json)
echo "$json" | grep -q "\"subject\":\"pid $pid\"" || fail "JSON does not name pid $pid: $json"

# wrapper-oom-unprotected, with "shielded" meaning below 200 for this test only. The comm is
# "vite": a script run through its #! line is named for the script, not the interpreter.
if [ ! -d /etc/hostfit ]; then
        mkdir /etc/hostfit && made_etc=1
fi
out=$(unshare -m sh -c '
        mount -t tmpfs -o size=64k hostfit-live /etc/hostfit || exit 90
        printf "[wrapper-oom]\nshielded-below = 200\n" > /etc/hostfit/hostfit.conf
        "$1" check wrapper-oom-unprotected
        "$1" fix wrapper-oom-unprotected --dry-run' sh "$HOSTFIT" 2>&1)
echo "$out" | grep -q "pid $pid: vite has oom_score_adj 100, but the wrappers whose death ends it do not: pid $wpid (bash) 300" ||
        fail "wrapper not named: $out"
echo "$out" | grep -q "pid $wpid (bash) oom_score_adj 300 -> 100" || fail "the fix does not raise the wrapper: $out"
[ -e /etc/hostfit/hostfit.conf ] && fail "the namespace's config leaked"

tmux -L "$sock" kill-server
for _ in $(seq 1200); do     # up to 300 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
done
kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs"
out=$("$HOSTFIT" check dev-server); st=$?
echo "$out" | grep -q "pid $pid " && fail "pid $pid still reported after it exited: $out"
[ "$st" -eq 0 ] || echo "devserver: note: other dev servers run on this machine: $out"
exit 0
