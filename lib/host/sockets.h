/* SPDX-License-Identifier: MIT */
/* Listening sockets: ROOT/proc/net/{tcp,tcp6,udp,udp6} (sock_diag on the running system)
 * and their owners through the "socket:[INODE]" links in ROOT/proc/PID/fd. Read once a run, kept with the host. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "text/strbuf.h"

struct host;

struct listen_socket {
        bool udp;               /* false: tcp in LISTEN (0A); true: udp bound and unconnected (07) */
        int family;             /* AF_INET or AF_INET6 */
        unsigned char addr[16]; /* network byte order; the first 4 bytes for AF_INET */
        uint16_t port;
        uid_t uid;
        uint64_t inode;
};

struct socket_owners;

struct socket_table {
        struct listen_socket *sockets;
        size_t n;
        struct socket_owners *owners;   /* private: who holds which, found per process when asked */
        int error;              /* not 0 when a proc/net file could not be read (-errno): the table may be short */
        const char *error_path; /* that file ("/proc/net/tcp"), static */
};

/* The table; a missing proc/net file is an empty list, a process that exits mid-scan is left out.
 * The owners of a process's sockets are read from its fd directory on the first question
 * about it (sockets_of_pid, sockets_tcp_port): ask after the cheap filters. */
int host_sockets(struct host *h, const struct socket_table **ret);
/* What a check says when the table may be short (T NULL: it could not be built, R): "cannot read
 * /proc/net/tcp: larger than hostfit reads; a server listening there is not seen". 0 when whole, 1 when
 * BUF holds it, -ENOMEM. A check that judges servers by their sockets reports it as an error, never a pass. */
int sockets_error_message(struct host *h, const struct socket_table *t, int r, char *buf, size_t size);
/* The sockets PID listens on, at most MAX into OUT; returns how many there are. */
size_t sockets_of_pid(const struct socket_table *t, pid_t pid, const struct listen_socket **out, size_t max);
/* The work done so far: how many fd directories were read, and whether PID's was. No
 * listening socket in the table: none is ever read. */
size_t sockets_fd_tables_read(const struct socket_table *t);
bool sockets_fd_table_read(const struct socket_table *t, pid_t pid);
/* The first TCP port PID listens on, 0 when none. */
uint16_t sockets_tcp_port(const struct socket_table *t, pid_t pid);
/* "tcp 127.0.0.1:8080", "udp [::1]:53". */
int socket_format(const struct listen_socket *s, struct strbuf *out);
/* Append S to T: 0 or -ENOMEM. */
int sockets_add(struct socket_table *t, const struct listen_socket *s);
/* Parse one proc/net file's text (for tests and host_sockets); appends to T. */
int sockets_parse(struct socket_table *t, const char *text, bool udp, bool v6);
/* The same rows from the running system's NETLINK_SOCK_DIAG (host_sockets uses it when the
 * root is "/"); appends to T, or nothing and -errno when netlink is refused. */
int sockets_read_diag(struct socket_table *t, bool udp, bool v6);
