/* SPDX-License-Identifier: MIT */
/* Fix for restart-storm: a drop-in with a restart policy that backs off and a start limit a
 * crash loop cannot spend, and a daemon-reload. Nothing is restarted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixes.h"
#include "loop-findings.h"
#include "text/strbuf.h"
#include "systemd/unitstate.h"

#define RESTART_SEC 5
#define LIMIT_INTERVAL 60
/* More starts than RestartSec= lets into the interval: the limit never stops a crash loop. */
#define LIMIT_BURST (LIMIT_INTERVAL / RESTART_SEC + 3)
#define STEPS_SINCE 254         /* RestartSteps=, RestartMaxDelaySec= */

/* The drop-in's text; VERSION 0 when unknown (then no setting a 252 would reject). */
static int restart_dropin_render(const struct restart_data *d, unsigned version, char **ret, size_t *ret_len) {
        _cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
        uint64_t sec = d->restart_usec / 1000000 > RESTART_SEC ? d->restart_usec / 1000000 : RESTART_SEC;
        strbuf_addf(&sb, "# Written by hostfit (restart-storm): restarts of %s back off, and a crash loop\n"
                    "# slows down instead of spending the start limit and staying down.\n"
                    "[Unit]\nStartLimitIntervalSec=%ds\nStartLimitBurst=%d\n\n[Service]\nRestart=%s\nRestartSec=%llus\n",
                    d->unit, LIMIT_INTERVAL, (int) (sec > RESTART_SEC ? LIMIT_INTERVAL / sec + 3 : LIMIT_BURST),
                    d->keep_always ? "always" : "on-failure", (unsigned long long) sec);
        if (version >= STEPS_SINCE)
                strbuf_adds(&sb, "RestartSteps=5\nRestartMaxDelaySec=5min\n");
        if (!strbuf_str(&sb)[0])
                return -ENOMEM;
        *ret = strbuf_detach(&sb, ret_len);
        return *ret ? 0 : -ENOMEM;
}

static int restart_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct restart_data *d = f->data;
        unsigned version = 0;
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (!d)
                return 0;
        (void) unit_state_systemd_version(h, &version);
        int r = restart_dropin_render(d, version, &text, &len);
        if (r < 0)
                return r;
        r = plan_add_write(p, f->check->id, d->dropin, text, len, 0644);
        if (r > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        return r < 0 ? r : 0;
}

const struct fix fix_restart = {
        .name = "restart-dropin",
        .summary = "a drop-in UNIT.d/50-hostfit-restart.conf with Restart=on-failure (always kept), RestartSec=5s "
                   "and a start limit a crash loop cannot spend (RestartSteps=/RestartMaxDelaySec= from systemd 254), "
                   "daemon-reload; nothing restarted",
        .plan = restart_plan,
};
