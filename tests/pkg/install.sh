#!/bin/sh
# SPDX-License-Identifier: MIT
# make install puts exactly hostfit's files in their standard places under
# DESTDIR and PREFIX, never under /etc; make uninstall removes exactly those.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need make install

for prefix in /usr/local /usr; do
        d=$PKG_TMP/dest$(echo "$prefix" | tr / _)
        make -s install DESTDIR="$d" PREFIX="$prefix" > "$PKG_TMP/install.log" 2>&1; st=$?
        [ "$st" -eq 0 ] || cat "$PKG_TMP/install.log"
        check "make install PREFIX=$prefix ($st)" [ "$st" -eq 0 ]
        got=$(cd "$d" && find . -type f | sed 's|^\.||' | sort)
        want=$(sort <<LIST
$prefix/bin/hostfit
$prefix/share/man/man1/hostfit.1
$prefix/lib/systemd/catalog/hostfit.catalog
$prefix/share/man/man5/hostfit.conf.5
$prefix/share/bash-completion/completions/hostfit
$prefix/share/zsh/site-functions/_hostfit
$prefix/share/fish/vendor_completions.d/hostfit.fish
$prefix/share/doc/hostfit/hostfit.conf.example
$prefix/share/doc/hostfit/usage.md
$prefix/share/doc/hostfit/hostfit-check.schema.json
$prefix/share/doc/hostfit/hostfit-fix.schema.json
$prefix/share/doc/hostfit/hostfit-history.schema.json
$prefix/share/doc/hostfit/hostfit-incidents.schema.json
$prefix/share/doc/hostfit/hostfit-list.schema.json
$prefix/share/doc/hostfit/examples/cloud-init.yaml
$prefix/share/doc/hostfit/examples/hostfit-check.service
$prefix/share/doc/hostfit/examples/hostfit-check.timer
$prefix/share/doc/hostfit/examples/hostfit.rules.yml
$prefix/share/doc/hostfit/examples/ansible/hostfit.yml
$prefix/share/doc/hostfit/examples/ansible/inventory.example
LIST
)
        [ "$got" = "$want" ] || { echo "installed:"; echo "$got"; echo "expected:"; echo "$want"; }
        check "PREFIX=$prefix installs exactly the expected files" [ "$got" = "$want" ]
        check "PREFIX=$prefix installs nothing under /etc" [ ! -e "$d/etc" ]
        check "PREFIX=$prefix: the binary is executable (0755)" [ "$(stat -c %a "$d$prefix/bin/hostfit")" = 755 ]
        check "PREFIX=$prefix: the installed binary runs" sh -c "'$d$prefix/bin/hostfit' --version | grep -qx 'hostfit $(cat VERSION)'"
        check "PREFIX=$prefix: data files are 0644" \
                sh -c "! find '$d$prefix/share' -type f ! -perm 0644 | grep -q ."
        check "PREFIX=$prefix: the man page is docs/hostfit.1" cmp -s docs/hostfit.1 "$d$prefix/share/man/man1/hostfit.1"
        check "PREFIX=$prefix: the example service is a unit, its placeholders filled" \
                sh -c "! grep -q '{{' '$d$prefix/share/doc/hostfit/examples/hostfit-check.service'"
        check "PREFIX=$prefix: the bash completion is completions/hostfit.bash" \
                cmp -s completions/hostfit.bash "$d$prefix/share/bash-completion/completions/hostfit"

        # Something of the admin's beside ours must survive uninstall.
        mkdir -p "$d$prefix/share/doc/other" && echo keep > "$d$prefix/share/doc/other/file"
        make -s uninstall DESTDIR="$d" PREFIX="$prefix" > "$PKG_TMP/uninstall.log" 2>&1; st=$?
        [ "$st" -eq 0 ] || cat "$PKG_TMP/uninstall.log"
        check "make uninstall PREFIX=$prefix ($st)" [ "$st" -eq 0 ]
        left=$(cd "$d" && find . -type f | sed 's|^\.||')
        check "uninstall removes every installed file${left:+ (left: $left)}" [ "$left" = "$prefix/share/doc/other/file" ]
        check "uninstall removes hostfit's doc directory" [ ! -e "$d$prefix/share/doc/hostfit" ]
        check "uninstall keeps the shared directories" [ -d "$d$prefix/share/doc" -a -d "$d$prefix/bin" ]
done

# bash-completion finds the completion where make install puts it.
if [ -f /usr/share/bash-completion/bash_completion ] && command -v bash >/dev/null; then
        d=$PKG_TMP/bc; make -s install DESTDIR="$d" PREFIX=/usr > /dev/null 2>&1
        dir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
        check "bash completion lands in bash-completion's completionsdir ($dir)" [ -f "$d$dir/hostfit" ]
fi

# journalctl compiles the catalogue where make install puts it, under the
# MESSAGE_ID apply.c logs with.
if command -v journalctl >/dev/null; then
        d=$PKG_TMP/cat; make -s install DESTDIR="$d" PREFIX=/usr > /dev/null 2>&1
        id=$(sed -n 's/^#define HOSTFIT_CHANGE_MESSAGE_ID "\([0-9a-f]*\)"$/\1/p' lib/apply/apply.c)
        check "apply.c names one 128-bit MESSAGE_ID ($id)" [ "${#id}" -eq 32 ]
        mkdir -p "$d/var/lib/systemd/catalog"
        check "journalctl --update-catalog reads the installed catalogue" journalctl --root="$d" --update-catalog
        check "the catalogue explains MESSAGE_ID=$id" sh -c "journalctl --root='$d' --list-catalog $id | grep -q '^$id .*Host changed'"
fi
finish
