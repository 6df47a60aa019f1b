#!/bin/sh
# SPDX-License-Identifier: MIT
# Live: what a user leaves where hostfit expects a file never blocks or hangs it.
# Each hostfit run is bounded by `timeout 300`; meeting the bound (exit 124) is a
# failure, not a wait. Real processes, as root:
#   - a keepalive loop whose script is replaced by a FIFO;
#   - a copy of sleep named node, deleted, with a FIFO at its path;
#   - a FIFO at /etc/hostfit/hostfit.conf (in a private mount namespace);
#   - under --root: a FIFO at ROOT/proc/uptime, a character device and a 1 TiB
#     sparse file at ROOT/etc/fstab.
set -u
: "${HOSTFIT:?}"
HOSTFIT=$(readlink -f "$HOSTFIT")
[ "$(id -u)" -eq 0 ] || { echo "hostile-files: skipped: needs root"; exit 77; }
for t in timeout setsid mkfifo mknod unshare truncate; do
        command -v "$t" >/dev/null || { echo "hostile-files: skipped: $t is not installed"; exit 77; }
done

d=$(mktemp -d /tmp/hostfit-live-hostile.XXXXXX)
chmod 0755 "$d"
pids=""
made_etc=""
cleanup() {
        # Each runs in its own session (setsid): its group goes, the loop's sleep with it,
        # which would otherwise hold what the test inherited (a lock's fd) for 1000 s.
        for p in $pids; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
        [ -n "$made_etc" ] && rmdir /etc/hostfit 2>/dev/null
        rm -rf "$d"
}
trap cleanup EXIT INT TERM
fail() { echo "hostile-files: $*" >&2; exit 1; }

# Run hostfit with ARGS under a 300 s bound (it only catches a hang); $out and $st hold what it said and its exit.
bounded() {
        out=$(timeout 300 "$HOSTFIT" "$@" 2>&1 </dev/null); st=$?
        [ "$st" -eq 124 ] && fail "hostfit $* hung (killed after 30 s): $out"
        [ "$st" -le 3 ] || fail "hostfit $* exited $st: $out"
}

# A keepalive loop running a script, the script then replaced by a FIFO.
cat > "$d/loop.sh" <<'EOF'
while :; do sleep 1000; done
EOF
setsid -f sh "$d/loop.sh" </dev/null >/dev/null 2>&1 || fail "cannot start the loop"
# A copy of sleep named node, deleted, a FIFO at its path.
cp "$(command -v sleep)" "$d/node" || fail "cannot copy sleep"
setsid -f "$d/node" 1000 </dev/null >/dev/null 2>&1 || fail "cannot start node"
for _ in $(seq 1200); do     # up to 300 s: a loaded machine starts it late
        lp=$(pgrep -f "^sh $d/loop.sh\$" | head -n1)
        np=$(pgrep -f "^$d/node 1000\$" | head -n1)
        [ -n "$lp" ] && [ -n "$np" ] && break
        sleep 0.25
done
[ -n "$lp" ] && [ -n "$np" ] || fail "the processes did not start"
pids="$lp $np"
rm "$d/loop.sh" "$d/node"
mkfifo "$d/loop.sh" "$d/node"

bounded check keepalive-loop
bounded check node-heap-limit
bounded check unmanaged-service
bounded check

# A FIFO at /etc/hostfit/hostfit.conf: said, not waited on.
if [ ! -d /etc/hostfit ]; then
        mkdir /etc/hostfit && made_etc=1
fi
out=$(timeout 300 unshare -m sh -c '
        mount -t tmpfs -o size=64k hostfit-live /etc/hostfit || exit 90
        mkfifo /etc/hostfit/hostfit.conf
        exec "$@" </dev/null' sh "$HOSTFIT" check swap-missing 2>&1); st=$?
[ "$st" -eq 90 ] && { echo "hostile-files: skipped: cannot mount a tmpfs in a namespace"; exit 77; }
[ "$st" -eq 124 ] && fail "a FIFO at hostfit.conf hung check: $out"
echo "$out" | grep -q "hostfit.conf" || fail "a FIFO at hostfit.conf was not named ($st): $out"
[ -p /etc/hostfit/hostfit.conf ] && fail "the namespace's FIFO leaked"

# Under --root: an image tree with hostile files where /proc and /etc files belong.
root=$d/root
mkdir -p "$root/proc" "$root/etc"
mkfifo "$root/proc/uptime"
printf 'MemTotal:        8000000 kB\nMemAvailable:    4000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n' > "$root/proc/meminfo"
printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' > "$root/proc/swaps"
mkdir -p "$root/proc/1"
mkfifo "$root/proc/1/stat" "$root/proc/1/cmdline"
bounded check --root "$root"
bounded fix --dry-run --root "$root"

mknod "$root/etc/fstab" c 1 5
bounded check swap-missing --root "$root"
echo "$out" | grep -q "character device" || fail "a device at fstab was not named ($st): $out"
rm "$root/etc/fstab"

truncate -s 1T "$root/etc/fstab"
bounded check swap-missing --root "$root"
echo "$out" | grep -q "larger than hostfit reads" || fail "a 1 TiB fstab was not refused by its size ($st): $out"
bounded fix --dry-run swap-missing --root "$root"
exit 0
