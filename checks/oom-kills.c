/* SPDX-License-Identifier: MIT */
/* oom-kills: the journal shows an OOM kill or a crash loop within [oom-kills] window.
 * No fix of its own: each finding names the incident and the check that prevents the next. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "journal/incidents.h"

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

static int report_incident(struct report *r, const struct incident *i) {
        char t[32], subject[64];
        const char *subj = i->unit;
        format_time(i->time_usec, t);
        if (!subj) {
                if (i->pid)
                        snprintf(subject, sizeof subject, "pid %d", (int) i->pid);
                else
                        snprintf(subject, sizeof subject, "%s", "unknown process");
                subj = subject;
        }
        struct incident *data = incident_dup(i);
        if (!data)
                return -ENOMEM;
        int k;
        if (i->killer == KILLER_NONE)
                k = report_add(r, STATUS_WARN, subj, data, incident_free,
                               "crash loop: %lld restarts from %s, %s", i->restarts, t,
                               i->outcome == OUTCOME_START_LIMIT ? "stopped at the start limit" : "still restarting");
        else
                k = report_add(r, STATUS_WARN, subj, data, incident_free,
                               "%s%s%s killed by %s at %s; outcome: %s",
                               i->comm ? "process '" : "a process", i->comm ? i->comm : "",
                               i->comm ? "'" : "", killer_words(i->killer), t,
                               outcome_to_string(i->outcome));
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        if (i->prevent) {
                _cleanup_free_ char *fix = NULL;
                if (asprintf(&fix, "hostfit fix %s (prevents the next one); details: hostfit incidents%s%s",
                             i->prevent, i->unit ? " --unit " : "", i->unit ? i->unit : "") < 0)
                        return -ENOMEM;
                if ((k = finding_set_fix(f, fix)) < 0)
                        return k;
        }
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
        if (i->limit && (k = finding_add_detail(f, "limit: %s", i->limit)) < 0)
                return k;
        return 0;
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
        if (l.n == 0) {
                incident_list_release(&l);
                char days[32];
                snprintf(days, sizeof days, "%llu", (unsigned long long) (window / 86400));
                return report_add(r, STATUS_PASS, err.path, NULL, NULL,
                                  "no OOM kill or crash loop in the last %s%s", window >= 86400 ? days : "",
                                  window >= 86400 ? (window / 86400 == 1 ? " day" : " days") : " window");
        }
        for (size_t i = 0; k >= 0 && i < l.n; i++)
                k = report_incident(r, &l.items[i]);
        incident_list_release(&l);
        return k < 0 ? k : 0;
}

const struct check check_oom_kills = {
        .id = "oom-kills",
        .title = "The journal shows no OOM kill or crash loop in the window",
        .why = "A service the OOM killer took, or one that crash-loops, is down or was; the kill leaves "
               "no trace in the service's own log. Each finding names the check that prevents the next one.",
        .severity = SEVERITY_HIGH,
        .run = oom_kills_run,
        .fix = NULL,
};
