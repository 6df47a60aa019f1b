/* SPDX-License-Identifier: MIT */
/* hostfit probe UNIT --port N: a TCP connect or an HTTP GET with a timeout, to the address
 * UNIT listens on; after N consecutive failures, TryRestartUnit over sd-bus, so a unit
 * the admin stopped is never started, one that has not answered since its start is given its
 * start-up grace, one that moved to another port is left alone, and the restarts are capped
 * an hour. The journal gets one line when the state changes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "host/config.h"
#include "host/host.h"
#include "procs/proctree.h"
#include "host/sockets.h"
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

/* "[::1]" as "::1"; other forms as given. */
static int bare_host(const char *host, char *buf, size_t size) {
        size_t n = strlen(host);
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
                host++, n -= 2;
        if (n == 0 || n >= size)
                return -EINVAL;
        memcpy(buf, host, n);
        buf[n] = '\0';
        return 0;
}

static int connect_to(const char *host, uint16_t port_nr, long deadline, int *ret_fd) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
        char port[8];
        snprintf(port, sizeof(port), "%u", (unsigned) port_nr);
        if (getaddrinfo(host, port, &hints, &ai) != 0)
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

/* "HTTP/1.x NNN": 2xx and 3xx are healthy. WHERE is "10.0.0.5:8080" or "[::1]:8080". */
static int http_get(int fd, const struct probe_opts *o, const char *where, long deadline, char *why, size_t size) {
        char req[1024], buf[256];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: hostfit-probe\r\n"
                         "Connection: close\r\n\r\n", o->http_path, where);
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
                snprintf(why, size, "no HTTP status line from %s", where);
                return -EPROTO;
        }
        if (status < 200 || status >= 400) {
                snprintf(why, size, "GET %s on %s answered %u", o->http_path, where, status);
                return -EPROTO;
        }
        return 0;
}

int probe_once(const struct probe_opts *o, char *why, size_t why_size) {
        long deadline = now_ms() + (long) o->timeout_ms;
        char host[INET6_ADDRSTRLEN + 8], where[INET6_ADDRSTRLEN + 16];
        _cleanup_close_ int fd = -1;
        *why = '\0';
        if (!o->host || bare_host(o->host, host, sizeof(host)) < 0) {
                snprintf(why, why_size, "'%s' is not a numeric address", o->host ? o->host : "");
                return -EINVAL;
        }
        snprintf(where, sizeof(where), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned) o->port);
        int r = connect_to(host, o->port, deadline, &fd);
        if (r < 0) {
                snprintf(why, why_size, "connect to %s: %s", where, strerror(-r));
                return r;
        }
        if (!o->http_path)
                return 0;
        r = http_get(fd, o, where, deadline, why, why_size);
        if (r < 0 && !*why)
                snprintf(why, why_size, "GET %s on %s: %s", o->http_path, where, strerror(-r));
        return r;
}

static bool addr_is_any(const struct listen_socket *s) {
        static const unsigned char zero[16];
        return memcmp(s->addr, zero, s->family == AF_INET ? 4 : 16) == 0;
}

static bool addr_is_loopback(const struct listen_socket *s) {
        static const unsigned char v6_lo[16] = { [15] = 1 };
        return s->family == AF_INET ? s->addr[0] == 127 : memcmp(s->addr, v6_lo, 16) == 0;
}

/* Lower is better: a wildcard (its loopback answers), then a loopback address, then any other; IPv4 first. */
static int rank(const struct listen_socket *s) {
        int r = addr_is_any(s) ? 0 : addr_is_loopback(s) ? 2 : 4;
        return r + (s->family == AF_INET6);
}

static int pick(const struct listen_socket *const *v, size_t n, uint16_t port, char *buf, size_t size) {
        const struct listen_socket *best = NULL;
        for (size_t i = 0; i < n; i++) {
                const struct listen_socket *s = v[i];
                if (s->udp || s->port != port || (s->family != AF_INET && s->family != AF_INET6))
                        continue;
                if (!best || rank(s) < rank(best))
                        best = s;
        }
        if (!best)
                return -ENOENT;
        if (addr_is_any(best))
                return snprintf(buf, size, "%s", best->family == AF_INET ? "127.0.0.1" : "::1") < (int) size ? 0 : -ENOBUFS;
        if (!inet_ntop(best->family, best->addr, buf, (socklen_t) size))
                return -errno;
        return 0;
}

int probe_pick_host(const struct socket_table *t, uint16_t port, char *buf, size_t size) {
        const struct listen_socket *best = NULL;
        for (size_t i = 0; i < t->n; i++) {
                const struct listen_socket *s = &t->sockets[i];
                if (s->udp || s->port != port || (s->family != AF_INET && s->family != AF_INET6))
                        continue;
                if (!best || rank(s) < rank(best))
                        best = s;
        }
        return pick(&best, best ? 1 : 0, port, buf, size);
}

int probe_pick_host_of_unit(struct host *h, const char *unit, uint16_t port, char *buf, size_t size) {
        const struct socket_table *t;
        const struct proc_table *pt;
        const struct listen_socket *v[64];
        size_t n = 0;
        int r = host_sockets(h, &t);
        if (r < 0)
                return r;
        if (host_procs(h, &pt) >= 0)
                for (size_t i = 0; i < pt->n && n < ELEMENTSOF(v); i++) {
                        _cleanup_free_ char *u = NULL;
                        const struct listen_socket *mine[16];
                        if (pt->procs[i].kthread || proc_cgroup_unit(&pt->procs[i], &u) < 0 || strcmp(u, unit) != 0)
                                continue;
                        size_t k = sockets_of_pid(t, pt->procs[i].pid, mine, ELEMENTSOF(mine));
                        for (size_t j = 0; j < k && j < ELEMENTSOF(mine) && n < ELEMENTSOF(v); j++)
                                v[n++] = mine[j];
                }
        /* The unit's own sockets on the port; when none is seen (its processes are not
         * readable), whatever listens on the port. */
        r = pick(v, n, port, buf, size);
        return r == -ENOENT ? probe_pick_host(t, port, buf, size) : r;
}

int probe_unit_listens(struct host *h, const char *unit, uint16_t port) {
        const struct socket_table *t;
        const struct proc_table *pt;
        bool any = false;
        int r = host_sockets(h, &t);
        if (r < 0)
                return r;
        if ((r = host_procs(h, &pt)) < 0)
                return r;
        for (size_t i = 0; i < pt->n; i++) {
                _cleanup_free_ char *u = NULL;
                const struct listen_socket *mine[64];
                if (pt->procs[i].kthread || proc_cgroup_unit(&pt->procs[i], &u) < 0 || !u || strcmp(u, unit) != 0)
                        continue;
                size_t k = sockets_of_pid(t, pt->procs[i].pid, mine, ELEMENTSOF(mine));
                for (size_t j = 0; j < k && j < ELEMENTSOF(mine); j++) {
                        if (mine[j]->udp)
                                continue;
                        if (mine[j]->port == port)
                                return 1;
                        any = true;
                }
        }
        return any ? 0 : -ENOENT;
}

const char *probe_http_path_for(const char *list, const char *unit, char *buf, size_t size) {
        size_t ul = strlen(unit);
        for (const char *w = list; w && *w; ) {
                w += strspn(w, " \t,");
                size_t n = strcspn(w, " \t,");
                if (n > ul + 1 && strncmp(w, unit, ul) == 0 && w[ul] == ':' && w[ul + 1] == '/' && n - ul - 1 < size) {
                        memcpy(buf, w + ul + 1, n - ul - 1);
                        buf[n - ul - 1] = '\0';
                        return buf;
                }
                w += n;
        }
        return NULL;
}

/* What the manager says of UNIT: ActiveState, when it became active, its start timeout. */
struct unit_facts {
        char active[32];
        uint64_t start_usec;            /* ActiveEnterTimestampMonotonic, 0 unknown */
        uint64_t start_timeout;         /* TimeoutStartUSec, 0 unknown */
};

static int unit_facts_get(sd_bus *bus, const char *unit, struct unit_facts *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char *state = NULL;
        int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "GetUnit", &e, &reply, "s", unit);
        if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
                snprintf(ret->active, sizeof(ret->active), "inactive");        /* not loaded: not running */
                r = 0;
        } else if (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) >= 0) {
                r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                               "ActiveState", &e, &state);
                if (r >= 0)
                        snprintf(ret->active, sizeof(ret->active), "%s", state);
                sd_bus_error_free(&e);
                (void) sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                                   "ActiveEnterTimestampMonotonic", &e, 't', &ret->start_usec);
                sd_bus_error_free(&e);
                (void) sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Service",
                                                   "TimeoutStartUSec", &e, 't', &ret->start_timeout);
        }
        free(state);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

/* TryRestartUnit: restarts UNIT only if it is running; a unit stopped meanwhile stays stopped. */
static int try_restart_unit(sd_bus *bus, const char *unit, char *why, size_t size) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "TryRestartUnit", &e, NULL,
                                   "ss", unit, "replace");
        if (r < 0)
                snprintf(why, size, "%s", e.message ? e.message : strerror(-r));
        sd_bus_error_free(&e);
        return r;
}

/* One line on stderr. Under the timer's service stderr is a journal stream: a "<N>"
 * prefix gives the priority, and the stream, opened by systemd for the unit, keeps
 * _SYSTEMD_UNIT on the line even when the probe exits at once (a datagram sent just
 * before exiting may lose it, and then `journalctl -u` misses the line). */
static void say(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int priority, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>hostfit probe: %s\n", priority, msg);
        else
                fprintf(stderr, "hostfit probe: %s\n", msg);
        fflush(stderr);
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
                { "grace", required_argument, NULL, 'g' }, { "max-restarts", required_argument, NULL, 'm' },
                { "help", no_argument, NULL, 'h' }, {},
        };
        uint64_t v;
        int c;
        char tmp[INET6_ADDRSTRLEN + 8];
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                char *end = NULL;
                unsigned long n = optarg ? strtoul(optarg, &end, 10) : 0;
                bool num_ok = optarg && *optarg && end && !*end;
                switch (c) {
                case 'p': if (!num_ok || n == 0 || n > 65535) return -EINVAL; o->port = (uint16_t) n; break;
                case 'H': if (bare_host(optarg, tmp, sizeof(tmp)) < 0) return -EINVAL; o->host = optarg; break;
                case 'u': if (optarg[0] != '/') return -EINVAL; o->http_path = optarg; break;
                case 't': if (parse_duration(optarg, &v) < 0 || v == 0 || v > 3600) return -EINVAL;
                          o->timeout_ms = (unsigned) v * 1000; break;
                case 'f': if (!num_ok || n == 0 || n > 1000) return -EINVAL; o->failures = (unsigned) n; break;
                case 's': o->state_dir = optarg; break;
                case 'g': if (parse_duration(optarg, &v) < 0 || v > 86400 * 7) return -EINVAL;
                          o->grace_usec = v * 1000000ULL; break;
                case 'm': if (!num_ok || n == 0 || n > PROBE_RESTARTS_KEPT) return -EINVAL; o->max_restarts = (unsigned) n; break;
                case 'h': return 1;
                default: return -EINVAL;
                }
        }
        if (optind != argc - 1)
                return -EINVAL;
        split_instance(argv[optind], o);
        return o->port && *o->unit ? 0 : -EINVAL;
}

/* From the running system: where UNIT listens on its port, the path to GET for it (the
 * config as it is now, so a change reaches every probe), whether it listens elsewhere. */
static void resolve(struct host *h, struct probe_opts *o, char *host, size_t hsize, char *path, size_t psize) {
        if (!o->host && (!h || probe_pick_host_of_unit(h, o->unit, o->port, host, hsize) < 0))
                snprintf(host, hsize, "127.0.0.1");    /* nothing listens: the connect says so */
        if (!o->host)
                o->host = host;
        const struct config *c = h ? host_config(h) : NULL;
        if (!o->http_path && c)
                o->http_path = probe_http_path_for(config_get(c, "healthcheck", "http-path"), o->unit, path, psize);
}

static struct host *open_host(void) {
        struct host *h = NULL;
        struct config *c = NULL;
        char *err = NULL;
        if (host_open("/", &h) < 0)
                return NULL;
        /* A config that does not load (an old one-value http-path) leaves every probe a TCP connect. */
        if (config_load(h, &c, &err) >= 0)
                host_set_config(h, c);
        free(err);
        return h;
}

extern const struct command cmd_probe;

static void report_event(enum probe_event ev, const struct probe_opts *o, const struct probe_input *in,
                         const struct probe_limits *lim, sd_bus *bus, const char *active, const char *why) {
        char err[256] = "";
        switch (ev) {
        case PROBE_EVENT_UP:
                say(5, "%s answers on %s port %u", o->unit, o->host, (unsigned) o->port);
                break;
        case PROBE_EVENT_DOWN:
                say(4, "%s: %s (failure 1 of %u; quiet until it answers or is restarted)", o->unit, why, lim->failures);
                break;
        case PROBE_EVENT_STOPPED:
                say(5, "%s is %s: not probed, and not started (probing resumes when it runs)", o->unit, active);
                break;
        case PROBE_EVENT_STARTING:
                say(5, "%s has not answered since it started: %s; not restarted within its start-up grace", o->unit, why);
                break;
        case PROBE_EVENT_MOVED:
                say(4, "%s no longer listens on port %u: not restarted; this probe is stale "
                    "(hostfit check healthcheck-missing)", o->unit, (unsigned) o->port);
                break;
        case PROBE_EVENT_CAPPED:
                say(3, "%s: %s; restarted %u times in the last hour: not restarted again until the hour has passed",
                    o->unit, why, lim->max_restarts);
                break;
        case PROBE_EVENT_RESTART:
                if (!bus)
                        say(3, "%s: %s (%u failures in a row); no system bus: not restarted", o->unit, why, lim->failures);
                else if (try_restart_unit(bus, o->unit, err, sizeof(err)) < 0)
                        say(3, "%s: %s (%u failures in a row); try-restart failed: %s", o->unit, why, lim->failures, err);
                else
                        say(3, "try-restarted %s after %u failed probes: %s", o->unit, lim->failures, why);
                break;
        case PROBE_EVENT_NONE:
                break;
        }
        (void) in;
}

static int probe_run(int argc, char **argv) {
        struct probe_opts o = { .timeout_ms = 5000, .failures = 3, .state_dir = "/run/hostfit/health", .max_restarts = 3 };
        struct probe_state old, now;
        struct unit_facts facts = { .active = "active" };
        char why[512] = "", host[INET6_ADDRSTRLEN + 8], path[256];
        int r = parse_args(argc, argv, &o);
        if (r > 0) {
                command_help(&cmd_probe);
                return EXIT_OK;
        }
        if (r < 0)
                return command_usage_error(&cmd_probe);
        /* Without a system bus (run by hand in a chroot) the unit counts as running, and nothing is restarted. */
        sd_bus *bus = NULL;
        if (sd_bus_open_system(&bus) < 0 || unit_facts_get(bus, o.unit, &facts) < 0)
                snprintf(facts.active, sizeof(facts.active), "active");
        struct probe_input in = { .running = strcmp(facts.active, "active") == 0 || strcmp(facts.active, "reloading") == 0,
                                  .start_usec = facts.start_usec };
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        in.now_usec = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
        struct probe_limits lim = { .failures = o.failures, .max_restarts = o.max_restarts,
                                    .grace_usec = o.grace_usec > facts.start_timeout ? o.grace_usec : facts.start_timeout };
        if (lim.grace_usec == 0)
                lim.grace_usec = 90 * 1000000ULL;       /* DefaultTimeoutStartSec= */
        int bad = 0;
        if (in.running) {
                struct host *h = open_host();
                resolve(h, &o, host, sizeof(host), path, sizeof(path));
                bad = probe_once(&o, why, sizeof(why));
                in.ok = bad == 0;
                in.moved = bad != 0 && h && probe_unit_listens(h, o.unit, o.port) == 0;
                host_free(h);
        }
        r = probe_state_load(&o, &old);
        enum probe_event ev = probe_step(&old, &in, &lim, &now);
        report_event(ev, &o, &in, &lim, bus, facts.active, why);
        if (r >= 0)
                r = probe_state_save(&o, &now);
        if (r < 0)
                log_warning("%s: cannot keep the probe state: %s, ignoring", o.state_dir, strerror(-r));
        sd_bus_flush_close_unref(bus);
        return bad == 0 ? EXIT_OK : 1;
}

const struct command cmd_probe = {
        .name = "probe",
        .usage = "probe UNIT --port N [--host ADDR] [--http PATH] [--timeout 5s] [--failures N]\n"
                 "                     [--grace TIME] [--max-restarts N] [--state-dir /run/hostfit/health]\n"
                 "\n"
                 "Probe UNIT's port once: a TCP connect, or an HTTP GET of PATH expecting 2xx or 3xx\n"
                 "(--http, else the path [healthcheck] http-path = UNIT:PATH names for UNIT), within the\n"
                 "timeout, to the address UNIT listens on (for a wildcard, the loopback of its family).\n"
                 "A unit that is not running is not probed and never started. Failures in a row are\n"
                 "counted in the state directory; after N of them UNIT is try-restarted over D-Bus and\n"
                 "the count starts again, except: until UNIT has answered once since its last start,\n"
                 "not within its start-up grace (the larger of --grace and its TimeoutStartSec=); not\n"
                 "when UNIT listens on other ports but not this one (the probe is stale); and not more\n"
                 "than --max-restarts times an hour (then it says so and waits). The journal gets one\n"
                 "line when the state changes, not one a probe. UNIT may be given as UNIT_PORT (the\n"
                 "hostfit-health@ instance name).\n"
                 "\n"
                 "  --port N            the TCP port to probe\n"
                 "  --host ADDR         the numeric address to probe (10.0.0.5, ::1, [::1]);\n"
                 "                      default: where UNIT listens on the port\n"
                 "  --http PATH         GET PATH instead of a bare connect\n"
                 "  --timeout TIME      give up after TIME (default 5s)\n"
                 "  --failures N        try-restart after N failures in a row (default 3)\n"
                 "  --grace TIME        start-up grace, at least UNIT's start timeout (default: that)\n"
                 "  --max-restarts N    try-restarts an hour at most (default 3, at most 16)\n"
                 "  --state-dir DIR     where the state is kept (default /run/hostfit/health)\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Exit status: 0 healthy or not running, 1 the probe failed, 3 bad usage.\n",
        .summary = "probe a service's port; try-restart it after N failures in a row (run by hostfit-health@.timer)",
        .run = probe_run,
};
