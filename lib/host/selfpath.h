/* SPDX-License-Identifier: MIT */
/* The hostfit that the units hostfit writes run: the binary that wrote them. */
#pragma once

struct host;

#define HOSTFIT_PATH_SECTION "hostfit"
#define HOSTFIT_PATH_KEY "hostfit-path"

/* [hostfit] hostfit-path from the configuration (the older [healthcheck] hostfit-path
 * is read when it is unset), else the running binary as the kernel names it
 * (/proc/self/exe, absolute and resolved; " (deleted)" dropped after an upgrade).
 * *ret is owned by the caller. -errno when /proc/self/exe cannot be read. */
int hostfit_exe_path(const struct host *h, char **ret);
