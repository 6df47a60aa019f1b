/* SPDX-License-Identifier: MIT */
/* node-heap-limit: a node process whose V8 old-space limit is above the memory it may use,
 * so the kernel kills it before V8 can fail with a heap error. */
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
#include "procs/nodeheap.h"
#include "procs/proctree.h"
#include "text/strbuf.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"
#include "systemd/units.h"
#include "host/virt.h"

#define MIB (1ULL << 20)
#define NO_LIMIT UINT64_MAX
#define CG "/sys/fs/cgroup"

void node_heap_data_free(void *p) {
        struct node_heap_data *d = p;
        if (d) {
                free(d->unit);
                free(d->dropin);
                free(d->other_options);
        }
        free(d);
}

uint64_t node_heap_for_limit(uint64_t max) {
        return max / 4 * 3 / MIB;
}

/* A cgroup limit file: bytes, NO_LIMIT for "max" or v1's near-2^63 "unlimited", 0 unreadable. */
static uint64_t read_limit(struct host *h, const char *dir, const char *name) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        if (asprintf(&path, "%s/%s", dir, name) < 0 || host_read_file(h, path, 64, &text, NULL) < 0)
                return 0;
        if (strncmp(text, "max", 3) == 0)
                return NO_LIMIT;
        char *end;
        unsigned long long v = strtoull(text, &end, 10);
        if (end == text)
                return 0;
        return v >= (1ULL << 62) ? NO_LIMIT : v;
}

static uint64_t min_limit(uint64_t a, uint64_t b) {
        if (!a)
                return b;
        if (!b)
                return a;
        return a < b ? a : b;
}

static bool cgroup_v2(struct host *h) {
        struct stat st;
        return host_stat(h, CG "/cgroup.controllers", &st) == 0;
}

/* P's path in the v1 memory hierarchy, from proc/PID/cgroup ("4:memory:/system.slice/x.service"). */
static char *v1_memory_path(struct host *h, pid_t pid) {
        FILE *f = NULL;
        char line[1024], *found = NULL;
        if (host_proc_fopen(h, pid, "cgroup", &f) < 0)
                return NULL;
        while (!found && fgets(line, sizeof(line), f)) {
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                if (!b)
                        continue;
                *b = 0;
                for (char *save = NULL, *w = strtok_r(a + 1, ",", &save); w && !found; w = strtok_r(NULL, ",", &save))
                        if (strcmp(w, "memory") == 0) {
                                b[1 + strcspn(b + 1, "\n")] = 0;
                                found = strdup(b + 1);
                        }
        }
        fclose(f);
        return found;
}

struct limits {
        uint64_t own;           /* what libuv reads from its own cgroup (lower of max and high) */
        uint64_t top;           /* v1: the top memory cgroup's limit_in_bytes (old libuv's fixed path) */
        uint64_t effective;     /* the lowest hard limit from its cgroup up to the root */
        char where[256];        /* the cgroup that sets the effective limit */
        bool v2;
};

static void read_limits(struct host *h, const struct proc *p, struct limits *l) {
        _cleanup_free_ char *cg = NULL;
        memset(l, 0, sizeof(*l));
        l->v2 = cgroup_v2(h);
        l->own = l->top = l->effective = NO_LIMIT;
        if (l->v2)
                cg = p->cgroup ? strdup(p->cgroup) : NULL;
        else {
                cg = v1_memory_path(h, p->pid);
                l->top = read_limit(h, CG "/memory", "memory.limit_in_bytes");
        }
        if (!cg || cg[0] != '/' || strstr(cg, ".."))
                return;
        const char *hard = l->v2 ? "memory.max" : "memory.limit_in_bytes";
        const char *soft = l->v2 ? "memory.high" : "memory.soft_limit_in_bytes";
        for (bool first = true; ; first = false) {
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "%s%s%s", l->v2 ? CG : CG "/memory", strcmp(cg, "/") == 0 ? "" : cg, "") < 0)
                        return;
                uint64_t m = read_limit(h, dir, hard);
                if (first)
                        l->own = min_limit(m, read_limit(h, dir, soft));
                if (m && m < l->effective) {
                        l->effective = m;
                        snprintf(l->where, sizeof(l->where), "%s", strcmp(cg, "/") == 0 ? "/" : cg);
                }
                char *slash = strrchr(cg, '/');
                if (!slash || strcmp(cg, "/") == 0)
                        break;
                if (slash == cg)
                        cg[1] = 0;
                else
                        *slash = 0;
        }
        if (!l->own)
                l->own = NO_LIMIT;
}

static bool is_node(const char *name) {
        return strcmp(name, "node") == 0 || strcmp(name, "nodejs") == 0;
}

/* Worth reading the exe of: named node, or a name node takes when a tool sets process.title.
 * A readlink of every process would cost more than the rest of the check. */
static bool maybe_node(const struct proc *p) {
        static const char *const titles[] = { "next-server", "npm", "npx", "yarn", "pnpm", "nest", "strapi", NULL };
        const char *a0 = proc_argc(p) ? proc_arg(p, 0) : "";
        if (strstr(a0, "node") || strstr(p->comm, "node"))
                return true;
        for (size_t i = 0; titles[i]; i++)
                if (strncmp(p->comm, titles[i], strlen(titles[i])) == 0)
                        return true;
        return false;
}

static char *read_exe(struct host *h, pid_t pid) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "", O_PATH | O_DIRECTORY);
        char buf[4096];
        ssize_t n = fd >= 0 ? readlinkat(fd, "exe", buf, sizeof(buf) - 1) : -1;
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        if (buf[0] != '/')
                return NULL;
        char *del = strstr(buf, " (deleted)");
        if (del)
                *del = 0;
        return strdup(buf);
}

/* NODE_OPTIONS from P's environ; NULL when unset or unreadable. */
static char *node_options_of(struct host *h, pid_t pid) {
        _cleanup_free_ char *env = NULL;
        size_t len = 0;
        if (devserver_read_environ(h, pid, &env, &len) < 0)
                return NULL;
        for (char *e = env; e < env + len; e += strlen(e) + 1)
                if (strncmp(e, "NODE_OPTIONS=", 13) == 0)
                        return strdup(e + 13);
        return NULL;
}

/* NODE_OPTIONS without its heap flags, for the drop-in to keep. */
static char *other_options(const char *opts) {
        char **w = NULL;
        size_t n = 0;
        _cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
        if (!opts || node_options_split(opts, &w, &n) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(w[i], "--max-old-space-size", 20) == 0 || strncmp(w[i], "--max_old_space_size", 20) == 0) {
                        if (!strchr(w[i], '=') && i + 1 < n)
                                i++;
                        continue;
                }
                strbuf_addf(&sb, "%s%s", strbuf_str(&sb)[0] ? " " : "", w[i]);
        }
        strv_free(w);
        return strbuf_str(&sb)[0] ? strbuf_detach(&sb, NULL) : NULL;
}

struct heap {
        uint64_t bytes;
        char how[160];
};

/* The old-space limit P runs with, and where it comes from. */
static int heap_of(struct host *h, const struct proc *p, const char *opts, const struct limits *l,
                   const struct node_version *v, bool have_v, uint64_t ram, struct heap *ret, bool *ret_in_argv) {
        size_t argc = proc_argc(p);
        char **words = calloc(argc + 1, sizeof(char *));
        uint64_t mib = 0;
        double pct = 0;
        if (!words)
                return -ENOMEM;
        for (size_t i = 1; i < argc; i++)
                words[i - 1] = (char *) proc_arg(p, i);
        *ret_in_argv = node_heap_flag(words, argc ? argc - 1 : 0, true, &mib, &pct) > 0;
        free(words);
        if (!*ret_in_argv && opts) {
                char **w = NULL;
                size_t n = 0;
                if (node_options_split(opts, &w, &n) < 0)
                        return -ENOMEM;
                if (node_heap_flag(w, n, false, &mib, &pct) == 0)
                        mib = 0, pct = 0;
                strv_free(w);
        }
        const char *src = *ret_in_argv ? "on its command line" : "in NODE_OPTIONS";
        /* What Node tells V8 the memory is: RAM, or the limit its libuv reads. */
        uint64_t basis = ram;
        const char *basis_what = "RAM";
        if (!have_v) {
                /* Unknown version: assume the newest behaviour, the smaller default. */
                if (l->own < basis)
                        basis = l->own, basis_what = "its cgroup's limit (version unknown)";
        } else if (l->v2 ? node_reads_cgroup_v2(v) : node_reads_cgroup_v1_own(v)) {
                if (l->own < basis)
                        basis = l->own, basis_what = "its cgroup's limit";
        } else if (!l->v2 && node_reads_cgroup_v1_top(v) && l->top < basis)
                basis = l->top, basis_what = "the top memory cgroup's limit";
        if (mib) {
                ret->bytes = mib * MIB;
                snprintf(ret->how, sizeof(ret->how), "--max-old-space-size=%llu %s", (unsigned long long) mib, src);
        } else if (pct > 0) {
                ret->bytes = (uint64_t) ((double) basis * pct / 100);
                snprintf(ret->how, sizeof(ret->how), "--max-old-space-size-percentage=%g %s, of %s", pct, src, basis_what);
        } else {
                ret->bytes = node_v8_default_old_space(basis);
                snprintf(ret->how, sizeof(ret->how), "V8's default from %s", basis_what);
        }
        return 0;
}

/* NODE_OPTIONS as the unit's files set it (Environment=, the last assignment wins; "" resets),
 * for the node its next start runs. NULL when unset. */
static char *unit_node_options(const struct unit *u) {
        char *found = NULL;
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                char **w = NULL;
                size_t n = 0;
                if (strcmp(a->section, "Service") != 0 || strcmp(a->key, "Environment") != 0)
                        continue;
                if (!a->value[0]) {
                        free(found);
                        found = NULL;
                        continue;
                }
                if (unit_split_exec(a->value, &w, &n) < 0)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (strncmp(w[j], "NODE_OPTIONS=", 13) == 0) {
                                free(found);
                                found = strdup(w[j] + 13);
                        }
                strv_free(w);
        }
        return found;
}

/* True when the unit's files already give node a heap within MAY bytes: the fix is on disk
 * and waits for the unit's next start. */
static bool fixed_on_disk(struct host *h, const char *unit, uint64_t may) {
        const struct unit *u = NULL;
        _cleanup_free_ char *opts = NULL;
        char **w = NULL;
        size_t n = 0;
        uint64_t mib = 0;
        double pct = 0;
        if (unit_load(h, unit, &u) < 0 || !(opts = unit_node_options(u)) || node_options_split(opts, &w, &n) < 0)
                return false;
        bool ok = node_heap_flag(w, n, false, &mib, &pct) > 0 && mib && mib * MIB <= may;
        strv_free(w);
        return ok;
}

/* What unit-memorymax would give a unit without a limit: the same rule, the same config. */
static uint64_t planned_memory_max(struct host *h, const struct proc_table *t, const struct proc *p,
                                   const char *unit, uint64_t ram) {
        uint64_t v = memorymax_config_max(config_get(host_config(h), "unit-memorymax", "max"), unit);
        if (v)
                return v;
        uint64_t rss = 0;
        for (size_t i = 0; i < t->n; i++)
                if (t->procs[i].cgroup && p->cgroup && strcmp(t->procs[i].cgroup, p->cgroup) == 0)
                        rss += t->procs[i].rss_bytes;
        return memorymax_default(rss, ram);
}

/* 1 when P was reported, 0 when not (or not node), -errno. */
static int judge(struct host *h, struct report *r, const struct proc_table *t, const struct proc *p,
                 const struct host_meminfo *mi, unsigned *n_ok) {
        if (!maybe_node(p))
                return 0;
        _cleanup_free_ char *exe = read_exe(h, p->pid), *opts = NULL, *unit = NULL;
        const char *base = exe ? strrchr(exe, '/') + 1 : "";
        if (!is_node(proc_name(p)) && !is_node(p->comm) && !is_node(base))
                return 0;
        struct node_version v = { 0 };
        bool have_v = node_version_of(h, p->pid, exe, &v) == 0;
        struct limits l;
        struct heap hp;
        bool in_argv;
        read_limits(h, p, &l);
        opts = node_options_of(h, p->pid);
        int k = heap_of(h, p, opts, &l, &v, have_v, mi->mem_total, &hp, &in_argv);
        if (k < 0)
                return k;
        uint64_t may = l.effective != NO_LIMIT ? l.effective : mi->mem_total + mi->swap_total;
        if (hp.bytes <= may) {
                (*n_ok)++;
                return 0;
        }
        char subject[32], what[300];
        snprintf(subject, sizeof(subject), "pid %d", (int) p->pid);
        if (!in_argv && proc_in_service(p) && proc_cgroup_unit(p, &unit) == 0 && fixed_on_disk(h, unit, may)) {
                _cleanup_free_ char *eu = escape_terminal_str(unit), *fix = NULL;
                k = report_add(r, STATUS_WARN, subject, NULL, NULL, "node (pid %d, %s) runs with a V8 heap of %llu MiB, above "
                               "the %llu MiB it may use; the unit's files set a heap within it: restart %s to apply it",
                               (int) p->pid, eu ? eu : "?", (unsigned long long) (hp.bytes / MIB),
                               (unsigned long long) (may / MIB), eu ? eu : "?");
                if (k < 0 || asprintf(&fix, "systemctl restart %s", eu ? eu : "?") < 0)
                        return -ENOMEM;
                finding_set_fix(report_last(r), fix);
                return 1;
        }
        free(unit);
        unit = NULL;
        struct node_heap_data *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->pid = p->pid;
        d->heap = hp.bytes;
        d->may_use = may;
        d->flag_in_argv = in_argv;
        d->other_options = other_options(opts);
        if (proc_in_service(p) && proc_cgroup_unit(p, &unit) == 0 && !strstr(p->cgroup, "/user@")) {
                d->unit = strdup(unit);
                d->memory_max = l.effective != NO_LIMIT ? l.effective : planned_memory_max(h, t, p, unit, mi->mem_total);
                if (!d->unit || asprintf(&d->dropin, "/etc/systemd/system/%s.d/50-hostfit-node-heap.conf", unit) < 0) {
                        node_heap_data_free(d);
                        return -ENOMEM;
                }
        }
        if (l.effective != NO_LIMIT)
                snprintf(what, sizeof(what), "the memory limit of %s", l.where);
        else
                snprintf(what, sizeof(what), "RAM and swap");
        _cleanup_free_ char *ewhat = escape_terminal_str(what), *eunit = unit ? escape_terminal_str(unit) : NULL;
        k = report_add(r, STATUS_FAIL, subject, d, node_heap_data_free,
                       "node (pid %d%s%s) may grow its V8 heap to %llu MiB but may use only %llu MiB (%s): the kernel "
                       "kills it before V8 fails with a heap error", (int) p->pid, eunit ? ", " : "", eunit ? eunit : "",
                       (unsigned long long) (hp.bytes / MIB), (unsigned long long) (may / MIB), ewhat ? ewhat : "?");
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        _cleanup_free_ char *how = escape_terminal_str(hp.how);
        finding_add_detail(f, "heap limit: %s", how ? how : "?");
        if (have_v)
                finding_add_detail(f, "node %u.%u.%u (from the %s)", v.major, v.minor, v.patch, v.source);
        else
                finding_add_detail(f, "node's version is unknown");
        finding_add_detail(f, "cgroup %s: own limit %s, effective %llu MiB", l.v2 ? "v2" : "v1",
                           l.own == NO_LIMIT ? "none" : "set", (unsigned long long) (may / MIB));
        if (!d->unit)
                finding_set_fix(f, "run it as a systemd service with MemoryMax= and --max-old-space-size at 75% of that "
                                "(hostfit fix unmanaged-service)");
        return 1;
}

static int node_heap_limit_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct host_meminfo *mi;
        unsigned n_ok = 0;
        int k = host_procs(h, &t);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add(r, STATUS_SKIP, "/proc", NULL, NULL, "no process table to read (%s)", strerror(-k));
        if ((k = host_meminfo(h, &mi)) < 0)
                return k == -ENOMEM ? k : report_add(r, STATUS_ERROR, "/proc/meminfo", NULL, NULL, "cannot read it: %s", strerror(-k));
        unsigned n_bad = 0;
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                if (p->kthread || p->pid <= 1)
                        continue;
                if ((k = judge(h, r, t, p, mi, &n_ok)) < 0)
                        return k;
                n_bad += k;
        }
        if (n_bad)
                return 0;
        return n_ok ? report_add(r, STATUS_PASS, "", NULL, NULL, "%u node process%s, each with a heap limit below "
                                 "the memory it may use", n_ok, n_ok == 1 ? "" : "es")
                    : report_add(r, STATUS_SKIP, "", NULL, NULL, "no node process runs");
}

const struct check check_node_heap_limit = {
        .id = "node-heap-limit",
        .title = "Node heap limits stay below the memory Node may use",
        .why = "V8 grows its heap up to --max-old-space-size; above the cgroup's MemoryMax= (or RAM and swap) "
               "the kernel SIGKILLs node first, and there is no 'heap out of memory' in any log.",
        .severity = SEVERITY_MEDIUM,
        .run = node_heap_limit_run,
        .fix = &fix_node_heap,
};
