#!/bin/sh
# SPDX-License-Identifier: MIT
# The writer's swapon on this machine (tests/live/apply-swapon.c): a swap file
# on /tmp is swapped on, a second swapon finds it active, and it is swapped off.
exec sh "$(dirname "$0")/cmocka-live" apply-swapon ${HOSTFIT_LIVE_APPLY:+"$HOSTFIT_LIVE_APPLY"}
