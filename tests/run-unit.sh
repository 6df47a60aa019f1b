#!/bin/sh
# SPDX-License-Identifier: MIT
# Run each cmocka test binary; print one closing "N passed, N failed, N skipped" line.
# cmocka counts a skipped test in neither PASSED nor FAILED: its SKIPPED line is read too.
pass=0 fail=0 skip=0 failed=""
for t in "$@"; do
        out=$(${HOSTFIT_EMU:-} "$t" 2>&1); st=$?
        printf '%s\n' "$out"
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
        s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n1)
        pass=$((pass + ${p:-0}))
        fail=$((fail + ${f:-0}))
        skip=$((skip + ${s:-0}))
        if [ "$st" -ne 0 ]; then
                [ -z "$f" ] && fail=$((fail + 1))
                failed="$failed $(basename "$t")"
        fi
done
echo "unit: $pass passed, $fail failed, $skip skipped"
[ -n "$failed" ] && { echo "failing:$failed" >&2; exit 1; }
exit 0
