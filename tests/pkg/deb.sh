#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package: make deb builds it, lintian --pedantic -I -E shows no tag
# (each override says why), it ships the units disabled and the Ansible
# collection, and (as root, where hostfit is not installed) it installs,
# passes its autopkgtest, and purge says what it leaves.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need dpkg-buildpackage dh lintian dpkg-query

version=$(cat VERSION)
check "debian/changelog is at VERSION ($version)" \
        [ "$(dpkg-parsechangelog -S Version)" = "$version" ]

# make deb builds from a copy of the tree, under BUILD.
make -s deb BUILD="$PKG_TMP/b" > "$PKG_TMP/build.log" 2>&1; st=$?
[ "$st" -eq 0 ] || tail -n 40 "$PKG_TMP/build.log"
check "make deb builds ($st)" [ "$st" -eq 0 ]
deb=$(ls "$PKG_TMP"/b/deb/hostfit_"$version"_*.deb 2>/dev/null | head -n1)
check "the .deb exists" [ -n "$deb" ]
[ -n "$deb" ] || { finish; exit; }
check "make deps installs what make deb needs (debhelper, dpkg-dev, fakeroot)" \
        sh -c "sed -n '/^DEB_PKGS/,/[^\\\\]\$/p' Makefile | grep -q 'debhelper dpkg-dev fakeroot'"
check "the unit tests ran during the build" grep -q "^unit: [0-9]* passed, 0 failed" "$PKG_TMP/build.log"

lintian --pedantic -I -E --tag-display-limit 0 "$PKG_TMP"/b/deb/hostfit_"$version"_*.changes > "$PKG_TMP/lintian.log" 2>&1; st=$?
cat "$PKG_TMP/lintian.log"
check "lintian --pedantic -I -E runs ($st)" [ "$st" -eq 0 ]
check "lintian --pedantic -I -E shows no tag" sh -c "! grep -Eq '^[EWIPXC]: ' '$PKG_TMP/lintian.log'"
# Every override has a comment above it that says why.
check "each lintian override follows its reason" awk '/^#/ { c = 1; next } /^hostfit: / { if (!c) bad = 1; next } { c = 0 } END { exit bad }' debian/hostfit.lintian-overrides
check "the package ships its lintian overrides" sh -c "dpkg-deb -c '$deb' | grep -q './usr/share/lintian/overrides/hostfit$'"
files="/usr/bin/hostfit /usr/share/man/man1/hostfit.1.gz /usr/lib/systemd/catalog/hostfit.catalog
/usr/share/bash-completion/completions/hostfit /usr/share/zsh/vendor-completions/_hostfit
/usr/share/fish/vendor_completions.d/hostfit.fish /usr/share/doc/hostfit/copyright
/usr/share/doc/hostfit/hostfit.conf.example /usr/share/doc/hostfit/hostfit-check.schema.json
/usr/share/doc/hostfit/hostfit-fix.schema.json /usr/share/doc/hostfit/hostfit-incidents.schema.json
/usr/share/doc/hostfit/hostfit-history.schema.json /usr/share/doc/hostfit/hostfit-list.schema.json
/usr/share/doc/hostfit/examples/hostfit-check.timer
/usr/share/doc/hostfit/examples/hostfit-check.service /usr/share/doc/hostfit/examples/cloud-init.yaml
/usr/share/doc/hostfit/examples/ansible/hostfit.yml
/usr/lib/systemd/system/hostfit-check.service /usr/lib/systemd/system/hostfit-check.timer
/usr/lib/systemd/system/hostfit-health@.service /usr/lib/systemd/system/hostfit-health@.timer
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/galaxy.yml
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/meta/runtime.yml
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/plugins/modules/check.py
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/plugins/modules/fix.py
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/plugins/modules/undo.py
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/plugins/module_utils/hostfit.py
/usr/share/ansible/collections/ansible_collections/hostfit/hostfit/roles/hostfit/meta/argument_specs.yml"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||')
for f in $files; do
        check "the package ships $f" sh -c "printf '%s\n' '$contents' | grep -qx '$f'"
done
check "the package ships nothing under /etc" sh -c "! printf '%s\n' '$contents' | grep -q '^/etc/'"
unpacked=$PKG_TMP/unpacked; dpkg-deb -x "$deb" "$unpacked"; dpkg-deb -e "$deb" "$unpacked/DEBIAN"
coll=$unpacked/usr/share/ansible/collections/ansible_collections/hostfit/hostfit
check "the packaged collection is the tree's (every file but its tests and lint settings)" \
        sh -c "cd ansible/ansible_collections/hostfit/hostfit && git ls-files . 2>/dev/null | grep -v '^tests/\|^\.' | while read -r f; do cmp -s \"\$f\" '$coll'/\"\$f\" || { echo \"differs: \$f\"; exit 1; }; done"
check "the units run the packaged /usr/bin/hostfit, placeholders filled" \
        sh -c "! grep -q '{{' '$unpacked'/usr/lib/systemd/system/hostfit-* && grep -q '^ExecStart=\"/usr/bin/hostfit\" check' '$unpacked'/usr/lib/systemd/system/hostfit-check.service && grep -q '^ExecStart=\"/usr/bin/hostfit\" probe \"%I\"' '$unpacked'/usr/lib/systemd/system/hostfit-health@.service"
check "no maintainer script enables or starts a unit (they ship disabled)" \
        sh -c "! cat '$unpacked'/DEBIAN/post* '$unpacked'/DEBIAN/pre* 2>/dev/null | grep -Eq 'deb-systemd-helper (enable|reenable)|deb-systemd-invoke (start|restart)|systemctl (enable|start)'"
if command -v ansible-doc > /dev/null; then
        check "ansible-doc finds hostfit.hostfit.fix in the packaged collections directory" \
                sh -c "ANSIBLE_COLLECTIONS_PATH='$unpacked/usr/share/ansible/collections' ANSIBLE_HOME='$PKG_TMP/ah' ansible-doc -t module hostfit.hostfit.fix | grep -q '^> HOSTFIT.HOSTFIT.FIX'"
fi
check "debian/tests/control runs the CLI layer against the installed package" \
        sh -c "grep -q '^Tests: cli' debian/tests/control && grep -q 'HOSTFIT=/usr/bin/hostfit sh tests/cli/run.sh' debian/tests/cli"
# Where the package puts hostfit (/usr/bin: on an unprivileged user's PATH) is the one
# place every file names: no unit, document, example or module default says /usr/sbin
# (lib/host/selfpath.c and hostfit.conf(5) still look there in an image), and the
# manual is in section 1, as a command any user runs.
check "the binary is /usr/bin/hostfit and nothing is in /usr/sbin" \
        sh -c "printf '%s\n' '$contents' | grep -qx /usr/bin/hostfit && ! printf '%s\n' '$contents' | grep -q '^/usr/sbin/.'"
sbin=$(git grep -n -e 'sbin/hostfit' -e 'hostfit(8)' -e 'man 8 hostfit' -e 'hostfit\.8' -e 'SBINDIR' -- . \
        ':!tests' ':!lib/host/selfpath.c' ':!debian/hostfit.lintian-overrides' 2>/dev/null | grep -Ev '^docs/hostfit.conf.5:[0-9]+:\.Pa /usr/(local/)?sbin/hostfit ')
[ -z "$sbin" ] || printf '%s\n' "$sbin"
check "no file outside the tests names /usr/sbin/hostfit, SBINDIR or hostfit(8)" [ -z "$sbin" ]
check "the manual page is hostfit(1)" sh -c "grep -qx '.Dt HOSTFIT 1' docs/hostfit.1 && printf '%s\n' '$contents' | grep -qx /usr/share/man/man1/hostfit.1.gz"
check "the module default executable is hostfit, found on PATH" \
        grep -q "executable=dict(type='str', default='hostfit'" ansible/ansible_collections/hostfit/hostfit/plugins/module_utils/hostfit.py
check "the binary is stripped of nothing it needs (ELF, executable)" \
        sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -xOf - ./usr/bin/hostfit | head -c4 | grep -q ELF"

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
check "/usr/bin/hostfit --version prints $version" sh -c "/usr/bin/hostfit --version | grep -qx 'hostfit $version'"
check "man finds hostfit(1)" sh -c "man -w 1 hostfit | grep -q /usr/share/man/man1/hostfit.1.gz"
check "the packaged units are not enabled" sh -c "! ls /etc/systemd/system/timers.target.wants/hostfit-check.timer 2>/dev/null"
if command -v systemd-analyze > /dev/null; then
        out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no /usr/lib/systemd/system/hostfit-check.service \
                /usr/lib/systemd/system/hostfit-check.timer 2>&1); st=$?
        check "systemd-analyze verify accepts the installed check service and timer ($st${out:+: $out})" [ "$st" -eq 0 ]
fi
# The autopkgtest, on the package installed here (autopkgtest's null runner: this host),
# from a copy of the source as make deb packs it: autopkgtest copies the tree it is given,
# and other test layers may be writing their build directories in this one meanwhile.
if command -v autopkgtest > /dev/null; then
        src=$PKG_TMP/src
        mkdir -p "$src" && tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -xf - -C "$src"
        autopkgtest --no-built-binaries -o "$PKG_TMP/apt-out" "$src" -- null > "$PKG_TMP/autopkgtest.log" 2>&1; st=$?
        tail -n 15 "$PKG_TMP/autopkgtest.log"
        check "autopkgtest: debian/tests/cli passes against /usr/bin/hostfit ($st)" \
                sh -c "[ $st -eq 0 ] && grep -Eq '^cli +PASS' '$PKG_TMP/autopkgtest.log'"
        check "autopkgtest: debian/tests/unprivileged: nobody runs hostfit check by name, with a login's PATH" \
                grep -Eq '^unprivileged +PASS' "$PKG_TMP/autopkgtest.log"
else
        echo "skip: autopkgtest not installed (tests/pkg/packages)"
fi
installed=$(dpkg -L hostfit)
dpkg -r hostfit > "$PKG_TMP/remove.log" 2>&1; st=$?
check "dpkg -r removes the package ($st)" [ "$st" -eq 0 ]
left=""
for f in $installed; do
        [ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
done
check "no file of the package is left after dpkg -r${left:+ (left:$left)}" [ -z "$left" ]
check "/usr/share/doc/hostfit is gone" [ ! -e /usr/share/doc/hostfit ]
# Purge says what it leaves: a run record directory made for the test, if none was there.
made=""
[ -d /var/lib/hostfit/runs ] || { mkdir -p /var/lib/hostfit/runs && made=1; }
dpkg --purge hostfit > "$PKG_TMP/purge.log" 2>&1; st=$?
cat "$PKG_TMP/purge.log"
check "dpkg --purge ($st)" [ "$st" -eq 0 ]
check "purge says it leaves the run records" grep -q 'hostfit: purge leaves /var/lib/hostfit/runs' "$PKG_TMP/purge.log"
check "purge keeps the run records" [ -d /var/lib/hostfit/runs ]
[ -z "$made" ] || rmdir /var/lib/hostfit/runs /var/lib/hostfit 2>/dev/null
check "nothing of hostfit is left in dpkg's database" sh -c "! dpkg-query -W hostfit 2>/dev/null | grep -q ."
finish
