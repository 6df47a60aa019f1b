/* SPDX-License-Identifier: MIT */
/* The typed facts restart-storm, keepalive-loop and node-heap-limit hand to their fixes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procs/keepalive.h"

struct host;
struct unit;
struct unmanaged_data;

/* keepalive-loop */
enum keepalive_kind {
        KEEPALIVE_SHELL_LOOP,   /* while/until in sh -c or in a script */
        KEEPALIVE_YOUNG_CHILD,  /* an old script whose server child keeps being young */
        KEEPALIVE_FOREVER,      /* forever's monitor */
        KEEPALIVE_PM2,          /* a pm2 daemon outside its own unit */
};
struct keepalive_data {
        enum keepalive_kind kind;
        pid_t loop_pid;
        char *user;             /* for pm2 startup; NULL: unknown */
        struct unmanaged_data *child;   /* the restarted command running now, NULL between restarts: the
                                         * message, and the unit of forever's or a script's child */
        struct unit_proc *loop; /* a shell loop's own facts (user, environment; cwd: the text's cd, else
                                 * its own), of which its command's unit is made; NULL for the other kinds */
        struct keepalive_cmd cmd;       /* a shell loop's command, from its text (lib/procs/keepalive.h) */
};
void keepalive_data_free(void *p);

/* node-heap-limit */
#define NODE_HEAP_DROPIN "50-hostfit-node-heap.conf"
#define NODE_HEAP_ENV_DIR "/etc/hostfit/node-heap"     /* UNIT.env: hostfit's environment files */
struct node_heap_data {
        pid_t pid;
        char *unit;             /* the service it runs in, NULL: none */
        char *dropin;           /* /etc/systemd/system/UNIT.d/50-hostfit-node-heap.conf */
        char *env_file;         /* /etc/hostfit/node-heap/UNIT.env when an EnvironmentFile=
                                 * of the admin's sets NODE_OPTIONS (it overrides any Environment=): the drop-in
                                 * adds this file after the admin's. NULL: Environment= in the drop-in wins */
        uint64_t heap;          /* its old-space limit, bytes */
        uint64_t may_use;       /* what each node process of the unit may use (its share), bytes */
        uint64_t memory_max;    /* what the unit's node processes share: its enforced MemoryMax=, the one
                                 * unit-memorymax plans, or RAM and swap where no limit is enforced;
                                 * 0: none can be sized yet (see wait) */
        unsigned workers;       /* node processes in the unit, at least 1 */
        uint64_t target_mib;    /* the heap each is given: the admin's own when it fits, else 75% of its share */
        bool kept;              /* target_mib is the admin's own value */
        bool flag_in_argv;      /* --max-old-space-size= is on its command line (wins over NODE_OPTIONS) */
        char *other_options;    /* the unit's NODE_OPTIONS without heap flags, NULL: none */
        char *manual;           /* why no file of hostfit's can win (a sentence naming the unit and the file) */
        double wait;            /* memory_max 0: seconds until the unit has run long enough to size */
};
void node_heap_data_free(void *p);
/* The heap flag for a share of MAX bytes: 75% of it, in MiB. */
uint64_t node_heap_for_limit(uint64_t max);
struct strbuf;
/* Append the drop-in line "Environment=NODE_OPTIONS=… --max-old-space-size=N" for D's unit. */
int node_heap_dropin_line(const struct node_heap_data *d, struct strbuf *out);
/* The heap the node processes in cgroup CG were given by their flags (argv, NODE_OPTIONS),
 * summed, bytes; 0 when none has one. What a limit planned for the unit leaves room for. */
uint64_t node_heap_floor(struct host *h, const char *cg);
