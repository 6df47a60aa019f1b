/* SPDX-License-Identifier: MIT */
/* Which hostfit a generated unit runs: the one that wrote it, or the configured one,
 * and only a binary that no one but root can change. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "text/strbuf.h"
#include "host/config.h"
#include "host/host.h"
#include "host/selfpath.h"

#define LINKS_MAX 40    /* as the kernel's own bound on symlinks in one lookup */

/* Where the default is looked for in an image, after the running binary's own path. */
static const char *const image_paths[] = {
        "/usr/bin/hostfit", "/usr/local/bin/hostfit", "/usr/sbin/hostfit", "/usr/local/sbin/hostfit", NULL,
};

static int refuse(char **ret_error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (ret_error && vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* Root's, or the image tree's owner's (OWNER), and writable by no one else. */
static int judge(const char *what, const char *where, const struct stat *st, uid_t owner, char **ret_error) {
        if (st->st_uid != 0 && st->st_uid != owner)
                return refuse(ret_error, -EPERM, "%s: %s is owned by uid %u, not root", what,
                              where, (unsigned) st->st_uid);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return refuse(ret_error, -EPERM, "%s: %s is writable by %s (mode %04o)", what, where,
                              st->st_mode & S_IWOTH ? "every user" : "its group", (unsigned) (st->st_mode & 07777));
        return 0;
}

/* Resolve PATH under the root one component at a time (symlinks followed within the root,
 * at most LINKS_MAX), judging every directory met and the file at the end. */
static int walk(const struct host *h, const char *what, const char *path, char **ret_error) {
        struct stat st, root_st;
        _cleanup_close_ int cur = openat(host_root_fd(h), ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0 || fstat(cur, &root_st) < 0)
                return -errno;
        /* An image tree unpacked by a build user is that user's: they stand for its root. */
        uid_t owner = host_is_live(h) ? 0 : root_st.st_uid;
        int r = judge(what, "/", &root_st, owner, ret_error);
        _cleanup_strbuf_ struct strbuf todo = STRBUF_INIT, where = STRBUF_INIT;
        unsigned links = 0;
        if (r < 0 || (r = strbuf_adds(&todo, path)) < 0)
                return r;
        for (size_t off = 0;;) {
                const char *s = todo.buf + off;
                while (*s == '/')
                        s++;
                size_t len = strcspn(s, "/");
                const char *rest = s + len;
                if (len == 0)
                        return refuse(ret_error, -EISDIR, "%s names a directory", what);
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                char name[NAME_MAX + 1];
                memcpy(name, s, len);
                name[len] = '\0';
                off = (size_t) (rest - todo.buf);
                bool last = rest[strspn(rest, "/")] == '\0';
                if (strcmp(name, ".") == 0 && !last)
                        continue;
                bool up = strcmp(name, "..") == 0;
                if (up && fstat(cur, &st) == 0 && st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino)
                        continue;       /* ".." of the root is the root */
                int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return errno == ENOENT ? refuse(ret_error, -ENOENT, "%s: %s/%s does not exist", what,
                                                        where.len ? where.buf : "", name) : -errno;
                if (fstat(fd, &st) < 0) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                if (S_ISLNK(st.st_mode)) {
                        /* The link's directory (CUR) was judged; go on from it, or from the root. */
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                        close(fd);
                        if (n < 0)
                                return -errno;
                        if (++links > LINKS_MAX)
                                return refuse(ret_error, -ELOOP, "%s: too many symlinks", what);
                        target[n] = '\0';
                        struct strbuf next = STRBUF_INIT;
                        if ((r = strbuf_adds(&next, target)) < 0 || (r = strbuf_addch(&next, '/')) < 0 ||
                            (r = strbuf_adds(&next, rest)) < 0) {
                                strbuf_release(&next);
                                return r;
                        }
                        strbuf_release(&todo);
                        todo = next;
                        off = 0;
                        if (target[0] == '/') {
                                close(cur);
                                cur = openat(host_root_fd(h), ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (cur < 0)
                                        return -errno;
                                strbuf_reset(&where);
                        }
                        continue;
                }
                close(cur);
                cur = fd;
                if (up) {
                        char *slash = where.len ? strrchr(where.buf, '/') : NULL;
                        if (slash) {
                                where.len = (size_t) (slash - where.buf);
                                where.buf[where.len] = '\0';
                        }
                } else if ((r = strbuf_addch(&where, '/')) < 0 || (r = strbuf_adds(&where, name)) < 0) {
                        return r;
                }
                const char *here = where.len ? where.buf : "/";
                if ((r = judge(what, here, &st, owner, ret_error)) < 0)
                        return r;
                if (S_ISDIR(st.st_mode)) {
                        if (last)
                                return refuse(ret_error, -EISDIR, "%s names a directory", what);
                        continue;
                }
                if (!last)
                        return refuse(ret_error, -ENOTDIR, "%s: %s is not a directory", what, here);
                if (!S_ISREG(st.st_mode))
                        return refuse(ret_error, -EPERM, "%s: it is %s, not a program", what, host_file_type(st.st_mode));
                if (!(st.st_mode & S_IXUSR))
                        return refuse(ret_error, -EPERM, "%s: it is not executable (mode %04o)", what,
                                      (unsigned) (st.st_mode & 07777));
                return 0;
        }
}

/* The running binary as the kernel names it (" (deleted)" dropped after an upgrade). */
static int running_path(char **ret) {
        /* The running system's /proc, not the root's: the binary runs here. */
        char buf[PATH_MAX + 16];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof(buf) - 1)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        static const char deleted[] = " (deleted)";
        size_t dl = sizeof(deleted) - 1;
        if ((size_t) n > dl && strcmp(buf + n - dl, deleted) == 0)
                buf[n - dl] = '\0';
        if (buf[0] != '/')
                return -EINVAL;
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int take(const char *path, char **ret) {
        char *s = strdup(path);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int hostfit_exe_path(const struct host *h, char **ret, char **ret_error) {
        const struct config *c = host_config(h);
        const char *v = config_get(c, HOSTFIT_PATH_SECTION, HOSTFIT_PATH_KEY);
        _cleanup_free_ char *self = NULL, *what = NULL;
        if (!v)
                v = config_get(c, "healthcheck", HOSTFIT_PATH_KEY);
        if (v) {
                if (asprintf(&what, "[hostfit] hostfit-path = %s", v) < 0)
                        return -ENOMEM;
                int r = walk(h, what, v, ret_error);
                return r < 0 ? r : take(v, ret);
        }
        int r = running_path(&self);
        if (r < 0)
                return r;
        if (host_is_live(h)) {
                if (asprintf(&what, "the running hostfit %s (install it where only root can change it, "
                             "or set [hostfit] hostfit-path)", self) < 0)
                        return -ENOMEM;
                r = walk(h, what, self, ret_error);
                return r < 0 ? r : take(self, ret);
        }
        /* An image runs its own hostfit, never the one on the host that edits it. */
        for (size_t i = 0; i == 0 || image_paths[i - 1]; i++) {
                const char *p = i == 0 ? self : image_paths[i - 1];
                struct stat st;
                r = host_stat(h, p, &st);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;       /* unreadable is not absent: the caller says so */
                if (asprintf(&what, "the image's hostfit %s (or set [hostfit] hostfit-path)", p) < 0)
                        return -ENOMEM;
                r = walk(h, what, p, ret_error);
                return r < 0 ? r : take(p, ret);
        }
        return refuse(ret_error, -ENOENT, "no hostfit in %s (looked for %s and %s): install it in the image, "
                      "or set [hostfit] hostfit-path", host_root(h), self, image_paths[0]);
}
