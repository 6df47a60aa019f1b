/* SPDX-License-Identifier: MIT */
/* dev-server: a dev server or dev runtime serving while the profile is production. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "systemd/unitname.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "procs/devserver.h"
#include "fixes.h"
#include "procown.h"
#include "procs/proctree.h"
#include "text/strbuf.h"
#include "host/virt.h"

/* The environ of one process at a time: the matcher may ask for it several times. */
struct env_cache {
        struct host *host;
        pid_t pid;
        int error;
        char *env;
        size_t len;
};

static int env_get(void *userdata, const struct proc *p, const char **ret_env, size_t *ret_len) {
        struct env_cache *c = userdata;
        if (c->pid != p->pid) {
                free(c->env);
                c->env = NULL;
                c->len = 0;
                c->pid = p->pid;
                c->error = devserver_read_environ(c->host, p->pid, &c->env, &c->len);
        }
        if (c->error < 0)
                return c->error;
        *ret_env = c->env;
        *ret_len = c->len;
        return 0;
}

/* [dev-server] allow = ID|GLOB ...: a pattern id, or a glob on the tool's path. */
static bool allowed(const struct config *cfg, const struct proc *p, const struct devserver_pattern *pt) {
        const char *allow = config_get(cfg, "dev-server", "allow");
        if (!allow)
                return false;
        if (devserver_word_in(pt->id, allow))
                return true;
        struct devserver_cmd c;
        if (devserver_cmd_parse(p, &c) < 0)
                return false;
        bool ok = false;
        for (const char *s = allow; *s && !ok; ) {
                s += strspn(s, " \t");
                size_t len = strcspn(s, " \t");
                _cleanup_free_ char *glob = strndup(s, len);
                ok = glob && len && fnmatch(glob, c.words[c.tool], 0) == 0;
                s += len;
        }
        devserver_cmd_done(&c);
        return ok;
}

static void format_size(char *buf, size_t size, uint64_t bytes) {
        if (bytes >= (10ull << 30))
                snprintf(buf, size, "%llu GiB", (unsigned long long) (bytes >> 30));
        else if (bytes >= (1ull << 20))
                snprintf(buf, size, "%llu MiB", (unsigned long long) (bytes >> 20));
        else
                snprintf(buf, size, "%llu KiB", (unsigned long long) (bytes >> 10));
}

static int argv_line(const struct proc *p, struct strbuf *out) {
        size_t n = proc_argc(p);
        while (n > 0 && !*proc_arg(p, n - 1))
                n--;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = strbuf_addf(out, "%s%s", i ? " " : "", proc_arg(p, i));
        return r;
}

struct group {
        size_t root;            /* index in the table */
        enum devserver_verdict verdict;
        const struct devserver_pattern *pattern;
        pid_t launcher;         /* outermost member with an exact production command */
        uint64_t rss;
        struct strbuf pids;
};

/* The outermost ancestor-or-self that is a dev server itself: the group a process (a compiler
 * child, a worker) belongs to and adds its memory to. */
static size_t group_root(const struct proc_table *t, const enum devserver_verdict *v, size_t i) {
        const struct proc *chain[64];
        size_t n = proc_ancestors(t, &t->procs[i], chain, ELEMENTSOF(chain));
        size_t root = v[i] >= DEVSERVER_UNKNOWN ? i : SIZE_MAX;
        for (size_t k = 0; k < n; k++) {
                size_t j = (size_t) (chain[k] - t->procs);
                if (v[j] >= DEVSERVER_UNKNOWN)
                        root = j;
        }
        return root;
}

static int add_member(struct group *g, const struct proc *p, enum devserver_verdict v,
                      const struct devserver_pattern *pt) {
        g->rss += p->rss_bytes;
        if (v > g->verdict)
                g->verdict = v;
        /* A member run for production (a title with NODE_ENV unset) adds its memory, not its name. */
        if (v < DEVSERVER_UNKNOWN)
                pt = NULL;
        if (pt && (!g->pattern || (g->pattern->wrapper && !pt->wrapper)))
                g->pattern = pt;
        if (pt && pt->prod_sub && !g->launcher)
                g->launcher = p->pid;
        return strbuf_addf(&g->pids, "%s%d", g->pids.len ? ", " : "", (int) p->pid);
}

static int report_group(struct host *h, struct report *r, const struct proc_table *t, struct group *g) {
        const struct proc *p = &t->procs[g->root];
        _cleanup_strbuf_ struct strbuf cmd = STRBUF_INIT, place = STRBUF_INIT;
        char size[32];
        int k = argv_line(p, &cmd);
        if (k == 0)
                k = devserver_describe_place(t, p, &place);
        if (k < 0)
                return k;
        format_size(size, sizeof(size), g->rss);
        struct devserver_finding *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->pid = p->pid;
        d->launcher = g->launcher;
        d->pattern = g->pattern;
        d->rss = g->rss;
        _cleanup_free_ char *container = procown_container(p), *unit = NULL;
        const struct proc *l = g->launcher ? proc_table_find(t, g->launcher) : NULL;
        if (container)
                snprintf(d->container, sizeof(d->container), "%s", container);
        else if (proc_in_service(l ? l : p) && proc_cgroup_unit(l ? l : p, &unit) == 0 && strlen(unit) < sizeof(d->unit) &&
                 unit_name_is_valid(unit)) {
                snprintf(d->unit, sizeof(d->unit), "%s", unit);
                d->user_unit = strstr((l ? l : p)->cgroup, "/user@") != NULL;
        }
        k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, free, "a %s (%s), %s RSS, %s%s%s",
                       g->pattern->framework, strbuf_str(&cmd), size, strbuf_str(&place),
                       container ? ", in container " : "", container ? container : "");
        struct finding *f = report_last(r);
        if (k == 0 && container)
                k = finding_set_fix(f, "change the container's command in its image or compose file: hostfit changes "
                                       "no container from the host");
        if (k == 0 && strchr(strbuf_str(&g->pids), ','))
                k = finding_add_detail(f, "processes: %s", strbuf_str(&g->pids));
        if (k == 0 && p->cgroup)
                k = finding_add_detail(f, "cgroup: %s", p->cgroup);
        if (k == 0)
                k = finding_add_detail(f, "pattern: %s", g->pattern->id);
        if (k == 0)
                k = finding_add_detail(f, "in production: %s", g->pattern->steps);
        return k;
}

static int collect(struct host *h, const struct proc_table *t, enum devserver_verdict *v,
                   const struct devserver_pattern **pts) {
        struct env_cache ec = { .host = h, .pid = -1 };
        for (size_t i = 0; i < t->n; i++) {
                v[i] = devserver_match(&t->procs[i], env_get, &ec, &pts[i]);
                if (v[i] >= DEVSERVER_UNKNOWN && allowed(host_config(h), &t->procs[i], pts[i]))
                        v[i] = DEVSERVER_NOT_DEV;
        }
        free(ec.env);
        return 0;
}

static int dev_server_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        if (strcmp(config_profile(host_config(h)), "development") == 0)
                return report_add(r, STATUS_SKIP, "", NULL, NULL, "the profile is development: dev servers are expected");
        const struct proc_table *t;
        int k = host_procs(h, &t);
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read the process table: %s", strerror(-k));
        _cleanup_free_ enum devserver_verdict *v = calloc(t->n + 1, sizeof(*v));
        _cleanup_free_ const struct devserver_pattern **pts = calloc(t->n + 1, sizeof(*pts));
        _cleanup_free_ struct group *g = NULL;
        size_t ng = 0, roots = 0;
        if (!v || !pts)
                return -ENOMEM;
        collect(h, t, v, pts);
        /* Each group is rooted at a dev server: at most one group each, and without one no
         * process walks its ancestors. */
        for (size_t i = 0; i < t->n; i++)
                roots += v[i] >= DEVSERVER_UNKNOWN;
        if (roots && !(g = calloc(roots, sizeof(*g))))
                return -ENOMEM;
        for (size_t i = 0; roots && i < t->n && k == 0; i++) {
                size_t root = group_root(t, v, i);
                if (root == SIZE_MAX)
                        continue;
                size_t gi = 0;
                while (gi < ng && g[gi].root != root)
                        gi++;
                if (gi == ng)
                        g[ng++] = (struct group) { .root = root, .verdict = v[root], .pattern = pts[root] };
                k = add_member(&g[gi], &t->procs[i], v[i], pts[i]);
        }
        /* Processes whose environment decides and cannot be read (other users', without root) are
         * counted, not each reported: one sentence says what could not be judged. */
        unsigned unknown = 0;
        for (size_t gi = 0; gi < ng && k == 0; gi++) {
                if (g[gi].verdict == DEVSERVER_UNKNOWN)
                        unknown++;
                else
                        k = report_group(h, r, t, &g[gi]);
        }
        if (k == 0 && unknown > 0)
                k = report_add(r, STATUS_SKIP, "/proc", NULL, NULL,
                               "%s%u process%s could not be judged: %s environment, which decides, is unreadable",
                               geteuid() != 0 ? "needs root: " : "",
                               unknown, unknown == 1 ? "" : "es", unknown == 1 ? "its" : "their");
        for (size_t gi = 0; gi < ng; gi++)
                strbuf_release(&g[gi].pids);
        return k;
}

/* The first owner (checks/procown.h): a dev server, whatever the profile or allow list say (no fix
 * writes a unit that runs a dev command), with its workers and compilers (descendants). */
static bool dev_server_claims(struct host *h, const struct proc_table *t, const struct proc *p) {
        struct env_cache ec = { .host = h, .pid = -1 };
        const struct proc *chain[64];
        const struct devserver_pattern *pt;
        size_t n = proc_ancestors(t, p, chain, ELEMENTSOF(chain));
        bool dev = devserver_match(p, env_get, &ec, &pt) >= DEVSERVER_UNKNOWN;
        for (size_t i = 0; i < n && !dev; i++)
                dev = chain[i]->pid > 1 && devserver_match(chain[i], env_get, &ec, &pt) >= DEVSERVER_UNKNOWN;
        free(ec.env);
        return dev;
}

const struct check check_dev_server = {
        .id = "dev-server",
        .title = "No dev server or dev runtime serves in production",
        .problem = "A dev server or dev runtime serves in production",
        .why = "A dev server compiles on the fly, watches files and holds several times the memory of the "
               "built app; on a small host it is the first thing the OOM killer takes. tsx and ts-node count "
               "with or without watch (plain `tsx server.ts` compiles TypeScript on every start), as does "
               "`flask --app X run --debug`.",
        .severity = SEVERITY_HIGH,
        .run = dev_server_run,
        .fix = &fix_devserver,
        .claims = dev_server_claims,
};
