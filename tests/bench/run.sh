#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: build the baseline and the runner, then measure hostfit check and each
# check alone with BENCH_PROCS (2000) extra processes, BENCH_RUNS (21) runs each;
# then check unit-memorymax on 1k, 10k and 20k units against a C floor (BENCH_UNIT_RUNS, 7);
# then hostfit incidents on a generated journal (tests/bench/incidents.sh).
set -eu
b=${BUILD:-build}/bench
mkdir -p "$b"
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bareloop" tests/bench/bareloop.c
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bench" tests/bench/bench.c
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/unitbench" tests/bench/unitbench.c
# The runner kills its own process group at the end: give it one.
setsid -w "$b/bench" "${BENCH_PROCS:-2000}" "${BENCH_RUNS:-21}" "$b/bareloop" "$HOSTFIT"
# The units axis: 1k, 10k and 20k admin units on fixture roots with BENCH_PROCS processes.
"$b/unitbench" "${BENCH_PROCS:-2000}" "${BENCH_UNIT_RUNS:-7}" "$HOSTFIT"
# hostfit incidents on a journal of a million entries, against journalctl.
sh tests/bench/incidents.sh
