/* SPDX-License-Identifier: MIT */
/* Keepalive loops: a shell loop, a script or a process manager that keeps restarting a server
 * outside systemd. Pure functions of the process table, plus a bounded read of a loop's script
 * under the root. The check keepalive-loop reports them; unmanaged-service leaves their children
 * to it (one process, one unit).
 *
 * A shell loop is judged by its text alone (lib/procs/shloop.h), never by the moment: a loop that
 * re-runs a long-running command (`while true; do node server.js; sleep 1; done`, `until node
 * server.js; do sleep 1; done`) is one whether its child runs or sleeps between restarts. A loop
 * that waits and goes on (`until pg_isready; do sleep 1; done; node server.js`), a periodic job
 * (a sleep of [keepalive-loop] periodic-sleep or more an iteration, `while sleep 300; do …`), a
 * `for` loop, a comment and an interactive shell are none. */
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

/* The command a loop's text restarts, as the text says it. */
struct keepalive_cmd {
        char **argv;            /* NULL-terminated, quotes removed, after NAME=value, exec, nohup, env */
        size_t argc;
        char **assign;          /* the NAME=value words before it, NULL-terminated */
        char *cd;               /* the directory of the last `cd /ABS` before it in the text, NULL: none */
        bool exact;             /* no word holds an expansion ($VAR, $(…), a glob): argv is what runs */
        size_t loop_offset;     /* where the loop starts in the text */
};

struct keepalive {
        int kind;                       /* enum keepalive_kind */
        const struct proc *loop;        /* borrowed from the table */
        const struct proc *child;       /* the restarted command running now; NULL between restarts */
        char evidence[256];             /* what gave it away, raw host bytes: escape to print */
        struct keepalive_cmd cmd;       /* a shell loop's: from its text (argv NULL for the other kinds) */
};

#define KEEPALIVE_SCRIPT_MAX (64U << 10)
#define KEEPALIVE_MIN_PARENT_AGE 600    /* seconds: a parent younger than this is not "long-lived" */
#define KEEPALIVE_PERIODIC_SLEEP 60     /* seconds of sleep an iteration: a periodic job, not a keepalive */

/* 1 and *RET filled (release with keepalive_done()) when P keeps restarting a server, 0 when not,
 * -ENOMEM. MIN_PARENT_AGE: for the young-child rule, in seconds. */
int keepalive_classify(struct host *h, const struct proc_table *t, const struct proc *p,
                       uint64_t min_parent_age, struct keepalive *ret);
void keepalive_done(struct keepalive *k);
void keepalive_cmd_done(struct keepalive_cmd *c);
/* [keepalive-loop] min-parent-age, else KEEPALIVE_MIN_PARENT_AGE. */
uint64_t keepalive_min_parent_age(const struct host *h);
/* [keepalive-loop] periodic-sleep, else KEEPALIVE_PERIODIC_SLEEP. */
uint64_t keepalive_periodic_sleep(const struct host *h);
/* True when P's parent is a keepalive loop (or process manager) that restarts it. */
bool keepalive_is_restarted_child(struct host *h, const struct proc_table *t, const struct proc *p);
/* The command LEN bytes of shell TEXT re-run in a loop: 1 with *RET filled (release with
 * keepalive_cmd_done()); 0 when none does, *RET_ANY_LOOP (may be NULL) saying whether the text
 * has a loop at all; -ENOMEM. A loop sleeping PERIODIC seconds or more an iteration is a job. */
int keepalive_text_restarts(const char *text, size_t len, uint64_t periodic, struct keepalive_cmd *ret,
                            bool *ret_any_loop);
