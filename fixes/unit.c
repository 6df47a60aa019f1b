/* SPDX-License-Identifier: MIT */
/* The one way a fix writes a unit for a running process (fix_plan_process_unit, with the
 * process's owner from fix_proc_owner, and its hand-over, fix_plan_handover), and the fix
 * for unmanaged-service: a unit for the process's exact argv, cwd, user and allowlisted
 * environment, written and daemon-reloaded. The running process is never killed and the unit
 * is not enabled before it stops: the hand-over (stop, daemon-reload, enable --now) is a
 * manual step. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "procs/devserver.h"
#include "text/escape.h"
#include "fixes.h"
#include "host/config.h"
#include "loop-findings.h"
#include "procs/nodeheap.h"
#include "text/strv.h"
#include "host/host.h"
#include "procown.h"
#include "procs/proctree.h"
#include "systemd/unitname.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"

struct env_list {
        const char *buf;
        size_t len;
};

static int env_of(void *userdata, const struct proc *p, const char **ret_env, size_t *ret_len) {
        const struct env_list *e = userdata;
        (void) p;
        *ret_env = e->buf;
        *ret_len = e->len;
        return 0;
}

/* Whether ARGV, run with the environment ENV, is a dev server or a dev runtime. */
static int runs_dev_command(const struct unit_proc *u, char *const *argv, size_t argc,
                            const char *const *set_env, bool *ret) {
        _cleanup_strbuf_ struct strbuf a = STRBUF_INIT, e = STRBUF_INIT;
        int r = 0;
        for (size_t i = 0; i < argc && r == 0; i++)
                r = strbuf_add(&a, argv[i], strlen(argv[i]) + 1);
        /* The environment the unit will have: the overrides, then the process's entries they leave. */
        for (size_t i = 0; set_env && set_env[i] && r == 0; i++)
                r = strbuf_add(&e, set_env[i], strlen(set_env[i]) + 1);
        for (size_t i = 0; u->env && u->env[i] && r == 0; i++) {
                size_t nl = strcspn(u->env[i], "=");
                bool over = false;
                for (size_t j = 0; set_env && set_env[j] && !over; j++)
                        over = strncmp(set_env[j], u->env[i], nl + 1) == 0;
                if (!over)
                        r = strbuf_add(&e, u->env[i], strlen(u->env[i]) + 1);
        }
        if (r < 0)
                return r;
        struct proc q = { .pid = u->pid, .uid = u->uid, .argv = a.buf, .argv_len = a.len };
        const char *slash = strrchr(argv[0], '/');
        snprintf(q.comm, sizeof(q.comm), "%s", slash ? slash + 1 : argv[0]);
        struct env_list el = { e.buf ? e.buf : "", e.len };
        const struct devserver_pattern *pt = NULL;
        *ret = devserver_match(&q, env_of, &el, &pt) >= DEVSERVER_UNKNOWN;
        return 0;
}

__attribute__((format(printf, 2, 3)))
static int why(char **ret_why, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(ret_why, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : 0;
}

/* SPEC's limits from D (what was used over time, and for how long) by unit-memorymax's one rule;
 * 0 with a sentence in *ret_why (the unit carries no limit) when nothing of it can be sized yet. */
static int size_memory(struct host *h, struct memorymax_data *d, const char *what, struct unit_proc_spec *spec,
                       char **ret_why) {
        double wait = 0;
        uint64_t max = 0;
        *ret_why = NULL;
        d->max = memorymax_config_max(config_get(host_config(h), "unit-memorymax", "max"), spec->name);
        int r = memorymax_size(h, d, &max, &wait);
        if (r == -ENODATA)
                return why(ret_why, "No MemoryMax= in %s: nothing says what %s used over time; once it has run "
                           "a while, `hostfit fix unit-memorymax` sizes it, or set [unit-memorymax] max = %s:SIZE in "
                           "/etc/hostfit/hostfit.conf", spec->name, what, spec->name);
        /* Said without the ages: the plan is the same from one run to the next. */
        if (r == -EAGAIN)
                return why(ret_why, "No MemoryMax= in %s: %s has run less than %.0f s ([unit-memorymax] "
                           "min-uptime), too short to size its limit from what it uses (a cold start is no "
                           "measure); once the unit has run that long, `hostfit fix unit-memorymax` sizes it, or set "
                           "[unit-memorymax] max = %s:SIZE in /etc/hostfit/hostfit.conf",
                           spec->name, what, d->age + wait, spec->name);
        if (r < 0)
                return r;
        spec->memory_max = max;
        /* The one rule of unit-memorymax: MemoryHigh= only where there is swap to push to
         * (a failed read writes none: never more than the rule allows). */
        spec->memory_high = memorymax_high_wanted(h, NULL) > 0 ? max / 10 * 9 >> 20 << 20 : 0;
        return 1;
}

int fix_unit_memory(struct host *h, const struct unit_proc *u, struct unit_proc_spec *spec, char **ret_why) {
        struct memorymax_data d = { .running = true, .rss = u->hwm > u->rss ? u->hwm : u->rss, .age = u->age };
        _cleanup_free_ char *what = NULL;
        if (asprintf(&what, "pid %d", (int) u->pid) < 0)
                return -ENOMEM;
        return size_memory(h, &d, what, spec, ret_why);
}

int fix_loop_memory(struct host *h, const struct unit_proc *loop, struct unit_proc_spec *spec, char **ret_why) {
        const struct proc_table *t;
        const struct proc *q = host_procs(h, &t) == 0 ? proc_table_find(t, loop->pid) : NULL;
        struct memorymax_data d = { 0 };
        _cleanup_free_ char *what = NULL;
        int r = q && q->cgroup ? memorymax_measure(h, &d, q->cgroup) : 0;
        if (r < 0)
                return r;
        /* Only the peak: what runs now depends on the moment (the command, or the loop's sleep). */
        d.rss = d.current = 0;
        d.running = d.peak > 0;
        d.age = loop->age;
        if (asprintf(&what, "the loop pid %d%s%s", (int) loop->pid, q && q->cgroup ? " in " : "",
                     q && q->cgroup ? q->cgroup : "") < 0)
                return -ENOMEM;
        for (char *c = what; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = '_';
        return size_memory(h, &d, what, spec, ret_why);
}

int fix_proc_owner(struct host *h, pid_t pid, const struct proc **ret_proc, const char **ret_owner) {
        const struct proc_table *t;
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        const struct proc *q = proc_table_find(t, pid);
        const char *owner = q ? procown_owner(h, q) : NULL;
        if (!owner || strcmp(owner, PROCOWN_CONTAINER) == 0)
                return 0;
        *ret_proc = q;
        *ret_owner = owner;
        return 1;
}

int fix_unit_name(const struct unit_proc *u, const char *tool, char **ret) {
        char label[128];
        const char *cwd = u->cwd ? strrchr(u->cwd, '/') : NULL;
        if (u->port)
                snprintf(label, sizeof(label), "%s-%u", tool, (unsigned) u->port);
        else if (cwd && cwd[1])
                snprintf(label, sizeof(label), "%s-%s", tool, cwd + 1);
        else
                snprintf(label, sizeof(label), "%s-%d", tool, (int) u->pid);
        return unit_name_make(label, "service", ret);
}

int fix_proc_service(const struct proc *p, char **ret_unit, bool *ret_user) {
        _cleanup_free_ char *unit = NULL;
        if (!proc_in_service(p) || proc_cgroup_unit(p, &unit) < 0 || !unit_name_is_valid(unit))
                return 0;
        *ret_user = p->cgroup && strstr(p->cgroup, "/user@") != NULL;
        *ret_unit = TAKE_PTR(unit);
        return 1;
}

/* One process, one unit: a process that a unit runs gets a drop-in for that unit, never a second. */
static int runs_under_unit(struct host *h, pid_t pid, char **ret_why) {
        const struct proc_table *t;
        _cleanup_free_ char *unit = NULL;
        bool user = false;
        const struct proc *q = host_procs(h, &t) == 0 ? proc_table_find(t, pid) : NULL;
        if (!q || fix_proc_service(q, &unit, &user) <= 0)
                return 0;
        int r = why(ret_why, "pid %d already runs under %s%s: one process, one unit; that unit gets a drop-in, "
                    "never a second unit", (int) pid, unit, user ? " (a user manager's unit)" : "");
        return r < 0 ? r : 1;
}

/* The NODE_OPTIONS that ENV (NAME=value entries, NULL-terminated, may be NULL) sets, or NULL. */
static const char *node_options_in(const char *const *env) {
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], "NODE_OPTIONS=", 13) == 0)
                        return env[i] + 13;
        return NULL;
}

/* A unit hostfit writes for node with a MemoryMax= gives node a heap that fits it, by
 * node-heap-limit's rule (75% of the limit; the process's own flag where it fits), the other
 * options kept: else that check plans a drop-in for hostfit's own unit on the next run.
 * *ret (the caller's) is the environment to write, or NULL to keep SPEC's. */
static int node_heap_env(const struct unit_proc *u, const struct unit_proc_spec *s, char *const *argv, char ***ret) {
        const char *prog = s->exec_path ? s->exec_path : u->exe && (!s->argv || strcmp(argv[0], u->argv[0]) == 0) ? u->exe : argv[0];
        const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
        *ret = NULL;
        if (!s->memory_max || (strcmp(base, "node") != 0 && strcmp(base, "nodejs") != 0))
                return 0;
        const char *opts = node_options_in(s->environment);
        if (!opts)
                opts = node_options_in((const char *const *) u->env);
        _cleanup_(strv_freep) char **words = NULL;
        size_t n = 0;
        uint64_t mib = 0, want = node_heap_for_limit(s->memory_max);
        double pct = 0;
        int r = node_options_split(opts ? opts : "", &words, &n);
        if (r < 0)
                return r;
        if (node_heap_flag(words, n, false, &mib, &pct) > 0 && mib && mib <= want)
                return 0;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        r = strbuf_adds(&sb, "NODE_OPTIONS=");
        for (size_t i = 0; i < n && r == 0; i++) {
                if (strncmp(words[i], "--max-old-space-size", 20) == 0 || strncmp(words[i], "--max_old_space_size", 20) == 0)
                        continue;
                if (strpbrk(words[i], " \t\n\"\\"))
                        return 0;       /* a word Node would need quoted: left to node-heap-limit */
                r = strbuf_addf(&sb, "%s ", words[i]);
        }
        if (r == 0)
                r = strbuf_addf(&sb, "--max-old-space-size=%llu", (unsigned long long) want);
        size_t m = 0;
        char **env = calloc(2, sizeof(char *));
        for (size_t i = 0; r == 0 && env && s->environment && s->environment[i]; i++)
                if (strncmp(s->environment[i], "NODE_OPTIONS=", 13) != 0)
                        r = strv_push(&env, &m, strdup(s->environment[i]));
        if (r == 0 && env)
                r = strv_push(&env, &m, strbuf_detach(&sb, NULL));
        if (r < 0 || !env) {
                strv_free(env);
                return r < 0 ? r : -ENOMEM;
        }
        *ret = env;
        return 0;
}

int fix_plan_process_unit(struct host *h, struct plan *p, const struct fix_unit_request *req, char **ret_why) {
        const struct unit_proc *u = req->proc;
        const struct unit_proc_spec *s = &req->spec;
        char *const *argv = s->argv ? s->argv : u->argv;
        size_t argc = s->argv ? s->argc : u->argc;
        bool dev = false;
        if (!s->name || argc == 0 || !unit_name_is_valid(s->name))
                return -EINVAL;
        int r = runs_under_unit(h, u->pid, ret_why);
        if (r != 0)
                return r < 0 ? r : 0;
        r = runs_dev_command(u, argv, argc, s->environment, &dev);
        if (r < 0)
                return r;
        if (dev)
                return why(ret_why, "its command is a dev server's: hostfit writes no unit that runs %s",
                           "a dev command");
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL;
        _cleanup_(strv_freep) char **env = NULL;
        struct unit_proc_spec with_heap = *s;
        size_t len = 0;
        r = node_heap_env(u, s, argv, &env);
        if (r < 0)
                return r;
        if (env)
                with_heap.environment = (const char *const *) env;
        r = unitgen_process(h, u, &with_heap, &text, &len, &err);
        if (r == -ENOEXEC)
                return why(ret_why, "the program it runs is not known exactly (%s): run it as root, or write "
                           "the unit by hand with the program's absolute path", "/proc/PID/exe is unreadable");
        if (r == -EINVAL)
                return why(ret_why, "%s", err ? err : "its command cannot be written in a unit exactly");
        if (r == -ESRCH)
                return why(ret_why, "uid %u has no user entry (passwd, LDAP, sssd): systemd refuses User=%u, and "
                           "without User= the unit would run as root; add the user (useradd -u %u …), then rerun",
                           (unsigned) u->uid, (unsigned) u->uid, (unsigned) u->uid);
        if (r < 0)
                return r;
        if (u->port > 0) {
                r = plan_claim_port(p, s->name, u->port);
                if (r < 0)
                        return r;
        }
        if (asprintf(&path, "/etc/systemd/system/%s", s->name) < 0)
                return -ENOMEM;
        r = plan_add_write(p, req->check, path, text, len, 0644);
        if (r < 0)
                return r;
        if (r > 0 && (r = plan_add_systemd(p, req->check, SYSTEMD_DAEMON_RELOAD, NULL, NULL)) < 0)
                return r;
        return 1;
}

/* A name a shell can take as written: [A-Za-z_][A-Za-z0-9_]*. */
static bool env_name_plain(const char *s) {
        if (!*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

int fix_plan_handover(struct plan *p, const char *check, const char *unit, const char *stop,
                      const char *extra, const struct unit_proc *u) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = strbuf_addf(&sb, "hand over to %s (/etc/systemd/system/%s, written, not enabled) when convenient, "
                            "in this order: %s; systemctl daemon-reload; systemctl enable --now %s",
                            unit, unit, stop, unit);
        size_t n = 0;
        for (size_t i = 0; u && u->env_dropped && u->env_dropped[i] && r == 0; i++) {
                if (!env_name_plain(u->env_dropped[i]))
                        continue;
                r = strbuf_addf(&sb, "%s%s", n++ ? ", " : ". The unit does not carry ", u->env_dropped[i]);
        }
        if (r == 0 && n)
                r = strbuf_addf(&sb, " from pid %d's environment: if the service needs %s, set %s in a drop-in "
                                "(/etc/systemd/system/%s.d/, Environment= or EnvironmentFile=) before the last step",
                                (int) u->pid, n > 1 ? "them" : "it", n > 1 ? "them" : "it", unit);
        if (r == 0 && extra)
                r = strbuf_addf(&sb, ". %c%s", extra[0] >= 'a' && extra[0] <= 'z' ? extra[0] - 'a' + 'A' : extra[0], extra + 1);
        if (r < 0)
                return r;
        r = plan_add_manual(p, check, strbuf_str(&sb));
        return r < 0 ? r : 0;
}

static int unit_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct unmanaged_data *d = f->data;
        if (!d || !d->proc || d->proc->argc == 0)
                return 0;
        /* Another check's fix owns it (a dev server, a shielded process): that one plans its unit. */
        if (!d->owner || strcmp(d->owner, "unmanaged-service") != 0)
                return 0;
        int r = unit_proc_read_env(h, d->proc);
        if (r < 0)
                return r;
        struct fix_unit_request req = {
                .check = f->check->id,
                .proc = d->proc,
                .spec = {
                        .name = d->name,
                        .has_oom_score_adjust = true,
                        .oom_score_adjust = 0,
                },
        };
        _cleanup_free_ char *no = NULL, *stop = NULL, *unsized = NULL;
        r = fix_unit_memory(h, d->proc, &req.spec, &unsized);
        if (r < 0)
                return r;
        r = fix_plan_process_unit(h, p, &req, &no);
        if (r < 0)
                return r;
        if (r == 0) {
                r = plan_add_manualf(p, f->check->id, "run pid %d from a systemd unit (%s, /etc/systemd/system/%s): %s",
                                     (int) d->pid, d->name, d->name, no);
                return r < 0 ? r : 0;
        }
        if (asprintf(&stop, "kill %d", (int) d->pid) < 0)
                return -ENOMEM;
        return fix_plan_handover(p, f->check->id, d->name, stop, unsized, d->proc);
}

const struct fix fix_unit = {
        .name = "service-unit",
        .summary = "a service unit for the process's exact command line, real executable, cwd, user and "
                   "allowlisted environment, with restart, start limit and memory limits; written, not "
                   "enabled: the hand-over (stop the process, daemon-reload, enable --now) is a manual step",
        .plan = unit_plan,
};
