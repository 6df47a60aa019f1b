/* SPDX-License-Identifier: MIT */
/* The skips a check says at the top of its run() when it cannot judge this kind of root
 * (lib/host/virt.h says what the root is). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "host/virt.h"

int check_skip_unless_systemd(struct host *h, struct report *r) {
        const char *comm = NULL;
        int k = host_pid1(h, &comm);
        if (k == -ENOMEM)
                return k;
        if (k != 0)
                return 0;       /* systemd runs, or no proc/1: the unit files are still checked */
        if (strcmp(comm, "systemd") == 0)
                k = report_add(r, STATUS_SKIP, "", NULL, NULL,
                               "systemd is not running as PID 1 (no /run/systemd/system)");
        else
                k = report_add(r, STATUS_SKIP, "", NULL, NULL, "systemd is not PID 1 (PID 1 is %s)", comm);
        return k < 0 ? k : 1;
}

int check_skip_unless_processes(struct host *h, struct report *r) {
        if (!host_offline(h))
                return 0;
        int k = report_add(r, STATUS_SKIP, "", NULL, NULL, "offline image: no processes");
        return k < 0 ? k : 1;
}

int check_skip_in_container(struct host *h, struct report *r) {
        const char *name = NULL;
        int k = host_container(h, &name);
        if (k <= 0)
                return k;
        k = report_add(r, STATUS_SKIP, "", NULL, NULL,
                       "inside a container (%s): swap and zram belong to the host", name);
        return k < 0 ? k : 1;
}
