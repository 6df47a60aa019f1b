/* SPDX-License-Identifier: MIT */
/* What the root is: a running container, a system with or without systemd as
 * PID 1, or an offline image. Decided the way systemd-detect-virt --container
 * and sd_booted() decide, with every file read under the root.
 *
 * The skips a check says from these (check_skip_*) are in checks/check.h.
 */
#pragma once

#include <stdbool.h>

struct host;

/* 1 when the root is a running container, 0 when not, -errno on failure.
 * *ret_name (static): "docker", "podman", "lxc", "systemd-nspawn", …, or
 * "container-other" for a name hostfit does not know. Sources, in order:
 * run/systemd/container, container= in proc/1/environ, run/.containerenv,
 * .dockerenv. */
int host_container(struct host *h, const char **ret_name);

/* 1 when systemd is PID 1 (run/systemd/system exists and proc/1/comm is
 * "systemd"), 0 when it is not (*ret_comm: PID 1's comm, escaped-safe: only
 * printable ASCII, else "unknown"; valid until the next call), -ENOENT when
 * there is no proc/1 (an offline image), -errno on failure. */
int host_pid1(struct host *h, const char **ret_comm);

/* True when the root has no proc/, or an empty one (an image's mount point):
 * an image, not a running system. */
bool host_offline(struct host *h);
