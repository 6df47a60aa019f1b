#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: every figure is a ratio to a stated floor, measured in the same run.
#  1. hostfit check, and each check alone, with BENCH_PROCS (2000 and 10000) extra processes,
#     BENCH_RUNS (21) runs each, against the floor: a C loop reading each process's stat,
#     cmdline, cgroup and oom_score_adj once (bareloop.c). Targets: a full check within 1.2x
#     its CPU time at each count, peak RSS within 8 MiB at 10000. Twice, in the same run:
#     with the processes young, and aged. Aged means older than unmanaged-service's min-age
#     (300 s): hostfit then reads the fd table of each process it judges by its sockets
#     (outside any service and container, no known server by name), a readlink of each fd to
#     learn whether it holds a listening socket, as `ss -p` does; no cheaper source says which
#     process holds a socket. The bench sets their age by config, not by waiting: a
#     hostfit.conf with only "[unmanaged-service] min-age = 0" ($b/aged.conf) for the aged
#     runs, and one with "min-age = 1d" ($b/young.conf) for the young runs, which would
#     otherwise turn aged after 300 s of runs at 10000 processes. The aged full
#     check is compared with the plain floor and with the floor that also reads the fd tables
#     of the bench's processes (bareloop --fds-of), which hostfit must read; hostfit also reads
#     those of the host's own aged candidates, which that floor leaves out.
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
printf '[unmanaged-service]\nmin-age = 0\n' > "$b/aged.conf"
printf '[unmanaged-service]\nmin-age = 1d\n' > "$b/young.conf"
for n in ${BENCH_PROCS:-2000 10000}; do
        # The runner kills its own process group at the end: give it one.
        setsid -w "$b/bench" "$n" "${BENCH_RUNS:-21}" "$b/bareloop" "$HOSTFIT" "$b/young.conf" "$b/aged.conf"
done
# The units axis: 20k and 50k admin units on fixture roots with 2000 processes.
"$b/unitbench" 2000 "${BENCH_UNIT_RUNS:-7}" "$HOSTFIT"
# hostfit incidents on a journal of a million entries, against journalctl.
sh tests/bench/incidents.sh
