/* unit-memorymax on fixture roots: scope, infinity, MemoryLimit=, drop-ins, and its fix. */
#include <errno.h>

#include "fixture-check.h"
#include "fixture-proc.h"
#include "unit-findings.h"

#define MEMINFO "MemTotal:        2014580 kB\nMemFree:          101232 kB\nMemAvailable:     812340 kB\n" \
        "Buffers:           40212 kB\nCached:           700112 kB\nSwapCached:            0 kB\n" \
        "Active:           900000 kB\nInactive:         600000 kB\nSwapTotal:             0 kB\n" \
        "SwapFree:              0 kB\nDirty:               120 kB\nShmem:             10240 kB\n"

static char *failing_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/proc/meminfo", MEMINFO);
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/etc/systemd/system/app.service", "[Unit]\nDescription=app\n[Service]\nExecStart=/usr/bin/node /srv/app.js\n");
        fixture_write(root, "/etc/systemd/system/limited.service", "[Service]\nExecStart=/bin/x\nMemoryMax=1G\n");
        fixture_write(root, "/etc/systemd/system/pct.service", "[Service]\nExecStart=/bin/x\nMemoryMax=40%\n");
        fixture_write(root, "/etc/systemd/system/old.service", "[Service]\nExecStart=/bin/x\nMemoryLimit=1G\n");
        fixture_write(root, "/usr/local/lib/systemd/system/inf.service", "[Service]\nExecStart=/bin/x\nMemoryMax=2G\n");
        fixture_write(root, "/etc/systemd/system/inf.service.d/override.conf", "[Service]\nMemoryMax=infinity\n");
        fixture_write(root, "/etc/systemd/system/masked-local.service", "");
        fixture_write(root, "/etc/systemd/system/setup.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n");
        fixture_write(root, "/lib/systemd/system/vendor.service", "[Service]\nExecStart=/usr/sbin/vendord\n");
        fixture_write(root, "/lib/systemd/system/big.service", "[Service]\nExecStart=/usr/bin/java -jar big.jar\n");
        fixture_write(root, "/lib/systemd/system/named.service", "[Service]\nExecStart=/usr/sbin/named\n");
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[unit-memorymax]\nunits = named.service\nmax = named.service:768M\n");
        struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = 1, .rss_pages = 2000 };
        struct fproc big = { .pid = 700, .ppid = 1, .comm = "java", .argv = { "/usr/bin/java", "-jar", "big.jar", NULL }, .cgroup = "/system.slice/big.service", .start = 500, .rss_pages = 90000 };
        struct fproc small = { .pid = 710, .ppid = 1, .comm = "vendord", .argv = { "/usr/sbin/vendord", NULL }, .cgroup = "/system.slice/vendor.service", .start = 500, .rss_pages = 3000 };
        struct fproc app = { .pid = 720, .ppid = 1, .comm = "node", .argv = { "/usr/bin/node", "/srv/app.js", NULL }, .cgroup = "/system.slice/app.service", .start = 500, .rss_pages = 25600 };
        fproc_write(root, &init);
        fproc_write(root, &big);
        fproc_write(root, &small);
        fproc_write(root, &app);
        return root;
}

static void test_scope_and_reasons(void **state) {
        char *root = failing_root();
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_int_equal(run_count(&x, STATUS_FAIL), 5);
        const struct finding *f = run_find(&x, "app.service: no MemoryMax=");
        assert_non_null(f);
        assert_non_null(strstr(f->message, "/etc/systemd/system/app.service.d/50-hostfit-memory.conf"));
        const struct memorymax_data *d = f->data;
        assert_int_equal(d->rss, 25600ULL * (uint64_t) sysconf(_SC_PAGESIZE));
        assert_non_null(run_find(&x, "old.service: only the deprecated MemoryLimit= (/etc/systemd/system/old.service:3)"));
        assert_non_null(run_find(&x, "inf.service: MemoryMax=infinity (/etc/systemd/system/inf.service.d/override.conf:2)"));
        assert_non_null(run_find(&x, "big.service: no MemoryMax="));           /* a vendor unit using > 256 MiB */
        f = run_find(&x, "named.service: no MemoryMax=");                      /* named in the config */
        assert_non_null(f);
        assert_int_equal(((const struct memorymax_data *) f->data)->max, 768ULL << 20);
        assert_null(run_find(&x, "vendor.service"));
        assert_null(run_find(&x, "limited.service"));
        assert_null(run_find(&x, "pct.service"));
        assert_null(run_find(&x, "masked-local"));
        assert_null(run_find(&x, "setup.service"));    /* oneshot: no process to limit */
        run_free(&x);
        fixture_remove(root);
}

static void test_pass_when_every_unit_limited(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/systemd/system/limited.service", "[Service]\nExecStart=/bin/x\nMemoryMax=1G\n");
        fixture_write(root, "/lib/systemd/system/vendor.service", "[Service]\nExecStart=/usr/sbin/vendord\n");
        fixture_write(root, "/proc/uptime", "100.00 100.00\n");
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        assert_non_null(run_find(&x, "1 service unit in scope"));
        run_free(&x);
        fixture_remove(root);
}

static void test_malformed_and_unreadable(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/systemd/system/bad.service", "[Service]\nExecStart=/bin/x\nthis is not a setting\nMemoryMax=lots\n");
        fixture_write(root, "/proc", "not a directory\n");     /* no process table at all */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[unit-memorymax]\nunits = ghost.service\n");
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        const struct finding *f = run_find(&x, "bad.service: MemoryMax=lots is not a valid size (/etc/systemd/system/bad.service:4)");
        assert_non_null(f);
        bool named_line = false;
        for (size_t i = 0; f->details && f->details[i]; i++)
                named_line = named_line || strstr(f->details[i], "/etc/systemd/system/bad.service:3: missing '='");
        assert_true(named_line);
        f = run_find(&x, "ghost.service is named");
        assert_non_null(f);
        assert_int_equal(f->status, STATUS_WARN);
        run_free(&x);
        fixture_remove(root);
}

static void test_default_limits(void **state) {
        assert_int_equal(memorymax_default(0, 0), 256ULL << 20);
        assert_int_equal(memorymax_default(100ULL << 20, 2ULL << 30), 256ULL << 20);
        assert_int_equal(memorymax_default(300ULL << 20, 4ULL << 30), 640ULL << 20);
        /* Capped at 3/4 of RAM, never below 5/4 of what it uses now. */
        assert_int_equal(memorymax_default(1ULL << 30, 2ULL << 30), 1536ULL << 20);
        assert_int_equal(memorymax_default(1900ULL << 20, 2ULL << 30), 2375ULL << 20);
}

static void test_fix_dropin_applied_and_idempotent(void **state) {
        char *root = failing_root();
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/named.service.d/50-hostfit-memory.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "[Service]\nMemoryHigh=691M\nMemoryMax=768M\n"));
        a = plan_find_path(p, "/etc/systemd/system/app.service.d/50-hostfit-memory.conf");
        assert_non_null(strstr(a->content, "MemoryMax=256M\n"));
        /* override.conf sorts after "50-…": the drop-in takes a name that sorts later still. */
        assert_non_null(plan_find_path(p, "/etc/systemd/system/inf.service.d/zz-hostfit-memory.conf"));
        bool set_prop = false, reload = false;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *b = plan_action(p, i);
                if (b->kind == ACTION_SYSTEMD && b->op == SYSTEMD_SET_PROPERTY && strcmp(b->unit, "app.service") == 0) {
                        set_prop = true;
                        assert_string_equal(b->properties[0], "MemoryHigh=230M");
                        assert_string_equal(b->properties[1], "MemoryMax=256M");
                        assert_true(b->deferred);       /* not the running system */
                }
                reload = reload || (b->kind == ACTION_SYSTEMD && b->op == SYSTEMD_DAEMON_RELOAD);
        }
        assert_true(set_prop && reload);
        plan_free(p);
        run_free(&x);

        size_t changes = 0;
        char *copy = plan_apply_replan(root, "unit-memorymax", &changes);
        assert_int_equal(changes, 5);
        run_check(&x, copy, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scope_and_reasons),
                cmocka_unit_test(test_pass_when_every_unit_limited),
                cmocka_unit_test(test_malformed_and_unreadable),
                cmocka_unit_test(test_default_limits),
                cmocka_unit_test(test_fix_dropin_applied_and_idempotent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
