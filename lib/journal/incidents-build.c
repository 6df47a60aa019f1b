/* SPDX-License-Identifier: MIT */
/* From events to incidents: one a kill (the kernel's lines, a daemon's line,
 * systemd's unit messages after it) and one a crash loop (a unit's restarts
 * that no kill explains). Events arrive oldest first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "journal/incidents.h"

#define USEC_PER_SEC 1000000ULL
#define SAME_KILL_USEC (5 * USEC_PER_SEC)          /* the kernel's lines of one kill */
#define DAEMON_RESEND_USEC (60 * USEC_PER_SEC)     /* earlyoom's SIGKILL after its SIGTERM */
#define UNIT_FOLLOWS_USEC (60 * USEC_PER_SEC)      /* systemd's messages after a kill */
#define DAEMON_VICTIM_USEC (10 * USEC_PER_SEC)     /* a unit ending after a daemon's kill */
#define OUTCOME_USEC (3600 * USEC_PER_SEC)         /* restarts and the start limit after a kill */
#define LOOP_GAP_USEC (3600 * USEC_PER_SEC)        /* a quiet hour ends a crash loop */
#define LOOP_MIN_RESTARTS 3

struct item {
        struct incident inc;
        bool failed;            /* the unit ended: UNIT_RESULT, or deactivated successfully */
        bool restart_pending;   /* a restart was scheduled and no process of it ended yet */
        bool swap_known;
        uint64_t swap_total;
};

struct loop {
        char *unit;
        uint64_t first, last;
        long long count;
        bool start_limit;
        bool restart_pending;
};

struct incident_builder {
        struct item *items;
        size_t n, alloc;
        struct loop *loops;
        size_t n_loops, alloc_loops;
        struct incident *done;  /* closed crash loops */
        size_t n_done, alloc_done;
        uint64_t memcg_limit, memcg_time;
        uint64_t swap_total, swap_time;
        bool swap_seen;
};

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

static int grow(void **array, size_t *alloc, size_t n, size_t size) {
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

static bool unit_eq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

/* The newest kill at or before T (within WINDOW) that MATCH accepts. */
static struct item *find_kill(struct incident_builder *b, uint64_t t, uint64_t window,
                              bool (*match)(const struct item *, const struct event *), const struct event *ev) {
        for (size_t i = b->n; i-- > 0; ) {
                struct item *it = &b->items[i];
                if (it->inc.time_usec + window < t)
                        break;
                if (match(it, ev))
                        return it;
        }
        return NULL;
}

static bool match_kernel_pid(const struct item *it, const struct event *ev) {
        return (it->inc.killer == KILLER_KERNEL || it->inc.killer == KILLER_MEMORY_LIMIT) && it->inc.pid == ev->pid;
}

static bool match_daemon(const struct item *it, const struct event *ev) {
        if (it->inc.killer != ev->killer)
                return false;
        if (ev->pid)
                return it->inc.pid == ev->pid;
        return *ev->cgroup ? unit_eq(it->inc.cgroup, ev->cgroup) : unit_eq(it->inc.comm, ev->comm);
}

/* Whether UNIT names a component of the cgroup path CG ("/user.slice/x.scope" holds user.slice). */
static bool cgroup_has_unit(const char *cg, const char *unit) {
        size_t n = strlen(unit);
        for (const char *p = cg; p && (p = strstr(p, unit)); p += n)
                if (p > cg && p[-1] == '/' && (p[n] == '/' || p[n] == '\0'))
                        return true;
        return false;
}

static bool match_unit_oom(const struct item *it, const struct event *ev) {
        if (ev->killer == KILLER_OOMD && it->inc.killer != KILLER_OOMD)
                return false;
        /* A slice (or user@.service) reports the kills in its subtree too. */
        return unit_eq(it->inc.unit, ev->unit) || cgroup_has_unit(it->inc.cgroup, ev->unit) ||
               (!it->inc.unit && (it->inc.killer == KILLER_KERNEL || it->inc.killer == KILLER_MEMORY_LIMIT));
}

/* A daemon's victim whose unit it did not say, and a unit whose process was just killed by a signal. */
static bool match_daemon_victim(const struct item *it, const struct event *ev) {
        return !it->inc.unit && (it->inc.killer == KILLER_EARLYOOM || it->inc.killer == KILLER_NOHANG);
}

static bool match_unit(const struct item *it, const struct event *ev) {
        return unit_eq(it->inc.unit, ev->unit);
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
        if (b->swap_seen && b->swap_time + SAME_KILL_USEC * 6 >= ev->time_usec) {
                it->swap_known = true;
                it->swap_total = b->swap_total;
        }
        *ret = it;
        return 0;
}

/* What an event knows that the incident does not yet. */
static int merge(struct item *it, const struct event *ev) {
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
        return 0;
}

static int add_kernel(struct incident_builder *b, const struct event *ev) {
        struct item *it = find_kill(b, ev->time_usec, SAME_KILL_USEC, match_kernel_pid, ev);
        int r;
        if (!it && (r = new_kill(b, ev, &it)) < 0)
                return r;
        if (ev->memcg && !it->inc.limit_bytes && b->memcg_limit &&
            b->memcg_time + SAME_KILL_USEC >= ev->time_usec)
                it->inc.limit_bytes = b->memcg_limit;
        return merge(it, ev);
}

static int add_daemon(struct incident_builder *b, const struct event *ev) {
        struct item *it = find_kill(b, ev->time_usec, DAEMON_RESEND_USEC, match_daemon, ev);
        int r;
        if (!it && (r = new_kill(b, ev, &it)) < 0)
                return r;
        return merge(it, ev);
}

static int add_unit_oom(struct incident_builder *b, const struct event *ev) {
        struct item *it = find_kill(b, ev->time_usec, UNIT_FOLLOWS_USEC, match_unit_oom, ev);
        int r;
        /* systemd saw the cgroup's oom_kill counter move, but no kill line was
         * read (rate-limited kmsg, a journal that lost it): still a kill. */
        if (!it && ends_with(ev->unit, ".slice"))
                return 0;
        if (!it) {
                struct event e = *ev;
                if (e.killer == KILLER_NONE)
                        e.killer = KILLER_KERNEL;
                if ((r = new_kill(b, &e, &it)) < 0)
                        return r;
        }
        return fill(&it->inc.unit, ev->unit);
}

static struct loop *find_loop(struct incident_builder *b, const char *unit) {
        for (size_t i = 0; i < b->n_loops; i++)
                if (unit_eq(b->loops[i].unit, unit))
                        return &b->loops[i];
        return NULL;
}

/* Close L: a crash loop incident when it restarted often enough or hit the start limit. */
static int close_loop(struct incident_builder *b, struct loop *l) {
        if (l->count >= LOOP_MIN_RESTARTS || (l->start_limit && l->count > 0)) {
                int r = grow((void **) &b->done, &b->alloc_done, b->n_done, sizeof *b->done);
                if (r < 0)
                        return r;
                b->done[b->n_done++] = (struct incident) {
                        .time_usec = l->first,
                        .last_usec = l->last,
                        .killer = KILLER_NONE,
                        .uid = -1,
                        .unit = TAKE_PTR(l->unit),
                        .restarts = l->count,
                        .outcome = l->start_limit ? OUTCOME_START_LIMIT : OUTCOME_RESTARTED,
                };
        }
        free(l->unit);
        *l = b->loops[--b->n_loops];
        return 0;
}

static int add_restart(struct incident_builder *b, const struct event *ev) {
        struct item *it = find_kill(b, ev->time_usec, OUTCOME_USEC, match_unit, ev);
        if (it && it->inc.outcome != OUTCOME_RESTARTED && it->inc.outcome != OUTCOME_START_LIMIT) {
                it->inc.outcome = OUTCOME_RESTARTED;
                it->inc.restarts = ev->n_restarts;
                it->restart_pending = true;
                return 0;
        }
        struct loop *l = find_loop(b, ev->unit);
        int r;
        if (l && l->last + LOOP_GAP_USEC < ev->time_usec) {
                if ((r = close_loop(b, l)) < 0)
                        return r;
                l = NULL;
        }
        if (!l) {
                if ((r = grow((void **) &b->loops, &b->alloc_loops, b->n_loops, sizeof *b->loops)) < 0)
                        return r;
                l = &b->loops[b->n_loops];
                *l = (struct loop) { .unit = strdup(ev->unit), .first = ev->time_usec };
                if (!l->unit)
                        return -ENOMEM;
                b->n_loops++;
        }
        l->last = ev->time_usec;
        l->count++;
        l->restart_pending = true;
        return 0;
}

/* A failure result right after a scheduled restart, with no process run in
 * between, is the restart refused: systemd 252 logs "Start request repeated
 * too quickly" (no catalogue id) and keeps the first failure's UNIT_RESULT;
 * UNIT_RESULT=start-limit-hit comes only when the limit is the first failure. */
static void add_result(struct incident_builder *b, const struct event *ev) {
        bool limit = strcmp(ev->result, "start-limit-hit") == 0;
        struct loop *l = find_loop(b, ev->unit);
        if (l && l->last + LOOP_GAP_USEC >= ev->time_usec) {
                if (limit || l->restart_pending)
                        l->start_limit = true;
                return;
        }
        struct item *it = find_kill(b, ev->time_usec, OUTCOME_USEC, match_unit, ev);
        if (!it) {
                /* A daemon's SIGTERM is a clean exit: systemd logs no process
                 * exit, only "Deactivated successfully". The unit that ends
                 * right after the kill is the victim's. */
                it = find_kill(b, ev->time_usec, DAEMON_VICTIM_USEC, match_daemon_victim, ev);
                if (!it || fill(&it->inc.unit, ev->unit) < 0)
                        return;
        }
        if (limit || it->restart_pending)
                it->inc.outcome = OUTCOME_START_LIMIT;
        else if (it->inc.outcome != OUTCOME_RESTARTED && it->inc.outcome != OUTCOME_START_LIMIT)
                it->failed = true;
}

static int add_exit(struct incident_builder *b, const struct event *ev) {
        struct loop *l = find_loop(b, ev->unit);
        if (l)
                l->restart_pending = false;
        struct item *it = find_kill(b, ev->time_usec, OUTCOME_USEC, match_unit, ev);
        if (it)
                it->restart_pending = false;
        if (strcmp(ev->result, "killed") != 0)
                return 0;
        it = find_kill(b, ev->time_usec, UNIT_FOLLOWS_USEC, match_daemon_victim, ev);
        return it ? fill(&it->inc.unit, ev->unit) : 0;
}

int incident_builder_add(struct incident_builder *b, const struct event *ev) {
        switch (ev->kind) {
        case EVENT_KERNEL_SUMMARY:
        case EVENT_KERNEL_KILLED:
                return add_kernel(b, ev);
        case EVENT_KERNEL_MEMCG:
                b->memcg_limit = ev->limit_bytes;
                b->memcg_time = ev->time_usec;
                return 0;
        case EVENT_KERNEL_SWAP:
                b->swap_total = ev->limit_bytes;
                b->swap_time = ev->time_usec;
                b->swap_seen = true;
                return 0;
        case EVENT_DAEMON_KILL:
                return add_daemon(b, ev);
        case EVENT_UNIT_OOM:
                return add_unit_oom(b, ev);
        case EVENT_UNIT_RESULT:
                add_result(b, ev);
                return 0;
        case EVENT_UNIT_RESTART:
                return add_restart(b, ev);
        case EVENT_UNIT_EXIT:
                return add_exit(b, ev);
        default:
                return 0;
        }
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

static void finish_kill(struct item *it) {
        struct incident *i = &it->inc;
        bool service = ends_with(i->unit, ".service");
        if (service && i->outcome == OUTCOME_GONE)
                i->outcome = it->failed ? OUTCOME_STOPPED : OUTCOME_RUNNING;

        if ((i->comm && strncmp(i->comm, "tmux", 4) == 0) || (i->unit && strstr(i->unit, "tmux")))
                i->prevent = "tmux-resurrect";
        else if (comm_is_wrapper(i->comm))
                i->prevent = "wrapper-oom-unprotected";
        else if (i->killer == KILLER_KERNEL && it->swap_known && it->swap_total == 0)
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
        int r;
        while (b->n_loops > 0)
                if ((r = close_loop(b, &b->loops[b->n_loops - 1])) < 0)
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
        *ret = (struct incident_list) { .items = TAKE_PTR(out), .n = k };
        return 0;
}
