/* SPDX-License-Identifier: MIT */
/* restart-storm: a service restarting more often than a handful an hour with nothing to end
 * it, one the OOM killer killed and its policy left down, and hostfit's own drop-in where it
 * is not what the rule (checks/restart-policy.c) gives now. Evidence comes from the manager
 * and the journal; unit files alone are never a failure. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "journal/incidents.h"
#include "restart-policy.h"
#include "systemd/unitname.h"
#include "systemd/units.h"
#include "systemd/unitstate.h"
#include "host/virt.h"
#include "text/strbuf.h"

#define SECTION "restart-storm"
#define DEFAULT_MAX_PER_HOUR 10
#define USEC 1000000ULL
#define HOUR (3600 * USEC)
#define DEFAULT_WINDOW (7 * 86400)              /* seconds of journal read on another root */
#define UNIT_DIR "/etc/systemd/system"

/* One service and what the manager and the journal say of it. */
struct storm {
        char *name;
        const struct unit_live *live;   /* the manager's view (borrowed), NULL: not loaded or not asked */
        uint64_t rate;                  /* restarts an hour, from the journal */
        bool killed;                    /* killed by the OOM killer and down: Result=oom-kill, or the journal */
        bool ours;                      /* hostfit's drop-in exists */
};

/* Storms by name: an array in the order met and an open-addressed index over it. */
struct storms {
        struct storm *v;
        size_t n, alloc;
        size_t *index;                  /* 1 + position in v; 0: empty */
        size_t cap;                     /* a power of two, at least twice n */
};

/* FNV-1a, 64-bit on every architecture (a 32-bit size_t cannot hold its offset basis). */
static size_t name_hash(const char *s) {
        uint64_t x = 1469598103934665603ULL;
        for (; *s; s++)
                x = (x ^ (unsigned char) *s) * 1099511628211ULL;
        return (size_t) (x ^ (x >> 32));
}

static int storms_reindex(struct storms *s, size_t cap) {
        size_t *ix = calloc(cap, sizeof(*ix));
        if (!ix)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                size_t k = name_hash(s->v[i].name) & (cap - 1);
                while (ix[k])
                        k = (k + 1) & (cap - 1);
                ix[k] = i + 1;
        }
        free(s->index);
        s->index = ix;
        s->cap = cap;
        return 0;
}

static struct storm *storm_get(struct storms *s, const char *name) {
        size_t k = s->cap ? name_hash(name) & (s->cap - 1) : 0;
        for (; s->cap && s->index[k]; k = (k + 1) & (s->cap - 1))
                if (strcmp(s->v[s->index[k] - 1].name, name) == 0)
                        return &s->v[s->index[k] - 1];
        if (2 * (s->n + 1) > s->cap && storms_reindex(s, s->cap ? 2 * s->cap : 64) < 0)
                return NULL;
        if (s->n == s->alloc) {
                size_t na = s->alloc ? 2 * s->alloc : 32;
                struct storm *nv = realloc(s->v, na * sizeof(*nv));
                if (!nv)
                        return NULL;
                s->v = nv, s->alloc = na;
        }
        s->v[s->n] = (struct storm) { .name = strdup(name) };
        if (!s->v[s->n].name)
                return NULL;
        for (k = name_hash(name) & (s->cap - 1); s->index[k]; k = (k + 1) & (s->cap - 1))
                ;
        s->index[k] = ++s->n;
        return &s->v[s->n - 1];
}

static void storms_free(struct storms *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].name);
        free(s->v);
        free(s->index);
}

static bool is_service(const char *name) {
        size_t len = name ? strlen(name) : 0;
        return len > 8 && strcmp(name + len - 8, ".service") == 0 && unit_name_is_valid(name);
}

/* ---- the manager's defaults, read once a run ---- */

static void read_defaults_file(struct host *h, const char *path, struct restart_rule *rule) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];
        uint64_t t;
        if (host_fopen(h, path, &f) < 0)
                return;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (strncmp(line, "DefaultStartLimitIntervalSec=", 29) == 0 && unit_parse_sec(line + 29, &t) == 0)
                        rule->default_interval = t;
                else if (strncmp(line, "DefaultStartLimitBurst=", 23) == 0) {
                        char *end;
                        unsigned long v = strtoul(line + 23, &end, 10);
                        if (end != line + 23 && !*end && v <= 0xffffffffUL)
                                rule->default_burst = (unsigned) v;
                }
        }
}

static int cmp_base(const void *a, const void *b) {
        const char *x = strrchr(*(char *const *) a, '/'), *y = strrchr(*(char *const *) b, '/');
        return strcmp(x ? x : "", y ? y : "");
}

/* system.conf, then the *.conf of the system.conf.d directories in the order of their file
 * names, /etc's masking /usr/lib's; at most 64 such files (a bound nobody meets). */
static void read_manager_defaults(struct host *h, struct restart_rule *rule) {
        static const char *const dirs[] = { "/usr/lib/systemd/system.conf.d", "/etc/systemd/system.conf.d" };
        char *paths[64];
        size_t n = 0;
        read_defaults_file(h, "/etc/systemd/system.conf", rule);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                DIR *d = NULL;
                if (host_opendir(h, dirs[i], &d) < 0)
                        continue;
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
                read_defaults_file(h, paths[i], rule);
                free(paths[i]);
        }
}

static void rule_load(struct host *h, struct restart_rule *rule) {
        long long max = config_get_int(host_config(h), SECTION, "max-restarts", DEFAULT_MAX_PER_HOUR);
        *rule = (struct restart_rule) {
                .max_per_hour = max < 1 ? 1 : max > 100000 ? 100000 : (unsigned) max,
                .default_interval = 10 * USEC,  /* DefaultStartLimitIntervalSec= */
                .default_burst = 5,             /* DefaultStartLimitBurst= */
        };
        (void) unit_state_systemd_version(h, &rule->version);
        read_manager_defaults(h, rule);
}

/* ---- evidence ---- */

static int (*journal_hook)(struct host *, const struct incident_options *, struct incident_list *);

void restart_storm_set_journal_hook(int (*fn)(struct host *, const struct incident_options *, struct incident_list *)) {
        journal_hook = fn;
}

/* Restarts an hour from the journal: on the running host those of the last hour; on another
 * root each crash loop's count over its span (an hour at least). */
static int read_journal(struct host *h, struct storms *s, bool live, bool *ret_read) {
        uint64_t window = DEFAULT_WINDOW;
        const char *w = config_get(host_config(h), SECTION, "window");
        struct incident_list l = { 0 };
        struct journal_error err;
        if (w)
                (void) parse_duration(w, &window);
        uint64_t now = host_now_usec(h) / USEC * USEC, span = live ? HOUR : window * USEC;
        struct incident_options o = { .since_usec = now > span ? now - span : 1 };
        int r = journal_hook ? journal_hook(h, &o, &l) : incidents_load(h, &o, &l, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        *ret_read = true;
        r = 0;
        for (size_t i = 0; r == 0 && i < l.n; i++) {
                const struct incident *in = &l.items[i];
                if (!is_service(in->unit))
                        continue;
                struct storm *t = storm_get(s, in->unit);
                if (!t) {
                        r = -ENOMEM;
                        break;
                }
                if (in->killer != KILLER_NONE) {
                        if (in->outcome == OUTCOME_RESTARTED)
                                t->rate++;
                        else if (in->outcome == OUTCOME_STOPPED && !live)
                                t->killed = true;       /* on the running host the manager says */
                        continue;
                }
                uint64_t n = in->restarts > 0 ? (uint64_t) in->restarts : 0, d = in->last_usec - in->time_usec;
                uint64_t rate = live ? t->rate + n : n * HOUR / (d > HOUR ? d : HOUR);
                if (rate > t->rate)
                        t->rate = rate;
        }
        incident_list_release(&l);
        return r;
}

static bool has_dropin(const struct unit *u, const char *path) {
        for (size_t i = 0; u && i < u->n_dropins; i++)
                if (strcmp(u->dropins[i], path) == 0)
                        return true;
        return false;
}

/* The units with hostfit's drop-in: it is judged whatever the evidence. The drop-in
 * directories are those the unit model listed (its index of the search path), and each
 * unit is the one loaded for every check: no directory is listed again. */
static int find_ours(struct host *h, struct storms *s) {
        char **names = NULL;
        int r = units_list_dropin_dirs(h, UNIT_DIR, ".service", &names);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; r == 0 && names[i]; i++) {
                _cleanup_free_ char *path = NULL;
                const struct unit *u = NULL;
                if (!is_service(names[i]))
                        continue;
                if (!(path = strjoin(UNIT_DIR "/", names[i], ".d/" RESTART_DROPIN_NAME)) ||
                    (r = unit_load(h, names[i], &u)) == -ENOMEM)
                        r = -ENOMEM;
                else if ((r = 0, has_dropin(u, path))) {
                        struct storm *t = storm_get(s, names[i]);
                        if (!t)
                                r = -ENOMEM;
                        else
                                t->ours = true;
                }
        }
        strv_free(names);
        return r;
}

/* ---- judging one unit ---- */

struct judge {
        struct host *h;
        struct report *r;
        const struct restart_rule *rule;
        bool live;                      /* the manager answered */
        unsigned n_findings, n_ours;
        const struct storm *ended[16];  /* failed now after restarts: their start limit ended them */
        size_t n_ended;
};

/* Restart= in hostfit's drop-in, NULL: none. */
static const char *ours_restart(const struct unit *u) {
        const char *v = NULL;
        for (size_t i = 0; i < u->n_a; i++) {
                const char *f = u->a[i].file, *base = f ? strrchr(f, '/') : NULL;
                if (base && strcmp(base + 1, RESTART_DROPIN_NAME) == 0 && strncmp(f, UNIT_DIR "/", 20) == 0 &&
                    strcmp(u->a[i].section, "Service") == 0 && strcmp(u->a[i].key, "Restart") == 0)
                        v = u->a[i].value;
        }
        return v;
}

/* A unit another manager made: a drop-in of ours would not outlive it, or fight it. */
static int other_manager(const struct unit *u, const char *name, char **ret) {
        const char *f = u->fragment;
        if (f && strncmp(f, "/run/systemd/transient/", 23) == 0)
                return asprintf(ret, "%s is a transient unit (%s, made by systemd-run or another manager): set its "
                                "restart settings where it is created", name, f) < 0 ? -ENOMEM : 0;
        if (f && strncmp(f, "/run/systemd/generator", 22) == 0)
                return asprintf(ret, "%s is made by a generator (%s): set its restart settings in what the "
                                "generator reads", name, f) < 0 ? -ENOMEM : 0;
        return 0;
}

static bool dropin_matches(struct host *h, const char *path, const char *unit, const struct restart_dropin *d) {
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t old_len = 0, len = 0;
        int r = host_read_file(h, path, 65536, &old, &old_len);
        if (restart_dropin_empty(d))
                return r == -ENOENT;
        return r == 0 && restart_dropin_render(unit, d, &text, &len) == 0 && len == old_len && memcmp(text, old, len) == 0;
}

static void describe_limit(const struct restart_settings *s, char *buf, size_t size) {
        char b[32];
        if (s->limit_interval == 0 || s->limit_burst == 0)
                snprintf(buf, size, "start limit off");
        else
                snprintf(buf, size, "start limit %llu in %s%s", (unsigned long long) s->limit_burst,
                         restart_format_usec(s->limit_interval, b, sizeof(b)),
                         s->interval_at || s->burst_at ? "" : " (the manager's default)");
}

static int add_finding(struct judge *j, const struct storm *t, const struct unit *u, enum status st,
                       const char *why, struct restart_data *d) {
        int k = report_add(j->r, st, t->name, d, restart_data_free, "%s", why);
        if (k < 0)
                return k;
        struct finding *f = report_last(j->r);
        j->n_findings++;
        if (u->fragment)
                finding_add_detail(f, "defined in %s", u->fragment);
        for (size_t i = 0; i < u->n_dropins; i++)
                finding_add_detail(f, "drop-in %s", u->dropins[i]);
        if (t->live)
                finding_add_detail(f, "manager: %s/%s, Result=%s, NRestarts=%u", t->live->active_state,
                                   t->live->sub_state, t->live->result ? t->live->result : "-", t->live->n_restarts);
        if (t->rate)
                finding_add_detail(f, "journal: %llu restarts an hour", (unsigned long long) t->rate);
        if (d->manual)
                finding_add_detail(f, "manual: %s", d->manual);
        return 0;
}

static int judge_unit(struct judge *j, struct storm *t) {
        const struct unit_live *l = t->live;
        bool down = l && strcmp(l->active_state, "failed") == 0;
        bool up = l && !down && strcmp(l->active_state, "inactive") != 0;
        /* The journal's rate counts on the running host only while the manager sees it restart. */
        bool storming = t->rate > j->rule->max_per_hour && (!j->live || (up && l->n_restarts > 0));
        if (t->ours)
                j->n_ours++;
        if (down && l->n_restarts > 0 && !t->killed && j->n_ended < ELEMENTSOF(j->ended))
                j->ended[j->n_ended++] = t;
        if (!storming && !t->killed && !t->ours)
                return 0;
        const struct unit *u = NULL;
        int k = unit_load(j->h, t->name, &u);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || u->masked)
                return 0;
        struct restart_settings a, e;
        restart_settings_read(u, j->rule, false, &a);
        restart_settings_read(u, j->rule, true, &e);
        bool killed = t->killed && !restart_after_kill(e.restart);
        bool storm = storming && !restart_course_ok(&e, j->rule);
        const char *ours = ours_restart(u), *allowed = NULL, *policy = NULL;
        _cleanup_free_ char *manual = NULL, *why = NULL, *path = NULL;
        if ((k = restart_policy_after_kill(t->name, &a, &allowed, &manual)) < 0)
                return k;
        bool against = ours && strcmp(ours, a.restart) != 0 && !(allowed && strcmp(ours, allowed) == 0);
        if (killed)
                policy = allowed;
        else {
                free(manual);
                manual = NULL;
                if (ours && !against && strcmp(ours, a.restart) != 0)
                        policy = allowed;       /* what hostfit gave after a kill stays */
        }
        if (!killed && !storm && !t->ours)
                return 0;
        if (!manual && (k = other_manager(u, t->name, &manual)) < 0)
                return k;
        if (!manual && (killed || storm) && !j->live &&
            asprintf(&manual, "%s: the journal of %s shows what is said above; with no manager to confirm it, "
                     "hostfit changes nothing: run hostfit fix restart-storm on the running host",
                     t->name, host_root(j->h)) < 0)
                return -ENOMEM;
        struct restart_dropin d = { 0 };
        if (!manual && restart_desired(t->name, &a, policy, j->rule, &d, &manual) < 0)
                return -ENOMEM;
        if (asprintf(&path, UNIT_DIR "/%s.d/" RESTART_DROPIN_NAME, t->name) < 0)
                return -ENOMEM;
        if (!killed && !storm && !against && (manual || dropin_matches(j->h, path, t->name, &d)))
                return 0;       /* hostfit's drop-in is what the rule gives (or the admin's settings rule now) */

        char rb[32], lim[96];
        describe_limit(&e, lim, sizeof(lim));
        restart_format_usec(e.restart_usec, rb, sizeof(rb));
        const char *src = j->live ? "" : "the journal shows it ";
        if (storm)
                k = asprintf(&why, "%srestarted %llu times in the last hour%s and a start that fails every time is "
                             "retried without end (Restart=%s, RestartSec=%s, %s)", j->live ? "" : "the journal shows it ",
                             (unsigned long long) t->rate, j->live ? " while the manager still restarts it" : " an hour",
                             e.restart, rb, lim);
        else if (killed)
                k = asprintf(&why, "%skilled by the OOM killer and left down: Restart=%s does not restart after a kill",
                             src, e.restart);
        else if (against)
                k = asprintf(&why, "hostfit's drop-in (%s) turns Restart=%s into %s", path, a.restart, ours);
        else
                k = asprintf(&why, "hostfit's drop-in (%s) is not the one the restart rule gives now", path);
        struct restart_data *data = calloc(1, sizeof(*data));
        if (k < 0 || !data || !(data->unit = strdup(t->name))) {
                restart_data_free(data);
                return -ENOMEM;
        }
        data->dropin = TAKE_PTR(path);
        data->manual = TAKE_PTR(manual);
        data->d = d;
        return add_finding(j, t, u, storm || killed || against ? STATUS_FAIL : STATUS_WARN, why, data);
}

static int report_pass(struct judge *j, size_t n_live, bool have_journal) {
        int k;
        if (j->live)
                k = report_add(j->r, STATUS_PASS, "", NULL, NULL, "%zu services: none restarting more than %u times an "
                               "hour without end, none killed and left down%s", n_live, j->rule->max_per_hour,
                               have_journal ? "" : " (no journal to read restart rates from)");
        else
                k = report_add(j->r, STATUS_PASS, "", NULL, NULL, "no running systemd to ask; %s", have_journal ?
                               "the journal shows no crash loop without end and no kill that left a service down" :
                               "hostfit's drop-ins are what the restart rule gives");
        struct finding *f = k < 0 ? NULL : report_last(j->r);
        for (size_t i = 0; f && i < j->n_ended; i++)
                finding_add_detail(f, "%s failed at every start and stays failed after %u restarts, as its start "
                                   "limit says: journalctl -u %s says why", j->ended[i]->name,
                                   j->ended[i]->live->n_restarts, j->ended[i]->name);
        return k < 0 ? k : 0;
}

static int restart_storm_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        struct storms s = { 0 };
        struct unit_live *live = NULL;
        struct restart_rule rule;
        size_t n_live = 0;
        bool have_journal = false;
        unsigned n_findings = 0;
        rule_load(h, &rule);
        int k = unit_state_list_services(h, &live, &n_live);
        bool have_live = k == 0;
        if (k == -ENOMEM)
                return k;
        k = 0;
        for (size_t i = 0; k == 0 && i < n_live; i++) {
                if (!is_service(live[i].name))
                        continue;
                struct storm *t = storm_get(&s, live[i].name);
                if (!t)
                        k = -ENOMEM;
                else {
                        t->live = &live[i];
                        t->killed = strcmp(live[i].active_state, "failed") == 0 && live[i].result &&
                                    strcmp(live[i].result, "oom-kill") == 0;
                }
        }
        if (k == 0)
                k = read_journal(h, &s, have_live, &have_journal);
        if (k == 0)
                k = find_ours(h, &s);
        struct judge j = { .h = h, .r = r, .rule = &rule, .live = have_live };
        for (size_t i = 0; k == 0 && i < s.n; i++)
                k = judge_unit(&j, &s.v[i]);
        n_findings = j.n_findings;
        if (k == 0 && n_findings == 0) {
                if (!have_live && !have_journal && j.n_ours == 0)
                        k = report_add(r, STATUS_SKIP, "", NULL, NULL, "no running systemd to ask and no journal to read");
                else
                        k = report_pass(&j, n_live, have_journal);
        }
        unit_live_free(live, n_live);
        storms_free(&s);
        return k;
}

const struct check check_restart_storm = {
        .id = "restart-storm",
        .title = "Services do not restart without end and can recover from a crash",
        .problem = "A service restarts without end or cannot recover from a crash",
        .why = "A service restarting every few seconds burns CPU and floods the journal while systemd still "
               "calls the host running; one the OOM killer killed and its policy left down stays down for good.",
        .severity = SEVERITY_HIGH,
        .run = restart_storm_run,
        .fix = &fix_restart,
};
