/* SPDX-License-Identifier: MIT */
/* restart-storm's rule: restart settings as systemd reads them, whether a unit failing at
 * every start ends under them, and the drop-in that makes it end (checks/restart-policy.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restart-policy.h"
#include "text/cleanup.h"
#include "text/strbuf.h"
#include "systemd/units.h"

#define USEC 1000000ULL
#define HOUR (3600 * USEC)
#define BURST 5                         /* starts a failing unit gets before it stays failed */
#define MIN_RESTART_USEC (10 * USEC)    /* RestartSec= with the start limit, before 254 */
#define STEPS 5
#define MAX_DELAY (15 * 60 * USEC)      /* RestartMaxDelaySec=, from 254: 4 restarts an hour at most */

static uint64_t sat_mul(uint64_t a, uint64_t b) {
        uint64_t m;
        return __builtin_mul_overflow(a, b, &m) ? UINT64_MAX : m;
}

static bool is_ours(const struct unit_assignment *a) {
        const char *base = a->file ? strrchr(a->file, '/') : NULL;
        return base && strcmp(base + 1, RESTART_DROPIN_NAME) == 0 && strncmp(a->file, "/etc/systemd/system/", 20) == 0;
}

static bool key_is(const struct unit_assignment *a, const char *section, const char *key) {
        return strcmp(a->section, section) == 0 && strcmp(a->key, key) == 0;
}

/* systemd's safe_atou(): digits only (leading blanks allowed), no sign, within 32 bits. */
static int parse_unsigned(const char *s, unsigned *ret) {
        char *end;
        s += strspn(s, " \t");
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static void read_one(struct restart_settings *s, const struct unit_assignment *a) {
        static const char *const policies[] = {
                "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always", NULL,
        };
        uint64_t t;
        unsigned n;
        if (key_is(a, "Service", "Restart")) {
                for (size_t k = 0; policies[k]; k++)
                        if (strcmp(a->value, policies[k]) == 0)
                                s->restart = policies[k], s->restart_at = a;
        } else if (key_is(a, "Service", "RestartSec")) {
                if (unit_parse_sec(a->value, &t) == 0)
                        s->restart_usec = t;
        } else if (key_is(a, "Unit", "StartLimitIntervalSec") || key_is(a, "Unit", "StartLimitInterval") ||
                   key_is(a, "Service", "StartLimitInterval")) {
                if (unit_parse_sec(a->value, &t) == 0)
                        s->limit_interval = t, s->interval_at = a;
        } else if (key_is(a, "Unit", "StartLimitBurst") || key_is(a, "Service", "StartLimitBurst")) {
                if (parse_unsigned(a->value, &n) == 0)
                        s->limit_burst = n, s->burst_at = a;
        } else if (key_is(a, "Service", "RestartSteps")) {
                if (parse_unsigned(a->value, &n) == 0)
                        s->steps = n, s->steps_at = a;
        } else if (key_is(a, "Service", "RestartMaxDelaySec")) {
                if (unit_parse_sec(a->value, &t) == 0)
                        s->max_delay = t, s->max_delay_at = a;
        } else if (key_is(a, "Unit", "OnFailure"))
                s->on_failure = a->value[0] ? a->value : NULL;  /* "" resets the list */
        else if (key_is(a, "Service", "Type"))
                s->oneshot = strcmp(a->value, "oneshot") == 0;
}

void restart_settings_read(const struct unit *u, const struct restart_rule *rule, bool ours,
                           struct restart_settings *ret) {
        *ret = (struct restart_settings) {
                .restart = "no",
                .restart_usec = 100 * 1000,     /* systemd's RestartSec= default */
                .limit_interval = rule->default_interval,
                .limit_burst = rule->default_burst,
                .max_delay = UNIT_USEC_INFINITY,
        };
        for (size_t i = 0; i < u->n_a; i++)
                if (ours || !is_ours(&u->a[i]))
                        read_one(ret, &u->a[i]);
}

bool restart_after_kill(const char *policy) {
        /* service_shall_restart(): on-abnormal restarts on any result but success and
         * exit-code; on-abort only on a signal or core dump, on-watchdog only on a watchdog. */
        return strcmp(policy, "always") == 0 || strcmp(policy, "on-failure") == 0 || strcmp(policy, "on-abnormal") == 0;
}

static bool backs_off(const struct restart_settings *s, const struct restart_rule *rule) {
        uint64_t needed = HOUR / rule->max_per_hour;
        return rule->version >= RESTART_STEPS_SINCE && s->steps > 0 && s->restart_usec > 0 &&
               s->max_delay != UNIT_USEC_INFINITY && s->max_delay > s->restart_usec && s->max_delay >= needed;
}

bool restart_course_ok(const struct restart_settings *s, const struct restart_rule *rule) {
        if (strcmp(s->restart, "no") == 0 || s->restart_usec == UNIT_USEC_INFINITY)
                return true;    /* never restarted, or the restart waits for ever */
        if (s->restart_usec >= HOUR / rule->max_per_hour || backs_off(s, rule))
                return true;    /* within the rate however often it fails */
        if (s->limit_interval == 0 || s->limit_burst == 0)
                return false;   /* the start limit is off */
        /* BURST starts RestartSec= apart must fit in the interval, or the limit never fills ... */
        if (sat_mul(s->limit_burst, s->restart_usec) >= s->limit_interval)
                return false;
        /* ... and BURST starts an interval must stay within the rate, however long each start takes. */
        return s->limit_interval == UNIT_USEC_INFINITY ||
               sat_mul(s->limit_burst, HOUR) <= sat_mul(rule->max_per_hour, s->limit_interval);
}

bool restart_dropin_empty(const struct restart_dropin *d) {
        return !d->restart && !d->restart_usec && !d->limit_interval && !d->limit_burst && !d->steps && !d->max_delay;
}

const char *restart_format_usec(uint64_t usec, char *buf, size_t size) {
        if (usec == UNIT_USEC_INFINITY)
                snprintf(buf, size, "infinity");
        else if (usec % (60 * USEC) == 0 && usec)
                snprintf(buf, size, "%llumin", (unsigned long long) (usec / (60 * USEC)));
        else if (usec % USEC == 0)
                snprintf(buf, size, "%llus", (unsigned long long) (usec / USEC));
        else if (usec % 1000 == 0)
                snprintf(buf, size, "%llums", (unsigned long long) (usec / 1000));
        else
                snprintf(buf, size, "%lluus", (unsigned long long) usec);
        return buf;
}

static const char *file_of(const struct unit_assignment *a) {
        return a && a->file ? a->file : "its unit file";
}

int restart_policy_after_kill(const char *unit, const struct restart_settings *a, const char **ret_policy,
                              char **ret_manual) {
        int r = 0;
        *ret_policy = NULL;
        *ret_manual = NULL;
        if (restart_after_kill(a->restart))
                return 0;
        if (a->oneshot)
                r = asprintf(ret_manual, "%s is Type=oneshot: decide whether a killed run should run again "
                             "(Restart=on-failure in %s)", unit, file_of(a->restart_at));
        else if (strcmp(a->restart, "no") == 0 && a->on_failure)
                r = asprintf(ret_manual, "%s has Restart=no and OnFailure=%s (%s): its failure starts that unit "
                             "instead of a restart, as written; change it there if a kill should restart it",
                             unit, a->on_failure, file_of(a->restart_at));
        else if (strcmp(a->restart, "no") == 0)
                *ret_policy = "on-failure";
        else if (strcmp(a->restart, "on-success") == 0)
                *ret_policy = "always";
        else
                r = asprintf(ret_manual, "%s has Restart=%s (%s), which does not restart after a kill; "
                             "change it there if a kill should restart it", unit, a->restart, file_of(a->restart_at));
        return r < 0 ? -ENOMEM : 0;
}

static void overlay(struct restart_settings *s, const struct restart_dropin *d) {
        if (d->restart)
                s->restart = d->restart;
        if (d->restart_usec)
                s->restart_usec = d->restart_usec;
        if (d->limit_interval)
                s->limit_interval = d->limit_interval;
        if (d->limit_burst)
                s->limit_burst = d->limit_burst;
        if (d->steps)
                s->steps = d->steps;
        if (d->max_delay)
                s->max_delay = d->max_delay;
}

/* From 254: RestartSteps= up to a delay the rate allows, where the admin set neither. */
static bool try_steps(const struct restart_settings *a, const struct restart_rule *rule, struct restart_dropin *d) {
        struct restart_settings s = *a;
        uint64_t needed = (HOUR / rule->max_per_hour + 60 * USEC - 1) / (60 * USEC) * (60 * USEC);
        if (rule->version < RESTART_STEPS_SINCE || a->steps_at || a->max_delay_at)
                return false;
        d->steps = STEPS;
        d->max_delay = needed > MAX_DELAY ? needed : MAX_DELAY;
        if (a->restart_usec == 0)
                d->restart_usec = 100 * 1000;
        overlay(&s, d);
        if (restart_course_ok(&s, rule))
                return true;
        d->steps = 0, d->max_delay = 0, d->restart_usec = 0;
        return false;
}

/* Before 254 (or where steps do not help): a start limit a failing unit fills, where the admin set none. */
static bool try_limit(const struct restart_settings *a, const struct restart_rule *rule, struct restart_dropin *d) {
        struct restart_settings s = *a;
        if (a->interval_at || a->burst_at)
                return false;
        uint64_t burst = rule->max_per_hour < BURST ? rule->max_per_hour : BURST;
        uint64_t sec = a->restart_usec < MIN_RESTART_USEC ? MIN_RESTART_USEC : a->restart_usec;
        if (sec == UNIT_USEC_INFINITY)
                return false;
        uint64_t interval = sat_mul(2 * burst, sec);
        if (interval >= UNIT_USEC_INFINITY - USEC)
                return false;
        interval = interval < HOUR ? HOUR : (interval / USEC + 1) * USEC;
        d->limit_burst = burst;
        d->limit_interval = interval;
        if (sec != a->restart_usec)
                d->restart_usec = sec;
        overlay(&s, d);
        if (restart_course_ok(&s, rule))
                return true;
        d->limit_burst = 0, d->limit_interval = 0, d->restart_usec = 0;
        return false;
}

int restart_desired(const char *unit, const struct restart_settings *a, const char *policy,
                    const struct restart_rule *rule, struct restart_dropin *ret, char **ret_manual) {
        struct restart_settings s = *a;
        struct restart_dropin d = { .restart = policy };
        char ib[32], rb[32];
        int r;
        *ret_manual = NULL;
        overlay(&s, &d);
        if (restart_course_ok(&s, rule) || try_steps(&s, rule, &d) || try_limit(&s, rule, &d)) {
                *ret = d;
                return 0;
        }
        if (s.limit_interval == 0 && a->interval_at)
                r = asprintf(ret_manual, "%s: StartLimitIntervalSec=0 (%s) turns its start limit off, so a "
                             "failing start is retried for ever; set a start limit there", unit, file_of(a->interval_at));
        else if (s.limit_burst == 0 && a->burst_at)
                r = asprintf(ret_manual, "%s: StartLimitBurst=0 (%s) turns its start limit off, so a failing "
                             "start is retried for ever; set a start limit there", unit, file_of(a->burst_at));
        else
                r = asprintf(ret_manual, "%s: its own start limit (StartLimitBurst=%llu in StartLimitIntervalSec=%s, %s) "
                             "with RestartSec=%s lets a failing start be retried more than %u times an hour; "
                             "change the limit there", unit, (unsigned long long) s.limit_burst,
                             restart_format_usec(s.limit_interval, ib, sizeof(ib)),
                             file_of(a->interval_at ? a->interval_at : a->burst_at),
                             restart_format_usec(s.restart_usec, rb, sizeof(rb)), rule->max_per_hour);
        return r < 0 ? -ENOMEM : 1;
}

int restart_dropin_render(const char *unit, const struct restart_dropin *d, char **ret, size_t *ret_len) {
        _cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
        char b[32];
        strbuf_addf(&sb, "# Written by hostfit (restart-storm) for %s: a start that fails every time is\n"
                    "# retried a bounded number of times, backing off, and then left failed.\n", unit);
        if (d->limit_interval || d->limit_burst)
                strbuf_adds(&sb, "\n[Unit]\n");
        if (d->limit_interval)
                strbuf_addf(&sb, "StartLimitIntervalSec=%s\n", restart_format_usec(d->limit_interval, b, sizeof(b)));
        if (d->limit_burst)
                strbuf_addf(&sb, "StartLimitBurst=%llu\n", (unsigned long long) d->limit_burst);
        if (d->restart || d->restart_usec || d->steps || d->max_delay)
                strbuf_adds(&sb, "\n[Service]\n");
        if (d->restart)
                strbuf_addf(&sb, "Restart=%s\n", d->restart);
        if (d->restart_usec)
                strbuf_addf(&sb, "RestartSec=%s\n", restart_format_usec(d->restart_usec, b, sizeof(b)));
        if (d->steps)
                strbuf_addf(&sb, "RestartSteps=%u\n", d->steps);
        if (d->max_delay)
                strbuf_addf(&sb, "RestartMaxDelaySec=%s\n", restart_format_usec(d->max_delay, b, sizeof(b)));
        if (!strbuf_str(&sb)[0])
                return -ENOMEM;
        *ret = strbuf_detach(&sb, ret_len);
        return *ret ? 0 : -ENOMEM;
}

void restart_data_free(void *p) {
        struct restart_data *d = p;
        if (d) {
                free(d->unit);
                free(d->dropin);
                free(d->manual);
        }
        free(d);
}
