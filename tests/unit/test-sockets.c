/* SPDX-License-Identifier: MIT */
/* Listening sockets from a fixture proc tree in the kernel's exact format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <cmocka.h>

#include "text/cleanup.h"
#include "fixture-proc.h"
#include "host/host.h"
#include "host/sockets.h"
#include "fixture-check.h"

/* As this machine printed them while python3 -m http.server and test sockets ran. */
static const char tcp[] = NET_TCP_HEADER
        "   0: 0100007F:223D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 241043 1 00000000242928c5 100 0 0 10 0                    \n"
        "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1088 1 00000000da6c36fb 100 0 0 10 0                      \n"
        "   2: 020200C0:94AC 507100CB:0050 06 00000000:00000000 03:0000060C 00000000     0        0 0 3 00000000f793d044                                      \n"
        "   3: 0100007F:223D 0100007F:C03A 01 00000000:00000000 00:00000000 00000000  1000        0 241099 1 000000000c697f96 20 4 30 10 -1                   \n";
static const char tcp6[] = NET_TCP6_HEADER
        "   0: 00000000000000000000000000000000:223E 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 241040 1 000000008ee3725f 100 0 0 10 0\n";
static const char udp[] = NET_UDP_HEADER
        "15468: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 241041 2 00000000343659ed 0        \n"
        "15470: 0100007F:A1B2 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 241077 2 00000000343659ee 0        \n";
static const char udp6[] = NET_UDP6_HEADER
        "15469: 00000000000000000000000001000000:14EA 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 241042 2 00000000937a1be2 0\n";

static char *make_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/proc/net/tcp", tcp);
        fixture_write(root, "/proc/net/tcp6", tcp6);
        fixture_write(root, "/proc/net/udp", udp);
        fixture_write(root, "/proc/net/udp6", udp6);
        fixture_write(root, "/proc/uptime", "5000.00 9000.00\n");
        struct fproc a = { .pid = 1, .ppid = 0, .comm = "init", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = 1, .rss_pages = 100 };
        struct fproc b = { .pid = 4242, .ppid = 1, .comm = "python3", .argv = { "python3", "-m", "http.server", "8765", NULL }, .cgroup = "/user.slice/session-3.scope", .start = 100, .rss_pages = 5000 };
        struct fproc c = { .pid = 4300, .ppid = 1, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = "/user.slice/session-3.scope", .start = 100, .rss_pages = 5000, .uid = 1000 };
        fproc_write(root, &a);
        fproc_write(root, &b);
        fproc_write(root, &c);
        fproc_socket(root, 1, 3, 1088);
        fproc_socket(root, 4242, 3, 241043);
        fproc_socket(root, 4242, 4, 241043);       /* a dup()ed fd: one socket */
        fproc_socket(root, 4242, 5, 241041);
        fixture_symlink(root, "pipe:[77]", "/proc/4242/fd/6");
        fixture_symlink(root, "/dev/null", "/proc/4242/fd/0");
        fproc_socket(root, 4300, 7, 241040);
        fproc_socket(root, 4300, 8, 241042);
        fproc_socket(root, 4300, 9, 241099);       /* a connection, not a listener */
        return root;
}

static void test_listeners_parsed_and_owned(void **state) {
        char *root = make_root();
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        assert_int_equal(t->error, 0);
        assert_int_equal(t->n, 5);      /* 2 tcp, 1 tcp6, 1 udp, 1 udp6 */
        const struct listen_socket *s[8];
        assert_int_equal(sockets_of_pid(t, 4242, s, 8), 2);
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(socket_format(s[i], &sb), 0);
                strbuf_addch(&sb, ',');
        }
        assert_true(strcmp(strbuf_str(&sb), "udp 0.0.0.0:5353,tcp 127.0.0.1:8765,") == 0 ||
                    strcmp(strbuf_str(&sb), "tcp 127.0.0.1:8765,udp 0.0.0.0:5353,") == 0);
        strbuf_reset(&sb);
        assert_int_equal(sockets_tcp_port(t, 4242), 8765);
        assert_int_equal(sockets_of_pid(t, 4300, s, 8), 2);
        assert_int_equal(sockets_tcp_port(t, 4300), 8766);
        for (size_t i = 0; i < 2; i++) {
                socket_format(s[i], &sb);
                strbuf_addch(&sb, ',');
        }
        assert_non_null(strstr(strbuf_str(&sb), "tcp [::]:8766"));
        assert_non_null(strstr(strbuf_str(&sb), "udp [::1]:5354"));
        assert_int_equal(sockets_tcp_port(t, 1), 2024);
        assert_int_equal(sockets_of_pid(t, 99, s, 8), 0);
        /* Read once: the same table again. */
        const struct socket_table *t2;
        assert_int_equal(host_sockets(h, &t2), 0);
        assert_ptr_equal(t, t2);
        strbuf_release(&sb);
        host_free(h);
        fixture_remove(root);
}

static void test_process_gone_mid_scan_is_skipped(void **state) {
        char *root = make_root();
        /* The process table names 4300, but its fd directory is gone (it exited). */
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s/proc/4300/fd'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        assert_int_equal(sockets_tcp_port(t, 4300), 0);
        assert_int_equal(sockets_tcp_port(t, 4242), 8765);
        host_free(h);
        fixture_remove(root);
}

static void test_malformed_rows_flagged_not_fatal(void **state) {
        struct socket_table t = { 0 };
        const char text[] = NET_TCP_HEADER
                "   0: garbage\n"
                "   1: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0\n"
                "   2: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0 100 0 0 10 0\n";
        assert_int_equal(sockets_parse(&t, text, false, false), -EINVAL);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.sockets[0].port, 80);
        assert_int_equal(t.sockets[0].family, AF_INET);
        free(t.sockets);
}

static void test_no_proc_net_is_empty(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "/proc/net/tcp");  /* a directory where the file is expected */
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        assert_int_equal(t->n, 0);
        assert_int_not_equal(t->error, 0);
        host_free(h);
        fixture_remove(root);
}

static void test_fd_dir_unreadable_or_a_symlink_gives_no_owner(void **state) {
        char *root = make_root();
        char *cmd;
        /* 4242's fd is a file where the directory is expected; 4300's is a link to 4242's,
         * which /proc never shows: neither is followed nor fatal. */
        assert_true(asprintf(&cmd, "rm -rf '%s/proc/4242/fd' '%s/proc/4300/fd' && : > '%s/proc/4242/fd' && "
                             "ln -s ../1/fd '%s/proc/4300/fd'", root, root, root, root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        assert_int_equal(t->error, 0);
        assert_int_equal(sockets_of_pid(t, 4242, NULL, 0), 0);
        assert_int_equal(sockets_of_pid(t, 4300, NULL, 0), 0);
        assert_int_equal(sockets_tcp_port(t, 1), 2024);
        host_free(h);
        fixture_remove(root);
}

static void test_zombie_fds_not_read(void **state) {
        char *root = make_root();
        /* A zombie's stat says Z; its fd directory is empty in the kernel, here it is not. */
        struct fproc z = { .pid = 4400, .ppid = 1, .comm = "defunct", .argv = { NULL },
                           .cgroup = "/user.slice/session-3.scope", .start = 100, .state = 'Z' };
        fproc_write(root, &z);
        fproc_socket(root, 4400, 3, 241043);
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        assert_int_equal(sockets_of_pid(t, 4400, NULL, 0), 0);
        assert_int_equal(sockets_tcp_port(t, 4242), 8765);
        host_free(h);
        fixture_remove(root);
}

static int listener(int family, int type, const char *addr, uint16_t *ret_port, uint64_t *ret_inode) {
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        if (family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                inet_pton(AF_INET, addr, &a->sin_addr);
                len = sizeof(*a);
        } else {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                inet_pton(AF_INET6, addr, &a->sin6_addr);
                len = sizeof(*a);
        }
        int fd = socket(family, type | SOCK_CLOEXEC, 0);
        struct stat st;
        if (fd < 0 || bind(fd, (struct sockaddr *) &ss, len) < 0 || (type == SOCK_STREAM && listen(fd, 4) < 0) ||
            getsockname(fd, (struct sockaddr *) &ss, &len) < 0 || fstat(fd, &st) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        *ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port :
                                              ((struct sockaddr_in6 *) &ss)->sin6_port);
        *ret_inode = st.st_ino;
        return fd;
}

static const struct listen_socket *by_inode(const struct socket_table *t, uint64_t inode) {
        for (size_t i = 0; i < t->n; i++)
                if (t->sockets[i].inode == inode)
                        return &t->sockets[i];
        return NULL;
}

/* Whether this machine answers sock_diag: qemu-user (make test-cross) and kernels without
 * inet_diag do not, and hostfit reads /proc/net there instead. A skip, with its reason. */
static bool have_sock_diag(void) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        print_message("skip: no sock_diag netlink socket here (%s): hostfit reads /proc/net instead\n",
                      strerror(errno));
        return false;
}

/* sock_diag and /proc/net agree on this machine, field by field, for our own sockets and
 * for every socket both saw. */
static void test_live_sock_diag_matches_proc_net(void **state) {
        static const struct { const char *path; int family, type; const char *addr; bool udp, v6; } c[] = {
                { "/proc/net/tcp", AF_INET, SOCK_STREAM, "127.0.0.1", false, false },
                { "/proc/net/tcp6", AF_INET6, SOCK_STREAM, "::1", false, true },
                { "/proc/net/udp", AF_INET, SOCK_DGRAM, "127.0.0.1", true, false },
                { "/proc/net/udp6", AF_INET6, SOCK_DGRAM, "::1", true, true },
        };
        if (!have_sock_diag())
                skip();
        struct host *h = NULL;
        assert_int_equal(host_open("/", &h), 0);
        for (size_t i = 0; i < ELEMENTSOF(c); i++) {
                uint16_t port;
                uint64_t inode;
                int fd = listener(c[i].family, c[i].type, c[i].addr, &port, &inode);
                if (fd < 0 && c[i].v6)
                        continue;       /* no IPv6 here */
                assert_true(fd >= 0);
                struct socket_table nl = { 0 }, file = { 0 };
                char *text = NULL;
                assert_int_equal(sockets_read_diag(&nl, c[i].udp, c[i].v6), 0);
                assert_int_equal(host_read_file(h, c[i].path, 16 << 20, &text, NULL), 0);
                assert_int_equal(sockets_parse(&file, text, c[i].udp, c[i].v6), 0);
                const struct listen_socket *a = by_inode(&nl, inode), *b = by_inode(&file, inode);
                assert_non_null(a);
                assert_non_null(b);
                assert_int_equal(a->port, port);
                assert_int_equal(a->uid, geteuid());
                for (size_t j = 0; j < nl.n; j++) {
                        const struct listen_socket *f = by_inode(&file, nl.sockets[j].inode);
                        if (!f)
                                continue;
                        assert_int_equal(f->udp, nl.sockets[j].udp);
                        assert_int_equal(f->family, nl.sockets[j].family);
                        assert_memory_equal(f->addr, nl.sockets[j].addr, sizeof(f->addr));
                        assert_int_equal(f->port, nl.sockets[j].port);
                        assert_int_equal(f->uid, nl.sockets[j].uid);
                }
                free(text);
                free(nl.sockets);
                free(file.sockets);
                close(fd);
        }
        host_free(h);
}

/* A connected udp socket is a client: neither source lists it. */
static void test_live_connected_udp_not_listed(void **state) {
        if (!have_sock_diag())
                skip();
        uint16_t port, port2;
        uint64_t inode, inode2;
        int srv = listener(AF_INET, SOCK_DGRAM, "127.0.0.1", &port, &inode);
        int cli = listener(AF_INET, SOCK_DGRAM, "127.0.0.1", &port2, &inode2);
        assert_true(srv >= 0 && cli >= 0);
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        assert_int_equal(connect(cli, (struct sockaddr *) &to, sizeof(to)), 0);
        struct socket_table nl = { 0 };
        assert_int_equal(sockets_read_diag(&nl, true, false), 0);
        assert_non_null(by_inode(&nl, inode));
        assert_null(by_inode(&nl, inode2));
        free(nl.sockets);
        close(srv);
        close(cli);
}

/* The running system end to end: this process is found as the owner of its listener. */
static void test_live_own_listener_owned_by_this_process(void **state) {
        uint16_t port;
        uint64_t inode;
        int fd = listener(AF_INET, SOCK_STREAM, "127.0.0.1", &port, &inode);
        assert_true(fd >= 0);
        struct host *h = NULL;
        assert_int_equal(host_open("/", &h), 0);
        const struct socket_table *t;
        assert_int_equal(host_sockets(h, &t), 0);
        const struct listen_socket *s[16];
        size_t n = sockets_of_pid(t, getpid(), s, 16);
        assert_int_equal(n, 1);
        assert_int_equal(s[0]->inode, inode);
        assert_int_equal(sockets_tcp_port(t, getpid()), port);
        host_free(h);
        close(fd);
}

/* A proc/net/tcp over hostfit's bound (16 MiB, a sparse file here): both checks that
 * judge servers by their sockets say error, name the file, and pass nothing. */
static void check_short_table(const char *id) {
        char *root = fixture_new(), *p;
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/net/tcp", NET_TCP_HEADER);
        assert_true(asprintf(&p, "%s/proc/net/tcp", root) > 0);
        assert_int_equal(truncate(p, (off_t) 17 << 20), 0);
        free(p);
        const struct fproc procs[] = {
                { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = 100 },
                { .pid = 103, .ppid = 1, .comm = "node", .argv = { "node", "server.js", NULL },
                  .cgroup = "/user.slice/user-1000.slice/session-3.scope", .start = 1000, .rss_pages = 40000, .uid = 1000 },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, id);
        assert_true(x.cr->status == STATUS_ERROR || x.cr->status == STATUS_FAIL);
        assert_int_equal(run_count(&x, STATUS_PASS), 0);
        const struct finding *f = run_find(&x, "cannot read /proc/net/tcp");
        assert_non_null(f);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_non_null(strstr(f->message, "larger than hostfit reads"));
        run_free(&x);
        fixture_remove(root);
}

static void test_tcp_over_the_bound_is_an_error_in_unmanaged_service(void **state) {
        check_short_table("unmanaged-service");
}

static void test_tcp_over_the_bound_is_an_error_in_keepalive_loop(void **state) {
        check_short_table("keepalive-loop");
}

/* The table says which file it could not read. */
static void test_table_names_the_file_it_could_not_read(void **state) {
        char *root = make_root(), *p;
        assert_true(asprintf(&p, "%s/proc/net/udp6", root) > 0);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        free(p);
        struct host *h = NULL;
        const struct socket_table *t;
        char buf[256];
        assert_int_equal(host_open(root, &h), 0);
        alarm(FIXTURE_HANG_BOUND_S);
        assert_int_equal(host_sockets(h, &t), 0);
        alarm(0);
        assert_int_equal(t->error, -ENXIO);
        assert_string_equal(t->error_path, "/proc/net/udp6");
        assert_int_equal(sockets_error_message(h, t, 0, buf, sizeof(buf)), 1);
        assert_string_equal(buf, "cannot read /proc/net/udp6: it is a FIFO, not a regular file; a server listening there is not seen");
        assert_true(t->n > 0);          /* the other files still count */
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_listeners_parsed_and_owned),
                cmocka_unit_test(test_process_gone_mid_scan_is_skipped),
                cmocka_unit_test(test_malformed_rows_flagged_not_fatal),
                cmocka_unit_test(test_no_proc_net_is_empty),
                cmocka_unit_test(test_fd_dir_unreadable_or_a_symlink_gives_no_owner),
                cmocka_unit_test(test_zombie_fds_not_read),
                cmocka_unit_test(test_tcp_over_the_bound_is_an_error_in_unmanaged_service),
                cmocka_unit_test(test_tcp_over_the_bound_is_an_error_in_keepalive_loop),
                cmocka_unit_test(test_table_names_the_file_it_could_not_read),
                cmocka_unit_test(test_live_sock_diag_matches_proc_net),
                cmocka_unit_test(test_live_connected_udp_not_listed),
                cmocka_unit_test(test_live_own_listener_owned_by_this_process),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
