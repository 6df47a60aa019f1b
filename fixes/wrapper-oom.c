/* Fix for wrapper-oom-unprotected: shield the wrappers now, a unit without them for good,
 * and an earlyoom --avoid regex that matches the names earlyoom sees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "devserver.h"
#include "fixes.h"
#include "oomd.h"
#include "procown.h"
#include "proctree.h"
#include "unitgen.h"

#define CHECK_ID "wrapper-oom-unprotected"

/* The lasting fix, when this check owns the process (lib/procown.h): its unit, from the one
 * generator, with OOMScoreAdjust=. -ENOEXEC when it cannot be written exactly. */
static int plan_unit(struct host *h, struct plan *p, const struct wrapper_oom_finding *d) {
        const struct proc_table *t;
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        const struct proc *q = proc_table_find(t, d->pid);
        const char *owner = q ? procown_owner(h, q) : NULL;
        if (!owner || strcmp(owner, PROCOWN_CONTAINER) == 0)
                return 0;       /* gone, or a container's: its runtime runs it */
        if (strcmp(owner, CHECK_ID) != 0) {
                /* Another check's fix writes its one unit (a dev server's is never a dev command). */
                _cleanup_free_ char *step = NULL;
                if (asprintf(&step, "run pid %d from a systemd unit with OOMScoreAdjust=%d: `hostfit fix %s` "
                             "plans its unit", (int) d->pid, d->adj, owner) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, CHECK_ID, step);
        }
        _cleanup_(unit_proc_freep) struct unit_proc *u = NULL;
        _cleanup_free_ char *name = NULL, *desc = NULL, *text = NULL, *no = NULL;
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
        r = fix_plan_process_unit(h, p, &req, &no);
        if (r <= 0)
                return r < 0 ? r : -ENOEXEC;
        if (asprintf(&text, "%s is written, not started: stop pid %d and run `systemctl enable --now %s`, "
                     "so that nothing but systemd stands between it and the OOM killer", name, (int) d->pid, name) < 0)
                return -ENOMEM;
        return plan_add_manual(p, CHECK_ID, text);
}

static int plan_shield(struct host *h, struct plan *p, const struct wrapper_oom_finding *d) {
        for (size_t i = 0; i < d->n; i++) {
                int r = plan_add_oom_score_adj(p, CHECK_ID, d->wrappers[i].pid, d->wrappers[i].comm,
                                               d->wrappers[i].adj, d->adj);
                if (r < 0)
                        return r;
        }
        int r = plan_unit(h, p, d);
        if (r == -ENOEXEC || r == -EINVAL) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "run pid %d from a systemd unit with OOMScoreAdjust=%d instead of under its wrappers",
                             (int) d->pid, d->adj) < 0)
                        return -ENOMEM;
                r = plan_add_manual(p, CHECK_ID, text);
        }
        return r < 0 ? r : 0;
}

static int plan_earlyoom(struct plan *p, const struct wrapper_oom_finding *d) {
        const char *old;
        size_t len, new_len;
        char *names[WRAPPER_MAX + 1];
        for (size_t i = 0; i < d->n_names; i++)
                names[i] = (char *) d->names[i];
        int r = plan_get_file(p, EARLYOOM_DEFAULTS, &old, &len);
        if (r < 0)
                return r;
        if (!old)
                return 0;
        _cleanup_free_ char *text = NULL;
        r = earlyoom_edit_avoid(old, len, names, d->n_names, &text, &new_len);
        if (r < 0)
                return r;
        r = plan_add_write(p, CHECK_ID, EARLYOOM_DEFAULTS, text, new_len, 0644);
        if (r > 0)
                r = plan_add_systemd(p, CHECK_ID, SYSTEMD_RESTART, "earlyoom.service", NULL);
        return r;
}

static int plan_daemon(struct plan *p, const struct wrapper_oom_finding *d) {
        int r = d->earlyoom ? plan_earlyoom(p, d) : -ENOENT;
        if (r == -ENOENT || r == -EINVAL) {
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                r = strbuf_addf(&sb, "make the OOM daemon's regex also match the process names it sees for pid %d: ^(",
                                (int) d->pid);
                for (size_t i = 0; i < d->n_names && r == 0; i++)
                        r = strbuf_addf(&sb, "%s%s", i ? "|" : "", d->names[i]);
                if (r == 0)
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
        .summary = "give the wrappers the child's oom_score_adj now, write a unit with OOMScoreAdjust=, "
                   "and make earlyoom's --avoid match real process names",
        .plan = wrapper_oom_plan,
};
