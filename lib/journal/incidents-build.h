/* SPDX-License-Identifier: MIT */
/* The incident builder's state, private to lib/journal: what incidents-build.c
 * (the kills, the builder's life, its finish) and incidents-loops.c (crash
 * loops, and systemd's unit messages that end a kill's outcome or a loop)
 * share: the windows of time, the open kills and loops, and how the times of
 * two events compare. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal/incidents.h"
#include "journal/keymap.h"

#define USEC_PER_SEC 1000000ULL
#define SAME_KILL_USEC (5 * USEC_PER_SEC)          /* the kernel's lines of one kill */
#define DAEMON_RESEND_USEC (60 * USEC_PER_SEC)     /* earlyoom's SIGKILL after its SIGTERM */
#define UNIT_FOLLOWS_USEC (60 * USEC_PER_SEC)      /* systemd's messages after a kill */
#define OUTCOME_USEC (3600 * USEC_PER_SEC)         /* restarts and the start limit after a kill */
#define LOOP_GAP_USEC (3600 * USEC_PER_SEC)        /* a quiet hour ends a crash loop */
#define LOOP_MIN_RESTARTS 3

/* When an event happened: its realtime (printed), and its boot's monotonic clock (measured). */
struct when {
        uint64_t real, mono;
        char boot[33];          /* "" unknown */
};

struct item {
        struct incident inc;
        struct when at;         /* the kill's first line */
        bool failed;            /* the unit ended: UNIT_RESULT, or deactivated successfully */
        bool restart_pending;   /* a restart was scheduled and no process of it ended yet */
        bool swap_known;
        uint64_t swap_total;
};

struct loop {
        char *unit;
        uint64_t first, last;   /* realtime of the first restart, the latest realtime of one */
        struct when at;         /* the last restart */
        long long count, n_restarts;
        bool start_limit;
        bool stopped;           /* ended cleanly (the admin, a reboot) */
        bool restart_pending;
};

struct incident_builder {
        struct item *items;
        size_t n, alloc;
        struct loop *loops;     /* open crash loops */
        size_t n_loops, alloc_loops;
        struct incident *done;  /* closed crash loops */
        size_t n_done, alloc_done;
        struct keymap kills;    /* "k<pid>", "d<killer><how>", "u<unit>" -> item index + 1 */
        struct keymap loop_of;  /* unit -> loop index + 1 */
        struct keymap boots;    /* the boots seen -> 1 */
        char boot[33];          /* the newest boot: the one seen first last */
        uint64_t memcg_limit, swap_total;
        struct when memcg_at, swap_at;
        bool memcg_seen, swap_seen;
        size_t held_max;        /* the most items, loops and closed loops at once */
        struct when swept;      /* the last look for loops a quiet hour ended */
};

static inline int grow(void **array, size_t *alloc, size_t n, size_t size) {
        if (n < *alloc)
                return 0;
        size_t a = *alloc ? *alloc * 2 : 16;
        void *p = reallocarray(*array, a, size);
        if (!p)
                return -ENOMEM;
        *array = p;
        *alloc = a;
        return 0;
}

static inline bool unit_eq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

/* Two events of one boot: an unknown boot matches any. */
static inline bool same_boot(const char *a, const char *b) {
        return !*a || !*b || strcmp(a, b) == 0;
}

static inline struct when when_of(const struct event *ev) {
        struct when w = { .real = ev->time_usec, .mono = ev->mono_usec };
        memcpy(w.boot, ev->boot, sizeof w.boot);
        w.boot[sizeof w.boot - 1] = '\0';
        return w;
}

/* How long after A the event EV came, 0 when it came first: on the monotonic
 * clock within one boot, since the wall clock may have stepped between the two
 * (or one entry be stamped wrong); on the realtime clock only when a boot is
 * unknown or they are of two boots (where the callers ask for one boot, or a
 * reboot ended what they measure). */
static inline uint64_t elapsed(const struct when *a, const struct event *ev) {
        bool mono = *a->boot && *ev->boot && strcmp(a->boot, ev->boot) == 0;
        uint64_t from = mono ? a->mono : a->real, to = mono ? ev->mono_usec : ev->time_usec;
        return to > from ? to - from : 0;
}

/* incidents-build.c: the newest kill of EV's unit (itself or in its subtree),
 * no older than WINDOW before EV, in EV's boot; NULL when none. */
struct item *builder_kill_of_unit(struct incident_builder *b, const struct event *ev, uint64_t window);

/* incidents-loops.c: each event's boot first, then the loops a quiet hour ended. */
int loops_new_boot(struct incident_builder *b, const char *boot);
int loops_sweep(struct incident_builder *b, const struct event *ev);
int loops_add_restart(struct incident_builder *b, const struct event *ev);
void loops_add_result(struct incident_builder *b, const struct event *ev);
void loops_add_exit(struct incident_builder *b, const struct event *ev);
/* At the end of the walk: every loop still open closes, as a reboot ends one of an older boot. */
int loops_close_all(struct incident_builder *b);
