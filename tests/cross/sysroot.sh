#!/bin/sh
# SPDX-License-Identifier: MIT
# A sysroot of ARCH's libraries that hostfit builds against:
#   sh tests/cross/sysroot.sh ARCH DIR DEV-PACKAGE...
# The -dev packages and the libraries they need are downloaded (apt-get
# download: dpkg must know ARCH) and unpacked into DIR with dpkg -x, never
# installed: multiarch installs need the host's own libraries at the same
# versions, which a mirror does not always have for every architecture.
# The C library comes from the cross toolchain (crossbuild-essential-ARCH).
set -eu
arch=$1 dir=$2
shift 2
stamp="$arch $*"
[ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && exit 0
rm -rf "$dir.new"
mkdir -p "$dir.new/debs"
pkgs=$(for p in "$@"; do printf '%s:%s\n' "$p" "$arch"; done)
# Everything they depend on, less the C library and what only it needs.
all=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $pkgs | grep "^[a-z0-9].*:$arch\$" | sort -u |
        grep -Ev '^(libc6|libc6-dev|libc-dev-bin|libcrypt|libnsl|libtirpc|libgcc-s1|gcc-[0-9]+-base|linux-libc-dev|rpcsvc-proto|libgssapi|libk5crypto|libkrb5|libkeyutils|libcom-err|libssl)')
[ -n "$all" ] || { echo "cross: apt knows no $arch packages (dpkg --add-architecture $arch; apt-get update)" >&2; exit 1; }
(cd "$dir.new/debs" && apt-get download -qq -o APT::Sandbox::User=root $all)
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
