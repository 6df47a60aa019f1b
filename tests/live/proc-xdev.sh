#!/bin/sh
# SPDX-License-Identifier: MIT
# Files bind-mounted over a live process's /proc files (tests/live/proc-xdev.c): the process
# table reads a regular file through the fallback, never a FIFO or a device, follows no symlink
# out and stays whole. The mounts live in the test's own mount namespace and go with it.
exec sh "$(dirname "$0")/cmocka-live" proc-xdev
