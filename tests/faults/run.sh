#!/bin/sh
# SPDX-License-Identifier: MIT
# The fault-injection layer: tests/faults/run.py under strace --inject.
set -u
st=0
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"
command -v strace >/dev/null || { echo "faults: strace is needed (apt-get install strace)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "faults: python3 is needed" >&2; exit 1; }
python3 "$(dirname "$0")/run.py" || st=1
# SIGKILL and SIGTERM at every action boundary of fix --yes and undo --yes.
python3 "$(dirname "$0")/killpoints.py" || st=1
# A syscall failing once in undo --yes: history tells the truth, a rerun completes it.
python3 "$(dirname "$0")/undofaults.py" || st=1
exit "${st:-0}"
