/* hostfit probe UNIT --port N: a TCP connect or an HTTP GET with a timeout; after N
 * consecutive failures, RestartUnit over sd-bus. Each failure goes to the journal. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "cleanup.h"
#include "command.h"
#include "common.h"
#include "config.h"
#include "cmd/probe.h"

static long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long deadline) {
        for (;;) {
                long left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int n = poll(&p, 1, (int) left);
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

static int connect_to(const struct probe_opts *o, long deadline, int *ret_fd) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
        char port[8];
        snprintf(port, sizeof(port), "%u", (unsigned) o->port);
        if (getaddrinfo(o->host, port, &hints, &ai) != 0)
                return -EINVAL;
        _cleanup_close_ int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int r = fd < 0 ? -errno : 0;
        if (r == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
                r = errno == EINPROGRESS ? 0 : -errno;
        freeaddrinfo(ai);
        if (r == 0)
                r = wait_fd(fd, POLLOUT, deadline);
        int err = 0;
        socklen_t len = sizeof(err);
        if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
                r = -err;
        if (r == 0)
                *ret_fd = TAKE_FD(fd);
        return r;
}

/* "HTTP/1.x NNN": 2xx and 3xx are healthy. */
static int http_get(int fd, const struct probe_opts *o, long deadline, char *why, size_t size) {
        char req[1024], buf[256];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: hostfit-probe\r\n"
                         "Connection: close\r\n\r\n", o->http_path, o->host);
        if (n < 0 || (size_t) n >= sizeof(req) || write(fd, req, (size_t) n) != n)
                return -EIO;
        size_t got = 0;
        while (got < 12) {
                int r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
                ssize_t k = read(fd, buf + got, sizeof(buf) - 1 - got);
                if (k < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (k == 0)
                        break;
                if (k > 0)
                        got += (size_t) k;
        }
        buf[got] = 0;
        unsigned status = 0;
        if (sscanf(buf, "HTTP/%*u.%*u %3u", &status) != 1) {
                snprintf(why, size, "no HTTP status line from %s:%u", o->host, (unsigned) o->port);
                return -EPROTO;
        }
        if (status < 200 || status >= 400) {
                snprintf(why, size, "GET %s on %s:%u answered %u", o->http_path, o->host, (unsigned) o->port, status);
                return -EPROTO;
        }
        return 0;
}

int probe_once(const struct probe_opts *o, char *why, size_t why_size) {
        long deadline = now_ms() + (long) o->timeout_ms;
        _cleanup_close_ int fd = -1;
        int r = connect_to(o, deadline, &fd);
        if (r < 0) {
                snprintf(why, why_size, "connect to %s:%u: %s", o->host, (unsigned) o->port, strerror(-r));
                return r;
        }
        if (!o->http_path)
                return 0;
        r = http_get(fd, o, deadline, why, why_size);
        if (r < 0 && !*why)
                snprintf(why, why_size, "GET %s on %s:%u: %s", o->http_path, o->host, (unsigned) o->port, strerror(-r));
        return r;
}

int probe_state_update(const struct probe_opts *o, bool ok, unsigned *ret_count) {
        char path[4096], tmp[4096], buf[32] = "";
        if (strchr(o->unit, '/'))
                return -EINVAL;
        /* mkdir -p: /run/hostfit may not exist outside the health unit's RuntimeDirectory=. */
        snprintf(path, sizeof(path), "%s", o->state_dir);
        for (char *s = path + 1;; s++) {
                bool last = *s == '\0';
                if (*s != '/' && !last)
                        continue;
                *s = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                if (last)
                        break;
                *s = '/';
        }
        snprintf(path, sizeof(path), "%s/%s.failures", o->state_dir, o->unit);
        snprintf(tmp, sizeof(tmp), "%s/.#%s.failures", o->state_dir, o->unit);
        unsigned count = 0;
        _cleanup_close_ int in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in >= 0 && read(in, buf, sizeof(buf) - 1) > 0)
                count = (unsigned) strtoul(buf, NULL, 10);
        count = ok ? 0 : count + 1;
        _cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0)
                return -errno;
        int n = snprintf(buf, sizeof(buf), "%u\n", count);
        if (write(out, buf, (size_t) n) != n || rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        *ret_count = count;
        return 0;
}

static int restart_unit(const char *unit) {
        sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "RestartUnit", &e, NULL,
                                       "ss", unit, "replace");
        if (r < 0)
                log_error("restart %s: %s", unit, e.message ? e.message : strerror(-r));
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

/* "nginx.service_8080" (a timer instance; also "UNIT:PORT") as UNIT and PORT. */
static int split_instance(char *arg, struct probe_opts *o) {
        char *colon = strrchr(arg, '_');
        if (!colon || strchr(colon, '.'))
                colon = strrchr(arg, ':');
        o->unit = arg;
        if (!colon || o->port)
                return 0;
        char *end;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (*end || p == 0 || p > 65535)
                return 0;
        *colon = 0;
        o->port = (uint16_t) p;
        return 0;
}

static int parse_args(int argc, char **argv, struct probe_opts *o) {
        static const struct option opts[] = {
                { "port", required_argument, NULL, 'p' }, { "host", required_argument, NULL, 'H' },
                { "http", required_argument, NULL, 'u' }, { "timeout", required_argument, NULL, 't' },
                { "failures", required_argument, NULL, 'f' }, { "state-dir", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' }, {},
        };
        uint64_t v;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                char *end = NULL;
                unsigned long n = optarg ? strtoul(optarg, &end, 10) : 0;
                bool num_ok = optarg && *optarg && end && !*end;
                switch (c) {
                case 'p': if (!num_ok || n == 0 || n > 65535) return -EINVAL; o->port = (uint16_t) n; break;
                case 'H': o->host = optarg; break;
                case 'u': if (optarg[0] != '/') return -EINVAL; o->http_path = optarg; break;
                case 't': if (parse_duration(optarg, &v) < 0 || v == 0 || v > 3600) return -EINVAL;
                          o->timeout_ms = (unsigned) v * 1000; break;
                case 'f': if (!num_ok || n == 0 || n > 1000) return -EINVAL; o->failures = (unsigned) n; break;
                case 's': o->state_dir = optarg; break;
                case 'h': return 1;
                default: return -EINVAL;
                }
        }
        if (optind != argc - 1)
                return -EINVAL;
        split_instance(argv[optind], o);
        return o->port ? 0 : -EINVAL;
}

extern const struct command cmd_probe;

static int probe_run(int argc, char **argv) {
        struct probe_opts o = { .host = "127.0.0.1", .timeout_ms = 5000, .failures = 3,
                                .state_dir = "/run/hostfit/health" };
        char why[512] = "";
        unsigned count = 0;
        int r = parse_args(argc, argv, &o);
        if (r > 0) {
                command_help(&cmd_probe);
                return EXIT_OK;
        }
        if (r < 0)
                return command_usage_error(&cmd_probe);
        int bad = probe_once(&o, why, sizeof(why));
        r = probe_state_update(&o, bad == 0, &count);
        if (r < 0)
                log_warning("%s: cannot keep the failure count: %s, ignoring", o.state_dir, strerror(-r));
        if (bad == 0)
                return EXIT_OK;
        sd_journal_send("MESSAGE=hostfit probe: %s: %s (failure %u of %u)", o.unit, why, count, o.failures,
                        "PRIORITY=4", "SYSLOG_IDENTIFIER=hostfit", "UNIT=%s", o.unit, NULL);
        log_error("%s: %s (failure %u of %u)", o.unit, why, count, o.failures);
        if (r == 0 && count >= o.failures && restart_unit(o.unit) >= 0) {
                sd_journal_send("MESSAGE=hostfit probe: restarted %s after %u failed probes", o.unit, count,
                                "PRIORITY=3", "SYSLOG_IDENTIFIER=hostfit", "UNIT=%s", o.unit, NULL);
                struct probe_opts reset = o;
                (void) probe_state_update(&reset, true, &count);
        }
        return 1;
}

const struct command cmd_probe = {
        .name = "probe",
        .usage = "probe UNIT --port N [--host 127.0.0.1] [--http PATH] [--timeout 5s] [--failures N]\n"
                 "                     [--state-dir /run/hostfit/health]\n"
                 "\n"
                 "Probe UNIT's port once: a TCP connect, or with --http an HTTP GET of PATH expecting\n"
                 "2xx or 3xx, within the timeout. Failures in a row are counted in the state directory\n"
                 "and logged to the journal; after N of them UNIT is restarted over D-Bus and the count\n"
                 "starts again. UNIT may be given as UNIT_PORT (the hostfit-health@ instance name).\n"
                 "\n"
                 "  --port N            the TCP port to probe\n"
                 "  --host ADDR         the numeric address to probe (default 127.0.0.1)\n"
                 "  --http PATH         GET PATH instead of a bare connect\n"
                 "  --timeout TIME      give up after TIME (default 5s)\n"
                 "  --failures N        restart after N failures in a row (default 3)\n"
                 "  --state-dir DIR     where the count is kept (default /run/hostfit/health)\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Exit status: 0 healthy, 1 the probe failed, 3 bad usage.\n",
        .summary = "probe a service's port; restart it after N failures in a row (run by hostfit-health@.timer)",
        .run = probe_run,
};
