/* SPDX-License-Identifier: MIT */
/* unit-memorymax on fixture roots: scope, infinity, MemoryLimit=, drop-ins, and its fix. */
#include <errno.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include "fixture-check.h"
#include "fixture-proc.h"
#include "unit-findings.h"
#include "systemd/units.h"

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
        const struct finding *f = run_find(&x, "no MemoryMax=; its limit goes in /etc/systemd/system/app.service.d/");
        assert_non_null(f);
        assert_non_null(strstr(f->message, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf"));
        const struct memorymax_data *d = f->data;
        assert_int_equal(d->rss, 25600ULL * (uint64_t) sysconf(_SC_PAGESIZE));
        assert_non_null(run_find(&x, "only the deprecated MemoryLimit= (/etc/systemd/system/old.service:3)"));
        assert_non_null(run_find(&x, "MemoryMax=infinity (/etc/systemd/system/inf.service.d/override.conf:2)"));
        assert_non_null(run_find(&x, "in /etc/systemd/system/big.service.d/"));           /* a vendor unit using > 256 MiB */
        f = run_find(&x, "in /etc/systemd/system/named.service.d/");                      /* named in the config */
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
        const struct finding *f = run_find(&x, "no MemoryMax=; MemoryMax=lots (/etc/systemd/system/bad.service:4) is not a value systemd accepts");
        assert_non_null(f);
        bool named_line = false;
        for (size_t i = 0; f->details && f->details[i]; i++)
                named_line = named_line || strstr(f->details[i], "/etc/systemd/system/bad.service:3: missing '='");
        assert_true(named_line);
        f = run_find(&x, "named in [unit-memorymax] units= but no unit file defines it");
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
        /* Sized from the config; no swap on this host, so no MemoryHigh=. */
        const struct action *a = plan_find_path(p, "/etc/systemd/system/named.service.d/49-hostfit-memory.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "[Service]\nMemoryMax=768M\n"));
        assert_null(strstr(a->content, "MemoryHigh"));
        /* Sized from what its process uses (100 MiB: the 256 MiB floor). */
        a = plan_find_path(p, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf");
        assert_non_null(strstr(a->content, "MemoryMax=256M\n"));
        /* 351 MiB used: twice that, rounded up to 64 MiB. */
        a = plan_find_path(p, "/etc/systemd/system/big.service.d/49-hostfit-memory.conf");
        assert_non_null(strstr(a->content, "MemoryMax=704M\n"));
        /* Nothing runs in old.service and the config gives no size: no number from nothing. */
        assert_null(plan_find_path(p, "/etc/systemd/system/old.service.d/49-hostfit-memory.conf"));
        /* override.conf sorts after hostfit's drop-in and sets infinity: only a manual edit helps. */
        assert_null(plan_find_path(p, "/etc/systemd/system/inf.service.d/49-hostfit-memory.conf"));
        size_t manual = 0;
        bool set_prop = false, reload = false;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *b = plan_action(p, i);
                if (b->kind == ACTION_MANUAL) {
                        manual++;
                        assert_true(strstr(b->text, "old.service:SIZE") || strstr(b->text, "/etc/systemd/system/inf.service.d/override.conf sets the memory limit of inf.service and sorts after hostfit's /etc/systemd/system/inf.service.d/49-hostfit-memory.conf: set MemoryMax= there"));
                }
                if (b->kind == ACTION_SYSTEMD && b->op == SYSTEMD_SET_PROPERTY && strcmp(b->unit, "app.service") == 0) {
                        set_prop = true;
                        assert_string_equal(b->properties[0], "MemoryMax=256M");
                        assert_null(b->properties[1]);
                        assert_true(b->deferred);       /* not the running system */
                }
                reload = reload || (b->kind == ACTION_SYSTEMD && b->op == SYSTEMD_DAEMON_RELOAD);
        }
        assert_int_equal(manual, 2);
        assert_true(set_prop && reload);
        plan_free(p);
        run_free(&x);

        size_t changes = 0;
        char *copy = plan_apply_replan(root, "unit-memorymax", &changes);
        assert_int_equal(changes, 3);
        run_check(&x, copy, "unit-memorymax");
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);        /* old and inf: the manual ones */
        assert_null(run_find(&x, "app.service.d"));
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* A php-fpm pool: 12 workers of 195 MiB, each under the threshold, 2.3 GiB together. */
static char *pool_root(bool swap, bool cgroup) {
        char *root = fixture_new();
        char path[128];
        fixture_write(root, "/proc/meminfo", swap ? "MemTotal:        8039100 kB\nMemFree:         1000000 kB\n"
                                                    "MemAvailable:    3000000 kB\nSwapTotal:       2097148 kB\nSwapFree:        2097148 kB\n"
                                                  : "MemTotal:        8039100 kB\nMemFree:         1000000 kB\n"
                                                    "MemAvailable:    3000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n");
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/lib/systemd/system/php8.2-fpm.service", "[Service]\nType=notify\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize\n");
        struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = 1, .rss_pages = 2000 };
        fproc_write(root, &init);
        for (int i = 0; i < 13; i++) {
                struct fproc w = { .pid = 900 + i, .ppid = i ? 900 : 1, .comm = "php-fpm8.2",
                                   .argv = { i ? "php-fpm: pool www" : "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", NULL },
                                   .cgroup = "/system.slice/php8.2-fpm.service", .start = 500,
                                   .rss_pages = i ? 195ULL * 256 : 2560 };
                fproc_write(root, &w);
        }
        if (cgroup) {
                snprintf(path, sizeof(path), "/sys/fs/cgroup/system.slice/php8.2-fpm.service/memory.current");
                fixture_write(root, path, "2600468480\n");
                snprintf(path, sizeof(path), "/sys/fs/cgroup/system.slice/php8.2-fpm.service/memory.peak");
                fixture_write(root, path, "3221225472\n");
        }
        return root;
}

static void test_unit_memory_is_the_sum_of_its_processes(void **state) {
        char *root = pool_root(false, false);
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        const struct finding *f = run_find(&x, "php8.2-fpm.service.d/49-hostfit-memory.conf");
        assert_non_null(f);
        const struct memorymax_data *d = f->data;
        assert_int_equal(d->rss, (12ULL * 195 + 10) << 20);
        assert_int_equal(d->current, 0);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/php8.2-fpm.service.d/49-hostfit-memory.conf");
        assert_non_null(strstr(a->content, "MemoryMax=4736M\n"));      /* 2 x 2350 MiB, rounded up to 64 MiB */
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

static void test_cgroup_memory_current_and_peak_size_the_unit(void **state) {
        char *root = pool_root(true, true);
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        const struct finding *f = run_find(&x, "php8.2-fpm.service.d/49-hostfit-memory.conf");
        assert_non_null(f);
        const struct memorymax_data *d = f->data;
        assert_int_equal(d->current, 2600468480ULL);
        assert_int_equal(d->peak, 3ULL << 30);
        assert_int_equal(memorymax_usage(d), 3ULL << 30);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/php8.2-fpm.service.d/49-hostfit-memory.conf");
        /* 2 x 3 GiB is above 3/4 of 7.7 GiB RAM: capped there; swap: MemoryHigh at 90%. */
        assert_non_null(strstr(a->content, "MemoryHigh=5299M\nMemoryMax=5888M\n"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* Swap that boot turns on counts (a rerun after an interrupted fix ends as a clean run does);
 * an fstab that cannot be read decides nothing. */
static void test_swap_from_fstab_counts_and_unreadable_decides_nothing(void **state) {
        char *root = pool_root(false, false);
        struct run x = { 0 };
        fixture_write(root, "etc/fstab", "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n");
        run_check(&x, root, "unit-memorymax");
        struct plan *p = NULL;
        assert_int_equal(plan_new(x.h, &p), 0);
        assert_int_equal(memorymax_swap_planned(x.h, p), 1);
        plan_free(p);
        run_free(&x);
        char *fstab;
        assert_true(asprintf(&fstab, "%s/etc/fstab", root) > 0);
        assert_int_equal(unlink(fstab), 0);
        assert_int_equal(mkdir(fstab, 0755), 0);
        free(fstab);
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(plan_new(x.h, &p), 0);
        assert_true(memorymax_swap_planned(x.h, p) < 0);
        const struct check_result *cr = report_check(x.r, 0);
        for (size_t i = 0; i < cr->n_findings; i++)
                if (cr->findings[i]->status == STATUS_FAIL)
                        assert_true(cr->check->fix->plan(x.h, cr->findings[i], p) < 0);
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

static void test_swap_in_the_same_plan_allows_memory_high(void **state) {
        char *root = pool_root(false, false);
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        struct plan *p = NULL;
        assert_int_equal(plan_new(x.h, &p), 0);
        assert_false(memorymax_swap_planned(x.h, p));
        assert_true(plan_add_swapfile(p, "swap-missing", "/swapfile", 1ULL << 30) >= 0);
        assert_true(memorymax_swap_planned(x.h, p));
        const struct check_result *cr = report_check(x.r, 0);
        for (size_t i = 0; i < cr->n_findings; i++)
                assert_int_equal(cr->check->fix->plan(x.h, cr->findings[i], p), 0);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/php8.2-fpm.service.d/49-hostfit-memory.conf");
        assert_non_null(strstr(a->content, "MemoryHigh=4262M\nMemoryMax=4736M\n"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

#define POOL_DROPIN "/etc/systemd/system/php8.2-fpm.service.d/49-hostfit-memory.conf"

/* Apply the plan of unit-memorymax's findings on ROOT (and a swapfile first when SWAP). */
static void fix_pool(const char *root, bool swap) {
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        struct plan *p = NULL;
        assert_int_equal(plan_new(x.h, &p), 0);
        if (swap)
                assert_true(plan_add_swapfile(p, "swap-missing", "/swapfile", 64ULL << 20) >= 0);
        for (size_t i = 0; i < x.cr->n_findings; i++)
                if (x.cr->findings[i]->status == STATUS_WARN || x.cr->findings[i]->status == STATUS_FAIL)
                        assert_int_equal(x.cr->check->fix->plan(x.h, x.cr->findings[i], p), 0);
        assert_int_equal(plan_apply(p, x.h, NULL, NULL), 0);
        plan_free(p);
        run_free(&x);
}

/* swap-missing and unit-memorymax checked in one run on ROOT, and an empty plan. */
static struct plan *run_with_swap_missing(const char *root, struct run *x) {
        struct config *c = NULL;
        char *err = NULL;
        char *ids[] = { "swap-missing", "unit-memorymax" };
        assert_int_equal(host_open(root, &x->h), 0);
        assert_int_equal(config_load(x->h, &c, &err), 0);
        host_set_config(x->h, c);
        assert_int_equal(report_new(&x->r), 0);
        assert_int_equal(report_run_checks(x->r, x->h, ids, 2), 0);
        struct plan *p = NULL;
        assert_int_equal(plan_new(x->h, &p), 0);
        return p;
}

/* swap-missing and unit-memorymax in one run, both fixes in one plan, applied. */
static void fix_with_swap_missing(const char *root) {
        struct run x = { 0 };
        struct plan *p = run_with_swap_missing(root, &x);
        bool flagged = false;
        for (size_t k = 0; k < report_n_checks(x.r); k++) {
                const struct check_result *cr = report_check(x.r, k);
                for (size_t i = 0; i < cr->n_findings; i++) {
                        const struct finding *f = cr->findings[i];
                        flagged = flagged || strstr(f->message, "or swap-missing adds it in this run");
                        if (f->status == STATUS_WARN || f->status == STATUS_FAIL)
                                assert_int_equal(cr->check->fix->plan(x.h, f, p), 0);
                }
        }
        assert_true(flagged);
        assert_int_equal(plan_apply(p, x.h, NULL, NULL), 0);
        plan_free(p);
        run_free(&x);
}

/* A drop-in hostfit wrote while swap could not be made has no MemoryHigh=. Each run
 * recomputes it: the run that makes swap adds MemoryHigh= (MemoryMax= kept), swap boot
 * turns on counts, and then the plan is empty. The admin's own MemoryHigh= is left alone,
 * and an unreadable fstab decides nothing. */
static void test_own_dropin_converges_when_swap_comes(void **state) {
        char *root = pool_root(false, false);
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        fix_pool(root, false);
        char *text = fixture_read(root, POOL_DROPIN);
        assert_non_null(strstr(text, "[Service]\nMemoryMax=4736M\n"));
        assert_null(strstr(text, "MemoryHigh="));
        free(text);

        /* No swap: the check judges hostfit's drop-in by the fix's own rule, so it passes and
         * the plan is empty (never a warning the fix answers with "nothing to do"). The plan
         * that makes swap adds MemoryHigh= with it. */
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
        /* One fix of both checks: swap-missing finds no swap, so the check flags the drop-in
         * and the fix (after the swapfile in the same plan) adds MemoryHigh=; then nothing. */
        char *copy = fixture_clone(root);
        fix_with_swap_missing(copy);
        text = fixture_read(copy, POOL_DROPIN);
        assert_non_null(strstr(text, "[Service]\nMemoryHigh=4262M\nMemoryMax=4736M\n"));
        free(text);
        run_check(&x, copy, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(copy);

        /* Swap boot turns on (the fstab line of a run that made it): one run converges. */
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n");
        run_check(&x, root, "unit-memorymax");
        assert_non_null(run_find(&x, "sets no MemoryHigh="));
        run_free(&x);
        fix_pool(root, false);
        text = fixture_read(root, POOL_DROPIN);
        assert_non_null(strstr(text, "[Service]\nMemoryHigh=4262M\nMemoryMax=4736M\n"));
        free(text);
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);

        /* The swap is gone again and swap-missing is skipped: MemoryHigh= goes, MemoryMax= stays. */
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[hostfit]\nskip = swap-missing\n");
        run_check(&x, root, "unit-memorymax");
        assert_non_null(run_find(&x, "sets MemoryHigh= but the host has no swap"));
        run_free(&x);
        fix_pool(root, false);
        text = fixture_read(root, POOL_DROPIN);
        assert_non_null(strstr(text, "[Service]\nMemoryMax=4736M\n"));
        assert_null(strstr(text, "MemoryHigh="));
        free(text);
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_write(root, "/etc/hostfit/hostfit.conf", "");

        /* An fstab that cannot be read decides nothing. */
        char *fstab;
        assert_true(asprintf(&fstab, "%s/etc/fstab", root) > 0);
        assert_int_equal(unlink(fstab), 0);
        assert_int_equal(mkdir(fstab, 0755), 0);
        run_check(&x, root, "unit-memorymax");
        assert_null(run_find(&x, "MemoryHigh="));
        run_free(&x);
        assert_int_equal(rmdir(fstab), 0);
        free(fstab);

        /* The admin's own MemoryHigh=: hostfit's drop-in is not judged by it, nothing changes. */
        fixture_write(root, "/etc/systemd/system/php8.2-fpm.service.d/60-admin.conf", "[Service]\nMemoryHigh=3G\n");
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* swap-missing finds no swap but its fix can make none (here [swap] size does not fit the
 * free space: a manual step). No swap comes, so hostfit's drop-in without MemoryHigh= is as
 * the fix writes it: the check of both passes it and their plan leaves it alone (never a
 * warning that the fix answers with "nothing to do"). */
static void test_own_dropin_kept_when_swap_cannot_be_made(void **state) {
        char *root = pool_root(false, false);
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        fix_pool(root, false);
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[swap]\nsize = 900000G\n");
        struct run x = { 0 };
        struct plan *p = run_with_swap_missing(root, &x);
        size_t judged = 0;
        for (size_t k = 0; k < report_n_checks(x.r); k++) {
                const struct check_result *cr = report_check(x.r, k);
                if (strcmp(cr->check->id, "unit-memorymax") == 0) {
                        assert_int_equal(cr->status, STATUS_PASS);
                        judged++;
                }
                for (size_t i = 0; i < cr->n_findings; i++)
                        if (cr->findings[i]->status == STATUS_WARN || cr->findings[i]->status == STATUS_FAIL)
                                assert_int_equal(cr->check->fix->plan(x.h, cr->findings[i], p), 0);
        }
        assert_int_equal(judged, 1);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_null(plan_find_path(p, POOL_DROPIN));
        plan_free(p);
        run_free(&x);

        /* The control: with room for it, the same run flags the drop-in and the plan adds MemoryHigh=. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[swap]\nsize = 64M\n");
        fix_with_swap_missing(root);
        char *text = fixture_read(root, POOL_DROPIN);
        assert_non_null(strstr(text, "[Service]\nMemoryHigh=4262M\nMemoryMax=4736M\n"));
        free(text);
        fixture_remove(root);
}

/* swap-missing finds no swap, and the fstab cannot be read (libmount gets a directory):
 * whether its fix makes swap cannot be told, so nothing promises that swap comes. Checked
 * with swap-missing in one run, hostfit's drop-in written without MemoryHigh= (no swap)
 * is left as it is: no finding asks for MemoryHigh=, and the check passes. */
static void test_own_dropin_no_swap_promised_when_fstab_unreadable(void **state) {
        char *root = pool_root(false, false);
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        fix_pool(root, false);
        char *text = fixture_read(root, POOL_DROPIN);
        assert_null(strstr(text, "MemoryHigh="));
        free(text);
        char *fstab;
        assert_true(asprintf(&fstab, "%s/etc/fstab", root) > 0);
        assert_int_equal(unlink(fstab), 0);
        assert_int_equal(mkdir(fstab, 0755), 0);
        struct run x = { 0 };
        struct plan *p = run_with_swap_missing(root, &x);
        size_t judged = 0;
        for (size_t k = 0; k < report_n_checks(x.r); k++) {
                const struct check_result *cr = report_check(x.r, k);
                if (strcmp(cr->check->id, "unit-memorymax") != 0)
                        continue;
                judged++;
                assert_int_equal(cr->status, STATUS_PASS);
                for (size_t i = 0; i < cr->n_findings; i++)
                        assert_null(strstr(cr->findings[i]->message, "MemoryHigh="));
        }
        assert_int_equal(judged, 1);
        plan_free(p);
        run_free(&x);
        assert_int_equal(rmdir(fstab), 0);
        free(fstab);
        fixture_remove(root);
}

static void statfs_ext4(const char *path, struct statfs *sf) {
        (void) path;
        sf->f_type = EXT4_SUPER_MAGIC;
}

/* N units, each with hostfit's drop-in written while there was no swap, on a host where
 * swap-missing's fix makes a swapfile: checked and fixed with swap-missing in one run. The
 * answer to "does swap come" is worked out once a run, however many units ask; returns the
 * times it was. Each unit is flagged and its plan gets MemoryHigh=. */
static uint64_t judged_for_units(unsigned n) {
        char *root = pool_root(false, false);
        char path[128];
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        fixture_write(root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[swap]\nsize = 64M\n");
        for (unsigned i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "/etc/systemd/system/u%u.service", i);
                fixture_write(root, path, "[Service]\nExecStart=/bin/x\n");
                snprintf(path, sizeof(path), "/etc/systemd/system/u%u.service.d/49-hostfit-memory.conf", i);
                fixture_write(root, path, "[Service]\nMemoryMax=512M\n");
        }
        host_set_statfs_hook(statfs_ext4);
        uint64_t before = host_counters.swap_judged;
        struct run x = { 0 };
        struct plan *p = run_with_swap_missing(root, &x);
        unsigned flagged = 0;
        for (size_t k = 0; k < report_n_checks(x.r); k++) {
                const struct check_result *cr = report_check(x.r, k);
                for (size_t i = 0; i < cr->n_findings; i++) {
                        const struct finding *f = cr->findings[i];
                        flagged += strstr(f->message, "or swap-missing adds it in this run") != NULL;
                        if (f->status == STATUS_WARN || f->status == STATUS_FAIL)
                                assert_int_equal(cr->check->fix->plan(x.h, f, p), 0);
                }
        }
        assert_int_equal(flagged, n);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SWAPFILE);
        for (unsigned i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "/etc/systemd/system/u%u.service.d/49-hostfit-memory.conf", i);
                const struct action *a = plan_find_path(p, path);
                assert_non_null(a);
                assert_non_null(strstr(a->content, "MemoryHigh=460M\nMemoryMax=512M\n"));
        }
        uint64_t judged = host_counters.swap_judged - before;
        host_set_statfs_hook(NULL);
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
        return judged;
}

/* The statfs hook set back even when a test's assertion failed, so that one failure does not
 * carry its fake filesystem into the tests after it. */
static int statfs_hook_reset(void **state) {
        (void) state;
        host_set_statfs_hook(NULL);
        return 0;
}

/* Whether swap-missing's fix makes swap is one answer a run, shared by that fix and by
 * unit-memorymax's judgement of every unit's drop-in: the work does not grow with units. */
static void test_swap_answer_worked_out_once_for_many_units(void **state) {
        (void) state;
        assert_int_equal(judged_for_units(1), 1);
        assert_int_equal(judged_for_units(60), 1);
}

/* An old hostfit drop-in name is rewritten in place, so an upgrade never leaves two. */
static void test_old_dropin_name_recognised(void **state) {
        char *root = pool_root(false, false);
        fixture_write(root, "/etc/systemd/system/php8.2-fpm.service.d/50-hostfit-memory.conf",
                      "# Written by hostfit (unit-memorymax): memory limits for php8.2-fpm.service.\n[Service]\nMemoryMax=\n");
        struct run x = { 0 };
        run_check(&x, root, "unit-memorymax");
        assert_non_null(run_find(&x, "php8.2-fpm.service.d/50-hostfit-memory.conf"));
        struct plan *p = run_plan(&x);
        assert_non_null(plan_find_path(p, "/etc/systemd/system/php8.2-fpm.service.d/50-hostfit-memory.conf"));
        assert_null(plan_find_path(p, "/etc/systemd/system/php8.2-fpm.service.d/49-hostfit-memory.conf"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* systemctl set-property writes system.control/UNIT.d/50-MemoryMax.conf: it sorts after
 * hostfit's drop-in, so the admin's later limit is the one in effect. */
static void test_set_property_wins_over_hostfit_dropin(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/systemd/system/app.service", "[Service]\nExecStart=/bin/app\n");
        fixture_write(root, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf", "[Service]\nMemoryMax=256M\n");
        fixture_write(root, "/etc/systemd/system.control/app.service.d/50-MemoryMax.conf",
                      "# This is a drop-in unit file extension, created via \"systemctl set-property\"\n"
                      "# or an equivalent operation. Do not edit.\n[Service]\nMemoryMax=1073741824\n");
        struct host *h;
        const struct unit *u;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_load(h, "app.service", &u), 0);
        uint64_t v;
        assert_int_equal(unit_memory_setting(u, "MemoryMax", &v), UNIT_LIMIT_BYTES);
        assert_int_equal(v, 1ULL << 30);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scope_and_reasons),
                cmocka_unit_test(test_pass_when_every_unit_limited),
                cmocka_unit_test(test_malformed_and_unreadable),
                cmocka_unit_test(test_default_limits),
                cmocka_unit_test(test_fix_dropin_applied_and_idempotent),
                cmocka_unit_test(test_unit_memory_is_the_sum_of_its_processes),
                cmocka_unit_test(test_cgroup_memory_current_and_peak_size_the_unit),
                cmocka_unit_test(test_swap_in_the_same_plan_allows_memory_high),
                cmocka_unit_test(test_swap_from_fstab_counts_and_unreadable_decides_nothing),
                cmocka_unit_test(test_own_dropin_converges_when_swap_comes),
                cmocka_unit_test(test_own_dropin_kept_when_swap_cannot_be_made),
                cmocka_unit_test(test_own_dropin_no_swap_promised_when_fstab_unreadable),
                cmocka_unit_test_teardown(test_swap_answer_worked_out_once_for_many_units, statfs_hook_reset),
                cmocka_unit_test(test_old_dropin_name_recognised),
                cmocka_unit_test(test_set_property_wins_over_hostfit_dropin),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
