/* SPDX-License-Identifier: MIT */
/* node-heap-limit's reading of a node process: whether it is node, its cgroup's memory
 * limits (v1 and v2), its NODE_OPTIONS and the V8 heap it runs with, and the heap floor
 * unit-memorymax sizes a unit's limit by. Judging them is node-heap-limit.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "procs/devserver.h"
#include "loop-findings.h"
#include "node-heap.h"
#include "procs/nodeheap.h"
#include "procs/proctree.h"
#include "text/strbuf.h"
#include "text/strv.h"
#include "host/memcg.h"

static uint64_t min_limit(uint64_t a, uint64_t b) {
        if (!a)
                return b;
        if (!b)
                return a;
        return a < b ? a : b;
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

/* The limits of P's cgroup and its ancestors, each file read once a run. A limit no memory
 * controller enforces is not one: said (unenforced), never counted. */
void node_read_limits(struct host *h, const struct proc *p, struct node_limits *l) {
        _cleanup_free_ char *cg = NULL;
        memset(l, 0, sizeof(*l));
        l->v2 = memcg_mode(h) == MEMCG_V2;
        l->own = l->top = l->effective = NO_LIMIT;
        if (memcg_mode(h) == MEMCG_NONE)
                return;         /* no memory controller: no limit file to read */
        if (l->v2)
                cg = p->cgroup ? strdup(p->cgroup) : NULL;
        else {
                cg = v1_memory_path(h, p->pid);
                l->top = memcg_limit(h, "/", "memory.limit_in_bytes");
        }
        if (!cg || cg[0] != '/' || strstr(cg, ".."))
                return;
        bool enforced = !memcg_unenforced(h, cg);
        const char *hard = l->v2 ? "memory.max" : "memory.limit_in_bytes";
        const char *soft = l->v2 ? "memory.high" : "memory.soft_limit_in_bytes";
        for (bool first = true; ; first = false) {
                uint64_t m = memcg_limit(h, cg, hard);
                if (first)
                        l->own = min_limit(m, memcg_limit(h, cg, soft));
                if (m && m != NO_LIMIT && !enforced)
                        l->unenforced = true;
                else if (m && m < l->effective) {
                        l->effective = m;
                        snprintf(l->where, sizeof(l->where), "%s", cg);
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
char *node_options_of(struct host *h, pid_t pid) {
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
char *node_other_options(const char *opts) {
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

/* The old-space limit P runs with, and where it comes from. */
int node_heap_of(const struct proc *p, const char *opts, const struct node_limits *l, const struct node_binary *b,
                   uint64_t ram, struct node_heap *ret, bool *ret_in_argv) {
        const struct node_version *v = &b->version;
        bool have_v = b->have_version;
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
                ret->bytes = node_v8_default_old_space_bits(basis, b->bits == 32 ? 32 : 64);
                snprintf(ret->how, sizeof(ret->how), "V8's %sdefault from %s", b->bits == 32 ? "32-bit " : "", basis_what);
        }
        return 0;
}

/* The explicit heap flag of P (argv, else NODE_OPTIONS of its environ), MiB; 0: none. */
static uint64_t flag_mib(struct host *h, const struct proc *p) {
        struct node_limits none = { .own = NO_LIMIT, .top = NO_LIMIT, .effective = NO_LIMIT };
        struct node_binary b = { 0 };
        struct node_heap hp;
        bool in_argv;
        _cleanup_free_ char *opts = node_options_of(h, p->pid);
        if (node_heap_of(p, opts, &none, &b, 0, &hp, &in_argv) < 0 || strncmp(hp.how, "--max-old-space-size=", 21) != 0)
                return 0;
        return hp.bytes / MIB;
}

bool node_is_node_proc(struct host *h, const struct proc *p, char **ret_exe) {
        if (!maybe_node(p))
                return false;
        if (!ret_exe && (is_node(proc_name(p)) || is_node(p->comm)))
                return true;    /* its name says so: its exe is not asked for, nor read */
        _cleanup_free_ char *exe = read_exe(h, p->pid);
        const char *base = exe ? strrchr(exe, '/') + 1 : "";
        if (!is_node(proc_name(p)) && !is_node(p->comm) && !is_node(base))
                return false;
        if (ret_exe)
                *ret_exe = TAKE_PTR(exe);
        return true;
}

uint64_t node_heap_floor(struct host *h, const char *cg) {
        const struct proc *const *v;
        size_t n;
        uint64_t sum = 0;
        if (!cg || host_procs_in_cgroup(h, cg, &v, &n) < 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (node_is_node_proc(h, v[i], NULL))
                        sum += flag_mib(h, v[i]) * MIB;
        return sum;
}
