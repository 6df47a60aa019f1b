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
        fixture_mkdir(root, "/run/lock");
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lock_created_and_second_taker_told_the_holder),
                cmocka_unit_test(test_lock_symlink_refused),
                cmocka_unit_test(test_lock_of_another_user_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
