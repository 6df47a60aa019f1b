/* SPDX-License-Identifier: MIT */
/* From events to incidents: one a kill (the kernel's lines, a daemon's line,
 * systemd's unit messages after it) and one a crash loop (a unit's restarts
 * that no kill explains). Events arrive oldest first. A kill is tied to a unit
 * by its pid or its cgroup, never by what happened near it in time; every
 * lookup goes through a keymap, so N events cost O(N). Durations between
 * events of one boot are measured on its monotonic clock: the realtime is only
 * printed (entries come in the journal's order, and the wall clock steps).
 * Here: the builder's life, the kills and the finish; crash loops and the unit
 * messages after a kill in incidents-loops.c, their shared state in
 * incidents-build.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "journal/incidents-build.h"
#include "systemd/unitname.h"

int incident_builder_new(struct incident_builder **ret) {
        struct incident_builder *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        *ret = b;
        return 0;
}

static void incident_release(struct incident *i) {
        free(i->comm);
        free(i->cgroup);
        free(i->unit);
        free(i->limit);
}

struct incident_builder *incident_builder_free(struct incident_builder *b) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n; i++)
                incident_release(&b->items[i].inc);
        for (size_t i = 0; i < b->n_loops; i++)
                free(b->loops[i].unit);
        for (size_t i = 0; i < b->n_done; i++)
                incident_release(&b->done[i]);
        free(b->items);
        free(b->loops);
        free(b->done);
        keymap_release(&b->kills);
        keymap_release(&b->loop_of);
        keymap_release(&b->boots);
        free(b);
        return NULL;
}

void incident_list_release(struct incident_list *l) {
        for (size_t i = 0; i < l->n; i++)
                incident_release(&l->items[i]);
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

struct incident *incident_dup(const struct incident *i) {
        _cleanup_free_ struct incident *d = malloc(sizeof *d);
        if (!d)
                return NULL;
        *d = *i;
        d->comm = d->cgroup = d->unit = d->limit = NULL;
        if ((i->comm && !(d->comm = strdup(i->comm))) || (i->cgroup && !(d->cgroup = strdup(i->cgroup))) ||
            (i->unit && !(d->unit = strdup(i->unit))) || (i->limit && !(d->limit = strdup(i->limit)))) {
                incident_release(d);
                return NULL;
        }
        return TAKE_PTR(d);
}

void incident_free(void *p) {
        if (!p)
                return;
        incident_release(p);
        free(p);
}

/* Set *DST to a copy of S when *DST is unset and S is not empty. */
static int fill(char **dst, const char *s) {
        if (*dst || !s || !*s)
                return 0;
        *dst = strdup(s);
        return *dst ? 0 : -ENOMEM;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = s ? strlen(s) : 0, k = strlen(suffix);
        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- the kill index ---- */

/* KEY: a tag byte, then the text (a pid, a cgroup, a comm, a unit). */
static int kill_key(char tag, enum killer k, const char *text, char *buf, size_t size) {
        int n = snprintf(buf, size, "%c%d/%s", tag, (int) k, text);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : n;
}

#define KEY_MAX (INCIDENT_TEXT_MAX + 32)

static struct item *kill_get(struct incident_builder *b, char tag, enum killer k, const char *text) {
        char key[KEY_MAX];
        int n = kill_key(tag, k, text, key, sizeof key);
        size_t v = n < 0 ? 0 : keymap_get(&b->kills, key, (size_t) n);
        return v ? &b->items[v - 1] : NULL;
}

static int kill_set(struct incident_builder *b, char tag, enum killer k, const char *text, const struct item *it) {
        char key[KEY_MAX];
        int n = kill_key(tag, k, text, key, sizeof key);
        if (n < 0)
                return 0;
        return keymap_set(&b->kills, key, (size_t) n, (size_t) (it - b->items) + 1);
}

/* The item under its unit and under every unit of its cgroup path: a slice (or
 * user@.service) reports the kills in its subtree too. */
static int index_units(struct incident_builder *b, const struct item *it) {
        int r = it->inc.unit ? kill_set(b, 'u', 0, it->inc.unit, it) : 0;
        for (const char *p = it->inc.cgroup; r >= 0 && p && *p; ) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n > 0 && n < INCIDENT_TEXT_MAX && unit_name_is_valid_len(p, n)) {
                        char u[INCIDENT_TEXT_MAX];
                        memcpy(u, p, n);
                        u[n] = '\0';
                        r = kill_set(b, 'u', 0, u, it);
                }
                p += n;
        }
        return r;
}

/* The newest kill of UNIT (itself or in its subtree), no older than WINDOW before EV, in EV's boot. */
struct item *builder_kill_of_unit(struct incident_builder *b, const struct event *ev, uint64_t window) {
        struct item *it = kill_get(b, 'u', 0, ev->unit);
        if (!it || elapsed(&it->at, ev) > window || !same_boot(it->at.boot, ev->boot))
                return NULL;
        return it;
}

static int new_kill(struct incident_builder *b, const struct event *ev, struct item **ret) {
        int r = grow((void **) &b->items, &b->alloc, b->n, sizeof *b->items);
        if (r < 0)
                return r;
        struct item *it = &b->items[b->n++];
        *it = (struct item) {
                .inc = {
                        .time_usec = ev->time_usec,
                        .last_usec = ev->time_usec,
                        .killer = ev->killer,
                        .pid = ev->pid,
                        .uid = -1,
                        .restarts = -1,
                        .outcome = OUTCOME_GONE,
                },
        };
        it->at = when_of(ev);
        if (b->swap_seen && elapsed(&b->swap_at, ev) <= SAME_KILL_USEC * 6) {
                it->swap_known = true;
                it->swap_total = b->swap_total;
        }
        *ret = it;
        return 0;
}

/* What an event knows that the incident does not yet. */
static int merge(struct incident_builder *b, struct item *it, const struct event *ev) {
        int r;
        if (!it->inc.pid && ev->pid)
                it->inc.pid = ev->pid;
        if (it->inc.uid < 0 && ev->uid >= 0)
                it->inc.uid = ev->uid;
        if (!it->inc.rss_bytes)
                it->inc.rss_bytes = ev->rss_bytes;
        if (ev->memcg)
                it->inc.killer = KILLER_MEMORY_LIMIT;
        if ((r = fill(&it->inc.comm, ev->comm)) < 0 || (r = fill(&it->inc.cgroup, ev->cgroup)) < 0 ||
            (r = fill(&it->inc.unit, ev->unit)) < 0 || (r = fill(&it->inc.limit, ev->limit)) < 0)
                return r;
        return index_units(b, it);
}

static int add_kernel(struct incident_builder *b, const struct event *ev) {
        char pid[24];
        snprintf(pid, sizeof pid, "%d", (int) ev->pid);
        struct item *it = kill_get(b, 'k', 0, pid);
        int r;
        if (it && (elapsed(&it->at, ev) > SAME_KILL_USEC || !same_boot(it->at.boot, ev->boot)))
                it = NULL;
        if (!it) {
                if ((r = new_kill(b, ev, &it)) < 0 || (r = kill_set(b, 'k', 0, pid, it)) < 0)
                        return r;
        }
        if (ev->memcg && !it->inc.limit_bytes && b->memcg_seen && b->memcg_limit &&
            elapsed(&b->memcg_at, ev) <= SAME_KILL_USEC)
                it->inc.limit_bytes = b->memcg_limit;
        return merge(b, it, ev);
}

/* A daemon's kill: the same victim named again (earlyoom's SIGKILL after its SIGTERM) is one kill. */
static int add_daemon(struct incident_builder *b, const struct event *ev) {
        char tag, text[INCIDENT_TEXT_MAX];
        if (ev->pid) {
                tag = 'p';
                snprintf(text, sizeof text, "%d", (int) ev->pid);
        } else {
                tag = *ev->cgroup ? 'c' : 'n';
                snprintf(text, sizeof text, "%s", *ev->cgroup ? ev->cgroup : ev->comm);
        }
        struct item *it = kill_get(b, tag, ev->killer, text);
        int r;
        if (it && (elapsed(&it->at, ev) > DAEMON_RESEND_USEC || !same_boot(it->at.boot, ev->boot)))
                it = NULL;
        if (!it) {
                if ((r = new_kill(b, ev, &it)) < 0 || (r = kill_set(b, tag, ev->killer, text, it)) < 0)
                        return r;
        }
        return merge(b, it, ev);
}

/* systemd saw the cgroup's oom_kill counter move: the kill of that unit (or in
 * its subtree); with no kill line read (rate-limited kmsg), still a kill. */
static int add_unit_oom(struct incident_builder *b, const struct event *ev) {
        struct item *it = builder_kill_of_unit(b, ev, UNIT_FOLLOWS_USEC);
        int r;
        if (it && ev->killer == KILLER_OOMD && it->inc.killer != KILLER_OOMD)
                it = NULL;
        if (!it && ends_with(ev->unit, ".slice"))
                return 0;
        if (!it) {
                struct event e = *ev;
                if (e.killer == KILLER_NONE)
                        e.killer = KILLER_KERNEL;
                if ((r = new_kill(b, &e, &it)) < 0)
                        return r;
        }
        if ((r = fill(&it->inc.unit, ev->unit)) < 0)
                return r;
        return index_units(b, it);
}

static int builder_add(struct incident_builder *b, const struct event *ev) {
        int r = loops_new_boot(b, ev->boot);
        if (r < 0 || (r = loops_sweep(b, ev)) < 0)
                return r;
        /* Names reach here validated by the parser; a caller's event is checked again. */
        if (*ev->unit && !unit_name_is_valid(ev->unit))
                return 0;
        switch (ev->kind) {
        case EVENT_KERNEL_SUMMARY:
        case EVENT_KERNEL_KILLED:
                return add_kernel(b, ev);
        case EVENT_KERNEL_MEMCG:
                b->memcg_limit = ev->limit_bytes;
                b->memcg_at = when_of(ev);
                b->memcg_seen = true;
                return 0;
        case EVENT_KERNEL_SWAP:
                b->swap_total = ev->limit_bytes;
                b->swap_at = when_of(ev);
                b->swap_seen = true;
                return 0;
        case EVENT_DAEMON_KILL:
                return add_daemon(b, ev);
        case EVENT_UNIT_OOM:
                return *ev->unit ? add_unit_oom(b, ev) : 0;
        case EVENT_UNIT_RESULT:
                if (*ev->unit)
                        loops_add_result(b, ev);
                return 0;
        case EVENT_UNIT_RESTART:
                return *ev->unit ? loops_add_restart(b, ev) : 0;
        case EVENT_UNIT_EXIT:
                if (*ev->unit)
                        loops_add_exit(b, ev);
                return 0;
        default:
                return 0;
        }
}

int incident_builder_add(struct incident_builder *b, const struct event *ev) {
        int r = builder_add(b, ev);
        size_t held = b->n + b->n_loops + b->n_done;
        if (held > b->held_max)
                b->held_max = held;
        return r;
}

/* A process that only runs another: killing it takes its child along. */
static bool comm_is_wrapper(const char *comm) {
        static const char *const wrappers[] = {
                "sh", "bash", "dash", "zsh", "fish", "sudo", "su", "runuser", "setsid",
                "nohup", "timeout", "screen", "SCREEN", "env", "script",
        };
        for (size_t i = 0; comm && i < ELEMENTSOF(wrappers); i++)
                if (strcmp(comm, wrappers[i]) == 0)
                        return true;
        return false;
}

/* The advice fits the killer: a unit's own MemoryMax= already holds, so
 * unit-memorymax would change nothing; a tmux pane's process is a server
 * outside any service (tmux-resurrect is for the tmux server itself). */
static void finish_kill(struct item *it) {
        struct incident *i = &it->inc;
        bool service = ends_with(i->unit, ".service");
        if (service && i->outcome == OUTCOME_GONE)
                i->outcome = it->failed ? OUTCOME_STOPPED : OUTCOME_RUNNING;

        if (i->comm && strncmp(i->comm, "tmux", 4) == 0)
                i->prevent = "tmux-resurrect";
        else if (comm_is_wrapper(i->comm))
                i->prevent = "wrapper-oom-unprotected";
        else if (i->killer == KILLER_MEMORY_LIMIT) {
                i->prevent = NULL;
                i->advice = "raise the memory limit above the peak, or find what grows";
        } else if (i->killer == KILLER_KERNEL && it->swap_known && it->swap_total == 0)
                i->prevent = "swap-missing";
        else if (service)
                i->prevent = "unit-memorymax";
        else
                i->prevent = "unmanaged-service";
}

static int cmp_incident(const void *a, const void *b) {
        const struct incident *x = a, *y = b;
        return x->time_usec < y->time_usec ? -1 : x->time_usec > y->time_usec;
}

int incident_builder_finish(struct incident_builder *b, const char *unit, struct incident_list *ret) {
        int r = loops_close_all(b);
        if (r < 0)
                return r;

        size_t total = b->n + b->n_done, n = 0;
        _cleanup_free_ struct incident *out = calloc(total ? total : 1, sizeof *out);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < b->n; i++) {
                finish_kill(&b->items[i]);
                out[n++] = b->items[i].inc;
        }
        for (size_t i = 0; i < b->n_done; i++) {
                b->done[i].prevent = "restart-storm";
                out[n++] = b->done[i];
        }
        b->n = b->n_done = 0;

        /* Drop what --unit does not ask for; stable order, oldest first. */
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (unit && !unit_eq(out[i].unit, unit)) {
                        incident_release(&out[i]);
                        continue;
                }
                out[k++] = out[i];
        }
        qsort(out, k, sizeof *out, cmp_incident);
        *ret = (struct incident_list) { .items = TAKE_PTR(out), .n = k, .held_max = b->held_max };
        return 0;
}
