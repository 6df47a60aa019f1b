/* SPDX-License-Identifier: MIT */
/* The run lock of hostfit fix and undo: flock on ROOT/run/lock/hostfit.lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"
#include "apply/lock.h"

pid_t lock_holder(int fd) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return 0;
        /* The lock lives in this kernel whatever the root: its /proc/locks, not ROOT's. */
        _cleanup_fclose_ FILE *f = fopen("/proc/locks", "re");
        if (!f)
                return 0;
        char line[256];
        while (fgets(line, sizeof(line), f)) {
                char type[16];
                long pid;
                unsigned maj, min;
                unsigned long long ino;
                /* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's line has "->". */
                if (strstr(line, "->"))
                        continue;
                if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", type, &pid, &maj, &min, &ino) != 5)
                        continue;
                if (strcmp(type, "FLOCK") == 0 && ino == (unsigned long long) st.st_ino &&
                    maj == major(st.st_dev) && min == minor(st.st_dev) && pid > 0)
                        return (pid_t) pid;
        }
        return 0;
}

static int lock_open(int root_fd) {
        struct strbuf msg = STRBUF_INIT;
        int dfd = apply_open_dir(root_fd, "/run/lock", true, 0755, &msg);
        strbuf_release(&msg);
        if (dfd < 0)
                return dfd;
        int fd = openat(dfd, "hostfit.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
        int r = fd < 0 ? -errno : 0;
        close(dfd);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EEXIST;
        /* /run/lock is world-writable: a file another user made could be held by them forever. */
        else if (st.st_uid != geteuid())
                r = -EPERM;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int lock_take(int root_fd, unsigned timeout_ms, lock_wait_fn waiting, void *userdata, pid_t *ret_holder) {
        _cleanup_close_ int fd = lock_open(root_fd);
        if (fd < 0)
                return fd;
        uint64_t deadline = now_ms() + timeout_ms;
        bool told = false;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (now_ms() >= deadline) {
                        if (ret_holder)
                                *ret_holder = lock_holder(fd);
                        return -EWOULDBLOCK;
                }
                if (!told && waiting)
                        waiting(userdata, lock_holder(fd));
                told = true;
                (void) nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
}

int lock_release(int fd) {
        if (fd >= 0) {
                (void) flock(fd, LOCK_UN);
                close(fd);
        }
        return -1;
}
