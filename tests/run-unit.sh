#!/bin/sh
# SPDX-License-Identifier: MIT
# Run each cmocka test binary; print one closing "N passed, N failed, N skipped" line.
# cmocka counts a skipped test in neither PASSED nor FAILED: its SKIPPED line is read too.
# The binaries are independent processes (each its own temporary roots): HOSTFIT_TEST_JOBS
# (2 unless set) of them run at once, and each one's output is printed whole, in order.
jobs=${HOSTFIT_TEST_JOBS:-2}
out=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-unit.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
i=0
for t in "$@"; do
        i=$((i + 1))
        printf '%s\0%s\0' "$i" "$t"
done | xargs -0 -r -n 2 -P "$jobs" sh -c '${HOSTFIT_EMU:-} "$2" > "$0/$1.out" 2>&1; echo $? > "$0/$1.st"' "$out"
pass=0 fail=0 skip=0 failed="" i=0
for t in "$@"; do
        i=$((i + 1))
        st=$(cat "$out/$i.st" 2>/dev/null || echo 127)
        cat "$out/$i.out" 2>/dev/null
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/$i.out" | tail -n1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/$i.out" | tail -n1)
        s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out/$i.out" | tail -n1)
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
