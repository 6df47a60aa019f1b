/* SPDX-License-Identifier: MIT */
/* restart-storm: NRestarts and Result from the manager (a fixture list stands in for sd-bus),
 * a RestartSec= that spends the default start limit, Restart=no after an OOM kill; its drop-in. */
#include <errno.h>

#include "text/cleanup.h"

#include "fixture-check.h"
#include "loop-findings.h"
#include "systemd/unitstate.h"

/* The manager's answer for the current test, as ListUnits + NRestarts + Result give it. */
static const struct unit_live *fake_units;
static size_t fake_n;
static unsigned fake_version;

static int fake_list(const struct host *h, struct unit_live **ret, size_t *ret_n) {
        (void) h;
        if (!fake_units)
                return -EOPNOTSUPP;
        struct unit_live *v = calloc(fake_n + 1, sizeof(*v));
        for (size_t i = 0; i < fake_n; i++) {
                v[i].name = strdup(fake_units[i].name);
                v[i].active_state = strdup(fake_units[i].active_state);
                v[i].sub_state = strdup(fake_units[i].sub_state);
                v[i].result = fake_units[i].result ? strdup(fake_units[i].result) : NULL;
                v[i].n_restarts = fake_units[i].n_restarts;
        }
        *ret = v;
        *ret_n = fake_n;
        return 0;
}

static int fake_ver(const struct host *h, unsigned *ret) {
        (void) h;
        if (!fake_version)
                return -ENOENT;
        *ret = fake_version;
        return 0;
}

static int setup(void **state) {
        (void) state;
        fake_units = NULL, fake_n = 0, fake_version = 0;
        unit_state_set_hooks(fake_list, fake_ver);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        unit_state_set_hooks(NULL, NULL);
        return 0;
}

#define UNIT_DIR "/etc/systemd/system/"

static char *make_root(void) {
        char *root = fixture_new();
        fixture_mkdir(root, "/usr/lib/systemd/system");
        fixture_write(root, "/usr/lib/systemd/system/nginx.service",
                      "[Unit]\nDescription=nginx\n\n[Service]\nType=forking\nExecStart=/usr/sbin/nginx\n\n[Install]\nWantedBy=multi-user.target\n");
        fixture_write(root, "/usr/lib/systemd/system/api.service",
                      "[Unit]\nDescription=api\n\n[Service]\nExecStart=/usr/bin/node /srv/api/index.js\nRestart=no\n");
        return root;
}

static void test_restarts_beyond_the_limit(void **state) {
        (void) state;
        const struct unit_live live[] = {
                { "nginx.service", "activating", "auto-restart", "exit-code", 306 },
                { "ssh.service", "active", "running", "success", 3 },
        };
        fake_units = live, fake_n = ELEMENTSOF(live);
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_int_equal(run_count(&x, STATUS_FAIL), 1);
        const struct finding *f = run_find(&x, "restarted 306 times since it was last started (activating/auto-restart)");
        assert_non_null(f);
        assert_string_equal(f->subject, "nginx.service");
        run_free(&x);
        /* [restart-storm] max-restarts raises the bar. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[restart-storm]\nmax-restarts = 500\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_stuck_at_start_limit(void **state) {
        (void) state;
        const struct unit_live live[] = { { "nginx.service", "failed", "failed", "start-limit-hit", 5 } };
        fake_units = live, fake_n = 1;
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_non_null(run_find(&x, "stuck at its start limit (start-limit-hit)"));
        run_free(&x);
        /* systemd 252: the last exit's result stays, the restart counter says it was restarting. */
        fixture_write(root, "/etc/systemd/system/crashy.service", "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        const struct unit_live live252[] = {
                { "crashy.service", "failed", "failed", "exit-code", 5 },
                { "api.service", "failed", "failed", "exit-code", 0 },         /* Restart=no: down by design */
        };
        fake_units = live252, fake_n = ELEMENTSOF(live252);
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 1);
        assert_non_null(run_find(&x, "stuck at its start limit: failed (exit-code) and left down after 5 automatic restarts"));
        run_free(&x);
        fixture_remove(root);
}

static void test_restart_no_after_oom_kill(void **state) {
        (void) state;
        const struct unit_live live[] = {
                { "api.service", "failed", "failed", "oom-kill", 0 },
                { "nginx.service", "active", "running", "oom-kill", 1 },        /* came back */
        };
        fake_units = live, fake_n = ELEMENTSOF(live);
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 1);
        assert_non_null(run_find(&x, "killed by the OOM killer and left down: Restart=no does not restart after a kill"));
        assert_null(run_find(&x, "nginx"));
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, UNIT_DIR "api.service.d/50-hostfit-restart.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\n[Unit]\nStartLimitIntervalSec=60s\nStartLimitBurst=15\n\n[Service]\n"
                                           "Restart=on-failure\nRestartSec=5s\n"));
        assert_null(strstr(a->content, "RestartSteps"));        /* the version is unknown */
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

static void test_short_restart_sec_with_default_limits(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "worker.service", "[Service]\nExecStart=/usr/local/bin/worker\nRestart=always\nRestartSec=1\n");
        fixture_write(root, UNIT_DIR "fast.service", "[Service]\nExecStart=/usr/local/bin/fast\nRestart=on-failure\n");
        /* Its own limit is the admin's choice; a 5 s RestartSec= cannot spend 5 starts in 10 s; a oneshot never restarts. */
        fixture_write(root, UNIT_DIR "own.service", "[Unit]\nStartLimitBurst=3\n[Service]\nExecStart=/bin/own\nRestart=always\n");
        fixture_write(root, UNIT_DIR "slow.service", "[Service]\nExecStart=/bin/slow\nRestart=always\nRestartSec=5s\n");
        fixture_write(root, UNIT_DIR "once.service", "[Service]\nType=oneshot\nExecStart=/bin/once\nRestart=on-failure\n");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);
        const struct finding *f = run_find(&x, "Restart=always every 1000 ms spends the default start limit (5 starts in 10 s) in 5.0 s");
        assert_non_null(f);
        assert_string_equal(f->subject, "worker.service");
        assert_non_null(run_find(&x, "Restart=on-failure every 100 ms spends the default start limit (5 starts in 10 s) in 0.5 s"));
        run_free(&x);
        /* The manager's defaults from system.conf count, and its drop-ins after it, by file name. */
        fixture_write(root, "/etc/systemd/system.conf", "[Manager]\nDefaultStartLimitIntervalSec=1s\nDefaultStartLimitBurst=20\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_write(root, "/usr/lib/systemd/system.conf.d/10-vendor.conf", "[Manager]\nDefaultStartLimitBurst=3\n");
        fixture_write(root, "/usr/lib/systemd/system.conf.d/20-vendor.conf", "[Manager]\nDefaultStartLimitIntervalSec=1min\n");
        fixture_write(root, "/etc/systemd/system.conf.d/20-vendor.conf", "[Manager]\n# masks /usr/lib's\n");
        run_check(&x, root, "restart-storm");
        /* 3 starts in 1 s: only the 100 ms one spends it; with /usr/lib's 20-vendor.conf (1 min) both would. */
        assert_int_equal(run_count(&x, STATUS_FAIL), 1);
        assert_non_null(run_find(&x, "Restart=on-failure every 100 ms spends the default start limit (3 starts in 1 s)"));
        run_free(&x);
        fixture_write(root, "/etc/systemd/system.conf.d/30-admin.conf", "[Manager]\nDefaultStartLimitIntervalSec=30s\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 3);       /* even 5 s: 3 starts fit in 30 s */
        assert_non_null(run_find(&x, "Restart=always every 1000 ms spends the default start limit (3 starts in 30 s)"));
        assert_non_null(run_find(&x, "Restart=always every 5000 ms spends the default start limit (3 starts in 30 s)"));
        run_free(&x);
        fixture_remove(root);
}

static void test_fix_keeps_always_uses_steps_from_254_and_is_idempotent(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "worker.service", "[Service]\nExecStart=/usr/local/bin/worker\nRestart=always\nRestartSec=1\n");
        fake_version = 254;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, UNIT_DIR "worker.service.d/50-hostfit-restart.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "Restart=always\nRestartSec=5s\nRestartSteps=5\nRestartMaxDelaySec=5min\n"));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "restart-storm", &changes);
        assert_int_equal(changes, 1);           /* the drop-in; daemon-reload is deferred under a root */
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

static void test_version_from_the_tree(void **state) {
        (void) state;
        unit_state_set_hooks(NULL, NULL);
        char *root = fixture_new();
        fixture_write(root, "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so", "");
        struct host *h = NULL;
        unsigned v = 0;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_state_systemd_version(h, &v), 0);
        assert_int_equal(v, 252);
        host_free(h);
        fixture_write(root, "/usr/lib/systemd/libsystemd-shared-256.5-1.so", "");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_state_systemd_version(h, &v), 0);
        assert_int_equal(v, 256);
        host_free(h);
        assert_int_equal(systemd_version_parse("252.38-1~deb12u1", &v), 0);
        assert_int_equal(v, 252);
        assert_int_equal(systemd_version_parse("x", &v), -EINVAL);
        fixture_remove(root);
}

/* Another root, no manager to ask: the journal (tests/fixtures/journal/kills) says php.service was
 * OOM-killed and stayed down, and bad.service and cache.service stopped at their start limit. */
static void test_journal_kills_and_start_limits(void **state) {
        (void) state;
        char *root = make_root(), *cmd = NULL;
        fixture_mkdir(root, "/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a");
        assert_true(asprintf(&cmd, "gzip -dc '%s/journal/kills.journal.gz' > '%s/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a/system.journal'",
                             fixture_dir(), root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        fixture_write(root, "/usr/lib/systemd/system/php.service", "[Service]\nExecStart=/usr/sbin/php-fpm\nRestart=on-abort\n");
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[restart-storm]\nwindow = 36500d\n");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        const struct finding *f = run_find(&x, "killed by the OOM killer and left down: Restart=on-abort does not restart after a kill");
        assert_non_null(f);
        assert_string_equal(f->subject, "php.service");
        f = run_find(&x, "stuck at its start limit: the journal shows its restarts stopped after 5");
        assert_non_null(f);
        assert_string_equal(f->subject, "bad.service");
        assert_non_null(run_find(&x, "stuck at its start limit: the journal shows its restarts stopped"));
        run_free(&x);
        /* Outside the window, nothing from the journal. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[restart-storm]\nwindow = 1min\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_no_systemd_no_units_is_skip(void **state) {
        (void) state;
        char *root = fixture_new();
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_SKIP);
        run_free(&x);
        fixture_remove(root);
}

/* Malformed and unreadable input: an invalid RestartSec= is ignored as systemd
 * ignores it (the default, 100 ms, stays); a unit file that is not a regular
 * file is never read, and never makes a pass of something not looked at. */
static void test_malformed_and_unreadable_units(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "bad.service", "[Service]\nExecStart=/usr/local/bin/bad\nRestart=always\nRestartSec=soon\n");
        fixture_mkdir(root, UNIT_DIR "dir.service");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        const struct finding *f = run_find(&x, "Restart=always every 100 ms spends the default start limit (5 starts in 10 s) in 0.5 s");
        assert_non_null(f);
        assert_string_equal(f->subject, "bad.service");
        for (size_t i = 0; i < x.cr->n_findings; i++)
                assert_string_not_equal(x.cr->findings[i]->subject, "dir.service");
        run_free(&x);
        fixture_remove(root);
}

static void test_timespan(void **state) {
        (void) state;
        uint64_t v;
        assert_int_equal(parse_timespan_usec("100ms", &v), 0);
        assert_int_equal(v, 100000);
        assert_int_equal(parse_timespan_usec("1min 30s", &v), 0);
        assert_int_equal(v, 90000000);
        assert_int_equal(parse_timespan_usec("5", &v), 0);
        assert_int_equal(v, 5000000);
        assert_int_equal(parse_timespan_usec("0.5s", &v), 0);
        assert_int_equal(v, 500000);
        assert_int_equal(parse_timespan_usec("5 parsecs", &v), -EINVAL);
        assert_int_equal(parse_timespan_usec("", &v), -EINVAL);
        assert_int_equal(parse_timespan_usec("-1s", &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_restarts_beyond_the_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stuck_at_start_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restart_no_after_oom_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_short_restart_sec_with_default_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fix_keeps_always_uses_steps_from_254_and_is_idempotent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_from_the_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_kills_and_start_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_systemd_no_units_is_skip, setup, teardown),
                cmocka_unit_test(test_malformed_and_unreadable_units),
                cmocka_unit_test(test_timespan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
