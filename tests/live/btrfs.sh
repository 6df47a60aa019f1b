#!/bin/sh
# SPDX-License-Identifier: MIT
# btrfs: a swapfile stops every snapshot of its subvolume, so hostfit makes one
# only in a subvolume of its own. On a loop-mounted btrfs image (an offline
# root):
# - the file asked for in the top-level subvolume, or in a directory that is
#   not a subvolume: fix refuses with the manual step, nothing is made;
# - the default path: the dry-run shows "btrfs subvolume create /swap" and
#   makes nothing; fix --yes makes /swap a subvolume (BTRFS_IOC_SUBVOL_CREATE)
#   and the file NOCOW in it with a swap signature, the kernel swaps on it,
#   a second fix plans nothing; undo --yes deletes the file and the subvolume
#   (BTRFS_IOC_SNAP_DESTROY) and restores fstab;
# - a subvolume the admin made: used as it is, kept by undo.
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
        awk -v m="$mnt/" 'index($1, m) == 1 { print $1 }' /proc/swaps | while read -r f; do swapoff "$f"; done
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
printf '# <file system> <mount point> <type> <options> <dump> <pass>\n' > "$mnt/etc/fstab"
fstab0=$(cksum < "$mnt/etc/fstab")
subvols() { btrfs subvolume list -o "$mnt" | awk '{ print $NF }' | sort | tr '\n' ' '; }
fix() { "$HOSTFIT" fix swap-missing "$@" --root "$mnt" 2>&1; }

# In the top-level subvolume, or a plain directory: refused, nothing made.
for p in /swapfile /plain/swapfile; do
        mkdir -p "$mnt/plain"
        printf '[swap]\npath = %s\nsize = 32M\n' "$p" > "$mnt/etc/hostfit/hostfit.conf"
        out=$(fix --dry-run) || true
        case $out in
        *"a subvolume that is not its own"*"zram"*) ;;
        *) fail "$p: no refusal naming the subvolume and zram: $out" ;;
        esac
        case $out in *"subvolume create"*) fail "$p: a subvolume is planned: $out" ;; esac
        fix --yes > /dev/null || true
        [ ! -e "$mnt$p" ] || fail "a swapfile was made at $p"
        [ "$(cksum < "$mnt/etc/fstab")" = "$fstab0" ] || fail "$p: fstab changed: $(cat "$mnt/etc/fstab")"
done
rmdir "$mnt/plain"
[ -z "$(subvols)" ] || fail "subvolumes after the refusals: $(subvols)"

# The default path: a subvolume of its own, /swap, shown in the dry-run.
printf '[swap]\nsize = 32M\n' > "$mnt/etc/hostfit/hostfit.conf"
out=$(fix --dry-run) || true
case $out in
*"btrfs subvolume create /swap"*"swapfile /swap/swapfile"*) ;;
*) fail "the dry-run does not show the subvolume, then the swapfile: $out" ;;
esac
[ ! -e "$mnt/swap" ] || fail "the dry-run made /swap"
fix --yes > "$tmp/fix.out" || fail "fix --yes exited $?: $(cat "$tmp/fix.out")"
[ "$(stat -c %i "$mnt/swap")" = 256 ] || fail "/swap is not a subvolume root (inode $(stat -c %i "$mnt/swap"))"
[ "$(subvols)" = "swap " ] || fail "subvolumes after the fix: '$(subvols)'"
[ -f "$mnt/swap/swapfile" ] || fail "no swapfile in the subvolume: $(cat "$tmp/fix.out")"
lsattr "$mnt/swap/swapfile" | cut -d' ' -f1 | grep -q C || fail "the swapfile is not NOCOW: $(lsattr "$mnt/swap/swapfile")"
[ "$(blkid -o value -s TYPE "$mnt/swap/swapfile")" = swap ] || fail "no swap signature"
grep -q '^/swap/swapfile[[:space:]]' "$mnt/etc/fstab" || fail "no fstab line: $(cat "$mnt/etc/fstab")"
swapon "$mnt/swap/swapfile" || fail "the kernel refuses the btrfs swapfile"
swapoff "$mnt/swap/swapfile"
out=$(fix --dry-run) || true
case $out in
*"subvolume create"*|*"swapfile /swap/swapfile"*|*"/etc/fstab"*) fail "a second fix still plans: $out" ;;
esac

# undo: the file, its fstab line and the subvolume go.
out=$("$HOSTFIT" undo --dry-run --root "$mnt" 2>&1) || fail "undo --dry-run exited $?: $out"
case $out in
*"delete btrfs subvolume /swap"*) ;;
*) fail "the undo plan does not delete the subvolume: $out" ;;
esac
"$HOSTFIT" undo --yes --root "$mnt" > "$tmp/undo.out" 2>&1 || fail "undo --yes exited $?: $(cat "$tmp/undo.out")"
[ ! -e "$mnt/swap" ] || fail "/swap is still there after undo: $(cat "$tmp/undo.out")"
[ -z "$(subvols)" ] || fail "subvolumes after undo: $(subvols)"
[ "$(cksum < "$mnt/etc/fstab")" = "$fstab0" ] || fail "fstab not restored: $(cat "$mnt/etc/fstab")"

# A subvolume the admin made: used, and kept by undo.
btrfs subvolume create "$mnt/myswap" > /dev/null
printf '[swap]\npath = /myswap/swapfile\nsize = 32M\n' > "$mnt/etc/hostfit/hostfit.conf"
fix --yes > "$tmp/fix.out" || fail "fix --yes exited $?: $(cat "$tmp/fix.out")"
grep -q "subvolume create" "$tmp/fix.out" && fail "a subvolume was made beside the admin's: $(cat "$tmp/fix.out")"
[ "$(blkid -o value -s TYPE "$mnt/myswap/swapfile")" = swap ] || fail "no swapfile in the admin's subvolume"
"$HOSTFIT" undo --yes --root "$mnt" > "$tmp/undo.out" 2>&1 || fail "undo --yes exited $?: $(cat "$tmp/undo.out")"
[ ! -e "$mnt/myswap/swapfile" ] || fail "undo left /myswap/swapfile"
[ "$(subvols)" = "myswap " ] || fail "undo touched the admin's subvolume: '$(subvols)'"
echo "btrfs: ok"
