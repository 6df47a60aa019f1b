#!/bin/sh
# SPDX-License-Identifier: MIT
# Live: a real `python3 -m http.server` on 127.0.0.1, started under setsid outside any service.
# hostfit check unmanaged-service names its pid and port, fix --dry-run writes a unit whose
# ExecStart gives back its argv byte for byte (and systemd-analyze verify accepts it), and once
# the server is killed the check no longer reports it. min-age = 0 comes from a hostfit.conf
# seen only inside a private mount namespace.
set -u
: "${HOSTFIT:?}"
HOSTFIT=$(readlink -f "$HOSTFIT")
[ "$(id -u)" -eq 0 ] || { echo "unmanaged: skipped: needs root"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "unmanaged: skipped: python3 is not installed"; exit 77; }
command -v unshare >/dev/null || { echo "unmanaged: skipped: unshare is not installed"; exit 77; }
command -v setsid >/dev/null || { echo "unmanaged: skipped: setsid is not installed"; exit 77; }

d=$(mktemp -d /tmp/hostfit-live-unmanaged.XXXXXX)
pid=""
made_etc=""
cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
        [ -n "$made_etc" ] && rmdir /etc/hostfit 2>/dev/null
        rm -rf "$d"
}
trap cleanup EXIT INT TERM

fail() { echo "unmanaged: $*" >&2; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
        fail "cannot find a free port"
(cd "$d" && exec setsid -f /usr/bin/python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1 </dev/null) ||
        fail "cannot start the server"
for _ in $(seq 1200); do     # up to 300 s: a loaded machine starts it late
        pid=$(pgrep -f "^/usr/bin/python3 -m http.server --bind 127.0.0.1 $port\$" | head -n1)
        [ -n "$pid" ] && grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp && break
        sleep 0.25
done
[ -n "$pid" ] || fail "the server did not start"

# The checks run with min-age = 0 in a namespace of their own: the server is seconds old.
if [ ! -d /etc/hostfit ]; then
        mkdir /etc/hostfit && made_etc=1
fi
in_ns() {
        unshare -m sh -c '
                mount -t tmpfs -o size=64k hostfit-live /etc/hostfit || exit 90
                printf "[unmanaged-service]\nmin-age = 0\n" > /etc/hostfit/hostfit.conf
                exec "$@"' sh "$@"
}

out=$(in_ns sh -c '"$0" check unmanaged-service' "$HOSTFIT" 2>&1); st=$?
[ "$st" -eq 2 ] || fail "check unmanaged-service exited $st, expected 2: $out"
echo "$out" | grep -q "pid $pid: python3 has served on port $port " || fail "pid $pid and port $port not named: $out"
[ -e /etc/hostfit/hostfit.conf ] && fail "the namespace's config leaked"

# Without the namespace, the default min-age (5min) leaves the young server alone.
out=$("$HOSTFIT" check unmanaged-service 2>&1)
echo "$out" | grep -q "pid $pid:" && fail "reported under the default min-age: $out"

plan=$(in_ns sh -c '"$0" fix unmanaged-service --dry-run' "$HOSTFIT" 2>&1); st=$?
[ "$st" -eq 0 ] || fail "fix --dry-run exited $st: $plan"
unit="hostfit-python3-$port.service"
echo "$plan" | grep -q "^+++ b/etc/systemd/system/$unit\$" || fail "no unit $unit in the plan: $plan"
echo "$plan" | grep -q "manual: hand over to $unit .*in this order: kill $pid; systemctl daemon-reload; systemctl enable --now $unit\." || fail "no hand-over step: $plan"
mkdir "$d/units"
# The unit's own diff: from its +++ line to the next file's --- line or the end of the diff.
echo "$plan" | awk -v h="+++ b/etc/systemd/system/$unit" '$0 == h { on = 1; next } on && (/^--- / || !/^[+@]/) { exit } on && /^\+/ { print substr($0, 2) }' > "$d/units/$unit"
grep -q '^ExecStart=' "$d/units/$unit" || fail "no ExecStart= in the unit: $(cat "$d/units/$unit")"

# ExecStart= read back by systemd's quoting rules gives the process's exe and argv.
tr '\0' '\n' < /proc/"$pid"/cmdline > "$d/argv"
readlink /proc/"$pid"/exe > "$d/exe"
/usr/bin/python3 - "$d/units/$unit" "$d/argv" "$d/exe" <<'PY' || fail "ExecStart= does not round-trip: $(grep ExecStart= "$d/units/$unit")"
import re, sys
line = [l for l in open(sys.argv[1]) if l.startswith("ExecStart=")][0][len("ExecStart="):].rstrip("\n")
words, i = [], 0
while i < len(line):
    if line[i] == " ":
        i += 1
        continue
    assert line[i] == '"', line
    i += 1
    w = bytearray()
    while line[i] != '"':
        c = line[i]
        if c == "\\":
            n = line[i + 1]
            if n == "x":
                w.append(int(line[i + 2:i + 4], 16))
                i += 4
                continue
            w += {"\\": b"\\", '"': b'"', "n": b"\n", "t": b"\t", "'": b"'"}[n]
            i += 2
            continue
        if c in "%$" and line[i + 1] == c:
            i += 1
        w += c.encode()
        i += 1
    words.append(bytes(w))
    i += 1
argv = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
exe = open(sys.argv[3], "rb").read().rstrip(b"\n")
if words[0].startswith(b"@"):
    ok = words[0][1:] == exe and words[1:] == argv
else:
    ok = words == argv
print("ExecStart words:", words, "argv:", argv, "exe:", exe) if not ok else None
sys.exit(0 if ok else 1)
PY
if command -v systemd-analyze >/dev/null; then
        v=$(systemd-analyze verify "$d/units/$unit" 2>&1) || fail "systemd-analyze verify refuses $unit: $v"
else
        echo "unmanaged: note: systemd-analyze is not installed; the unit is not verified"
fi

kill "$pid"
for _ in $(seq 1200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
done
kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs"
out=$(in_ns sh -c '"$0" check unmanaged-service' "$HOSTFIT" 2>&1)
echo "$out" | grep -q "pid $pid:" && fail "pid $pid still reported after it exited: $out"
echo "$out" | grep -q "port $port " && fail "port $port still reported after the server exited: $out"
pid=""
exit 0
