#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every tests/live/*.sh against $HOSTFIT; print one closing "N passed, N failed" line.
# Live tests change this machine (swap, mounts, processes) and undo it; they need root.
# A test exits 0 when it passes, 77 when it skips (and says why), anything else when it fails.
set -u
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"
dir=$(dirname "$0")
if [ "$(id -u)" -ne 0 ]; then
        echo "live: skipped: needs root (swapon, loop devices, mount namespaces)"
        exit 0
fi
pass=0 fail=0 skip=0 failed=""
for t in "$dir"/*.sh; do
        name=$(basename "$t" .sh)
        [ "$name" = run ] && continue
        HOSTFIT=$HOSTFIT sh "$t"; st=$?
        case $st in
        0)  pass=$((pass + 1)); echo "live: $name: ok" ;;
        77) skip=$((skip + 1)); echo "live: $name: skipped" ;;
        *)  fail=$((fail + 1)); failed="$failed $name"; echo "live: $name: FAILED (exit $st)" ;;
        esac
done
echo "live: $pass passed, $fail failed, $skip skipped"
[ -n "$failed" ] && { echo "failing:$failed" >&2; exit 1; }
exit 0
