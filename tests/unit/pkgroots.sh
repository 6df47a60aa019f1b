#!/bin/sh
# SPDX-License-Identifier: MIT
# The real files of the swap and zram managers hostfit must recognise, for the
# unit tests' fixture roots: each Debian package downloaded (apt-get download)
# and unpacked (dpkg-deb -x, never configured) into DIR/PKG, kept between runs.
# A package that cannot be had is left out; the tests that need it skip.
dir=${1:?usage: pkgroots.sh DIR}
for pkg in dphys-swapfile zram-tools systemd-zram-generator; do
        d=$dir/$pkg
        [ -e "$d/.unpacked" ] && continue
        rm -rf "$d" && mkdir -p "$d" || continue
        if (cd "$d" && apt-get download "$pkg" > download.log 2>&1 &&
                dpkg-deb -x "$pkg"_*.deb . && rm -f "$pkg"_*.deb download.log && : > .unpacked); then
                :
        else
                echo "pkgroots: cannot download and unpack Debian's $pkg; the tests on its files skip" >&2
        fi
done
exit 0
