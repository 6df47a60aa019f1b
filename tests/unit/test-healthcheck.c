/* SPDX-License-Identifier: MIT */
/* healthcheck-missing on fixture roots: listening services without watchdog or timer; its fix. */
#include <errno.h>

#include "text/cleanup.h"
#include "fixture-check.h"
#include "fixture-proc.h"
#include "unit-findings.h"

#define T(sec) ((unsigned long long) (sec) * (unsigned long long) sysconf(_SC_CLK_TCK))

static const char tcp[] = NET_TCP_HEADER
        "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 7001 1 00000000242928c5 100 0 0 10 0                    \n"
        "   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7002 1 00000000da6c36fb 100 0 0 10 0                      \n"
        "   2: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7003 1 00000000da6c36fc 100 0 0 10 0                      \n"
        "   3: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7004 1 00000000da6c36fd 100 0 0 10 0                      \n";

static char *make_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/net/tcp", tcp);
        fixture_write(root, "/etc/systemd/system/my-app.service", "[Service]\nExecStart=/usr/bin/node /srv/app.js\n");
        fixture_write(root, "/lib/systemd/system/nginx.service", "[Service]\nExecStart=/usr/sbin/nginx\n");
        fixture_write(root, "/lib/systemd/system/pg.service", "[Service]\nExecStart=/usr/bin/postgres\nWatchdogSec=30s\n");
        const struct fproc procs[] = {
                { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1), .rss_pages = 2000 },
                { .pid = 500, .ppid = 1, .comm = "node", .argv = { "/usr/bin/node", "/srv/app.js", NULL }, .cgroup = "/system.slice/my-app.service", .start = T(10), .rss_pages = 9000 },
                { .pid = 501, .ppid = 500, .comm = "node", .argv = { "/usr/bin/node", "/srv/worker.js", NULL }, .cgroup = "/system.slice/my-app.service", .start = T(10), .rss_pages = 9000 },
                { .pid = 600, .ppid = 1, .comm = "nginx", .argv = { "nginx: master process /usr/sbin/nginx", NULL }, .cgroup = "/system.slice/nginx.service", .start = T(5), .rss_pages = 2000 },
                { .pid = 700, .ppid = 1, .comm = "postgres", .argv = { "/usr/bin/postgres", NULL }, .cgroup = "/system.slice/pg.service", .start = T(5), .rss_pages = 2000 },
                { .pid = 800, .ppid = 1, .comm = "node", .argv = { "node", "dev.js", NULL }, .cgroup = "/user.slice/user-1000.slice/session-2.scope", .start = T(5), .rss_pages = 2000, .uid = 1000 },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        fproc_socket(root, 500, 10, 7001);
        fproc_socket(root, 501, 10, 7001);
        fproc_socket(root, 600, 6, 7002);
        fproc_socket(root, 700, 5, 7003);
        fproc_socket(root, 800, 5, 7004);
        return root;
}

static void test_listening_services_without_probe_warned(void **state) {
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        assert_int_equal(x.cr->status, STATUS_WARN);
        assert_int_equal(run_count(&x, STATUS_WARN), 1);
        const struct finding *f = run_find(&x, "listens on port 8080");
        assert_non_null(f);
        assert_string_equal(f->subject, "my-app.service");
        assert_non_null(strstr(f->message, "hostfit-health@my\\x2dapp.service_8080.timer"));
        assert_string_equal(((const struct healthcheck_data *) f->data)->instance, "hostfit-health@my\\x2dapp.service_8080");
        assert_null(run_find(&x, "nginx.service"));    /* a vendor unit: its own restart policy */
        assert_null(run_find(&x, "pg.service"));
        assert_null(run_find(&x, "session"));          /* not a service: unmanaged-service's business */
        run_free(&x);
        fixture_remove(root);
}

/* A vendor unit is judged when the config names it; one with WatchdogSec= is watched. */
static void test_named_vendor_units_in_scope(void **state) {
        char *root = make_root();
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[healthcheck]\nunits = nginx.service pg.service\n");
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        assert_int_equal(run_count(&x, STATUS_WARN), 2);
        const struct finding *f = run_find(&x, "listens on port 80 ");
        assert_non_null(f);
        assert_string_equal(f->subject, "nginx.service");
        assert_null(run_find(&x, "pg.service"));       /* WatchdogSec= */
        run_free(&x);
        fixture_remove(root);
}

/* The probe templates as the fix writes them for ROOT's config. */
static void write_templates(const char *root) {
        struct run x = { 0 };
        fixture_write(root, "/usr/bin/hostfit", "\177ELF");      /* the image's own: its units run it */
        fixture_chmod(root, "/usr/bin/hostfit", 0755);
        run_check(&x, root, "healthcheck-missing");
        const char *names[] = { "hostfit-health@.service", "hostfit-health@.timer" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char *text = NULL, *path = NULL;
                size_t len = 0;
                assert_int_equal(healthcheck_render(x.h, names[i], &text, &len), 0);
                assert_true(asprintf(&path, "/etc/systemd/system/%s", names[i]) > 0);
                fixture_write(root, path, text);
                free(text);
                free(path);
        }
        run_free(&x);
}

static void test_enabled_timer_passes(void **state) {
        char *root = make_root();
        write_templates(root);
        fixture_symlink(root, "/etc/systemd/system/hostfit-health@.timer",
                        "/etc/systemd/system/timers.target.wants/hostfit-health@my\\x2dapp.service_8080.timer");
        fixture_symlink(root, "/etc/systemd/system/hostfit-health@.timer",
                        "/etc/systemd/system/timers.target.wants/hostfit-health@nginx.service_80.timer");
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        assert_int_equal(x.cr->status, STATUS_PASS);
        assert_non_null(run_find(&x, "1 listening service watched; 2 vendor units left to their own restart policy"));
        run_free(&x);
        fixture_remove(root);
}

static void test_unreadable_sockets_reported(void **state) {
        char *root = make_root();
        char *cmd;
        assert_true(asprintf(&cmd, "rm '%s/proc/net/tcp' && mkdir '%s/proc/net/tcp'", root, root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        assert_int_equal(x.cr->status, STATUS_ERROR);
        assert_non_null(run_find(&x, "cannot read the socket tables"));
        run_free(&x);
        fixture_remove(root);
}

static bool have_analyze(void) {
        return access("/usr/bin/systemd-analyze", X_OK) == 0;
}

static void verify(const char *dir, const char *unit) {
        char *cmd;
        assert_true(asprintf(&cmd, "cd '%s' && systemd-analyze verify --man=no './%s' >out 2>&1", dir, unit) > 0);
        int st = system(cmd);
        char *out = fixture_read(dir, "out");
        if (st != 0 || (out && *out))
                fail_msg("systemd-analyze %s: %s", unit, out ? out : "");
        free(out);
        free(cmd);
}

static void test_fix_installs_timer_instance(void **state) {
        char *root = make_root();
        fixture_write(root, "/etc/hostfit/hostfit.conf",
                      "[healthcheck]\ninterval = 1min\nfailures = 4\nhttp-path = my-app.service:/health?x=1%\nhostfit-path = /bin/true\n"
                      "grace = 2min\n"
                      "units = nginx.service\n");
        fixture_write(root, "/bin/true", "\177ELF");   /* the image's own: its units run it */
        fixture_chmod(root, "/bin/true", 0755);
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        struct plan *p = run_plan(&x);
        const struct action *svc = plan_find_path(p, "/etc/systemd/system/hostfit-health@.service");
        const struct action *tmr = plan_find_path(p, "/etc/systemd/system/hostfit-health@.timer");
        assert_non_null(svc);
        assert_non_null(tmr);
        assert_non_null(strstr(svc->content, "\nExecStart=\"/bin/true\" \"probe\" \"%I\" \"--timeout\" \"5s\" "
                                             "\"--failures\" \"4\" \"--max-restarts\" \"3\" \"--grace\" \"2min\"\n"));
        assert_non_null(strstr(tmr->content, "\nOnUnitActiveSec=1min\n"));
        /* Not the running system: each instance is enabled by the link its WantedBy= asks for. */
        const struct action *link = plan_find_path(p, "/etc/systemd/system/timers.target.wants/"
                                                      "hostfit-health@my\\x2dapp.service_8080.timer");
        assert_non_null(link);
        assert_int_equal(link->kind, ACTION_SYMLINK);
        assert_string_equal(link->target, "/etc/systemd/system/hostfit-health@.timer");
        size_t links = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_false(a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_ENABLE);
                links += a->kind == ACTION_SYMLINK;
        }
        assert_int_equal(links, 2);
        if (have_analyze()) {
                char *dir = fixture_new();
                fixture_write(dir, "hostfit-health@.service", svc->content);
                fixture_write(dir, "hostfit-health@.timer", tmr->content);
                /* An instance file of the template's content: systemd expands %I from the file name. */
                fixture_write(dir, "hostfit-health@my\\x2dapp.service_8080.service", svc->content);
                fixture_write(dir, "hostfit-health@my\\x2dapp.service_8080.timer", tmr->content);
                verify(dir, "hostfit-health@my\\x2dapp.service_8080.service");
                verify(dir, "hostfit-health@my\\x2dapp.service_8080.timer");
                fixture_remove(dir);
        }
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "healthcheck-missing", &changes);
        assert_int_equal(changes, 4);  /* the two template files, the two instances' links */
        assert_systemctl_enabled(copy, "hostfit-health@my\\x2dapp.service_8080.timer");
        fixture_remove(copy);
        fixture_remove(root);
}

/* my-app.service moved from 3000 to 8080: its old probe timer is stale (never restarts it,
 * reported here), the fix stops it and removes its link; the new port gets its own probe. */
static void test_stale_timer_of_a_moved_port(void **state) {
        (void) state;
        char *root = make_root();
        write_templates(root);
        fixture_symlink(root, "/etc/systemd/system/hostfit-health@.timer",
                        "/etc/systemd/system/timers.target.wants/hostfit-health@my\\x2dapp.service_3000.timer");
        fixture_symlink(root, "/etc/systemd/system/hostfit-health@.timer",
                        "/etc/systemd/system/timers.target.wants/hostfit-health@gone.service_9000.timer");
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        const struct finding *f = run_find(&x, "its probe timer hostfit-health@my\\x2dapp.service_3000.timer is stale: "
                                           "it probes port 3000, where the unit no longer listens (it listens on 8080)");
        assert_non_null(f);
        assert_string_equal(f->subject, "my-app.service");
        assert_non_null(run_find(&x, "its probe timer hostfit-health@gone.service_9000.timer is stale: the unit no longer exists"));
        assert_non_null(run_find(&x, "listens on port 8080 but has no WatchdogSec= and no health timer"));
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/timers.target.wants/hostfit-health@my\\x2dapp.service_3000.timer");
        assert_non_null(a);
        assert_int_equal(a->kind, ACTION_REMOVE);
        assert_non_null(plan_find_path(p, "/etc/systemd/system/timers.target.wants/hostfit-health@my\\x2dapp.service_8080.timer"));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "healthcheck-missing", &changes);
        assert_int_equal(changes, 3);   /* two links removed, one made */
        run_check(&x, copy, "healthcheck-missing");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* Changed [healthcheck] settings reach the installed probe: a finding, and the fix rewrites it. */
static void test_changed_settings_rewrite_the_probe(void **state) {
        (void) state;
        char *root = make_root();
        write_templates(root);
        fixture_symlink(root, "/etc/systemd/system/hostfit-health@.timer",
                        "/etc/systemd/system/timers.target.wants/hostfit-health@my\\x2dapp.service_8080.timer");
        struct run x = { 0 };
        run_check(&x, root, "healthcheck-missing");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[healthcheck]\ninterval = 10s\nfailures = 5\n");
        run_check(&x, root, "healthcheck-missing");
        const struct finding *f = run_find(&x, "the installed probe differs from [healthcheck] as it is now");
        assert_non_null(f);
        assert_int_equal(run_count(&x, STATUS_WARN), 1);
        struct plan *p = run_plan(&x);
        const struct action *svc = plan_find_path(p, "/etc/systemd/system/hostfit-health@.service");
        const struct action *tmr = plan_find_path(p, "/etc/systemd/system/hostfit-health@.timer");
        assert_non_null(svc);
        assert_non_null(strstr(svc->content, "\"--failures\" \"5\""));
        assert_non_null(tmr);
        assert_non_null(strstr(tmr->content, "\nOnUnitActiveSec=10s\n"));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "healthcheck-missing", &changes);
        assert_int_equal(changes, 2);
        fixture_remove(copy);
        fixture_remove(root);
}

static void test_instance_name_round_trip(void **state) {
        (void) state;
        char *inst = NULL, *unit = NULL;
        uint16_t port = 0;
        assert_int_equal(healthcheck_instance("my-app@blue.service", 8080, &inst), 0);
        char *timer = NULL;
        assert_true(asprintf(&timer, "%s.timer", inst) > 0);
        assert_int_equal(healthcheck_instance_parse(timer, &unit, &port), 0);
        assert_string_equal(unit, "my-app@blue.service");
        assert_int_equal(port, 8080);
        free(unit), free(inst), free(timer);
        assert_int_equal(healthcheck_instance_parse("hostfit-health@x.service_0.timer", &unit, &port), -EINVAL);
        assert_int_equal(healthcheck_instance_parse("hostfit-health@..\\x2fssh.service_22.timer", &unit, &port), -EINVAL);
        assert_int_equal(healthcheck_instance_parse("other@x.service_22.timer", &unit, &port), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_listening_services_without_probe_warned),
                cmocka_unit_test(test_named_vendor_units_in_scope),
                cmocka_unit_test(test_enabled_timer_passes),
                cmocka_unit_test(test_unreadable_sockets_reported),
                cmocka_unit_test(test_fix_installs_timer_instance),
                cmocka_unit_test(test_stale_timer_of_a_moved_port),
                cmocka_unit_test(test_changed_settings_rewrite_the_probe),
                cmocka_unit_test(test_instance_name_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
