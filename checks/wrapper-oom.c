/* SPDX-License-Identifier: MIT */
/* wrapper-oom-unprotected: a process shielded from the OOM killer under wrappers that are not,
 * and OOM daemon regexes that name a process by a name the daemon never sees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "procs/devserver.h"
#include "fixes.h"
#include "procs/oomd.h"
#include "procs/proctree.h"
#include "host/virt.h"
#include "systemd/units.h"

/* A service's main process: in a .service, started by a parent outside its cgroup. */
static bool service_main(const struct proc_table *t, const struct proc *p) {
        const struct proc *parent = proc_table_find(t, p->ppid);
        return proc_in_service(p) && (!parent || parent->pid == 1 || !parent->cgroup || !p->cgroup ||
                                      strcmp(parent->cgroup, p->cgroup) != 0);
}

/* An ancestor whose death ends P: a shell, tmux, screen, a package runner, sudo, a script's interpreter. */
static bool is_wrapper(const struct proc *a) {
        switch (proc_classify(a)) {
        case PROC_SHELL: case PROC_TMUX_SERVER: case PROC_SCREEN: case PROC_PKG_RUNNER: case PROC_PRIV:
                return true;
        case PROC_OTHER: {
                struct devserver_cmd c;
                bool script = devserver_cmd_parse(a, &c) == 0 && c.interp && c.tool > 0;
                devserver_cmd_done(&c);
                return script;
        }
        default:
                return false;
        }
}

/* P's ancestors up to the first that is PID 1 (left out) or a service's main process (kept). */
static size_t lineage(const struct proc_table *t, const struct proc *p, const struct proc **out, size_t max) {
        if (service_main(t, p))
                return 0;
        size_t n = proc_ancestors(t, p, out, max);
        for (size_t i = 0; i < n; i++) {
                if (out[i]->pid == 1)
                        return i;
                if (service_main(t, out[i]))
                        return i + 1;
        }
        return n;
}

static void set_proc(struct wrapper_oom_proc *w, const struct proc *p) {
        w->pid = p->pid;
        w->adj = p->oom_score_adj;
        snprintf(w->comm, sizeof(w->comm), "%s", p->comm);
}

static int list_wrappers(struct strbuf *sb, const struct wrapper_oom_finding *d, bool adj) {
        int r = 0;
        for (size_t i = 0; i < d->n && r == 0; i++)
                r = adj ? strbuf_addf(sb, "%spid %d (%s) %d", i ? ", " : "", (int) d->wrappers[i].pid,
                                      d->wrappers[i].comm, d->wrappers[i].adj)
                        : strbuf_addf(sb, "%spid %d (%s)", i ? ", " : "", (int) d->wrappers[i].pid, d->wrappers[i].comm);
        return r;
}

/* A shell, npm or sudo: never a server itself. Shielded, it is shielded for the server it
 * runs (the fix lowers such a wrapper to the server's value), and the server reports. */
static bool pure_wrapper(const struct proc *a) {
        enum proc_kind k = proc_classify(a);
        return k == PROC_SHELL || k == PROC_PKG_RUNNER || k == PROC_PRIV;
}

static int check_shield(struct report *r, const struct proc_table *t, const struct proc *p, int below) {
        const struct proc *chain[64];
        if (!p->oom_known || p->oom_score_adj >= below || pure_wrapper(p) || proc_classify(p) == PROC_TMUX_SERVER ||
            proc_classify(p) == PROC_SCREEN)
                return 0;
        size_t n = lineage(t, p, chain, ELEMENTSOF(chain));
        if (n == 0)
                return 0;
        struct wrapper_oom_finding *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->pid = p->pid;
        d->adj = p->oom_score_adj;
        snprintf(d->comm, sizeof(d->comm), "%s", p->comm);
        for (size_t i = 0; i < n; i++) {
                /* An ancestor as shielded as P reports the wrappers above it itself; P reports
                 * those between them (none: P is covered by it). A shielded shell, npm or sudo
                 * reports nothing: P looks past it. */
                if (chain[i]->oom_known && chain[i]->oom_score_adj < below && chain[i]->oom_score_adj <= p->oom_score_adj) {
                        if (pure_wrapper(chain[i]))
                                continue;
                        break;
                }
                if (is_wrapper(chain[i]) && chain[i]->oom_known && chain[i]->oom_score_adj > p->oom_score_adj &&
                    d->n < WRAPPER_MAX)
                        set_proc(&d->wrappers[d->n++], chain[i]);
        }
        if (d->n == 0) {
                free(d);
                return 0;
        }
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT, place = STRBUF_INIT;
        int k = list_wrappers(&sb, d, true);
        if (k == 0)
                k = devserver_describe_place(t, p, &place);
        if (k < 0) {
                free(d);
                return k;
        }
        k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, free,
                       "%s has oom_score_adj %d, but the wrappers whose death ends it do not: %s",
                       p->comm, p->oom_score_adj, strbuf_str(&sb));
        if (k == 0)
                k = finding_add_detail(report_last(r), "%s", strbuf_str(&place));
        return k;
}

/* The names P's command line gives it: argv[0]'s, the script's, its npm package's. */
static bool argv_name_matches(const struct oomd_regex *re, const struct proc *p) {
        struct devserver_cmd c;
        if (devserver_cmd_parse(p, &c) < 0)
                return false;
        bool m = oomd_regex_matches(re, c.tool_name) || (c.package && oomd_regex_matches(re, c.package)) ||
                 oomd_regex_matches(re, c.words[c.tool]) || oomd_regex_matches(re, proc_name(p));
        devserver_cmd_done(&c);
        return m;
}

static int add_name(struct wrapper_oom_finding *d, const char *comm) {
        for (size_t i = 0; i < d->n_names; i++)
                if (strcmp(d->names[i], comm) == 0)
                        return 0;
        if (d->n_names <= WRAPPER_MAX)
                snprintf(d->names[d->n_names++], sizeof(d->names[0]), "%s", comm);
        return 0;
}

static int check_avoid(struct report *r, const struct proc_table *t, const struct proc *p, const struct oomd_regex *re) {
        const struct proc *chain[64];
        bool spared = oomd_regex_matches(re, p->comm);
        bool meant = !spared && argv_name_matches(re, p);
        if (!spared && !meant)
                return 0;
        size_t n = lineage(t, p, chain, ELEMENTSOF(chain));
        _cleanup_free_ struct wrapper_oom_finding *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->daemon = true;
        d->earlyoom = strcmp(re->daemon, "earlyoom") == 0;
        d->pid = p->pid;
        snprintf(d->comm, sizeof(d->comm), "%s", p->comm);
        if (meant)
                add_name(d, p->comm);
        for (size_t i = 0; i < n; i++) {
                if (oomd_regex_matches(re, chain[i]->comm)) {
                        if (spared)
                                return 0;       /* the spared ancestor reports its own wrappers */
                        continue;
                }
                if (is_wrapper(chain[i]) && d->n < WRAPPER_MAX) {
                        set_proc(&d->wrappers[d->n++], chain[i]);
                        add_name(d, chain[i]->comm);
                }
        }
        if (!meant && d->n == 0)
                return 0;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int k = list_wrappers(&sb, d, false);
        if (k < 0)
                return k;
        if (meant)
                return report_add_process(r, STATUS_FAIL, p->pid, p->comm, TAKE_PTR(d), free,
                                  "%s %s '%s' names it by its command line, but %s matches the process name, "
                                  "which is '%s': it is not spared%s%s", re->daemon, re->option, re->pattern,
                                  re->daemon, p->comm, sb.len ? "; nor are its wrappers " : "", strbuf_str(&sb));
        return report_add_process(r, STATUS_FAIL, p->pid, p->comm, TAKE_PTR(d), free,
                          "%s %s '%s' spares it (%s) but not the wrappers whose death ends it: %s",
                          re->daemon, re->option, re->pattern, p->comm, strbuf_str(&sb));
}

/* The section of a unit of NAME's type where resource settings go, NULL for other types. */
static const char *resource_section(const char *name) {
        static const struct { const char *suffix, *section; } types[] = {
                { ".service", "Service" }, { ".slice", "Slice" }, { ".scope", "Scope" },
        };
        size_t n = strlen(name);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                size_t l = strlen(types[i].suffix);
                if (n > l && strcmp(name + n - l, types[i].suffix) == 0)
                        return types[i].section;
        }
        return NULL;
}

static bool is_kill(const char *v) {
        return v && strcmp(v, "kill") == 0;
}

/* The first unit along CGROUP ("/user.slice/user-1000.slice/…") whose cgroup systemd-oomd
 * kills as a whole (ManagedOOMSwap= or ManagedOOMMemoryPressure=kill in its own section,
 * drop-ins included), from the unit model: only the units of the processes asked about
 * are read, and each once a run. 1 and its name in *RET_UNIT, 0 when none, or -ENOMEM. */
static int oomd_cgroup_kill_unit(struct host *h, const char *cgroup, char **ret_unit) {
        for (const char *s = cgroup; s && *s; ) {
                s += strspn(s, "/");
                size_t n = strcspn(s, "/");
                char name[256];
                const struct unit *u;
                const char *section;
                if (n > 0 && n < sizeof(name)) {
                        memcpy(name, s, n);
                        name[n] = '\0';
                        section = resource_section(name);
                        int r = section && unit_name_is_valid(name) ? unit_load(h, name, &u) : -ENOENT;
                        if (r == -ENOMEM)
                                return r;
                        if (r == 0 && !u->masked && (is_kill(unit_get(u, section, "ManagedOOMSwap")) ||
                                                     is_kill(unit_get(u, section, "ManagedOOMMemoryPressure")))) {
                                *ret_unit = strdup(name);
                                return *ret_unit ? 1 : -ENOMEM;
                        }
                }
                s += n;
        }
        return 0;
}

static int check_oomd_units(struct host *h, struct report *r, const struct proc *p, int below) {
        _cleanup_free_ char *unit = NULL;
        if (!p->oom_known || p->oom_score_adj >= below || !p->cgroup)
                return 0;       /* nothing shielded: no unit is read */
        int k = oomd_cgroup_kill_unit(h, p->cgroup, &unit);
        if (k <= 0)
                return k;
        return report_add_process(r, STATUS_WARN, p->pid, p->comm, NULL, NULL,
                          "%s has oom_score_adj %d, but runs under %s, whose cgroup "
                          "systemd-oomd kills as a whole (ManagedOOM…=kill): oom_score_adj does not protect it",
                          p->comm, p->oom_score_adj, unit);
}

static int wrapper_oom_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        struct oomd_config oc = {};
        int below = (int) config_get_int(host_config(h), "wrapper-oom", "shielded-below", 0);
        int k = host_procs(h, &t);
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read the process table: %s", strerror(-k));
        k = oomd_load(h, &oc);
        if (k < 0)
                return k;
        for (char **s = oc.problems; s && *s && k == 0; s++)
                k = report_add(r, STATUS_WARN, EARLYOOM_DEFAULTS, NULL, NULL, "%s", *s);
        for (size_t i = 0; i < t->n && k == 0; i++) {
                const struct proc *p = &t->procs[i];
                if (p->kthread || p->pid == 1)
                        continue;
                k = check_shield(r, t, p, below);
                for (size_t j = 0; j < oc.n && k == 0; j++)
                        if (oc.re[j].avoid)
                                k = check_avoid(r, t, p, &oc.re[j]);
                if (k == 0)
                        k = check_oomd_units(h, r, p, below);
        }
        oomd_done(&oc);
        return k;
}

/* An owner (checks/procown.h): a shielded process with a wrapper more killable than itself
 * above it, the subject check_shield() reports. Its unit carries OOMScoreAdjust=. */
static bool wrapper_oom_claims(struct host *h, const struct proc_table *t, const struct proc *p) {
        int below = (int) config_get_int(host_config(h), "wrapper-oom", "shielded-below", 0);
        const struct proc *chain[64];
        /* The subjects check_shield() reports, by the same rules. */
        if (p->kthread || p->pid <= 1 || !p->oom_known || p->oom_score_adj >= below || pure_wrapper(p) ||
            proc_classify(p) == PROC_TMUX_SERVER || proc_classify(p) == PROC_SCREEN)
                return false;
        size_t n = lineage(t, p, chain, ELEMENTSOF(chain));
        for (size_t i = 0; i < n; i++) {
                if (chain[i]->oom_known && chain[i]->oom_score_adj < below && chain[i]->oom_score_adj <= p->oom_score_adj) {
                        if (pure_wrapper(chain[i]))
                                continue;
                        return false;
                }
                if (is_wrapper(chain[i]) && chain[i]->oom_known && chain[i]->oom_score_adj > p->oom_score_adj)
                        return true;
        }
        return false;
}

const struct check check_wrapper_oom = {
        .id = "wrapper-oom-unprotected",
        .title = "Processes shielded from the OOM killer have shielded wrappers",
        .problem = "A process shielded from the OOM killer runs under a more killable wrapper",
        .why = "Shielding a server does nothing when the shell, tmux or npm process it runs under "
               "is killed instead: the hangup takes the server down with it.",
        .severity = SEVERITY_HIGH,
        .run = wrapper_oom_run,
        .fix = &fix_wrapper_oom,
        .claims = wrapper_oom_claims,
};
