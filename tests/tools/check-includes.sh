#!/bin/sh
# SPDX-License-Identifier: MIT
# lib/ shows the architecture: a file under lib/ includes only lib/ headers (never cmd/,
# checks/ or fixes/), each folder includes only the folders its README.md names on its
# "May use:" line, and the folders include each other without a circle.
# Prints each lib folder's dependencies, then every violation; exits 1 on any.
# Usage: check-includes.sh [SOURCE-TREE] (default: the tree this script is in).
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
bad=0
for f in lib/*/*.c lib/*/*.h; do
        from=${f#lib/}
        from=${from%%/*}
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
                if [ -e "lib/$inc" ]; then
                        to=${inc%%/*}
                        [ "$to" = "$from" ] || echo "$from $to $f" >> "$edges"
                elif [ -e "$(dirname "$f")/$inc" ]; then
                        echo "$f: includes \"$inc\" by a path relative to its folder: name it \"$from/$inc\"" >&2
                        bad=1
                else
                        echo "$f: includes \"$inc\", which is not under lib/ (cmd/, checks/, fixes/ or build/)" >&2
                        bad=1
                fi
        done
done
# Folder edges, deduplicated, against what each README.md allows; tsort says when they hold a circle.
for d in lib/*/; do
        d=${d#lib/}
        d=${d%/}
        uses=$(awk -v d="$d" '$1 == d { print $2 }' "$edges" | sort -u | tr '\n' ' ')
        printf '  %-8s -> %s\n' "$d" "$uses"
        if [ ! -f "lib/$d/README.md" ]; then
                echo "lib/$d: no README.md saying what it owns and may use" >&2
                bad=1
                continue
        fi
        may=" $(sed -n 's/^May use: *//p' "lib/$d/README.md" | tr -d ',' | tr '\n' ' ') "
        for u in $uses; do
                case "$may" in
                *" $u "*) ;;
                *) echo "lib/$d includes lib/$u, which its README.md does not allow:" >&2
                   awk -v d="$d" -v u="$u" '$1 == d && $2 == u { print "  " $3 }' "$edges" | sort -u >&2
                   bad=1 ;;
                esac
        done
done
if ! awk '{ print $1, $2 }' "$edges" | sort -u | tsort >/dev/null 2>"$edges.err"; then
        echo "include circle between lib folders:" >&2
        sed 's/^tsort: /  /' "$edges.err" >&2
        # Name the files that make the edges between the folders of the circle.
        in_loop=" $(sed -n 's/^tsort: //p' "$edges.err" | grep -v 'input contains a loop' | tr '\n' ' ')"
        awk -v l="$in_loop" 'index(l, " " $1 " ") && index(l, " " $2 " ") { print "  " $3 " -> " $2 "/" }' "$edges" | sort -u >&2
        bad=1
fi
rm -f "$edges.err"
exit $bad
