/* SPDX-License-Identifier: MIT */
/* The process table of lib/host/host.c on fixture roots in the kernel's exact formats. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "text/cleanup.h"
#include "fixture-proc.h"
#include "host/host.h"
#include "host/host-parse.h"
#include "procs/proctree.h"

static const struct proc_table *load(const char *root, struct host **ret_h) {
        const struct proc_table *t;
        assert_int_equal(host_open(root, ret_h), 0);
        assert_int_equal(host_procs(*ret_h, &t), 0);
        return t;
}

static void test_helper_stat_has_52_fields(void **state) {
        struct fproc p[] = { { .pid = 42, .ppid = 1, .comm = "a b", .argv = { "x", NULL } } };
        char *root = fproc_root(p, 1);
        char *stat = fixture_read(root, "proc/42/stat");
        const char *s = strrchr(stat, ')') + 1;
        int fields = 2;
        for (; *s && *s != '\n'; s++)
                fields += *s == ' ';
        assert_int_equal(fields, 52);
        free(stat);
        fixture_remove(root);
}

static void test_comm_with_spaces_and_parens_parsed_from_last_paren(void **state) {
        struct fproc p[] = {
                FPROC_INIT,
                { .pid = 300, .ppid = 1, .comm = "x) (y z) 9 R", .argv = { "./weird", NULL }, .rss_pages = 2560, .oom = -17, .start = 777 },
        };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        const struct proc_table *t = load(root, &h);
        const struct proc *q = proc_table_find(t, 300);
        assert_non_null(q);
        assert_string_equal(q->comm, "x) (y z) 9 R");
        assert_int_equal(q->ppid, 1);
        assert_int_equal(q->state, 'S');
        assert_int_equal(q->rss_bytes, 2560ull * (uint64_t) sysconf(_SC_PAGESIZE));
        assert_int_equal(q->start_ticks, 777);
        assert_true(q->oom_known);
        assert_int_equal(q->oom_score_adj, -17);
        assert_false(q->kthread);
        host_free(h);
        fixture_remove(root);
}

static void test_kernel_thread_has_empty_argv_and_is_marked(void **state) {
        struct fproc p[] = { FPROC_INIT, FPROC_KTHREADD,
                { .pid = 37, .ppid = 2, .comm = "kworker/0:1-events", .argv = { NULL }, .kthread = 1 } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        const struct proc_table *t = load(root, &h);
        const struct proc *q = proc_table_find(t, 37);
        assert_non_null(q);
        assert_true(q->kthread);
        assert_int_equal(q->argv_len, 0);
        assert_int_equal(proc_argc(q), 0);
        assert_null(proc_arg(q, 0));
        /* the comm is cut at 15 bytes, as the kernel does */
        assert_string_equal(q->comm, "kworker/0:1-eve");
        assert_string_equal(proc_name(q), "kworker/0:1-eve");
        assert_false(proc_table_find(t, 1)->kthread);
        host_free(h);
        fixture_remove(root);
}

static void test_cmdline_nul_separated_words(void **state) {
        struct fproc p[] = { FPROC_INIT,
                { .pid = 500, .ppid = 1, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", "", "a b", NULL } } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        const struct proc_table *t = load(root, &h);
        const struct proc *q = proc_table_find(t, 500);
        assert_int_equal(proc_argc(q), 5);
        assert_string_equal(proc_arg(q, 1), "/app/node_modules/.bin/vite");
        assert_string_equal(proc_arg(q, 3), "");
        assert_string_equal(proc_arg(q, 4), "a b");
        assert_null(proc_arg(q, 5));
        assert_string_equal(proc_name(q), "node");
        host_free(h);
        fixture_remove(root);
}

static void test_node_rewritten_title_kept_whole(void **state) {
        /* process.title overwrites argv in place: the title, then NULs where the old argv was. */
        struct fproc p[] = { FPROC_INIT,
                { .pid = 901, .ppid = 1, .comm = "next-server (v1", .argv = { "next-server (v14.2.3)", "", "", "", NULL } },
                { .pid = 902, .ppid = 1, .comm = "npm run dev", .argv = { "npm run dev", "", NULL } } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        const struct proc_table *t = load(root, &h);
        const struct proc *q = proc_table_find(t, 901);
        assert_string_equal(q->comm, "next-server (v1");
        assert_string_equal(proc_arg(q, 0), "next-server (v14.2.3)");
        assert_string_equal(proc_name(q), "next-server (v14.2.3)");
        assert_int_equal(proc_classify(proc_table_find(t, 902)), PROC_PKG_RUNNER);
        host_free(h);
        fixture_remove(root);
}

static void test_cmdline_without_final_nul_is_terminated(void **state) {
        struct fproc p[] = { FPROC_INIT, { .pid = 77, .ppid = 1, .comm = "postgres", .argv = { NULL } } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        /* setproctitle() style: no NUL at the end */
        fixture_write(root, "proc/77/cmdline", "postgres: checkpointer");
        const struct proc_table *t = load(root, &h);
        const struct proc *q = proc_table_find(t, 77);
        assert_int_equal(proc_argc(q), 1);
        assert_string_equal(proc_arg(q, 0), "postgres: checkpointer");
        host_free(h);
        fixture_remove(root);
}

static void test_process_gone_between_readdir_and_open_is_left_out(void **state) {
        struct fproc p[] = { FPROC_INIT, { .pid = 60, .ppid = 1, .comm = "bash", .argv = { "bash", NULL } } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        fixture_mkdir(root, "proc/61");         /* an exited process: its dir listed, its files gone */
        fixture_mkdir(root, "proc/self");
        fixture_write(root, "proc/62", "not a directory");
        const struct proc_table *t = load(root, &h);
        assert_int_equal(t->n, 2);
        assert_null(proc_table_find(t, 61));
        assert_null(proc_table_find(t, 62));
        assert_non_null(proc_table_find(t, 60));
        host_free(h);
        fixture_remove(root);
}

static void test_malformed_stat_is_left_out(void **state) {
        struct fproc p[] = { FPROC_INIT,
                { .pid = 70, .ppid = 1, .comm = "a", .argv = { "a", NULL } },
                { .pid = 71, .ppid = 1, .comm = "b", .argv = { "b", NULL } },
                { .pid = 72, .ppid = 1, .comm = "c", .argv = { "c", NULL } } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        fixture_write(root, "proc/70/stat", "70 (a S 1 70 70 0 -1\n");    /* no closing paren */
        fixture_write(root, "proc/71/stat", "71 (b) S 1 70\n");          /* cut short */
        fixture_write(root, "proc/72/oom_score_adj", "lots\n");
        const struct proc_table *t = load(root, &h);
        assert_null(proc_table_find(t, 70));
        assert_null(proc_table_find(t, 71));
        const struct proc *q = proc_table_find(t, 72);
        assert_non_null(q);
        assert_false(q->oom_known);
        host_free(h);
        fixture_remove(root);
}

static void test_cgroup_unit_and_owner(void **state) {
        struct fproc p[] = { FPROC_INIT,
                { .pid = 80, .ppid = 1, .comm = "nginx", .argv = { "nginx", NULL }, .cgroup = "/system.slice/nginx.service" },
                { .pid = 81, .ppid = 1, .comm = "bash", .argv = { "-bash", NULL }, .uid = 1000,
                  .cgroup = "/user.slice/user-1000.slice/session-3.scope" } };
        struct host *h;
        char *root = fproc_root(p, ELEMENTSOF(p));
        const struct proc_table *t = load(root, &h);
        char *unit = NULL;
        assert_int_equal(proc_cgroup_unit(proc_table_find(t, 80), &unit), 0);
        assert_string_equal(unit, "nginx.service");
        free(unit);
        assert_true(proc_in_service(proc_table_find(t, 80)));
        assert_false(proc_in_service(proc_table_find(t, 81)));
        assert_int_equal(proc_table_find(t, 81)->uid, 1000);
        assert_int_equal(proc_classify(proc_table_find(t, 81)), PROC_SHELL);
        host_free(h);
        fixture_remove(root);
}

/* The numbers of stat are read as strtoll() reads them: the same lines accepted, the same values. */
static void test_stat_numbers_read_as_strtoll_reads_them(void **state) {
        static const char *const words[] = {
                "0", "7", "-5", "+12", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                "-9223372036854775809", "99999999999999999999", "-", "+", "x", "12x", "0x1f", "007", "\t3", "--1",
        };
        for (size_t w = 0; w < ELEMENTSOF(words); w++)
                for (int at = 4; at <= 24; at++) {
                        char line[512] = "42 (a b) S";
                        for (int i = 4; i <= 30; i++) {
                                size_t n = strlen(line);
                                snprintf(line + n, sizeof(line) - n, " %s", i == at ? words[w] : i == 9 ? "2097152" : "1");
                        }
                        /* The reference: strtoll on each field, as the parser did before. */
                        bool ok = true;
                        long long value = 0;
                        const char *s = strrchr(line, ')') + 3;
                        for (int i = 4; i <= 24 && ok; i++) {
                                char *end;
                                errno = 0;
                                long long v = strtoll(s + 1, &end, 10);
                                ok = *s == ' ' && end != s + 1 && errno == 0;
                                if (i == at)
                                        value = v;
                                s = end;
                        }
                        struct proc p = { 0 };
                        int r = host_parse_stat(line, &p);
                        assert_int_equal(r == 0, ok);
                        if (!ok)
                                continue;
                        uint64_t got = at == 4 ? (uint64_t) (unsigned) p.ppid : at == 9 ? p.kthread :
                                       at == 22 ? p.start_ticks : at == 24 ? p.rss_bytes : 1;
                        uint64_t want = at == 4 ? (uint64_t) (unsigned) (pid_t) value : at == 9 ? (value & 0x00200000) != 0 :
                                        at == 22 ? (uint64_t) value :
                                        at == 24 ? (uint64_t) value * (uint64_t) sysconf(_SC_PAGESIZE) : 1;
                        assert_int_equal(got, want);
                        assert_string_equal(p.comm, "a b");
                }
}

/* The running system's table (on procfs the files are opened without crossing a mount and not
 * fstat()ed) holds this process as the kernel shows it. */
static void test_live_table_holds_this_process(void **state) {
        struct host *h;
        const struct proc_table *t = load("/", &h);
        const struct proc *me = proc_table_find(t, getpid());
        assert_non_null(me);
        assert_int_equal(me->ppid, getppid());
        assert_int_equal(me->uid, geteuid());
        assert_false(me->kthread);
        /* The kernel's word for it, read as hostfit reads it (PID/cmdline under a /proc
         * descriptor): qemu-user answers a path naming its own process with the guest's
         * view, and hostfit is shown the emulator's. */
        char path[32], argv0[4096] = "";
        snprintf(path, sizeof(path), "%d/cmdline", (int) getpid());
        int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(pfd >= 0);
        int fd = openat(pfd, path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(read(fd, argv0, sizeof(argv0) - 1) > 0);
        close(fd);
        close(pfd);
        assert_string_equal(proc_arg(me, 0), argv0);
        char *text = fixture_read("/", "proc/self/oom_score_adj");
        assert_true(me->oom_known);
        assert_int_equal(me->oom_score_adj, atoi(text));
        free(text);
        text = fixture_read("/", "proc/self/cgroup");
        char *cg = host_parse_cgroup(text);
        assert_string_equal(me->cgroup ? me->cgroup : "(none)", cg ? cg : "(none)");
        free(cg);
        free(text);
        for (size_t i = 1; i < t->n; i++)
                assert_true(t->procs[i - 1].pid < t->procs[i].pid);
        host_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_helper_stat_has_52_fields),
                cmocka_unit_test(test_comm_with_spaces_and_parens_parsed_from_last_paren),
                cmocka_unit_test(test_kernel_thread_has_empty_argv_and_is_marked),
                cmocka_unit_test(test_cmdline_nul_separated_words),
                cmocka_unit_test(test_node_rewritten_title_kept_whole),
                cmocka_unit_test(test_cmdline_without_final_nul_is_terminated),
                cmocka_unit_test(test_process_gone_between_readdir_and_open_is_left_out),
                cmocka_unit_test(test_malformed_stat_is_left_out),
                cmocka_unit_test(test_stat_numbers_read_as_strtoll_reads_them),
                cmocka_unit_test(test_live_table_holds_this_process),
                cmocka_unit_test(test_cgroup_unit_and_owner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
