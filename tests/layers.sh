#!/bin/sh
# SPDX-License-Identifier: MIT
# make test's layers, in the order the Makefile's comment above `test` gives:
# unit, cli and live, then the system layer beside the rest, and with
# TEST_JOBS above 1 the rest in two lanes: TEST_LANE's layers beside test-san
# and test-cross.  A layer run beside the others runs in a session of its own,
# its output kept in a log and printed after the others'; on INT or TERM every
# such session is sent TERM (a background job ignores the terminal's INT).
# The exit status is 1 if any layer failed, in any lane.
#   tests/layers.sh                   all of them (MAKE, TEST_JOBS, TEST_LANE,
#                                     SYSTEM_LOG, LANE_LOG from the Makefile)
#   tests/layers.sh --lane LAYER...   these layers, one after another
set -u
MAKE=${MAKE:-make}
JOBS=${TEST_JOBS:-2}

layers() {
        local t s j r=0
        for t in "$@"; do
                s=$(date +%s)
                case $t in test-unit|test-live|fuzz) j=-j$JOBS ;; *) j= ;; esac
                $MAKE --no-print-directory $j "$t" || { echo "make $t: FAILED"; r=1; }
                echo "make $t: $(( $(date +%s) - s )) s"
        done
        return $r
}

if [ "${1:-}" = --lane ]; then
        shift
        layers "$@"
        exit $?
fi

SYSTEM_LOG=${SYSTEM_LOG:-build/test-system.log}
LANE_LOG=${LANE_LOG:-build/test-lane.log}
TEST_LANE=${TEST_LANE:-test-faults fuzz test-pkg}
st=0 sys= lane=

# Runs `--lane LAYER...` in a session of its own, output to log $1; its PID in $pid.
beside() {
        local log=$1
        shift
        setsid sh "$0" --lane "$@" > "$log" 2>&1 < /dev/null &
        pid=$!
}

stop() {
        trap '' INT TERM HUP
        for p in $sys $lane; do
                kill -TERM -"$p" 2>/dev/null
        done
        wait
        exit 130
}
trap stop INT TERM HUP

layers test-unit test-cli test-live || st=1
beside "$SYSTEM_LOG" test-system; sys=$pid
echo "make test-system: running beside the layers below, output in $SYSTEM_LOG"
: > "$LANE_LOG"
if [ "$JOBS" -gt 1 ]; then
        # shellcheck disable=SC2086 # a list of layers
        beside "$LANE_LOG" $TEST_LANE; lane=$pid
        echo "make $TEST_LANE: running beside test-san and test-cross, output in $LANE_LOG"
else
        # shellcheck disable=SC2086
        layers $TEST_LANE || st=1
fi
layers test-san test-cross || st=1
if [ -n "$lane" ]; then
        wait "$lane" || st=1
        cat "$LANE_LOG"
fi
wait "$sys" || st=1
cat "$SYSTEM_LOG"
exit $st
