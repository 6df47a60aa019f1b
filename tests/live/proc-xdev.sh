#!/bin/sh
# SPDX-License-Identifier: MIT
# Files bind-mounted over a live process's /proc files (tests/live/proc-xdev.c): the process
# table reads a regular file through the fallback, never a FIFO or a device, follows no symlink
# out and stays whole. The mounts live in the test's own mount namespace and go with it.
set -u
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"
bin=${HOSTFIT_LIVE_PROC_XDEV:-$(dirname "$HOSTFIT")/tests/live-proc-xdev}
[ -x "$bin" ] || { echo "proc-xdev: FAIL: $bin not built (make test-live builds it)" >&2; exit 1; }
out=$("$bin" 2>&1); st=$?
printf '%s\n' "$out"
[ $st -ne 0 ] && exit 1
printf '%s\n' "$out" | grep -q '^\[  SKIPPED \]' && exit 77
exit 0
