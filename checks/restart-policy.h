/* SPDX-License-Identifier: MIT */
/* restart-storm's one rule, shared by the check and its fix: a unit's restart settings as
 * systemd reads them (with or without hostfit's drop-in), whether a unit that fails at every
 * start ends or backs off under them, and the drop-in that makes it so while keeping the
 * admin's policy and start limit. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct unit;
struct unit_assignment;

#define RESTART_DROPIN_NAME "50-hostfit-restart.conf"
#define RESTART_STEPS_SINCE 254         /* RestartSteps=, RestartMaxDelaySec= */

/* What the rule depends on besides the unit: the same numbers for check and fix. */
struct restart_rule {
        unsigned version;               /* systemd's; 0 unknown (then as before 254) */
        unsigned max_per_hour;          /* [restart-storm] max-restarts, at least 1 */
        uint64_t default_interval;      /* DefaultStartLimitIntervalSec=, usec */
        unsigned default_burst;         /* DefaultStartLimitBurst= */
};

/* A unit's settings in effect, each invalid value ignored as systemd ignores it. */
struct restart_settings {
        const char *restart;            /* static: "no" (the default), "on-success", … */
        uint64_t restart_usec;          /* RestartSec=; UINT64_MAX: infinity */
        uint64_t limit_interval;        /* usec; 0: the start limit is off; UINT64_MAX: infinity */
        uint64_t limit_burst;           /* 0: off */
        unsigned steps;                 /* RestartSteps=, 0: none */
        uint64_t max_delay;             /* RestartMaxDelaySec=, UINT64_MAX: none */
        bool oneshot;
        const char *on_failure;         /* OnFailure= in effect, NULL: none (borrowed from the unit) */
        /* Where the unit itself set them; NULL: the default (borrowed from the unit). */
        const struct unit_assignment *restart_at, *interval_at, *burst_at, *steps_at, *max_delay_at;
};

/* Settings of U; with OURS false, hostfit's drop-in is left out (what the admin wrote). */
void restart_settings_read(const struct unit *u, const struct restart_rule *rule, bool ours,
                           struct restart_settings *ret);

/* True when a unit that fails at every start under S ends (on systemd < 254: its start limit
 * stops it after at most max_per_hour starts an hour) or backs off to at most max_per_hour
 * restarts an hour (RestartSteps=, from 254); also when it never restarts. */
bool restart_course_ok(const struct restart_settings *s, const struct restart_rule *rule);

/* True when POLICY restarts a unit the OOM killer killed (result oom-kill). */
bool restart_after_kill(const char *policy);

/* What hostfit's drop-in holds; 0/NULL fields are not written. */
struct restart_dropin {
        const char *restart;            /* static */
        uint64_t restart_usec;
        uint64_t limit_interval;
        uint64_t limit_burst;
        unsigned steps;
        uint64_t max_delay;
};
bool restart_dropin_empty(const struct restart_dropin *d);

/* The Restart= hostfit may give a unit whose admin settings are A after an OOM kill left it
 * down: "on-failure" for no (without OnFailure=), "always" for on-success; NULL with a
 * manual step in *ret_manual (allocated) where only a change of intent would help. */
int restart_policy_after_kill(const char *unit, const struct restart_settings *a, const char **ret_policy,
                              char **ret_manual);

/* The drop-in for a unit whose admin settings are A, with Restart=POLICY (NULL: the admin's):
 * nothing more where A already ends; else the backoff that makes it end, never overriding
 * the admin's StartLimit*=, RestartSteps= or RestartMaxDelaySec=. Where none does, 1 and a
 * manual step in *ret_manual (allocated) naming the setting; 0 and *ret otherwise. */
int restart_desired(const char *unit, const struct restart_settings *a, const char *policy,
                    const struct restart_rule *rule, struct restart_dropin *ret, char **ret_manual);

/* The text of hostfit's drop-in for UNIT. */
int restart_dropin_render(const char *unit, const struct restart_dropin *d, char **ret, size_t *ret_len);

/* A time span as systemd prints it back ("10s", "100ms", "15min"); BUF at least 32 bytes. */
const char *restart_format_usec(uint64_t usec, char *buf, size_t size);

/* restart-storm's facts for its fix. */
struct restart_data {
        char *unit;
        char *dropin;           /* /etc/systemd/system/UNIT.d/50-hostfit-restart.conf */
        char *manual;           /* not NULL: no change, this step for the admin */
        struct restart_dropin d;/* what the drop-in holds; empty: remove hostfit's drop-in */
};
void restart_data_free(void *p);

/* Tests only: answer the check's journal read from a fixture (NULL: the journal). */
struct host;
struct incident_options;
struct incident_list;
void restart_storm_set_journal_hook(int (*fn)(struct host *, const struct incident_options *, struct incident_list *));
