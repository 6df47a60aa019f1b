/* SPDX-License-Identifier: MIT */
/* restart-storm: a service restarting without end, stuck at its start limit, or with a
 * restart policy that cannot bring it back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "text/escape.h"
#include "fixes.h"
#include "journal/incidents.h"
#include "loop-findings.h"
#include "text/strbuf.h"
#include "systemd/units.h"
#include "systemd/unitstate.h"
#include "host/virt.h"

#define SECTION "restart-storm"
#define DEFAULT_MAX_RESTARTS 10
#define USEC 1000000ULL
#define DEFAULT_RESTART_USEC (100 * 1000ULL)    /* systemd's RestartSec= default */
#define DEFAULT_LIMIT_INTERVAL (10 * USEC)      /* DefaultStartLimitIntervalSec= */
#define DEFAULT_LIMIT_BURST 5                   /* DefaultStartLimitBurst= */
#define DEFAULT_WINDOW (7 * 86400)              /* seconds of journal read */
#define OOM_LEFT_DOWN "killed by the OOM killer and left down: Restart=%s does not restart after a kill"

void restart_data_free(void *p) {
        struct restart_data *d = p;
        if (d) {
                free(d->unit);
                free(d->dropin);
        }
        free(d);
}

int parse_timespan_usec(const char *s, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t usec; } units[] = {
                { "usec", 1 }, { "us", 1 }, { "μs", 1 }, { "msec", 1000 }, { "ms", 1000 },
                { "seconds", USEC }, { "second", USEC }, { "sec", USEC }, { "s", USEC },
                { "minutes", 60 * USEC }, { "minute", 60 * USEC }, { "min", 60 * USEC }, { "m", 60 * USEC },
                { "hours", 3600 * USEC }, { "hour", 3600 * USEC }, { "hr", 3600 * USEC }, { "h", 3600 * USEC },
                { "days", 86400 * USEC }, { "day", 86400 * USEC }, { "d", 86400 * USEC },
                { "weeks", 604800 * USEC }, { "week", 604800 * USEC }, { "w", 604800 * USEC },
        };
        uint64_t total = 0;
        bool any = false;
        if (!s)
                return -EINVAL;
        if (strcmp(s, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        while (*s) {
                s += strspn(s, " \t");
                if (!*s)
                        break;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                char *end;
                double v = strtod(s, &end);
                s = end;
                s += strspn(s, " \t");
                uint64_t mul = USEC;    /* a bare number is seconds */
                size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzμ\xce\xbc");
                if (n) {
                        bool found = false;
                        for (size_t i = 0; i < ELEMENTSOF(units) && !found; i++)
                                if (strlen(units[i].suffix) == n && strncmp(s, units[i].suffix, n) == 0) {
                                        mul = units[i].usec;
                                        found = true;
                                }
                        if (!found)
                                return -EINVAL;
                        s += n;
                }
                if (v < 0 || v * (double) mul > 1e18)
                        return -EINVAL;
                total += (uint64_t) (v * (double) mul);
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

/* One unit and every reason it is reported for. */
struct storm {
        char *name;
        struct strbuf why;      /* "; "-joined reasons */
        char **details;
        size_t n_details;
};

struct storms {
        struct storm *v;
        size_t n;
};

static struct storm *storm_get(struct storms *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].name, name) == 0)
                        return &s->v[i];
        struct storm *nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
        if (!nv)
                return NULL;
        s->v = nv;
        nv[s->n] = (struct storm) { .name = strdup(name), .why = STRBUF_INIT };
        return nv[s->n].name ? &nv[s->n++] : NULL;
}

static int storm_add(struct storms *s, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int storm_add(struct storms *s, const char *name, const char *fmt, ...) {
        struct storm *t = storm_get(s, name);
        _cleanup_free_ char *why = NULL;
        va_list ap;
        if (!t)
                return -ENOMEM;
        va_start(ap, fmt);
        int r = vasprintf(&why, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (strstr(strbuf_str(&t->why), why))
                return 0;       /* a unit both of the admin's and named in units= */
        if ((strbuf_str(&t->why)[0] && strbuf_adds(&t->why, "; ") < 0) || strbuf_adds(&t->why, why) < 0)
                return -ENOMEM;
        return 0;
}

static void storms_free(struct storms *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].name);
                strbuf_release(&s->v[i].why);
        }
        free(s->v);
}

static bool word_in(const char *w, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (strcmp(w, list[i]) == 0)
                        return true;
        return false;
}

/* Restart= in effect ("no" when unset), and whether it restarts after a crash. */
static const char *restart_policy(const struct unit *u) {
        const char *v = unit_get(u, "Service", "Restart");
        return v ? v : "no";
}

static bool restarts_on_crash(const char *policy) {
        static const char *const yes[] = { "always", "on-failure", "on-abnormal", "on-watchdog", NULL };
        return word_in(policy, yes);
}

static uint64_t restart_usec(const struct unit *u) {
        uint64_t v;
        const char *s = unit_get(u, "Service", "RestartSec");
        return s && parse_timespan_usec(s, &v) == 0 ? v : DEFAULT_RESTART_USEC;
}

static void read_defaults_file(struct host *h, const char *path, uint64_t *interval, uint64_t *burst) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];
        if (host_fopen(h, path, &f) < 0)
                return;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (strncmp(line, "DefaultStartLimitIntervalSec=", 29) == 0)
                        (void) parse_timespan_usec(line + 29, interval);
                else if (strncmp(line, "DefaultStartLimitBurst=", 23) == 0)
                        *burst = strtoull(line + 23, NULL, 10);
        }
}

static int cmp_base(const void *a, const void *b) {
        const char *x = strrchr(*(char *const *) a, '/'), *y = strrchr(*(char *const *) b, '/');
        return strcmp(x ? x : "", y ? y : "");
}

/* The manager's defaults as systemd reads them: system.conf, then the *.conf of the
 * system.conf.d directories in the order of their file names, /etc's masking /usr/lib's.
 * At most 64 such files: a bound, not a limit anyone meets. */
static void read_manager_defaults(struct host *h, uint64_t *interval, uint64_t *burst) {
        static const char *const dirs[] = { "/usr/lib/systemd/system.conf.d", "/etc/systemd/system.conf.d" };
        char *paths[64];
        size_t n = 0;
        read_defaults_file(h, "/etc/systemd/system.conf", interval, burst);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int fd = host_open_file(h, dirs[i], O_RDONLY | O_DIRECTORY);
                DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
                if (!d) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                for (struct dirent *de; (de = readdir(d)); ) {
                        size_t len = strlen(de->d_name), j = 0;
                        char *path = NULL;
                        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 ||
                            asprintf(&path, "%s/%s", dirs[i], de->d_name) < 0)
                                continue;
                        while (j < n && cmp_base(&paths[j], &path) != 0)
                                j++;
                        if (j < n)
                                free(paths[j]);         /* the same name under /etc wins */
                        else if (n == ELEMENTSOF(paths)) {
                                free(path);
                                continue;
                        } else
                                n++;
                        paths[j] = path;
                }
                closedir(d);
        }
        qsort(paths, n, sizeof(char *), cmp_base);
        for (size_t i = 0; i < n; i++) {
                read_defaults_file(h, paths[i], interval, burst);
                free(paths[i]);
        }
}

/* StartLimitIntervalSec=/StartLimitBurst= of the unit ([Unit]; the old [Service] names too),
 * else the manager's defaults from system.conf. */
static void start_limit(struct host *h, const struct unit *u, uint64_t *ret_interval, uint64_t *ret_burst, bool *ret_default) {
        const char *iv = unit_get(u, "Unit", "StartLimitIntervalSec"), *bv = unit_get(u, "Unit", "StartLimitBurst");
        if (!iv)
                iv = unit_get(u, "Service", "StartLimitInterval");
        if (!bv)
                bv = unit_get(u, "Service", "StartLimitBurst");
        *ret_default = !iv && !bv;
        *ret_interval = DEFAULT_LIMIT_INTERVAL;
        *ret_burst = DEFAULT_LIMIT_BURST;
        read_manager_defaults(h, ret_interval, ret_burst);
        uint64_t v;
        if (iv && parse_timespan_usec(iv, &v) == 0)
                *ret_interval = v;
        if (bv)
                *ret_burst = strtoull(bv, NULL, 10);
}

/* A crash loop restarting every RestartSec= spends the start limit when BURST starts fit in
 * the interval: then systemd gives up and the service stays down. */
static int judge_policy(struct host *h, struct storms *s, const struct unit *u) {
        const char *policy = restart_policy(u), *type = unit_get(u, "Service", "Type");
        uint64_t interval, burst;
        bool dflt;
        if (u->masked || !restarts_on_crash(policy) || (type && strcmp(type, "oneshot") == 0))
                return 0;
        start_limit(h, u, &interval, &burst, &dflt);
        uint64_t sec = restart_usec(u);
        if (!dflt || interval == 0 || burst == 0 || sec * burst >= interval)
                return 0;
        return storm_add(s, u->id, "Restart=%s every %llu ms spends the default start limit (%llu starts in %llu s) "
                         "in %.1f s, then it stays down", policy, (unsigned long long) (sec / 1000),
                         (unsigned long long) burst, (unsigned long long) (interval / USEC), (double) (sec * burst) / USEC);
}

/* Killed by the OOM killer, as the manager recorded its last stop (judge_journal() reads
 * the kills before that). */
static bool unit_oom_killed(const struct unit_live *l) {
        return l->result && strcmp(l->result, "oom-kill") == 0;
}

static int judge_live(struct host *h, struct storms *s, const struct unit_live *l, uint64_t max) {
        int r = 0;
        if (l->n_restarts > max)
                r = storm_add(s, l->name, "restarted %u times since it was last started (%s/%s)", l->n_restarts,
                              l->active_state, l->sub_state);
        if (r < 0 || strcmp(l->active_state, "failed") != 0)
                return r;
        /* Only a failed unit is left down; its unit file says whether systemd would have restarted it. */
        const struct unit *u = NULL;
        int k = unit_load(h, l->name, &u);
        if (k == -ENOMEM)
                return k;
        const char *policy = k == 0 ? restart_policy(u) : "no";
        if (l->result && strcmp(l->result, "start-limit-hit") == 0)
                return storm_add(s, l->name, "stuck at its start limit (start-limit-hit): systemd will not start it again by itself");
        /* 252 keeps the last exit's result when the start limit ends the auto-restarts. */
        if (l->n_restarts > 0 && restarts_on_crash(policy) && !unit_oom_killed(l))
                return storm_add(s, l->name, "stuck at its start limit: failed (%s) and left down after %u automatic restarts",
                                 l->result ? l->result : "?", l->n_restarts);
        if (unit_oom_killed(l) && !restarts_on_crash(policy))
                return storm_add(s, l->name, OOM_LEFT_DOWN, policy);
        return 0;
}

/* The journal (hostfit incidents): an OOM kill that left a service down, whenever it was;
 * and where the manager cannot be asked (another root), crash loops and start limits. */
static int judge_journal(struct host *h, struct storms *s, uint64_t max, bool have_live, bool *ret_read) {
        uint64_t window = DEFAULT_WINDOW;
        const char *w = config_get(host_config(h), SECTION, "window");
        struct timespec ts;
        struct incident_list l = { 0 };
        struct journal_error err;
        if (w)
                (void) parse_duration(w, &window);
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * USEC, span = window * USEC;
        struct incident_options o = { .since_usec = now > span ? now - span : 1 };
        int r = incidents_load(h, &o, &l, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;       /* no journal to read: the manager and the unit files still say enough */
        *ret_read = true;
        r = 0;
        for (size_t i = 0; r == 0 && i < l.n; i++) {
                const struct incident *in = &l.items[i];
                size_t len = in->unit ? strlen(in->unit) : 0;
                if (len < 8 || strcmp(in->unit + len - 8, ".service") != 0)
                        continue;
                if (in->killer != KILLER_NONE && in->outcome == OUTCOME_STOPPED) {
                        const struct unit *u = NULL;
                        int k = unit_load(h, in->unit, &u);
                        if (k == -ENOMEM)
                                r = k;
                        else if (!restarts_on_crash(k == 0 ? restart_policy(u) : "no"))
                                r = storm_add(s, in->unit, OOM_LEFT_DOWN, k == 0 ? restart_policy(u) : "no");
                } else if (!have_live && in->outcome == OUTCOME_START_LIMIT)
                        r = storm_add(s, in->unit, "stuck at its start limit: the journal shows its restarts stopped "
                                      "after %lld", in->restarts);
                else if (!have_live && in->killer == KILLER_NONE && in->restarts > (long long) max)
                        r = storm_add(s, in->unit, "restarted %lld times in a row (the journal's N_RESTARTS)", in->restarts);
        }
        incident_list_release(&l);
        return r;
}

static int add_units_of(struct host *h, struct storms *s, const char *const *names) {
        for (size_t i = 0; names && names[i]; i++) {
                const struct unit *u = NULL;
                int r = unit_load(h, names[i], &u);
                if (r == -ENOMEM)
                        return r;
                if (r == 0 && (r = judge_policy(h, s, u)) < 0)
                        return r;
        }
        return 0;
}

/* The admin's units (/etc, /usr/local) and the ones named in [restart-storm] units=. */
static int judge_files(struct host *h, struct storms *s, unsigned *ret_n) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system" };
        unsigned n = 0;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char **v = NULL;
                int r = units_list_dir(h, dirs[i], ".service", &v);
                if (r == -ENOMEM)
                        return r;
                for (size_t j = 0; v && v[j]; j++)
                        n++;
                r = r < 0 ? 0 : add_units_of(h, s, (const char *const *) v);
                strv_free(v);
                if (r < 0)
                        return r;
        }
        const char *named = config_get(host_config(h), SECTION, "units");
        _cleanup_free_ char *copy = named ? strdup(named) : NULL;
        for (char *save = NULL, *w = copy ? strtok_r(copy, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save)) {
                const char *one[] = { w, NULL };
                int r = add_units_of(h, s, one);
                if (r < 0)
                        return r;
                n++;
        }
        *ret_n = n;
        return 0;
}

static int report_storm(struct host *h, struct report *r, struct storm *t) {
        const struct unit *u = NULL;
        struct restart_data *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        int k = unit_load(h, t->name, &u);
        if (k == -ENOMEM) {
                free(d);
                return k;
        }
        d->keep_always = k == 0 && strcmp(restart_policy(u), "always") == 0;
        d->restart_usec = k == 0 ? restart_usec(u) : DEFAULT_RESTART_USEC;
        if (!(d->unit = strdup(t->name)) ||
            asprintf(&d->dropin, "/etc/systemd/system/%s.d/50-hostfit-restart.conf", t->name) < 0) {
                restart_data_free(d);
                return -ENOMEM;
        }
        k = report_add(r, STATUS_FAIL, t->name, d, restart_data_free, "%s", strbuf_str(&t->why));
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        if (k == 0 && u) {
                if (u->fragment)
                        finding_add_detail(f, "defined in %s", u->fragment);
                const struct unit_assignment *a = unit_get_assignment(u, "Service", "Restart");
                finding_add_detail(f, "Restart=%s%s%s%s", restart_policy(u), a ? " (" : " (the default)", a ? a->file : "", a ? ")" : "");
                finding_add_detail(f, "RestartSec=%llu ms", (unsigned long long) (d->restart_usec / 1000));
        }
        return 0;
}

static int restart_storm_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        struct storms s = { 0 };
        struct unit_live *live = NULL;
        size_t n_live = 0;
        unsigned n_files = 0;
        bool have_journal = false;
        uint64_t max = (uint64_t) config_get_int(host_config(h), SECTION, "max-restarts", DEFAULT_MAX_RESTARTS);
        int k = unit_state_list_services(h, &live, &n_live);
        bool have_live = k == 0;
        if (k == -ENOMEM)
                return k;
        k = 0;
        for (size_t i = 0; k == 0 && i < n_live; i++)
                k = judge_live(h, &s, &live[i], max);
        if (k == 0)
                k = judge_journal(h, &s, max, have_live, &have_journal);
        if (k == 0)
                k = judge_files(h, &s, &n_files);
        for (size_t i = 0; k == 0 && i < s.n; i++)
                k = report_storm(h, r, &s.v[i]);
        if (k == 0 && s.n == 0) {
                if (!have_live && !have_journal && n_files == 0)
                        k = report_add(r, STATUS_SKIP, "", NULL, NULL, "no running systemd to ask, no journal and no unit of "
                                       "the admin's to read");
                else if (have_live)
                        k = report_add(r, STATUS_PASS, "", NULL, NULL, "%zu services: none restarting without end or stuck, "
                                       "%u unit files of the admin's with a policy that recovers", n_live, n_files);
                else
                        k = report_add(r, STATUS_PASS, "", NULL, NULL, "%u unit files of the admin's with a policy that recovers, "
                                       "%s (no running systemd to ask for restart counts)", n_files,
                                       have_journal ? "no crash loop or kill left down in the journal" : "no journal");
        }
        unit_live_free(live, n_live);
        storms_free(&s);
        return k;
}

const struct check check_restart_storm = {
        .id = "restart-storm",
        .title = "Services do not restart without end and can recover from a crash",
        .why = "A service restarting every second burns CPU and floods the journal while systemd still calls "
               "the host running; one that spends its start limit, or has no restart after an OOM kill, "
               "stays down for good.",
        .severity = SEVERITY_HIGH,
        .run = restart_storm_run,
        .fix = &fix_restart,
};
