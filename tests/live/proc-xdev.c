/* SPDX-License-Identifier: MIT */
/* The process table when something is bind-mounted over a live process's /proc files, as
 * container runtimes and LXCFS do: openat2(RESOLVE_NO_XDEV) refuses the crossed mount (EXDEV)
 * and lib/host/proc-read.c falls back to openat() with O_NOFOLLOW and an fstat(): a regular file
 * is read, a FIFO or a device is not (never waited on), a symlink is not followed out, and the
 * rest of the table is read as before. Needs root: it runs in a private mount namespace of its
 * own (unshare), so every mount goes with the process, whatever happens. Run by
 * tests/live/proc-xdev.sh, never by the unit layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "host/host.h"

#define MOUNTS_MAX 4

static const char *ns_error;    /* why there is no private mount namespace: every test skips */

struct live {
        pid_t child;
        char *dir;
        char *mounts[MOUNTS_MAX];
        size_t n_mounts;
};

/* A child that only waits to be killed, and dies with the test if it crashes. */
static pid_t spawn_child(void) {
        pid_t parent = getpid();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                for (;;)
                        pause();
        }
        return pid;
}

static int live_setup(void **state) {
        struct live *l = calloc(1, sizeof(*l));
        assert_non_null(l);
        l->dir = fixture_new();
        *state = l;
        return 0;
}

static int live_teardown(void **state) {
        struct live *l = *state;
        while (l->n_mounts > 0) {
                char *m = l->mounts[--l->n_mounts];
                (void) umount2(m, MNT_DETACH);
                free(m);
        }
        if (l->child > 0) {
                kill(l->child, SIGKILL);
                waitpid(l->child, NULL, 0);
        }
        fixture_remove(l->dir);
        free(l);
        return 0;
}

/* /proc/CHILD/NAME */
static char *proc_path(pid_t pid, const char *name) {
        char *p;
        assert_true(asprintf(&p, "/proc/%d%s%s", (int) pid, *name ? "/" : "", name) > 0);
        return p;
}

/* Bind-mounts SRC over /proc/CHILD/NAME (NAME "" for the directory itself). */
static void bind_over(struct live *l, const char *src, const char *name) {
        assert_true(l->n_mounts < MOUNTS_MAX);
        char *target = proc_path(l->child, name);
        if (mount(src, target, NULL, MS_BIND, NULL) < 0)
                fail_msg("mount --bind %s %s: %s", src, target, strerror(errno));
        l->mounts[l->n_mounts++] = target;
}

/* The kernel refuses /proc/PID/NAME under RESOLVE_NO_XDEV now, as the fallback expects;
 * skips when this kernel has no openat2 (the fallback is then the only path). */
static void expect_kernel_refuses(pid_t pid, const char *name) {
        int dfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, .resolve = RESOLVE_NO_XDEV };
        char rel[64];
        snprintf(rel, sizeof(rel), "%d%s%s", (int) pid, *name ? "/" : "", name);
        if (!*name)
                how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
        long fd = syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
        int e = errno;
        close(dfd);
        if (fd < 0 && e == ENOSYS) {
                print_message("no openat2 on this kernel: the fallback is the only path\n");
                skip();
        }
        if (fd >= 0)
                close((int) fd);
        assert_true(fd < 0);
        assert_int_equal(e, EXDEV);
}

/* The process table of a fresh host view of this machine: *RET_HOST to free. */
static const struct proc_table *procs_now(struct host **ret_host) {
        assert_int_equal(host_open("/", ret_host), 0);
        assert_true(host_is_live(*ret_host));
        const struct proc_table *t = NULL;
        alarm(FIXTURE_HANG_BOUND_S);    /* a FIFO waited on would hang here */
        int r = host_procs(*ret_host, &t);
        alarm(0);
        if (r < 0)
                fail_msg("host_procs: %s (a mount crossed must not fail the table)", strerror(-r));
        /* The rest of the table is read as before: this process, with its argv. */
        const struct proc *self = proc_table_find(t, getpid());
        assert_non_null(self);
        assert_true(self->argv_len > 0);
        return t;
}

/* The test directory's FILE: the child's stat with its comm replaced by COMM, as the kernel
 * formats it. */
static void write_stat(const struct live *l, const char *file, const char *comm) {
        char *path = proc_path(l->child, "stat"), buf[1024];
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        free(path);
        buf[n] = '\0';
        char *close = strrchr(buf, ')'), *text;
        assert_non_null(close);
        assert_true(asprintf(&text, "%d (%s%s", (int) l->child, comm, close) > 0);
        fixture_write(l->dir, file, text);
        free(text);
}

/* The test's child, in a private mount namespace (else the test skips). */
static struct live *start(void **state) {
        struct live *l = *state;
        if (ns_error)
                skip();
        l->child = spawn_child();
        return l;
}

/* Bind-mounts the test directory's FILE over /proc/CHILD/NAME, which the kernel then refuses
 * under RESOLVE_NO_XDEV. */
static void bind_refused(struct live *l, const char *file, const char *name) {
        char *src;
        assert_true(asprintf(&src, "%s/%s", l->dir, file) > 0);
        bind_over(l, src, name);
        free(src);
        expect_kernel_refuses(l->child, name);
}

/* The child in a fresh process table (NULL when left out); *RET_HOST to free. */
static const struct proc *child_now(const struct live *l, struct host **ret_host) {
        return proc_table_find(procs_now(ret_host), l->child);
}

/* A regular file over cmdline: refused by RESOLVE_NO_XDEV, then read through the fallback. */
static void test_regular_file_over_cmdline_is_read_through_fallback(void **state) {
        struct live *l = start(state);
        fixture_write_len(l->dir, "cmdline", "fake\0--flag\0", 12);
        bind_refused(l, "cmdline", "cmdline");
        struct host *h;
        const struct proc *p = child_now(l, &h);
        assert_non_null(p);
        assert_int_equal(proc_argc(p), 2);
        assert_string_equal(proc_arg(p, 0), "fake");
        assert_string_equal(proc_arg(p, 1), "--flag");
        host_free(h);
}

/* A regular file over stat: the process is read from it, not dropped, and the table is whole. */
static void test_regular_file_over_stat_is_read_through_fallback(void **state) {
        struct live *l = start(state);
        write_stat(l, "stat", "bound-stat");
        bind_refused(l, "stat", "stat");
        struct host *h;
        const struct proc *p = child_now(l, &h);
        assert_non_null(p);
        assert_string_equal(p->comm, "bound-stat");
        assert_int_equal(p->ppid, getpid());
        assert_true(p->argv_len > 0);   /* its own cmdline, still procfs's */
        host_free(h);
}

/* A device over cmdline (/dev/zero: endless NULs): fstat()ed and not read, no argv. */
static void test_device_over_cmdline_is_not_read(void **state) {
        struct live *l = start(state);
        bind_over(l, "/dev/zero", "cmdline");
        expect_kernel_refuses(l->child, "cmdline");
        struct host *h;
        const struct proc *p = child_now(l, &h);
        assert_non_null(p);             /* its stat is procfs's */
        assert_int_equal(p->argv_len, 0);
        host_free(h);
}

/* A FIFO over stat: never waited on; the process is left out, the table read. */
static void test_fifo_over_stat_leaves_the_process_out(void **state) {
        struct live *l = start(state);
        char *fifo;
        assert_true(asprintf(&fifo, "%s/stat", l->dir) > 0);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        free(fifo);
        bind_refused(l, "stat", "stat");
        struct host *h;
        assert_null(child_now(l, &h));
        host_free(h);
}

/* A directory over /proc/PID whose cmdline is a symlink to a file outside: its stat is read,
 * the symlink is not followed (O_NOFOLLOW in the fallback). */
static void test_directory_over_pid_follows_no_symlink_out(void **state) {
        struct live *l = start(state);
        write_stat(l, "pid/stat", "bound-dir");
        fixture_write_len(l->dir, "secret", "secret\0", 7);
        char *secret;
        assert_true(asprintf(&secret, "%s/secret", l->dir) > 0);
        fixture_symlink(l->dir, secret, "pid/cmdline");
        free(secret);
        bind_refused(l, "pid", "");
        struct host *h;
        const struct proc *p = child_now(l, &h);
        assert_non_null(p);
        assert_string_equal(p->comm, "bound-dir");
        assert_int_equal(p->argv_len, 0);
        host_free(h);
}

int main(void) {
        if (geteuid() != 0)
                ns_error = "needs root (mount namespaces, bind mounts)";
        else if (unshare(CLONE_NEWNS) < 0)
                ns_error = "unshare(CLONE_NEWNS) refused";
        else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                ns_error = "cannot make the mount namespace private";
        if (ns_error)
                printf("proc-xdev: skipped: %s (%s)\n", ns_error, strerror(errno));
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, live_setup, live_teardown)
                T(test_regular_file_over_cmdline_is_read_through_fallback),
                T(test_regular_file_over_stat_is_read_through_fallback),
                T(test_device_over_cmdline_is_not_read),
                T(test_fifo_over_stat_leaves_the_process_out),
                T(test_directory_over_pid_follows_no_symlink_out),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
