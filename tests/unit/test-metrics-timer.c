/* SPDX-License-Identifier: MIT */
/* metrics-timer and its fix, on fixture roots: opt-in, units as hostfit writes them, the enable link. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "fixture.h"
#include "fixes.h"
#include "registry.h"
#include "report.h"
#include "systemd/unitgen.h"

#define SERVICE_PATH "/etc/systemd/system/hostfit-check.service"
#define TIMER_PATH "/etc/systemd/system/hostfit-check.timer"
#define TEXTFILE_DIR "/var/lib/prometheus/node-exporter"
#define OPT_IN "[metrics]\ntimer = yes\n"
#define IMAGE_HOSTFIT "/usr/bin/hostfit"

struct ctx {
        char *root;
        struct host *h;
        struct report *r;
        struct plan *p;
        const struct check_result *cr;
};

/* A root with hostfit.conf holding CONF (none when NULL) and, when TEXTFILE, node_exporter's directory. */
static char *make_root(const char *conf, bool textfile) {
        char *root = fixture_new();
        if (conf)
                fixture_write(root, CONFIG_PATH, conf);
        if (textfile)
                fixture_mkdir(root, TEXTFILE_DIR);
        fixture_mkdir(root, "/etc/systemd/system");
        /* The image's own hostfit, which its units run (never the one editing it). */
        fixture_write(root, IMAGE_HOSTFIT, "\177ELF");
        fixture_chmod(root, IMAGE_HOSTFIT, 0755);
        return root;
}

static void ctx_check(struct ctx *c) {
        report_free(c->r);
        assert_int_equal(report_new(&c->r), 0);
        char *ids[] = { (char *) "metrics-timer" };
        assert_int_equal(report_run_checks(c->r, c->h, ids, 1), 0);
        c->cr = report_check(c->r, 0);
        assert_non_null(c->cr);
        assert_string_equal(c->cr->check->id, "metrics-timer");
}

/* Open the root afresh, with its hostfit.conf, and run the check. */
static void ctx_open(struct ctx *c) {
        c->p = plan_free(c->p);
        c->h = host_free(c->h);
        assert_int_equal(host_open(c->root, &c->h), 0);
        struct config *cf = NULL;
        char *err = NULL;
        char *text = fixture_read(c->root, CONFIG_PATH);
        assert_int_equal(config_parse(text ? text : "", CONFIG_PATH, &cf, &err), 0);
        free(text);
        host_set_config(c->h, cf);
        ctx_check(c);
}

static struct ctx *ctx_run(char *root) {
        struct ctx *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->root = root;
        ctx_open(c);
        return c;
}

static void ctx_free(struct ctx *c) {
        plan_free(c->p);
        report_free(c->r);
        host_free(c->h);
        fixture_remove(c->root);
        free(c);
}

/* The plan of every warn finding, as hostfit fix builds it. */
static struct plan *ctx_plan(struct ctx *c) {
        c->p = plan_free(c->p);
        assert_int_equal(plan_new(c->h, &c->p), 0);
        for (size_t i = 0; i < c->cr->n_findings; i++)
                if (c->cr->findings[i]->status == STATUS_WARN)
                        assert_int_equal(fix_metrics_timer.plan(c->h, c->cr->findings[i], c->p), 0);
        return c->p;
}

static const struct finding *find(const struct ctx *c, enum status st) {
        for (size_t i = 0; i < c->cr->n_findings; i++)
                if (c->cr->findings[i]->status == st)
                        return c->cr->findings[i];
        fail_msg("no %s finding", status_to_string(st));
        return NULL;
}

/* A root where hostfit fix has run (the units written, the timer enabled). */
static struct ctx *installed(const char *conf) {
        struct ctx *c = ctx_run(make_root(conf, true));
        assert_int_equal(plan_apply(ctx_plan(c), c->h, NULL, NULL), 0);
        ctx_check(c);
        return c;
}

static const struct action *find_action(const struct plan *p, enum action_kind k, const char *path, enum systemd_op op) {
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == k && (!path || (a->path && strcmp(a->path, path) == 0)) &&
                    (k != ACTION_SYSTEMD || a->op == op))
                        return a;
        }
        return NULL;
}

/* The ExecStart= of the planned service, split back as systemd would. */
static void planned_exec(const struct plan *p, char ***ret_argv, size_t *ret_argc) {
        const struct action *a = find_action(p, ACTION_WRITE_FILE, SERVICE_PATH, 0);
        assert_non_null(a);
        const char *line = strstr(a->content, "\nExecStart=");
        assert_non_null(line);
        line += strlen("\nExecStart=");
        char *value = strndup(line, strcspn(line, "\n"));
        assert_int_equal(unit_split_exec(value, ret_argv, ret_argc), 0);
        free(value);
}

static void free_argv(char **argv, size_t argc) {
        for (size_t i = 0; i < argc; i++)
                free(argv[i]);
        free(argv);
}

/* ---- the check ---- */

static void test_not_opted_in_skips(void **state) {
        const char *confs[] = { NULL, "[metrics]\ntimer = no\n", "[metrics]\npath = /srv/m/hostfit.prom\n" };
        for (size_t i = 0; i < 3; i++) {
                struct ctx *c = ctx_run(make_root(confs[i], false));
                assert_int_equal(c->cr->status, STATUS_SKIP);
                assert_int_equal(c->cr->n_findings, 1);
                assert_non_null(strstr(c->cr->findings[0]->message,
                                       "opt in with [metrics] timer = yes in /etc/hostfit/hostfit.conf"));
                assert_int_equal(plan_size(ctx_plan(c)), 0);
                ctx_free(c);
        }
}

static void test_opted_in_without_units_warns(void **state) {
        struct ctx *c = ctx_run(make_root(OPT_IN, true));
        assert_int_equal(c->cr->status, STATUS_WARN);
        assert_int_equal(c->cr->n_findings, 1);
        const struct finding *f = c->cr->findings[0];
        assert_string_equal(f->subject, "hostfit-check.timer");
        assert_non_null(strstr(f->message, SERVICE_PATH " is missing"));
        assert_non_null(strstr(f->message, TIMER_PATH " is missing"));
        assert_non_null(strstr(f->message, "hostfit-check.timer is not enabled"));
        assert_string_equal(f->fix, "hostfit fix metrics-timer");
        assert_false(((const struct metrics_timer_facts *) f->data)->enabled);
        ctx_free(c);
}

static void test_installed_and_enabled_passes(void **state) {
        struct ctx *c = installed(OPT_IN);
        assert_int_equal(c->cr->status, STATUS_PASS);
        assert_int_equal(c->cr->n_findings, 1);
        assert_non_null(strstr(c->cr->findings[0]->message, "refreshes " TEXTFILE_DIR "/hostfit.prom"));
        ctx_free(c);
}

static void test_installed_but_not_enabled_warns(void **state) {
        struct ctx *c = installed(OPT_IN);
        char *link = NULL;
        assert_true(asprintf(&link, "%s/etc/systemd/system/timers.target.wants/hostfit-check.timer", c->root) > 0);
        assert_int_equal(unlink(link), 0);
        free(link);
        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_WARN);
        assert_string_equal(find(c, STATUS_WARN)->message, "hostfit-check.timer is not enabled");
        ctx_free(c);
}

/* The plan of an installed, enabled timer whose service is not what hostfit writes: the
 * service rewritten as TEXT and reloaded, nothing else written, the timer not enabled again. */
static struct plan *expect_service_rewritten(struct ctx *c, const char *text) {
        struct plan *p = ctx_plan(c);
        const struct action *w = find_action(p, ACTION_WRITE_FILE, SERVICE_PATH, 0);
        assert_non_null(w);
        assert_string_equal(w->content, text);
        assert_null(find_action(p, ACTION_WRITE_FILE, TIMER_PATH, 0));
        assert_null(find_action(p, ACTION_SYSTEMD, NULL, SYSTEMD_ENABLE));
        assert_non_null(find_action(p, ACTION_SYSTEMD, NULL, SYSTEMD_DAEMON_RELOAD));
        return p;
}

static void test_edited_unit_differs_and_warns(void **state) {
        struct ctx *c = installed(OPT_IN);
        char *text = fixture_read(c->root, SERVICE_PATH);
        char *edited = NULL;
        assert_true(asprintf(&edited, "%sCPUQuota=5%%\n", text) > 0);
        fixture_write(c->root, SERVICE_PATH, edited);
        ctx_check(c);
        const struct finding *f = find(c, STATUS_WARN);
        assert_string_equal(f->message, SERVICE_PATH " differs from what hostfit writes");
        assert_true(((const struct metrics_timer_facts *) f->data)->enabled);

        /* The fix puts it back, and does not enable the timer a second time. */
        expect_service_rewritten(c, text);
        free(text);
        free(edited);
        ctx_free(c);
}

/* A service an older hostfit wrote, when the binary was /usr/sbin/hostfit (it moved to /usr/bin):
 * out of date, said with both paths; the fix rewrites it alone, then the check passes and a
 * second plan is empty. */
static void test_unit_running_a_moved_hostfit_is_out_of_date_and_rewritten(void **state) {
        struct ctx *c = installed(OPT_IN);
        char *text = fixture_read(c->root, SERVICE_PATH);
        const char *now = "\nExecStart=\"" IMAGE_HOSTFIT "\" check ";
        char *at = strstr(text, now);
        assert_non_null(at);
        char *old = NULL;
        assert_true(asprintf(&old, "%.*s\nExecStart=/usr/sbin/hostfit check %s", (int) (at - text), text,
                             at + strlen(now)) > 0);
        fixture_write(c->root, SERVICE_PATH, old);
        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_WARN);
        assert_string_equal(find(c, STATUS_WARN)->message,
                            SERVICE_PATH " is out of date: it runs /usr/sbin/hostfit, not " IMAGE_HOSTFIT);

        assert_int_equal(plan_apply(expect_service_rewritten(c, text), c->h, NULL, NULL), 0);
        char *after = fixture_read(c->root, SERVICE_PATH);
        assert_string_equal(after, text);
        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        free(after);
        free(old);
        free(text);
        ctx_free(c);
}

/* The path in the units comes from the configuration: a new path makes the installed service stale. */
static void test_changed_path_makes_installed_service_stale(void **state) {
        struct ctx *c = installed(OPT_IN);
        fixture_mkdir(c->root, "/srv/metrics");
        fixture_write(c->root, CONFIG_PATH, OPT_IN "path = /srv/metrics/hostfit.prom\n");
        ctx_open(c);
        assert_int_equal(c->cr->status, STATUS_WARN);
        assert_string_equal(find(c, STATUS_WARN)->message, SERVICE_PATH " differs from what hostfit writes");
        ctx_free(c);
}

static void test_directory_in_place_of_unit_is_error(void **state) {
        char *root = make_root(OPT_IN, true);
        fixture_mkdir(root, SERVICE_PATH);
        struct ctx *c = ctx_run(root);
        assert_int_equal(c->cr->status, STATUS_ERROR);
        assert_int_equal(c->cr->n_findings, 1);
        assert_string_equal(c->cr->findings[0]->subject, SERVICE_PATH);
        assert_non_null(strstr(c->cr->findings[0]->message, "cannot read " SERVICE_PATH));
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_symlink_out_of_root_in_place_of_timer_is_error(void **state) {
        char *root = make_root(OPT_IN, true);
        fixture_symlink(root, "/etc/passwd", TIMER_PATH);
        struct ctx *c = ctx_run(root);
        assert_int_equal(c->cr->status, STATUS_ERROR);
        assert_non_null(strstr(find(c, STATUS_ERROR)->message, "cannot read " TIMER_PATH));
        ctx_free(c);
}

static void test_path_naming_no_file_is_error(void **state) {
        struct ctx *c = ctx_run(make_root(OPT_IN "path = /var/lib/prometheus/\n", true));
        assert_int_equal(c->cr->status, STATUS_ERROR);
        assert_non_null(strstr(find(c, STATUS_ERROR)->message, "[metrics] path = /var/lib/prometheus/ names no file"));
        ctx_free(c);
}

static void test_malformed_keys_are_refused_at_load(void **state) {
        const char *bad[] = { "[metrics]\ntimer = sometimes\n", "[metrics]\npath = hostfit.prom\n" };
        for (size_t i = 0; i < 2; i++) {
                struct config *cf = NULL;
                char *err = NULL;
                assert_int_equal(config_parse(bad[i], CONFIG_PATH, &cf, &err), -EINVAL);
                assert_non_null(err);
                assert_non_null(strstr(err, CONFIG_PATH ":2"));
                free(err);
        }
}

static void test_missing_textfile_directory_warns_without_a_plan(void **state) {
        struct ctx *c = installed(OPT_IN);
        char *cmd = NULL;
        assert_true(asprintf(&cmd, "rmdir '%s%s'", c->root, TEXTFILE_DIR) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_WARN);
        assert_int_equal(find(c, STATUS_PASS)->status, STATUS_PASS);
        const struct finding *f = find(c, STATUS_WARN);
        assert_string_equal(f->subject, TEXTFILE_DIR);
        assert_non_null(strstr(f->message, "does not exist"));
        assert_non_null(strstr(f->fix, "create " TEXTFILE_DIR));
        assert_int_equal(plan_size(ctx_plan(c)), 0);

        /* A file where the directory should be is no better. */
        fixture_write(c->root, TEXTFILE_DIR, "");
        ctx_check(c);
        assert_non_null(strstr(find(c, STATUS_WARN)->message, "is not a directory"));
        ctx_free(c);
}

/* ---- the fix ---- */

static void test_fix_plans_both_units_reload_enable_start(void **state) {
        struct ctx *c = ctx_run(make_root(OPT_IN, true));
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 5);
        /* Not the running system: the enable is the [Install] link itself, written now. */
        const enum action_kind kinds[] = { ACTION_WRITE_FILE, ACTION_WRITE_FILE, ACTION_SYSTEMD, ACTION_SYMLINK, ACTION_SYSTEMD };
        const enum systemd_op ops[] = { 0, 0, SYSTEMD_DAEMON_RELOAD, 0, SYSTEMD_START };
        for (size_t i = 0; i < 5; i++) {
                const struct action *a = plan_action(p, i);
                assert_int_equal(a->kind, kinds[i]);
                if (a->kind == ACTION_SYMLINK) {
                        assert_string_equal(a->path, "/etc/systemd/system/timers.target.wants/hostfit-check.timer");
                        assert_string_equal(a->target, TIMER_PATH);
                        assert_false(a->deferred);
                        continue;
                }
                if (a->kind == ACTION_WRITE_FILE) {
                        assert_int_equal(a->mode, 0644);
                        assert_null(a->old);
                        continue;
                }
                assert_int_equal(a->op, ops[i]);
                assert_true(a->deferred);
                if (a->op != SYSTEMD_DAEMON_RELOAD)
                        assert_string_equal(a->unit, "hostfit-check.timer");
        }
        assert_string_equal(plan_action(p, 0)->path, SERVICE_PATH);
        assert_string_equal(plan_action(p, 1)->path, TIMER_PATH);
        assert_non_null(strstr(plan_action(p, 1)->content, "\nWantedBy=timers.target\n"));

        char **argv = NULL;
        size_t argc = 0;
        planned_exec(p, &argv, &argc);
        /* Off the running system, the unit runs the image's own hostfit. */
        const char *want[] = { IMAGE_HOSTFIT, "check", "--quiet", "--format", "prometheus",
                               "--output", TEXTFILE_DIR "/hostfit.prom" };
        assert_int_equal(argc, 7);
        for (size_t i = 0; i < argc; i++)
                assert_string_equal(argv[i], want[i]);
        free_argv(argv, argc);
        assert_non_null(strstr(plan_action(p, 0)->content, "\nReadWritePaths=-\"" TEXTFILE_DIR "\"\n"));
        /* A oneshot waits for ever by default: a run that hangs is stopped after a bound. */
        assert_non_null(strstr(plan_action(p, 0)->content, "\nType=oneshot\n"));
        assert_non_null(strstr(plan_action(p, 0)->content, "\nTimeoutStartSec=5min\n"));
        ctx_free(c);
}

/* [hostfit] hostfit-path names the binary instead (a .deb's /usr/bin/hostfit run from elsewhere). */
static void test_fix_runs_the_configured_hostfit(void **state) {
        char *root = make_root("[hostfit]\nhostfit-path = /opt/hostfit bin/hostfit\n" OPT_IN, true);
        fixture_write(root, "/opt/hostfit bin/hostfit", "\177ELF");
        fixture_chmod(root, "/opt/hostfit bin/hostfit", 0755);
        struct ctx *c = ctx_run(root);
        struct plan *p = ctx_plan(c);
        char **argv = NULL;
        size_t argc = 0;
        planned_exec(p, &argv, &argc);
        assert_int_equal(argc, 7);
        assert_string_equal(argv[0], "/opt/hostfit bin/hostfit");
        free_argv(argv, argc);
        ctx_free(c);
}

/* A hostile path stays one ExecStart= argument, "%" and "$" included, and adds no line. */
static void test_fix_quotes_the_configured_path(void **state) {
        const char *path = "/srv/node exporter/100%$HOME\"x\".prom";
        struct ctx *c = ctx_run(make_root(OPT_IN "path = /srv/node exporter/100%$HOME\"x\".prom\n", true));
        struct plan *p = ctx_plan(c);
        char **argv = NULL;
        size_t argc = 0;
        planned_exec(p, &argv, &argc);
        assert_int_equal(argc, 7);
        assert_string_equal(argv[6], path);
        free_argv(argv, argc);
        const char *content = find_action(p, ACTION_WRITE_FILE, SERVICE_PATH, 0)->content;
        assert_non_null(strstr(content, "\nReadWritePaths=-\"/srv/node exporter\"\n"));
        assert_non_null(strstr(content, "--output \"/srv/node exporter/100%%$$HOME\\\"x\\\".prom\"\n"));
        ctx_free(c);
}

static bool have_analyze(void) {
        return access("/usr/bin/systemd-analyze", X_OK) == 0;
}

/* systemd-analyze verify of both planned units, the program being one that exists here. */
static void verify_plan(const struct plan *p) {
        char *dir = fixture_new();
        const char *names[] = { "hostfit-check.service", "hostfit-check.timer" };
        const char *paths[] = { SERVICE_PATH, TIMER_PATH };
        for (size_t i = 0; i < 2; i++) {
                const char *text = find_action(p, ACTION_WRITE_FILE, paths[i], 0)->content;
                const char *prog = strstr(text, "ExecStart=\"" IMAGE_HOSTFIT "\" ");
                char *copy = NULL, *rel = NULL;
                if (prog)
                        assert_true(asprintf(&copy, "%.*sExecStart=/bin/true %s", (int) (prog - text), text,
                                             prog + strlen("ExecStart=\"" IMAGE_HOSTFIT "\" ")) > 0);
                assert_true(asprintf(&rel, "/%s", names[i]) > 0);
                fixture_write(dir, rel, copy ? copy : text);
                free(copy);
                free(rel);
        }
        char *cmd = NULL;
        assert_true(asprintf(&cmd, "cd '%s' && SYSTEMD_LOG_LEVEL=notice /usr/bin/systemd-analyze verify --man=no "
                             "./hostfit-check.service ./hostfit-check.timer >out 2>&1", dir) > 0);
        int st = system(cmd);
        char *out = fixture_read(dir, "/out");
        if (st != 0 || (out && *out))
                fail_msg("systemd-analyze verify: %s", out ? out : "");
        free(out);
        free(cmd);
        fixture_remove(dir);
}

static void test_fix_units_pass_systemd_analyze_verify(void **state) {
        if (!have_analyze())
                skip();
        const char *confs[] = { OPT_IN, OPT_IN "path = /srv/node exporter/100%$HOME\"x\".prom\n" };
        for (size_t i = 0; i < 2; i++) {
                struct ctx *c = ctx_run(make_root(confs[i], true));
                verify_plan(ctx_plan(c));
                ctx_free(c);
        }
}

static void test_fix_dry_run_writes_nothing(void **state) {
        struct ctx *c = ctx_run(make_root(OPT_IN, true));
        char *before = fixture_tree_hash(c->root);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(plan_render_text(ctx_plan(c), f, false), 0);
        fclose(f);
        assert_non_null(strstr(buf, "+++ b" SERVICE_PATH "\n"));
        assert_non_null(strstr(buf, "+++ b" TIMER_PATH "\n"));
        char *after = fixture_tree_hash(c->root);
        assert_string_equal(before, after);
        assert_false(fixture_exists(c->root, SERVICE_PATH));
        free(buf);
        free(before);
        free(after);
        ctx_free(c);
}

/* Off the running system, enabling and starting are left to boot and systemctl --root. */
static void test_fix_applied_on_copy_then_second_plan_changes_nothing(void **state) {
        struct ctx *c = ctx_run(make_root(OPT_IN, true));
        assert_int_equal(plan_apply(ctx_plan(c), c->h, NULL, NULL), 0);
        char *unit = fixture_read(c->root, SERVICE_PATH);
        assert_non_null(unit);
        assert_non_null(strstr(unit, "--output \"" TEXTFILE_DIR "/hostfit.prom\"\n"));
        free(unit);

        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

/* A template in /etc/hostfit/templates/ is what the fix writes and what the check expects. */
static void test_template_override_is_written_and_then_passes(void **state) {
        char *root = make_root(OPT_IN, true);
        const char *tmr = "[Timer]\nOnCalendar=hourly\n\n[Install]\nWantedBy=timers.target\n";
        fixture_write(root, "/etc/hostfit/templates/hostfit-check.timer", tmr);
        struct ctx *c = ctx_run(root);
        assert_string_equal(find_action(ctx_plan(c), ACTION_WRITE_FILE, TIMER_PATH, 0)->content, tmr);
        assert_int_equal(plan_apply(c->p, c->h, NULL, NULL), 0);
        ctx_check(c);
        assert_int_equal(c->cr->status, STATUS_PASS);
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_not_opted_in_skips),
                cmocka_unit_test(test_opted_in_without_units_warns),
                cmocka_unit_test(test_installed_and_enabled_passes),
                cmocka_unit_test(test_installed_but_not_enabled_warns),
                cmocka_unit_test(test_edited_unit_differs_and_warns),
                cmocka_unit_test(test_unit_running_a_moved_hostfit_is_out_of_date_and_rewritten),
                cmocka_unit_test(test_changed_path_makes_installed_service_stale),
                cmocka_unit_test(test_directory_in_place_of_unit_is_error),
                cmocka_unit_test(test_symlink_out_of_root_in_place_of_timer_is_error),
                cmocka_unit_test(test_path_naming_no_file_is_error),
                cmocka_unit_test(test_malformed_keys_are_refused_at_load),
                cmocka_unit_test(test_missing_textfile_directory_warns_without_a_plan),
                cmocka_unit_test(test_fix_plans_both_units_reload_enable_start),
                cmocka_unit_test(test_fix_runs_the_configured_hostfit),
                cmocka_unit_test(test_fix_quotes_the_configured_path),
                cmocka_unit_test(test_fix_units_pass_systemd_analyze_verify),
                cmocka_unit_test(test_fix_dry_run_writes_nothing),
                cmocka_unit_test(test_fix_applied_on_copy_then_second_plan_changes_nothing),
                cmocka_unit_test(test_template_override_is_written_and_then_passes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
