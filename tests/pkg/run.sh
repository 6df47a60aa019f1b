#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every tests/pkg script; one closing "N passed, N failed" line.
# HOSTFIT (default build/hostfit) is the binary under test; run `make` first.
# A script whose tool is missing says "skip: ..." and counts nothing.
cd "$(dirname "$0")/../.."
pass=0 fail=0 failed=""
for t in man install schema prometheus nagios systemd cloudinit ansible completions deb license; do
        out=$(sh "tests/pkg/$t.sh" 2>&1); st=$?
        printf '%s\n' "$out"
        line=$(printf '%s\n' "$out" | sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n1)
        p=${line% *} f=${line#* }
        pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0}))
        if [ "$st" -ne 0 ]; then
                [ "${f:-0}" -eq 0 ] && fail=$((fail + 1))
                failed="$failed $t"
        fi
done
echo "pkg: $pass passed, $fail failed"
[ -z "$failed" ] || { echo "failing:$failed" >&2; exit 1; }
