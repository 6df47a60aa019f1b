#!/bin/sh
# SPDX-License-Identifier: MIT
# Run each libFuzzer harness for FUZZ_SECONDS from its seed corpus
# (tests/fuzz/corpus/NAME; new inputs go to a scratch directory, not the tree).
# Prints each harness's executions and one closing "fuzz: N passed, N failed".
set -u
secs=${FUZZ_SECONDS:-6}
dir=$(dirname "$0")
out=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-fuzz.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
pass=0 fail=0 failed=""
for bin in "$@"; do
        name=$(basename "$bin" | sed 's/^fuzz-//')
        seeds=$dir/corpus/$name
        [ -d "$seeds" ] || { echo "fuzz: $name: no seed corpus at $seeds"; fail=$((fail + 1)); failed="$failed $name"; continue; }
        mkdir -p "$out/$name"
        # -timeout: one input running this long is a hang, however loaded the machine.
        "$bin" -max_total_time="$secs" -timeout=120 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$out/$name-" "$out/$name" "$seeds" >"$out/$name.log" 2>&1
        st=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
        if [ "$st" -eq 0 ]; then
                pass=$((pass + 1))
                echo "fuzz: $name: ok, ${execs:-?} executions in ${secs} s"
        else
                fail=$((fail + 1))
                failed="$failed $name"
                echo "fuzz: $name: FAILED (exit $st) after ${execs:-?} executions"
                grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error|deadly signal' "$out/$name.log"
                grep -m8 -E '^ +#[0-9]+ ' "$out/$name.log"
                for a in "$out/$name"-*; do
                        [ -e "$a" ] || continue
                        mkdir -p build-fuzz/crashes
                        cp "$a" build-fuzz/crashes/
                        echo "fuzz: $name: input kept in build-fuzz/crashes/$(basename "$a") (rerun: $bin FILE)"
                done
        fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
