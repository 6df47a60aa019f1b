/* SPDX-License-Identifier: MIT */
/* node-heap-limit on fixture roots: the flag in argv, in NODE_OPTIONS, V8's default under
 * cgroup v1 and v2 limits for an 18.x and a 22.x node, a limit on the slice only; its drop-in. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"

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
#define NVM22 "/home/dev/.nvm/versions/node/v22.3.0/bin/node"

static const char dpkg_status[] =
        "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u7\n\n"
        "Package: nodejs\nStatus: install ok installed\nPriority: optional\nSection: javascript\n"
        "Architecture: amd64\nVersion: 18.20.4+dfsg-1~deb12u2\nDescription: evented I/O for V8 javascript - runtime executable\n\n";

/* A 16 GiB host (V8's default there: 4 GiB), cgroup v2 or v1, app.service in CG with node as EXE. */
static char *node_root(bool v2, const char *cg, const char *exe, const char *argv1, const char *environ) {
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\n"
                                             "MemAvailable:   12000000 kB\nSwapTotal:       1048572 kB\nSwapFree:        1048572 kB\n");
        fixture_write(root, "/var/lib/dpkg/status", dpkg_status);
        fixture_write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        if (v2)
                fixture_write(root, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        else
                fixture_write(root, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
        const struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1), .rss_pages = 2000 };
        struct fproc node = { .pid = 900, .ppid = 1, .comm = "node", .argv = { "node", argv1, "server.js", NULL }, .cgroup = cg,
                              .start = T(1000), .rss_pages = 50000, .environ = environ };
        if (!argv1)
                node.argv[1] = "server.js", node.argv[2] = NULL;
        fproc_write(root, &init);
        fproc_write(root, &node);
        if (!v2) {
                char path[128];
                snprintf(path, sizeof(path), "proc/900/cgroup");
                char text[512];
                snprintf(text, sizeof(text), "12:pids:%s\n5:memory:%s\n1:name=systemd:%s\n0::/\n", cg, cg, cg);
                fixture_write(root, path, text);
        }
        fixture_symlink(root, exe, "/proc/900/exe");
        return root;
}

/* Write a cgroup's limit files in the v2 or v1 layout. */
static void limit(const char *root, bool v2, const char *cg, const char *max, const char *high) {
        char path[256];
        snprintf(path, sizeof(path), v2 ? "/sys/fs/cgroup%s/memory.max" : "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", cg);
        fixture_write(root, path, max);
        snprintf(path, sizeof(path), v2 ? "/sys/fs/cgroup%s/memory.high" : "/sys/fs/cgroup/memory%s/memory.soft_limit_in_bytes", cg);
        fixture_write(root, path, high);
}

static void no_limits_above(const char *root, bool v2) {
        limit(root, v2, "/system.slice", v2 ? "max\n" : "9223372036854771712\n", v2 ? "max\n" : "9223372036854771712\n");
}

static const struct node_heap_data *data(const struct finding *f) {
        return f->data;
}

static void test_flag_in_argv_above_memorymax(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/usr/bin/node", "--max-old-space-size=8192", NULL);
        limit(root, true, SVC, "1073741824\n", "max\n");
        no_limits_above(root, true);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        const struct finding *f = run_find(&x, "node (pid 900, app.service) may grow its V8 heap to 8192 MiB but may use only 1024 MiB (the memory limit of /system.slice/app.service)");
        assert_non_null(f);
        assert_true(data(f)->flag_in_argv);
        assert_int_equal(data(f)->memory_max, GIB);
        bool ver = false;
        for (size_t i = 0; f->details[i]; i++)
                ver = ver || strstr(f->details[i], "node 18.20.4 (from the dpkg)");
        assert_true(ver);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/app.service.d/50-hostfit-node-heap.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\n[Service]\nEnvironment=\"NODE_OPTIONS=--max-old-space-size=768\"\n"));
        bool manual = false;
        for (size_t i = 0; i < plan_size(p); i++)
                manual = manual || (plan_action(p, i)->kind == ACTION_MANUAL && strstr(plan_action(p, i)->text, "remove --max-old-space-size from the ExecStart= of app.service"));
        assert_true(manual);
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "node-heap-limit", &changes);
        assert_int_equal(changes, 1);
        fixture_remove(copy);
        fixture_remove(root);
}

static void test_node_options_kept(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/usr/bin/node", NULL, "PATH=/usr/bin\nNODE_OPTIONS=--enable-source-maps --max_old_space_size=4096 -r dotenv/config\n");
        limit(root, true, SVC, "2147483648\n", "max\n");
        no_limits_above(root, true);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 4096 MiB but may use only 2048 MiB");
        assert_non_null(f);
        assert_false(data(f)->flag_in_argv);
        assert_non_null(strstr(f->details[0], "--max-old-space-size=4096 in NODE_OPTIONS"));
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/app.service.d/50-hostfit-node-heap.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "Environment=\"NODE_OPTIONS=--enable-source-maps -r dotenv/config --max-old-space-size=1536\"\n"));
        for (size_t i = 0; i < plan_size(p); i++)
                assert_true(plan_action(p, i)->kind != ACTION_MANUAL || !strstr(plan_action(p, i)->text, "ExecStart"));
        plan_free(p);
        run_free(&x);
        /* Applied, the running node still has its heap: a warning that names the restart, nothing to plan. */
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "node-heap-limit", &changes);
        assert_int_equal(changes, 1);
        run_check(&x, copy, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_WARN);
        f = run_find(&x, "the unit's files set a heap within it: restart app.service to apply it");
        assert_non_null(f);
        assert_string_equal(f->fix, "systemctl restart app.service");
        p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
        fixture_remove(copy);
        fixture_remove(root);
}

/* Neither flag: V8's default from what Node reports. An 18.x reads no cgroup v2 limit (4 GiB
 * from 16 GiB of RAM, above the 1 GiB limit); a 22.x reads its own (512 MiB: fine). */
static void test_default_v2_node18_and_node22(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/usr/bin/node", NULL, NULL);
        limit(root, true, SVC, "1073741824\n", "max\n");
        no_limits_above(root, true);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 4096 MiB but may use only 1024 MiB");
        assert_non_null(f);
        assert_non_null(strstr(f->details[0], "V8's default from RAM"));
        run_free(&x);
        fixture_remove(root);

        root = node_root(true, SVC, NVM22, NULL, NULL);
        limit(root, true, SVC, "1073741824\n", "max\n");
        no_limits_above(root, true);
        run_check(&x, root, "node-heap-limit");
        run_free(&x);
        /* memory.high counts too for a 22.x: the lower of the two. */
        limit(root, true, SVC, "max\n", "805306368\n");
        run_check(&x, root, "node-heap-limit");
        run_free(&x);
        fixture_remove(root);
}

/* cgroup v1: an 18.x reads only the top memory cgroup (no limit), a 22.x its own. */
static void test_default_v1_node18_and_node22(void **state) {
        (void) state;
        char *root = node_root(false, SVC, "/usr/bin/nodejs", NULL, NULL);
        limit(root, false, SVC, "1073741824\n", "9223372036854771712\n");
        no_limits_above(root, false);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 4096 MiB but may use only 1024 MiB");
        assert_non_null(f);
        assert_non_null(strstr(f->details[0], "V8's default from RAM"));
        run_free(&x);
        fixture_remove(root);

        root = node_root(false, SVC, NVM22, NULL, NULL);
        limit(root, false, SVC, "1073741824\n", "9223372036854771712\n");
        no_limits_above(root, false);
        run_check(&x, root, "node-heap-limit");
        run_free(&x);
        fixture_remove(root);
}

/* The slice's MemoryMax= binds the service, but no Node reads it. */
static void test_limit_on_the_slice_only(void **state) {
        (void) state;
        char *root = node_root(true, "/app.slice/app.service", NVM22, NULL, NULL);
        limit(root, true, "/app.slice/app.service", "max\n", "max\n");
        limit(root, true, "/app.slice", "1073741824\n", "max\n");
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 4096 MiB but may use only 1024 MiB (the memory limit of /app.slice)");
        assert_non_null(f);
        assert_int_equal(data(f)->memory_max, GIB);
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/app.service.d/50-hostfit-node-heap.conf");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "NODE_OPTIONS=--max-old-space-size=768\""));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* No limit at all: the heap is sized from the MemoryMax= unit-memorymax plans, and both agree. */
static void test_no_memorymax_agrees_with_unit_memorymax(void **state) {
        (void) state;
        char *root = node_root(true, SVC, NVM22, "--max-old-space-size=65536", NULL);
        limit(root, true, SVC, "max\n", "max\n");
        no_limits_above(root, true);
        fixture_write(root, "/etc/systemd/system/app.service", "[Service]\nExecStart=/usr/bin/node server.js\n");
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 65536 MiB but may use only 17023 MiB (RAM and swap)");
        assert_non_null(f);
        uint64_t planned = data(f)->memory_max;
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/app.service.d/50-hostfit-node-heap.conf");
        assert_non_null(a);
        char want[64];
        snprintf(want, sizeof(want), "--max-old-space-size=%llu\"", (unsigned long long) (planned / 4 * 3 / MIB));
        assert_non_null(strstr(a->content, want));
        plan_free(p);
        run_free(&x);
        run_check(&x, root, "unit-memorymax");
        p = run_plan(&x);
        a = plan_find_path(p, "/etc/systemd/system/app.service.d/49-hostfit-memory.conf");
        assert_non_null(a);
        snprintf(want, sizeof(want), "MemoryMax=%lluM\n", (unsigned long long) (planned / MIB));
        if (!strstr(a->content, want)) {
                snprintf(want, sizeof(want), "MemoryMax=%lluG\n", (unsigned long long) (planned / GIB));
                assert_non_null(strstr(a->content, want));
        }
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

static void test_outside_a_unit_is_manual(void **state) {
        (void) state;
        char *root = node_root(true, "/user.slice/user-1000.slice/session-3.scope", "/usr/bin/node", "--max-old-space-size=32768", NULL);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        const struct finding *f = run_find(&x, "may grow its V8 heap to 32768 MiB");
        assert_non_null(f);
        assert_null(data(f)->unit);
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "--max-old-space-size=12767"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* Malformed input: a flag value V8 would not take is no heap size, and a
 * memory.max that is not a number is no limit; neither becomes a number in a
 * finding. An unreadable memory.max (a directory) never becomes a limit either
 * (the check then judges from the limits above and RAM). */
static void test_malformed_flag_and_limit(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/usr/bin/node", "--max-old-space-size=lots", NULL);
        limit(root, true, SVC, "garbage\n", "max\n");
        no_limits_above(root, true);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        for (size_t i = 0; i < x.cr->n_findings; i++) {
                assert_null(strstr(x.cr->findings[i]->message, "lots"));
                assert_null(strstr(x.cr->findings[i]->message, "the memory limit of /system.slice/app.service"));
        }
        run_free(&x);
        fixture_remove(root);

        root = node_root(true, SVC, "/usr/bin/node", "--max-old-space-size=8192", NULL);
        no_limits_above(root, true);
        fixture_mkdir(root, "/sys/fs/cgroup" SVC "/memory.max");
        fixture_write(root, "/sys/fs/cgroup" SVC "/memory.high", "max\n");
        run_check(&x, root, "node-heap-limit");
        for (size_t i = 0; i < x.cr->n_findings; i++)
                assert_null(strstr(x.cr->findings[i]->message, "the memory limit of /system.slice/app.service"));
        run_free(&x);
        fixture_remove(root);
}

static void test_no_node_is_skip(void **state) {
        (void) state;
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/meminfo", "MemTotal:       16384000 kB\nSwapTotal:             0 kB\n");
        const struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1) };
        fproc_write(root, &init);
        struct run x = { 0 };
        run_check(&x, root, "node-heap-limit");
        assert_int_equal(x.cr->status, STATUS_SKIP);
        run_free(&x);
        fixture_remove(root);
}

static void test_v8_default_and_flags(void **state) {
        (void) state;
        assert_int_equal(node_v8_default_old_space(1 * GIB), 512 * MIB);
        assert_int_equal(node_v8_default_old_space(2 * GIB), 1 * GIB);
        assert_int_equal(node_v8_default_old_space(8 * GIB), 2 * GIB);
        assert_int_equal(node_v8_default_old_space(16 * GIB), 4 * GIB);
        uint64_t mib = 0;
        double pct = 0;
        char *a1[] = { "--max-old-space-size=100", "app.js", "--max-old-space-size=200" };
        assert_int_equal(node_heap_flag(a1, 3, true, &mib, &pct), 1);
        assert_int_equal(mib, 100);     /* after the script: the script's own argument */
        char *a2[] = { "-r", "--max-old-space-size=5", "--max-old-space-size", "300", "x.js" };
        assert_int_equal(node_heap_flag(a2, 5, true, &mib, &pct), 1);
        assert_int_equal(mib, 300);     /* -r's value is a module name */
        char *a3[] = { "--max-old-space-size-percentage=50" };
        assert_int_equal(node_heap_flag(a3, 1, false, &mib, &pct), 1);
        assert_true(pct == 50 && mib == 0);
        char *a4[] = { "--max-old-space-size=abc", "--inspect" };
        assert_int_equal(node_heap_flag(a4, 2, false, &mib, &pct), 0);
        char **w = NULL;
        size_t n = 0;
        assert_int_equal(node_options_split("  --a \"--title=x y\"  -r z ", &w, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(w[1], "--title=x y");
        strv_free(w);
        struct node_version v;
        assert_int_equal(node_version_from_path(NVM22, &v), 0);
        assert_true(v.major == 22 && v.minor == 3);
        assert_int_equal(node_version_from_path("/usr/local/n/versions/node/20.2.0/bin/node", &v), 0);
        assert_false(node_reads_cgroup_v2(&v));
        assert_int_equal(node_version_from_path("/home/u/.volta/tools/image/node/20.3.1/bin/node", &v), 0);
        assert_true(node_reads_cgroup_v2(&v));
        assert_int_equal(node_version_from_path("/usr/bin/node", &v), -ENOENT);
}

/* A binary without a version in its path or the package database: the release URL inside it. */
static void test_version_from_the_binary(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/opt/node/bin/node", "--max-old-space-size=8192", NULL);
        char blob[4096];
        memset(blob, 0x7f, sizeof(blob));
        memcpy(blob + 3000, "https://nodejs.org/download/release/v21.7.3/node-v21.7.3.tar.gz", 63);
        fixture_write_len(root, "/opt/node/bin/node", blob, sizeof(blob));
        limit(root, true, SVC, "1073741824\n", "max\n");
        struct host *h = NULL;
        struct node_version v;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(node_version_of(h, 900, "/opt/node/bin/node", &v), 0);
        assert_true(v.major == 21 && v.minor == 7 && v.patch == 3);
        assert_string_equal(v.source, "binary");
        assert_int_equal(node_version_of(h, 900, "/usr/bin/node", &v), 0);
        assert_string_equal(v.source, "dpkg");
        host_free(h);
        fixture_remove(root);
}

/* Binaries are read once a run: five of them, each looked up twice, are opened five times and
 * keep their own versions while the table of binaries grows. */
static void test_binaries_read_once_as_the_table_grows(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/opt/node0/bin/node", "--max-old-space-size=8192", NULL);
        char blob[4096], path[64];
        for (unsigned i = 0; i < 5; i++) {
                memset(blob, 0x7f, sizeof(blob));
                snprintf(blob + 3000, 80, "https://nodejs.org/download/release/v21.7.%u/node-v21.7.%u.tar.gz", i, i);
                snprintf(path, sizeof(path), "/opt/node%u/bin/node", i);
                fixture_write_len(root, path, blob, sizeof(blob));
        }
        struct host *h = NULL;
        struct node_version v;
        uint64_t bytes;
        unsigned opened;
        assert_int_equal(host_open(root, &h), 0);
        for (unsigned round = 0; round < 2; round++)
                for (unsigned i = 0; i < 5; i++) {
                        snprintf(path, sizeof(path), "/opt/node%u/bin/node", i);
                        assert_int_equal(node_version_of(h, 900, path, &v), 0);
                        assert_true(v.major == 21 && v.minor == 7 && v.patch == i);
                        assert_string_equal(v.source, "binary");
                }
        node_scan_stats(h, &bytes, &opened);
        assert_int_equal(opened, 5);
        host_free(h);
        fixture_remove(root);
}

/* A version is digits only: no sign, blank or overflow ("v18.-1" is no 18.4294967295). */
static void test_version_text_is_digits_only(void **state) {
        (void) state;
        struct node_version v;
        static const char *const bad[] = { "v18.-1.0", "v 18.2", "18.+2", "v18. 2", "18", "v0.12.0", "1001.0",
                                           "18.99999999999", "18.2.99999999999", "-18.2", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (node_version_parse(bad[i], &v) == 0)
                        fail_msg("%s: parsed as %u.%u.%u", bad[i], v.major, v.minor, v.patch);
        assert_int_equal(node_version_parse("18.20.4+dfsg-1~deb12u2", &v), 0);
        assert_true(v.major == 18 && v.minor == 20 && v.patch == 4);
        assert_int_equal(node_version_parse("v22.3", &v), 0);
        assert_true(v.major == 22 && v.minor == 3 && v.patch == 0);
        assert_int_equal(node_version_parse("v20.1.x", &v), 0);
        assert_true(v.major == 20 && v.minor == 1 && v.patch == 0);
        assert_int_equal(node_version_from_path("/home/u/.nvm/versions/node/v18.-1.0/bin/node", &v), -ENOENT);
}

/* The release tag as the very last bytes of a binary is found; a header's define with a sign is no version. */
static void test_version_at_the_end_of_the_binary_and_header_signs(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/opt/node/bin/node", "--max-old-space-size=8192", NULL);
        static const char tail[] = "\177ELF\2\1\1\0https://nodejs.org/download/release/v18.19.0";
        fixture_write_len(root, "/opt/node/libexec/node", tail, sizeof(tail) - 1);
        fixture_write(root, "/opt/h/include/node/node_version.h", "#define NODE_MAJOR_VERSION 18\n"
                      "#define NODE_MINOR_VERSION -1\n#define NODE_PATCH_VERSION 0\n");
        struct host *h = NULL;
        struct node_version v;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(node_version_of(h, 900, "/opt/node/libexec/node", &v), 0);
        assert_true(v.major == 18 && v.minor == 19 && v.patch == 0);
        assert_int_equal(node_version_of(h, 900, "/opt/h/bin/node", &v), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

/* dpkg's status: the rest of a line longer than hostfit's buffer is not a field of its own. */
static void test_version_dpkg_long_line(void **state) {
        (void) state;
        char *root = node_root(true, SVC, "/usr/bin/node", "--max-old-space-size=8192", NULL);
        char status[2048], desc[700];
        memset(desc, 'x', sizeof(desc));
        memcpy(desc + 511 - strlen("Description: "), "Version: 99.1.0", 15);
        desc[sizeof(desc) - 1] = '\0';
        snprintf(status, sizeof(status), "Package: nodejs\nStatus: install ok installed\nDescription: %s\n"
                 "Version: 18.20.4+dfsg-1~deb12u2\n\n", desc);
        fixture_write(root, "/var/lib/dpkg/status", status);
        struct host *h = NULL;
        struct node_version v;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(node_version_of(h, 900, "/usr/bin/node", &v), 0);
        assert_string_equal(v.source, "dpkg");
        assert_true(v.major == 18 && v.minor == 20 && v.patch == 4);
        host_free(h);
        fixture_remove(root);
}

/* On the running system the binary is read through /proc/PID/exe: a node deleted after it
 * started, a FIFO now at its path, is still read (not the FIFO, and never waited on). */
static void test_version_read_through_proc_exe(void **state) {
        (void) state;
        char dir[] = "/tmp/hostfit-node-exe.XXXXXX", path[64], blob[4096];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/node", dir);
        FILE *in = fopen("/bin/sleep", "rb"), *out = fopen(path, "wb");
        assert_non_null(in);
        assert_non_null(out);
        for (size_t n; (n = fread(blob, 1, sizeof(blob), in)) > 0; )
                assert_int_equal(fwrite(blob, 1, n, out), n);
        memset(blob, 0, sizeof(blob));
        memcpy(blob + 100, "https://nodejs.org/download/release/v21.7.3/node-v21.7.3.tar.gz", 63);
        assert_int_equal(fwrite(blob, 1, sizeof(blob), out), sizeof(blob));
        fclose(in);
        assert_int_equal(fclose(out), 0);
        assert_int_equal(chmod(path, 0755), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                execl(path, "node", "1000", (char *) NULL);
                _exit(127);
        }
        char link[64], target[128];
        snprintf(link, sizeof(link), "/proc/%d/exe", (int) pid);
        /* Until the child has exec'd the copy, however long a loaded machine takes (it could
         * only end by failing to exec). */
        bool execd = false;
        for (int i = 0; !execd && i < FIXTURE_HANG_BOUND_S * 40; i++) {
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                execd = n > 0 && (target[n] = '\0', strcmp(target, path) == 0);
                if (!execd) {
                        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
                        usleep(25000);
                }
        }
        assert_true(execd);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkfifo(path, 0644), 0);
        struct host *h = NULL;
        struct node_version v = { 0 };
        assert_int_equal(host_open("/", &h), 0);
        assert_true(host_is_live(h));
        int r = node_version_of(h, pid, path, &v);
        host_free(h);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        unlink(path);
        rmdir(dir);
        assert_int_equal(r, 0);
        assert_true(v.major == 21 && v.minor == 7 && v.patch == 3);
        assert_string_equal(v.source, "binary");
}

/* The heap a unit's node processes were given (a detail of unit-memorymax): a process
 * named node is judged by its argv and environ, its exe link is neither opened nor read;
 * one open a process, its environ. */
static void test_heap_floor_opens_only_the_environ_of_a_named_node(void **state) {
        (void) state;
        const char *cg = "/system.slice/app.service";
        char *root = node_root(true, cg, "/usr/bin/node", "--max-old-space-size=512", NULL);
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(node_heap_floor(h, cg), 512ULL << 20);        /* reads the process table */
        uint64_t opens = host_counters.opens;
        assert_int_equal(node_heap_floor(h, cg), 512ULL << 20);
        assert_int_equal(host_counters.opens - opens, 1);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flag_in_argv_above_memorymax),
                cmocka_unit_test(test_node_options_kept),
                cmocka_unit_test(test_default_v2_node18_and_node22),
                cmocka_unit_test(test_default_v1_node18_and_node22),
                cmocka_unit_test(test_limit_on_the_slice_only),
                cmocka_unit_test(test_no_memorymax_agrees_with_unit_memorymax),
                cmocka_unit_test(test_outside_a_unit_is_manual),
                cmocka_unit_test(test_malformed_flag_and_limit),
                cmocka_unit_test(test_no_node_is_skip),
                cmocka_unit_test(test_v8_default_and_flags),
                cmocka_unit_test(test_version_from_the_binary),
                cmocka_unit_test(test_binaries_read_once_as_the_table_grows),
                cmocka_unit_test(test_version_text_is_digits_only),
                cmocka_unit_test(test_version_at_the_end_of_the_binary_and_header_signs),
                cmocka_unit_test(test_version_dpkg_long_line),
                cmocka_unit_test(test_version_read_through_proc_exe),
                cmocka_unit_test(test_heap_floor_opens_only_the_environ_of_a_named_node),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
