/* SPDX-License-Identifier: MIT */
/* node-heap-limit: a node process whose V8 old-space limit is above the memory it may use,
 * so the kernel kills it before V8 can fail with a heap error. What is read of each node
 * process (its limits, its heap) is node-heap-read.c; here, the judgement and the fix's facts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "procs/devserver.h"
#include "text/escape.h"
#include "fixes.h"
#include "loop-findings.h"
#include "node-heap.h"
#include "procs/nodeheap.h"
#include "procs/proctree.h"
#include "text/strbuf.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"
#include "systemd/units.h"
#include "host/memcg.h"
#include "host/virt.h"

#define CG "/sys/fs/cgroup"

void node_heap_data_free(void *p) {
        struct node_heap_data *d = p;
        if (d) {
                free(d->unit);
                free(d->dropin);
                free(d->env_file);
                free(d->other_options);
                free(d->manual);
        }
        free(d);
}

uint64_t node_heap_for_limit(uint64_t max) {
        return max / 4 * 3 / MIB;
}

/* The cgroup of UNIT within P's cgroup path: the path up to and including that component. */
static char *unit_cgroup(const struct proc *p, const char *unit) {
        size_t l = strlen(unit);
        const char *best = NULL;
        for (const char *s = p->cgroup; s && (s = strstr(s, unit)); s++)
                if (s > p->cgroup && s[-1] == '/' && (s[l] == '/' || !s[l]))
                        best = s;
        return best ? strndup(p->cgroup, (size_t) (best + l - p->cgroup)) : NULL;
}

/* A node process, with the service it runs in. */
struct nproc {
        const struct proc *p;
        char *exe;
        char *unit;             /* NULL: none (a session, a user manager's unit) */
        char *cg;               /* the unit's cgroup */
        unsigned workers;       /* node processes of its unit (1 outside one) */
        bool first;             /* the first of its unit: it carries the unit's fix */
};

static int cmp_nproc(const void *a, const void *b) {
        const struct nproc *x = a, *y = b;
        int c = strcmp(x->unit ? x->unit : "", y->unit ? y->unit : "");
        return c ? c : (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

/* The heap flag that NODE_OPTIONS text OPTS gives, MiB; 0 when none. */
static uint64_t options_mib(const char *opts) {
        char **w = NULL;
        size_t n = 0;
        uint64_t mib = 0;
        double pct = 0;
        if (!opts || node_options_split(opts, &w, &n) < 0)
                return 0;
        if (node_heap_flag(w, n, false, &mib, &pct) <= 0)
                mib = 0;
        strv_free(w);
        return mib;
}

/* Whether drop-in FILE of the unit sorts after hostfit's (so what it sets wins over ours). */
static bool after_ours(const struct unit *u, const char *file) {
        const char *base = file ? strrchr(file, '/') : NULL;
        return base && (!u->fragment || strcmp(file, u->fragment) != 0) && strcmp(base + 1, NODE_HEAP_DROPIN) > 0;
}

/* Where the fix can write NODE_OPTIONS so that it wins, from what the admin's files give
 * (hostfit's own drop-in left out): D's env_file, other_options, kept and target_mib, or
 * D->manual when nothing of hostfit's can win. SHARE: what each node process may use. */
static int plan_where(struct host *h, const struct unit *u, uint64_t share, struct node_heap_data *d) {
        struct node_unit_env e;
        int r = node_unit_env(h, u, NODE_HEAP_DROPIN, &e);
        if (r < 0)
                return r;
        uint64_t admin = options_mib(e.options);
        d->target_mib = node_heap_for_limit(share);
        if (admin && admin * MIB <= share)
                d->target_mib = admin, d->kept = true;
        d->other_options = node_other_options(e.options);
        if (e.unset_in)
                r = asprintf(&d->manual, "UnsetEnvironment= in %s removes NODE_OPTIONS from %s: give node "
                             "--max-old-space-size=%llu in its ExecStart= instead", e.unset_in, d->unit,
                             (unsigned long long) d->target_mib);
        else if (e.unknown)
                r = asprintf(&d->manual, "EnvironmentFile=%s of %s cannot be read (or is a glob), so what NODE_OPTIONS "
                             "it gets is unknown: set --max-old-space-size=%llu there", e.unknown, d->unit,
                             (unsigned long long) d->target_mib);
        else if (after_ours(u, e.set_in))
                r = asprintf(&d->manual, "%s sets NODE_OPTIONS of %s%s%s after hostfit's drop-in, so it wins: set "
                             "--max-old-space-size=%llu there", e.set_in, d->unit, e.env_file ? " from " : "",
                             e.env_file ? e.env_file : "", (unsigned long long) d->target_mib);
        else if (e.env_file)
                r = asprintf(&d->env_file, NODE_HEAP_ENV_DIR "/%s.env", d->unit);
        node_unit_env_done(&e);
        return r < 0 ? -ENOMEM : 0;
}

/* True when the unit's files (all of them, as systemd reads them) give node a heap within
 * SHARE: the fix is on disk and waits for the unit's next start. */
static bool fixed_on_disk(struct host *h, const struct unit *u, uint64_t share) {
        struct node_unit_env e;
        if (node_unit_env(h, u, NULL, &e) < 0)
                return false;
        uint64_t mib = e.unknown ? 0 : options_mib(e.options);
        node_unit_env_done(&e);
        return mib && mib * MIB <= share;
}

/* What the unit's node processes share: its enforced limit, RAM and swap where none is
 * enforced by a controller, else the limit unit-memorymax plans (one rule: memorymax_size()).
 * 0 with D->wait when the unit is too young to size. */
static int shared_limit(struct host *h, const struct nproc *n, const struct node_limits *l, uint64_t ram_swap,
                        struct node_heap_data *d) {
        if (l->effective != NO_LIMIT) {
                d->memory_max = l->effective;
                return 0;
        }
        if (l->unenforced || memcg_unenforced(h, n->cg)) {
                d->memory_max = ram_swap;
                return 0;
        }
        struct memorymax_data m = { .max = memorymax_config_max(config_get(host_config(h), "unit-memorymax", "max"), n->unit) };
        if (memorymax_measure(h, &m, n->cg) < 0)
                return -ENOMEM;
        m.heap_floor = node_heap_floor(h, n->cg);
        int r = memorymax_size(h, &m, &d->memory_max, &d->wait);
        if (r == -EAGAIN || r == -ENODATA) {
                d->memory_max = 0;
                return 0;
        }
        return r;
}

static int report_restart(struct report *r, const struct nproc *n, const struct node_heap *hp, uint64_t may) {
        _cleanup_free_ char *eu = escape_terminal_str(n->unit), *fix = NULL;
        int k = report_add_process(r, STATUS_WARN, n->p->pid, n->p->comm, NULL, NULL, "node (pid %d, %s) runs with a V8 heap of %llu MiB, above "
                           "the %llu MiB it may use; the unit's files set a heap within it: restart %s to apply it",
                           (int) n->p->pid, eu ? eu : "?", (unsigned long long) (hp->bytes / MIB),
                           (unsigned long long) (may / MIB), eu ? eu : "?");
        if (k < 0 || asprintf(&fix, "systemctl restart %s", eu ? eu : "?") < 0)
                return -ENOMEM;
        finding_set_fix(report_last(r), fix);
        return 1;
}

/* The fix's facts for N's unit; *ret NULL when its node processes are not the first one's. */
static int unit_fix_data(struct host *h, const struct nproc *n, const struct node_limits *l, const struct node_heap *hp,
                         const char *opts, bool in_argv, uint64_t ram_swap, uint64_t may, struct node_heap_data **ret) {
        struct node_heap_data *d = calloc(1, sizeof(*d));
        *ret = NULL;
        if (!d)
                return -ENOMEM;
        d->pid = n->p->pid;
        d->heap = hp->bytes;
        d->may_use = may;
        d->workers = n->workers;
        d->flag_in_argv = in_argv;
        d->target_mib = node_heap_for_limit(may);
        int r = 0;
        if (n->unit && n->first) {
                const struct unit *u = NULL;
                if (!(d->unit = strdup(n->unit)) ||
                    asprintf(&d->dropin, "/etc/systemd/system/%s.d/" NODE_HEAP_DROPIN, n->unit) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = shared_limit(h, n, l, ram_swap, d);
                if (r >= 0 && d->memory_max && (r = unit_load(h, n->unit, &u)) >= 0)
                        r = plan_where(h, u, d->memory_max / n->workers, d);
                if (r == -ENOENT) {
                        /* No file defines it (a transient unit): what the process got is all there is. */
                        uint64_t admin = options_mib(opts), share = d->memory_max / n->workers;
                        d->target_mib = admin && admin * MIB <= share ? admin : node_heap_for_limit(share);
                        d->kept = admin && admin * MIB <= share;
                        d->other_options = node_other_options(opts);
                        r = 0;
                }
        }
        if (r < 0) {
                node_heap_data_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

static void add_details(struct finding *f, const struct node_heap *hp, const struct node_binary *b, const struct node_limits *l,
                        const struct nproc *n, uint64_t may) {
        _cleanup_free_ char *how = escape_terminal_str(hp->how);
        finding_add_detail(f, "heap limit: %s", how ? how : "?");
        if (b->have_version)
                finding_add_detail(f, "node %u.%u.%u (from the %s)%s", b->version.major, b->version.minor,
                                   b->version.patch, b->version.source, b->bits == 32 ? ", a 32-bit build" : "");
        else
                finding_add_detail(f, "node's version is unknown%s", b->bits == 32 ? " (a 32-bit build)" : "");
        finding_add_detail(f, "cgroup %s: own limit %s, each of its %u node process%s may use %llu MiB", l->v2 ? "v2" : "v1",
                           l->own == NO_LIMIT ? "none" : "set", n->workers, n->workers == 1 ? "" : "es",
                           (unsigned long long) (may / MIB));
        if (l->unenforced)
                finding_add_detail(f, "a memory limit is set, but no memory controller enforces it here: not counted");
}

/* 1 when N was reported, 0 when not, -errno. *UNIT_DONE: its unit's fix is already carried. */
static int judge(struct host *h, struct report *r, struct nproc *n, const struct host_meminfo *mi, bool *unit_done,
                 unsigned *n_ok) {
        const struct proc *p = n->p;
        _cleanup_free_ char *opts = NULL;
        struct node_binary b;
        struct node_limits l;
        struct node_heap hp;
        bool in_argv;
        int k = node_binary_of(h, p->pid, n->exe, &b);
        if (k < 0)
                return k;
        node_read_limits(h, p, &l);
        opts = node_options_of(h, p->pid);
        if ((k = node_heap_of(p, opts, &l, &b, mi->mem_total, &hp, &in_argv)) < 0)
                return k;
        uint64_t ram_swap = mi->mem_total + mi->swap_total;
        /* Node processes of one unit share its limit. */
        uint64_t may = (l.effective != NO_LIMIT ? l.effective : ram_swap) / n->workers;
        if (hp.bytes <= may) {
                (*n_ok)++;
                return 0;
        }
        char what[400];
        const struct unit *u = NULL;
        if (!in_argv && n->unit && unit_load(h, n->unit, &u) >= 0 && fixed_on_disk(h, u, may))
                return report_restart(r, n, &hp, may);
        struct node_heap_data *d = NULL;
        if (!*unit_done) {
                n->first = true;
                if ((k = unit_fix_data(h, n, &l, &hp, opts, in_argv, ram_swap, may, &d)) < 0)
                        return k;
                *unit_done = n->unit != NULL;
        }
        int w = l.effective != NO_LIMIT ? snprintf(what, sizeof(what), "the memory limit of %s", l.where)
                                        : snprintf(what, sizeof(what), "RAM and swap");
        if (n->workers > 1 && w > 0 && (size_t) w < sizeof(what))
                snprintf(what + w, sizeof(what) - (size_t) w, ", shared by %u node processes", n->workers);
        _cleanup_free_ char *ewhat = escape_terminal_str(what), *eunit = n->unit ? escape_terminal_str(n->unit) : NULL;
        k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, node_heap_data_free,
                       "node (pid %d%s%s) may grow its V8 heap to %llu MiB but may use only %llu MiB (%s): the kernel "
                       "kills it before V8 fails with a heap error", (int) p->pid, eunit ? ", " : "", eunit ? eunit : "",
                       (unsigned long long) (hp.bytes / MIB), (unsigned long long) (may / MIB), ewhat ? ewhat : "?");
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        add_details(f, &hp, &b, &l, n, may);
        if (!n->unit)
                finding_set_fix(f, "run it as a systemd service with MemoryMax= and --max-old-space-size at 75% of that "
                                "(hostfit fix unmanaged-service)");
        else if (!d)
                finding_set_fix(f, "the fix of its unit's first node process sets the heap of all of them");
        return 1;
}

static void nprocs_free(struct nproc *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].exe), free(v[i].unit), free(v[i].cg);
        free(v);
}

/* The node processes, by unit, each with the number of its unit's. */
static int collect(struct host *h, const struct proc_table *t, struct nproc **ret, size_t *ret_n) {
        struct nproc *v = NULL;
        size_t n = 0, alloc = 0;
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                char *exe = NULL, *unit = NULL;
                if (p->kthread || p->pid <= 1 || !node_is_node_proc(h, p, &exe))
                        continue;
                if (n == alloc) {
                        struct nproc *nv = realloc(v, (alloc = alloc ? alloc * 2 : 16) * sizeof(*nv));
                        if (!nv) {
                                free(exe);
                                nprocs_free(v, n);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[n] = (struct nproc) { .p = p, .exe = exe, .workers = 1 };
                if (proc_in_service(p) && !strstr(p->cgroup, "/user@") && proc_cgroup_unit(p, &unit) == 0) {
                        v[n].unit = unit;
                        v[n].cg = unit_cgroup(p, unit);
                }
                n++;
        }
        if (n)
                qsort(v, n, sizeof(*v), cmp_nproc);
        for (size_t i = 0, j; i < n; i = j) {
                for (j = i + 1; j < n && v[i].unit && v[j].unit && strcmp(v[i].unit, v[j].unit) == 0; j++)
                        ;
                for (size_t k = i; k < j; k++)
                        v[k].workers = (unsigned) (j - i);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int node_heap_limit_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct host_meminfo *mi;
        unsigned n_ok = 0, n_bad = 0;
        int k = host_procs(h, &t);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add(r, STATUS_SKIP, "/proc", NULL, NULL, "no process table to read (%s)", strerror(-k));
        if ((k = host_meminfo(h, &mi)) < 0)
                return k == -ENOMEM ? k : report_add(r, STATUS_ERROR, "/proc/meminfo", NULL, NULL, "cannot read it: %s", strerror(-k));
        struct nproc *v = NULL;
        size_t n = 0;
        if ((k = collect(h, t, &v, &n)) < 0)
                return k;
        bool unit_done = false;
        for (size_t i = 0; k >= 0 && i < n; i++) {
                if (i == 0 || !v[i].unit || !v[i - 1].unit || strcmp(v[i].unit, v[i - 1].unit) != 0)
                        unit_done = false;
                k = judge(h, r, &v[i], mi, &unit_done, &n_ok);
                if (k > 0)
                        n_bad++;
        }
        nprocs_free(v, n);
        if (k < 0)
                return k;
        if (n_bad)
                return 0;
        return n_ok ? report_add(r, STATUS_PASS, "", NULL, NULL, "%u node process%s, each with a heap limit below "
                                 "the memory it may use", n_ok, n_ok == 1 ? "" : "es")
                    : report_add(r, STATUS_SKIP, "", NULL, NULL, "no node process runs");
}

const struct check check_node_heap_limit = {
        .id = "node-heap-limit",
        .title = "Node heap limits stay below the memory Node may use",
        .problem = "A Node heap limit is above the memory Node may use",
        .why = "V8 grows its heap up to --max-old-space-size; above the cgroup's MemoryMax= (or RAM and swap) "
               "the kernel SIGKILLs node first, and there is no 'heap out of memory' in any log.",
        .severity = SEVERITY_MEDIUM,
        .run = node_heap_limit_run,
        .fix = &fix_node_heap,
};
