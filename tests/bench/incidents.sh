#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, incidents: hostfit incidents on a journal of BENCH_JOURNAL_ENTRIES
# (1,000,000) entries holding 10 OOM kills, against
# `journalctl --directory D _TRANSPORT=kernel -o cat` on the same files.
# The journal is written at bench time by systemd-journal-remote from a
# generated export stream (a tenth of it kernel lines), into a temp dir.
# Goals (issue 22): CPU (user + system) at most 1.0x journalctl's, and at most
# 16 MiB resident: memory follows the incidents kept, not the entries read.
# It says how many entries each side read, and the load it ran under.
# BENCH_JOURNAL_DIR=DIR keeps the generated journal in DIR and reuses it
# on the next run (writing it takes minutes on a loaded machine).
set -eu
N=${BENCH_JOURNAL_ENTRIES:-1000000}
RUNS=${BENCH_JOURNAL_RUNS:-5}
HOSTFIT=${HOSTFIT:-build/hostfit}
b=${BUILD:-build}/bench
mkdir -p "$b"

# systemd-journal-remote from the system, else unpacked from its package
# into the build directory (never installed: it ships a daemon).
JR=/lib/systemd/systemd-journal-remote
if [ ! -x "$JR" ]; then
        if [ ! -x "$b/jr/lib/systemd/systemd-journal-remote" ]; then
                (cd "$b" && apt-get download systemd-journal-remote libmicrohttpd12 >/dev/null 2>&1 &&
                        for d in systemd-journal-remote_*.deb libmicrohttpd12_*.deb; do dpkg-deb -x "$d" jr; done) || true
        fi
        JR=$b/jr/lib/systemd/systemd-journal-remote
        # Its library, unpacked beside it when the system has none.
        for l in "$b"/jr/usr/lib/*-linux-gnu; do
                [ -d "$l" ] && LD_LIBRARY_PATH=$l${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} && export LD_LIBRARY_PATH
        done
fi
if ! "$JR" --help >/dev/null 2>&1; then
        echo "bench incidents: skip (systemd-journal-remote cannot run here)"
        exit 0
fi
command -v journalctl >/dev/null || { echo "bench incidents: skip (no journalctl)"; exit 0; }

if [ -n "${BENCH_JOURNAL_DIR:-}" ]; then
        T=$BENCH_JOURNAL_DIR
        mkdir -p "$T"
else
        T=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-bench-journal.XXXXXX")
        trap 'rm -rf "$T"' EXIT INT TERM
fi
M=5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a
D=$T/var/log/journal/$M
mkdir -p "$D"

gen() {
        awk -v n="$N" 'BEGIN {
                t = 1795168800000000; boot = "1111aaaa2222bbbb3333cccc4444dddd"
                kills = 10; every = int(n / kills)
                for (i = 0; i < n; i++) {
                        t += 1000
                        printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n_MACHINE_ID=5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a\n_HOSTNAME=web1\n", t, i + 1, boot
                        if (i % every == every / 2) {
                                k = int(i / every)
                                printf "_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=Out of memory: Killed process %d (node) total-vm:1843212kB, anon-rss:912344kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:2048kB oom_score_adj:0\n\n", 4000 + k
                        } else if (i % 10 == 0) {
                                printf "_TRANSPORT=kernel\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=audit: type=1400 audit(%d.123:%d): apparmor=\"ALLOWED\" operation=\"open\" profile=\"p%d\"\n\n", t / 1000000, i, i % 97
                        } else {
                                printf "_TRANSPORT=stdout\nSYSLOG_IDENTIFIER=app%d\n_SYSTEMD_UNIT=app%d.service\n_PID=%d\nPRIORITY=6\nMESSAGE=GET /api/items/%d 200 %dms\n\n", i % 50, i % 50, 1000 + i % 50, i, i % 300
                        }
                }
        }'
}
if [ -s "$T/entries" ] && [ "$(cat "$T/entries")" = "$N" ] && [ -s "$D/system.journal" ]; then
        echo "bench incidents: $N entries reused from $T ($(du -sh "$T" | cut -f1))"
else
        rm -f "$D"/*.journal "$T/entries"
        start=$(date +%s)
        gen | "$JR" --output="$D/system.journal" - 2>/dev/null
        echo "$N" >"$T/entries"
        echo "bench incidents: $N entries written by systemd-journal-remote in $(( $(date +%s) - start )) s ($(du -sh "$T" | cut -f1))"
fi

# Best of RUNS wall-clock runs, in ms.
best() {
        _best=
        _i=0
        while [ "$_i" -lt "$RUNS" ]; do
                _s=$(date +%s%N)
                "$@" >/dev/null 2>&1 || true
                _e=$(date +%s%N)
                _ms=$(( (_e - _s) / 1000000 ))
                if [ -z "$_best" ] || [ "$_ms" -lt "$_best" ]; then _best=$_ms; fi
                _i=$((_i + 1))
        done
        echo "$_best"
}
kills=$("$HOSTFIT" incidents --root "$T" --format json | grep -o '"kind":"kill"' | wc -l)
[ "$kills" -eq 10 ] || { echo "bench incidents: FAIL, hostfit found $kills kills, expected 10"; exit 1; }
lines=$(journalctl --directory "$D" _TRANSPORT=kernel -o cat | wc -l)
# Entries read: hostfit says so with --verbose; journalctl's are the entries it prints.
hread=$("$HOSTFIT" incidents --root "$T" --verbose | sed -n 's/^read \([0-9]*\) journal entr.*/\1/p')
jread=$(journalctl --directory "$D" _TRANSPORT=kernel -o export | grep -c '^__CURSOR=' || true)
echo "bench incidents: entries read of $N: hostfit ${hread:-?}, journalctl _TRANSPORT=kernel $jread; load $(cut -d' ' -f1-3 /proc/loadavg)"
h=$(best "$HOSTFIT" incidents --root "$T" --format json)
j=$(best journalctl --directory "$D" _TRANSPORT=kernel -o cat)
ratio=$(awk -v h="$h" -v j="$j" 'BEGIN { printf "%.2f", (j > 0 ? h / j : 0) }')
echo "bench incidents: wall, best of $RUNS: hostfit incidents ${h} ms (10 kills), journalctl _TRANSPORT=kernel -o cat ${j} ms ($lines lines): ratio $ratio"

# CPU (user + system, ms) and peak RSS (KiB), best of RUNS, by GNU time.
cpu_rss() {
        _c= _m=
        _i=0
        while [ "$_i" -lt "$RUNS" ]; do
                /usr/bin/time -f '%U %S %M' -o "$T/time" "$@" >/dev/null 2>&1 || true
                _v=$(tail -n1 "$T/time" | awk '{ printf "%d %d", ($1 + $2) * 1000, $3 }')
                _cc=${_v% *} _mm=${_v#* }
                if [ -z "$_c" ] || [ "$_cc" -lt "$_c" ]; then _c=$_cc; fi
                if [ -z "$_m" ] || [ "$_mm" -lt "$_m" ]; then _m=$_mm; fi
                _i=$((_i + 1))
        done
        echo "$_c $_m"
}
if [ -x /usr/bin/time ]; then
        set -- $(cpu_rss "$HOSTFIT" incidents --root "$T" --format json)
        hc=$1 hm=$2
        set -- $(cpu_rss journalctl --directory "$D" _TRANSPORT=kernel -o cat)
        jc=$1 jm=$2
        cr=$(awk -v h="$hc" -v j="$jc" 'BEGIN { printf "%.2f", (j > 0 ? h / j : 0) }')
        echo "bench incidents: CPU hostfit ${hc} ms, journalctl ${jc} ms: ratio $cr (goal <= 1.0); RSS hostfit $((hm / 1024)) MiB (goal <= 16), journalctl $((jm / 1024)) MiB"
        awk -v r="$cr" 'BEGIN { exit !(r <= 1.0) }' || echo "bench incidents: CPU ratio above the goal"
        [ "$hm" -le $((16 * 1024)) ] || echo "bench incidents: RSS above the goal"
else
        echo "bench incidents: no /usr/bin/time: CPU and RSS not measured"
fi
