/* SPDX-License-Identifier: MIT */
/* The host view: root-relative reads, meminfo, libmount tables, escapes. */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "text/cleanup.h"
#include "fixture.h"
#include "host/host.h"
#include "host/host-parse.h"
#include "host/memcg.h"
#include "host/passwd.h"
#include "host/resolve.h"

static struct host *open_fixture(const char *root) {
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        return h;
}

static void test_meminfo_parsed_in_bytes(void **state) {
        char *root = fixture_copy("host-basic");
        struct host *h = open_fixture(root);
        const struct host_meminfo *m;
        assert_int_equal(host_meminfo(h, &m), 0);
        assert_int_equal(m->mem_total, 8136892ULL * 1024);
        assert_int_equal(m->mem_available, 5120340ULL * 1024);
        assert_int_equal(m->swap_total, 2097148ULL * 1024);
        host_free(h);
        fixture_remove(root);
}

static void test_meminfo_without_memtotal_is_malformed(void **state) {
        char *root = fixture_new();
        fixture_write(root, "proc/meminfo", "MemFree:         3911208 kB\nSwapTotal:             0 kB\n");
        struct host *h = open_fixture(root);
        const struct host_meminfo *m;
        assert_int_equal(host_meminfo(h, &m), -ENODATA);
        host_free(h);
        fixture_remove(root);
}

static void test_meminfo_garbage_value_is_malformed(void **state) {
        char *root = fixture_new();
        fixture_write(root, "proc/meminfo", "MemTotal:        lots kB\n");
        struct host *h = open_fixture(root);
        const struct host_meminfo *m;
        assert_int_equal(host_meminfo(h, &m), -ENODATA);
        host_free(h);
        fixture_remove(root);
}

static void test_meminfo_missing_is_enoent(void **state) {
        char *root = fixture_new();
        struct host *h = open_fixture(root);
        const struct host_meminfo *m;
        assert_int_equal(host_meminfo(h, &m), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

static void test_swaps_unmangles_names(void **state) {
        char *root = fixture_copy("host-basic");
        struct host *h = open_fixture(root);
        struct libmnt_table *tb;
        assert_int_equal(host_swaps(h, &tb), 0);
        assert_int_equal(mnt_table_get_nents(tb), 1);
        struct libmnt_fs *fs;
        assert_int_equal(mnt_table_first_fs(tb, &fs), 0);
        assert_string_equal(mnt_fs_get_source(fs), "/swap file");
        assert_string_equal(mnt_fs_get_swaptype(fs), "file");
        assert_int_equal(mnt_fs_get_size(fs), 2097148);
        assert_int_equal(mnt_fs_get_priority(fs), -2);
        host_free(h);
        fixture_remove(root);
}

static void test_swaps_header_only_is_empty(void **state) {
        char *root = fixture_new();
        fixture_write(root, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        struct host *h = open_fixture(root);
        struct libmnt_table *tb;
        assert_int_equal(host_swaps(h, &tb), 0);
        assert_int_equal(mnt_table_get_nents(tb), 0);
        host_free(h);
        fixture_remove(root);
}

static void test_fstab_keeps_entries_and_missing_is_empty(void **state) {
        char *root = fixture_copy("host-basic");
        struct host *h = open_fixture(root);
        struct libmnt_table *tb;
        assert_int_equal(host_fstab(h, &tb), 0);
        assert_int_equal(mnt_table_get_nents(tb), 2);
        struct libmnt_fs *fs = mnt_table_find_target(tb, "/", MNT_ITER_FORWARD);
        assert_non_null(fs);
        assert_string_equal(mnt_fs_get_fstype(fs), "ext4");
        host_free(h);
        fixture_remove(root);

        root = fixture_new();
        h = open_fixture(root);
        assert_int_equal(host_fstab(h, &tb), 0);
        assert_int_equal(mnt_table_get_nents(tb), 0);
        host_free(h);
        fixture_remove(root);
}

static void test_unreadable_swaps_is_an_error_not_a_crash(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "proc/swaps");
        struct host *h = open_fixture(root);
        struct libmnt_table *tb;
        assert_true(host_swaps(h, &tb) < 0);
        host_free(h);
        fixture_remove(root);
}

static void test_symlink_cannot_leave_the_root(void **state) {
        char *root = fixture_new();
        char *outside = fixture_new();
        fixture_write(outside, "secret", "outside\n");
        char *target;
        assert_true(asprintf(&target, "%s/secret", outside) > 0);
        fixture_symlink(root, target, "etc/abs-link");
        fixture_symlink(root, "../../../../../../secret", "etc/rel-link");
        fixture_write(root, "secret", "inside\n");
        struct host *h = open_fixture(root);
        char *text = NULL;
        size_t len;
        /* Resolved inside the root: an absolute link points at ROOT/... */
        int r = host_read_file(h, "/etc/abs-link", 1024, &text, &len);
        assert_int_equal(r, -ENOENT);
        assert_int_equal(host_read_file(h, "/etc/rel-link", 1024, &text, &len), 0);
        assert_string_equal(text, "inside\n");
        free(text);
        free(target);
        host_free(h);
        fixture_remove(root);
        fixture_remove(outside);
}

/* The walk by hand (kernels without openat2, qemu-user): the same proof as above, and more. */
static void test_by_hand_walk_cannot_leave_the_root(void **state) {
        resolve_force_by_hand(true);
        test_symlink_cannot_leave_the_root(state);
        char *root = fixture_new();
        char *outside = fixture_new();
        fixture_write(outside, "secret", "outside\n");
        fixture_write(root, "etc/shadow", "root-of-the-image:*:19000::::::\n");
        fixture_write(root, "secret", "inside\n");
        fixture_symlink(root, "/etc/shadow", "etc/pw");
        fixture_symlink(root, "../../../../../../etc/shadow", "var/rel-shadow");
        fixture_symlink(root, "../../..", "var/lib/up");
        fixture_symlink(root, outside, "var/out");
        fixture_symlink(root, "loop", "var/loop");
        struct host *h = open_fixture(root);
        char *text = NULL;
        size_t len;
        /* An absolute link is the root's file, never the outer host's. */
        assert_int_equal(host_read_file(h, "/etc/pw", 1024, &text, &len), 0);
        assert_string_equal(text, "root-of-the-image:*:19000::::::\n");
        free(text);
        assert_int_equal(host_read_file(h, "/var/rel-shadow", 1024, &text, &len), 0);
        assert_string_equal(text, "root-of-the-image:*:19000::::::\n");
        free(text);
        /* ".." is clamped at the root, through a link in the middle of the path too. */
        assert_int_equal(host_read_file(h, "/var/lib/up/../../secret", 1024, &text, &len), 0);
        assert_string_equal(text, "inside\n");
        free(text);
        assert_int_equal(host_read_file(h, "/../../../../secret", 1024, &text, &len), 0);
        assert_string_equal(text, "inside\n");
        free(text);
        /* A directory link to the outer host resolves inside the root, where nothing is. */
        assert_int_equal(host_read_file(h, "/var/out/secret", 1024, &text, &len), -ENOENT);
        assert_int_equal(host_read_file(h, "/var/loop", 1024, &text, &len), -ELOOP);
        /* O_NOFOLLOW still refuses a link as the last component. */
        assert_int_equal(host_open_file(h, "/etc/pw", O_RDONLY | O_NOFOLLOW), -ELOOP);
        host_free(h);
        resolve_force_by_hand(false);
        fixture_remove(root);
        fixture_remove(outside);
}

/* A chain of links: 40 are followed (the kernel's MAXSYMLINKS), the 41st is -ELOOP. */
static void test_by_hand_walk_bounds_symlinks(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/end", "end\n");
        char name[32], target[32];
        for (int i = 0; i <= RESOLVE_MAX_SYMLINKS; i++) {
                snprintf(name, sizeof(name), "etc/l%d", i);
                if (i == 0)
                        snprintf(target, sizeof(target), "end");
                else
                        snprintf(target, sizeof(target), "/etc/l%d", i - 1);
                fixture_symlink(root, target, name);
        }
        int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root_fd >= 0);
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        snprintf(name, sizeof(name), "etc/l%d", RESOLVE_MAX_SYMLINKS - 1);
        int fd = resolve_by_hand(root_fd, name, &how);
        assert_true(fd >= 0);
        close(fd);
        snprintf(name, sizeof(name), "etc/l%d", RESOLVE_MAX_SYMLINKS);
        assert_int_equal(resolve_by_hand(root_fd, name, &how), -ELOOP);
        close(root_fd);
        fixture_remove(root);
}

/* The walk by hand answers as the kernel's openat2 does, path by path and mode by mode. */
static void test_by_hand_walk_matches_openat2(void **state) {
        char *root = fixture_new();
        char *outside = fixture_new();
        fixture_write(outside, "secret", "outside\n");
        fixture_write(root, "etc/shadow", "inside\n");
        fixture_write(root, "secret", "inside\n");
        fixture_mkdir(root, "var/lib/hostfit");
        fixture_symlink(root, "/etc/shadow", "etc/pw");
        fixture_symlink(root, "../etc", "var/etc");
        fixture_symlink(root, "../../..", "var/lib/up");
        fixture_symlink(root, outside, "var/out");
        fixture_symlink(root, "loop", "var/loop");
        fixture_symlink(root, "/proc/self/root/etc/shadow", "var/magic");
        static const char *const paths[] = {
                "etc/shadow", "etc/pw", "/etc/pw", "var/etc/shadow", "var/etc/pw", "var/lib/up/secret",
                "var/lib/up/../secret", "../secret", "/../../secret", "var/out/secret", "var/out",
                "var/loop", "var/magic", "etc/shadow/x", "etc/missing", "var/lib/hostfit", ".", "",
                "var/lib/hostfit/../../../etc/shadow", "var//etc/./shadow", "etc/shadow/", "var/etc/",
                "var/etc//", "var/lib/up/", "var/loop/", "etc/pw/", "var/lib/hostfit/.", "var/lib/hostfit/..",
        };
        static const struct { uint64_t flags, resolve; } modes[] = {
                { O_RDONLY, RESOLVE_IN_ROOT },
                { O_RDONLY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS },
                { O_RDONLY | O_NOFOLLOW, RESOLVE_IN_ROOT },
                { O_PATH | O_NOFOLLOW, RESOLVE_IN_ROOT },
                { O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT },
                { O_RDONLY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS },
                { O_RDONLY, RESOLVE_BENEATH },
                { O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS },
        };
        int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(root_fd >= 0);
        struct open_how probe = { .flags = O_PATH, .resolve = RESOLVE_IN_ROOT };
        if (syscall(SYS_openat2, root_fd, ".", &probe, sizeof(probe)) < 0 && errno == ENOSYS) {
                close(root_fd);
                fixture_remove(root);
                fixture_remove(outside);
                print_message("skip: no openat2 here (ENOSYS) to compare the by-hand walk with\n");
                skip();
        }
        for (size_t m = 0; m < ELEMENTSOF(modes); m++)
                for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                        struct open_how how = { .flags = modes[m].flags | O_CLOEXEC, .resolve = modes[m].resolve };
                        long k = syscall(SYS_openat2, root_fd, paths[i], &how, sizeof(how));
                        int kernel = k < 0 ? -errno : (int) k;
                        int hand = resolve_by_hand(root_fd, paths[i], &how);
                        if ((kernel < 0) != (hand < 0) || (kernel < 0 && kernel != hand))
                                fail_msg("%s (mode %zu): kernel %d, by hand %d", paths[i], m, kernel, hand);
                        if (kernel >= 0) {
                                struct stat a, b;
                                assert_int_equal(fstat(kernel, &a), 0);
                                assert_int_equal(fstat(hand, &b), 0);
                                if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                                        fail_msg("%s (mode %zu): not the same file", paths[i], m);
                                close(kernel);
                                close(hand);
                        }
                }
        close(root_fd);
        fixture_remove(root);
        fixture_remove(outside);
}

static void test_read_file_bounds_size(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/big", "0123456789abcdef");
        struct host *h = open_fixture(root);
        char *text = NULL;
        size_t len;
        assert_int_equal(host_read_file(h, "/etc/big", 8, &text, &len), -EFBIG);
        assert_int_equal(host_read_file(h, "/etc/big", 16, &text, &len), 0);
        assert_int_equal(len, 16);
        free(text);
        assert_int_equal(host_read_file(h, "/etc", 16, &text, &len), -EISDIR);
        host_free(h);
        fixture_remove(root);
}

static void test_statfs_walks_up_to_existing_parent(void **state) {
        char *root = fixture_new();
        struct host *h = open_fixture(root);
        struct statfs a, b;
        assert_int_equal(host_statfs(h, "/no/such/dir/swapfile", &a), 0);
        assert_int_equal(statfs(root, &b), 0);
        assert_int_equal(a.f_type, b.f_type);
        host_free(h);
        fixture_remove(root);
}

static void test_open_missing_root_fails(void **state) {
        struct host *h = NULL;
        assert_int_equal(host_open("/nonexistent-hostfit-root", &h), -ENOENT);
        assert_null(h);
        assert_int_equal(host_open("/etc/hostname", &h), -ENOTDIR);
}

static void test_live_root_is_detected(void **state) {
        struct host *h = open_fixture("/");
        assert_true(host_is_live(h));
        host_free(h);
        char *root = fixture_new();
        h = open_fixture(root);
        assert_false(host_is_live(h));
        host_free(h);
        fixture_remove(root);
}

static void test_uptime_and_process_age(void **state) {
        char *root = fixture_copy("host-basic");
        struct host *h = open_fixture(root);
        double up;
        assert_int_equal(host_uptime(h, &up), 0);
        assert_true(up > 12345.6 && up < 12345.7);
        long hz = sysconf(_SC_CLK_TCK);
        struct proc p = { .start_ticks = (uint64_t) (345 * hz) };
        double age = host_proc_age(h, &p);
        assert_true(age > 11999 && age < 12001);
        host_free(h);
        fixture_remove(root);
}

static void make_fifo(const char *root, const char *path) {
        char *p;
        assert_true(asprintf(&p, "%s/%s", root, path) > 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        free(p);
}

/* A FIFO where a file is expected, in /etc or an image's /proc: read at once, never waited on. */
static void test_fifo_is_refused_not_waited_on(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "etc");
        make_fifo(root, "etc/fstab");
        fixture_write(root, "proc/meminfo", "MemTotal:        8000000 kB\n");
        fixture_write(root, "proc/100/stat", "100 (ok) S 1 100 100 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 10\n");
        make_fifo(root, "proc/100/cmdline");
        make_fifo(root, "proc/100/cgroup");
        fixture_mkdir(root, "proc/200");
        make_fifo(root, "proc/200/stat");
        make_fifo(root, "proc/100/environ");
        struct host *h;
        assert_int_equal(host_open(root, &h), 0);
        alarm(FIXTURE_HANG_BOUND_S);
        char *text = NULL;
        char buf[128];
        int r = host_read_file(h, "/etc/fstab", 4096, &text, NULL);
        assert_int_equal(r, -ENXIO);
        assert_string_equal(host_read_error(h, "/etc/fstab", r, buf, sizeof(buf)), "it is a FIFO, not a regular file");
        FILE *f = NULL;
        assert_int_equal(host_fopen(h, "/etc/fstab", &f), -ENXIO);
        struct libmnt_table *tb;
        assert_true(host_fstab(h, &tb) < 0);
        const struct proc_table *t;
        assert_int_equal(host_procs(h, &t), 0);
        assert_int_equal(t->n, 1);      /* 200's stat is a FIFO: left out */
        assert_int_equal(t->procs[0].pid, 100);
        assert_int_equal(t->procs[0].argv_len, 0);
        assert_null(t->procs[0].cgroup);
        assert_int_equal(host_proc_open(h, 100, "environ", O_RDONLY), -ENXIO);
        assert_int_equal(host_proc_fopen(h, 100, "environ", &f), -ENXIO);
        alarm(0);
        host_free(h);
        fixture_remove(root);
}

/* A FIFO at ROOT/proc/uptime: every process's age is unknown, nothing waits. */
static void test_fifo_at_uptime_is_an_error_not_a_hang(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "proc");
        make_fifo(root, "proc/uptime");
        struct host *h = open_fixture(root);
        double up = -1;
        alarm(FIXTURE_HANG_BOUND_S);
        assert_int_equal(host_uptime(h, &up), -ENXIO);
        struct proc p = { .start_ticks = 100 };
        assert_true(host_proc_age(h, &p) == 0);
        alarm(0);
        assert_true(up == -1);
        host_free(h);
        fixture_remove(root);
}

static void test_uptime_garbage_is_malformed(void **state) {
        char *root = fixture_new();
        fixture_write(root, "proc/uptime", "nan 3.0\n");
        struct host *h = open_fixture(root);
        double up;
        assert_int_equal(host_uptime(h, &up), -ENODATA);
        host_free(h);
        fixture_remove(root);
}

/* A sparse file of 1 TiB where a config is expected: refused by its size, not read. */
static void test_huge_sparse_file_is_refused_by_size(void **state) {
        char *root = fixture_new(), *p;
        fixture_write(root, "etc/fstab", "");
        assert_true(asprintf(&p, "%s/etc/fstab", root) > 0);
        assert_int_equal(truncate(p, (off_t) 1 << 40), 0);
        free(p);
        struct host *h = open_fixture(root);
        char *text = NULL, buf[128];
        FILE *f = NULL;
        alarm(FIXTURE_HANG_BOUND_S);
        int r = host_read_file(h, "/etc/fstab", 1 << 20, &text, NULL);
        assert_int_equal(r, -EFBIG);
        assert_string_equal(host_read_error(h, "/etc/fstab", r, buf, sizeof(buf)), "larger than hostfit reads");
        assert_int_equal(host_fopen(h, "/etc/fstab", &f), -EFBIG);
        struct libmnt_table *tb;
        assert_int_equal(host_fstab(h, &tb), -EFBIG);
        alarm(0);
        host_free(h);
        fixture_remove(root);
}

/* A character device (the kernel's zero device) where a file is expected: never opened for reading. */
static void test_device_node_is_refused(void **state) {
        if (geteuid() != 0)
                skip();         /* mknod needs CAP_MKNOD */
        char *root = fixture_new(), *p;
        fixture_mkdir(root, "etc");
        fixture_mkdir(root, "proc/100");
        assert_true(asprintf(&p, "%s/etc/fstab", root) > 0);
        assert_int_equal(mknod(p, S_IFCHR | 0644, makedev(1, 5)), 0);
        free(p);
        assert_true(asprintf(&p, "%s/proc/100/maps", root) > 0);
        assert_int_equal(mknod(p, S_IFCHR | 0644, makedev(1, 5)), 0);
        free(p);
        struct host *h = open_fixture(root);
        char *text = NULL, buf[128];
        FILE *f = NULL;
        alarm(FIXTURE_HANG_BOUND_S);
        int r = host_read_file(h, "/etc/fstab", 1 << 20, &text, NULL);
        assert_int_equal(r, -ENXIO);
        assert_string_equal(host_read_error(h, "/etc/fstab", r, buf, sizeof(buf)), "it is a character device, not a regular file");
        assert_int_equal(host_fopen(h, "/etc/fstab", &f), -ENXIO);
        assert_int_equal(host_open_regular(h, "/etc/fstab", NULL), -ENXIO);
        assert_int_equal(host_proc_fopen(h, 100, "maps", &f), -ENXIO);
        alarm(0);
        host_free(h);
        fixture_remove(root);
}

/* host_fopen() hands a stream over a bounded copy: what it gives is the file, whole. */
static void test_fopen_streams_the_bounded_copy(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/group", "root:x:0:\ndev:x:1000:\n");
        struct host *h = open_fixture(root);
        FILE *f = NULL;
        char line[64];
        assert_int_equal(host_fopen(h, "/etc/group", &f), 0);
        assert_non_null(fgets(line, sizeof(line), f));
        assert_string_equal(line, "root:x:0:\n");
        assert_non_null(fgets(line, sizeof(line), f));
        assert_string_equal(line, "dev:x:1000:\n");
        assert_null(fgets(line, sizeof(line), f));
        assert_false(ferror(f));
        fclose(f);
        host_free(h);
        fixture_remove(root);
}

/* The run's read budget bounds the sum of files, each under its own bound. */
static void test_run_budget_bounds_the_sum_of_reads(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/a", "0123456789");
        struct host *h = open_fixture(root);
        host_set_read_budget(h, 25);
        char *text = NULL, buf[128];
        size_t len;
        for (int i = 0; i < 2; i++) {
                assert_int_equal(host_read_file(h, "/etc/a", 64, &text, &len), 0);
                assert_int_equal(len, 10);
                free(text);
        }
        int r = host_read_file(h, "/etc/a", 64, &text, &len);
        assert_int_equal(r, -ENOBUFS);
        assert_string_equal(host_read_error(h, "/etc/a", r, buf, sizeof(buf)), "past what hostfit reads in one run");
        assert_int_equal(host_read_charge(h, 1), -ENOBUFS);
        host_free(h);
        fixture_remove(root);
}

/* passwd and group through libc's parsers, on the root's files, never the host's NSS. */
static void test_passwd_and_group_parsed_by_libc(void **state) {
        char *root = fixture_new(), gecos[6000];
        memset(gecos, 'g', sizeof(gecos) - 1);
        gecos[sizeof(gecos) - 1] = 0;
        char *text;
        assert_true(asprintf(&text, "root:x:0:0:root:/root:/bin/bash\n"
                             "# a comment\n"
                             "broken:x:notanumber:0::/home/broken:/bin/sh\n"
                             "short:x:5\n"
                             "+nisuser::::::\n"
                             "rel:x:1001:1001::home/rel:/bin/sh\n"
                             "long:x:1002:1002:%s:/home/long:/bin/zsh\n"
                             "dev:x:1000:1000:Dev:/home/dev:/bin/zsh\n", gecos) > 0);
        fixture_write(root, "etc/passwd", text);
        free(text);
        fixture_write(root, "etc/group", "root:x:0:\n+:::\nwww-data:x:33:\ndev:x:1000:alice,bob\n");
        struct host *h = open_fixture(root);
        struct passwd_table t = {};
        assert_int_equal(passwd_load(h, &t), 0);
        assert_int_equal(t.n, 3);
        assert_string_equal(t.e[0].name, "root");
        assert_string_equal(t.e[1].name, "long");         /* a line longer than libc's first buffer */
        assert_string_equal(t.e[1].home, "/home/long");
        const struct passwd_entry *e = passwd_by_uid(&t, 1000);
        assert_non_null(e);
        assert_string_equal(e->home, "/home/dev");
        assert_string_equal(e->shell, "/bin/zsh");
        assert_int_equal(e->gid, 1000);
        assert_null(passwd_by_uid(&t, 1001));
        passwd_done(&t);
        char *name = NULL;
        assert_int_equal(passwd_group_name(h, 33, &name), 0);
        assert_string_equal(name, "www-data");
        free(name);
        assert_int_equal(passwd_group_name(h, 4242, &name), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

static void test_passwd_fifo_is_refused(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "etc");
        make_fifo(root, "etc/passwd");
        make_fifo(root, "etc/group");
        struct host *h = open_fixture(root);
        struct passwd_table t = {};
        char *name = NULL;
        alarm(FIXTURE_HANG_BOUND_S);
        assert_int_equal(passwd_load(h, &t), -ENXIO);
        assert_int_equal(passwd_group_name(h, 0, &name), -ENXIO);
        alarm(0);
        host_free(h);
        fixture_remove(root);
}

/* Where the root has no /sys/fs/cgroup (an offline image, a fixture), that is learnt once
 * a run: no cgroup file is looked for, however many units ask (counted, not timed). Where
 * the tree exists its files are read, once each. */
static void test_cgroup_files_not_looked_for_without_a_tree(void **state) {
        (void) state;
        char *root = fixture_new();
        char cg[64];
        fixture_write(root, "/proc/uptime", "100.00 50.00\n");
        struct host *h = open_fixture(root);
        uint64_t before = host_counters.opens;
        for (int i = 0; i < 200; i++) {
                snprintf(cg, sizeof(cg), "/system.slice/u%d.service", i);
                assert_int_equal(memcg_limit(h, cg, "memory.current"), 0);
                assert_int_equal(memcg_limit(h, cg, "memory.peak"), 0);
        }
        assert_int_equal(memcg_mode(h), MEMCG_UNKNOWN);
        assert_true(host_counters.opens - before <= 1);
        host_free(h);
        fixture_write(root, "/sys/fs/cgroup/system.slice/u1.service/memory.current", "4096\n");
        fixture_write(root, "/sys/fs/cgroup/system.slice/u2.service/memory.peak", "max\n");
        h = open_fixture(root);
        assert_int_equal(memcg_limit(h, "/system.slice/u1.service", "memory.current"), 4096);
        assert_int_equal(memcg_limit(h, "/system.slice/u2.service", "memory.peak"), MEMCG_NO_LIMIT);
        assert_int_equal(memcg_limit(h, "/system.slice/u3.service", "memory.peak"), 0);
        before = host_counters.opens;
        assert_int_equal(memcg_limit(h, "/system.slice/u1.service", "memory.current"), 4096);
        assert_int_equal(host_counters.opens, before);  /* read once a run */
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_meminfo_parsed_in_bytes),
                cmocka_unit_test(test_meminfo_without_memtotal_is_malformed),
                cmocka_unit_test(test_meminfo_garbage_value_is_malformed),
                cmocka_unit_test(test_meminfo_missing_is_enoent),
                cmocka_unit_test(test_swaps_unmangles_names),
                cmocka_unit_test(test_swaps_header_only_is_empty),
                cmocka_unit_test(test_fstab_keeps_entries_and_missing_is_empty),
                cmocka_unit_test(test_unreadable_swaps_is_an_error_not_a_crash),
                cmocka_unit_test(test_symlink_cannot_leave_the_root),
                cmocka_unit_test(test_by_hand_walk_cannot_leave_the_root),
                cmocka_unit_test(test_by_hand_walk_bounds_symlinks),
                cmocka_unit_test(test_by_hand_walk_matches_openat2),
                cmocka_unit_test(test_read_file_bounds_size),
                cmocka_unit_test(test_fifo_at_uptime_is_an_error_not_a_hang),
                cmocka_unit_test(test_uptime_garbage_is_malformed),
                cmocka_unit_test(test_huge_sparse_file_is_refused_by_size),
                cmocka_unit_test(test_device_node_is_refused),
                cmocka_unit_test(test_fopen_streams_the_bounded_copy),
                cmocka_unit_test(test_run_budget_bounds_the_sum_of_reads),
                cmocka_unit_test(test_passwd_and_group_parsed_by_libc),
                cmocka_unit_test(test_passwd_fifo_is_refused),
                cmocka_unit_test(test_statfs_walks_up_to_existing_parent),
                cmocka_unit_test(test_open_missing_root_fails),
                cmocka_unit_test(test_live_root_is_detected),
                cmocka_unit_test(test_uptime_and_process_age),
                cmocka_unit_test(test_fifo_is_refused_not_waited_on),
                cmocka_unit_test(test_cgroup_files_not_looked_for_without_a_tree),
        };
        return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
