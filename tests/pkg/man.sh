#!/bin/sh
# hostfit(8): mandoc lint clean, and it documents every check id, command and option the binary has.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need mandoc
MAN=docs/hostfit.8

out=$(mandoc -T lint -W warning "$MAN" 2>&1); st=$?
[ -n "$out" ] && printf '%s\n' "$out"
check "mandoc -T lint -W warning $MAN is clean" [ "$st" -eq 0 -a -z "$out" ]
check "$MAN renders as text" sh -c "mandoc -T ascii '$MAN' | sed 's/.\\x08//g' | grep -q '^EXIT STATUS'"

need_hostfit
ids=$(check_ids) || bad "hostfit list --ids exits 0"
check "hostfit list --ids lists checks" [ -n "$ids" ]
for id in $ids; do
        check "check id $id has an entry in CHECKS" grep -qx "\.It Cm $id" "$MAN"
done
# Every command of hostfit --help, and every long option of each command's --help.
cmds=$("$HOSTFIT" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
check "hostfit --help lists commands" [ -n "$cmds" ]
for c in $cmds; do
        check "command $c has an entry in COMMANDS" grep -q "^\.It Cm $c\( \|$\)" "$MAN"
        [ "$c" = help ] && continue
        for opt in $("$HOSTFIT" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
                check "option $opt of $c is documented" grep -q "^\.It Fl -${opt#--}\( \|$\)" "$MAN"
        done
done
# Every key of the example configuration is documented.
for key in $(sed -n 's/^#\{0,1\}\([a-z-]*\) *=.*/\1/p' docs/hostfit.conf.example | sort -u); do
        check "config key $key is documented" grep -q "^\.It Cm $key =" "$MAN"
done
# hostfit itself accepts the example configuration, every key uncommented.
root=$PKG_TMP/root; mkdir -p "$root/etc/hostfit"
# (the skip line names checks: each must be one)
uncomment='s/^#\([a-z-]* *=\)/\1/'
for id in $(sed -n 's/^#skip *= *//p' docs/hostfit.conf.example); do
        check "the example's skip line names a check ($id)" sh -c "printf '%s\n' '$ids' | grep -qx '$id'"
done
sed "$uncomment" docs/hostfit.conf.example > "$root/etc/hostfit/hostfit.conf"
"$HOSTFIT" check --root "$root" > /dev/null 2> "$PKG_TMP/err"
cat "$PKG_TMP/err"
check "hostfit accepts docs/hostfit.conf.example" sh -c "! grep -q hostfit.conf '$PKG_TMP/err'"
printf '[swap]\nno-such-key = 1\n' > "$root/etc/hostfit/hostfit.conf"
"$HOSTFIT" check --root "$root" > /dev/null 2> "$PKG_TMP/err"
check "hostfit refuses an unknown key (the check above can fail)" grep -q hostfit.conf "$PKG_TMP/err"
finish
