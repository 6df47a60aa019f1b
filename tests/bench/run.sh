#!/bin/sh
# make bench: build the baseline and the runner, then measure hostfit check and each
# check alone with BENCH_PROCS (2000) extra processes, BENCH_RUNS (21) runs each;
# then hostfit incidents on a generated journal (tests/bench/incidents.sh).
set -eu
b=${BUILD:-build}/bench
mkdir -p "$b"
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bareloop" tests/bench/bareloop.c
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bench" tests/bench/bench.c
# The runner kills its own process group at the end: give it one.
setsid -w "$b/bench" "${BENCH_PROCS:-2000}" "${BENCH_RUNS:-21}" "$b/bareloop" "$HOSTFIT"
# hostfit incidents on a journal of a million entries, against journalctl.
sh tests/bench/incidents.sh
