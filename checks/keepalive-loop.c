/* SPDX-License-Identifier: MIT */
/* keepalive-loop: a shell loop, script or process manager that keeps restarting a server
 * outside systemd (detection in lib/procs/keepalive.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "text/escape.h"
#include "fixes.h"
#include "procs/keepalive.h"
#include "loop-findings.h"
#include "procs/proctree.h"
#include "host/sockets.h"
#include "text/strbuf.h"
#include "unit-findings.h"
#include "host/virt.h"
#include "systemd/unitgen.h"

void keepalive_data_free(void *p) {
        struct keepalive_data *d = p;
        if (d) {
                free(d->user);
                unmanaged_data_free(d->child);
                unit_proc_free(d->loop);
                keepalive_cmd_done(&d->cmd);
        }
        free(d);
}

static const char *kind_text(int kind) {
        switch (kind) {
        case KEEPALIVE_SHELL_LOOP:  return "a shell loop";
        case KEEPALIVE_YOUNG_CHILD: return "a script";
        case KEEPALIVE_FOREVER:     return "forever";
        case KEEPALIVE_PM2:         return "a pm2 daemon outside its systemd unit";
        }
        return "a loop";
}

static int argv_text(const struct proc *p, struct strbuf *out) {
        for (size_t i = 0; i < proc_argc(p); i++) {
                if (i && strbuf_adds(out, " ") < 0)
                        return -ENOMEM;
                if (escape_terminal(out, proc_arg(p, i), strlen(proc_arg(p, i))) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int words_text(char *const *w, size_t n, struct strbuf *out) {
        for (size_t i = 0; i < n; i++) {
                if (i && strbuf_adds(out, " ") < 0)
                        return -ENOMEM;
                if (escape_terminal(out, w[i], strlen(w[i])) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A shell loop's unit is made of the loop's facts, never its child's: the same plan whether
 * the child runs or sleeps between restarts. The text's `cd /DIR` is its working directory;
 * the names its NAME=value words set that no unit copies are said in the hand-over. */
static int loop_facts(struct host *h, struct keepalive_data *d, struct keepalive *k) {
        int r = unit_proc_read(h, k->loop, &d->loop);
        if (r < 0)
                return r;
        d->cmd = k->cmd;
        k->cmd = (struct keepalive_cmd) {};
        if (d->cmd.cd) {
                free(d->loop->cwd);
                if (!(d->loop->cwd = strdup(d->cmd.cd)))
                        return -ENOMEM;
        }
        size_t n = 0;
        while (d->loop->env_dropped && d->loop->env_dropped[n])
                n++;
        for (size_t i = 0; d->cmd.assign && d->cmd.assign[i]; i++) {
                if (unitgen_env_allowed(d->cmd.assign[i]))
                        continue;
                char **v = realloc(d->loop->env_dropped, (n + 2) * sizeof(char *));
                if (!v)
                        return -ENOMEM;
                d->loop->env_dropped = v;
                if (!(v[n] = strndup(d->cmd.assign[i], strcspn(d->cmd.assign[i], "="))))
                        return -ENOMEM;
                v[++n] = NULL;
        }
        return 0;
}

static int report_loop(struct host *h, struct report *r, const struct proc_table *t,
                       const struct socket_table *st, struct keepalive *k) {
        struct keepalive_data *d = calloc(1, sizeof(*d));
        _cleanup_(strbuf_releasep) struct strbuf cmd = STRBUF_INIT;
        if (!d)
                return -ENOMEM;
        d->kind = k->kind;
        d->loop_pid = k->loop->pid;
        if (k->child) {
                if (!(d->child = calloc(1, sizeof(*d->child))) || unmanaged_collect_facts(h, st, k->child, d->child) < 0 ||
                    argv_text(k->child, &cmd) < 0) {
                        keepalive_data_free(d);
                        return -ENOMEM;
                }
        }
        if (k->kind == KEEPALIVE_SHELL_LOOP && k->cmd.argv && loop_facts(h, d, k) < 0) {
                keepalive_data_free(d);
                return -ENOMEM;
        }
        if (k->kind == KEEPALIVE_PM2) {
                struct unmanaged_data *o = calloc(1, sizeof(*o));
                if (o && unmanaged_collect_facts(h, st, k->loop, o) == 0 && o->proc && o->proc->user)
                        d->user = strdup(o->proc->user);
                unmanaged_data_free(o);
        }
        _cleanup_free_ char *name = escape_terminal_str(proc_name(k->loop)), *what = NULL;
        if (!k->child && d->cmd.argv && words_text(d->cmd.argv, d->cmd.argc, &cmd) < 0) {
                keepalive_data_free(d);
                return -ENOMEM;
        }
        if (k->child ? asprintf(&what, "its child (now pid %d): %s", (int) k->child->pid, strbuf_str(&cmd)) < 0
                     : cmd.len ? asprintf(&what, "%s (between two restarts now)", strbuf_str(&cmd)) < 0
                     : !(what = strdup("a command that is not running now"))) {
                keepalive_data_free(d);
                return -ENOMEM;
        }
        int n = report_add_process(r, STATUS_FAIL, k->loop->pid, k->loop->comm, d, keepalive_data_free,
                           "%s (pid %d, %s) keeps restarting %s outside systemd",
                           name ? name : "?", (int) k->loop->pid, kind_text(k->kind), what);
        if (n < 0)
                return n;
        struct finding *f = report_last(r);
        _cleanup_free_ char *ev = escape_terminal_str(k->evidence);
        finding_add_detail(f, "evidence: %s", ev ? ev : "?");
        _cleanup_(strbuf_releasep) struct strbuf chain = STRBUF_INIT;
        if (proc_describe_chain(t, k->child ? k->child : k->loop, &chain) == 0)
                finding_add_detail(f, "started from: %s", strbuf_str(&chain));
        if (k->kind == KEEPALIVE_PM2)
                finding_set_fix(f, "as the user running pm2: pm2 startup systemd, then pm2 save");
        return 0;
}

static int keepalive_loop_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct socket_table *st = NULL;
        uint64_t min_age = keepalive_min_parent_age(h);
        unsigned found = 0;
        int k = host_procs(h, &t);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add(r, STATUS_SKIP, "/proc", NULL, NULL, "no process table to read (%s)", strerror(-k));
        char why[256];
        k = host_sockets(h, &st);
        int short_table = sockets_error_message(h, st, k, why, sizeof(why));
        if (short_table < 0)
                return short_table;
        if (k < 0)
                st = NULL;
        if (short_table > 0 && (k = report_add(r, STATUS_ERROR, "/proc/net", NULL, NULL, "%s", why)) < 0)
                return k;
        for (size_t i = 0; i < t->n; i++) {
                struct keepalive ka;
                k = keepalive_classify(h, t, &t->procs[i], min_age, &ka);
                if (k < 0)
                        return k;
                if (k == 0)
                        continue;
                k = report_loop(h, r, t, st, &ka);
                keepalive_done(&ka);
                if (k < 0)
                        return k;
                found++;
        }
        if (found || short_table)
                return 0;       /* a short socket table passes nothing */
        return report_add(r, STATUS_PASS, "", NULL, NULL, "%zu processes: no shell loop, script or process "
                                      "manager restarts a server outside systemd", t->n);
}

/* The second owner (checks/procown.h): the command a loop, script or process manager restarts. */
static bool keepalive_loop_claims(struct host *h, const struct proc_table *t, const struct proc *p) {
        return keepalive_is_restarted_child(h, t, p);
}

const struct check check_keepalive_loop = {
        .id = "keepalive-loop",
        .title = "No shell loop or script restarts a server outside systemd",
        .problem = "A shell loop or script restarts a server outside systemd",
        .why = "A home-made restart loop hides every crash and OOM kill: the server dies and comes back "
               "hundreds of times with no limit, no back-off and no record of why.",
        .severity = SEVERITY_HIGH,
        .run = keepalive_loop_run,
        .fix = &fix_keepalive,
        .claims = keepalive_loop_claims,
};
