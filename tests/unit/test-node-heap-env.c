/* SPDX-License-Identifier: MIT */
/* node-heap-limit on fixture roots: NODE_OPTIONS as systemd gives it (Environment=,
 * EnvironmentFile=, UnsetEnvironment=) and the fix written where it wins; node workers sharing
 * their unit's limit; the admin's fitting value kept; a unit too young to size; a limit no
 * memory controller enforces; node binaries read bounded (a FIFO, huge files, one read per
 * binary); V8's 32-bit default. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "text/cleanup.h"

#include "fixture-check.h"
#include "fixture-proc.h"
#include "loop-findings.h"
#include "procs/nodeheap.h"
#include "unit-findings.h"
#include "systemd/units.h"

#define T(sec) ((unsigned long long) (sec) * (unsigned long long) sysconf(_SC_CLK_TCK))
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define SVC "/system.slice/app.service"
#define UNIT "/etc/systemd/system/app.service"
#define DROPIN "/etc/systemd/system/app.service.d/50-hostfit-node-heap.conf"
#define ENVFILE "/etc/hostfit/node-heap/app.service.env"

/* A 16 GiB host with 1 GiB of swap, cgroup v2 with CONTROLLERS at the root, up 90000 s. */
static char *fx_root(const char *controllers) {
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\n"
                                             "MemAvailable:   12000000 kB\nSwapTotal:       1048572 kB\nSwapFree:        1048572 kB\n");
        fixture_write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        fixture_write(root, "/sys/fs/cgroup/cgroup.controllers", controllers);
        fixture_write(root, "/sys/fs/cgroup/system.slice/memory.max", "max\n");
        fixture_write(root, "/sys/fs/cgroup/system.slice/memory.high", "max\n");
        const struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1), .rss_pages = 2000 };
        fproc_write(root, &init);
        return root;
}

/* A node process PID in cgroup CG running EXE, started at START seconds after boot. */
static void add_node(const char *root, int pid, const char *cg, const char *exe, const char *flag, const char *environ,
                     unsigned start) {
        struct fproc node = { .pid = pid, .ppid = 1, .comm = "node", .argv = { "node", flag ? flag : "server.js", flag ? "server.js" : NULL, NULL },
                              .cgroup = cg, .start = T(start), .rss_pages = 50000, .environ = environ };
        char path[64];
        fproc_write(root, &node);
        snprintf(path, sizeof(path), "/proc/%d/exe", pid);
        fixture_symlink(root, exe, path);
}

static void service_limit(const char *root, const char *max) {
        fixture_write(root, "/sys/fs/cgroup" SVC "/memory.max", max);
        fixture_write(root, "/sys/fs/cgroup" SVC "/memory.high", "max\n");
}

static const struct node_heap_data *data(const struct finding *f) {
        return f->data;
}

static const struct action *manual_with(const struct plan *p, const char *needle) {
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->kind == ACTION_MANUAL && strstr(plan_action(p, i)->text, needle))
                        return plan_action(p, i);
        return NULL;
}

/* The NODE_OPTIONS the unit's files on ROOT give its next start. */
static char *unit_options(const char *root) {
        struct host *h = NULL;
        const struct unit *u = NULL;
        struct node_unit_env e;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_load(h, "app.service", &u), 0);
        assert_int_equal(node_unit_env(h, u, NULL, &e), 0);
        char *v = e.options ? strdup(e.options) : NULL;
        node_unit_env_done(&e);
        host_free(h);
        return v;
}

/* systemd's environment file syntax: comments, quotes, escapes, continued lines; the last wins. */
static void test_env_file_parser(void **state) {
        (void) state;
        char *v = NULL;
        assert_int_equal(node_env_file_get("# NODE_OPTIONS=no\n; also no\nNODE_OPTIONS=--a  \n", "NODE_OPTIONS", &v), 0);
        assert_string_equal(v, "--a");
        free(v);
        assert_int_equal(node_env_file_get("NODE_OPTIONS=\"--a \\\"b\\\" \\$x\"\nX=1", "NODE_OPTIONS", &v), 0);
        assert_string_equal(v, "--a \"b\" $x");
        free(v);
        assert_int_equal(node_env_file_get("  NODE_OPTIONS = '--r x'\nNODE_OPTIONS=--c\\\n--d\n", "NODE_OPTIONS", &v), 0);
        assert_string_equal(v, "--c--d");
        free(v);
        assert_int_equal(node_env_file_get("NODE_OPTIONSX=1\nnode_options=2\n", "NODE_OPTIONS", &v), 0);
        assert_null(v);
        char *q = node_env_file_quote("--a \"b\" $x\\");
        assert_string_equal(q, "\"--a \\\"b\\\" \\$x\\\\\"");
        assert_int_equal(node_env_file_get(q, "X", &v), 0);
        assert_null(v);
        char *line = NULL;
        assert_true(asprintf(&line, "NODE_OPTIONS=%s\n", q) > 0);
        assert_int_equal(node_env_file_get(line, "NODE_OPTIONS", &v), 0);
        assert_string_equal(v, "--a \"b\" $x\\");
        free(v), free(q), free(line);
}

/* EnvironmentFile= overrides every Environment=: the fix adds an environment file of hostfit's
 * after the admin's, keeps the other options, and converges (the check then only asks for the
 * restart, and a second plan is empty). */
static void test_environment_file_wins_and_the_fix_wins_after_it(void **state) {
        (void) state;
        char *root = fx_root("cpuset cpu io memory pids\n");
        service_limit(root, "1073741824\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\nEnvironment=NODE_OPTIONS=--max-old-space-size=512\n"
                                  "EnvironmentFile=-/etc/missing.env\nEnvironmentFile=/etc/app/app.env\n");
        fixture_write(root, "/etc/app/app.env", "# the app\nPORT=8080\nNODE_OPTIONS=\"--enable-source-maps --max-old-space-size=8192\"\n");
        add_node(root, 900, SVC, "/usr/bin/node", NULL, "NODE_OPTIONS=--enable-source-maps --max-old-space-size=8192\n", 1000);
        char *before = unit_options(root);
        assert_string_equal(before, "--enable-source-maps --max-old-space-size=8192");
        free(before);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 8192 MiB but may use only 1024 MiB");
        assert_non_null(f);
        assert_string_equal(data(f)->env_file, ENVFILE);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, ENVFILE);
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\nNODE_OPTIONS=\"--enable-source-maps --max-old-space-size=768\"\n"));
        a = plan_find_path(p, DROPIN);
        assert_non_null(a);
        assert_non_null(strstr(a->content, "[Service]\nEnvironmentFile=" ENVFILE "\n"));
        assert_null(strstr(a->content, "Environment=\""));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "node-heap-limit", &changes);
        assert_int_equal(changes, 2);
        char *after = unit_options(copy);
        assert_string_equal(after, "--enable-source-maps --max-old-space-size=768");
        free(after);
        run_check(&x, copy, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_WARN);
        assert_non_null(run_find(&x, "restart app.service to apply it"));
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* What hostfit's files cannot win against is a manual step naming the unit and the file:
 * UnsetEnvironment=, an admin's drop-in that sorts after hostfit's, an unreadable file. */
static void test_unset_and_later_dropin_are_manual(void **state) {
        (void) state;
        static const struct { const char *file, *text, *say; } cases[] = {
                { UNIT, "[Service]\nExecStart=/usr/bin/node server.js\nUnsetEnvironment=NODE_OPTIONS\n",
                  "UnsetEnvironment= in " UNIT " removes NODE_OPTIONS from app.service" },
                { "/etc/systemd/system/app.service.d/60-admin.conf", "[Service]\nEnvironment=\"NODE_OPTIONS=--max-old-space-size=8192\"\n",
                  "/etc/systemd/system/app.service.d/60-admin.conf sets NODE_OPTIONS of app.service after hostfit's drop-in" },
                { UNIT, "[Service]\nExecStart=/usr/bin/node server.js\nEnvironmentFile=/etc/app/*.env\n",
                  "EnvironmentFile=/etc/app/*.env of app.service cannot be read" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *root = fx_root("memory pids\n");
                service_limit(root, "1073741824\n");
                fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\n");
                fixture_write(root, cases[i].file, cases[i].text);
                add_node(root, 900, SVC, "/usr/bin/node", "--max-old-space-size=4096", NULL, 1000);
                struct run x = { 0 };
                run_check(&x, root, "node-heap-limit");
                assert_int_equal(x.cr->status, STATUS_FAIL);
                struct plan *p = run_plan(&x);
                assert_null(plan_find_path(p, DROPIN));
                assert_non_null(manual_with(p, cases[i].say));
                plan_free(p);
                run_free(&x);
                fixture_remove(root);
        }
}

/* Four node workers in one unit share its 2 GiB: each may use 512 MiB, so V8's default of
 * 1 GiB from the cgroup's 2 GiB (a node of unknown version reads it) is reported for each, and one drop-in gives every worker 75% of its share. */
static void test_workers_share_the_unit_limit(void **state) {
        (void) state;
        char *root = fx_root("memory pids\n");
        service_limit(root, "2147483648\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node cluster.js\n");
        for (int i = 0; i < 4; i++)
                add_node(root, 900 + i, SVC, "/usr/bin/node", NULL, NULL, 1000);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(run_count(&x, STATUS_FAIL), 4);
        const struct finding *f = run_find(&x, "node (pid 900, app.service) may grow its V8 heap to 1024 MiB but may use "
                                              "only 512 MiB (the memory limit of /system.slice/app.service, shared by 4 node processes)");
        assert_non_null(f);
        assert_int_equal(data(f)->workers, 4);
        assert_int_equal(data(f)->target_mib, 384);
        struct plan *p = run_plan(&x);
        size_t writes = 0;
        for (size_t i = 0; i < plan_size(p); i++)
                writes += plan_action(p, i)->kind == ACTION_WRITE_FILE;
        assert_int_equal(writes, 1);
        assert_non_null(strstr(plan_find_path(p, DROPIN)->content, "NODE_OPTIONS=--max-old-space-size=384\""));
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "node-heap-limit", &changes);
        assert_int_equal(changes, 1);
        fixture_remove(copy);
        fixture_remove(root);
}

/* The admin's own value is kept where it fits: a stale drop-in of hostfit's gives more than
 * the share, the unit's own 600 MiB fits in 1 GiB, so the drop-in is rewritten with 600. */
static void test_admin_value_kept_when_it_fits(void **state) {
        (void) state;
        char *root = fx_root("memory pids\n");
        service_limit(root, "1073741824\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\n"
                                  "Environment=\"NODE_OPTIONS=-r dotenv/config --max-old-space-size=600\"\n");
        fixture_write(root, DROPIN, "[Service]\nEnvironment=\"NODE_OPTIONS=--max-old-space-size=4096\"\n");
        add_node(root, 900, SVC, "/usr/bin/node", NULL, "NODE_OPTIONS=--max-old-space-size=4096\n", 1000);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 4096 MiB but may use only 1024 MiB");
        assert_non_null(f);
        assert_true(data(f)->kept);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, DROPIN);
        assert_non_null(a);
        assert_non_null(strstr(a->content, "Environment=\"NODE_OPTIONS=-r dotenv/config --max-old-space-size=600\"\n"));
        assert_non_null(strstr(a->content, "the admin's own value, which fits"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* No limit yet: the heap and the limit are sized from what the unit used over time. Young, it
 * is a manual step in both checks; old enough, unit-memorymax's limit leaves room for the
 * admin's 6 GiB heap (never a heap cut to a cold start's size). */
static void test_young_unit_is_manual_and_the_admin_heap_gets_room(void **state) {
        (void) state;
        char *root = fx_root("memory pids\n");
        service_limit(root, "max\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\n");
        fixture_write(root, "/sys/fs/cgroup" SVC "/memory.peak", "1073741824\n");
        add_node(root, 900, SVC, "/usr/bin/node", "--max-old-space-size=65536", NULL, 89940);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 65536 MiB");
        assert_non_null(f);
        assert_int_equal(data(f)->memory_max, 0);
        struct plan *p = run_plan(&x);
        assert_null(plan_find_path(p, DROPIN));
        assert_non_null(manual_with(p, "app.service has run too short to size the memory its node processes share"));
        plan_free(p);
        run_free(&x);
        run_check(&x, root, "unit-memorymax");
        p = run_plan(&x);
        assert_null(plan_find_path(p, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf"));
        assert_non_null(manual_with(p, "app.service has run 60 s, too short to size its limit"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);

        root = fx_root("memory pids\n");
        service_limit(root, "max\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\n");
        fixture_write(root, "/sys/fs/cgroup" SVC "/memory.peak", "1073741824\n");
        add_node(root, 900, SVC, "/usr/bin/node", "--max-old-space-size=6144", NULL, 1000);
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        run_check(&x, root, "unit-memorymax");
        p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "MemoryMax=8G\n"));
        plan_free(p);
        run_free(&x);
        /* With that limit in place, the admin's heap fits: nothing to do. */
        service_limit(root, "8589934592\n");
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* A memory.max no controller enforces ("memory" not in cgroup.controllers) is no limit: the
 * heap is judged against RAM and swap, and unit-memorymax says the limit is not enforced. */
static void test_no_memory_controller_is_no_limit(void **state) {
        (void) state;
        char *root = fx_root("cpuset cpu io pids\n");
        service_limit(root, "1073741824\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/usr/bin/node server.js\nMemoryMax=1G\n");
        add_node(root, 900, SVC, "/usr/bin/node", "--max-old-space-size=8192", NULL, 1000);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        run_check(&x, root, "unit-memorymax");
        const struct finding *f = run_find(&x, "MemoryMax=1G is set, but no memory controller enforces it here");
        assert_non_null(f);
        assert_int_equal(f->status, STATUS_WARN);
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
        /* With the controller, the same files are a 1 GiB limit. */
        fixture_write(root, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
        run_check(&x, root, "node-heap-limit");
        assert_non_null(run_find(&x, "may grow its V8 heap to 8192 MiB but may use only 1024 MiB"));
        run_free(&x);
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

/* A FIFO at a node's path never blocks (the test would hang); huge binaries are read within
 * the per-file and per-run bounds, and a binary many processes run is read once. */
static void test_binaries_read_bounded_and_once(void **state) {
        (void) state;
        char *root = fx_root("memory pids\n");
        char *path = NULL;
        alarm(FIXTURE_HANG_BOUND_S);
        fixture_mkdir(root, "/opt/fifo/bin");
        assert_true(asprintf(&path, "%s/opt/fifo/bin/node", root) > 0);
        assert_int_equal(mkfifo(path, 0644), 0);
        free(path);
        add_node(root, 900, "/user.slice/user-1000.slice/session-1.scope", "/opt/fifo/bin/node", "--max-old-space-size=65536", NULL, 1000);
        for (int i = 0; i < 4; i++) {
                char bin[64];
                snprintf(bin, sizeof(bin), "/home/u%d/node/bin/node", i);
                fixture_write(root, bin, "\x7f" "ELF\x02");
                assert_true(asprintf(&path, "%s%s", root, bin) > 0);
                assert_int_equal(truncate(path, 1LL << 30), 0);     /* sparse: 1 GiB, no version in it */
                free(path);
                for (int j = 0; j < 5; j++)
                        add_node(root, 1000 + i * 10 + j, "/user.slice/user-1000.slice/session-1.scope", bin, "--max-old-space-size=65536", NULL, 1000);
        }
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(run_count(&x, STATUS_FAIL), 21);
        uint64_t bytes = 0;
        unsigned opened = 0;
        node_scan_stats(x.h, &bytes, &opened);
        assert_true(bytes <= 128 * MIB);
        assert_true(opened <= 4);       /* once per binary, never the FIFO */
        assert_true(bytes > 0);
        run_free(&x);
        alarm(0);
        fixture_remove(root);
}

/* A 32-bit node: V8's 32-bit default (RAM / 4, at most 1 GiB), not 64-bit's 4 GiB. */
static void test_32bit_node_uses_v8_32bit_default(void **state) {
        (void) state;
        assert_int_equal(node_v8_default_old_space_bits(16 * GIB, 32), GIB);
        assert_int_equal(node_v8_default_old_space_bits(2 * GIB, 32), 512 * MIB);
        assert_int_equal(node_v8_default_old_space_bits(256 * MIB, 32), 128 * MIB);
        assert_int_equal(node_v8_default_old_space_bits(16 * GIB, 64), 4 * GIB);
        /* A 1 GiB Raspberry Pi 3 on a 32-bit OS: MemTotal 948304 kB, what libuv gives V8;
         * a quarter, rounded up to V8's 256 KiB page. */
        assert_int_equal(node_v8_default_old_space_bits(948304ULL * 1024, 32), 927ULL * 256 * 1024);
        /* 15 GiB doubles the cap on 64-bit only. */
        assert_int_equal(node_v8_default_old_space_bits(15 * GIB, 32), GIB);
        assert_int_equal(node_v8_default_old_space_bits(15 * GIB, 64), 4 * GIB);
        assert_int_equal(node_v8_default_old_space_bits(14 * GIB, 64), 2 * GIB);
        /* The floors: 128 MiB on 32-bit, 256 MiB on 64-bit. */
        assert_int_equal(node_v8_default_old_space_bits(400 * MIB, 32), 128 * MIB);
        assert_int_equal(node_v8_default_old_space_bits(400 * MIB, 64), 256 * MIB);
        char *root = fx_root("memory pids\n");
        service_limit(root, "536870912\n");
        fixture_write(root, UNIT, "[Service]\nExecStart=/opt/node/bin/node server.js\n");
        fixture_write(root, "/opt/node/include/node/node_version.h",
                      "#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 19\n#define NODE_PATCH_VERSION 1\n");
        fixture_write_len(root, "/opt/node/bin/node", "\x7f" "ELF\x01\x01\x01", 7);
        add_node(root, 900, SVC, "/opt/node/bin/node", NULL, NULL, 1000);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 1024 MiB but may use only 512 MiB");
        assert_non_null(f);
        bool said = false;
        for (size_t i = 0; f->details[i]; i++)
                said = said || strstr(f->details[i], "node 18.19.1 (from the install's node_version.h), a 32-bit build");
        assert_true(said);
        run_free(&x);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env_file_parser),
                cmocka_unit_test(test_environment_file_wins_and_the_fix_wins_after_it),
                cmocka_unit_test(test_unset_and_later_dropin_are_manual),
                cmocka_unit_test(test_workers_share_the_unit_limit),
                cmocka_unit_test(test_admin_value_kept_when_it_fits),
                cmocka_unit_test(test_young_unit_is_manual_and_the_admin_heap_gets_room),
                cmocka_unit_test(test_no_memory_controller_is_no_limit),
                cmocka_unit_test(test_binaries_read_bounded_and_once),
                cmocka_unit_test(test_32bit_node_uses_v8_32bit_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
