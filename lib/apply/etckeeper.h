/* SPDX-License-Identifier: MIT */
/* etckeeper: commit /etc around a run, as apt does, where /etc is tracked. */
#pragma once

#include <stdbool.h>

#include "text/strbuf.h"

struct host;

/* On the running system, when /etc/.etckeeper exists and etckeeper is
 * installed: `etckeeper commit MESSAGE` (with ONLY_IF_UNCLEAN, only when
 * `etckeeper unclean` says /etc has uncommitted changes). 1 when committed,
 * 0 when there was nothing to do (not tracked, another root, clean), -errno
 * with MSG saying why. Runs a program: apply-side code only, never a check. */
int etckeeper_commit(struct host *h, const char *message, bool only_if_unclean, struct strbuf *msg);
