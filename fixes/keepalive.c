/* SPDX-License-Identifier: MIT */
/* Fix for keepalive-loop: the one unit for the command the loop restarts (the one generator, with
 * a restart policy that backs off), written, not enabled; the hand-over (stop the loop and its
 * command, daemon-reload, enable --now) is a manual step. A shell loop's unit is made from the
 * loop's text and the loop's own facts, so the plan is the same whether its command runs now or
 * not. A pm2 daemon gets pm2's own unit (pm2 startup), also by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "text/cleanup.h"
#include "text/escape.h"
#include "fixes.h"
#include "loop-findings.h"
#include "procs/proctree.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"

#define CHECK_ID "keepalive-loop"
#define RESTART_SEC 10  /* slower than any shell loop's sleep: a crash loop costs little */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *base_name(const char *s) {
        const char *b = strrchr(s, '/');
        return b && b[1] ? b + 1 : s;
}

/* The program the shell runs for WORD: itself when absolute, from CWD when relative, else the
 * first executable in the loop's PATH under the root. -ENOENT when none is found exactly. */
static int resolve_program(struct host *h, const struct unit_proc *u, const char *word, char **ret) {
        struct stat st;
        if (word[0] == '/') {
                *ret = NULL;
                return host_exists(h, word) ? 0 : -ENOENT;
        }
        if (strchr(word, '/')) {
                while (strncmp(word, "./", 2) == 0)
                        word += 2;
                if (!u->cwd || strstr(word, "./") || asprintf(ret, "%s/%s", strcmp(u->cwd, "/") ? u->cwd : "", word) < 0)
                        return -ENOENT;
                if (host_exists(h, *ret))
                        return 0;
                free(*ret);
                *ret = NULL;
                return -ENOENT;
        }
        const char *path = DEFAULT_PATH;
        for (size_t i = 0; u->env && u->env[i]; i++)
                if (strncmp(u->env[i], "PATH=", 5) == 0)
                        path = u->env[i] + 5;
        for (const char *d = path; *d; ) {
                size_t n = strcspn(d, ":");
                _cleanup_free_ char *c = NULL;
                if (n > 0 && d[0] == '/' && asprintf(&c, "%.*s/%s", (int) n, d, word) < 0)
                        return -ENOMEM;
                if (c && host_stat(h, c, &st) == 0 && (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && (st.st_mode & 0111)))) {
                        *ret = TAKE_PTR(c);
                        return 0;
                }
                d += n + (d[n] == ':');
        }
        return -ENOENT;
}

static bool plan_writes(const struct plan *p, const char *path) {
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_WRITE_FILE && a->path && strcmp(a->path, path) == 0)
                        return true;
        }
        return false;
}

/* From the text and the loop's cwd, never a pid or a port: "hostfit-node-app.service"; another
 * loop's unit of the same name in this plan adds the first operand ("hostfit-node-app-api.js"). */
static int loop_unit_name(const struct plan *p, const struct keepalive_data *k, char **ret) {
        const struct keepalive_cmd *c = &k->cmd;
        const char *cwd = k->loop->cwd && strcmp(k->loop->cwd, "/") ? base_name(k->loop->cwd) : NULL;
        _cleanup_free_ char *label = NULL, *path = NULL;
        if (asprintf(&label, "%s%s%s", base_name(c->argv[0]), cwd ? "-" : "", cwd ? cwd : "") < 0)
                return -ENOMEM;
        int r = unit_name_make(label, "service", ret);
        if (r < 0 || c->argc < 2 || asprintf(&path, "/etc/systemd/system/%s", *ret) < 0 || !plan_writes(p, path))
                return r < 0 ? r : path || c->argc < 2 ? 0 : -ENOMEM;
        free(*ret);
        *ret = NULL;
        free(label);
        label = NULL;
        if (asprintf(&label, "%s%s%s-%s", base_name(c->argv[0]), cwd ? "-" : "", cwd ? cwd : "", base_name(c->argv[1])) < 0)
                return -ENOMEM;
        return unit_name_make(label, "service", ret);
}

static int plan_loop_unit(struct host *h, const struct keepalive_data *k, struct plan *p) {
        const struct keepalive_cmd *c = &k->cmd;
        _cleanup_free_ char *name = NULL, *exe = NULL, *desc = NULL, *no = NULL, *stop = NULL, *unsized = NULL;
        _cleanup_free_ const char **env = calloc(c->argc + 1 + (c->assign ? 8 : 0), sizeof(char *));
        int r = loop_unit_name(p, k, &name);
        if (r == -EINVAL || r == -ENAMETOOLONG)
                /* The text's program gives no name a unit can take (none, or too long). */
                return plan_add_manualf(p, CHECK_ID, "run the command loop pid %d restarts from a systemd unit you "
                                        "name (its program's name cannot name one), Restart=on-failure, "
                                        "RestartSec=%ds, then stop the loop", (int) k->loop_pid, RESTART_SEC);
        if (r < 0 || !env)
                return r < 0 ? r : -ENOMEM;
        if (!c->exact)
                return plan_add_manualf(p, CHECK_ID, "the command loop pid %d restarts holds shell expansions "
                                        "($VAR, $(…), a glob), so its text does not say what runs: write %s "
                                        "(/etc/systemd/system/%s) by hand, Restart=on-failure, RestartSec=%ds, "
                                        "then stop the loop", (int) k->loop_pid, name, name, RESTART_SEC);
        r = resolve_program(h, k->loop, c->argv[0], &exe);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return plan_add_manualf(p, CHECK_ID, "the program the loop pid %d restarts is not found exactly "
                                        "(not absolute, and not in its PATH or cwd): write %s (/etc/systemd/system/%s) "
                                        "by hand with the program's absolute path, then stop the loop",
                                        (int) k->loop_pid, name, name);
        size_t n = 0;
        for (size_t i = 0; c->assign && c->assign[i] && n < 8; i++)
                if (unitgen_env_allowed(c->assign[i]))
                        env[n++] = c->assign[i];
        if (asprintf(&desc, "%s%s%s (hostfit, was restarted by a shell loop)", base_name(c->argv[0]),
                     c->argc > 1 ? " " : "", c->argc > 1 ? c->argv[1] : "") < 0)
                return -ENOMEM;
        for (char *s = desc; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f || *s == '%' || *s == '\\')
                        *s = '_';
        struct fix_unit_request req = {
                .check = CHECK_ID,
                .proc = k->loop,
                .spec = {
                        .name = name, .description = desc, .argv = c->argv, .argc = c->argc, .exec_path = exe,
                        .environment = n ? env : NULL, .has_oom_score_adjust = true, .oom_score_adjust = 0,
                        .restart = "on-failure", .restart_sec = RESTART_SEC,
                },
        };
        r = fix_loop_memory(h, k->loop, &req.spec, &unsized);
        if (r < 0)
                return r;
        r = fix_plan_process_unit(h, p, &req, &no);
        if (r < 0)
                return r;
        if (r == 0)
                return plan_add_manualf(p, CHECK_ID, "run the command loop pid %d restarts from a systemd unit "
                                        "(%s, /etc/systemd/system/%s): %s", (int) k->loop_pid, name, name, no);
        /* Stopped first, the loop cannot start its command again once that ends. */
        if (asprintf(&stop, "kill -STOP %d; pkill -P %d; kill -KILL %d", (int) k->loop_pid, (int) k->loop_pid,
                     (int) k->loop_pid) < 0)
                return -ENOMEM;
        return fix_plan_handover(p, CHECK_ID, name, stop, unsized, k->loop);
}

/* forever's monitor, an old script: only the command running now says what they restart. */
static int plan_child_unit(struct host *h, const struct finding *f, const struct keepalive_data *k, struct plan *p) {
        const struct unmanaged_data *d = k->child;
        /* One process, one unit: only when the restarted command is this check's (not a dev server's). */
        const struct proc *q;
        const char *owner;
        int r = fix_proc_owner(h, d->pid, &q, &owner);
        if (r <= 0)
                return r;
        _cleanup_free_ char *stop = NULL, *no = NULL, *desc = NULL, *unsized = NULL;
        if (strcmp(owner, f->check->id) != 0)
                return plan_add_manualf(p, f->check->id, "stop the loop pid %d; the unit of its child pid %d (in "
                                        "/etc/systemd/system) comes from `hostfit fix %s`",
                                        (int) k->loop_pid, (int) d->pid, owner);
        if ((r = unit_proc_read_env(h, d->proc)) < 0)
                return r;
        if (asprintf(&desc, "%s (hostfit, from the keepalive loop pid %d)", proc_name(q), (int) k->loop_pid) < 0)
                return -ENOMEM;
        for (char *c = desc; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == '%' || *c == '\\')
                        *c = '_';
        struct fix_unit_request req = {
                .check = f->check->id,
                .proc = d->proc,
                .spec = {
                        .name = d->name,
                        .description = desc,
                        .has_oom_score_adjust = true,
                        .oom_score_adjust = 0,
                        .restart = "on-failure",
                        .restart_sec = RESTART_SEC,
                },
        };
        r = fix_unit_memory(h, d->proc, &req.spec, &unsized);
        if (r < 0)
                return r;
        r = fix_plan_process_unit(h, p, &req, &no);
        if (r < 0)
                return r;
        if (r == 0)
                return plan_add_manualf(p, f->check->id, "run the command loop pid %d restarts (pid %d) from a "
                                        "systemd unit (%s, /etc/systemd/system/%s): %s", (int) k->loop_pid,
                                        (int) d->pid, d->name, d->name, no);
        if (asprintf(&stop, "kill %d; kill %d", (int) k->loop_pid, (int) d->pid) < 0)
                return -ENOMEM;
        return fix_plan_handover(p, f->check->id, d->name, stop, unsized, d->proc);
}

static int keepalive_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct keepalive_data *k = f->data;
        _cleanup_free_ char *step = NULL;
        if (!k)
                return 0;
        if (k->kind == KEEPALIVE_PM2) {
                if (asprintf(&step, "let systemd start pm2: as %s run \"pm2 startup systemd\" (it writes "
                             "pm2-%s.service, /etc/systemd/system/pm2-%s.service) and \"pm2 save\"",
                             k->user ? k->user : "the user running pm2", k->user ? k->user : "USER",
                             k->user ? k->user : "USER") < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
        }
        if (k->kind == KEEPALIVE_SHELL_LOOP && k->loop && k->cmd.argv)
                return plan_loop_unit(h, k, p);
        if (!k->child || !k->child->proc || k->child->proc->argc == 0)
                return plan_add_manualf(p, f->check->id, "the command loop pid %d restarts is not running now: "
                                        "write its unit in /etc/systemd/system by hand (Restart=on-failure, "
                                        "RestartSec=10s) and stop the loop", (int) k->loop_pid);
        return plan_child_unit(h, f, k, p);
}

const struct fix fix_keepalive = {
        .name = "keepalive-unit",
        .summary = "the one service unit for the command the loop restarts (a shell loop's from its text, with "
                   "the loop's cwd, user and allowlisted environment) with Restart=on-failure and RestartSec=10s, "
                   "written, not enabled; the hand-over (stop the loop and its command, daemon-reload, enable "
                   "--now) is a manual step; for pm2, pm2 startup and pm2 save",
        .plan = keepalive_plan,
};
