/* SPDX-License-Identifier: MIT */
/* restart-storm: the manager's state (a fixture list stands in for sd-bus) and the journal's
 * restarts an hour (a fixture list stands in for sd-journal); the admin's policy and start
 * limit kept; a failing start that ends (252) or backs off (254); the fix converging. */
#include <errno.h>

#include "text/cleanup.h"

#include "fixture-check.h"
#include "journal/incidents.h"
#include "restart-policy.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"
#include "systemd/unitstate.h"

/* The wall clock every run of the check sees: 2027-01-01 00:00:00 UTC, after every entry of
 * the fixture journals. */
#define NOW (1798761600ULL * 1000000ULL)

static const struct unit_live *fake_units;
static size_t fake_n;
static unsigned fake_version;

/* The journal's crash loops: UNIT restarted N times in the last hour. */
struct fake_loop {
        const char *unit;
        long long restarts;
};
static const struct fake_loop *fake_loops;
static size_t fake_n_loops;
static bool fake_journal;
/* The journal's kills: UNIT killed by the kernel's OOM killer and left down. */
static const char *const *fake_kills;
static size_t fake_n_kills;

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

static int fake_incidents(struct host *h, const struct incident_options *o, struct incident_list *ret) {
        if (!fake_journal)
                return -ENOENT;
        /* The window ends at the host's "now", fixed by the test: the same on any day. */
        uint64_t now = host_now_usec(h);
        assert_int_equal(now, NOW);
        assert_true(o->since_usec > 0 && o->since_usec < now);
        ret->items = calloc(fake_n_loops + fake_n_kills + 1, sizeof(*ret->items));
        ret->n = fake_n_loops + fake_n_kills;
        for (size_t i = 0; i < fake_n_loops; i++)
                ret->items[i] = (struct incident) {
                        .time_usec = now - 50 * 60 * 1000000ULL, .last_usec = now - 60 * 1000000ULL,
                        .killer = KILLER_NONE, .uid = -1, .unit = strdup(fake_loops[i].unit),
                        .restarts = fake_loops[i].restarts, .outcome = OUTCOME_RESTARTED,
                };
        for (size_t i = 0; i < fake_n_kills; i++)
                ret->items[fake_n_loops + i] = (struct incident) {
                        .time_usec = now - 30 * 60 * 1000000ULL, .last_usec = now - 30 * 60 * 1000000ULL,
                        .killer = KILLER_KERNEL, .uid = -1, .unit = strdup(fake_kills[i]),
                        .outcome = OUTCOME_STOPPED,
                };
        return 0;
}

static int setup(void **state) {
        (void) state;
        fake_units = NULL, fake_n = 0, fake_version = 0;
        fake_loops = NULL, fake_n_loops = 0, fake_journal = false;
        fake_kills = NULL, fake_n_kills = 0;
        unit_state_set_hooks(fake_list, fake_ver);
        restart_storm_set_journal_hook(fake_incidents);
        fixture_now_usec = NOW;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        unit_state_set_hooks(NULL, NULL);
        restart_storm_set_journal_hook(NULL);
        return 0;
}

#define UNIT_DIR "/etc/systemd/system/"
#define DROPIN(u) UNIT_DIR u ".d/" RESTART_DROPIN_NAME

static char *make_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/usr/lib/systemd/system/nginx.service",
                      "[Unit]\nDescription=nginx\n\n[Service]\nType=forking\nExecStart=/usr/sbin/nginx\n\n[Install]\nWantedBy=multi-user.target\n");
        fixture_write(root, UNIT_DIR "crashy.service", "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        return root;
}

/* crashy.service restarting every 5 s: 13 restarts in the last hour, still restarting. */
static const struct unit_live crashy_storming[] = { { "crashy.service", "activating", "auto-restart", NULL, 13 } };
static const struct fake_loop crashy_loop[] = { { "crashy.service", 13 } };

static void storm(void) {
        fake_units = crashy_storming, fake_n = 1;
        fake_loops = crashy_loop, fake_n_loops = 1, fake_journal = true;
}

static const struct action *plan_write(const struct plan *p, const char *path) {
        const struct action *a = plan_find_path(p, path);
        assert_non_null(a);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        return a;
}

static size_t plan_count_kind(const struct plan *p, enum action_kind k) {
        size_t n = 0;
        for (size_t i = 0; i < plan_size(p); i++)
                n += plan_action(p, i)->kind == k;
        return n;
}

/* systemd 252: the drop-in makes a failing start end after 5 tries, 10 s apart, 5 an hour at
 * most; the check passes on it with the storm still in the journal, and a second plan is empty. */
static void test_storm_on_252_ends_and_converges(void **state) {
        (void) state;
        char *root = make_root();
        storm();
        fake_version = 252;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        const struct finding *f = run_find(&x, "restarted 13 times in the last hour while the manager still restarts it "
                                           "and a start that fails every time is retried without end (Restart=always, "
                                           "RestartSec=5s, start limit 5 in 10s (the manager's default))");
        assert_non_null(f);
        assert_string_equal(f->subject, "crashy.service");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("crashy.service"));
        assert_non_null(strstr(a->content, "\n[Unit]\nStartLimitIntervalSec=60min\nStartLimitBurst=5\n\n"
                                           "[Service]\nRestartSec=10s\n"));
        assert_null(strstr(a->content, "Restart="));            /* always stays as written */
        assert_null(strstr(a->content, "RestartSteps"));
        assert_int_equal(plan_count_kind(p, ACTION_MANUAL), 0);
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "restart-storm", &changes);
        assert_int_equal(changes, 1);
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        /* The storm over: ended at its start limit, said in the pass's evidence. */
        const struct unit_live ended[] = { { "crashy.service", "failed", "failed", "exit-code", 4 } };
        fake_units = ended;
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        assert_non_null(x.cr->findings[0]->details);
        assert_non_null(strstr(x.cr->findings[0]->details[0], "crashy.service failed at every start and stays failed after 4 restarts"));
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* From 254: RestartSteps= up to 15 min; no start limit written. */
static void test_storm_from_254_backs_off(void **state) {
        (void) state;
        char *root = make_root();
        storm();
        fake_version = 254;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("crashy.service"));
        assert_non_null(strstr(a->content, "\n[Service]\nRestartSteps=5\nRestartMaxDelaySec=15min\n"));
        assert_null(strstr(a->content, "StartLimit"));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "restart-storm", &changes);
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        /* The host moves to 252 (a rollback): the drop-in is rewritten for it. */
        fake_version = 252;
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        p = run_plan(&x);
        a = plan_write(p, DROPIN("crashy.service"));
        assert_non_null(strstr(a->content, "StartLimitBurst=5\n"));
        plan_free(p);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* The admin's start limit is never overridden: turned off, it is a manual step naming it;
 * one too loose, a manual step naming both; one that ends the storm, a pass. */
static void test_admin_start_limit_kept(void **state) {
        (void) state;
        char *root = make_root();
        storm();
        fixture_write(root, UNIT_DIR "crashy.service",
                      "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_non_null(run_find(&x, "start limit off"));
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "crashy.service: StartLimitIntervalSec=0 (" UNIT_DIR "crashy.service) turns its start limit off"));
        plan_free(p);
        run_free(&x);
        fixture_write(root, UNIT_DIR "crashy.service", "[Unit]\nStartLimitIntervalSec=10min\nStartLimitBurst=100\n"
                      "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        run_check(&x, root, "restart-storm");
        p = run_plan(&x);
        assert_int_equal(plan_size(p), 1);
        assert_non_null(strstr(plan_action(p, 0)->text, "its own start limit (StartLimitBurst=100 in StartLimitIntervalSec=10min"));
        plan_free(p);
        run_free(&x);
        /* 254: steps are added, the admin's limit stays. */
        fake_version = 254;
        run_check(&x, root, "restart-storm");
        p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("crashy.service"));
        assert_null(strstr(a->content, "StartLimit"));
        assert_non_null(strstr(a->content, "RestartSteps=5\n"));
        plan_free(p);
        run_free(&x);
        fake_version = 252;
        fixture_write(root, UNIT_DIR "crashy.service", "[Unit]\nStartLimitIntervalSec=1h\nStartLimitBurst=3\n"
                      "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* Killed by the OOM killer and down now: the policy changes only where the admin's intent
 * allows (no → on-failure, on-success → always), else a manual step and no change. */
static void test_policy_after_kill_keeps_intent(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "batch.service", "[Service]\nExecStart=/bin/batch\nRestart=on-success\n");
        fixture_write(root, UNIT_DIR "primary.service",
                      "[Unit]\nOnFailure=failover.service\n[Service]\nExecStart=/bin/primary\nRestart=no\n");
        fixture_write(root, UNIT_DIR "plain.service", "[Service]\nExecStart=/bin/plain\n");
        fixture_write(root, UNIT_DIR "abort.service", "[Service]\nExecStart=/bin/abort\nRestart=on-abort\n");
        fixture_write(root, UNIT_DIR "dog.service", "[Service]\nExecStart=/bin/dog\nRestart=on-watchdog\n");
        fixture_write(root, UNIT_DIR "once.service", "[Service]\nType=oneshot\nExecStart=/bin/once\n");
        fixture_write(root, UNIT_DIR "abnormal.service", "[Service]\nExecStart=/bin/ab\nRestart=on-abnormal\n");
        const struct unit_live live[] = {
                { "batch.service", "failed", "failed", "oom-kill", 0 },
                { "primary.service", "failed", "failed", "oom-kill", 0 },
                { "plain.service", "failed", "failed", "oom-kill", 0 },
                { "abort.service", "failed", "failed", "oom-kill", 0 },
                { "dog.service", "failed", "failed", "oom-kill", 0 },
                { "once.service", "failed", "failed", "oom-kill", 0 },
                { "abnormal.service", "failed", "failed", "oom-kill", 3 },     /* restarted, then ended */
                { "nginx.service", "active", "running", NULL, 1 },              /* came back */
        };
        fake_units = live, fake_n = ELEMENTSOF(live);
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 6);
        assert_non_null(run_find(&x, "killed by the OOM killer and left down: Restart=on-success does not restart after a kill"));
        struct plan *p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("batch.service"));
        assert_non_null(strstr(a->content, "Restart=always\n"));
        assert_non_null(strstr(a->content, "StartLimitBurst=5\n"));     /* and a failing start ends */
        a = plan_write(p, DROPIN("plain.service"));
        assert_non_null(strstr(a->content, "Restart=on-failure\n"));
        assert_null(plan_find_path(p, DROPIN("primary.service")));
        assert_null(plan_find_path(p, DROPIN("abort.service")));
        assert_null(plan_find_path(p, DROPIN("dog.service")));
        assert_null(plan_find_path(p, DROPIN("once.service")));
        assert_null(plan_find_path(p, DROPIN("abnormal.service")));
        assert_int_equal(plan_count_kind(p, ACTION_MANUAL), 4);
        bool onfailure = false, abort_ = false;
        for (size_t i = 0; i < plan_size(p); i++) {
                const char *t = plan_action(p, i)->text;
                onfailure |= t && strstr(t, "primary.service has Restart=no and OnFailure=failover.service (" UNIT_DIR "primary.service)") != NULL;
                abort_ |= t && strstr(t, "abort.service has Restart=on-abort (" UNIT_DIR "abort.service), which does not restart after a kill") != NULL;
        }
        assert_true(onfailure);
        assert_true(abort_);
        plan_free(p);
        run_free(&x);
        /* After the fix (nothing restarted: both still failed), the rule holds for the drop-ins. */
        size_t changes = 0;
        char *copy = fixture_clone(root);
        run_check(&x, copy, "restart-storm");
        p = run_plan(&x);
        assert_int_equal(plan_apply(p, x.h, NULL, NULL), 0);
        plan_free(p);
        run_free(&x);
        run_check(&x, copy, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 4);        /* the four manual ones */
        for (size_t i = 0; i < x.cr->n_findings; i++) {
                assert_string_not_equal(x.cr->findings[i]->subject, "batch.service");
                assert_string_not_equal(x.cr->findings[i]->subject, "plain.service");
        }
        p = run_plan(&x);
        changes = plan_count_changes(p);
        assert_int_equal(changes, 0);
        plan_free(p);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* A drop-in an older hostfit wrote (on-failure over on-success, a limit that never fills):
 * the check fails on it and the fix rewrites it to keep the admin's policy. */
static void test_old_dropin_is_rewritten(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "batch.service", "[Service]\nExecStart=/bin/batch\nRestart=on-success\n");
        fixture_write(root, DROPIN("batch.service"), "# Written by hostfit (restart-storm)\n[Unit]\nStartLimitIntervalSec=60s\n"
                      "StartLimitBurst=15\n\n[Service]\nRestart=on-failure\nRestartSec=5s\n");
        fixture_write(root, DROPIN("crashy.service"), "# Written by hostfit (restart-storm)\n[Unit]\nStartLimitIntervalSec=60s\n"
                      "StartLimitBurst=15\n\n[Service]\nRestart=always\nRestartSec=5s\n");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        const struct finding *f = run_find(&x, "hostfit's drop-in (" DROPIN("batch.service") ") turns Restart=on-success into on-failure");
        assert_non_null(f);
        assert_int_equal(f->status, STATUS_FAIL);
        f = run_find(&x, "hostfit's drop-in (" DROPIN("crashy.service") ") is not the one the restart rule gives now");
        assert_non_null(f);
        assert_int_equal(f->status, STATUS_WARN);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("batch.service"));
        assert_null(strstr(a->content, "Restart="));
        assert_non_null(strstr(a->content, "StartLimitIntervalSec=60min\nStartLimitBurst=5\n"));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "restart-storm", &changes);
        assert_int_equal(changes, 2);           /* two drop-ins; the reload is deferred under a root */
        run_check(&x, copy, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        assert_non_null(run_find(&x, "no running systemd to ask; hostfit's drop-ins are what the restart rule gives"));
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* Restarts are a rate: a high NRestarts from a daily recycle is no storm, nor a storm the
 * manager no longer sees (the admin started it by hand, or it ended); a default RestartSec=
 * alone is not a failure. */
static void test_rate_not_total(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "recycle.service", "[Service]\nExecStart=/bin/r\nRestart=always\nRuntimeMaxSec=1d\n");
        fixture_write(root, UNIT_DIR "fast.service", "[Service]\nExecStart=/bin/fast\nRestart=always\n");
        const struct unit_live live[] = {
                { "recycle.service", "active", "running", NULL, 306 },
                { "crashy.service", "active", "running", NULL, 0 },             /* started by hand since */
                { "fast.service", "failed", "failed", "exit-code", 5 },         /* ended at its start limit */
        };
        const struct fake_loop loops[] = { { "recycle.service", 1 }, { "crashy.service", 40 }, { "fast.service", 40 } };
        fake_units = live, fake_n = ELEMENTSOF(live);
        fake_loops = loops, fake_n_loops = ELEMENTSOF(loops), fake_journal = true;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        assert_non_null(strstr(x.cr->findings[0]->message, "3 services: none restarting more than 10 times an hour"));
        run_free(&x);
        /* [restart-storm] max-restarts is the rate. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[restart-storm]\nmax-restarts = 50\n");
        storm();
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* The manager's defaults count (system.conf and its drop-ins, /etc masking /usr/lib). */
static void test_manager_defaults(void **state) {
        (void) state;
        char *root = make_root();
        storm();
        fixture_write(root, "/etc/systemd/system.conf", "[Manager]\nDefaultStartLimitIntervalSec=1h\nDefaultStartLimitBurst=20\n");
        fixture_write(root, "/usr/lib/systemd/system.conf.d/10-vendor.conf", "[Manager]\nDefaultStartLimitBurst=3\n");
        fixture_write(root, "/usr/lib/systemd/system.conf.d/20-vendor.conf", "[Manager]\nDefaultStartLimitBurst=50\n");
        fixture_write(root, "/etc/systemd/system.conf.d/20-vendor.conf", "[Manager]\n# masks /usr/lib's\n");
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);    /* 3 starts an hour: it ends */
        run_free(&x);
        fixture_write(root, "/etc/systemd/system.conf.d/30-admin.conf", "[Manager]\nDefaultStartLimitIntervalSec=10s\n");
        run_check(&x, root, "restart-storm");
        assert_non_null(run_find(&x, "start limit 3 in 10s (the manager's default)"));
        run_free(&x);
        fixture_remove(root);
}

/* No drop-in for a unit another manager owns. */
static void test_transient_and_generated_units(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, "/run/systemd/transient/run-u7.service", "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5\n");
        fixture_write(root, "/run/systemd/generator/gen.service", "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5\n");
        const struct unit_live live[] = {
                { "run-u7.service", "activating", "auto-restart", NULL, 30 },
                { "gen.service", "activating", "auto-restart", NULL, 30 },
        };
        const struct fake_loop loops[] = { { "run-u7.service", 30 }, { "gen.service", 30 } };
        fake_units = live, fake_n = ELEMENTSOF(live);
        fake_loops = loops, fake_n_loops = ELEMENTSOF(loops), fake_journal = true;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 2);
        assert_int_equal(plan_count_kind(p, ACTION_MANUAL), 2);
        assert_non_null(strstr(plan_action(p, 0)->text, "run-u7.service is a transient unit (/run/systemd/transient/run-u7.service"));
        assert_non_null(strstr(plan_action(p, 1)->text, "gen.service is made by a generator"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* infinity and huge values: nothing systemd rejects is written, nothing overflows into a verdict. */
static void test_infinity_and_huge_values(void **state) {
        (void) state;
        char *root = make_root();
        storm();
        const char *never_storms[] = {
                "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=infinity\n",
                "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=500000y\n",
                "[Unit]\nStartLimitIntervalSec=infinity\nStartLimitBurst=3\n[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n",
        };
        struct run x = { 0 };
        for (size_t i = 0; i < ELEMENTSOF(never_storms); i++) {
                fixture_write(root, UNIT_DIR "crashy.service", never_storms[i]);
                run_check(&x, root, "restart-storm");
                if (x.cr->status != STATUS_PASS)
                        fail_msg("case %zu: %s", i, x.cr->findings[0]->message);
                run_free(&x);
        }
        /* A burst that overflows any product with RestartSec= is no pass. */
        fixture_write(root, UNIT_DIR "crashy.service", "[Unit]\nStartLimitIntervalSec=infinity\nStartLimitBurst=4294967295\n"
                      "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);    /* infinity: at most 2^32-1 starts ever */
        run_free(&x);
        fixture_write(root, UNIT_DIR "crashy.service", "[Unit]\nStartLimitIntervalSec=1d\nStartLimitBurst=4294967295\n"
                      "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=5s\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_non_null(run_find(&x, "start limit 4294967295 in 1440min"));
        run_free(&x);
        /* Out of range or malformed: ignored as systemd ignores it (the default stays). */
        fixture_write(root, UNIT_DIR "crashy.service", "[Unit]\nStartLimitBurst=4294967296\nStartLimitIntervalSec=soon\n"
                      "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=99999999999999999999\n");
        run_check(&x, root, "restart-storm");
        assert_non_null(run_find(&x, "RestartSec=100ms, start limit 5 in 10s (the manager's default)"));
        run_free(&x);
        /* Restart=no with RestartSec=infinity, killed: on-failure only, the wait stays the admin's. */
        fixture_write(root, UNIT_DIR "crashy.service", "[Service]\nExecStart=/bin/false\nRestartSec=infinity\n");
        const struct unit_live killed[] = { { "crashy.service", "failed", "failed", "oom-kill", 0 } };
        fake_units = killed;
        run_check(&x, root, "restart-storm");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_write(p, DROPIN("crashy.service"));
        assert_non_null(strstr(a->content, "\n[Service]\nRestart=on-failure\n"));
        assert_null(strstr(a->content, "RestartSec"));
        assert_null(strstr(a->content, "StartLimit"));
        plan_free(p);
        run_free(&x);
        char b[32];
        assert_string_equal(restart_format_usec(UINT64_MAX - 1, b, sizeof(b)), "18446744073709551614us");
        assert_string_equal(restart_format_usec(100000, b, sizeof(b)), "100ms");
        fixture_remove(root);
}

/* Another root: the journal's kill is reported, and the fix is a manual step. */
static void test_journal_under_root_is_manual(void **state) {
        (void) state;
        restart_storm_set_journal_hook(NULL);
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
        const struct finding *f = run_find(&x, "the journal shows it killed by the OOM killer and left down: Restart=on-abort");
        assert_non_null(f);
        assert_string_equal(f->subject, "php.service");
        assert_null(run_find(&x, "bad.service"));       /* its restarts ended at the start limit */
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_count_kind(p, ACTION_WRITE_FILE), 0);
        assert_int_equal(plan_count_kind(p, ACTION_MANUAL), 1);
        plan_free(p);
        run_free(&x);
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[restart-storm]\nwindow = 1min\n");
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* On the running host the journal's word alone changes nothing: a kill it shows counts only
 * when the manager says the unit failed with Result=oom-kill, a storm only while the manager
 * still restarts it (NRestarts). The same journal under --root is a manual step. */
static void test_journal_confirmed_by_the_manager(void **state) {
        (void) state;
        char *root = make_root();
        fixture_write(root, UNIT_DIR "db.service", "[Service]\nExecStart=/usr/bin/db\n");
        static const char *const kills[] = { "db.service" };
        fake_kills = kills, fake_n_kills = 1;
        fake_loops = crashy_loop, fake_n_loops = 1, fake_journal = true;
        /* The manager: db.service runs (started again by the admin), crashy.service ran since. */
        const struct unit_live healthy[] = {
                { "db.service", "active", "running", "success", 0 },
                { "crashy.service", "active", "running", "success", 0 },
        };
        fake_units = healthy, fake_n = ELEMENTSOF(healthy);
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
        /* The manager confirms the kill: then, and only for that unit, a plan. */
        const struct unit_live killed[] = {
                { "db.service", "failed", "failed", "oom-kill", 0 },
                { "crashy.service", "active", "running", "success", 0 },
        };
        fake_units = killed;
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        const struct finding *f = run_find(&x, "killed by the OOM killer and left down");
        assert_non_null(f);
        assert_string_equal(f->subject, "db.service");
        p = run_plan(&x);
        plan_write(p, DROPIN("db.service"));
        assert_null(plan_find_path(p, DROPIN("crashy.service")));
        plan_free(p);
        run_free(&x);
        /* No manager to ask (another root): the evidence is reported, its fix is a manual step. */
        fake_units = NULL, fake_n = 0;
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_non_null(run_find(&x, "the journal shows it killed by the OOM killer"));
        p = run_plan(&x);
        assert_int_equal(plan_count_kind(p, ACTION_WRITE_FILE), 0);
        assert_true(plan_count_kind(p, ACTION_MANUAL) >= 1);
        plan_free(p);
        run_free(&x);
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

/* The image's systemd version whatever the architecture hostfit runs on: Debian 12's
 * libsystemd-shared puts the library in its multiarch folder (the paths are those of
 * libsystemd-shared_252.*_arm64.deb and _armhf.deb), a Raspberry Pi OS 32-bit image's in
 * arm-linux-gnueabihf. A folder that is no multiarch tuple is not read. */
static void test_version_from_multiarch_trees(void **state) {
        (void) state;
        static const char *const tuples[] = { "arm-linux-gnueabihf", "aarch64-linux-gnu", "i386-linux-gnu" };
        unit_state_set_hooks(NULL, NULL);
        for (size_t i = 0; i < ELEMENTSOF(tuples); i++) {
                char *root = fixture_new(), path[128];
                snprintf(path, sizeof(path), "/usr/lib/%s/systemd/libsystemd-core-252.so", tuples[i]);
                fixture_write(root, path, "");
                snprintf(path, sizeof(path), "/usr/lib/%s/systemd/libsystemd-shared-252.so", tuples[i]);
                fixture_write(root, path, "");
                fixture_write(root, "/usr/lib/node_modules/systemd/libsystemd-shared-999.so", "");
                struct host *h = NULL;
                unsigned v = 0;
                assert_int_equal(host_open(root, &h), 0);
                assert_int_equal(unit_state_systemd_version(h, &v), 0);
                assert_int_equal(v, 252);
                host_free(h);
                fixture_remove(root);
        }
        char *root = fixture_new();
        fixture_write(root, "/usr/lib/node_modules/systemd/libsystemd-shared-999.so", "");
        fixture_write(root, "/usr/lib/arm-linux-gnueabihf/libc.so.6", "");
        struct host *h = NULL;
        unsigned v = 0;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_state_systemd_version(h, &v), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

static void test_no_systemd_no_journal_is_skip(void **state) {
        (void) state;
        char *root = fixture_new();
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_SKIP);
        run_free(&x);
        fixture_remove(root);
}

/* Names from the journal that systemd would refuse never reach a finding or a path; a
 * unit file that is not a regular file is never read. */
static void test_hostile_names_and_unreadable_units(void **state) {
        (void) state;
        char *root = make_root();
        fixture_mkdir(root, UNIT_DIR "dir.service");
        const struct unit_live live[] = { { "dir.service", "activating", "auto-restart", NULL, 30 } };
        const struct fake_loop loops[] = {
                { "../../ssh.service", 30 }, { "ssh.service\nExecStartPre=/bin/sh", 30 }, { "dir.service", 30 },
        };
        fake_units = live, fake_n = 1;
        fake_loops = loops, fake_n_loops = ELEMENTSOF(loops), fake_journal = true;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* hostfit's drop-ins are found in the unit model's index of the search path: restart-storm
 * lists no directory of its own, and reads each unit file, drop-in directory and drop-in
 * once (counted, not timed), however many units have drop-in directories. */
static void test_ours_found_without_a_listing(void **state) {
        (void) state;
        char *root = make_root();
        char path[160];
        for (unsigned i = 0; i < 300; i++) {
                snprintf(path, sizeof(path), UNIT_DIR "u%03u.service", i);
                fixture_write(root, path, "[Service]\nExecStart=/bin/u\nRestart=on-failure\n");
                snprintf(path, sizeof(path), UNIT_DIR "u%03u.service.d/%s", i, i % 3 ? "10-limit.conf" : RESTART_DROPIN_NAME);
                fixture_write(root, path, i % 3 ? "[Service]\nMemoryMax=1G\n" :
                              "# Written by hostfit (restart-storm)\n[Service]\nRestartSec=1s\n");
        }
        uint64_t listings = host_counters.listings, opens = unit_counters.opens;
        struct run x = { 0 };
        run_check(&x, root, "restart-storm");
        assert_int_equal(host_counters.listings - listings, 0);
        /* The search path, then each of the 300 units with a drop-in directory: its file, the
         * directory and the drop-in in it. */
        assert_true(unit_counters.opens - opens <= 13 + 3 * 300);
        size_t ours = 0;
        for (size_t i = 0; i < x.cr->n_findings; i++)
                ours += strstr(x.cr->findings[i]->message, "is not the one the restart rule gives now") != NULL;
        assert_int_equal(ours, 100);
        run_free(&x);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_storm_on_252_ends_and_converges, setup, teardown),
                cmocka_unit_test_setup_teardown(test_storm_from_254_backs_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_admin_start_limit_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_policy_after_kill_keeps_intent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_old_dropin_is_rewritten, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rate_not_total, setup, teardown),
                cmocka_unit_test_setup_teardown(test_manager_defaults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_transient_and_generated_units, setup, teardown),
                cmocka_unit_test_setup_teardown(test_infinity_and_huge_values, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_under_root_is_manual, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_confirmed_by_the_manager, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_from_the_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_from_multiarch_trees, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_systemd_no_journal_is_skip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_names_and_unreadable_units, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ours_found_without_a_listing, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
