/* SPDX-License-Identifier: MIT */
/* tmux-resurrect: services inside tmux while tmux-resurrect/continuum may save, kill or restore them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "procs/devserver.h"
#include "fixes.h"
#include "host/passwd.h"
#include "procs/proctree.h"
#include "procs/tmuxconf.h"
#include "host/virt.h"

#define SERVICE_MIN_AGE 60.0    /* seconds: a shorter-lived process is a command, not a service */

static const char *const interactive = "vi vim nvim emacs nano less more man top htop btop tail watch ssh mosh "
                                       "git tig mc ranger journalctl sleep";

/* The tmux server P runs under, or NULL; ret_below: the ancestor just below it is a service already. */
static const struct proc *tmux_of(const struct proc_table *t, const struct proc *p, bool *ret_nested) {
        const struct proc *chain[64];
        size_t n = proc_ancestors(t, p, chain, ELEMENTSOF(chain));
        bool nested = false;
        for (size_t i = 0; i < n; i++) {
                enum proc_kind k = proc_classify(chain[i]);
                if (k == PROC_TMUX_SERVER) {
                        *ret_nested = nested;
                        return chain[i];
                }
                nested = nested || k == PROC_OTHER;
        }
        return NULL;
}

static bool is_service(struct host *h, const struct proc *p) {
        /* A container's tmux and its panes are the container's, not a host user's. */
        if (p->kthread || proc_classify(p) != PROC_OTHER || host_proc_age(h, p) < SERVICE_MIN_AGE ||
            proc_in_container(p, NULL))
                return false;
        struct devserver_cmd c;
        if (devserver_cmd_parse(p, &c) < 0)
                return false;
        bool repl = c.interp && c.tool == 0;
        bool ok = !repl && !devserver_word_in(c.tool_name, interactive);
        devserver_cmd_done(&c);
        return ok;
}

static void finding_data_free(void *data) {
        struct tmux_finding *d = data;
        if (d)
                free(d->conf_path);
        free(d);
}

static int describe_conf(const struct tmux_conf *c, struct strbuf *sb) {
        int r = strbuf_adds(sb, c->resurrect && c->continuum ? "tmux-resurrect and tmux-continuum" :
                                c->resurrect ? "tmux-resurrect" : "tmux-continuum");
        if (r == 0)
                r = strbuf_addf(sb, " (@resurrect-processes %s, @continuum-restore %s%s%s)",
                                c->processes ? c->processes : "default", c->continuum_restore ? "on" : "off",
                                c->continuum_boot ? ", @continuum-boot on" : "",
                                c->save_interval ? ", @continuum-save-interval set" : "");
        return r;
}

static int add_finding(struct report *r, const struct passwd_entry *u, const struct tmux_conf *c,
                       const struct proc_table *t, const struct proc *p, const struct proc *tmux) {
        struct tmux_finding *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        /* Settings from /etc/tmux.conf alone are overridden in a ~/.tmux.conf of the user's own. */
        if (c->main_path ? !(d->conf_path = strdup(c->main_path))
                         : asprintf(&d->conf_path, "%s/.tmux.conf", strcmp(u->home, "/") ? u->home : "") < 0) {
                free(d);
                return -ENOMEM;
        }
        d->uid = u->uid;
        d->gid = u->gid;
        d->pid = p ? p->pid : 0;
        /* With the default @resurrect-processes a restore starts no server: nothing to change in
         * tmux.conf then; the lasting fix is the service's unit. */
        bool restores = tmuxconf_restores_servers(c);
        d->set_processes = restores;
        d->set_restore = restores && c->continuum_restore;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT, place = STRBUF_INIT;
        char subject[64];
        int k = describe_conf(c, &sb);
        if (k == 0 && p)
                k = devserver_describe_place(t, p, &place);
        if (k < 0) {
                finding_data_free(d);
                return k;
        }
        if (!p) {
                snprintf(subject, sizeof(subject), "user %s", u->name);
                k = report_add(r, STATUS_WARN, subject, d, finding_data_free,
                               "the tmux configuration loads %s: a restore would start server processes again",
                               strbuf_str(&sb));
                if (k == 0)
                        k = finding_add_detail(report_last(r), "configuration: %s", d->conf_path);
                return k;
        }
        if (restores)
                k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, finding_data_free,
                               "%s runs inside %s's tmux (pid %d), whose configuration loads %s: a restore starts it "
                               "again (a second copy, or after a reboot outside any supervisor), and the session's "
                               "end sends SIGHUP to it",
                               proc_name(p), u->name, (int) tmux->pid, strbuf_str(&sb));
        else
                k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, finding_data_free,
                               "%s runs inside %s's tmux (pid %d), whose configuration loads %s: a restore does not "
                               "restart it, so when the session ends (kill-server, a crash, the OOM killer taking "
                               "tmux) SIGHUP stops it and nothing brings it back",
                               proc_name(p), u->name, (int) tmux->pid, strbuf_str(&sb));
        struct finding *f = report_last(r);
        if (k == 0)
                k = finding_add_detail(f, "runs %s", strbuf_str(&place));
        if (k == 0)
                k = finding_add_detail(f, "configuration: %s (%zu file%s read)", d->conf_path, c->n_files,
                                       c->n_files == 1 ? "" : "s");
        return k;
}

static int check_user(struct host *h, struct report *r, const struct proc_table *t, const struct passwd_entry *u) {
        struct tmux_conf c;
        int k = tmuxconf_load(h, u->home, &c);
        if (k < 0)
                return k;
        /* A file there that could not be read (a FIFO, a loop of source-file lines): say so, judge the rest. */
        if (c.problem) {
                k = report_add(r, STATUS_ERROR, u->home, NULL, NULL, "%s's tmux configuration: %s", u->name, c.problem);
                if (k < 0) {
                        tmuxconf_done(&c);
                        return k;
                }
        }
        bool running = false;
        for (size_t i = 0; i < t->n && k == 0 && tmuxconf_touches_processes(&c); i++) {
                const struct proc *p = &t->procs[i];
                bool nested;
                const struct proc *tmux = tmux_of(t, p, &nested);
                if (!tmux || tmux->uid != u->uid || nested || !is_service(h, p))
                        continue;
                running = true;
                k = add_finding(r, u, &c, t, p, tmux);
        }
        if (k == 0 && !running && (c.main_path || u->uid == 0) && tmuxconf_restores_servers(&c))
                k = add_finding(r, u, &c, t, NULL, NULL);
        tmuxconf_done(&c);
        return k;
}

static int tmux_resurrect_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        struct passwd_table pw = {};
        int k = passwd_load(h, &pw);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/etc/passwd", NULL, NULL, "cannot read /etc/passwd: %s", strerror(-k));
        static const struct proc_table empty = {};
        if (host_procs(h, &t) < 0)
                t = &empty;
        for (size_t i = 0; i < pw.n && k >= 0; i++) {
                /* Homes shared by system users ("/", "/nonexistent") hold no tmux.conf of theirs. */
                bool dup = false;
                for (size_t j = 0; j < i && !dup; j++)
                        dup = strcmp(pw.e[j].home, pw.e[i].home) == 0;
                if (!dup)
                        k = check_user(h, r, t, &pw.e[i]);
        }
        passwd_done(&pw);
        return k;
}

const struct check check_tmux_resurrect = {
        .id = "tmux-resurrect",
        .title = "No service runs in a tmux session that tmux-resurrect/continuum may save, kill or restore",
        .problem = "A service runs in a tmux session that tmux-resurrect/continuum may save, kill or restore",
        .why = "tmux-resurrect and tmux-continuum save and restore whole sessions; a service in one of them "
               "can be killed with its session or started twice on restore, and nothing logs why.",
        .severity = SEVERITY_MEDIUM,
        .run = tmux_resurrect_run,
        .fix = &fix_tmux_resurrect,
};
