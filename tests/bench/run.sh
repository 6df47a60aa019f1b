#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: every figure is a ratio to a stated floor, measured in the same run.
#  1. hostfit check, and each check alone, with BENCH_PROCS (2000 and 10000) extra processes,
#     BENCH_RUNS (21) runs each, against the floor: a C loop reading each process's stat,
#     cmdline, cgroup and oom_score_adj once (bareloop.c). Targets: a full check within 1.2x
#     its CPU time at each count, peak RSS within 8 MiB at 10000. The floor reads no fd table;
#     hostfit reads one for each process unmanaged-service judges by its sockets (older than its
#     min-age, 300 s, outside any service and container, no known server by name): a readlink of
#     each fd, to learn whether it holds a listening socket, as `ss -p` does. No cheaper source
#     says which process holds a socket. The bench's processes pass that age after some minutes
#     of runs at 10000: from then on a full check and unmanaged-service alone also pay that scan,
#     which the floor does not (a copy of the floor that also reads every fd table: +0.5x to
#     +0.65x its CPU time at 10000 processes of 3 to 5 fds).
#  2. the three checks that read unit files, on 20k and 50k units (BENCH_UNIT_RUNS, 7), against
#     a C loop opening and reading the same unit files once (unitbench.c). Targets: within 1.5x
#     its CPU time at each, and 50k within 2.6x 20k.
#  3. hostfit incidents on a generated journal, against journalctl (tests/bench/incidents.sh).
set -eu
b=${BUILD:-build}/bench
mkdir -p "$b"
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bareloop" tests/bench/bareloop.c
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/bench" tests/bench/bench.c
cc -O2 -D_GNU_SOURCE -Wall -Werror -o "$b/unitbench" tests/bench/unitbench.c
for n in ${BENCH_PROCS:-2000 10000}; do
        # The runner kills its own process group at the end: give it one.
        setsid -w "$b/bench" "$n" "${BENCH_RUNS:-21}" "$b/bareloop" "$HOSTFIT"
done
# The units axis: 20k and 50k admin units on fixture roots with 2000 processes.
"$b/unitbench" 2000 "${BENCH_UNIT_RUNS:-7}" "$HOSTFIT"
# hostfit incidents on a journal of a million entries, against journalctl.
sh tests/bench/incidents.sh
