#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit is MIT-licensed: LICENSE says so, debian/copyright matches it, and
# every source file carries its SPDX line (tools/spdx.sh adds it).
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
check "LICENSE is the MIT license" grep -q '^Permission is hereby granted, free of charge' LICENSE
check "LICENSE names the hostfit authors" grep -q '^Copyright (c) [0-9]* the hostfit authors$' LICENSE
check "debian/copyright: License: MIT for every file" sh -c "awk '/^Files: \\*/ { f = 1 } f && /^License: MIT\$/ { ok = 1 } END { exit !ok }' debian/copyright"
# The license text, words only: debian/copyright's paragraph against LICENSE.
sed -n '/^ Permission/,$p' debian/copyright | sed 's/^ //; s/^\.$//' | tr -s ' \n' '  ' > "$PKG_TMP/a"
sed -n '/^Permission/,$p' LICENSE | tr -s ' \n' '  ' > "$PKG_TMP/b"
check "debian/copyright's MIT text is LICENSE's" cmp -s "$PKG_TMP/a" "$PKG_TMP/b"
if git rev-parse --git-dir > /dev/null 2>&1; then
        out=$(sh tools/spdx.sh --check); st=$?
        [ -n "$out" ] && printf 'without an SPDX line: %s\n' $out
        check "every source file carries SPDX-License-Identifier: MIT" [ "$st" -eq 0 ]
        check "tools/spdx.sh finds the source files" [ "$(git ls-files '*.c' | wc -l)" -gt 50 ]
else
        echo "skipped: not a git checkout: the SPDX lines are checked from git ls-files"
fi
finish
