#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package: dpkg-buildpackage builds it, lintian finds no error, and
# it installs, runs and removes cleanly.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need dpkg-buildpackage dh lintian dpkg-query

version=$(cat VERSION)
check "debian/changelog is at VERSION ($version)" \
        [ "$(dpkg-parsechangelog -S Version)" = "$version" ]

# Build from a copy of the tree so the artifacts land in the test's directory.
src=$PKG_TMP/hostfit-$version; mkdir -p "$src"
tar --exclude=./build --exclude=./build-san --exclude=./.git -cf - . | tar -xf - -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$PKG_TMP/build.log" 2>&1; st=$?
[ "$st" -eq 0 ] || tail -n 40 "$PKG_TMP/build.log"
check "dpkg-buildpackage -us -uc -b builds ($st)" [ "$st" -eq 0 ]
deb=$(ls "$PKG_TMP"/hostfit_"$version"_*.deb 2>/dev/null | head -n1)
check "the .deb exists" [ -n "$deb" ]
[ -n "$deb" ] || { finish; exit; }
check "the unit tests ran during the build" grep -q "^unit: [0-9]* passed, 0 failed" "$PKG_TMP/build.log"

lintian --fail-on error --tag-display-limit 0 "$PKG_TMP"/hostfit_"$version"_*.changes > "$PKG_TMP/lintian.log" 2>&1; st=$?
cat "$PKG_TMP/lintian.log"
check "lintian reports no error ($st)" [ "$st" -eq 0 ]
check "lintian output has no E: line" sh -c "! grep -q '^E:' '$PKG_TMP/lintian.log'"

files="/usr/sbin/hostfit /usr/share/man/man8/hostfit.8.gz /usr/lib/systemd/catalog/hostfit.catalog
/usr/share/bash-completion/completions/hostfit /usr/share/zsh/vendor-completions/_hostfit
/usr/share/fish/vendor_completions.d/hostfit.fish /usr/share/doc/hostfit/copyright
/usr/share/doc/hostfit/hostfit.conf.example /usr/share/doc/hostfit/hostfit-check.schema.json
/usr/share/doc/hostfit/hostfit-fix.schema.json /usr/share/doc/hostfit/hostfit-incidents.schema.json
/usr/share/doc/hostfit/hostfit-history.schema.json /usr/share/doc/hostfit/hostfit-list.schema.json
/usr/share/doc/hostfit/examples/hostfit-check.timer
/usr/share/doc/hostfit/examples/hostfit-check.service /usr/share/doc/hostfit/examples/cloud-init.yaml
/usr/share/doc/hostfit/examples/ansible/hostfit.yml"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||')
for f in $files; do
        check "the package ships $f" sh -c "printf '%s\n' '$contents' | grep -qx '$f'"
done
check "the package ships nothing under /etc" sh -c "! printf '%s\n' '$contents' | grep -q '^/etc/'"
check "the binary is stripped of nothing it needs (ELF, executable)" \
        sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/sbin/hostfit | head -c4 | grep -q ELF"

if [ "$(id -u)" -ne 0 ]; then
        echo "note: not root; install and removal not tested"
        finish; exit
fi
if dpkg-query -W -f='${Status}' hostfit 2>/dev/null | grep -q 'ok installed'; then
        echo "note: hostfit is already installed on this machine; install and removal not tested"
        finish; exit
fi
trap 'dpkg --purge hostfit >/dev/null 2>&1; rm -rf "$PKG_TMP"' EXIT INT TERM
dpkg -i "$deb" > "$PKG_TMP/install.log" 2>&1; st=$?
[ "$st" -eq 0 ] || cat "$PKG_TMP/install.log"
check "dpkg -i installs the package ($st)" [ "$st" -eq 0 ]
for f in $files; do
        check "installed: $f" [ -f "$f" ]
done
check "/usr/sbin/hostfit --version prints $version" sh -c "/usr/sbin/hostfit --version | grep -qx 'hostfit $version'"
check "man finds hostfit(8)" sh -c "man -w 8 hostfit | grep -q /usr/share/man/man8/hostfit.8.gz"
installed=$(dpkg -L hostfit)
dpkg -r hostfit > "$PKG_TMP/remove.log" 2>&1; st=$?
check "dpkg -r removes the package ($st)" [ "$st" -eq 0 ]
left=""
for f in $installed; do
        [ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
done
check "no file of the package is left after dpkg -r${left:+ (left:$left)}" [ -z "$left" ]
check "/usr/share/doc/hostfit is gone" [ ! -e /usr/share/doc/hostfit ]
dpkg --purge hostfit > /dev/null 2>&1
check "nothing of hostfit is left in dpkg's database" sh -c "! dpkg-query -W hostfit 2>/dev/null | grep -q ."
finish
