/* SPDX-License-Identifier: MIT */
/* Listening sockets of the running system through NETLINK_SOCK_DIAG: the kernel
 * walks only the listening sockets, where reading /proc/net/tcp walks the whole
 * connection hash (milliseconds on a host with much memory, twice per read to EOF). */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/sockets.h"

#define DIAG_BUF 32768

static int send_dump(int fd, bool udp, bool v6) {
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 r;
        } req = {
                .nlh = {
                        .nlmsg_len = sizeof(req),
                        .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                        .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                        .nlmsg_seq = 1,
                },
                .r = {
                        .sdiag_family = v6 ? AF_INET6 : AF_INET,
                        .sdiag_protocol = udp ? IPPROTO_UDP : IPPROTO_TCP,
                        /* As /proc/net shows them: tcp in LISTEN (0A), udp in CLOSE (07). */
                        .idiag_states = udp ? 1U << TCP_CLOSE : 1U << TCP_LISTEN,
                },
        };
        struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
        ssize_t n = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *) &nl, sizeof(nl));
        if (n < 0)
                return -errno;
        return n == (ssize_t) sizeof(req) ? 0 : -EIO;
}

/* The same filter as the /proc/net rows: an inode, and for udp no peer. */
static int add_msg(struct socket_table *t, const struct inet_diag_msg *m, bool udp, bool v6) {
        static const uint32_t zero[4];
        if (m->idiag_inode == 0 || m->idiag_state != (udp ? TCP_CLOSE : TCP_LISTEN))
                return 0;
        if (udp && (m->id.idiag_dport != 0 || memcmp(m->id.idiag_dst, zero, sizeof(zero)) != 0))
                return 0;
        struct listen_socket s = {
                .udp = udp,
                .family = v6 ? AF_INET6 : AF_INET,
                .port = ntohs(m->id.idiag_sport),
                .uid = m->idiag_uid,
                .inode = m->idiag_inode,
        };
        memcpy(s.addr, m->id.idiag_src, v6 ? 16 : 4);
        return sockets_add(t, &s);
}

/* One datagram of the dump; 1 when the dump is done. */
static int parse_reply(struct socket_table *t, const char *buf, size_t len, bool udp, bool v6) {
        for (const struct nlmsghdr *h = (const struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                return -EBADMSG;
                        return e->error < 0 ? e->error : -EPROTO;
                }
                if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                        return -EBADMSG;
                int r = add_msg(t, NLMSG_DATA(h), udp, v6);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sockets_read_diag(struct socket_table *t, bool udp, bool v6) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        int r = send_dump(fd, udp, v6);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = malloc(DIAG_BUF);
        if (!buf)
                return -ENOMEM;
        size_t n0 = t->n;
        for (r = 0; r == 0; ) {
                ssize_t n = recv(fd, buf, DIAG_BUF, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : -EIO;
                        break;
                }
                r = parse_reply(t, buf, (size_t) n, udp, v6);
        }
        if (r < 0)
                t->n = n0;      /* all or nothing: the caller falls back to the file */
        return r < 0 ? r : 0;
}
