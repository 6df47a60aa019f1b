/* SPDX-License-Identifier: MIT */
/* Keepalive loops: a shell loop, a script or a process manager that keeps restarting a
 * server outside systemd. Pure functions of the process table, plus a bounded read of a
 * loop's script under the root. The check keepalive-loop reports them; unmanaged-service
 * leaves their children to it (one process, one unit). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "host/host.h"

enum keepalive_kind {
        KEEPALIVE_SHELL_LOOP,   /* while/until in sh -c or in a script */
        KEEPALIVE_YOUNG_CHILD,  /* an old script whose server child keeps being young */
        KEEPALIVE_FOREVER,      /* forever's monitor */
        KEEPALIVE_PM2,          /* a pm2 daemon outside its own unit */
};

struct keepalive {
        int kind;                       /* enum keepalive_kind */
        const struct proc *loop;        /* borrowed from the table */
        const struct proc *child;       /* the restarted command running now; NULL between restarts */
        char evidence[256];             /* what gave it away, raw host bytes: escape to print */
};

#define KEEPALIVE_SCRIPT_MAX (64U << 10)
#define KEEPALIVE_MIN_PARENT_AGE 600    /* seconds: a parent younger than this is not "long-lived" */

/* 1 and *RET filled when P keeps restarting a server, 0 when not, -ENOMEM.
 * MIN_PARENT_AGE: for the young-child rule, in seconds. */
int keepalive_classify(struct host *h, const struct proc_table *t, const struct proc *p,
                       uint64_t min_parent_age, struct keepalive *ret);
/* [keepalive-loop] min-parent-age, else KEEPALIVE_MIN_PARENT_AGE. */
uint64_t keepalive_min_parent_age(const struct host *h);
/* True when P's parent is a keepalive loop (or process manager) that restarts it. */
bool keepalive_is_restarted_child(struct host *h, const struct proc_table *t, const struct proc *p);
/* True for text that loops for ever: "while true", "while :", "until CMD; do". */
bool keepalive_text_loops(const char *s);
