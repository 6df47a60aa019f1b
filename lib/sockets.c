/* Listening sockets from ROOT/proc/net and their owners from ROOT/proc/PID/fd. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "host.h"
#include "sockets.h"

#define NET_FILE_MAX (16U << 20)

static void socket_table_free(void *p) {
        struct socket_table *t = p;
        if (!t)
                return;
        free(t->sockets);
        free(t->owners);
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
        struct listen_socket *n = realloc(t->sockets, (t->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        t->sockets = n;
        n[t->n++] = s;
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

static int add_owner(struct socket_table *t, pid_t pid, size_t idx) {
        for (size_t i = t->n_owners; i > 0 && t->owners[i - 1].pid == pid; i--)
                if (t->owners[i - 1].socket == idx)
                        return 0;       /* the same socket through two fds */
        struct socket_owner *n = realloc(t->owners, (t->n_owners + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        t->owners = n;
        n[t->n_owners++] = (struct socket_owner) { pid, idx };
        return 0;
}

/* The fds of PID that are listening sockets. A process gone, or fds we may not read, add nothing. */
static int scan_fds(struct host *h, struct socket_table *t, pid_t pid) {
        int fd = host_proc_open(h, pid, "fd", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        for (struct dirent *e; r == 0 && (e = readdir(d)); ) {
                char buf[64];
                ssize_t n = readlinkat(dirfd(d), e->d_name, buf, sizeof(buf) - 1);
                if (n < 9)
                        continue;
                buf[n] = 0;
                uint64_t inode;
                char close_br;
                if (sscanf(buf, "socket:[%" SCNu64 "%c", &inode, &close_br) != 2 || close_br != ']')
                        continue;
                struct listen_socket key = { .inode = inode };
                const struct listen_socket *s = bsearch(&key, t->sockets, t->n, sizeof(key), cmp_inode);
                if (s)
                        r = add_owner(t, pid, (size_t) (s - t->sockets));
        }
        closedir(d);
        return r;
}

static int read_net(struct host *h, struct socket_table *t) {
        static const struct { const char *path; bool udp, v6; } files[] = {
                { "/proc/net/tcp", false, false }, { "/proc/net/tcp6", false, true },
                { "/proc/net/udp", true, false },  { "/proc/net/udp6", true, true },
        };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;
                int r = host_read_file(h, files[i].path, NET_FILE_MAX, &text, NULL);
                if (r == -ENOENT)
                        continue;       /* no IPv6, or a root without proc/net */
                if (r == -ENOMEM)
                        return r;
                if (r == 0)
                        r = sockets_parse(t, text, files[i].udp, files[i].v6);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        t->error = r;
        }
        return 0;
}

static int sockets_build(struct host *h, struct socket_table *t) {
        const struct proc_table *pt;
        int r = read_net(h, t);
        if (r < 0 || t->n == 0)
                return r;
        qsort(t->sockets, t->n, sizeof(*t->sockets), cmp_inode);
        r = host_procs(h, &pt);
        if (r < 0) {
                t->error = r;
                return 0;
        }
        for (size_t i = 0; i < pt->n && r == 0; i++)
                if (!pt->procs[i].kthread)
                        r = scan_fds(h, t, pt->procs[i].pid);
        return r;
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

size_t sockets_of_pid(const struct socket_table *t, pid_t pid, const struct listen_socket **out, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < t->n_owners; i++)
                if (t->owners[i].pid == pid) {
                        if (n < max)
                                out[n] = &t->sockets[t->owners[i].socket];
                        n++;
                }
        return n;
}

uint16_t sockets_tcp_port(const struct socket_table *t, pid_t pid) {
        for (size_t i = 0; i < t->n_owners; i++)
                if (t->owners[i].pid == pid && !t->sockets[t->owners[i].socket].udp)
                        return t->sockets[t->owners[i].socket].port;
        return 0;
}

int socket_format(const struct listen_socket *s, struct strbuf *out) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(s->family, s->addr, a, sizeof(a)))
                return -errno;
        return strbuf_addf(out, s->family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
                           s->udp ? "udp" : "tcp", a, (unsigned) s->port);
}
