/* SPDX-License-Identifier: MIT */
/* The run lock of hostfit fix and undo: flock on ROOT/run/hostfit/hostfit.lock. */
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

/* Only the user hostfit runs as (root) may make or replace what is in it: a
 * directory or file another user owns or may write could be held by them. */
static int lock_trusted(int fd, bool dir) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return -EEXIST;
        if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return 0;
}

static int lock_open(int root_fd) {
        struct strbuf msg = STRBUF_INIT;
        int dfd = apply_open_dir(root_fd, LOCK_DIR, true, 0700, &msg);
        strbuf_release(&msg);
        if (dfd < 0)
                return dfd;
        int r = lock_trusted(dfd, true);
        int fd = r < 0 ? -1 : openat(dfd, "hostfit.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
        if (r == 0 && fd < 0)
                r = -errno;
        close(dfd);
        if (r == 0)
                r = lock_trusted(fd, false);
        if (r < 0) {
                if (fd >= 0)
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
