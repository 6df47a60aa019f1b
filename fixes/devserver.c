/* Fix for dev-server: the production command's unit when it is exact, else the steps, marked manual. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "devserver.h"
#include "fixes.h"
#include "passwd.h"
#include "unitgen.h"

static const char *base_name(const char *s) {
        const char *slash = strrchr(s, '/');
        return slash && slash[1] ? slash + 1 : s;
}

int fix_plan_unit(struct host *h, struct plan *p, const struct fix_unit_request *req, char **ret_unit) {
        _cleanup_free_ char *cwd = NULL, *name = NULL, *text = NULL, *error = NULL, *path = NULL, *prefix = NULL;
        struct passwd_table pw = {};
        size_t len;
        (void) devserver_read_cwd(h, req->proc->pid, &cwd);
        /* Named for the tool and the project directory, never the pid: a rerun finds the same unit. */
        if (cwd && strcmp(cwd, "/") != 0 && asprintf(&prefix, "%s-%s", req->prefix, base_name(cwd)) < 0)
                return -ENOMEM;
        int r = unit_name_make(prefix ? prefix : req->prefix, "service", &name);
        if (r < 0)
                return r;
        const struct passwd_entry *user = NULL;
        if (req->proc->uid != 0 && passwd_load(h, &pw) == 0)
                user = passwd_by_uid(&pw, req->proc->uid);
        struct unit_spec spec = {
                .name = name,
                .description = req->description,
                .argv = req->argv,
                .argc = req->argc,
                .working_directory = cwd,
                .user = user ? user->name : NULL,
                .environment = req->environment,
                .has_oom_score_adjust = req->has_oom_score_adjust,
                .oom_score_adjust = req->oom_score_adjust,
        };
        r = unitgen_service(h, &spec, &text, &len, &error);
        passwd_done(&pw);
        if (r < 0)
                return r;
        if (asprintf(&path, "/etc/systemd/system/%s", name) < 0)
                return -ENOMEM;
        r = plan_add_write(p, req->check, path, text, len, 0644);
        if (r < 0)
                return r;
        if (r > 0) {
                r = plan_add_systemd(p, req->check, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
                if (r < 0)
                        return r;
        }
        *ret_unit = TAKE_PTR(name);
        return 0;
}

static void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
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
        _cleanup_free_ char *unit = NULL, *desc = NULL, *steps = NULL, *cwd = NULL;
        static const char *const env[] = { "NODE_ENV=production", NULL };
        if (asprintf(&desc, "Production server (%s %s), replacing a dev server", pt->tools, pt->prod_sub) < 0) {
                strv_free_n(argv, argc);
                return -ENOMEM;
        }
        struct fix_unit_request req = {
                .check = "dev-server", .prefix = pt->tools, .proc = launcher,
                .argv = argv, .argc = argc, .description = desc, .environment = env,
        };
        r = fix_plan_unit(h, p, &req, &unit);
        strv_free_n(argv, argc);
        if (r < 0)
                return r;
        (void) devserver_read_cwd(h, launcher->pid, &cwd);
        if (asprintf(&steps, "%s is written, not started. Build first: run `%s` in %s as the app's user; "
                     "then stop the dev server (pid %d) and run `systemctl enable --now %s`",
                     unit, pt->prereq, cwd ? cwd : "the project directory", (int) d->pid, unit) < 0)
                return -ENOMEM;
        r = plan_add_manual(p, "dev-server", steps);
        return r < 0 ? r : 0;
}

static int devserver_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct devserver_finding *d = f->data;
        const struct proc_table *t;
        if (!d || !d->pattern || f->status < STATUS_WARN)
                return 0;
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
        if (asprintf(&text, "pid %d runs a %s; hostfit cannot state its production command exactly. "
                     "Instead: %s; run that under a systemd unit, then stop pid %d",
                     (int) d->pid, d->pattern->framework, d->pattern->steps, (int) d->pid) < 0)
                return -ENOMEM;
        r = plan_add_manual(p, "dev-server", text);
        return r < 0 ? r : 0;
}

const struct fix fix_devserver = {
        .name = "devserver",
        .summary = "write the production command's unit (not started) when it is exact, else list the steps as manual",
        .plan = devserver_plan,
};
