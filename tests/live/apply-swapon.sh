#!/bin/sh
# SPDX-License-Identifier: MIT
# The writer's swapon on this machine (tests/live/apply-swapon.c): a swap file
# on /tmp is swapped on, a second swapon finds it active, and it is swapped off.
set -u
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"
bin=${HOSTFIT_LIVE_APPLY:-$(dirname "$HOSTFIT")/tests/live-apply-swapon}
[ -x "$bin" ] || { echo "apply-swapon: FAIL: $bin not built (make test-live builds it)" >&2; exit 1; }
out=$("$bin" 2>&1); st=$?
printf '%s\n' "$out"
[ $st -ne 0 ] && exit 1
printf '%s\n' "$out" | grep -q '^\[  SKIPPED \]' && exit 77
exit 0
