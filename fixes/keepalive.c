/* SPDX-License-Identifier: MIT */
/* Fix for keepalive-loop: the one unit for the command the loop restarts (the unmanaged-service
 * generator, with a restart policy that backs off), enabled; stopping the loop and starting the
 * unit is a manual step. A pm2 daemon gets pm2's own unit (pm2 startup), also by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "text/escape.h"
#include "fixes.h"
#include "loop-findings.h"
#include "procs/proctree.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"

#define RESTART_SEC 10  /* slower than any shell loop's sleep: a crash loop costs little */

static int plan_child_unit(struct host *h, const struct finding *f, const struct keepalive_data *k, struct plan *p) {
        const struct unmanaged_data *d = k->child;
        /* One process, one unit: only when the restarted command is this check's (not a dev server's). */
        const struct proc *q;
        const char *owner;
        int r = fix_proc_owner(h, d->pid, &q, &owner);
        if (r <= 0)
                return r;
        _cleanup_free_ char *step = NULL, *no = NULL, *desc = NULL;
        if (strcmp(owner, f->check->id) != 0) {
                if (asprintf(&step, "stop the loop pid %d; the unit of its child pid %d comes from `hostfit fix %s`",
                             (int) k->loop_pid, (int) d->pid, owner) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
        }
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
                .enable = true,
        };
        fix_unit_memory(h, d->proc, &req.spec);
        r = fix_plan_process_unit(h, p, &req, &no);
        if (r < 0)
                return r;
        if (r == 0 && asprintf(&step, "run the command loop pid %d restarts (pid %d) from a systemd unit: %s",
                               (int) k->loop_pid, (int) d->pid, no) < 0)
                return -ENOMEM;
        if (r > 0 && asprintf(&step, "hand over to systemd when convenient: stop the loop first, then its child, then "
                              "start the unit: kill %d; kill %d; systemctl start %s", (int) k->loop_pid, (int) d->pid,
                              d->name) < 0)
                return -ENOMEM;
        return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
}

static int keepalive_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct keepalive_data *k = f->data;
        _cleanup_free_ char *step = NULL;
        if (!k)
                return 0;
        if (k->kind == KEEPALIVE_PM2) {
                if (asprintf(&step, "let systemd start pm2: as %s run \"pm2 startup systemd\" (it writes pm2-%s.service) "
                             "and \"pm2 save\"", k->user ? k->user : "the user running pm2", k->user ? k->user : "USER") < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
        }
        if (!k->child || !k->child->proc || k->child->proc->argc == 0) {
                if (asprintf(&step, "the command loop pid %d restarts is not running now: write its unit by hand "
                             "(Restart=on-failure, RestartSec=10s) and stop the loop", (int) k->loop_pid) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
        }
        return plan_child_unit(h, f, k, p);
}

const struct fix fix_keepalive = {
        .name = "keepalive-unit",
        .summary = "the one service unit for the command the loop restarts (exact argv, cwd, user, allowlisted "
                   "environment) with Restart=on-failure, RestartSec=10s and memory limits, enabled; stopping "
                   "the loop and starting the unit is a manual step; for pm2, pm2 startup and pm2 save",
        .plan = keepalive_plan,
};
