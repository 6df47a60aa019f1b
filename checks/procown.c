/* SPDX-License-Identifier: MIT */
/* The owner of each process's fix, asked once a process a run (see procown.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "procown.h"
#include "procs/proctree.h"
#include "registry.h"

/* The order in which checks claim a process: the first that claims it owns it. */
static const char *const owners[] = {
        "dev-server",
        "keepalive-loop",
        "wrapper-oom-unprotected",
        "unmanaged-service",
};

#define UNASKED ((const char *) 1)

struct procown_table {
        const struct proc_table *procs;
        const char **owner;     /* by index in procs; UNASKED until asked */
};

static void table_free(void *p) {
        struct procown_table *t = p;
        if (t)
                free(t->owner);
        free(t);
}

static struct procown_table *table_get(struct host *h, const struct proc_table *pt) {
        struct procown_table *t = host_cache_get(h, "procown");
        if (t)
                return t->procs == pt ? t : NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->procs = pt;
        t->owner = calloc(pt->n + 1, sizeof(*t->owner));
        if (!t->owner) {
                table_free(t);
                return NULL;
        }
        for (size_t i = 0; i < pt->n; i++)
                t->owner[i] = UNASKED;
        return host_cache_put(h, "procown", t, table_free) < 0 ? NULL : t;
}

static const char *ask(struct host *h, const struct proc_table *t, const struct proc *p) {
        if (proc_in_container(p, NULL))
                return PROCOWN_CONTAINER;
        for (size_t i = 0; i < ELEMENTSOF(owners); i++) {
                const struct check *c = check_find(owners[i]);
                if (c && c->claims && c->claims(h, t, p))
                        return c->id;
        }
        return NULL;
}

const char *procown_owner(struct host *h, const struct proc *p) {
        const struct proc_table *pt;
        if (!p || host_procs(h, &pt) < 0)
                return NULL;
        if (p < pt->procs || p >= pt->procs + pt->n) {
                p = proc_table_find(pt, p->pid);
                if (!p)
                        return NULL;
        }
        struct procown_table *t = table_get(h, pt);
        size_t i = (size_t) (p - pt->procs);
        if (!t)
                return ask(h, pt, p);   /* out of memory for the table: ask again each time */
        if (t->owner[i] == UNASKED)
                t->owner[i] = ask(h, pt, p);
        return t->owner[i];
}

bool procown_is(struct host *h, const struct proc *p, const char *check_id) {
        const char *o = procown_owner(h, p);
        return o && strcmp(o, check_id) == 0;
}

char *procown_container(const struct proc *p) {
        char *name = NULL;
        return proc_in_container(p, &name) ? name : NULL;
}
