/* SPDX-License-Identifier: MIT */
/* What the root is: a running container, a system with or without systemd as
 * PID 1, or an offline image. Decided the way systemd-detect-virt --container
 * and sd_booted() decide, with every file read under the root.
 *
 * The skip helpers go at the top of a check's run(): a check that cannot judge
 * this kind of root says "skip" with the reason instead of passing on nothing.
 */
#pragma once

#include <stdbool.h>

struct host;
struct report;

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

/* Adds the skip "systemd is not PID 1 (PID 1 is X)" and returns 1 when a
 * running root has another init; returns 0 when systemd runs, or when the
 * root is an offline image (its unit files can still be checked); -errno. */
int check_skip_unless_systemd(struct host *h, struct report *r);
/* Adds the skip "offline image: no processes" and returns 1 on an offline
 * image; 0 otherwise; -errno. */
int check_skip_unless_processes(struct host *h, struct report *r);
/* Adds the skip "inside a container (NAME): swap and zram belong to the host"
 * and returns 1 in a container; 0 otherwise; -errno. */
int check_skip_in_container(struct host *h, struct report *r);
