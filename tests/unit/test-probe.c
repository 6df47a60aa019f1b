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

/* A child that answers one connection with REPLY (NULL: says nothing for 3 s). */
static pid_t serve_once(int fd, const char *reply) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int c = accept(fd, NULL, NULL);
                char buf[1024];
                if (c >= 0 && read(c, buf, sizeof(buf)) >= 0 && reply && write(c, reply, strlen(reply)) < 0)
                        _exit(1);
                if (!reply)
                        sleep(3);
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
        struct probe_opts o = { .unit = "x.service", .host = "127.0.0.1", .port = port, .timeout_ms = 2000 };
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
                                .timeout_ms = 2000 };
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

static void test_failures_counted_and_reset(void **state) {
        char *dir = fixture_new();
        char sd[512];
        snprintf(sd, sizeof(sd), "%s/health", dir);
        struct probe_opts o = { .unit = "web.service", .state_dir = sd };
        unsigned n = 99;
        assert_int_equal(probe_state_update(&o, false, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(probe_state_update(&o, false, &n), 0);
        assert_int_equal(n, 2);
        char *s = fixture_read(dir, "/health/web.service.failures");
        assert_string_equal(s, "2\n");
        free(s);
        assert_int_equal(probe_state_update(&o, true, &n), 0);
        assert_int_equal(n, 0);
        o.unit = "../evil";
        assert_int_equal(probe_state_update(&o, false, &n), -EINVAL);
        fixture_remove(dir);
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
        char *dir = fixture_new();
        char inst[64], sd[512], portstr[16];
        snprintf(inst, sizeof(inst), "web.service_%u", (unsigned) port);
        snprintf(sd, sizeof(sd), "%s/h", dir);
        snprintf(portstr, sizeof(portstr), "%u", (unsigned) port);
        char *ok[] = { "probe", inst, "--state-dir", sd, "--timeout", "2s", NULL };
        assert_int_equal(run_probe(ok), 0);
        close(fd);
        char *bad[] = { "probe", "web.service", "--port", portstr, "--state-dir", sd, "--failures", "5", NULL };
        assert_int_equal(run_probe(bad), 1);
        char *s = fixture_read(dir, "/h/web.service.failures");
        assert_string_equal(s, "1\n");
        free(s);
        char *usage[] = { "probe", "web.service", NULL };     /* no port */
        assert_int_equal(run_probe(usage), EXIT_TROUBLE);
        char *badpath[] = { "probe", "web.service", "--port", "80", "--http", "health", NULL };
        assert_int_equal(run_probe(badpath), EXIT_TROUBLE);
        fixture_remove(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tcp_open_and_closed_port),
                cmocka_unit_test(test_http_status_decides),
                cmocka_unit_test(test_silent_server_times_out),
                cmocka_unit_test(test_failures_counted_and_reset),
                cmocka_unit_test(test_command_exit_status_and_instance_form),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
