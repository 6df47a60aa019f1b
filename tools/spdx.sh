#!/bin/sh
# Put "SPDX-License-Identifier: MIT" at the top of every source file that lacks
# it (after a #! line or a #compdef line), in the file's own comment syntax.
# With --check, only list the files without it and exit 1 if there are any.
cd "$(dirname "$0")/.." || exit 1
check=0
[ "${1:-}" = --check ] && check=1
missing=0
files() {
        git ls-files -- '*.c' '*.h' '*.sh' '*.py' '*.bash' '*.fish' 'completions/_hostfit' \
                'Makefile' 'tools/*' 'tests/*/run.sh' '.ci/run' 'templates/*' '*.yml' '*.yaml' | sort -u
}
for f in $(files); do
        [ -f "$f" ] || continue
        head -n 3 "$f" | grep -q 'SPDX-License-Identifier: MIT' && continue
        case "$f" in
        templates/*) continue ;;        # written onto hosts as they are
        tests/fuzz/corpus/*) continue ;; # fuzz seeds: bytes of the formats they stand for
        *.c|*.h) line='/* SPDX-License-Identifier: MIT */' ;;
        *) line='# SPDX-License-Identifier: MIT' ;;
        esac
        case "$f" in *.yml|*.yaml) head -n 1 "$f" | grep -q '^#cloud-config' && continue ;; esac
        missing=$((missing + 1))
        if [ "$check" = 1 ]; then
                echo "$f"
                continue
        fi
        first=$(head -n 1 "$f")
        case "$first" in
        '#!'*|'#compdef'*|'---') { printf '%s\n%s\n' "$first" "$line"; tail -n +2 "$f"; } > "$f.spdx" ;;
        *) { printf '%s\n' "$line"; cat "$f"; } > "$f.spdx" ;;
        esac
        chmod --reference="$f" "$f.spdx" && mv "$f.spdx" "$f"
done
[ "$check" = 0 ] || [ "$missing" -eq 0 ]
