/* Fix for unmanaged-service: a unit from the service template for the process's exact
 * argv, cwd, user and allowlisted environment; daemon-reload and enable. The running
 * process is never killed: the hand-over is a manual step. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "escape.h"
#include "fixes.h"
#include "unit-findings.h"
#include "unitgen.h"

static void describe(const struct unmanaged_data *d, char *buf, size_t size) {
        _cleanup_free_ char *a0 = escape_terminal_str(d->argv[0]);
        _cleanup_free_ char *a1 = d->argc > 1 ? escape_terminal_str(d->argv[1]) : NULL;
        snprintf(buf, size, "%s%s%s (hostfit, from pid %d)", a0 ? a0 : "", a1 ? " " : "", a1 ? a1 : "", (int) d->pid);
        for (char *c = buf; *c; c++)
                if (*c == '%' || *c == '\\')
                        *c = '_';       /* a description is free text; keep it plain */
}

static int unit_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct unmanaged_data *d = f->data;
        const struct host_meminfo *mi = NULL;
        char desc[160];
        if (!d || d->argc == 0)
                return 0;
        describe(d, desc, sizeof(desc));
        uint64_t max = memorymax_default(d->rss, host_meminfo(h, &mi) == 0 ? mi->mem_total : 0);
        /* The program as the kernel ran it, unless argv[0] already names it exactly. */
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
        };
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL;
        size_t len = 0;
        int r = unitgen_service(h, &s, &text, &len, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return plan_add_manual(p, f->check->id, err ? err : "the command cannot be written as a unit") < 0 ? -ENOMEM : 0;
        if (asprintf(&path, "/etc/systemd/system/%s", d->name) < 0)
                return -ENOMEM;
        r = plan_add_write(p, f->check->id, path, text, len, 0644);
        if (r < 0)
                return r;
        if (r > 0 && (r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL)) < 0)
                return r;
        r = fix_plan_enable(p, f->check->id, d->name, path, text, len);
        if (r < 0)
                return r;
        _cleanup_free_ char *step = NULL;
        if (asprintf(&step, "hand over to systemd when convenient: kill %d && systemctl start %s",
                     (int) d->pid, d->name) < 0)
                return -ENOMEM;
        r = plan_add_manual(p, f->check->id, step);
        return r < 0 ? r : 0;
}

const struct fix fix_unit = {
        .name = "service-unit",
        .summary = "a service unit for the process's exact command line, cwd and user, with restart, "
                   "start limit and memory limits; enabled, and a manual hand-over step",
        .plan = unit_plan,
};
