/* SPDX-License-Identifier: MIT */
/* openat2(2) with RESOLVE_IN_ROOT or RESOLVE_BENEATH, and the same walk by hand on a
 * kernel without it (before 5.6; qemu-user), as systemd's chase() does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "host/resolve.h"
#include "text/cleanup.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static bool force_by_hand;

void resolve_force_by_hand(bool on) {
        force_by_hand = on;
}

int resolve_openat2(int dirfd, const char *path, const struct open_how *how) {
        if (!force_by_hand) {
                long fd = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
                if (fd >= 0)
                        return (int) fd;
                if (errno != ENOSYS)
                        return -errno;
        }
        return resolve_by_hand(dirfd, path, how);
}

/* The directories walked so far: fds[0] is DIRFD's, fds[n - 1] the current one.
 * ".." pops one, so it can never climb above fds[0]. */
struct walk {
        int *fds;
        size_t n, cap;
};

static void walk_free(struct walk *w) {
        for (size_t i = 0; i < w->n; i++)
                close(w->fds[i]);
        free(w->fds);
}

static int walk_push(struct walk *w, int fd) {
        if (fd < 0)
                return -errno;
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 16;
                int *p = realloc(w->fds, cap * sizeof(*p));
                if (!p) {
                        close(fd);
                        return -ENOMEM;
                }
                w->fds = p;
                w->cap = cap;
        }
        w->fds[w->n++] = fd;
        return 0;
}

static void walk_pop_to(struct walk *w, size_t n) {
        while (w->n > n)
                close(w->fds[--w->n]);
}

/* Cut the next component off the front of *TODO; false when none is left. A component
 * with a slash after it is never the last: it must be a directory ("." of it is opened). */
static bool next_component(char **todo, char **ret_name, bool *ret_last) {
        char *p = *todo;
        while (*p == '/')
                p++;
        if (!*p)
                return false;
        char *end = strchrnul(p, '/');
        char *rest = end;
        while (*rest == '/')
                rest++;
        *ret_last = !*end;
        *end = '\0';
        *ret_name = p;
        *todo = rest;
        return true;
}

/* A procfs link whose text is no path (fd/N to a pipe) or an absolute one (exe, cwd, root,
 * fd/N): the kernel's magic links. /proc/self, /proc/mounts and the like are relative. */
static bool is_magic_link(int link_fd, const char *target) {
        struct statfs sf;
        if (fstatfs(link_fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
                return false;
        return target[0] == '/' || strstr(target, ":[");
}

/* The last component: never follows a symlink itself, whatever was checked before. */
static int open_last(int dirfd, const char *name, int flags, mode_t mode) {
        int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        struct stat st;
        if ((flags & (O_PATH | O_NOFOLLOW)) == O_PATH && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                /* Swapped for a symlink since it was looked at. */
                close(fd);
                return -ELOOP;
        }
        return fd;
}

/* A symlink met on the way: its text replaces it in *BUF, relative to where it was, or
 * to the root when absolute (IN_ROOT) -- never to the outer host's "/". */
static int follow_link(int link_fd, uint64_t resolve, bool last, struct walk *w, char **buf, char **todo) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(link_fd, "", target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENOENT;
        target[n] = '\0';
        if ((resolve & RESOLVE_NO_MAGICLINKS) && is_magic_link(link_fd, target))
                return -ELOOP;
        if (target[0] == '/') {
                if (!(resolve & RESOLVE_IN_ROOT))
                        return -EXDEV;
                walk_pop_to(w, 1);
        }
        char *next;
        /* A link with a slash after it stays a directory to be ("etc/link/"). */
        if (asprintf(&next, "%s%s%s", target, last ? "" : "/", *todo) < 0)
                return -ENOMEM;
        free(*buf);
        *buf = *todo = next;
        return 0;
}

int resolve_by_hand(int dirfd, const char *path, const struct open_how *how) {
        const uint64_t known = RESOLVE_IN_ROOT | RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        uint64_t resolve = how->resolve;
        if ((resolve & ~known) || !(resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) ||
            (resolve & RESOLVE_IN_ROOT && resolve & RESOLVE_BENEATH))
                return -EINVAL;
        if (!*path)
                return -ENOENT;
        if (path[0] == '/' && !(resolve & RESOLVE_IN_ROOT))
                return -EXDEV;
        int flags = (int) how->flags;
        mode_t mode = (mode_t) how->mode;
        char *buf = strdup(path), *todo = buf;
        if (!buf)
                return -ENOMEM;
        struct walk w = { 0 };
        int r = walk_push(&w, openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        unsigned links = 0;
        char *name;
        bool last;
        while (r >= 0) {
                int top = w.fds[w.n - 1];
                if (!next_component(&todo, &name, &last)) {
                        r = open_last(top, ".", flags, mode);
                        break;
                }
                if (strcmp(name, ".") == 0)
                        continue;
                if (strcmp(name, "..") == 0) {
                        if (w.n > 1)
                                walk_pop_to(&w, w.n - 1);
                        else if (!(resolve & RESOLVE_IN_ROOT))
                                r = -EXDEV;
                        continue;
                }
                if (last && (flags & O_NOFOLLOW)) {
                        r = open_last(top, name, flags, mode);
                        break;
                }
                int fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = -errno;
                        if (fd >= 0)
                                close(fd);
                        else if (r == -ENOENT && last && (flags & O_CREAT))
                                r = open_last(top, name, flags, mode);
                        break;
                }
                if (S_ISLNK(st.st_mode)) {
                        if ((resolve & RESOLVE_NO_SYMLINKS) || ++links > RESOLVE_MAX_SYMLINKS)
                                r = -ELOOP;
                        else
                                r = follow_link(fd, resolve, last, &w, &buf, &todo);
                        close(fd);
                } else if (last) {
                        close(fd);
                        r = open_last(top, name, flags, mode);
                        break;
                } else if (!S_ISDIR(st.st_mode)) {
                        close(fd);
                        r = -ENOTDIR;
                } else
                        r = walk_push(&w, fd);
        }
        walk_free(&w);
        free(buf);
        return r;
}
