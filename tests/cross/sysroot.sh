#!/bin/sh
# SPDX-License-Identifier: MIT
# A sysroot of ARCH's libraries that hostfit builds against:
#   sh tests/cross/sysroot.sh ARCH DIR DEV-PACKAGE...
# The -dev packages and the libraries they need are downloaded (apt-get
# download) and unpacked into DIR with dpkg -x, never installed: multiarch
# installs need the host's own libraries at the same versions, which a
# mirror does not always have for every architecture.
# apt runs on a private state in DIR.apt (its own lists, cache and an empty
# status file) with ARCH as its only architecture: dpkg's architectures and
# the host's apt indexes are never changed, so the host's own apt-get update
# never fetches a foreign index.  The sources are the host's.
# The C library comes from the cross toolchain (crossbuild-essential-ARCH).
set -eu
arch=$1 dir=$2
shift 2
stamp="$arch $*"
[ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && exit 0
st=$dir.apt
mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
: > "$st/status"
set -- "$@" -- -o "Dir::State=$st" -o "Dir::State::Lists=$st/lists" \
        -o "Dir::State::status=$st/status" -o "Dir::Cache=$st/cache" \
        -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin \
        -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" \
        -o APT::Sandbox::User=root -o Acquire::Languages=none
pkgs= opts=
for a in "$@"; do
        if [ "$a" = -- ]; then opts=1; continue; fi
        [ -n "$opts" ] || pkgs="$pkgs $a"
done
while [ "$1" != -- ]; do shift; done
shift
# A mirror caught mid-sync fails one update: three tries, then the indexes
# a previous run left.
ok=
for try in 1 2 3; do
        if apt-get -qq "$@" update > "$st/update.log" 2>&1; then ok=1; break; fi
        sleep $((try * 5))
done
if [ -z "$ok" ]; then
        if ls "$st/lists"/*_Packages* > /dev/null 2>&1; then
                echo "cross: $arch: apt-get update failed, using the indexes of the last update" >&2
        else
                cat "$st/update.log" >&2
                echo "cross: $arch: apt-get update failed and no index is left" >&2
                exit 1
        fi
fi
# Everything they depend on, less the C library and what only it needs.
# shellcheck disable=SC2086
all=$(apt-cache "$@" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $pkgs | grep '^[a-z0-9]' | sed "s/:$arch\$//" | sort -u |
        grep -Ev '^(libc6|libc6-dev|libc-dev-bin|libcrypt|libnsl|libtirpc|libgcc-s1|gcc-[0-9]+-base|linux-libc-dev|rpcsvc-proto|libgssapi|libk5crypto|libkrb5|libkeyutils|libcom-err|libssl)')
[ -n "$all" ] || { echo "cross: apt knows no $arch packages in $st/lists" >&2; exit 1; }
rm -rf "$dir.new"
mkdir -p "$dir.new/debs"
# shellcheck disable=SC2086
(cd "$dir.new/debs" && apt-get -qq "$@" download $all)
for d in "$dir.new"/debs/*.deb; do
        dpkg -x "$d" "$dir.new"
done
# A -dev package's link to /lib/TRIPLET/libX.so.N means the sysroot's copy.
find "$dir.new" -type l | while IFS= read -r l; do
        t=$(readlink "$l")
        case $t in /*) ln -sfn "$dir$t" "$l" ;; esac
done
rm -rf "$dir.new/debs"
echo "$stamp" > "$dir.new/.stamp"
rm -rf "$dir"
mv "$dir.new" "$dir"
