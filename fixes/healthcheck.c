/* SPDX-License-Identifier: MIT */
/* Fix for healthcheck-missing: the hostfit-health@.service/.timer templates and an
 * enabled timer instance "UNIT_PORT" that runs `hostfit probe`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "host/selfpath.h"
#include "text/template.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"

#define SECTION "healthcheck"
#define TIMER "hostfit-health@.timer"

static int probe_args(const struct config *c, struct strbuf *out) {
        char buf[64];
        long long failures = config_get_int(c, SECTION, "failures", 3);
        const char *timeout = config_get(c, SECTION, "timeout");
        const char *http = config_get(c, SECTION, "http-path");
        snprintf(buf, sizeof(buf), "%lld", failures > 0 ? failures : 3);
        const char *words[] = { "--timeout", timeout ? timeout : "5s", "--failures", buf,
                                http ? "--http" : NULL, http, NULL };
        int r = 0;
        for (size_t i = 0; words[i] && r == 0; i++) {
                r = strbuf_addch(out, ' ');
                if (r == 0)
                        r = unit_quote_exec_word(out, words[i]);
        }
        return r;
}

/* Plan /etc/systemd/system/NAME from its template; *ret_text is what it will hold. */
static int write_template(struct host *h, struct plan *p, const char *check, const char *name,
                          const char *const *vars, char **ret_text, size_t *ret_len) {
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL;
        size_t len = 0;
        int r = template_render(h, name, vars, &text, &len, &err);
        if (r < 0)
                return r;
        if (asprintf(&path, "/etc/systemd/system/%s", name) < 0)
                return -ENOMEM;
        r = plan_add_write(p, check, path, text, len, 0644);
        if (r >= 0 && ret_text) {
                *ret_text = TAKE_PTR(text);
                *ret_len = len;
        }
        return r;
}

static int healthcheck_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct healthcheck_data *d = f->data;
        const struct config *c = host_config(h);
        _cleanup_strbuf_ struct strbuf exec = STRBUF_INIT, args = STRBUF_INIT;
        _cleanup_free_ char *timer = NULL, *text = NULL, *hostfit = NULL;
        char interval[32];
        if (!d)
                return 0;
        _cleanup_free_ char *err = NULL;
        int r = hostfit_exe_path(h, &hostfit, &err);
        if (r == -ENOMEM)
                return r;
        /* A unit that runs a binary others can change would run their code as root: nothing is written. */
        if (r < 0)
                return plan_add_manualf(p, f->check->id, "%s", err ? err : strerror(-r));
        char *const argv[] = { hostfit, "probe" };
        r = unit_quote_exec_argv(&exec, argv, 2);
        if (r == 0)
                r = probe_args(c, &args);
        if (r < 0)
                return r;
        const char *iv = config_get(c, SECTION, "interval");
        snprintf(interval, sizeof(interval), "%s", iv ? iv : "30s");
        const char *svc_vars[] = { "exec_start", strbuf_str(&exec), "probe_args", strbuf_str(&args), NULL };
        const char *timer_vars[] = { "interval", interval, NULL };
        int w1 = write_template(h, p, f->check->id, "hostfit-health@.service", svc_vars, NULL, NULL);
        if (w1 < 0)
                return w1;
        size_t len = 0;
        int w2 = write_template(h, p, f->check->id, TIMER, timer_vars, &text, &len);
        if (w2 < 0)
                return w2;
        if (asprintf(&timer, "%s.timer", d->instance) < 0)
                return -ENOMEM;
        if (w1 > 0 || w2 > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        int linked = r < 0 ? r : fix_plan_enable(p, f->check->id, timer, "/etc/systemd/system/" TIMER, text, len);
        if (linked < 0)
                return linked;
        /* Off the running system, the links are what boot needs: nothing to start twice. */
        if (w1 > 0 || w2 > 0 || linked > 0 || host_is_live(h)) {
                r = plan_add_systemd(p, f->check->id, SYSTEMD_START, timer, NULL);
                if (r >= 0 && !host_is_live(h))
                        r = plan_note(p, "not the running system: timers.target starts it at boot");
        }
        return r < 0 ? r : 0;
}

const struct fix fix_healthcheck = {
        .name = "health-timer",
        .summary = "hostfit-health@.service and .timer, and an enabled instance UNIT_PORT that probes "
                   "the address the unit listens on and try-restarts the unit after repeated failures",
        .plan = healthcheck_plan,
};
