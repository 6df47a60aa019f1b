/* SPDX-License-Identifier: MIT */
/* metrics-timer: when asked for ([metrics] timer = yes), hostfit-check.timer refreshes the
 * node_exporter textfile with hostfit's metrics: both units as hostfit writes them, the timer
 * enabled, and the textfile directory there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "text/strbuf.h"
#include "host/virt.h"
#include "systemd/unitgen.h"

#define UNIT_MAX (1 << 20)

/* The program the first ExecStart= of unit TEXT runs, as systemd splits it; NULL when none. */
static char *exec_program(const char *text, size_t len) {
        _cleanup_free_ char *copy = strndup(text, len), *value = NULL;
        if (!copy)
                return NULL;
        const char *line = strncmp(copy, "ExecStart=", 10) == 0 ? copy : strstr(copy, "\nExecStart=");
        if (!line)
                return NULL;
        line = strchr(line, '=') + 1;
        value = strndup(line, strcspn(line, "\n"));
        char **argv = NULL;
        size_t argc = 0;
        if (!value || unit_split_exec(value, &argv, &argc) < 0)
                return NULL;
        char *prog = argc > 0 ? argv[0] : NULL;
        for (size_t i = 1; i < argc; i++)
                free(argv[i]);
        free(argv);
        return prog;
}

/* Why PATH (HAVE) is not what hostfit writes (WANT): a unit that runs another hostfit (an
 * older one, at the path it had before it moved to /usr/bin) is out of date, said with both paths. */
static int say_differs(struct strbuf *why, const char *path, const char *have, size_t have_len,
                       const char *want, size_t want_len) {
        _cleanup_free_ char *old = exec_program(have, have_len), *new = exec_program(want, want_len);
        const char *sep = why->len ? ", " : "";
        if (old && new && strcmp(old, new) != 0)
                return strbuf_addf(why, "%s%s is out of date: it runs %s, not %s", sep, path, old, new);
        return strbuf_addf(why, "%s%s differs from what hostfit writes", sep, path);
}

/* 1 when NAME holds what hostfit writes, 0 when missing or different (said in WHY),
 * -errno (reported) when it cannot be read. */
static int unit_current(struct host *h, struct report *r, const char *name, struct strbuf *why) {
        _cleanup_free_ char *want = NULL, *have = NULL, *err = NULL, *path = NULL;
        size_t want_len = 0, have_len = 0;
        int k = metrics_timer_render(h, name, &want, &want_len, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                int q = report_add(r, STATUS_ERROR, name, NULL, NULL, "cannot render %s: %s",
                                   name, err ? err : strerror(-k));
                return q < 0 ? q : k;
        }
        if (asprintf(&path, METRICS_UNIT_DIR "%s", name) < 0)
                return -ENOMEM;
        /* A link (an alias, a mask to /dev/null) is the admin's: the fix would not write through it. */
        struct stat st;
        if (host_stat(h, path, &st) == 0 && S_ISLNK(st.st_mode)) {
                k = report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read %s: it is a symlink, "
                               "which hostfit neither follows nor replaces", path);
                return k < 0 ? k : -ELOOP;
        }
        k = host_read_file(h, path, UNIT_MAX, &have, &have_len);
        if (k == -ENOMEM)
                return k;
        if (k < 0 && k != -ENOENT) {
                int q = report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read %s: %s", path, strerror(-k));
                return q < 0 ? q : k;
        }
        if (k == 0 && have_len == want_len && memcmp(have, want, want_len) == 0)
                return 1;
        if (k == -ENOENT)
                k = strbuf_addf(why, "%s%s is missing", why->len ? ", " : "", path);
        else
                k = say_differs(why, path, have, have_len, want, want_len);
        return k < 0 ? k : 0;
}

static bool timer_enabled(struct host *h) {
        struct stat st;
        return host_stat(h, METRICS_TIMER_LINK, &st) == 0 && (S_ISLNK(st.st_mode) || S_ISREG(st.st_mode));
}

static int judge_units(struct host *h, struct report *r) {
        _cleanup_strbuf_ struct strbuf why = STRBUF_INIT;
        int s = unit_current(h, r, METRICS_SERVICE, &why);
        if (s < 0)
                return s == -ENOMEM ? s : 0;
        int t = unit_current(h, r, METRICS_TIMER, &why);
        if (t < 0)
                return t == -ENOMEM ? t : 0;
        bool enabled = timer_enabled(h);
        if (s && t && enabled)
                return report_add(r, STATUS_PASS, METRICS_TIMER, NULL, NULL,
                                  "%s is installed and enabled: it refreshes %s", METRICS_TIMER, metrics_path(h));
        if (!enabled && strbuf_addf(&why, "%s%s is not enabled", why.len ? ", " : "", METRICS_TIMER) < 0)
                return -ENOMEM;
        struct metrics_timer_facts *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->enabled = enabled;
        return report_add(r, STATUS_WARN, METRICS_TIMER, f, free, "%s", strbuf_str(&why));
}

/* hostfit check --output writes into the directory and creates none: node_exporter's package does. */
static int judge_dir(struct host *h, struct report *r) {
        _cleanup_free_ char *dir = NULL, *fix = NULL;
        struct stat st;
        if (metrics_path_dir(metrics_path(h), &dir) < 0)
                return 0;       /* said by the render error */
        int k = host_stat(h, dir, &st);
        if (k == 0 && S_ISDIR(st.st_mode))
                return 0;
        k = report_add(r, STATUS_WARN, dir, NULL, NULL, "the directory of [metrics] path %s: the timer cannot write %s",
                       k == 0 ? "is not a directory" : "does not exist", metrics_path(h));
        if (k < 0)
                return k;
        if (asprintf(&fix, "install node_exporter's textfile collector (or create %s), or set [metrics] path in %s",
                     dir, CONFIG_PATH) < 0)
                return -ENOMEM;
        return finding_set_fix(report_last(r), fix);
}

static int metrics_timer_run(struct host *h, struct report *r) {
        if (!config_get_bool(host_config(h), "metrics", "timer", false))
                return report_add(r, STATUS_SKIP, METRICS_TIMER, NULL, NULL,
                                  "opt in with [metrics] timer = yes in %s", CONFIG_PATH);
        int k = check_skip_unless_systemd(h, r);
        if (k != 0)
                return k < 0 ? k : 0;
        k = judge_units(h, r);
        if (k < 0)
                return k;
        return judge_dir(h, r);
}

const struct check check_metrics_timer = {
        .id = "metrics-timer",
        .title = "hostfit's metrics are refreshed by a timer (opt-in)",
        .problem = "No timer refreshes hostfit's metrics (opted in)",
        .why = "A metrics file nobody refreshes keeps saying the host is fine: the node_exporter "
               "textfile collector serves whatever was written last.",
        .severity = SEVERITY_LOW,
        .run = metrics_timer_run,
        .fix = &fix_metrics_timer,
};
