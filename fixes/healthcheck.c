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

/* The probe's settings from [healthcheck]; the path to GET is read by the probe itself from
 * http-path = UNIT:/PATH at each run, so a change there reaches every probe at once. */
static int probe_args(const struct config *c, struct strbuf *out) {
        char buf[64], max[64];
        long long failures = config_get_int(c, SECTION, "failures", 3);
        long long restarts = config_get_int(c, SECTION, "max-restarts", 3);
        const char *timeout = config_get(c, SECTION, "timeout"), *grace = config_get(c, SECTION, "grace");
        snprintf(buf, sizeof(buf), "%lld", failures > 0 ? failures : 3);
        snprintf(max, sizeof(max), "%lld", restarts > 0 && restarts <= 16 ? restarts : 3);
        const char *words[] = { "--timeout", timeout ? timeout : "5s", "--failures", buf, "--max-restarts", max,
                                grace ? "--grace" : NULL, grace, NULL };
        int r = 0;
        for (size_t i = 0; words[i] && r == 0; i++) {
                r = strbuf_addch(out, ' ');
                if (r == 0)
                        r = unit_quote_exec_word(out, words[i]);
        }
        return r;
}

int healthcheck_render(struct host *h, const char *template, char **ret, size_t *ret_len) {
        const struct config *c = host_config(h);
        _cleanup_strbuf_ struct strbuf exec = STRBUF_INIT, args = STRBUF_INIT;
        _cleanup_free_ char *hostfit = NULL, *err = NULL, *why = NULL;
        char interval[32];
        int r = hostfit_exe_path(h, &hostfit, &why);
        if (r < 0)
                return r;
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
        return template_render(h, template, strcmp(template, TIMER) == 0 ? timer_vars : svc_vars, ret, ret_len, &err);
}

/* Plan /etc/systemd/system/NAME from its template; *ret_text is what it will hold. */
static int write_template(struct host *h, struct plan *p, const char *check, const char *name,
                          char **ret_text, size_t *ret_len) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        int r = healthcheck_render(h, name, &text, &len);
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

/* A probe of a port its unit left: stopped, its timers.target link removed. */
static int plan_stale(struct host *h, const struct finding *f, const struct healthcheck_data *d, struct plan *p) {
        _cleanup_free_ char *timer = NULL, *link = NULL;
        if (asprintf(&timer, "%s.timer", d->instance) < 0 ||
            asprintf(&link, "/etc/systemd/system/timers.target.wants/%s", timer) < 0)
                return -ENOMEM;
        int r = host_is_live(h) ? plan_add_systemd(p, f->check->id, SYSTEMD_STOP, timer, NULL) : 0;
        if (r >= 0)
                r = plan_add_remove(p, f->check->id, link, 0);
        if (r > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        return r < 0 ? r : 0;
}

static int healthcheck_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct healthcheck_data *d = f->data;
        _cleanup_free_ char *timer = NULL, *text = NULL;
        int r = 0;
        if (!d)
                return 0;
        if (d->kind == HEALTHCHECK_STALE)
                return plan_stale(h, f, d, p);
        _cleanup_free_ char *hostfit = NULL, *err = NULL;
        r = hostfit_exe_path(h, &hostfit, &err);
        if (r == -ENOMEM)
                return r;
        /* A unit that runs a binary others can change would run their code as root: nothing is written. */
        if (r < 0)
                return plan_add_manualf(p, f->check->id, "%s", err ? err : strerror(-r));
        int w1 = write_template(h, p, f->check->id, "hostfit-health@.service", NULL, NULL);
        if (w1 < 0)
                return w1;
        size_t len = 0;
        int w2 = write_template(h, p, f->check->id, TIMER, &text, &len);
        if (w2 < 0)
                return w2;
        if (w1 > 0 || w2 > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r < 0 || d->kind == HEALTHCHECK_SETTINGS)
                return r < 0 ? r : 0;
        if (asprintf(&timer, "%s.timer", d->instance) < 0)
                return -ENOMEM;
        int linked = fix_plan_enable(p, f->check->id, timer, "/etc/systemd/system/" TIMER, text, len);
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
                   "the address the unit listens on and try-restarts the unit after repeated failures "
                   "(not within its start-up grace, not where it moved, at most max-restarts an hour); "
                   "a stale instance is stopped and its link removed; changed settings rewrite the templates",
        .plan = healthcheck_plan,
};
