#!/bin/sh
# SPDX-License-Identifier: MIT
# The fault-injection layer: tests/faults/run.py under strace --inject.
set -u
: "${HOSTFIT:?set HOSTFIT to the hostfit binary}"
command -v strace >/dev/null || { echo "faults: strace is needed (apt-get install strace)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "faults: python3 is needed" >&2; exit 1; }
exec python3 "$(dirname "$0")/run.py"
