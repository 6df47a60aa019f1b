/* unmanaged-service: a long-running server process that no systemd service supervises
 * (a tmux pane, nohup, a session scope); a keepalive loop's child is keepalive-loop's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "escape.h"
#include "fixes.h"
#include "keepalive.h"
#include "proctree.h"
#include "sockets.h"
#include "unit-findings.h"
#include "unitgen.h"
#include "virt.h"

#define SECTION "unmanaged-service"
#define DEFAULT_MIN_AGE 300
#define ENVIRON_MAX (128U << 10)

void unmanaged_data_free(void *p) {
        struct unmanaged_data *d = p;
        if (!d)
                return;
        for (size_t i = 0; d->argv && d->argv[i]; i++)
                free(d->argv[i]);
        for (size_t i = 0; d->env && d->env[i]; i++)
                free(d->env[i]);
        free(d->argv);
        free(d->env);
        free(d->exe);
        free(d->cwd);
        free(d->user);
        free(d->group);
        free(d->name);
        free(d);
}

static bool name_in(const char *n, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (strcmp(n, list[i]) == 0)
                        return true;
        return false;
}

/* Servers by name; interpreters count only when they run something (not a bare REPL). */
static bool known_server(const struct proc *p) {
        static const char *const servers[] = {
                "uvicorn", "gunicorn", "hypercorn", "daphne", "waitress-serve", "puma", "unicorn", "thin",
                "php-fpm", "caddy", "deno", "bun", "dotnet", "beam.smp", "rails", "next-server", NULL,
        };
        static const char *const interpreters[] = { "node", "nodejs", "java", "ruby", "php", NULL };
        const char *n = proc_name(p);
        if (name_in(n, servers) || name_in(p->comm, servers) || strncmp(n, "php-fpm", 7) == 0)
                return true;
        bool interp = name_in(n, interpreters) || strncmp(n, "python", 6) == 0;
        return interp && proc_argc(p) > 1;
}

/* System daemons are never "unmanaged services" of a user, even on a host without systemd. */
static bool system_daemon(const struct proc *p) {
        static const char *const daemons[] = {
                "sshd", "dbus-daemon", "dbus-broker", "agetty", "getty", "cron", "crond", "atd", "rsyslogd",
                "syslog-ng", "chronyd", "ntpd", "systemd-timesyncd", "dhclient", "dnsmasq", "polkitd",
                "containerd", "dockerd", "udevd", "systemd-udevd", "init", NULL,
        };
        const char *n = proc_name(p);
        /* sshd and others rewrite their argv: the comm still names them. */
        return name_in(n, daemons) || name_in(p->comm, daemons) || strncmp(n, "systemd", 7) == 0 ||
               strncmp(p->comm, "systemd", 7) == 0;
}

/* The sockets last: asking reads the process's fds. */
static bool is_candidate(const struct socket_table *st, const struct proc *p) {
        if (p->kthread || p->pid <= 1 || p->ppid == 2 || proc_in_service(p) || system_daemon(p))
                return false;
        return known_server(p) || (st && sockets_of_pid(st, p->pid, NULL, 0) > 0);
}

/* hostfit itself and whatever runs it (a test runner, a shell) are not services. */
static bool is_self(struct host *h, const struct proc_table *t, const struct proc *p) {
        if (!host_is_live(h))
                return false;
        for (const struct proc *s = proc_table_find(t, getpid()); s && s->pid > 1; s = proc_table_find(t, s->ppid))
                if (s == p)
                        return true;
        return false;
}

static char *read_link_at(struct host *h, pid_t pid, const char *name) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "", O_PATH | O_DIRECTORY);
        char buf[4096];
        if (fd < 0)
                return NULL;
        ssize_t n = readlinkat(fd, name, buf, sizeof(buf) - 1);
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        if (buf[0] != '/' || strstr(buf, " (deleted)"))
                return NULL;
        return strdup(buf);
}

/* NAME for ID in an /etc/passwd-style file (field 3 the id); for passwd also the primary gid. */
static char *id_name(struct host *h, const char *path, unsigned id, unsigned *ret_gid) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024];
        if (host_fopen(h, path, &f) < 0)
                return NULL;
        while (fgets(line, sizeof(line), f)) {
                char *save = NULL, *name = strtok_r(line, ":", &save);
                char *pw = name ? strtok_r(NULL, ":", &save) : NULL;
                char *uid = pw ? strtok_r(NULL, ":", &save) : NULL;
                char *gid = uid ? strtok_r(NULL, ":", &save) : NULL;
                if (!uid || strtoul(uid, NULL, 10) != id)
                        continue;
                if (ret_gid && gid)
                        *ret_gid = (unsigned) strtoul(gid, NULL, 10);
                return strdup(name);
        }
        return NULL;
}

/* Only what is safe to copy into a unit file: no tokens, keys or passwords. */
static bool env_allowed(const char *e) {
        static const char *const allow[] = {
                "NODE_ENV", "PORT", "HOST", "PYTHONPATH", "PYTHONUNBUFFERED", "PATH", "LANG", "LC_ALL", "TZ",
                "RAILS_ENV", "RACK_ENV", "APP_ENV", "DJANGO_SETTINGS_MODULE", "NODE_OPTIONS", "JAVA_HOME", NULL,
        };
        size_t n = strcspn(e, "=");
        for (size_t i = 0; allow[i]; i++)
                if (strlen(allow[i]) == n && strncmp(e, allow[i], n) == 0 && e[n] == '=')
                        return true;
        return false;
}

static int read_env(struct host *h, pid_t pid, char ***ret) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "environ", O_RDONLY);
        _cleanup_free_ char *buf = malloc(ENVIRON_MAX);
        char **v = calloc(1, sizeof(char *));
        size_t n = 0, len = 0;
        if (!buf || !v) {
                free(v);
                return -ENOMEM;
        }
        *ret = v;
        if (fd < 0)
                return 0;
        for (ssize_t k; len < ENVIRON_MAX - 1 && (k = read(fd, buf + len, ENVIRON_MAX - 1 - len)) > 0; )
                len += (size_t) k;
        buf[len] = 0;
        for (char *e = buf; e < buf + len; e += strlen(e) + 1) {
                if (!env_allowed(e))
                        continue;
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                if (!nv || !(nv[n] = strdup(e))) {
                        *ret = nv ? nv : v;
                        return -ENOMEM;
                }
                nv[++n] = NULL;
                v = *ret = nv;
        }
        return 0;
}

int unmanaged_collect_facts(struct host *h, const struct socket_table *st, const struct proc *p, struct unmanaged_data *d) {
        size_t argc = proc_argc(p);
        unsigned gid = 0;
        d->pid = p->pid;
        d->uid = p->uid;
        d->rss = p->rss_bytes;
        d->argv = calloc(argc + 1, sizeof(char *));
        if (!d->argv)
                return -ENOMEM;
        for (size_t i = 0; i < argc; i++)
                if (!(d->argv[i] = strdup(proc_arg(p, i))))
                        return -ENOMEM;
        d->argc = argc;
        d->exe = read_link_at(h, p->pid, "exe");
        d->cwd = read_link_at(h, p->pid, "cwd");
        d->user = id_name(h, "/etc/passwd", p->uid, &gid);
        d->group = d->user ? id_name(h, "/etc/group", gid, NULL) : NULL;
        d->port = st ? sockets_tcp_port(st, p->pid) : 0;
        int r = read_env(h, p->pid, &d->env);
        if (r < 0)
                return r;
        char label[64];
        if (d->port)
                snprintf(label, sizeof(label), "%s-%u", proc_name(p), (unsigned) d->port);
        else
                snprintf(label, sizeof(label), "%s-%d", proc_name(p), (int) p->pid);
        return unit_name_make(label, "service", &d->name);
}

static void add_details(struct host *h, const struct proc_table *t, const struct socket_table *st,
                        const struct proc *p, const struct unmanaged_data *d, struct finding *f) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        const struct listen_socket *s[16];
        size_t n = st ? sockets_of_pid(st, p->pid, s, 16) : 0;
        for (size_t i = 0; i < n && i < 16; i++) {
                strbuf_adds(&sb, i ? ", " : "");
                socket_format(s[i], &sb);
        }
        if (n)
                finding_add_detail(f, "listens on %s", strbuf_str(&sb));
        strbuf_reset(&sb);
        for (size_t i = 0; i < d->argc; i++) {
                strbuf_adds(&sb, i ? " " : "");
                escape_terminal(&sb, d->argv[i], strlen(d->argv[i]));
        }
        finding_add_detail(f, "argv: %s", strbuf_str(&sb));
        _cleanup_free_ char *cwd = escape_terminal_str(d->cwd ? d->cwd : "(unreadable)");
        finding_add_detail(f, "user %s (uid %u), cwd %s", d->user ? d->user : "?", (unsigned) d->uid, cwd);
        strbuf_reset(&sb);
        if (proc_describe_chain(t, p, &sb) == 0)
                finding_add_detail(f, "started from: %s", strbuf_str(&sb));
}

static int report_one(struct host *h, struct report *r, const struct proc_table *t,
                      const struct socket_table *st, const struct proc *p, double age) {
        struct unmanaged_data *d = calloc(1, sizeof(*d));
        _cleanup_free_ char *where = NULL, *name = escape_terminal_str(proc_name(p));
        char subject[32];
        if (!d)
                return -ENOMEM;
        int k = unmanaged_collect_facts(h, st, p, d);
        if (k < 0) {
                unmanaged_data_free(d);
                return k;
        }
        if (proc_cgroup_unit(p, &where) < 0)
                where = strdup("no systemd unit at all");
        snprintf(subject, sizeof(subject), "pid %d", (int) p->pid);
        char port[32] = "";
        if (d->port)
                snprintf(port, sizeof(port), " on port %u", (unsigned) d->port);
        k = report_add(r, STATUS_FAIL, subject, d, unmanaged_data_free,
                       "%s (pid %d) has served%s for %.0f min outside any systemd service (%s)",
                       name, (int) p->pid, port, age / 60, where ? where : "?");
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        add_details(h, t, st, p, report_last(r)->data, f);
        return 0;
}

static int unmanaged_service_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct socket_table *st = NULL;
        uint64_t min_age = DEFAULT_MIN_AGE;
        const char *v = config_get(host_config(h), SECTION, "min-age");
        if (v)
                (void) parse_duration(v, &min_age);
        int k = host_procs(h, &t);
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read the process table: %s", strerror(-k));
        if (host_sockets(h, &st) < 0)
                st = NULL;
        unsigned found = 0;
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                /* Young processes first: the candidate tests may read fds. */
                double age = host_proc_age(h, p);
                if (age < (double) min_age || !is_candidate(st, p) || is_self(h, t, p))
                        continue;
                const struct proc *parent = proc_table_find(t, p->ppid);
                if (parent && is_candidate(st, parent))
                        continue;       /* a worker of a server already reported */
                if (keepalive_is_restarted_child(h, t, p))
                        continue;       /* keepalive-loop owns it: one process, one unit */
                k = report_one(h, r, t, st, p, age);
                if (k < 0)
                        return k;
                found++;
        }
        return found ? 0 : report_add(r, STATUS_PASS, "", NULL, NULL, "every long-running server runs in a systemd service");
}

const struct check check_unmanaged_service = {
        .id = "unmanaged-service",
        .title = "Long-running servers run as systemd services",
        .why = "A server in tmux, nohup or a shell loop has no memory limit, no restart policy and no log "
               "of why it died; the OOM killer takes it silently and nothing brings it back.",
        .severity = SEVERITY_HIGH,
        .run = unmanaged_service_run,
        .fix = &fix_unit,
};
