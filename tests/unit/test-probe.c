/* SPDX-License-Identifier: MIT */
/* hostfit probe against real sockets on 127.0.0.1: open, closed, HTTP 2xx/5xx, a silent server. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/command.h"
#include "fixture.h"
#include "cmd/probe.h"
#include "text/cleanup.h"
#include "fixture-proc.h"
#include "host/host.h"
#include "host/sockets.h"
#include "host/config.h"

#define USEC 1000000ULL

extern const struct command cmd_probe;

static int listen_any(uint16_t *ret_port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

/* A child that answers one connection with REPLY (NULL: says nothing until the prober closes). */
static pid_t serve_once(int fd, const char *reply) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int c = accept(fd, NULL, NULL);
                char buf[1024];
                if (c >= 0 && read(c, buf, sizeof(buf)) >= 0 && reply && write(c, reply, strlen(reply)) < 0)
                        _exit(1);
                /* Silent until the prober gives up and closes: no clock to lose a race to. */
                while (!reply && c >= 0 && read(c, buf, sizeof(buf)) > 0)
                        ;
                _exit(0);
        }
        return pid;
}

static void reap(pid_t pid) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
}

static void test_tcp_open_and_closed_port(void **state) {
        uint16_t port;
        int fd = listen_any(&port);
        char why[256] = "";
        struct probe_opts o = { .unit = "x.service", .host = "127.0.0.1", .port = port, .timeout_ms = 60000 };
        assert_int_equal(probe_once(&o, why, sizeof(why)), 0);
        close(fd);              /* now nothing listens there */
        assert_int_equal(probe_once(&o, why, sizeof(why)), -ECONNREFUSED);
        assert_non_null(strstr(why, "Connection refused"));
}

static void test_http_status_decides(void **state) {
        uint16_t port;
        int fd = listen_any(&port);
        char why[256] = "";
        struct probe_opts o = { .unit = "x.service", .host = "127.0.0.1", .port = port, .http_path = "/health",
                                .timeout_ms = 60000 };
        pid_t pid = serve_once(fd, "HTTP/1.1 204 No Content\r\n\r\n");
        assert_int_equal(probe_once(&o, why, sizeof(why)), 0);
        reap(pid);
        pid = serve_once(fd, "HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n");
        assert_int_equal(probe_once(&o, why, sizeof(why)), 0);
        reap(pid);
        pid = serve_once(fd, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert_int_equal(probe_once(&o, why, sizeof(why)), -EPROTO);
        assert_non_null(strstr(why, "answered 503"));
        reap(pid);
        pid = serve_once(fd, "SSH-2.0-OpenSSH_9.2\r\n");
        assert_int_equal(probe_once(&o, why, sizeof(why)), -EPROTO);
        reap(pid);
        close(fd);
}

static void test_silent_server_times_out(void **state) {
        uint16_t port;
        int fd = listen_any(&port);
        char why[256] = "";
        struct probe_opts o = { .unit = "x.service", .host = "127.0.0.1", .port = port, .http_path = "/",
                                .timeout_ms = 500 };
        pid_t pid = serve_once(fd, NULL);
        assert_int_equal(probe_once(&o, why, sizeof(why)), -ETIMEDOUT);
        reap(pid);
        close(fd);
}

/* Probes 30 s apart on a clock of their own; the unit started at START. */
static struct probe_limits lim = { .failures = 3, .grace_usec = 90 * USEC, .max_restarts = 16 };
static uint64_t clock_usec = 1000 * USEC, start_usec = 1000 * USEC;
static uint64_t step_usec = 30 * USEC;

static enum probe_event step_moved(struct probe_state *s, bool running, bool ok, bool moved) {
        struct probe_input in = { .running = running, .ok = ok, .moved = moved, .start_usec = start_usec,
                                  .now_usec = clock_usec };
        struct probe_state n;
        enum probe_event ev = probe_step(s, &in, &lim, &n);
        clock_usec += step_usec;
        *s = n;
        return ev;
}

static enum probe_event step(struct probe_state *s, bool running, bool ok) {
        return step_moved(s, running, ok, false);
}

static void reset_clock(void) {
        lim = (struct probe_limits) { .failures = 3, .grace_usec = 90 * USEC, .max_restarts = 16 };
        clock_usec = start_usec = 1000 * USEC;
        step_usec = 30 * USEC;
}

static void test_state_kept_between_runs(void **state) {
        (void) state;
        reset_clock();
        char *dir = fixture_new();
        char sd[512];
        snprintf(sd, sizeof(sd), "%s/health", dir);
        struct probe_opts o = { .unit = "web.service", .state_dir = sd };
        struct probe_state st, next;
        assert_int_equal(probe_state_load(&o, &st), 0);
        assert_int_equal(st.health, PROBE_UNKNOWN);
        assert_int_equal(st.failures, 0);
        assert_int_equal(step(&st, true, true), PROBE_EVENT_UP);
        assert_int_equal(step(&st, true, false), PROBE_EVENT_DOWN);
        assert_int_equal(probe_state_save(&o, &st), 0);
        assert_int_equal(probe_state_load(&o, &next), 0);
        assert_int_equal(step(&next, true, false), PROBE_EVENT_NONE);
        assert_int_equal(step(&next, true, false), PROBE_EVENT_RESTART);
        assert_int_equal(probe_state_save(&o, &next), 0);
        char *s = fixture_read(dir, "/health/web.service.failures");
        assert_string_equal(s, "0 down 1000000000 1 1090000000\n");
        free(s);
        assert_int_equal(probe_state_load(&o, &st), 0);
        assert_int_equal(st.start_usec, start_usec);
        assert_true(st.answered);
        assert_int_equal(st.restarts[0], 1090 * USEC);
        assert_int_equal(st.restarts[1], 0);
        /* older files: "COUNT STATE", and the count alone */
        fixture_write(dir, "/health/web.service.failures", "2 down\n");
        assert_int_equal(probe_state_load(&o, &st), 0);
        assert_int_equal(st.health, PROBE_DOWN);
        assert_int_equal(st.failures, 2);
        assert_false(st.answered);
        fixture_write(dir, "/health/web.service.failures", "1\n");
        assert_int_equal(probe_state_load(&o, &st), 0);
        assert_int_equal(st.health, PROBE_DOWN);
        assert_int_equal(st.failures, 1);
        o.unit = "../evil";
        assert_int_equal(probe_state_save(&o, &next), -EINVAL);
        assert_int_equal(probe_state_load(&o, &st), -EINVAL);
        fixture_remove(dir);
}

/* The journal gets a line when the state changes, not one a probe. */
static void test_one_event_per_state_change(void **state) {
        (void) state;
        reset_clock();
        struct probe_state s = { .health = PROBE_UNKNOWN };
        unsigned events[8] = { 0 };
        /* an hour of a healthy service, probed every 30 s */
        for (int i = 0; i < 120; i++)
                events[step(&s, true, true)]++;
        assert_int_equal(events[PROBE_EVENT_UP], 1);
        assert_int_equal(events[PROBE_EVENT_NONE], 119);
        /* it hangs: one line, then a try-restart every 3 failures, silent between */
        memset(events, 0, sizeof(events));
        for (int i = 0; i < 12; i++)
                events[step(&s, true, false)]++;
        assert_int_equal(events[PROBE_EVENT_DOWN], 1);
        assert_int_equal(events[PROBE_EVENT_RESTART], 4);
        assert_int_equal(events[PROBE_EVENT_NONE], 7);
        /* it answers again: one line */
        assert_int_equal(step(&s, true, true), PROBE_EVENT_UP);
        /* the admin stops it: one line, never a restart, however long */
        memset(events, 0, sizeof(events));
        for (int i = 0; i < 100; i++)
                events[step(&s, false, false)]++;
        assert_int_equal(events[PROBE_EVENT_STOPPED], 1);
        assert_int_equal(events[PROBE_EVENT_RESTART], 0);
        assert_int_equal(s.failures, 0);
        /* started again and answering: one line */
        start_usec = clock_usec;
        assert_int_equal(step(&s, true, true), PROBE_EVENT_UP);
        /* a failure count from before a stop does not carry over */
        struct probe_state down = { .health = PROBE_DOWN, .failures = 2, .answered = true, .start_usec = start_usec };
        step(&down, false, false);
        assert_int_equal(step(&down, true, false), PROBE_EVENT_DOWN);
        assert_int_equal(down.failures, 1);
}

/* A JVM that needs 40 s to listen, probed every 2 s with 2 failures: never restarted before it
 * answers (grace 90 s, its TimeoutStartSec=); once it answered, a hang is restarted as before. */
static void test_start_up_grace(void **state) {
        (void) state;
        reset_clock();
        lim.failures = 2;
        step_usec = 2 * USEC;
        struct probe_state s = { .health = PROBE_UNKNOWN };
        unsigned events[8] = { 0 };
        for (int i = 0; i < 20; i++)
                events[step(&s, true, false)]++;
        assert_int_equal(events[PROBE_EVENT_STARTING], 1);
        assert_int_equal(events[PROBE_EVENT_RESTART], 0);
        assert_int_equal(events[PROBE_EVENT_NONE], 19);
        assert_int_equal(step(&s, true, true), PROBE_EVENT_UP);
        assert_int_equal(step(&s, true, false), PROBE_EVENT_DOWN);
        assert_int_equal(step(&s, true, false), PROBE_EVENT_RESTART);
        /* restarted: a new start, a new grace */
        start_usec = clock_usec;
        assert_int_equal(step(&s, true, false), PROBE_EVENT_STARTING);
        for (int i = 0; i < 40; i++)
                assert_int_not_equal(step(&s, true, false), PROBE_EVENT_RESTART);       /* 80 s */
        /* past the grace without ever answering: restarted */
        assert_int_equal(step(&s, true, false), PROBE_EVENT_NONE);
        enum probe_event ev = PROBE_EVENT_NONE;
        for (int i = 0; i < 5 && ev != PROBE_EVENT_RESTART; i++)
                ev = step(&s, true, false);
        assert_int_equal(ev, PROBE_EVENT_RESTART);
        /* an infinite start timeout: only after it answered once */
        lim.grace_usec = PROBE_USEC_INFINITY;
        start_usec = clock_usec;
        for (int i = 0; i < 1000; i++)
                assert_int_not_equal(step(&s, true, false), PROBE_EVENT_RESTART);
}

/* The unit listens on another port now: never restarted for this one, one line. */
static void test_moved_port_not_restarted(void **state) {
        (void) state;
        reset_clock();
        struct probe_state s = { .health = PROBE_UNKNOWN };
        unsigned events[8] = { 0 };
        assert_int_equal(step(&s, true, true), PROBE_EVENT_UP);
        for (int i = 0; i < 200; i++)
                events[step_moved(&s, true, false, true)]++;
        assert_int_equal(events[PROBE_EVENT_MOVED], 1);
        assert_int_equal(events[PROBE_EVENT_RESTART], 0);
        assert_int_equal(events[PROBE_EVENT_NONE], 199);
}

/* The probe's own restarts are capped: max-restarts an hour, then one line and none until the
 * hour since the first has passed. */
static void test_restarts_capped_an_hour(void **state) {
        (void) state;
        reset_clock();
        lim.max_restarts = 3;
        struct probe_state s = { .health = PROBE_UNKNOWN };
        unsigned events[8] = { 0 };
        assert_int_equal(step(&s, true, true), PROBE_EVENT_UP);
        for (int i = 0; i < 60; i++)            /* 30 min failing */
                events[step(&s, true, false)]++;
        assert_int_equal(events[PROBE_EVENT_RESTART], 3);
        assert_int_equal(events[PROBE_EVENT_CAPPED], 1);
        memset(events, 0, sizeof(events));
        for (int i = 0; i < 90; i++)            /* the next 45 min: the first restarts leave the hour */
                events[step(&s, true, false)]++;
        assert_true(events[PROBE_EVENT_RESTART] >= 1 && events[PROBE_EVENT_RESTART] <= 3);
        /* never more than 3 within any hour */
        unsigned in_hour = 0;
        for (size_t i = 0; i < PROBE_RESTARTS_KEPT; i++)
                in_hour += s.restarts[i] && clock_usec - s.restarts[i] < 3600 * USEC;
        assert_true(in_hour <= 3);
}

static void test_http_path_per_unit(void **state) {
        (void) state;
        char buf[64];
        const char *list = "web.service:/health api.service:/ready, web2.service:/x";
        assert_string_equal(probe_http_path_for(list, "web.service", buf, sizeof(buf)), "/health");
        assert_string_equal(probe_http_path_for(list, "api.service", buf, sizeof(buf)), "/ready");
        assert_null(probe_http_path_for(list, "tcp.service", buf, sizeof(buf)));
        assert_null(probe_http_path_for(list, "web", buf, sizeof(buf)));
        assert_null(probe_http_path_for(NULL, "web.service", buf, sizeof(buf)));
        /* the one-value form is refused, saying the new one */
        struct config *c = NULL;
        char *err = NULL;
        assert_int_equal(config_parse("[healthcheck]\nhttp-path = /health\n", "hostfit.conf", &c, &err), -EINVAL);
        assert_non_null(strstr(err, "takes the units it is for: http-path = UNIT:/PATH"));
        free(err);
        err = NULL;
        assert_int_equal(config_parse("[healthcheck]\nhttp-path = web.service:/health api.service:/\n", "hostfit.conf", &c, &err), 0);
        config_free(c);
}

static void parse_table(struct socket_table *t, const char *tcp, const char *tcp6) {
        memset(t, 0, sizeof(*t));
        char *buf;
        if (tcp) {
                assert_true(asprintf(&buf, NET_TCP_HEADER "%s", tcp) > 0);
                assert_int_equal(sockets_parse(t, buf, false, false), 0);
                free(buf);
        }
        if (tcp6) {
                assert_true(asprintf(&buf, NET_TCP6_HEADER "%s", tcp6) > 0);
                assert_int_equal(sockets_parse(t, buf, false, true), 0);
                free(buf);
        }
}

#define ROW4(sl, addr, port) "  " sl ": " addr ":" port " 00000000:0000 0A 00000000:00000000 00:00000000 00000000   0        0 1234" sl " 1 0000000000000000 100 0 0 10 0\n"
#define ROW6(sl, addr, port) "  " sl ": " addr ":" port " 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   0        0 5678" sl " 1 0000000000000000 100 0 0 10 0\n"

static void assert_pick(const char *tcp, const char *tcp6, uint16_t port, const char *want) {
        struct socket_table t;
        char buf[64] = "";
        parse_table(&t, tcp, tcp6);
        int r = probe_pick_host(&t, port, buf, sizeof(buf));
        if (want) {
                assert_int_equal(r, 0);
                assert_string_equal(buf, want);
        } else {
                assert_int_equal(r, -ENOENT);
        }
        free(t.sockets);
}

/* The address a service listens on, as /proc/net/tcp{,6} shows it (little-endian hex). */
static void test_pick_the_address_the_service_listens_on(void **state) {
        /* 10.0.0.5:8080: that address, not 127.0.0.1 (where nothing answers) */
        assert_pick(ROW4("0", "0500000A", "1F90"), NULL, 8080, "10.0.0.5");
        /* 0.0.0.0:8080: its loopback */
        assert_pick(ROW4("0", "00000000", "1F90"), NULL, 8080, "127.0.0.1");
        /* [::]:8080 and [::1]:8080: IPv6 loopback */
        assert_pick(NULL, ROW6("0", "00000000000000000000000000000000", "1F90"), 8080, "::1");
        assert_pick(NULL, ROW6("0", "00000000000000000000000001000000", "1F90"), 8080, "::1");
        /* [2001:db8::5]:8080 */
        assert_pick(NULL, ROW6("0", "B80D0120000000000000000005000000", "1F90"), 8080, "2001:db8::5");
        /* 127.0.0.2: a specific loopback address is kept */
        assert_pick(ROW4("0", "0200007F", "1F90"), NULL, 8080, "127.0.0.2");
        /* a wildcard wins over a specific address; IPv4 over IPv6 */
        assert_pick(ROW4("0", "0500000A", "1F90") ROW4("1", "00000000", "1F90"), NULL, 8080, "127.0.0.1");
        assert_pick(ROW4("0", "0500000A", "1F90"), ROW6("0", "00000000000000000000000001000000", "1F90"), 8080, "::1");
        assert_pick(ROW4("0", "0100007F", "1F90"), ROW6("0", "00000000000000000000000001000000", "1F90"), 8080, "127.0.0.1");
        /* another port only, or nothing */
        assert_pick(ROW4("0", "0500000A", "1F91"), NULL, 8080, NULL);
        assert_pick(NULL, NULL, 8080, NULL);
}

/* Two services on port 8080, one on 10.0.0.5 and one on 127.0.0.1: each probe goes to its own. */
static void test_pick_the_units_own_socket(void **state) {
        struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 50, .ppid = 1, .comm = "python3", .argv = { "python3", "a.py", NULL }, .cgroup = "/system.slice/a.service" },
                { .pid = 60, .ppid = 1, .comm = "python3", .argv = { "python3", "b.py", NULL }, .cgroup = "/system.slice/b.service" },
        };
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "proc/net/tcp", NET_TCP_HEADER
                      "   0: 0500000A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0\n"
                      "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0\n");
        fproc_socket(root, 50, 3, 111);
        fproc_socket(root, 60, 3, 222);
        struct host *h;
        char buf[64];
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(probe_pick_host_of_unit(h, "a.service", 8080, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "10.0.0.5");
        assert_int_equal(probe_pick_host_of_unit(h, "b.service", 8080, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "127.0.0.1");
        /* no process of c.service is seen: whatever listens on the port */
        assert_int_equal(probe_pick_host_of_unit(h, "c.service", 8080, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "127.0.0.1");
        assert_int_equal(probe_pick_host_of_unit(h, "a.service", 9090, buf, sizeof(buf)), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

static int listen_on(int family, const char *addr, uint16_t *ret_port) {
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        if (family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
                len = sizeof(*a);
        } else {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
                len = sizeof(*a);
        }
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &ss, len) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
        *ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *) &ss)->sin_port : ((struct sockaddr_in6 *) &ss)->sin6_port);
        return fd;
}

static void test_probe_ipv6_loopback(void **state) {
        uint16_t port;
        int fd = listen_on(AF_INET6, "::1", &port);
        if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT)
                skip();                 /* no IPv6 here: counted as skipped */
        assert_true(fd >= 0);
        char why[256] = "";
        struct probe_opts o = { .unit = "x.service", .host = "::1", .port = port, .timeout_ms = 60000 };
        assert_int_equal(probe_once(&o, why, sizeof(why)), 0);
        o.host = "[::1]";
        assert_int_equal(probe_once(&o, why, sizeof(why)), 0);
        o.host = "127.0.0.1";
        assert_int_equal(probe_once(&o, why, sizeof(why)), -ECONNREFUSED);
        close(fd);
        o.host = "[::1]";
        assert_int_equal(probe_once(&o, why, sizeof(why)), -ECONNREFUSED);
        assert_non_null(strstr(why, "connect to [::1]:"));
}

static int run_probe(char **argv) {
        int argc = 0;
        while (argv[argc])
                argc++;
        return cmd_probe.run(argc, argv);
}

static void test_command_exit_status_and_instance_form(void **state) {
        uint16_t port;
        int fd = listen_any(&port);
        /* No system bus: the unit counts as running and nothing is restarted. */
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/hostfit-test-bus", 1);
        char *dir = fixture_new();
        char inst[64], sd[512], portstr[16];
        snprintf(inst, sizeof(inst), "web.service_%u", (unsigned) port);
        snprintf(sd, sizeof(sd), "%s/h", dir);
        snprintf(portstr, sizeof(portstr), "%u", (unsigned) port);
        char *ok[] = { "probe", inst, "--state-dir", sd, "--timeout", "60s", NULL };
        assert_int_equal(run_probe(ok), 0);
        close(fd);
        char *bad[] = { "probe", "web.service", "--port", portstr, "--state-dir", sd, "--failures", "5", NULL };
        assert_int_equal(run_probe(bad), 1);
        char *s = fixture_read(dir, "/h/web.service.failures");
        assert_string_equal(s, "1 down 0 1 0\n");       /* it answered before, since the same start */
        free(s);
        char *usage[] = { "probe", "web.service", NULL };     /* no port */
        assert_int_equal(run_probe(usage), EXIT_TROUBLE);
        char *badpath[] = { "probe", "web.service", "--port", "80", "--http", "health", NULL };
        assert_int_equal(run_probe(badpath), EXIT_TROUBLE);
        fixture_remove(dir);
}

/* A service bound to 127.0.0.2 only: the probe without --host finds it there. */
static void test_command_probes_the_bound_address(void **state) {
        uint16_t port;
        int fd = listen_on(AF_INET, "127.0.0.2", &port);
        assert_true(fd >= 0);
        setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/hostfit-test-bus", 1);
        char *dir = fixture_new();
        char inst[64], sd[512];
        snprintf(inst, sizeof(inst), "bound.service_%u", (unsigned) port);
        snprintf(sd, sizeof(sd), "%s/h", dir);
        char *argv[] = { "probe", inst, "--state-dir", sd, "--timeout", "60s", NULL };
        assert_int_equal(run_probe(argv), 0);
        char *s = fixture_read(dir, "/h/bound.service.failures");
        assert_string_equal(s, "0 up 0 1 0\n");
        free(s);
        /* 127.0.0.1, the old default, has nothing there */
        char portstr[16];
        snprintf(portstr, sizeof(portstr), "%u", (unsigned) port);
        char *old[] = { "probe", "bound.service", "--port", portstr, "--host", "127.0.0.1", "--state-dir", sd, NULL };
        assert_int_equal(run_probe(old), 1);
        close(fd);
        fixture_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tcp_open_and_closed_port),
                cmocka_unit_test(test_http_status_decides),
                cmocka_unit_test(test_start_up_grace),
                cmocka_unit_test(test_moved_port_not_restarted),
                cmocka_unit_test(test_restarts_capped_an_hour),
                cmocka_unit_test(test_http_path_per_unit),
                cmocka_unit_test(test_silent_server_times_out),
                cmocka_unit_test(test_state_kept_between_runs),
                cmocka_unit_test(test_one_event_per_state_change),
                cmocka_unit_test(test_pick_the_address_the_service_listens_on),
                cmocka_unit_test(test_pick_the_units_own_socket),
                cmocka_unit_test(test_probe_ipv6_loopback),
                cmocka_unit_test(test_command_probes_the_bound_address),
                cmocka_unit_test(test_command_exit_status_and_instance_form),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
