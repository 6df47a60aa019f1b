#!/bin/sh
# SPDX-License-Identifier: MIT
# btrfs: a swapfile stops every snapshot of its subvolume, so hostfit makes one
# only in a subvolume of its own. On a loop-mounted btrfs image (an offline
# root): with the file asked for in the top-level subvolume, fix refuses with
# the manual step; in a dedicated subvolume, fix --yes makes it NOCOW with a
# swap signature, the kernel swaps on it, and a second fix plans nothing.
# The trap swaps off, unmounts and detaches, always.
set -eu
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"

skip() { echo "btrfs: skipped: $*"; exit 77; }
fail() { echo "btrfs: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root"
for cmd in losetup mkfs.btrfs btrfs lsattr blkid swapon swapoff mount; do
        command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found (btrfs-progs: tests/live/packages)"
done
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || true
grep -qw btrfs /proc/filesystems || skip "this kernel has no btrfs"
HOSTFIT=$(realpath "$HOSTFIT")

tmp=$(mktemp -d /tmp/hostfit-live.XXXXXX)
loop="" mnt="$tmp/mnt"
cleanup() {
        st=$?
        set +e
        grep -q "^$mnt/" /proc/swaps && swapoff "$mnt/swap/swapfile"
        mountpoint -q "$mnt" && umount "$mnt"
        [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
        rm -rf "$tmp"
        exit $st
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$mnt"
truncate -s 256M "$tmp/fs.img"
mkfs.btrfs -q -f "$tmp/fs.img" > /dev/null
loop=$(losetup --find --show "$tmp/fs.img")
mount -t btrfs "$loop" "$mnt" || skip "cannot mount btrfs here"
mkdir -p "$mnt/etc/hostfit"
: > "$mnt/etc/fstab"

# In the top-level subvolume: refused, with the step that makes a subvolume.
printf '[swap]\npath = /swapfile\nsize = 32M\n' > "$mnt/etc/hostfit/hostfit.conf"
out=$("$HOSTFIT" fix swap-missing --dry-run --root "$mnt" 2>&1) || true
case $out in
*"btrfs subvolume create /swap"*) ;;
*) fail "no manual step for a swapfile in the top-level subvolume: $out" ;;
esac
"$HOSTFIT" fix swap-missing --yes --root "$mnt" > /dev/null 2>&1 || true
[ ! -e "$mnt/swapfile" ] || fail "a swapfile was made in the top-level subvolume"

# In a subvolume of its own: made NOCOW, with a signature the kernel takes.
btrfs subvolume create "$mnt/swap" > /dev/null
printf '[swap]\npath = /swap/swapfile\nsize = 32M\n' > "$mnt/etc/hostfit/hostfit.conf"
"$HOSTFIT" fix swap-missing --yes --root "$mnt" > "$tmp/fix.out" 2>&1 || fail "fix --yes exited $?: $(cat "$tmp/fix.out")"
[ -f "$mnt/swap/swapfile" ] || fail "no swapfile in the subvolume"
lsattr "$mnt/swap/swapfile" | cut -d' ' -f1 | grep -q C || fail "the swapfile is not NOCOW: $(lsattr "$mnt/swap/swapfile")"
[ "$(blkid -o value -s TYPE "$mnt/swap/swapfile")" = swap ] || fail "no swap signature"
grep -q '^/swap/swapfile[[:space:]]' "$mnt/etc/fstab" || fail "no fstab line: $(cat "$mnt/etc/fstab")"
swapon "$mnt/swap/swapfile" || fail "the kernel refuses the btrfs swapfile"
swapoff "$mnt/swap/swapfile"
out=$("$HOSTFIT" fix swap-missing --dry-run --root "$mnt" 2>&1) || true
case $out in
*"swapfile /swap/swapfile"*|*"/etc/fstab"*) fail "a second fix still plans: $out" ;;
esac
echo "btrfs: ok"
