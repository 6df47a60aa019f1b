/* SPDX-License-Identifier: MIT */
/* Crash loops: a unit's restarts that no kill explains, open while it keeps
 * restarting, closed by a quiet hour, a reboot or the end of the walk, and an
 * incident when it restarted often enough or hit the start limit. Also
 * systemd's unit messages after a kill (a restart scheduled, the unit's
 * result, a process's exit), which end either a kill's outcome or a loop.
 * The builder's state: incidents-build.h; the kills: incidents-build.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "journal/incidents-build.h"

static struct loop *find_loop(struct incident_builder *b, const char *unit) {
        size_t v = keymap_get(&b->loop_of, unit, strlen(unit));
        return v ? &b->loops[v - 1] : NULL;
}

/* Close L: a crash loop incident when it restarted often enough or hit the start limit. */
static int close_loop(struct incident_builder *b, struct loop *l) {
        int r;
        if (l->count >= LOOP_MIN_RESTARTS || (l->start_limit && l->count > 0)) {
                if ((r = grow((void **) &b->done, &b->alloc_done, b->n_done, sizeof *b->done)) < 0)
                        return r;
                b->done[b->n_done++] = (struct incident) {
                        .time_usec = l->first,
                        .last_usec = l->last,
                        .killer = KILLER_NONE,
                        .uid = -1,
                        .unit = TAKE_PTR(l->unit),
                        .restarts = l->n_restarts > 0 ? l->n_restarts : l->count,
                        .outcome = l->start_limit ? OUTCOME_START_LIMIT :
                                   l->stopped ? OUTCOME_STOPPED : OUTCOME_RESTARTED,
                };
        }
        const char *unit = l->unit ? l->unit : b->done[b->n_done - 1].unit;
        if ((r = keymap_set(&b->loop_of, unit, strlen(unit), 0)) < 0)
                return r;
        free(l->unit);
        struct loop *last = &b->loops[--b->n_loops];
        if (l != last) {
                *l = *last;
                if ((r = keymap_set(&b->loop_of, l->unit, strlen(l->unit), (size_t) (l - b->loops) + 1)) < 0)
                        return r;
        }
        return 0;
}

/* Whether L is of a boot before the newest (both known): a reboot ended it. */
static bool loop_of_old_boot(const struct incident_builder *b, const struct loop *l) {
        return *l->at.boot && *b->boot && strcmp(l->at.boot, b->boot) != 0;
}

/* Close L, which a reboot ended: stopped, unless at its start limit. */
static int close_rebooted(struct incident_builder *b, struct loop *l) {
        if (!l->start_limit)
                l->stopped = true;
        return close_loop(b, l);
}

/* A boot not seen before is the newest. The loops of the boots before stay open until their
 * unit restarts in another boot, a quiet hour on the wall clock, or the end of the walk, and
 * end then as a reboot ends them: entries of two boots may come interleaved (the journal
 * orders two boots by the wall clock, and a boot's clock may start behind the last one's),
 * so an entry of another boot ends no loop. None merges across boots. */
int loops_new_boot(struct incident_builder *b, const char *boot) {
        size_t len = strnlen(boot, sizeof b->boot - 1);
        if (!len || strcmp(boot, b->boot) == 0 || keymap_get(&b->boots, boot, len))
                return 0;
        int r = keymap_set(&b->boots, boot, len, 1);
        if (r < 0)
                return r;
        memcpy(b->boot, boot, len);
        b->boot[len] = '\0';
        b->swept = (struct when) {};
        return 0;
}

/* Whether L saw no restart for an hour before EV. */
static bool loop_quiet(const struct loop *l, const struct event *ev) {
        return elapsed(&l->at, ev) > LOOP_GAP_USEC;
}

/* Close the loops of EV's boot that a quiet hour before it ended and whose
 * incident, if any, is final: no later event changes them (a restart opens a
 * new loop, a result looks at the kill), and a reboot changes only a loop still
 * "restarted", kept open for it. So open loops follow the units restarting in
 * the last hour and the incidents, not the events read. The hour is the boot's
 * monotonic clock's, as loop_quiet() measures it for the unit's next restart:
 * an entry stamped hours ahead on the wall clock ends no loop. A loop of a boot
 * before the newest closes (stopped by the reboot) after a quiet hour of the wall
 * clock; one of no known boot waits for its unit's next event or the end of the walk. */
int loops_sweep(struct incident_builder *b, const struct event *ev) {
        int r;
        if (!*ev->boot || (*b->swept.boot && elapsed(&b->swept, ev) < LOOP_GAP_USEC / 4))
                return 0;
        b->swept = when_of(ev);
        for (size_t i = b->n_loops; i-- > 0; ) {
                struct loop *l = &b->loops[i];
                bool incident = l->count >= LOOP_MIN_RESTARTS || (l->start_limit && l->count > 0);
                if (strcmp(l->at.boot, ev->boot) != 0) {
                        if (loop_of_old_boot(b, l) && loop_quiet(l, ev) && (r = close_rebooted(b, l)) < 0)
                                return r;
                        continue;
                }
                if (!loop_quiet(l, ev) || (incident && !l->start_limit && !l->stopped))
                        continue;
                if ((r = close_loop(b, l)) < 0)
                        return r;
        }
        return 0;
}

int loops_add_restart(struct incident_builder *b, const struct event *ev) {
        struct item *it = builder_kill_of_unit(b, ev, OUTCOME_USEC);
        if (it && unit_eq(it->inc.unit, ev->unit) &&
            it->inc.outcome != OUTCOME_RESTARTED && it->inc.outcome != OUTCOME_START_LIMIT) {
                it->inc.outcome = OUTCOME_RESTARTED;
                it->inc.restarts = ev->n_restarts;
                it->restart_pending = true;
                return 0;
        }
        struct loop *l = find_loop(b, ev->unit);
        int r;
        if (l && !same_boot(l->at.boot, ev->boot)) {
                if ((r = close_rebooted(b, l)) < 0)
                        return r;
                l = NULL;
        } else if (l && loop_quiet(l, ev)) {
                if ((r = close_loop(b, l)) < 0)
                        return r;
                l = NULL;
        }
        if (!l) {
                if ((r = grow((void **) &b->loops, &b->alloc_loops, b->n_loops, sizeof *b->loops)) < 0)
                        return r;
                l = &b->loops[b->n_loops];
                *l = (struct loop) { .unit = strdup(ev->unit), .first = ev->time_usec, .last = ev->time_usec,
                                     .at = when_of(ev), .n_restarts = -1 };
                if (!l->unit)
                        return -ENOMEM;
                b->n_loops++;
                if ((r = keymap_set(&b->loop_of, l->unit, strlen(l->unit), b->n_loops)) < 0)
                        return r;
        }
        if (ev->time_usec > l->last)    /* a clock stepped back never ends a loop before it began */
                l->last = ev->time_usec;
        if (elapsed(&l->at, ev) > 0 || !*l->at.boot)
                l->at = when_of(ev);
        if (ev->n_restarts > l->n_restarts)
                l->n_restarts = ev->n_restarts;
        l->count++;
        l->stopped = false;
        l->restart_pending = true;
        return 0;
}

/* A failure result right after a scheduled restart, with no process run in
 * between, is the restart refused: systemd 252 logs "Start request repeated
 * too quickly" (no catalogue id) and keeps the first failure's UNIT_RESULT;
 * UNIT_RESULT=start-limit-hit comes only when the limit is the first failure.
 * A clean end ("success": the admin, a reboot) is stopped, never the limit. */
void loops_add_result(struct incident_builder *b, const struct event *ev) {
        bool limit = strcmp(ev->result, "start-limit-hit") == 0;
        bool clean = strcmp(ev->result, "success") == 0;
        struct loop *l = find_loop(b, ev->unit);
        if (l && !loop_quiet(l, ev) && same_boot(l->at.boot, ev->boot)) {
                if (clean)
                        l->stopped = true;
                else if (limit || l->restart_pending)
                        l->start_limit = true;
                l->restart_pending = false;
                return;
        }
        struct item *it = builder_kill_of_unit(b, ev, OUTCOME_USEC);
        if (!it || !unit_eq(it->inc.unit, ev->unit))
                return;         /* another unit's end is no kill's outcome */
        if (!clean && (limit || it->restart_pending))
                it->inc.outcome = OUTCOME_START_LIMIT;
        else if (it->inc.outcome != OUTCOME_RESTARTED && it->inc.outcome != OUTCOME_START_LIMIT)
                it->failed = true;
        it->restart_pending = false;
}

void loops_add_exit(struct incident_builder *b, const struct event *ev) {
        struct loop *l = find_loop(b, ev->unit);
        if (l)
                l->restart_pending = false;
        struct item *it = builder_kill_of_unit(b, ev, OUTCOME_USEC);
        if (it && unit_eq(it->inc.unit, ev->unit))
                it->restart_pending = false;
}

int loops_close_all(struct incident_builder *b) {
        int r;
        while (b->n_loops > 0) {
                struct loop *l = &b->loops[b->n_loops - 1];
                if ((r = loop_of_old_boot(b, l) ? close_rebooted(b, l) : close_loop(b, l)) < 0)
                        return r;
        }
        return 0;
}
