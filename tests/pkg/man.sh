#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit(1): mandoc lint clean, and it documents every check id, command and option the binary has.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need mandoc
MAN=docs/hostfit.1 CONF=docs/hostfit.conf.5

for m in "$MAN" "$CONF"; do
        out=$(mandoc -T lint -W warning "$m" 2>&1); st=$?
        [ -n "$out" ] && printf '%s\n' "$out"
        check "mandoc -T lint -W warning $m is clean" [ "$st" -eq 0 -a -z "$out" ]
done
for m in "$MAN" "$CONF"; do
        check "$m has a fixed date, not \$Mdocdate\$ (the day it is read)" sh -c "! grep -q 'Mdocdate' '$m'"
done
# SYNOPSIS: each command starts its own line ("hostfit undo" and "hostfit incidents" apart).
mandoc -T ascii "$MAN" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' > "$PKG_TMP/synopsis"
for c in check fix history undo incidents list explain probe help; do
        check "SYNOPSIS: hostfit $c on its own line" grep -q "^     hostfit $c" "$PKG_TMP/synopsis"
done
check "$CONF renders as text" sh -c "mandoc -T ascii '$CONF' | sed 's/.\\x08//g' | grep -q '^DESCRIPTION'"
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
                check "option $opt of $c is documented" grep -q "^\.It Fl \([a-zA-Z] , Fl \)\{0,1\}-${opt#--}\( \|$\)" "$MAN"
        done
done
# The options before the command, and every short option with its long one.
for opt in $("$HOSTFIT" --help | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        check "global option $opt is documented" grep -q "^\.It Fl \([a-zA-Z] , Fl \)\{0,1\}-${opt#--}\( \|$\)" "$MAN"
done
for c in "" $cmds; do
        [ "$c" = help ] && continue
        "$HOSTFIT" $c --help | sed -n 's/^ *-\([a-zA-Z]\), --\([a-z][a-z-]*\).*/\1 \2/p'
done | sort -u > "$PKG_TMP/shorts"
check "the --help of the commands show short options" [ -s "$PKG_TMP/shorts" ]
while read -r s l; do
        check "short option -$s documented with --$l" grep -q "^\.It Fl $s , Fl -$l\( \|$\)" "$MAN"
done < "$PKG_TMP/shorts"
check ".Os names hostfit, so the header is not a BSD manual's" grep -qx '\.Os hostfit.*' "$MAN"
# Every key hostfit accepts (the table in lib/host/config.c) is documented in
# hostfit.conf(5) under its section, and is in the example configuration.
keys=$(sed -n 's/^ *{ *"\([a-z-]*\)", *"\([a-z-]*\)", *KEY_.*/\1 \2/p' lib/host/config.c)
check "lib/host/config.c has a table of keys" [ -n "$keys" ]
printf '%s\n' "$keys" | while read -r sec key; do
        if awk -v s="$sec" -v k="$key" '
                /^\.It Bq / { in_sec = ($3 == s) }
                in_sec && $0 ~ "^\\.It Cm " k " =" { found = 1 }
                END { exit !found }' "$CONF"; then
                echo "ok: config key [$sec] $key is documented in $CONF"
        else
                echo "FAIL: config key [$sec] $key is documented in $CONF"
        fi
        if awk -v s="[$sec]" -v k="$key" '
                /^\[/ { in_sec = ($1 == s) }
                in_sec && $0 ~ "^#?" k " *=" { found = 1 }
                END { exit !found }' docs/hostfit.conf.example; then
                echo "ok: config key [$sec] $key is in docs/hostfit.conf.example"
        else
                echo "FAIL: config key [$sec] $key is in docs/hostfit.conf.example"
        fi
done > "$PKG_TMP/keys"
cat "$PKG_TMP/keys"
PKG_PASS=$((PKG_PASS + $(grep -c '^ok:' "$PKG_TMP/keys")))
PKG_FAIL=$((PKG_FAIL + $(grep -c '^FAIL:' "$PKG_TMP/keys")))
# EXAMPLES of both pages come from the binary. A literal block after `.\" example: FIXTURE` is
# a command and its output, run here on a copy of tests/fixtures/FIXTURE that stands for
# /mnt/image (a command without --root gets one); a block after `.\" example-conf` is the
# hostfit.conf of that copy. Every one-line example (.Dl) runs on a fixture, with options the
# command's --help lists.
ex=$PKG_TMP/examples
for m in "$MAN" "$CONF"; do
        rm -rf "$ex" && mkdir -p "$ex"
        awk -v dir="$ex" '
                /^\.\\" example-conf$/ { pend = "conf"; next }
                /^\.\\" example: / { pend = "run " $3; next }
                /^\.Bd -literal/ && pend != "" { n++; f = dir "/" n; print pend > (f ".kind"); close(f ".kind"); inb = 1; pend = ""; next }
                /^\.Ed/ && inb { inb = 0; close(f); next }
                inb { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print > f }' "$m"
        n=0 conf=""
        while [ -f "$ex/$((n + 1)).kind" ]; do
                n=$((n + 1)); read -r kind fixture < "$ex/$n.kind"
                if [ "$kind" = conf ]; then conf=$ex/$n; continue; fi
                root=$ex/root.$n; cp -a "tests/fixtures/$fixture" "$root"
                [ -n "$conf" ] && mkdir -p "$root/etc/hostfit" && cp "$conf" "$root/etc/hostfit/hostfit.conf"
                cmd=$(head -n1 "$ex/$n" | sed 's/^[$#] hostfit //')
                case " $cmd " in *" --root /mnt/image "*) args=$(printf '%s' "$cmd" | sed "s|--root /mnt/image|--root $root|") ;;
                *) args="$cmd --root $root" ;; esac
                (set -f; cd "$PKG_TMP" && "$HOSTFIT" $args) 2> /dev/null | sed "s|$root|/mnt/image|g" > "$ex/$n.got"
                sed 1d "$ex/$n" > "$ex/$n.want"
                diff -u "$ex/$n.want" "$ex/$n.got" || true
                check "$m example $n (hostfit $cmd) is the binary's output on tests/fixtures/$fixture" \
                        sh -c "[ -s '$ex/$n.want' ] && cmp -s '$ex/$n.want' '$ex/$n.got'"
                conf=""
        done
        [ "$n" -gt 0 ] || bad "$m has examples of output marked for this test"
done
sed -n 's/^\.Dl [$#] hostfit //p; s/^\.Dl command\[[a-z_]*\]=\(\/usr\/bin\/sudo -n \)\{0,1\}\/usr\/bin\/hostfit //p' "$MAN" > "$PKG_TMP/dl"
check "$MAN has one-line examples" [ -s "$PKG_TMP/dl" ]
i=0
while read -r c rest; do
        i=$((i + 1))
        for o in $(printf '%s\n' "$rest" | grep -o -- '--[a-z][a-z-]*'); do
                check "$MAN example hostfit $c: $o is an option of $c" sh -c "'$HOSTFIT' '$c' --help | grep -q -- '$o\\b'"
        done
        root=$PKG_TMP/dl.$i; cp -a tests/fixtures/cli-warn "$root"
        args=$(printf '%s\n' "$rest" | sed "s|--root /mnt/image|--root $root|; s|--output [^ ]*|--output $root/out|")
        case " $args " in *" --root "*) ;; *) args="$args --root $root" ;; esac
        (set -f; "$HOSTFIT" "$c" $args) > /dev/null 2> "$PKG_TMP/dl.err"; st=$?
        check "$MAN example hostfit $c $rest runs on a fixture (exit $st)" sh -c "[ $st -le 2 ] && [ ! -s '$PKG_TMP/dl.err' ]"
done < "$PKG_TMP/dl"
check "hostfit(1) points to hostfit.conf(5)" grep -q '^\.Xr hostfit.conf 5' "$MAN"
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
