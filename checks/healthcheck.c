/* SPDX-License-Identifier: MIT */
/* healthcheck-missing: a service that listens on a TCP port has no WatchdogSec= and no
 * health timer, so a hung (not dead) server is never restarted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "procs/proctree.h"
#include "host/sockets.h"
#include "unit-findings.h"
#include "systemd/units.h"
#include "host/virt.h"

void healthcheck_data_free(void *p) {
        struct healthcheck_data *d = p;
        if (d) {
                free(d->unit);
                free(d->instance);
        }
        free(d);
}

int healthcheck_instance(const char *unit, uint16_t port, char **ret) {
        _cleanup_free_ char *raw = NULL, *esc = NULL;
        /* "_" and not ":" between unit and port: systemd-analyze (252) cannot load a name with ":". */
        if (asprintf(&raw, "%s_%u", unit, (unsigned) port) < 0)
                return -ENOMEM;
        int r = unit_instance_escape(raw, &esc);
        if (r < 0)
                return r;
        return asprintf(ret, "hostfit-health@%s", esc) < 0 ? -ENOMEM : 0;
}

static bool watchdog_set(const struct unit *u) {
        const char *w = unit_get(u, "Service", "WatchdogSec");
        return w && strcmp(w, "0") != 0 && strcmp(w, "infinity") != 0;
}

/* Admin units (under /etc or /usr/local, which is where hostfit writes its own) and units
 * named in [healthcheck] units=. A vendor's unit keeps its vendor's restart policy: a probe
 * that restarts a database after a few slow connects does harm under load. */
static bool in_scope(struct host *h, const struct unit *u) {
        const char *named = config_get(host_config(h), "healthcheck", "units");
        if (u->fragment && (strncmp(u->fragment, "/etc/systemd/system/", 20) == 0 ||
                            strncmp(u->fragment, "/usr/local/lib/systemd/system/", 30) == 0))
                return true;
        _cleanup_free_ char *list = named ? strdup(named) : NULL;
        for (char *save = NULL, *w = list ? strtok_r(list, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save))
                if (strcmp(w, u->id) == 0 || strcmp(w, u->name) == 0)
                        return true;
        return false;
}

/* 1 when UNIT (listening on PORT) is watched, 2 when out of scope, 0 when a finding was added. */
static int judge(struct host *h, struct report *r, const char *unit, uint16_t port) {
        const struct unit *u = NULL, *timer = NULL;
        _cleanup_free_ char *inst = NULL, *tname = NULL;
        int k = unit_load(h, unit, &u);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || u->masked)
                return 1;
        if (!in_scope(h, u))
                return 2;
        if (watchdog_set(u))
                return 1;
        k = healthcheck_instance(u->id, port, &inst);
        if (k < 0 || asprintf(&tname, "%s.timer", inst) < 0)
                return -ENOMEM;
        k = unit_load(h, tname, &timer);
        if (k == -ENOMEM)
                return k;
        if (k == 0 && timer->enabled && !timer->masked)
                return 1;
        struct healthcheck_data *d = calloc(1, sizeof(*d));
        if (!d || !(d->unit = strdup(u->id))) {
                healthcheck_data_free(d);
                return -ENOMEM;
        }
        d->port = port;
        d->instance = TAKE_PTR(inst);
        k = report_add(r, STATUS_WARN, u->id, d, healthcheck_data_free,
                       "listens on port %u but has no WatchdogSec= and no health timer (%s)",
                       (unsigned) port, tname);
        return k < 0 ? k : 0;
}

struct svc_proc {
        char *unit;
        const struct proc *p;
};

static int cmp_svc(const void *a, const void *b) {
        const struct svc_proc *x = a, *y = b;
        int c = strcmp(x->unit, y->unit);
        return c ? c : (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

static int healthcheck_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct socket_table *st;
        struct svc_proc *v = NULL;
        size_t n = 0;
        unsigned watched = 0, warned = 0, vendor = 0;
        int k = host_procs(h, &t);
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read the process table: %s", strerror(-k));
        k = host_sockets(h, &st);
        if (k < 0)
                return k;
        /* The service processes grouped by unit (sorted once, in pid order within a unit). */
        v = calloc(t->n ? t->n : 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < t->n && k == 0; i++) {
                const struct proc *p = &t->procs[i];
                char *unit = NULL;
                if (!proc_in_service(p) || (p->cgroup && strstr(p->cgroup, "/user@")))
                        continue;
                k = proc_cgroup_unit(p, &unit);
                if (k == -ENOMEM)
                        break;
                k = 0;
                if (!unit || strncmp(unit, "hostfit-health@", 15) == 0) {
                        free(unit);
                        continue;
                }
                v[n++] = (struct svc_proc) { unit, p };
        }
        if (k == 0 && n)
                qsort(v, n, sizeof(*v), cmp_svc);
        for (size_t i = 0; i < n && k >= 0; ) {
                size_t j = i;
                uint16_t port = 0;
                /* The port last: it reads the process's fds, and a judged unit needs no more. */
                for (; j < n && strcmp(v[j].unit, v[i].unit) == 0; j++)
                        if (!port)
                                port = sockets_tcp_port(st, v[j].p->pid);
                if (port) {
                        k = judge(h, r, v[i].unit, port);
                        if (k == 1)
                                watched++;
                        else if (k == 2)
                                vendor++;
                        else if (k == 0)
                                warned++;
                }
                i = j;
        }
        for (size_t i = 0; i < n; i++)
                free(v[i].unit);
        free(v);
        if (k < 0)
                return k;
        if (st->error)
                report_add(r, STATUS_ERROR, "/proc/net", NULL, NULL, "cannot read the socket tables: %s", strerror(-st->error));
        if (warned)
                return 0;
        if (vendor)
                return report_add(r, STATUS_PASS, "", NULL, NULL,
                                  "%u listening service%s watched; %u vendor unit%s left to %s own restart policy "
                                  "(name one in [healthcheck] units= to probe it)", watched, watched == 1 ? "" : "s",
                                  vendor, vendor == 1 ? "" : "s", vendor == 1 ? "its" : "their");
        return report_add(r, STATUS_PASS, "", NULL, NULL, "%u listening service%s watched",
                          watched, watched == 1 ? "" : "s");
}

const struct check check_healthcheck_missing = {
        .id = "healthcheck-missing",
        .title = "Listening services have a watchdog or a health probe",
        .why = "systemd restarts a service that dies, not one that hangs: without WatchdogSec= or a probe, "
               "a wedged server stays down until someone notices.",
        .severity = SEVERITY_LOW,
        .run = healthcheck_run,
        .fix = &fix_healthcheck,
};
