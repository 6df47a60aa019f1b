/* SPDX-License-Identifier: MIT */
/* One subject, one fix: which check's fix owns a running process, the one that may write
 * its unit. The owners are asked in a fixed order, whatever checks were asked for on the
 * command line, so a check run alone never plans a unit for a process another check owns:
 *
 *   a container's process       its runtime (PROCOWN_CONTAINER): no host unit at all
 *   1. dev-server               a dev server, its workers and its launcher: never a unit that runs a dev command
 *   2. keepalive-loop           a server a shell loop restarts
 *   3. wrapper-oom-unprotected  a shielded process under more killable wrappers
 *   4. unmanaged-service        any other server outside systemd
 *
 * An owner is a check with .claims set (checks/check.h); the answer is kept for the run. */
#pragma once

#include <stdbool.h>

#include "host/host.h"

#define PROCOWN_CONTAINER "container"

/* The id of the check that owns P ("dev-server", …), PROCOWN_CONTAINER, or NULL when none does.
 * P is a process of host_procs(H). */
const char *procown_owner(struct host *h, const struct proc *p);
/* True when CHECK_ID owns P. */
bool procown_is(struct host *h, const struct proc *p, const char *check_id);
/* The container P runs in ("docker 0123456789ab"), NULL when it is a host process; owned by the caller. */
char *procown_container(const struct proc *p);
