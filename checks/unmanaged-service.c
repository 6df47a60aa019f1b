/* SPDX-License-Identifier: MIT */
/* unmanaged-service: a long-running server process that no systemd service supervises
 * (a tmux pane, nohup, a session scope); a keepalive loop's child is keepalive-loop's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "text/escape.h"
#include "fixes.h"
#include "procs/keepalive.h"
#include "procown.h"
#include "procs/proctree.h"
#include "host/sockets.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"
#include "systemd/unitname.h"
#include "host/virt.h"

#define SECTION "unmanaged-service"
#define DEFAULT_MIN_AGE 300

void unmanaged_data_free(void *p) {
        struct unmanaged_data *d = p;
        if (!d)
                return;
        unit_proc_free(d->proc);
        free(d->name);
        free(d);
}

static bool name_in(const char *n, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (n[0] == list[i][0] && strcmp(n, list[i]) == 0)
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

/* Never judged: kernel threads, init, services, system daemons, and a container's processes,
 * which are its runtime's (docker, podman, kubelet, nspawn, lxc). */
static bool left_alone(const struct proc *p) {
        return p->kthread || p->pid <= 1 || p->ppid == 2 || proc_in_service(p) || system_daemon(p) ||
               proc_in_container(p, NULL);
}

/* What one run judges with: the tables, hostfit's own ancestors, and each process's answer,
 * kept (a parent is asked once for all its children). */
struct judge {
        const struct proc_table *t;
        const struct socket_table *st;  /* NULL: no socket table */
        const struct proc *self[64];    /* hostfit and what runs it, on the running system */
        size_t n_self;
        signed char *cand;              /* by index in t: -1 not asked yet; NULL: not kept */
};

static void judge_init(struct judge *j, struct host *h, const struct proc_table *t, const struct socket_table *st) {
        *j = (struct judge) { .t = t, .st = st };
        if (!host_is_live(h))
                return;
        /* getpid() once: walking up from it for each process was a syscall each. */
        for (const struct proc *s = proc_table_find(t, getpid()); s && s->pid > 1 && j->n_self < ELEMENTSOF(j->self);
             s = proc_table_find(t, s->ppid))
                j->self[j->n_self++] = s;
}

/* hostfit itself and whatever runs it (a test runner, a shell) are not services. */
static bool is_self(const struct judge *j, const struct proc *p) {
        for (size_t i = 0; i < j->n_self; i++)
                if (j->self[i] == p)
                        return true;
        return false;
}

/* A server by name, or one that listens. The sockets last: asking reads the process's fds. */
static bool serves_uncached(const struct judge *j, const struct proc *p) {
        return known_server(p) || (j->st && sockets_of_pid(j->st, p->pid, NULL, 0) > 0);
}

/* The answer kept for P, or NULL when answers are not kept. */
static signed char *kept(const struct judge *j, const struct proc *p) {
        return j->cand ? &j->cand[p - j->t->procs] : NULL;
}

static bool is_candidate(struct judge *j, const struct proc *p) {
        signed char *c = kept(j, p);
        if (c && *c >= 0)
                return *c;
        bool r = !left_alone(p) && serves_uncached(j, p);
        if (c)
                *c = r;
        return r;
}

/* is_candidate() of a process the caller found not left alone. */
static bool serves(struct judge *j, const struct proc *p) {
        signed char *c = kept(j, p);
        if (c && *c >= 0)
                return *c;
        bool r = serves_uncached(j, p);
        if (c)
                *c = r;
        return r;
}

/* A server to report: a candidate whose parent is none (a worker of a server is the server's).
 * The parent first: its answer is kept, and workers that hold the listener they were forked
 * with (fork after listen) then cost no fd read of their own. The caller tests the cheap
 * filters first (age, left_alone, is_self). */
static bool is_reported_server(struct judge *j, const struct proc *p) {
        const struct proc *parent = proc_table_find(j->t, p->ppid);
        if (parent && is_candidate(j, parent))
                return false;
        return serves(j, p);
}

int unmanaged_collect_facts(struct host *h, const struct socket_table *st, const struct proc *p, struct unmanaged_data *d) {
        (void) st;      /* the port comes with the facts (unit_proc_read) */
        d->pid = p->pid;
        /* Its environment only a fix needs: read when fix asks (unit_proc_read_env()). */
        int r = unit_proc_read_facts(h, p, &d->proc);
        if (r < 0)
                return r;
        d->port = d->proc->port;
        d->owner = procown_owner(h, p);
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
        for (size_t i = 0; i < d->proc->argc; i++) {
                strbuf_adds(&sb, i ? " " : "");
                escape_terminal(&sb, d->proc->argv[i], strlen(d->proc->argv[i]));
        }
        finding_add_detail(f, "argv: %s", strbuf_str(&sb));
        _cleanup_free_ char *cwd = escape_terminal_str(d->proc->cwd ? d->proc->cwd : "(unreadable)");
        _cleanup_free_ char *exe = escape_terminal_str(d->proc->exe ? d->proc->exe : "(unreadable)");
        finding_add_detail(f, "exe %s, user %s (uid %u), cwd %s", exe, d->proc->user ? d->proc->user : "root",
                           (unsigned) d->proc->uid, cwd);
        strbuf_reset(&sb);
        if (proc_describe_chain(t, p, &sb) == 0)
                finding_add_detail(f, "started from: %s", strbuf_str(&sb));
}

static int report_one(struct host *h, struct report *r, const struct proc_table *t,
                      const struct socket_table *st, const struct proc *p, double age) {
        struct unmanaged_data *d = calloc(1, sizeof(*d));
        _cleanup_free_ char *where = NULL, *name = escape_terminal_str(proc_name(p));
        if (!d)
                return -ENOMEM;
        int k = unmanaged_collect_facts(h, st, p, d);
        if (k < 0) {
                unmanaged_data_free(d);
                return k;
        }
        if (proc_cgroup_unit(p, &where) < 0)
                where = strdup("no systemd unit at all");
        else if (!unit_name_is_valid(where)) {
                free(where);    /* a cgroup name is the host's: said only when systemd would take it */
                where = strdup("a cgroup whose name is no valid unit name");
        }
        char port[32] = "";
        if (d->port)
                snprintf(port, sizeof(port), " on port %u", (unsigned) d->port);
        const char *owner = d->owner && strcmp(d->owner, "unmanaged-service") != 0 ? d->owner : NULL;
        char since[32];
        if (age < 120)
                snprintf(since, sizeof(since), "%.0f s", age);
        else
                snprintf(since, sizeof(since), "%.0f min", age / 60);
        k = report_add_process(r, STATUS_FAIL, p->pid, p->comm, d, unmanaged_data_free,
                       "%s has served%s for %s outside any systemd service (%s)",
                       name, port, since, where ? where : "?");
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        /* Its unit comes from the check that owns it: one process, one unit. */
        _cleanup_free_ char *fix = NULL;
        if (owner && (asprintf(&fix, "hostfit fix %s", owner) < 0 || finding_set_fix(f, fix) < 0))
                return -ENOMEM;
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
        char why[256];
        k = host_sockets(h, &st);
        int short_table = sockets_error_message(h, st, k, why, sizeof(why));
        if (short_table < 0)
                return short_table;
        if (k < 0)
                st = NULL;
        if (short_table > 0 && (k = report_add(r, STATUS_ERROR, "/proc/net", NULL, NULL, "%s", why)) < 0)
                return k;
        unsigned found = 0;
        struct judge j;
        judge_init(&j, h, t, st);
        _cleanup_free_ signed char *cand = j.cand = malloc(t->n ? t->n : 1);
        if (!cand)
                return -ENOMEM;
        memset(cand, -1, t->n);
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                /* The cheap filters first (age, cgroup, name, self): the candidate tests may read fds. */
                double age = host_proc_age(h, p);
                if (age < (double) min_age || left_alone(p) || is_self(&j, p) || !is_reported_server(&j, p))
                        continue;
                if (keepalive_is_restarted_child(h, t, p))
                        continue;       /* keepalive-loop owns it: one process, one unit */
                k = report_one(h, r, t, st, p, age);
                if (k < 0)
                        return k;
                found++;
        }
        if (found || short_table)
                return 0;       /* a short socket table passes nothing */
        return report_add(r, STATUS_PASS, "", NULL, NULL, "every long-running server runs in a systemd service");
}

/* The owner of last resort (checks/procown.h): a server outside systemd that no earlier owner claims. */
static bool unmanaged_service_claims(struct host *h, const struct proc_table *t, const struct proc *p) {
        const struct socket_table *st = NULL;
        if (host_sockets(h, &st) < 0)
                st = NULL;
        struct judge j;
        judge_init(&j, h, t, st);
        return !left_alone(p) && !is_self(&j, p) && is_reported_server(&j, p);
}

const struct check check_unmanaged_service = {
        .id = "unmanaged-service",
        .title = "Long-running servers run as systemd services",
        .problem = "A long-running server runs outside systemd",
        .why = "A server in tmux, nohup or a shell loop has no memory limit, no restart policy and no log "
               "of why it died; the OOM killer takes it silently and nothing brings it back.",
        .severity = SEVERITY_HIGH,
        .run = unmanaged_service_run,
        .fix = &fix_unit,
        .claims = unmanaged_service_claims,
};
