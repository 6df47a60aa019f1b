/* SPDX-License-Identifier: MIT */
/* The host view: root-relative reads, and the tables shared by all checks. */
#include <ctype.h>
#include <time.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/config.h"
#include "host/host.h"
#include "host/host-parse.h"
#include "host/resolve.h"
#include "text/strbuf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* What one run reads from files under the root, at most, whatever the number of
 * files: the per-file bounds alone let many large files add up (a binary per process). */
#define HOST_RUN_READ_MAX ((uint64_t) 512 << 20)
/* What host_fopen() reads of one file, at most. */
#define HOST_FOPEN_MAX (32U << 20)

struct host {
        char *root;
        int root_fd;
        bool live;
        struct config *config;
        uint64_t *read_left;    /* the run's read budget: changed through a const host */

        bool meminfo_loaded;
        int meminfo_error;
        struct host_meminfo meminfo;

        struct libmnt_table *swaps, *fstab;
        int swaps_error, fstab_error;
        bool swaps_loaded, fstab_loaded;

        bool procs_loaded;
        int procs_error;
        struct proc_table procs;

        double uptime;
        int uptime_error;
        bool uptime_loaded;

        struct host_cache_entry {
                const char *key;
                void *value;
                void (*free_fn)(void *);
        } cache[16];
        uint64_t now_usec;      /* the wall clock as set by host_set_now(), 0: read it */
        size_t n_cache;
};

int host_open(const char *root, struct host **ret) {
        if (!root || !*root)
                return -EINVAL;
        struct host *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (h->root_fd < 0) {
                int r = -errno;
                free(h);
                return r;
        }
        h->root = strdup(root);
        h->read_left = malloc(sizeof(*h->read_left));
        if (h->read_left)
                *h->read_left = HOST_RUN_READ_MAX;
        int r = config_new_empty(&h->config);
        if (!h->root || !h->read_left || r < 0) {
                host_free(h);
                return -ENOMEM;
        }
        struct stat a, b;
        h->live = fstat(h->root_fd, &a) == 0 && stat("/", &b) == 0 &&
                  a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        *ret = h;
        return 0;
}

struct host *host_free(struct host *h) {
        if (!h)
                return NULL;
        if (h->root_fd >= 0)
                close(h->root_fd);
        free(h->root);
        free(h->read_left);
        config_free(h->config);
        mnt_unref_table(h->swaps);
        mnt_unref_table(h->fstab);
        proc_table_clear(&h->procs);
        for (size_t i = 0; i < h->n_cache; i++)
                if (h->cache[i].free_fn)
                        h->cache[i].free_fn(h->cache[i].value);
        free(h);
        return NULL;
}

void *host_cache_get(const struct host *h, const char *key) {
        /* Keys are string constants: the same pointer, mostly, before strcmp(). */
        for (size_t i = 0; i < h->n_cache; i++)
                if (h->cache[i].key == key)
                        return h->cache[i].value;
        for (size_t i = 0; i < h->n_cache; i++)
                if (strcmp(h->cache[i].key, key) == 0)
                        return h->cache[i].value;
        return NULL;
}

int host_cache_put(struct host *h, const char *key, void *value, void (*free_fn)(void *)) {
        if (h->n_cache >= ELEMENTSOF(h->cache) || host_cache_get(h, key)) {
                if (free_fn)
                        free_fn(value);
                return -ENOSPC;
        }
        h->cache[h->n_cache++] = (struct host_cache_entry) { key, value, free_fn };
        return 0;
}

void host_set_now(struct host *h, uint64_t usec) { h->now_usec = usec; }

uint64_t host_now_usec(const struct host *h) {
        struct timespec ts;
        if (h->now_usec)
                return h->now_usec;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

const char *host_root(const struct host *h) { return h->root; }
int host_root_fd(const struct host *h) { return h->root_fd; }
bool host_is_live(const struct host *h) { return h->live; }

void host_set_config(struct host *h, struct config *c) {
        config_free(h->config);
        h->config = c;
}

const struct config *host_config(const struct host *h) { return h->config; }

static const char *skip_slashes(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

struct host_counters host_counters;

int host_open_file(const struct host *h, const char *path, int flags) {
        host_counters.opens++;
        /* Never wait in open(): a FIFO or a tty a user left where a file was expected.
         * (openat2 refuses any flag but a few beside O_PATH.) */
        if (!(flags & O_PATH))
                flags |= O_NONBLOCK | O_NOCTTY;
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        /* On a kernel without openat2, resolve_openat2() walks the same way by hand. */
        return resolve_openat2(h->root_fd, skip_slashes(path), &how);
}

int host_read_charge(const struct host *h, size_t n) {
        if (*h->read_left < n) {
                *h->read_left = 0;
                return -ENOBUFS;
        }
        *h->read_left -= n;
        return 0;
}

bool host_read_budget_below(const struct host *h, size_t n) {
        return *h->read_left < n;
}

void host_set_read_budget(struct host *h, uint64_t bytes) {
        *h->read_left = bytes;
}

int host_read_fd(const struct host *h, int fd, size_t max, char **ret, size_t *ret_len) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* A huge (or sparse) regular file says so in its size: not a byte of it is read. */
        if (S_ISREG(st.st_mode) && (uint64_t) st.st_size > max)
                return -EFBIG;
        bool budget = *h->read_left < max;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = strbuf_read_fd(&sb, fd, budget ? (size_t) *h->read_left : max);
        int c = host_read_charge(h, sb.len);
        if (r == -EFBIG && budget)
                return -ENOBUFS;
        if (r < 0)
                return r;
        if (c < 0)
                return c;
        char *p = strbuf_detach(&sb, ret_len);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

const char *host_file_type(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFREG:  return "a regular file";
        case S_IFDIR:  return "a directory";
        case S_IFIFO:  return "a FIFO";
        case S_IFSOCK: return "a socket";
        case S_IFCHR:  return "a character device";
        case S_IFBLK:  return "a block device";
        case S_IFLNK:  return "a symlink";
        default:       return "not a file";
        }
}

const char *host_read_error(const struct host *h, const char *path, int r, char *buf, size_t size) {
        struct stat st;
        if (r == -ENXIO && path && h && host_stat(h, path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(buf, size, "it is %s, not a regular file", host_file_type(st.st_mode));
                return buf;
        }
        if (r == -EFBIG) {
                snprintf(buf, size, "larger than hostfit reads");
                return buf;
        }
        if (r == -ENOBUFS) {
                snprintf(buf, size, "past what hostfit reads in one run");
                return buf;
        }
        return strerror(-r);
}

int host_open_regular(const struct host *h, const char *path, struct stat *ret_st) {
        _cleanup_close_ int fd = host_open_file(h, path, O_RDONLY);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -ENXIO;
        if (ret_st)
                *ret_st = st;
        return TAKE_FD(fd);
}

int host_read_file_stat(const struct host *h, const char *path, size_t max, char **ret, size_t *ret_len,
                        struct stat *ret_st) {
        _cleanup_close_ int fd = host_open_regular(h, path, ret_st);
        if (fd < 0)
                return fd;
        return host_read_fd(h, fd, max, ret, ret_len);
}

int host_read_file(const struct host *h, const char *path, size_t max, char **ret, size_t *ret_len) {
        return host_read_file_stat(h, path, max, ret, ret_len, NULL);
}

/* A stream over text already read, which it frees on fclose(). */
struct memfile {
        char *buf;
        size_t len, pos;
};

static ssize_t memfile_read(void *cookie, char *out, size_t size) {
        struct memfile *m = cookie;
        size_t n = m->len - m->pos < size ? m->len - m->pos : size;
        memcpy(out, m->buf + m->pos, n);
        m->pos += n;
        return (ssize_t) n;
}

/* Seekable: libc's fgetpwent_r() goes back to the line's start to retry it with a larger buffer. */
static int memfile_seek(void *cookie, off64_t *off, int whence) {
        struct memfile *m = cookie;
        int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t) m->pos :
                       whence == SEEK_END ? (int64_t) m->len : -1;
        if (base < 0 || *off < -base || base + *off > (int64_t) m->len) {
                errno = EINVAL;
                return -1;
        }
        m->pos = (size_t) (base + *off);
        *off = (off64_t) m->pos;
        return 0;
}

static int memfile_close(void *cookie) {
        struct memfile *m = cookie;
        free(m->buf);
        free(m);
        return 0;
}

static int fopen_text(char *text, size_t len, FILE **ret) {
        struct memfile *m = malloc(sizeof(*m));
        FILE *f = m ? fopencookie(m, "r", (cookie_io_functions_t) {
                .read = memfile_read, .seek = memfile_seek, .close = memfile_close }) : NULL;
        if (!f) {
                free(m);
                free(text);
                return -ENOMEM;
        }
        *m = (struct memfile) { .buf = text, .len = len };
        *ret = f;
        return 0;
}

int host_fopen(const struct host *h, const char *path, FILE **ret) {
        char *text;
        size_t len;
        int r = host_read_file(h, path, HOST_FOPEN_MAX, &text, &len);
        return r < 0 ? r : fopen_text(text, len, ret);
}

int host_proc_fopen(const struct host *h, pid_t pid, const char *name, FILE **ret) {
        char *text;
        size_t len;
        _cleanup_close_ int fd = host_proc_open(h, pid, name, O_RDONLY);
        if (fd < 0)
                return fd;
        int r = host_read_fd(h, fd, HOST_FOPEN_MAX, &text, &len);
        return r < 0 ? r : fopen_text(text, len, ret);
}

int host_stat(const struct host *h, const char *path, struct stat *ret) {
        /* Resolve the parent in the root, then lstat the last component. */
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        const char *base = path;
        if (slash) {
                base = path + (slash - dir) + 1;
                *slash = '\0';
        }
        if (!*base)
                base = ".";
        _cleanup_close_ int dfd = host_open_file(h, *dir ? dir : "/", O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, base, ret, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

bool host_exists(const struct host *h, const char *path) {
        struct stat st;
        return host_stat(h, path, &st) == 0;
}

int host_opendir(const struct host *h, const char *path, DIR **ret) {
        int fd = host_open_file(h, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        host_counters.listings++;
        *ret = d;
        return 0;
}

int host_readlink(const struct host *h, const char *path, char **ret) {
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        *slash = '\0';
        _cleanup_close_ int dfd = host_open_file(h, *dir ? dir : "/", O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return dfd;
        char buf[PATH_MAX];
        ssize_t n = readlinkat(dfd, slash + 1, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void (*statfs_hook)(const char *, struct statfs *);

void host_set_statfs_hook(void (*fn)(const char *path, struct statfs *sf)) {
        statfs_hook = fn;
}

int host_statfs(const struct host *h, const char *path, struct statfs *ret) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (;;) {
                _cleanup_close_ int fd = host_open_file(h, *p ? p : "/", O_PATH);
                if (fd >= 0) {
                        if (fstatfs(fd, ret) < 0)
                                return -errno;
                        if (statfs_hook)
                                statfs_hook(*p ? p : "/", ret);
                        return 0;
                }
                if (fd != -ENOENT)
                        return fd;
                char *slash = strrchr(p, '/');
                if (!slash || slash == p) {
                        if (!*p || strcmp(p, "/") == 0)
                                return -ENOENT;
                        p[1] = '\0';
                        p[0] = '/';
                        continue;
                }
                *slash = '\0';
        }
}

/* ---- meminfo ---- */

int host_parse_meminfo(const char *text, struct host_meminfo *m) {
        static const struct {
                const char *key;
                size_t off;
        } keys[] = {
                { "MemTotal:",     offsetof(struct host_meminfo, mem_total) },
                { "MemAvailable:", offsetof(struct host_meminfo, mem_available) },
                { "SwapTotal:",    offsetof(struct host_meminfo, swap_total) },
                { "SwapFree:",     offsetof(struct host_meminfo, swap_free) },
        };
        bool have_total = false;
        for (const char *line = text; line && *line; ) {
                const char *eol = strchr(line, '\n');
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = strlen(keys[i].key);
                        if (strncmp(line, keys[i].key, kl) != 0)
                                continue;
                        const char *s = line + kl;
                        while (*s == ' ')
                                s++;
                        if (!isdigit((unsigned char) *s))
                                return -ENODATA;
                        char *end;
                        errno = 0;
                        unsigned long long kb = strtoull(s, &end, 10);
                        if (errno || strncmp(end, " kB", 3) != 0 || kb > UINT64_MAX / 1024)
                                return -ENODATA;
                        *(uint64_t *) ((char *) m + keys[i].off) = (uint64_t) kb * 1024;
                        if (i == 0)
                                have_total = true;
                }
                line = eol ? eol + 1 : NULL;
        }
        return have_total && m->mem_total > 0 ? 0 : -ENODATA;
}

int host_meminfo(struct host *h, const struct host_meminfo **ret) {
        if (!h->meminfo_loaded) {
                _cleanup_free_ char *text = NULL;
                h->meminfo_loaded = true;
                h->meminfo_error = host_read_file(h, "/proc/meminfo", 1 << 16, &text, NULL);
                if (h->meminfo_error == 0)
                        h->meminfo_error = host_parse_meminfo(text, &h->meminfo);
        }
        if (h->meminfo_error < 0)
                return h->meminfo_error;
        *ret = &h->meminfo;
        return 0;
}

/* ---- libmount tables ---- */

static int parse_table(struct host *h, const char *path, bool missing_ok, struct libmnt_table **ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        _cleanup_fclose_ FILE *f = NULL;
        int r = host_fopen(h, path, &f);
        if (r == -ENOENT && missing_ok) {
                *ret = TAKE_PTR(tb);
                return 0;
        }
        if (r < 0)
                return r;
        r = mnt_table_parse_stream(tb, f, path);
        if (r < 0)
                return r;
        if (ferror(f))
                return -EIO;
        *ret = TAKE_PTR(tb);
        return 0;
}

int host_swaps(struct host *h, struct libmnt_table **ret) {
        if (!h->swaps_loaded) {
                h->swaps_loaded = true;
                h->swaps_error = parse_table(h, "/proc/swaps", false, &h->swaps);
        }
        if (h->swaps_error < 0)
                return h->swaps_error;
        *ret = h->swaps;
        return 0;
}

int host_fstab(struct host *h, struct libmnt_table **ret) {
        if (!h->fstab_loaded) {
                h->fstab_loaded = true;
                h->fstab_error = parse_table(h, "/etc/fstab", true, &h->fstab);
        }
        if (h->fstab_error < 0)
                return h->fstab_error;
        *ret = h->fstab;
        return 0;
}

/* ---- processes ---- */

int host_proc_open(const struct host *h, pid_t pid, const char *name, int flags) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
        _cleanup_close_ int fd = host_open_file(h, path, flags);
        if (fd < 0 || (flags & (O_PATH | O_DIRECTORY)))
                return TAKE_FD(fd);
        /* The kernel's files are regular: a FIFO or a device in an image's /proc is not read. */
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -ENXIO;
        return TAKE_FD(fd);
}

static int load_procs(struct host *h) {
        _cleanup_close_ int proc_fd = host_open_file(h, "/proc", O_RDONLY | O_DIRECTORY);
        if (proc_fd < 0)
                return proc_fd;
        return proc_table_read(proc_fd, &h->procs);
}

int host_procs(struct host *h, const struct proc_table **ret) {
        if (!h->procs_loaded) {
                h->procs_loaded = true;
                h->procs_error = load_procs(h);
        }
        if (h->procs_error < 0)
                return h->procs_error;
        *ret = &h->procs;
        return 0;
}

int host_uptime(struct host *h, double *ret) {
        if (!h->uptime_loaded) {
                _cleanup_free_ char *text = NULL;
                char *end;
                h->uptime_loaded = true;
                h->uptime_error = host_read_file(h, "/proc/uptime", 4096, &text, NULL);
                if (h->uptime_error == 0) {
                        h->uptime = strtod(text, &end);
                        if (end == text || !(h->uptime >= 0 && h->uptime < 1e12))
                                h->uptime_error = -ENODATA;
                }
        }
        if (h->uptime_error < 0)
                return h->uptime_error;
        *ret = h->uptime;
        return 0;
}

double host_proc_age(struct host *h, const struct proc *p) {
        double up;
        long hz = sysconf(_SC_CLK_TCK);
        if (host_uptime(h, &up) < 0 || hz <= 0)
                return 0;
        double age = up - (double) p->start_ticks / (double) hz;
        return age > 0 ? age : 0;
}
