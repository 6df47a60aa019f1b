/* healthcheck-missing: a service that listens on a TCP port has no WatchdogSec= and no
 * health timer, so a hung (not dead) server is never restarted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "fixes.h"
#include "proctree.h"
#include "sockets.h"
#include "unit-findings.h"
#include "units.h"
#include "virt.h"

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

/* 1 when UNIT (listening on PORT) is watched, 0 when a finding was added. */
static int judge(struct host *h, struct report *r, const char *unit, uint16_t port) {
        _cleanup_(unit_freep) struct unit *u = NULL, *timer = NULL;
        _cleanup_free_ char *inst = NULL, *tname = NULL;
        int k = unit_load(h, unit, &u);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || u->masked || watchdog_set(u))
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
                       "%s listens on port %u but has no WatchdogSec= and no health timer (%s)",
                       u->id, (unsigned) port, tname);
        return k < 0 ? k : 0;
}

static int healthcheck_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        if ((skip = check_skip_unless_processes(h, r)) != 0)
                return skip < 0 ? skip : 0;
        const struct proc_table *t;
        const struct socket_table *st;
        _cleanup_(strv_freep) char **seen = NULL;
        size_t n_seen = 0;
        unsigned watched = 0, warned = 0;
        int k = host_procs(h, &t);
        if (k < 0)
                return report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read the process table: %s", strerror(-k));
        k = host_sockets(h, &st);
        if (k < 0)
                return k;
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                _cleanup_free_ char *unit = NULL;
                if (!proc_in_service(p) || (p->cgroup && strstr(p->cgroup, "/user@")) ||
                    proc_cgroup_unit(p, &unit) < 0 || strncmp(unit, "hostfit-health@", 15) == 0)
                        continue;
                bool dup = false;
                for (size_t j = 0; j < n_seen && !dup; j++)
                        dup = strcmp(seen[j], unit) == 0;
                /* The port last: it reads the process's fds, and a judged unit needs no more. */
                uint16_t port = dup ? 0 : sockets_tcp_port(st, p->pid);
                if (!port)
                        continue;
                char **nv = realloc(seen, (n_seen + 2) * sizeof(char *));
                if (!nv)
                        return -ENOMEM;
                seen = nv;
                seen[n_seen++] = strdup(unit);
                seen[n_seen] = NULL;
                k = judge(h, r, unit, port);
                if (k < 0)
                        return k;
                if (k)
                        watched++;
                else
                        warned++;
        }
        if (st->error)
                report_add(r, STATUS_ERROR, "/proc/net", NULL, NULL, "cannot read the socket tables: %s", strerror(-st->error));
        return warned ? 0 : report_add(r, STATUS_PASS, "", NULL, NULL, "%u listening service%s watched",
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
