#!/bin/sh
# SPDX-License-Identifier: MIT
# A real swapfile: `hostfit fix swap-missing --yes` makes one on a loop-mounted
# ext4 image, swaps on it and adds its fstab line; `check` then passes and a
# second `fix --dry-run` plans nothing. Runs in a private mount namespace with
# /etc under an overlay, so the fstab and hostfit.conf it edits are copies.
# /proc/swaps is machine-wide: the trap swaps off and detaches everything, always.
# Inside a container (docker, podman, nspawn, lxc) it checks the other side:
# swap-missing skips, and fix plans and writes nothing.
set -eu
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"

skip() { echo "swap: skipped: $*"; exit 77; }
fail() { echo "swap: FAIL: $*" >&2; exit 1; }

if [ -z "${HOSTFIT_LIVE_NS:-}" ]; then
        [ "$(id -u)" -eq 0 ] || skip "needs root"
        for cmd in unshare losetup mkfs.ext4 swapoff mount; do
                command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
        done
        HOSTFIT=$(realpath "$HOSTFIT")
        export HOSTFIT HOSTFIT_LIVE_NS=1
        unshare --mount --propagation private true 2>/dev/null || skip "cannot make a mount namespace"
        before=$(cat /etc/fstab 2>/dev/null | cksum)
        st=0
        unshare --mount --propagation private sh "$0" || st=$?
        # The namespace is gone; if its trap could not run, say what is left.
        if grep -q '/hostfit-live\.' /proc/swaps; then
                echo "swap: a test swapfile is still active:" >&2
                grep '/hostfit-live\.' /proc/swaps >&2
                st=1
        fi
        if [ "$(cat /etc/fstab 2>/dev/null | cksum)" != "$before" ]; then
                echo "swap: FAIL: the real /etc/fstab changed" >&2
                st=1
        fi
        exit $st
fi

tmp=$(mktemp -d /tmp/hostfit-live.XXXXXX)
loop="" mnt="$tmp/mnt" swapfile="$tmp/mnt/swapfile" etc_over=no
cleanup() {
        st=$?
        set +e
        grep -q "^$swapfile[[:space:]]" /proc/swaps && swapoff "$swapfile"
        [ "$etc_over" = yes ] && umount /etc
        mountpoint -q "$mnt" && umount "$mnt"
        [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
        rm -rf "$tmp"
        exit $st
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$mnt" "$tmp/upper" "$tmp/work"
truncate -s 64M "$tmp/fs.img"
mkfs.ext4 -q -F "$tmp/fs.img"
loop=$(losetup --find --show "$tmp/fs.img")
mount "$loop" "$mnt"

# An overlay rather than a bind mount of /etc/fstab: hostfit replaces files by
# rename, which a file bind mount refuses (EBUSY), and /etc/hostfit may not exist.
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work" /etc
etc_over=yes
mkdir -p /etc/hostfit
printf '[swap]\npath = %s\nsize = 32M\n' "$swapfile" > /etc/hostfit/hostfit.conf

if awk 'NR > 1 && $1 !~ /^\/dev\/zram/' /proc/swaps | grep -q .; then
        skip "this machine already has disk swap: swap-missing would pass before the fix"
fi

# Inside a container swap belongs to the host: hostfit must say skip and
# plan nothing (a swapfile there was once made, then refused by swapon).
out=$("$HOSTFIT" check swap-missing --format json)
case $out in
*'"status":"skip"'*'inside a container ('*)
        fstab_before=$(cat /etc/fstab)
        plan=$("$HOSTFIT" fix swap-missing --dry-run --format json) || fail "fix --dry-run exited $?"
        printf '%s\n' "$plan" | grep -q '"actions":\[\]' || fail "a container, yet fix plans: $plan"
        "$HOSTFIT" fix swap-missing --yes || fail "fix swap-missing --yes exited $? in a container"
        [ ! -e "$swapfile" ] || fail "a container, yet fix made $swapfile"
        [ "$(cat /etc/fstab)" = "$fstab_before" ] || fail "a container, yet fix changed /etc/fstab"
        echo "swap: ok: inside a container: check skips, fix plans and writes nothing (the VM scenario 01 makes real swap)"
        exit 0 ;;
esac

"$HOSTFIT" fix swap-missing --yes || fail "fix swap-missing --yes exited $?"
grep -q "^$swapfile[[:space:]]" /proc/swaps || fail "$swapfile is not in /proc/swaps"
grep -qx "$swapfile none swap sw 0 0" /etc/fstab || fail "the fstab copy has no line for $swapfile"
[ "$(stat -c %a "$swapfile")" = 600 ] || fail "$swapfile is not mode 0600"
size=$(stat -c %s "$swapfile")
[ "$size" -eq 33554432 ] || fail "$swapfile is $size bytes, not 32 MiB"

"$HOSTFIT" check swap-missing || fail "check swap-missing exited $? after the fix"
out=$("$HOSTFIT" fix swap-missing --dry-run --format json) || fail "fix --dry-run exited $?"
printf '%s\n' "$out" | grep -q '"actions":\[\]' || fail "second run plans: $out"
echo "swap: ok: $swapfile active, in fstab, check passes, second plan empty"
