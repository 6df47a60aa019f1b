/* SPDX-License-Identifier: MIT */
/* The processes of a cgroup subtree, from an index of the process table built once a run:
 * the table's processes (kernel threads and those of no known cgroup left out) sorted by
 * cgroup path with '/' ordered before every other byte, so that a cgroup and everything
 * below it ("/a.service", "/a.service/x") form one run that a binary search finds,
 * before any sibling that only shares its prefix ("/a.service-x"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"

struct cgroup_index {
        const struct proc **v;
        size_t n;
};

static int key(unsigned char c) {
        return c == '/' ? 1 : c == 0 ? 0 : (int) c + 1;
}

static int cgcmp(const char *a, const char *b) {
        for (;; a++, b++)
                if (*a != *b || !*a)
                        return key((unsigned char) *a) - key((unsigned char) *b);
}

static int cmp_proc(const void *x, const void *y) {
        const struct proc *a = *(const struct proc *const *) x, *b = *(const struct proc *const *) y;
        int c = cgcmp(a->cgroup, b->cgroup);
        return c ? c : (a->pid > b->pid) - (a->pid < b->pid);
}

static void cgroup_index_free(void *p) {
        struct cgroup_index *x = p;
        if (x)
                free(x->v);
        free(x);
}

static int index_get(struct host *h, const struct cgroup_index **ret) {
        const struct proc_table *t;
        struct cgroup_index *x = host_cache_get(h, "proc-cgroups");
        int r;
        if (x) {
                *ret = x;
                return 0;
        }
        if ((r = host_procs(h, &t)) < 0)
                return r;
        if (!(x = calloc(1, sizeof(*x))) || (t->n && !(x->v = calloc(t->n, sizeof(*x->v))))) {
                cgroup_index_free(x);
                return -ENOMEM;
        }
        for (size_t i = 0; i < t->n; i++)
                if (!t->procs[i].kthread && t->procs[i].cgroup)
                        x->v[x->n++] = &t->procs[i];
        qsort(x->v, x->n, sizeof(*x->v), cmp_proc);
        if ((r = host_cache_put(h, "proc-cgroups", x, cgroup_index_free)) < 0)
                return r;
        *ret = x;
        return 0;
}

/* Whether process cgroup PC is cgroup CG or below it. */
static bool within(const char *pc, size_t n, const char *cg) {
        return strncmp(pc, cg, n) == 0 && (pc[n] == 0 || pc[n] == '/');
}

int host_procs_in_cgroup(struct host *h, const char *cg, const struct proc *const **ret, size_t *ret_n) {
        const struct cgroup_index *x;
        size_t lo = 0, hi, n = strlen(cg);
        int r = index_get(h, &x);
        *ret = NULL;
        *ret_n = 0;
        if (r < 0)
                return r;
        for (hi = x->n; lo < hi;) {
                size_t mid = lo + (hi - lo) / 2;
                if (cgcmp(x->v[mid]->cgroup, cg) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (hi = lo; hi < x->n && within(x->v[hi]->cgroup, n, cg); hi++)
                ;
        *ret = x->v + lo;
        *ret_n = hi - lo;
        return 0;
}
