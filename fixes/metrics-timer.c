/* SPDX-License-Identifier: MIT */
/* metrics-timer: the fix that installs hostfit-check.service and .timer, and the
 * rendering of both units that the check compares against. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "host/selfpath.h"
#include "host/template.h"
#include "systemd/unitgen.h"

const char *metrics_path(const struct host *h) {
        const char *p = config_get(host_config(h), "metrics", "path");
        return p ? p : METRICS_PATH_DEFAULT;
}

int metrics_path_dir(const char *path, char **ret) {
        if (!path || path[0] != '/')
                return -EINVAL;
        const char *slash = strrchr(path, '/');
        const char *file = slash + 1;
        if (!*file || strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
                return -EINVAL;
        /* "/x.prom" lives in "/"; otherwise drop the trailing slashes of the directory part. */
        size_t n = (size_t) (slash - path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        char *d = strndup(path, n ? n : 1);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int metrics_timer_render(const struct host *h, const char *name, char **ret, size_t *ret_len, char **ret_error) {
        _cleanup_strbuf_ struct strbuf path = STRBUF_INIT, dir = STRBUF_INIT, exe = STRBUF_INIT;
        _cleanup_free_ char *d = NULL, *hostfit = NULL;
        const char *p = metrics_path(h);
        int r = metrics_path_dir(p, &d);
        if (r == -EINVAL) {
                if (ret_error && asprintf(ret_error, "[metrics] path = %s names no file", p) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (r < 0)
                return r;
        /* ExecStart= expands "$" and "%" in an argument; ReadWritePaths= only "%". */
        r = unit_quote_exec_word(&path, p);
        if (r == 0)
                r = unit_quote_value(&dir, d);
        if (r == 0)
                r = hostfit_exe_path(h, &hostfit, ret_error);
        if (r == 0)
                r = unit_quote_exec_word(&exe, hostfit);
        if (r < 0)
                return r;
        const char *vars[] = { "hostfit", strbuf_str(&exe), "path", strbuf_str(&path), "dir", strbuf_str(&dir), NULL };
        return template_render(h, name, vars, ret, ret_len, ret_error);
}

/* Note on the last action when it does not run now. */
static int note_deferred(struct host *h, struct plan *p, const char *what) {
        const struct action *a = plan_action(p, plan_size(p) - 1);
        if (!a || !a->deferred)
                return 0;
        if (!host_is_live(h))
                return plan_note(p, "not the running system: %s", what);
        return plan_note(p, "systemd is not running: %s", what);
}

/* The one place the timer is enabled: its [Install] links, or systemctl enable on a running systemd. */
static int plan_enable_timer(struct host *h, struct plan *p, const char *check) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t len = 0;
        int r = metrics_timer_render(h, METRICS_TIMER, &text, &len, &err);
        if (r < 0)
                return r;
        return fix_plan_enable(p, check, METRICS_TIMER, METRICS_UNIT_DIR METRICS_TIMER, text, len);
}

static int plan_unit(struct host *h, struct plan *p, const char *check, const char *name) {
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL;
        size_t len = 0;
        int r = metrics_timer_render(h, name, &text, &len, &err);
        if (r < 0)
                return r;
        if (asprintf(&path, METRICS_UNIT_DIR "%s", name) < 0)
                return -ENOMEM;
        return plan_add_write(p, check, path, text, len, 0644);
}

static int fix_metrics_timer_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct metrics_timer_facts *facts = f->data;
        const char *check = f->check->id;
        if (!facts)
                return 0;       /* the textfile directory: the admin's (see the finding's fix line) */
        /* A unit that runs a binary others can change would run their code as root: nothing is written. */
        _cleanup_free_ char *hostfit = NULL, *err = NULL;
        int k = hostfit_exe_path(h, &hostfit, &err);
        /* A refusal (err says why) is a manual step; a read that failed is an error. */
        if (k == -ENOMEM || (k < 0 && !err))
                return k;
        if (k < 0)
                return plan_add_manualf(p, check, "%s", err ? err : strerror(-k));
        int w1 = plan_unit(h, p, check, METRICS_SERVICE);
        if (w1 < 0)
                return w1;
        int w2 = plan_unit(h, p, check, METRICS_TIMER);
        if (w2 < 0)
                return w2;
        int r = 0, enabled = 0;
        if (w1 > 0 || w2 > 0)
                r = plan_add_systemd(p, check, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r >= 0 && !facts->enabled)
                r = enabled = plan_enable_timer(h, p, check);
        /* Started once, when something changed: a second run plans nothing. */
        if (r >= 0 && (w1 > 0 || w2 > 0 || enabled > 0)) {
                r = plan_add_systemd(p, check, SYSTEMD_START, METRICS_TIMER, NULL);
                if (r >= 0)
                        r = note_deferred(h, p, "once enabled, timers.target starts it at boot");
        }
        return r < 0 ? r : 0;
}

const struct fix fix_metrics_timer = {
        .name = "metrics-timer",
        .summary = "hostfit-check.service and hostfit-check.timer in /etc/systemd/system, writing "
                   "[metrics] path every 15 minutes; the timer enabled and started",
        .plan = fix_metrics_timer_plan,
};
