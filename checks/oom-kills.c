/* SPDX-License-Identifier: MIT */
/* oom-kills: the journal shows an OOM kill or a crash loop within [oom-kills] window.
 * No fix of its own: each finding names the incident and the check that prevents the next. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "journal/incidents.h"
#include "journal/keymap.h"

#define DEFAULT_WINDOW_SEC (7 * 86400ULL)

static void format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, 32, "@%llu", (unsigned long long) (usec / 1000000ULL));
}

static const char *killer_words(enum killer k) {
        switch (k) {
        case KILLER_KERNEL:       return "the kernel's OOM killer (the whole host was out of memory)";
        case KILLER_MEMORY_LIMIT: return "the kernel's OOM killer at a cgroup memory limit";
        case KILLER_EARLYOOM:     return "earlyoom";
        case KILLER_OOMD:         return "systemd-oomd";
        case KILLER_NOHANG:       return "nohang";
        default:                  return "nobody";
        }
}

static void format_size(uint64_t bytes, char buf[static 32]) {
        if (bytes >= (1ULL << 30))
                snprintf(buf, 32, "%.1f GiB", (double) bytes / (1ULL << 30));
        else
                snprintf(buf, 32, "%.1f MiB", (double) bytes / (1ULL << 20));
}

static int add_details(struct finding *f, const struct incident *i) {
        int k = 0;
        if (i->pid && (k = finding_add_detail(f, "pid %d", (int) i->pid)) < 0)
                return k;
        if (i->uid >= 0 && (k = finding_add_detail(f, "uid %lld", i->uid)) < 0)
                return k;
        if (i->cgroup && (k = finding_add_detail(f, "cgroup %s", i->cgroup)) < 0)
                return k;
        if (i->rss_bytes && (k = finding_add_detail(f, "memory at the kill: %llu bytes",
                                                    (unsigned long long) i->rss_bytes)) < 0)
                return k;
        if (i->limit_bytes && (k = finding_add_detail(f, "limit hit: %llu bytes",
                                                      (unsigned long long) i->limit_bytes)) < 0)
                return k;
        if (i->peak_bytes && (k = finding_add_detail(f, "peak of the limit's cgroup: %llu bytes",
                                                     (unsigned long long) i->peak_bytes)) < 0)
                return k;
        if (i->limit && (k = finding_add_detail(f, "limit: %s", i->limit)) < 0)
                return k;
        return 0;
}

/* What prevents the next one: a check's fix, or (a unit's own limit hit) advice with the peak. */
static int set_fix(struct finding *f, const struct incident *i) {
        _cleanup_free_ char *fix = NULL;
        const char *u = i->unit ? " --unit " : "", *name = i->unit ? i->unit : "";
        int k;
        if (i->prevent)
                k = asprintf(&fix, "hostfit fix %s (prevents the next one); details: hostfit incidents%s%s",
                             i->prevent, u, name);
        else if (i->advice) {
                char peak[32] = "", limit[32] = "";
                if (i->peak_bytes)
                        format_size(i->peak_bytes, peak);
                if (i->limit_bytes)
                        format_size(i->limit_bytes, limit);
                k = asprintf(&fix, "%s%s%s%s%s%s; details: hostfit incidents%s%s", i->advice,
                             *limit ? " (limit " : "", limit, *peak ? (*limit ? ", peak since its last start " : " (peak since its last start ") : "", peak,
                             *limit || *peak ? ")" : "", u, name);
        } else
                return 0;
        if (k < 0)
                return -ENOMEM;
        return finding_set_fix(f, fix);
}

/* One finding for N incidents of one unit (or one process) and killer; LAST the newest. Its comm,
 * which [ignore] matches, is the killed process's name as the kernel's or the daemon's entry gave
 * it, and only when every kill of the group names the same one (SAME_COMM): the pid is a dead
 * process's, which another process may hold by now under a name of its choosing. */
static int report_group(struct report *r, const struct incident *last, const struct incident *first, unsigned n,
                        bool same_comm) {
        char t[32], t0[32], subject[64];
        const char *subj = last->unit;
        format_time(last->time_usec, t);
        format_time(first->time_usec, t0);
        if (!subj) {
                if (last->pid)
                        snprintf(subject, sizeof subject, "pid %d", (int) last->pid);
                else
                        snprintf(subject, sizeof subject, "%s", "unknown process");
                subj = subject;
        }
        struct incident *data = incident_dup(last);
        if (!data)
                return -ENOMEM;
        data->count = n;
        const char *comm = last->comm, *q = comm ? "'" : "";
        int k;
        if (last->killer == KILLER_NONE)
                k = report_add(r, STATUS_WARN, subj, data, incident_free,
                               "crash loop: %lld restarts from %s, %s%s", last->restarts, t,
                               last->outcome == OUTCOME_START_LIMIT ? "stopped at the start limit" :
                               last->outcome == OUTCOME_STOPPED ? "then stopped" : "still restarting",
                               n > 1 ? " (the last of several loops in the window)" : "");
        else if (n == 1)
                k = report_add(r, STATUS_WARN, subj, data, incident_free, "%s%s%s%s killed by %s at %s; outcome: %s",
                               comm ? "process " : "a process", q, comm ? comm : "", q, killer_words(last->killer), t,
                               outcome_to_string(last->outcome));
        else
                k = report_add(r, STATUS_WARN, subj, data, incident_free,
                               "killed %u times by %s from %s to %s (last: %s%s%s%s); outcome of the last: %s", n,
                               killer_words(last->killer), t0, t, comm ? "process " : "a process", q, comm ? comm : "",
                               q, outcome_to_string(last->outcome));
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        if (same_comm && (k = finding_set_comm(f, comm)) < 0)
                return k;
        if ((k = set_fix(f, last)) < 0)
                return k;
        return add_details(f, last);
}

/* The group of an incident: its unit (or, with none, its process name) and its killer. */
static int group_key(const struct incident *i, char *buf, size_t size) {
        int n;
        if (i->unit)
                n = snprintf(buf, size, "u%d/%s", (int) i->killer, i->unit);
        else if (i->comm)
                n = snprintf(buf, size, "c%d/%s", (int) i->killer, i->comm);
        else
                n = snprintf(buf, size, "p%d/%d", (int) i->killer, (int) i->pid);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : n;
}

struct group {
        size_t first, last;
        unsigned n;
        bool mixed;     /* its kills name more than one process */
};

static bool comm_eq(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

/* One line per unit and killer with a count, in the order each first appeared. */
static int report_incidents(struct report *r, const struct incident_list *l) {
        _cleanup_free_ struct group *g = calloc(l->n ? l->n : 1, sizeof *g);
        struct keymap m = {};
        size_t ng = 0;
        int k = g ? 0 : -ENOMEM;
        for (size_t i = 0; k >= 0 && i < l->n; i++) {
                char key[INCIDENT_TEXT_MAX + 32];
                int n = group_key(&l->items[i], key, sizeof key);
                size_t v = n < 0 ? 0 : keymap_get(&m, key, (size_t) n);
                if (v) {
                        g[v - 1].last = i;
                        g[v - 1].n++;
                        g[v - 1].mixed |= !comm_eq(l->items[g[v - 1].first].comm, l->items[i].comm);
                        continue;
                }
                g[ng++] = (struct group) { .first = i, .last = i, .n = 1 };
                if (n >= 0)
                        k = keymap_set(&m, key, (size_t) n, ng);
        }
        keymap_release(&m);
        for (size_t i = 0; k >= 0 && i < ng; i++)
                k = report_group(r, &l->items[g[i].last], &l->items[g[i].first], g[i].n, !g[i].mixed);
        return k < 0 ? k : 0;
}

/* Forged entries, counted once (--verbose shows the details). */
static int ignored_detail(struct finding *f, size_t n) {
        return finding_add_detail(f, "ignored %zu journal entr%s claiming to be from systemd, the kernel or an OOM "
                                  "daemon that journald's own fields (_PID, _UID, _SYSTEMD_UNIT, _COMM) do not bear out",
                                  n, n == 1 ? "y" : "ies");
}

static int oom_kills_run(struct host *h, struct report *r) {
        const struct config *c = host_config(h);
        uint64_t window = DEFAULT_WINDOW_SEC;
        const char *w = config_get(c, "oom-kills", "window");
        if (w && parse_duration(w, &window) < 0)
                window = DEFAULT_WINDOW_SEC;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000ULL, span = window * 1000000ULL;
        struct incident_options o = { .since_usec = now > span ? now - span : 1 };
        struct incident_list l = {};
        struct journal_error err;

        int k = incidents_load(h, &o, &l, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return report_add(r, STATUS_SKIP, err.path, NULL, NULL, "cannot read the journal: %s",
                                  err.reason ? err.reason : strerror(-k));
        size_t ignored = l.ignored;
        if (l.n == 0) {
                incident_list_release(&l);
                char days[32];
                snprintf(days, sizeof days, "%llu", (unsigned long long) (window / 86400));
                k = report_add(r, STATUS_PASS, err.path, NULL, NULL,
                               "no OOM kill or crash loop in the last %s%s", window >= 86400 ? days : "",
                               window >= 86400 ? (window / 86400 == 1 ? " day" : " days") : " window");
                if (k >= 0 && ignored)
                        k = ignored_detail(report_last(r), ignored);
                return k < 0 ? k : 0;
        }
        k = report_incidents(r, &l);
        incident_list_release(&l);
        if (k >= 0 && ignored)
                k = ignored_detail(report_last(r), ignored);
        return k < 0 ? k : 0;
}

const struct check check_oom_kills = {
        .id = "oom-kills",
        .title = "The journal shows no OOM kill or crash loop in the window",
        .problem = "The journal shows an OOM kill or a crash loop in the window",
        .why = "A service the OOM killer took, or one that crash-loops, is down or was; the kill leaves "
               "no trace in the service's own log. Each finding names the check that prevents the next one.",
        .severity = SEVERITY_HIGH,
        .run = oom_kills_run,
        .fix = NULL,
};
