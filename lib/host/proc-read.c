/* SPDX-License-Identifier: MIT */
/* The process table: ROOT/proc/PID/{stat,cmdline,cgroup,oom_score_adj} of every process, read
 * once a run (host_procs() keeps it). Each file is opened, read once into one buffer and closed.
 *
 * On the kernel's procfs, each process directory and each file in it is opened with openat2's
 * RESOLVE_NO_XDEV: no mount crossed on the way (a bind mount over a file, as container runtimes
 * put over /proc files), so the file is procfs's own and regular, and needs no fstat. Anywhere
 * else (a fixture, an image's /proc, a mount crossed, a kernel without openat2) each file is
 * fstat()ed and only a regular one is read. The strings (argv, cgroup) live in blocks the table
 * owns; processes of one cgroup share its path. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "host/host-parse.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define ARENA_BLOCK (64U << 10)

struct proc_arena {
        struct proc_arena *next;
        size_t used, size;
        char data[];
};

struct reader {
        int proc_fd;
        bool procfs;            /* PROC_FD is procfs and openat2 works: RESOLVE_NO_XDEV opens */
        struct proc_table *t;
};

/* N bytes of S and a NUL, kept in T's blocks. */
static char *arena_dup(struct proc_table *t, const char *s, size_t n) {
        struct proc_arena *a = t->arena;
        if (!a || a->size - a->used < n + 1) {
                size_t size = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
                a = malloc(sizeof(*a) + size);
                if (!a)
                        return NULL;
                *a = (struct proc_arena) { .next = t->arena, .size = size };
                t->arena = a;
        }
        char *p = a->data + a->used;
        memcpy(p, s, n);
        p[n] = '\0';
        a->used += n + 1;
        return p;
}

void proc_table_clear(struct proc_table *t) {
        for (struct proc_arena *a = t->arena, *next; a; a = next) {
                next = a->next;
                free(a);
        }
        free(t->procs);
        *t = (struct proc_table) {};
}

/* NAME under DIRFD: on procfs without crossing a mount (*RET_PROC set: the file is procfs's
 * own), else by openat(). An fd or -errno. */
static int open_at(struct reader *r, int dirfd, bool on_proc, const char *name, int flags, bool *ret_proc) {
        *ret_proc = false;
        if (r->procfs && on_proc) {
                struct open_how how = { .flags = (uint64_t) flags, .resolve = RESOLVE_NO_XDEV };
                long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
                if (fd >= 0) {
                        *ret_proc = true;
                        return (int) fd;
                }
                if (errno == ENOSYS)
                        r->procfs = false;
                else if (errno != EXDEV)
                        return -errno;
        }
        int fd = openat(dirfd, name, flags);
        return fd < 0 ? -errno : fd;
}

/* One read: the per-process files are single records (stat, cgroup, oom_score_adj are
 * one seq_file show, cmdline one copy of the argument area), which the kernel returns
 * whole when they fit, and cut at SIZE - 1 bytes when they don't, as a loop would. */
static int read_small(struct reader *r, int dirfd, bool on_proc, const char *name, char *buf, size_t size,
                      size_t *ret_len) {
        bool proc;
        _cleanup_close_ int fd = open_at(r, dirfd, on_proc, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
                                         &proc);
        if (fd < 0)
                return fd;
        struct stat st;
        if (!proc && fstat(fd, &st) < 0)
                return -errno;
        if (!proc && !S_ISREG(st.st_mode))
                return -ENXIO;          /* a FIFO in an image's /proc must not hang the scan */
        ssize_t n;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (ret_len)
                *ret_len = (size_t) n;
        return 0;
}

/* One number as strtoll(S, &end, 10) reads it (blanks, a sign, digits, within long long), into
 * *RET as its two's complement; the end, or NULL when there is no number or it overflows. Per
 * field of every process's stat: strtoll's locale and errno handling cost more than the read. */
static const char *parse_decimal(const char *s, unsigned long long *ret) {
        while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
                s++;
        bool neg = *s == '-';
        if (*s == '-' || *s == '+')
                s++;
        if (*s < '0' || *s > '9')
                return NULL;
        const unsigned long long max = neg ? (unsigned long long) LLONG_MAX + 1 : (unsigned long long) LLONG_MAX;
        unsigned long long v = 0;
        /* 18 digits cannot overflow: only a longer number is checked digit by digit. */
        for (int k = 0; k < 18 && *s >= '0' && *s <= '9'; k++, s++)
                v = v * 10 + (unsigned) (*s - '0');
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > max / 10 || (v == max / 10 && d > max % 10))
                        return NULL;
                v = v * 10 + d;
        }
        *ret = neg ? 0 - v : v;
        return s;
}

/* stat: "pid (comm) state ppid ...": the comm may hold spaces and ')', so parse from the last ')'. */
int host_parse_stat(const char *buf, struct proc *p) {
        const char *open = strchr(buf, '(');
        const char *close = strrchr(buf, ')');
        if (!open || !close || close < open || close[1] != ' ')
                return -EBADMSG;
        size_t n = (size_t) (close - open - 1);
        if (n >= sizeof(p->comm))
                n = sizeof(p->comm) - 1;
        memcpy(p->comm, open + 1, n);
        p->comm[n] = '\0';

        /* Fields after the comm, numbered from 3 (state). */
        const char *s = close + 2;
        unsigned long long field[25] = { 0 };
        if (!*s || *s == ' ')
                return -EBADMSG;
        p->state = *s++;
        int i = 4;
        for (; i <= 24 && *s; i++) {
                if (*s != ' ')
                        return -EBADMSG;
                s = parse_decimal(s + 1, &field[i]);
                if (!s)
                        return -EBADMSG;
        }
        if (i <= 24)
                return -EBADMSG;
        p->ppid = (pid_t) field[4];
        p->kthread = (field[9] & 0x00200000) != 0; /* PF_KTHREAD */
        p->start_ticks = field[22];
        static long page;
        if (!page)
                page = sysconf(_SC_PAGESIZE);
        p->rss_bytes = (uint64_t) field[24] * (uint64_t) (page > 0 ? page : 4096);
        return 0;
}

/* cgroup: "hierarchy-ID:controllers:path" lines. Prefer "0::", else "name=systemd". */
static const char *cgroup_path(const char *buf, size_t *ret_len) {
        const char *best = NULL;
        size_t best_len = 0;
        for (const char *line = buf; line && *line; ) {
                const char *eol = strchr(line, '\n');
                size_t len = eol ? (size_t) (eol - line) : strlen(line);
                const char *c1 = memchr(line, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;
                if (c2) {
                        const char *path = c2 + 1;
                        size_t plen = len - (size_t) (path - line);
                        bool unified = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
                        bool named = (size_t) (c2 - c1 - 1) == strlen("name=systemd") &&
                                     strncmp(c1 + 1, "name=systemd", 12) == 0;
                        if (named || (unified && !best)) {
                                best = path;
                                best_len = plen;
                        }
                        if (unified && plen > 1) {
                                best = path;
                                best_len = plen;
                                break;
                        }
                }
                line = eol ? eol + 1 : NULL;
        }
        *ret_len = best_len;
        return best;
}

char *host_parse_cgroup(const char *buf) {
        size_t n;
        const char *path = cgroup_path(buf, &n);
        return path ? strndup(path, n) : NULL;
}

static int proc_cmp(const void *a, const void *b) {
        pid_t x = ((const struct proc *) a)->pid, y = ((const struct proc *) b)->pid;
        return (x > y) - (x < y);
}

/* P's cgroup, shared with the process read before it when it is the same path. */
static int set_cgroup(struct proc_table *t, struct proc *p, const char *path, size_t n) {
        const char *prev = t->n ? t->procs[t->n - 1].cgroup : NULL;
        if (prev && strncmp(prev, path, n) == 0 && prev[n] == '\0') {
                p->cgroup = (char *) prev;
                return 0;
        }
        p->cgroup = arena_dup(t, path, n);
        return p->cgroup ? 0 : -ENOMEM;
}

/* Read one process; 1 when read, 0 when it is gone or not a process, -errno on failure. */
static int proc_read(struct reader *rd, const char *name, struct proc *p) {
        bool on_proc;
        _cleanup_close_ int dfd = open_at(rd, rd->proc_fd, true, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
                                          &on_proc);
        if (dfd < 0)
                return dfd == -ENOENT || dfd == -ENOTDIR || dfd == -ESRCH ? 0 : dfd;
        struct stat st;
        if (fstat(dfd, &st) < 0)
                return 0;
        p->pid = (pid_t) atoi(name);
        p->uid = st.st_uid;

        char buf[PROC_ARGV_MAX + 1];
        int r = read_small(rd, dfd, on_proc, "stat", buf, sizeof(buf), NULL);
        /* Gone, or not a process at all (a FIFO where stat should be): left out. */
        if (r < 0)
                return r == -ENOENT || r == -ESRCH || r == -ENXIO ? 0 : r;
        if (host_parse_stat(buf, p) < 0)
                return 0;

        size_t len = 0;
        if (read_small(rd, dfd, on_proc, "cmdline", buf, sizeof(buf), &len) == 0 && len > 0) {
                /* A truncated last argument still ends in a NUL. */
                p->argv = arena_dup(rd->t, buf, len);
                if (!p->argv)
                        return -ENOMEM;
                p->argv_len = buf[len - 1] == '\0' ? len : len + 1;
        }
        if (read_small(rd, dfd, on_proc, "cgroup", buf, sizeof(buf), NULL) == 0) {
                const char *path = cgroup_path(buf, &len);
                if (path && set_cgroup(rd->t, p, path, len) < 0)
                        return -ENOMEM;
        }
        if (read_small(rd, dfd, on_proc, "oom_score_adj", buf, 32, NULL) == 0) {
                unsigned long long v;
                const char *end = parse_decimal(buf, &v);
                /* As strtol() read it: a number alone on its line, within the kernel's range. */
                if (end && (*end == '\n' || !*end) && (long long) v >= -1000 && (long long) v <= 1000) {
                        p->oom_score_adj = (int) (long long) v;
                        p->oom_known = true;
                }
        }
        return 1;
}

int proc_table_read(int proc_fd, struct proc_table *t) {
        struct statfs sf;
        struct reader rd = {
                .proc_fd = proc_fd,
                .procfs = fstatfs(proc_fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC,
                .t = t,
        };
        int dup_fd = dup(proc_fd);
        if (dup_fd < 0)
                return -errno;
        _cleanup_(closedirp) DIR *d = fdopendir(dup_fd);
        if (!d) {
                close(dup_fd);
                return -errno;
        }
        size_t alloc = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *s = de->d_name;
                if (!*s || *s == '0')
                        continue;
                while (isdigit((unsigned char) *s))
                        s++;
                if (*s)
                        continue;
                if (t->n == alloc) {
                        size_t na = alloc ? alloc * 2 : 256;
                        struct proc *np = reallocarray(t->procs, na, sizeof(*np));
                        if (!np)
                                return -ENOMEM;
                        t->procs = np;
                        alloc = na;
                }
                struct proc *p = &t->procs[t->n];
                memset(p, 0, sizeof(*p));
                int r = proc_read(&rd, de->d_name, p);
                if (r < 0 && r != -EACCES && r != -EPERM)
                        return r;
                if (r > 0)
                        t->n++;
        }
        /* /proc lists processes in pid order: sorted again only if it did not. */
        bool sorted = true;
        for (size_t i = 1; i < t->n && sorted; i++)
                sorted = t->procs[i - 1].pid < t->procs[i].pid;
        if (!sorted)
                qsort(t->procs, t->n, sizeof(*t->procs), proc_cmp);
        return 0;
}

const struct proc *proc_table_find(const struct proc_table *t, pid_t pid) {
        struct proc key = { .pid = pid };
        return bsearch(&key, t->procs, t->n, sizeof(*t->procs), proc_cmp);
}

const char *proc_arg(const struct proc *p, size_t i) {
        size_t off = 0;
        while (off < p->argv_len) {
                if (i == 0)
                        return p->argv + off;
                off += strlen(p->argv + off) + 1;
                i--;
        }
        return NULL;
}

size_t proc_argc(const struct proc *p) {
        size_t n = 0;
        for (size_t off = 0; off < p->argv_len; off += strlen(p->argv + off) + 1)
                n++;
        return n;
}
