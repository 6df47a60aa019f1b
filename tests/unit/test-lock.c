/* SPDX-License-Identifier: MIT */
/* The run lock: taken once, refused to a second taker with the holder's pid,
 * never through a symlink or on another user's file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "apply/lock.h"

static int root_fd(const char *root) {
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static unsigned waited;
static pid_t waited_for;
static void on_wait(void *userdata, pid_t holder) {
        waited++;
        waited_for = holder;
}

static void test_lock_created_and_second_taker_told_the_holder(void **state) {
        char *root = fixture_new();
        int rfd = root_fd(root);
        int fd = lock_take(rfd, 0, NULL, NULL, NULL);
        assert_true(fd >= 0);
        assert_true(fixture_exists(root, LOCK_PATH));
        /* A child takes it in another open file description: refused, told our pid. */
        pid_t child = fork();
        if (child == 0) {
                pid_t holder = 0;
                waited = 0;
                int r = lock_take(rfd, 200, on_wait, NULL, &holder);
                _exit(r == -EWOULDBLOCK && holder == getppid() && waited == 1 && waited_for == holder ? 0 : 1);
        }
        int st;
        assert_int_equal(waitpid(child, &st, 0), child);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_int_equal(lock_holder(fd), getpid());
        fd = lock_release(fd);
        assert_int_equal(fd, -1);
        /* Released: taken again at once. */
        fd = lock_take(rfd, 0, NULL, NULL, NULL);
        assert_true(fd >= 0);
        lock_release(fd);
        char *content = fixture_read(root, LOCK_PATH);
        assert_string_equal(content, "");
        free(content);
        close(rfd);
        fixture_remove(root);
}

static void test_lock_symlink_refused(void **state) {
        char *root = fixture_new();
        char outside[] = "/tmp/hostfit-lock-outside.XXXXXX";
        assert_non_null(mkdtemp(outside));
        char target[128];
        snprintf(target, sizeof(target), "%s/x", outside);
        fixture_mkdir(root, LOCK_DIR);
        fixture_symlink(root, target, LOCK_PATH);
        int rfd = root_fd(root);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -ELOOP);
        assert_int_equal(access(target, F_OK), -1);
        fixture_remove(root);
        /* A symlinked /run under the root is refused too. */
        root = fixture_new();
        fixture_symlink(root, outside, "/run");
        close(rfd);
        rfd = root_fd(root);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -ELOOP);
        close(rfd);
        fixture_remove(root);
        rmdir(outside);
}

static void test_lock_of_another_user_refused(void **state) {
        if (geteuid() != 0)
                skip();
        char *root = fixture_new();
        fixture_write(root, LOCK_PATH, "");
        char *p;
        assert_true(asprintf(&p, "%s%s", root, LOCK_PATH) > 0);
        assert_int_equal(chown(p, 65534, 65534), 0);
        int rfd = root_fd(root);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -EPERM);
        close(rfd);
        free(p);
        fixture_remove(root);
}

/* The path as the root sees it, in the fixture ROOT. */
static char *at(const char *root, const char *path) {
        char *p;
        assert_true(asprintf(&p, "%s%s", root, path) > 0);
        return p;
}

static void test_lock_dir_made_for_root_only(void **state) {
        char *root = fixture_new();
        int rfd = root_fd(root);
        int fd = lock_take(rfd, 0, NULL, NULL, NULL);
        assert_true(fd >= 0);
        struct stat st;
        char *dir = at(root, LOCK_DIR);
        assert_int_equal(stat(dir, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(st.st_uid, geteuid());
        lock_release(fd);
        free(dir);
        close(rfd);
        fixture_remove(root);
}

static void test_lock_a_user_made_in_run_lock_blocks_nothing(void **state) {
        char *root = fixture_new();
        /* /run/lock is 1777: anyone may create hostfit.lock there and hold it for ever. */
        fixture_write(root, "/run/lock/hostfit.lock", "");
        char *old = at(root, "/run/lock/hostfit.lock");
        int hfd = open(old, O_RDONLY | O_CLOEXEC);
        assert_true(hfd >= 0);
        assert_int_equal(flock(hfd, LOCK_EX | LOCK_NB), 0);
        int rfd = root_fd(root);
        int fd = lock_take(rfd, 0, NULL, NULL, NULL);
        assert_true(fd >= 0);
        lock_release(fd);
        close(hfd);
        free(old);
        close(rfd);
        fixture_remove(root);
}

static void test_lock_dir_writable_by_others_refused(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, LOCK_DIR);
        char *dir = at(root, LOCK_DIR);
        assert_int_equal(chmod(dir, 01777), 0);
        int rfd = root_fd(root);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -EPERM);
        /* Nothing was created in it. */
        char *lock = at(root, LOCK_PATH);
        assert_int_equal(access(lock, F_OK), -1);
        /* The file writable by others, in a sound directory: refused too. */
        assert_int_equal(chmod(dir, 0700), 0);
        fixture_write(root, LOCK_PATH, "");
        assert_int_equal(chmod(lock, 0666), 0);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -EPERM);
        free(lock);
        free(dir);
        close(rfd);
        fixture_remove(root);
}

static void test_lock_dir_of_another_user_refused(void **state) {
        if (geteuid() != 0)
                skip();
        char *root = fixture_new();
        fixture_mkdir(root, LOCK_DIR);
        char *dir = at(root, LOCK_DIR);
        assert_int_equal(chown(dir, 65534, 65534), 0);
        assert_int_equal(chmod(dir, 0700), 0);
        int rfd = root_fd(root);
        assert_int_equal(lock_take(rfd, 0, NULL, NULL, NULL), -EPERM);
        free(dir);
        close(rfd);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lock_created_and_second_taker_told_the_holder),
                cmocka_unit_test(test_lock_symlink_refused),
                cmocka_unit_test(test_lock_of_another_user_refused),
                cmocka_unit_test(test_lock_dir_made_for_root_only),
                cmocka_unit_test(test_lock_a_user_made_in_run_lock_blocks_nothing),
                cmocka_unit_test(test_lock_dir_writable_by_others_refused),
                cmocka_unit_test(test_lock_dir_of_another_user_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
