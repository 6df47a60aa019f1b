/* SPDX-License-Identifier: MIT */
/* A check: a pure function of the host view that adds findings to a report.
 *
 * Adding a check:
 *   1. checks/NAME.c defining `const struct check check_NAME` (id, title, problem, why, run, fix);
 *      its fix, if any, in fixes/NAME.c (a fix only builds a plan; see lib/plan/plan.h).
 *   2. One line in checks/registry.c, in the sorted table.
 *   3. Fixture roots under tests/fixtures/ in the kernel's exact formats: pass,
 *      fail, unreadable, malformed.
 *   4. tests/unit/test-NAME.c: each case above, the fix's plan, and the plan
 *      empty on the already-fixed root.
 *   5. A row in the README's check table; config keys in lib/host/config.c and the README.
 *
 * A check never writes and never forks. It reads only through struct host.
 * It returns 0, or -errno when hostfit itself failed (out of memory); a host
 * file it cannot read is a finding with status "error", not a failure.
 */
#pragma once

#include "host/host.h"
#include "plan/plan.h"
#include "report.h"

struct check;
struct finding;

struct fix {
        const char *name;       /* e.g. "swapfile" */
        const char *summary;    /* what it does, one line, for explain and the man page */
        /* Add to P the actions that bring F's subject to the desired state; nothing when it is already there. */
        int (*plan)(struct host *h, const struct finding *f, struct plan *p);
};

struct check {
        const char *id;         /* stable: scripts and configs depend on it */
        const char *title;      /* what passing means, e.g. "Swap is configured and active" */
        const char *problem;    /* what a warning or failure means, e.g. "No swap, or swap lost at boot" */
        const char *why;        /* why it matters, one or two sentences */
        enum severity severity; /* how bad a failure is */
        int (*run)(struct host *h, struct report *r);
        const struct fix *fix;  /* NULL when there is nothing to apply */
        /* A check whose fix writes a unit for a running process: true when P is its subject.
         * checks/procown.c asks the owners in a fixed order, so one process gets one unit. NULL: none. */
        bool (*claims)(struct host *h, const struct proc_table *t, const struct proc *p);
};

/* Skips for the top of a check's run() (checks/skip.c): a check that cannot judge
 * this kind of root says "skip" with the reason instead of passing on nothing. */
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
