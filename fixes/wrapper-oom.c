/* SPDX-License-Identifier: MIT */
/* Fix for wrapper-oom-unprotected: shield the wrappers now, a unit without them for good,
 * and an earlyoom --avoid regex that matches the names earlyoom sees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "procs/devserver.h"
#include "fixes.h"
#include "procs/oomd.h"
#include "procs/proctree.h"
#include "systemd/unitgen.h"

#define CHECK_ID "wrapper-oom-unprotected"

#define OOM_DROPIN_NAME "50-hostfit-oom.conf"

/* A process that UNIT runs: the unit gets OOMScoreAdjust= in a drop-in, so that each process it
 * starts, its wrappers first, has the shield, never a second unit for the process (one process,
 * one unit). It takes effect at the unit's next start; the wrappers are shielded now. */
static int plan_unit_dropin(struct plan *p, const struct wrapper_oom_finding *d, const char *unit, bool user,
                            struct strbuf *lasting) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        char comm[sizeof(d->comm)];
        int r = strbuf_addf(lasting, "%s with OOMScoreAdjust=%d (%s/etc/systemd/system/%s.d/" OOM_DROPIN_NAME ")",
                            unit, d->adj, user ? "a user's drop-in, not " : "", unit);
        if (r < 0)
                return r;
        if (user)
                return plan_add_manualf(p, CHECK_ID, "%s is a unit of a user's systemd, which may not shield its "
                                        "processes: as root, add OOMScoreAdjust=%d to it in a drop-in "
                                        "(~/.config/systemd/user/%s.d/%s of its user, or run it as a system "
                                        "service), then restart it", unit, d->adj, unit, OOM_DROPIN_NAME);
        /* The comm is 15 bytes the process chose: plain, for a comment line. */
        snprintf(comm, sizeof(comm), "%s", d->comm);
        for (char *c = comm; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = '_';
        if (asprintf(&path, "/etc/systemd/system/%s.d/" OOM_DROPIN_NAME, unit) < 0 ||
            asprintf(&text, "# written by hostfit (wrapper-oom-unprotected): pid %d (%s) runs under this unit's "
                     "wrappers;\n# the unit gives each of its processes its shield, so no wrapper dies first\n"
                     "[Service]\nOOMScoreAdjust=%d\n", (int) d->pid, comm, d->adj) < 0)
                return -ENOMEM;
        r = plan_add_write(p, CHECK_ID, path, text, strlen(text), 0644);
        if (r <= 0)
                return r;
        r = plan_note(p, "OOMScoreAdjust=%d in %s applies from the next start of %s; no restart is needed "
                      "for it now", d->adj, path, unit);
        if (r == 0)
                r = plan_add_systemd(p, CHECK_ID, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        return r < 0 ? r : 0;
}

/* The lasting fix, when this check owns the process (checks/procown.h): its unit, from the one
 * generator, with OOMScoreAdjust=; a drop-in when a unit runs it already. LASTING says which
 * unit and file, for the other steps. */
static int plan_unit(struct host *h, struct plan *p, const struct wrapper_oom_finding *d, struct strbuf *lasting) {
        const struct proc *q;
        const char *owner;
        int r = fix_proc_owner(h, d->pid, &q, &owner);
        if (r <= 0)
                return r;       /* gone, or a container's: its runtime runs it */
        _cleanup_free_ char *svc = NULL;
        bool user = false;
        if (fix_proc_service(q, &svc, &user) > 0)
                return plan_unit_dropin(p, d, svc, user, lasting);
        if (strcmp(owner, CHECK_ID) != 0) {
                /* Another check's fix writes its one unit (a dev server's is never a dev command). */
                r = strbuf_addf(lasting, "the unit `hostfit fix %s` writes for pid %d in /etc/systemd/system, "
                                "with OOMScoreAdjust=%d", owner, (int) d->pid, d->adj);
                return r < 0 ? r : plan_add_manualf(p, CHECK_ID, "run pid %d from %s", (int) d->pid, strbuf_str(lasting));
        }
        _cleanup_(unit_proc_freep) struct unit_proc *u = NULL;
        _cleanup_free_ char *name = NULL, *desc = NULL, *no = NULL, *stop = NULL;
        r = unit_proc_read(h, q, &u);
        if (r == 0)
                r = fix_unit_name(u, proc_name(q), &name);
        if (r < 0)
                return r;
        if (asprintf(&desc, "%s, run without wrappers, shielded from the OOM killer", proc_name(q)) < 0)
                return -ENOMEM;
        for (char *c = desc; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == '%' || *c == '\\')
                        *c = '_';
        struct fix_unit_request req = {
                .check = CHECK_ID, .proc = u,
                .spec = { .name = name, .description = desc, .has_oom_score_adjust = true, .oom_score_adjust = d->adj },
        };
        r = strbuf_addf(lasting, "%s with OOMScoreAdjust=%d (/etc/systemd/system/%s)", name, d->adj, name);
        if (r == 0)
                r = fix_plan_process_unit(h, p, &req, &no);
        if (r < 0)
                return r;
        if (r == 0)
                return plan_add_manualf(p, CHECK_ID, "run pid %d from %s instead of under its wrappers; hostfit "
                                        "cannot write it: %s", (int) d->pid, strbuf_str(lasting), no);
        if (asprintf(&stop, "kill %d", (int) d->pid) < 0)
                return -ENOMEM;
        return fix_plan_handover(p, CHECK_ID, name, stop, NULL, u);
}

/* A shell with no script and no -c: it runs whatever is typed next. */
static bool interactive_shell(const struct proc *q) {
        size_t n = proc_argc(q);
        for (size_t i = 1; i < n; i++) {
                const char *a = proc_arg(q, i);
                if (strcmp(a, "-c") == 0 || (a[0] != '-' && a[0] != '+'))
                        return false;   /* a command string or a script: it runs that, then ends */
                if (a[0] == '-' && a[1] != '-' && strchr(a, 'c'))
                        return false;   /* -ec, -xc … */
        }
        return true;
}

/* Whether lowering Q's oom_score_adj protects only the chain: every process Q starts later
 * inherits it, so a tmux server (each new pane), screen, or an interactive shell (each
 * command typed) is never lowered. */
static bool safe_to_shield(const struct proc *q) {
        switch (proc_classify(q)) {
        case PROC_TMUX_SERVER: case PROC_TMUX_CLIENT: case PROC_SCREEN: case PROC_INIT:
                return false;
        case PROC_SHELL:
                return !interactive_shell(q);
        default:
                return true;
        }
}

/* The wrappers, parent first, as far up as is safe to lower; the rest is said in a manual step. */
static int plan_shield_wrappers(struct host *h, struct plan *p, const struct wrapper_oom_finding *d,
                                const char *lasting) {
        const struct proc_table *t;
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        size_t i = 0;
        for (; i < d->n; i++) {
                const struct proc *q = proc_table_find(t, d->wrappers[i].pid);
                if (!q || !safe_to_shield(q))
                        break;
                r = plan_add_oom_score_adj(p, CHECK_ID, d->wrappers[i].pid, d->wrappers[i].comm,
                                           d->wrappers[i].adj, d->adj);
                if (r > 0 && !host_is_live(h))
                        r = plan_note(p, "does not apply offline: pid %d exists only on the running system; "
                                      "the unit's OOMScoreAdjust= is what protects the server there", (int) d->wrappers[i].pid);
                if (r < 0)
                        return r;
        }
        if (i == d->n)
                return 0;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        for (size_t j = i; j < d->n && r >= 0; j++)
                r = strbuf_addf(&sb, "%spid %d (%s)", j > i ? ", " : "", (int) d->wrappers[j].pid, d->wrappers[j].comm);
        if (r == 0)
                r = strbuf_addf(&sb, " keep their oom_score_adj: every pane or command they start later would inherit "
                                "a lower one, a memory hog included; the lasting fix is %s", lasting);
        return r < 0 ? r : plan_add_manual(p, CHECK_ID, strbuf_str(&sb));
}

static int plan_shield(struct host *h, struct plan *p, const struct wrapper_oom_finding *d) {
        _cleanup_strbuf_ struct strbuf lasting = STRBUF_INIT;
        /* The unit first: the wrappers' step names it. */
        size_t mark = plan_size(p);
        int r = plan_unit(h, p, d, &lasting);
        if (r == -ENOEXEC || r == -EINVAL) {
                plan_truncate(p, mark);
                strbuf_reset(&lasting);
                r = strbuf_addf(&lasting, "a unit (in /etc/systemd/system) that runs pid %d's command with "
                                "OOMScoreAdjust=%d", (int) d->pid, d->adj);
                if (r == 0)
                        r = plan_add_manualf(p, CHECK_ID, "run pid %d from %s instead of under its wrappers",
                                             (int) d->pid, strbuf_str(&lasting));
        }
        if (r < 0)
                return r;
        if (!lasting.len && (r = strbuf_addf(&lasting, "a unit that runs pid %d with OOMScoreAdjust=%d",
                                             (int) d->pid, d->adj)) < 0)
                return r;
        r = plan_shield_wrappers(h, p, d, strbuf_str(&lasting));
        return r < 0 ? r : 0;
}

/* Whether the plan already restarts UNIT: a second --avoid edit needs no second restart. */
static bool plan_restarts(const struct plan *p, const char *unit) {
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_RESTART && a->unit && strcmp(a->unit, unit) == 0)
                        return true;
        }
        return false;
}

/* The names that may go into --avoid: never a shell, tmux or a cut process title. */
static size_t avoid_names(const struct wrapper_oom_finding *d, char **names) {
        size_t n = 0;
        for (size_t i = 0; i < d->n_names; i++)
                if (oomd_avoid_name_ok(d->names[i]))
                        names[n++] = (char *) d->names[i];
        return n;
}

static int plan_earlyoom(struct plan *p, const struct wrapper_oom_finding *d) {
        const char *old;
        size_t len, new_len;
        char *names[WRAPPER_MAX + 1];
        size_t n_names = avoid_names(d, names);
        if (n_names == 0)
                return -ENOENT;
        int r = plan_get_file(p, EARLYOOM_DEFAULTS, &old, &len);
        if (r < 0)
                return r;
        if (!old)
                return 0;
        _cleanup_free_ char *text = NULL;
        r = earlyoom_edit_avoid(old, len, names, n_names, &text, &new_len);
        if (r < 0)
                return r;
        r = plan_add_write(p, CHECK_ID, EARLYOOM_DEFAULTS, text, new_len, 0644);
        /* Once a run, after the first edit: later edits of the same file update that action. */
        if (r > 0 && !plan_restarts(p, "earlyoom.service"))
                r = plan_add_systemd(p, CHECK_ID, SYSTEMD_RESTART, "earlyoom.service", NULL);
        return r;
}

static int plan_daemon(struct plan *p, const struct wrapper_oom_finding *d) {
        int r = d->earlyoom ? plan_earlyoom(p, d) : -ENOENT;
        if (r == -ENOENT || r == -EINVAL) {
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                char *names[WRAPPER_MAX + 1];
                size_t n = avoid_names(d, names);
                const char *where = d->earlyoom ? "earlyoom.service (" EARLYOOM_DEFAULTS ", EARLYOOM_ARGS --avoid)"
                                                : "nohang.service (" NOHANG_CONF ")";
                if (n == 0)
                        r = strbuf_addf(&sb, "%s matches names only, and pid %d's wrappers have names every shell or "
                                        "tmux has: sparing them would spare every shell; run pid %d from a unit with "
                                        "OOMScoreAdjust= instead of under them (`hostfit fix unmanaged-service` or "
                                        "wrapper-oom-unprotected writes it in /etc/systemd/system)",
                                        where, (int) d->pid, (int) d->pid);
                else
                        r = strbuf_addf(&sb, "make the regex of %s also match the process names it sees for pid %d: ^(",
                                        where, (int) d->pid);
                for (size_t i = 0; i < n && r == 0; i++)
                        r = strbuf_addf(&sb, "%s%s", i ? "|" : "", names[i]);
                if (r == 0 && n)
                        r = strbuf_adds(&sb, ")$");
                if (r == 0)
                        r = plan_add_manual(p, CHECK_ID, strbuf_str(&sb));
        }
        return r < 0 ? r : 0;
}

static int wrapper_oom_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct wrapper_oom_finding *d = f->data;
        if (!d || f->status < STATUS_WARN)
                return 0;
        return d->daemon ? plan_daemon(p, d) : plan_shield(h, p, d);
}

const struct fix fix_wrapper_oom = {
        .name = "wrapper-oom",
        .summary = "write a unit with OOMScoreAdjust= (the lasting fix); now, give the child's oom_score_adj to the "
                   "wrappers below the first tmux server or interactive shell (never those: every later pane or "
                   "command would inherit it); make earlyoom's --avoid match the exact names, never a shell's or tmux's",
        .plan = wrapper_oom_plan,
};
