/* SPDX-License-Identifier: MIT */
/* Fix for restart-storm: hostfit's drop-in as the restart rule gives it (checks/restart-policy.c),
 * removed where the rule leaves nothing to say, and a daemon-reload; or the admin's step where
 * only a change of intent would help. Nothing is restarted. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixes.h"
#include "restart-policy.h"

static int restart_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct restart_data *d = f->data;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;
        (void) h;
        if (!d)
                return 0;
        if (d->manual)
                r = plan_add_manual(p, f->check->id, d->manual);
        else if (restart_dropin_empty(&d->d))
                r = plan_add_remove(p, f->check->id, d->dropin, 0);
        else if ((r = restart_dropin_render(d->unit, &d->d, &text, &len)) >= 0)
                r = plan_add_write(p, f->check->id, d->dropin, text, len, 0644);
        if (r > 0 && !d->manual)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        return r < 0 ? r : 0;
}

const struct fix fix_restart = {
        .name = "restart-dropin",
        .summary = "a drop-in UNIT.d/50-hostfit-restart.conf that keeps the admin's Restart= (Restart=no becomes "
                   "on-failure and on-success always only after an OOM kill left the unit down) and makes a start "
                   "that fails every time end: RestartSteps=/RestartMaxDelaySec= from systemd 254, else "
                   "RestartSec=10s and a start limit of 5 an hour, never over the admin's own; daemon-reload, "
                   "nothing restarted; a manual step where only a change of intent would help",
        .plan = restart_plan,
};
