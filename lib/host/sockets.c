/* SPDX-License-Identifier: MIT */
/* Listening sockets from ROOT/proc/net and their owners from ROOT/proc/PID/fd. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "text/grow.h"
#include "text/cleanup.h"
#include "host/host.h"
#include "host/resolve.h"
#include "host/sockets.h"

#define NET_FILE_MAX (16U << 20)

/* Who holds which listening socket, found per process on the first question about it:
 * a process's answer depends on its own fds alone, so the checks pay only for the
 * processes they ask about (they ask last, after their cheap filters). */
struct socket_owners {
        struct host *host;
        const struct proc_table *procs;
        int proc_fd;                    /* ROOT/proc, or -errno */
        struct pid_owners {
                uint32_t first, count;  /* its range of socket[] */
                bool scanned;           /* asked about */
                bool read;              /* its fd directory opened and read */
        } *of;                          /* parallel to procs->procs */
        size_t *socket;                 /* indexes into the table's sockets */
        size_t n, alloc;
        size_t fd_tables;               /* fd directories read, for sockets_fd_tables_read() */
};

static void socket_table_free(void *p) {
        struct socket_table *t = p;
        if (!t)
                return;
        free(t->sockets);
        if (t->owners) {
                if (t->owners->proc_fd >= 0)
                        close(t->owners->proc_fd);
                free(t->owners->of);
                free(t->owners->socket);
                free(t->owners);
        }
        free(t);
}

/* "0100007F:1F90": the kernel prints each 32-bit word of the address in host order. */
static int parse_addr(const char *s, bool v6, struct listen_socket *ret) {
        size_t words = v6 ? 4 : 1;
        for (size_t i = 0; i < words; i++) {
                char hex[9];
                memcpy(hex, s + i * 8, 8);
                hex[8] = 0;
                char *end;
                unsigned long w = strtoul(hex, &end, 16);
                if (end != hex + 8)
                        return -EINVAL;
                uint32_t w32 = (uint32_t) w;
                memcpy(ret->addr + i * 4, &w32, 4);
        }
        const char *colon = s + words * 8;
        if (*colon != ':')
                return -EINVAL;
        char *end;
        unsigned long port = strtoul(colon + 1, &end, 16);
        if (end != colon + 5 || port > 0xffff)
                return -EINVAL;
        ret->port = (uint16_t) port;
        ret->family = v6 ? AF_INET6 : AF_INET;
        return 0;
}

static int parse_row(struct socket_table *t, const char *line, bool udp, bool v6) {
        char local[64], remote[64];
        unsigned st, uid;
        uint64_t inode;
        struct listen_socket s = { .udp = udp };
        if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %u %*u %" SCNu64, local, remote, &st, &uid, &inode) != 5)
                return -EINVAL;
        if (st != (udp ? 0x07u : 0x0Au) || inode == 0)
                return 0;
        /* A udp socket "connect()ed" somewhere is a client, not a server. */
        if (udp && strspn(remote, "0:") != strlen(remote))
                return 0;
        if (parse_addr(local, v6, &s) < 0)
                return -EINVAL;
        s.uid = uid;
        s.inode = inode;
        return sockets_add(t, &s);
}

int sockets_add(struct socket_table *t, const struct listen_socket *s) {
        if (grow_due(t->n)) {
                struct listen_socket *n = reallocarray(t->sockets, grow_cap(t->n), sizeof(*n));
                if (!n)
                        return -ENOMEM;
                t->sockets = n;
        }
        t->sockets[t->n++] = *s;
        return 0;
}

int sockets_parse(struct socket_table *t, const char *text, bool udp, bool v6) {
        const char *p = strchr(text, '\n');     /* the header */
        int bad = 0;
        while (p && *++p) {
                const char *nl = strchr(p, '\n');
                char line[512];
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (len >= sizeof(line))
                        len = sizeof(line) - 1;
                memcpy(line, p, len);
                line[len] = 0;
                int r = parse_row(t, line, udp, v6);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        bad = r;
                p = nl;
        }
        return bad;
}

static int cmp_inode(const void *a, const void *b) {
        uint64_t x = ((const struct listen_socket *) a)->inode, y = ((const struct listen_socket *) b)->inode;
        return x < y ? -1 : x > y;
}

static int add_owner(struct socket_owners *o, const struct pid_owners *po, size_t idx) {
        for (size_t i = po->first; i < o->n; i++)
                if (o->socket[i] == idx)
                        return 0;       /* the same socket through two fds */
        if (o->n == o->alloc) {
                size_t na = o->alloc ? o->alloc * 2 : 16;
                size_t *n = na <= UINT32_MAX ? reallocarray(o->socket, na, sizeof(*n)) : NULL;
                if (!n)
                        return -ENOMEM;
                o->socket = n;
                o->alloc = na;
        }
        o->socket[o->n++] = idx;
        return 0;
}

/* "socket:[INODE]" → INODE; 0 for any other link. */
static uint64_t socket_inode(const char *link, size_t len) {
        static const char prefix[] = "socket:[";
        uint64_t inode = 0;
        if (len < sizeof(prefix) + 1 || memcmp(link, prefix, sizeof(prefix) - 1) != 0 || link[len - 1] != ']')
                return 0;
        for (size_t i = sizeof(prefix) - 1; i < len - 1; i++) {
                if (link[i] < '0' || link[i] > '9' || inode > (UINT64_MAX - 9) / 10)
                        return 0;
                inode = inode * 10 + (uint64_t) (link[i] - '0');
        }
        return inode;
}

/* PID's fd directory, relative to ROOT/proc; no symlink on the way (a /proc in an image may hold one). */
static int open_fd_dir(struct host *h, int proc_fd, pid_t pid) {
        char rel[32], *s = rel + sizeof(rel) - sizeof("/fd");
        /* "PID/fd", written by hand: one per process asked about. */
        memcpy(s, "/fd", sizeof("/fd"));
        for (unsigned v = (unsigned) pid; s == rel + sizeof(rel) - sizeof("/fd") || v; v /= 10)
                *--s = (char) ('0' + v % 10);
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        if (proc_fd < 0)
                return host_proc_open(h, pid, "fd", O_RDONLY | O_DIRECTORY);
        return resolve_openat2(proc_fd, s, &how);
}

/* The fds of PID that are listening sockets. A process gone, or fds we may not read, add nothing.
 * getdents64 straight into a buffer (no DIR, no fstat) and readlinkat only for fd entries. */
static int scan_fds(const struct socket_table *t, struct pid_owners *po, pid_t pid) {
        struct socket_owners *o = t->owners;
        _cleanup_close_ int fd = open_fd_dir(o->host, o->proc_fd, pid);
        if (fd < 0)
                return 0;
        po->read = true;
        o->fd_tables++;
        for (;;) {
                char buf[16384] __attribute__((aligned(8)));
                long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
                if (n <= 0)
                        return 0;
                for (long off = 0; off < n; ) {
                        const struct dirent64 *e = (const struct dirent64 *) (buf + off);
                        char link[64];
                        off += e->d_reclen;
                        if (e->d_name[0] == '.')
                                continue;
                        ssize_t l = readlinkat(fd, e->d_name, link, sizeof(link));
                        uint64_t inode = l > 0 ? socket_inode(link, (size_t) l) : 0;
                        if (!inode)
                                continue;
                        struct listen_socket key = { .inode = inode };
                        const struct listen_socket *s = bsearch(&key, t->sockets, t->n, sizeof(key), cmp_inode);
                        int r = s ? add_owner(o, po, (size_t) (s - t->sockets)) : 0;
                        if (r < 0)
                                return r;
                        if (o->n - po->first == t->n)
                                return 0;       /* it holds every listening socket: no fd can add one */
                }
        }
}

static int read_net(struct host *h, struct socket_table *t) {
        static const struct { const char *path; bool udp, v6; } files[] = {
                { "/proc/net/tcp", false, false }, { "/proc/net/tcp6", false, true },
                { "/proc/net/udp", true, false },  { "/proc/net/udp6", true, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;
                /* The running system: the same rows from sock_diag, without the walk of
                 * every connection; the file when netlink is refused (no sock_diag). */
                int r = host_is_live(h) ? sockets_read_diag(t, files[i].udp, files[i].v6) : -ENOTSUP;
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        continue;
                r = host_read_file(h, files[i].path, NET_FILE_MAX, &text, NULL);
                if (r == -ENOENT)
                        continue;       /* no IPv6, or a root without proc/net */
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        r = sockets_parse(t, text, files[i].udp, files[i].v6);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        t->error = r;
                        t->error_path = files[i].path;
                }
        }
        return 0;
}

static int sockets_build(struct host *h, struct socket_table *t) {
        const struct proc_table *pt;
        int r = read_net(h, t);
        if (r < 0 || t->n == 0)
                return r;       /* nothing listens: no process holds a listener, no fd directory is read */
        qsort(t->sockets, t->n, sizeof(*t->sockets), cmp_inode);
        r = host_procs(h, &pt);
        if (r < 0) {
                t->error = r;
                t->error_path = "/proc";
                return 0;
        }
        t->owners = calloc(1, sizeof(*t->owners));
        if (!t->owners)
                return -ENOMEM;
        *t->owners = (struct socket_owners) { .host = h, .procs = pt };
        t->owners->of = calloc(pt->n ? pt->n : 1, sizeof(*t->owners->of));
        t->owners->proc_fd = host_open_file(h, "/proc", O_PATH | O_DIRECTORY);
        return t->owners->of ? 0 : -ENOMEM;
}

int host_sockets(struct host *h, const struct socket_table **ret) {
        struct socket_table *t = host_cache_get(h, "sockets");
        if (!t) {
                t = calloc(1, sizeof(*t));
                if (!t)
                        return -ENOMEM;
                int r = sockets_build(h, t);
                if (r < 0) {
                        socket_table_free(t);
                        return r;
                }
                r = host_cache_put(h, "sockets", t, socket_table_free);
                if (r < 0)
                        return r;
        }
        *ret = t;
        return 0;
}

int sockets_error_message(struct host *h, const struct socket_table *t, int r, char *buf, size_t size) {
        char why[128];
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && (!t || !t->error))
                return 0;
        const char *path = r < 0 ? "/proc/net" : t->error_path ? t->error_path : "/proc/net";
        int e = r < 0 ? r : t->error;
        snprintf(buf, size, "cannot read %s: %s; a server listening there is not seen", path,
                 host_read_error(h, r < 0 ? NULL : t->error_path, e, why, sizeof(why)));
        return 1;
}

/* The owners entry of PID, its fds scanned on the first question; NULL for a pid not in
 * the process table, or when the scan ran out of memory (then: no sockets). */
static const struct pid_owners *owners_of(const struct socket_table *t, pid_t pid) {
        struct socket_owners *o = t->owners;
        const struct proc *p = o ? proc_table_find(o->procs, pid) : NULL;
        if (!p)
                return NULL;
        struct pid_owners *po = &o->of[p - o->procs->procs];
        if (po->scanned)
                return po;
        po->scanned = true;
        po->first = (uint32_t) o->n;
        /* Kernel threads hold no files; a zombie's fd directory is empty. */
        if (!p->kthread && p->state != 'Z' && scan_fds(t, po, pid) < 0)
                o->n = po->first;
        po->count = (uint32_t) (o->n - po->first);
        return po;
}

size_t sockets_fd_tables_read(const struct socket_table *t) {
        return t && t->owners ? t->owners->fd_tables : 0;
}

bool sockets_fd_table_read(const struct socket_table *t, pid_t pid) {
        struct socket_owners *o = t ? t->owners : NULL;
        const struct proc *p = o ? proc_table_find(o->procs, pid) : NULL;
        return p && o->of[p - o->procs->procs].read;
}

size_t sockets_of_pid(const struct socket_table *t, pid_t pid, const struct listen_socket **out, size_t max) {
        const struct pid_owners *po = owners_of(t, pid);
        size_t n = po ? po->count : 0;
        for (size_t i = 0; i < n && i < max; i++)
                out[i] = &t->sockets[t->owners->socket[po->first + i]];
        return n;
}

uint16_t sockets_tcp_port(const struct socket_table *t, pid_t pid) {
        const struct pid_owners *po = owners_of(t, pid);
        for (size_t i = 0; po && i < po->count; i++) {
                const struct listen_socket *s = &t->sockets[t->owners->socket[po->first + i]];
                if (!s->udp)
                        return s->port;
        }
        return 0;
}

int socket_format(const struct listen_socket *s, struct strbuf *out) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(s->family, s->addr, a, sizeof(a)))
                return -errno;
        return strbuf_addf(out, s->family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
                           s->udp ? "udp" : "tcp", a, (unsigned) s->port);
}
