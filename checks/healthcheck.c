/* SPDX-License-Identifier: MIT */
/* healthcheck-missing: a service that listens on a TCP port has no WatchdogSec= and no
 * health timer, so a hung (not dead) server is never restarted; a probe timer left on a port
 * its unit no longer listens on; installed probes that differ from [healthcheck]. */
#include <dirent.h>
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
#include "systemd/unitname.h"
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

int healthcheck_instance_parse(const char *name, char **ret_unit, uint16_t *ret_port) {
        static const char prefix[] = "hostfit-health@";
        const char *dot = strrchr(name, '.');
        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0 || !dot)
                return -EINVAL;
        _cleanup_free_ char *raw = malloc(strlen(name) + 1);
        size_t n = 0;
        if (!raw)
                return -ENOMEM;
        for (const char *c = name + sizeof(prefix) - 1; c < dot; c++) {
                unsigned v;
                if (*c == '-')
                        raw[n++] = '/';
                else if (c[0] == '\\' && c[1] == 'x' && dot - c >= 4 && sscanf(c + 2, "%2x", &v) == 1 && v) {
                        raw[n++] = (char) v;
                        c += 3;
                } else
                        raw[n++] = *c;
        }
        raw[n] = '\0';
        char *sep = strrchr(raw, '_'), *end;
        unsigned long port = sep ? strtoul(sep + 1, &end, 10) : 0;
        if (!sep || !*(sep + 1) || *end || port == 0 || port > 65535)
                return -EINVAL;
        *sep = '\0';
        if (!unit_name_is_valid(raw))
                return -EINVAL;
        *ret_port = (uint16_t) port;
        *ret_unit = TAKE_PTR(raw);
        return 0;
}

/* The ports UNIT's processes listen on (TCP), at most MAX. */
struct unit_ports {
        char *unit;
        uint16_t port[16];
        size_t n;
};

static void ports_add(struct unit_ports *u, const struct socket_table *st, pid_t pid) {
        const struct listen_socket *mine[64];
        size_t k = sockets_of_pid(st, pid, mine, ELEMENTSOF(mine));
        for (size_t i = 0; i < k && i < ELEMENTSOF(mine); i++) {
                bool seen = mine[i]->udp;
                for (size_t j = 0; j < u->n && !seen; j++)
                        seen = u->port[j] == mine[i]->port;
                if (!seen && u->n < ELEMENTSOF(u->port))
                        u->port[u->n++] = mine[i]->port;
        }
}

static const struct unit_ports *ports_find(const struct unit_ports *v, size_t n, const char *unit) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].unit, unit) == 0)
                        return &v[i];
        return NULL;
}

/* An enabled probe timer whose unit runs and listens, but not on the probed port (or whose unit is gone). */
static int judge_stale(struct host *h, struct report *r, const struct unit_ports *v, size_t n, unsigned *warned) {
        DIR *d = NULL;
        int k = host_opendir(h, "/etc/systemd/system/timers.target.wants", &d);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        k = 0;
        for (struct dirent *de; k >= 0 && (de = readdir(d)); ) {
                _cleanup_free_ char *unit = NULL, *inst = NULL;
                const struct unit *u = NULL;
                uint16_t port;
                size_t len = strlen(de->d_name);
                if (len < 7 || strcmp(de->d_name + len - 6, ".timer") != 0 ||
                    healthcheck_instance_parse(de->d_name, &unit, &port) < 0)
                        continue;
                const struct unit_ports *up = ports_find(v, n, unit);
                bool gone = unit_load(h, unit, &u) == -ENOENT;
                bool moved = up && up->n > 0;
                for (size_t i = 0; moved && i < up->n; i++)
                        moved = up->port[i] != port;
                if (!gone && !moved)
                        continue;
                struct healthcheck_data *hd = calloc(1, sizeof(*hd));
                if (!hd || !(hd->unit = strdup(unit)) || !(hd->instance = strndup(de->d_name, len - 6))) {
                        healthcheck_data_free(hd);
                        k = -ENOMEM;
                        break;
                }
                hd->kind = HEALTHCHECK_STALE;
                hd->port = port;
                if (gone)
                        k = report_add(r, STATUS_WARN, unit, hd, healthcheck_data_free, "its probe timer %s is stale: "
                                       "the unit no longer exists", de->d_name);
                else
                        k = report_add(r, STATUS_WARN, unit, hd, healthcheck_data_free, "its probe timer %s is stale: "
                                       "it probes port %u, where the unit no longer listens (it listens on %u); the "
                                       "probe never restarts it for that", de->d_name, (unsigned) port,
                                       (unsigned) up->port[0]);
                if (k >= 0)
                        (*warned)++;
        }
        closedir(d);
        return k < 0 ? k : 0;
}

/* The installed probe templates against what [healthcheck] renders now. */
static int judge_settings(struct host *h, struct report *r, unsigned *warned) {
        static const char *const names[] = { "hostfit-health@.service", "hostfit-health@.timer" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *path = NULL, *old = NULL, *text = NULL;
                size_t old_len = 0, len = 0;
                if (asprintf(&path, "/etc/systemd/system/%s", names[i]) < 0)
                        return -ENOMEM;
                int k = host_read_file(h, path, 65536, &old, &old_len);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        continue;
                if ((k = healthcheck_render(h, names[i], &text, &len)) < 0)
                        return k == -ENOMEM ? k : 0;
                if (len == old_len && memcmp(text, old, len) == 0)
                        continue;
                struct healthcheck_data *hd = calloc(1, sizeof(*hd));
                if (!hd)
                        return -ENOMEM;
                hd->kind = HEALTHCHECK_SETTINGS;
                k = report_add(r, STATUS_WARN, path, hd, healthcheck_data_free, "the installed probe differs from "
                               "[healthcheck] as it is now (interval, timeout, failures, grace, max-restarts)");
                if (k < 0)
                        return k;
                (*warned)++;
                return 0;       /* one finding rewrites both */
        }
        return 0;
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
        struct unit_ports *ports = calloc(n ? n : 1, sizeof(*ports));
        size_t n_ports = 0;
        if (!ports)
                k = -ENOMEM;
        for (size_t i = 0; i < n && k >= 0; ) {
                size_t j = i;
                uint16_t port = 0;
                struct unit_ports *up = &ports[n_ports++];
                up->unit = v[i].unit;
                /* The ports last: they read the process's fds, after the cheap filters. */
                for (; j < n && strcmp(v[j].unit, v[i].unit) == 0; j++) {
                        if (!port)
                                port = sockets_tcp_port(st, v[j].p->pid);
                        if (port)
                                ports_add(up, st, v[j].p->pid);
                }
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
        if (k >= 0)
                k = judge_stale(h, r, ports, n_ports, &warned);
        if (k >= 0)
                k = judge_settings(h, r, &warned);
        free(ports);
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
        .problem = "A listening service has no watchdog and no health probe",
        .why = "systemd restarts a service that dies, not one that hangs: without WatchdogSec= or a probe, "
               "a wedged server stays down until someone notices.",
        .severity = SEVERITY_LOW,
        .run = healthcheck_run,
        .fix = &fix_healthcheck,
};
