/* SPDX-License-Identifier: MIT */
/* Fix for dev-server: the production command's unit when it is exact, else the steps, marked manual. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "procs/devserver.h"
#include "fixes.h"
#include "systemd/unitgen.h"
#include "text/strv.h"

static const char *base_name(const char *s) {
        const char *slash = strrchr(s, '/');
        return slash && slash[1] ? slash + 1 : s;
}

/* The launcher's argv with the dev subcommand replaced by the production one and dev-only options dropped. */
static int production_argv(const struct proc *p, const struct devserver_pattern *pt, char ***ret, size_t *ret_n) {
        struct devserver_cmd c;
        int r = devserver_cmd_parse(p, &c);
        if (r < 0)
                return r;
        if (c.title) {
                devserver_cmd_done(&c);
                return -ENOEXEC;
        }
        char **out = calloc(c.n + 1, sizeof(char *));
        size_t n = 0;
        bool replaced = false;
        for (size_t i = 0; out && i < c.n; i++) {
                const char *w = c.words[i];
                size_t nl = strcspn(w, "=");
                _cleanup_free_ char *opt = strndup(w, nl);
                if (i > c.tool && w[0] == '-' && opt && devserver_word_in(opt, pt->drop))
                        continue;
                if (i > c.tool && !replaced && w[0] != '-') {
                        replaced = true;
                        w = pt->prod_sub;
                }
                out[n++] = strdup(w);
        }
        devserver_cmd_done(&c);
        bool ok = out && replaced;
        for (size_t i = 0; out && i < n; i++)
                ok = ok && out[i];
        if (!ok) {
                r = out ? -ENOEXEC : -ENOMEM;
                strv_free_n(out, n);
                return r;
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

static const char *const production_env[] = { "NODE_ENV=production", NULL };

/* A dev server that already runs under UNIT: a drop-in that replaces its ExecStart= (the
 * "ExecStart=" line first resets the list), not a second unit fighting for its port. */
static int plan_dropin(struct host *h, struct plan *p, const struct devserver_finding *d,
                       const struct unit_proc *u, char *const *argv, size_t argc, const struct devserver_pattern *pt) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *path = NULL, *steps = NULL;
        const char *exe = unitgen_exec_path(u, argv);
        int r = strbuf_adds(&sb, "# written by hostfit: the production command instead of the dev server\n"
                                 "[Service]\nExecStart=\nExecStart=");
        if (r == 0)
                r = exe ? unit_quote_exec_path(&sb, exe, argv, argc) : unit_quote_exec_argv(&sb, argv, argc);
        if (r == -EINVAL)
                return -ENOEXEC;
        if (r == 0)
                r = strbuf_adds(&sb, "\nEnvironment=NODE_ENV=production\n");
        if (r < 0)
                return r;
        if (asprintf(&path, "/etc/systemd/system/%s.d/50-hostfit-production.conf", d->unit) < 0)
                return -ENOMEM;
        r = plan_add_write(p, "dev-server", path, sb.buf, sb.len, 0644);
        if (r > 0)
                r = plan_add_systemd(p, "dev-server", SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r < 0)
                return r;
        if (asprintf(&steps, "%s runs the production command (%s) after its next restart. Build first: run `%s` "
                     "in %s as the app's user; then `systemctl restart %s`", d->unit, path, pt->prereq,
                     u->cwd ? u->cwd : "the project directory", d->unit) < 0)
                return -ENOMEM;
        (void) h;
        r = plan_add_manual(p, "dev-server", steps);
        return r < 0 ? r : 0;
}

static int plan_production_unit(struct host *h, struct plan *p, const struct devserver_finding *d,
                                const struct proc *launcher) {
        char **argv = NULL;
        size_t argc = 0;
        const struct devserver_pattern *pt = devserver_pattern_find("next-dev");
        if (d->pattern->prod_sub)
                pt = d->pattern;
        int r = production_argv(launcher, pt, &argv, &argc);
        if (r < 0)
                return r;
        _cleanup_(unit_proc_freep) struct unit_proc *u = NULL;
        _cleanup_free_ char *name = NULL, *prefix = NULL, *desc = NULL, *steps = NULL, *no = NULL, *unsized = NULL;
        r = unit_proc_read(h, launcher, &u);
        if (r < 0)
                goto out;
        if (d->unit[0] && d->user_unit) {
                /* A user manager's unit: the user's to change, not a system drop-in or a second unit. */
                if (asprintf(&steps, "pid %d runs under %s, a unit of its user's systemd: run `%s` in %s, then "
                             "`systemctl --user edit %s` (~/.config/systemd/user/%s.d/override.conf of its user) "
                             "to run `%s %s` instead, and restart it",
                             (int) d->pid, d->unit, pt->prereq, u->cwd ? u->cwd : "the project directory",
                             d->unit, d->unit, pt->tools, pt->prod_sub) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                r = plan_add_manual(p, "dev-server", steps);
                r = r < 0 ? r : 0;
                goto out;
        }
        if (d->unit[0]) {
                r = plan_dropin(h, p, d, u, argv, argc, pt);
                goto out;
        }
        /* Named for the tool and the project directory, never the pid: a rerun finds the same unit. */
        if (u->cwd && strcmp(u->cwd, "/") != 0 && asprintf(&prefix, "%s-%s", pt->tools, base_name(u->cwd)) < 0) {
                r = -ENOMEM;
                goto out;
        }
        r = unit_name_make(prefix ? prefix : pt->tools, "service", &name);
        if (r < 0)
                goto out;
        if (asprintf(&desc, "Production server (%s %s), replacing a dev server", pt->tools, pt->prod_sub) < 0) {
                r = -ENOMEM;
                goto out;
        }
        struct fix_unit_request req = {
                .check = "dev-server", .proc = u,
                .spec = { .name = name, .description = desc, .argv = argv, .argc = argc, .environment = production_env },
        };
        /* Sized from what the dev server used: more than its production build needs, never less. */
        r = fix_unit_memory(h, u, &req.spec, &unsized);
        if (r >= 0)
                r = fix_plan_process_unit(h, p, &req, &no);
        if (r <= 0) {
                r = r < 0 ? r : -ENOEXEC;
                goto out;
        }
        /* Built first, while the dev server still serves; then the hand-over. */
        if (asprintf(&steps, "run `%s` in %s as the app's user (the build); kill %d (the dev server)", pt->prereq,
                     u->cwd ? u->cwd : "the project directory", (int) d->pid) < 0) {
                r = -ENOMEM;
                goto out;
        }
        r = fix_plan_handover(p, "dev-server", name, steps, unsized, u);
out:
        strv_free_n(argv, argc);
        return r;
}

static int devserver_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct devserver_finding *d = f->data;
        const struct proc_table *t;
        if (!d || !d->pattern || f->status < STATUS_WARN || d->container[0])
                return 0;       /* a container's dev server is fixed in its image, not on the host */
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        const struct proc *launcher = d->launcher ? proc_table_find(t, d->launcher) : NULL;
        if (launcher && f->status == STATUS_FAIL) {
                r = plan_production_unit(h, p, d, launcher);
                if (r != -ENOEXEC)
                        return r;
        }
        _cleanup_free_ char *text = NULL;
        if (d->unit[0] && asprintf(&text, "pid %d runs a %s under %s; hostfit cannot state its production command "
                                   "exactly. Instead: %s; run that from %s (a drop-in in /etc/systemd/system/%s.d/ "
                                   "that replaces ExecStart=), then restart it", (int) d->pid, d->pattern->framework,
                                   d->unit, d->pattern->steps, d->unit, d->unit) < 0)
                return -ENOMEM;
        if (!d->unit[0] && asprintf(&text, "pid %d runs a %s; hostfit cannot state its production command exactly. "
                                    "Instead: %s; run that from a unit you write in /etc/systemd/system "
                                    "(hostfit-%s.service, say), then stop pid %d", (int) d->pid,
                                    d->pattern->framework, d->pattern->steps, d->pattern->tools, (int) d->pid) < 0)
                return -ENOMEM;
        r = plan_add_manual(p, "dev-server", text);
        return r < 0 ? r : 0;
}

const struct fix fix_devserver = {
        .name = "devserver",
        .summary = "write the production command's unit (not enabled: the build and the hand-over are a manual "
                   "step) when it is exact, or for a dev server "
                   "already under a unit a drop-in replacing its ExecStart=; else list the steps as manual. "
                   "No unit ever runs a dev command, and a container's dev server is left to its image",
        .plan = devserver_plan,
};
