/* Fix for keepalive-loop: the one unit for the command the loop restarts (the unmanaged-service
 * generator, with a restart policy that backs off), enabled; stopping the loop and starting the
 * unit is a manual step. A pm2 daemon gets pm2's own unit (pm2 startup), also by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "escape.h"
#include "fixes.h"
#include "loop-findings.h"
#include "unit-findings.h"
#include "unitgen.h"

#define RESTART_SEC 10  /* slower than any shell loop's sleep: a crash loop costs little */

static void describe(const struct unmanaged_data *d, pid_t loop, char *buf, size_t size) {
        _cleanup_free_ char *a0 = escape_terminal_str(d->argv[0]);
        _cleanup_free_ char *a1 = d->argc > 1 ? escape_terminal_str(d->argv[1]) : NULL;
        snprintf(buf, size, "%s%s%s (hostfit, from the keepalive loop pid %d)", a0 ? a0 : "", a1 ? " " : "",
                 a1 ? a1 : "", (int) loop);
        for (char *c = buf; *c; c++)
                if (*c == '%' || *c == '\\')
                        *c = '_';
}

static int plan_child_unit(struct host *h, const struct finding *f, const struct keepalive_data *k, struct plan *p) {
        const struct unmanaged_data *d = k->child;
        const struct host_meminfo *mi = NULL;
        char desc[160];
        describe(d, k->loop_pid, desc, sizeof(desc));
        uint64_t max = memorymax_default(d->rss, host_meminfo(h, &mi) == 0 ? mi->mem_total : 0);
        bool argv0_is_exe = d->exe && strcmp(d->argv[0], d->exe) == 0;
        struct unit_spec s = {
                .name = d->name,
                .description = desc,
                .argv = d->argv,
                .argc = d->argc,
                .exec_path = argv0_is_exe ? NULL : d->exe,
                .working_directory = d->cwd,
                .user = d->uid ? d->user : NULL,
                .group = d->uid ? d->group : NULL,
                .environment = (const char *const *) d->env,
                .memory_high = max / 10 * 9 >> 20 << 20,
                .memory_max = max,
                .has_oom_score_adjust = true,
                .oom_score_adjust = 0,
                .restart = "on-failure",
                .restart_sec = RESTART_SEC,
        };
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL, *step = NULL;
        size_t len = 0;
        int r = unitgen_service(h, &s, &text, &len, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return plan_add_manual(p, f->check->id, err ? err : "the command cannot be written as a unit") < 0 ? -ENOMEM : 0;
        if (asprintf(&path, "/etc/systemd/system/%s", d->name) < 0)
                return -ENOMEM;
        r = plan_add_write(p, f->check->id, path, text, len, 0644);
        if (r > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r >= 0)
                r = fix_plan_enable(p, f->check->id, d->name, path, text, len);
        if (r < 0)
                return r;
        if (asprintf(&step, "hand over to systemd when convenient: stop the loop first, then its child, then start "
                     "the unit: kill %d; kill %d; systemctl start %s", (int) k->loop_pid, (int) d->pid, d->name) < 0)
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
        if (!k->child || k->child->argc == 0) {
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
