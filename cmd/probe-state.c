/* SPDX-License-Identifier: MIT */
/* hostfit probe's memory between runs: the state machine that turns one probe into at most
 * one journal line and a restart decision (start-up grace, moved port, restart cap), and the
 * state file STATE_DIR/UNIT.failures. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "cmd/probe.h"

static unsigned restarts_within(const struct probe_state *s, uint64_t now, uint64_t span) {
        unsigned n = 0;
        for (size_t i = 0; i < PROBE_RESTARTS_KEPT; i++)
                n += s->restarts[i] && s->restarts[i] <= now && now - s->restarts[i] < span;
        return n;
}

static enum probe_event failing(const struct probe_state *old, const struct probe_input *in,
                                const struct probe_limits *lim, struct probe_state *s) {
        bool counting = old->health == PROBE_DOWN || old->health == PROBE_STARTING || old->health == PROBE_CAPPED;
        s->failures = (counting ? old->failures : 0) + 1;
        if (in->moved) {
                s->failures = 0;
                s->health = PROBE_MOVED;
                return old->health == PROBE_MOVED ? PROBE_EVENT_NONE : PROBE_EVENT_MOVED;
        }
        /* Not answered since its start: no restart within the grace (a JVM, a database in recovery). */
        if (!s->answered && (lim->grace_usec == PROBE_USEC_INFINITY ||
                             (in->start_usec && in->now_usec >= in->start_usec && in->now_usec - in->start_usec < lim->grace_usec))) {
                s->health = PROBE_STARTING;
                return old->health == PROBE_STARTING ? PROBE_EVENT_NONE : PROBE_EVENT_STARTING;
        }
        if (s->failures < lim->failures) {
                s->health = PROBE_DOWN;
                return old->health == PROBE_DOWN ? PROBE_EVENT_NONE : PROBE_EVENT_DOWN;
        }
        if (restarts_within(s, in->now_usec, 3600ULL * 1000000) >= lim->max_restarts) {
                s->health = PROBE_CAPPED;
                return old->health == PROBE_CAPPED ? PROBE_EVENT_NONE : PROBE_EVENT_CAPPED;
        }
        s->health = PROBE_DOWN;
        s->failures = 0;        /* count again after the restart: silent until the next one */
        memmove(&s->restarts[1], &s->restarts[0], (PROBE_RESTARTS_KEPT - 1) * sizeof(s->restarts[0]));
        s->restarts[0] = in->now_usec ? in->now_usec : 1;
        return PROBE_EVENT_RESTART;
}

enum probe_event probe_step(const struct probe_state *old, const struct probe_input *in,
                            const struct probe_limits *lim, struct probe_state *ret) {
        struct probe_state s = *old;
        enum probe_event ev = PROBE_EVENT_NONE;
        if (in->start_usec != old->start_usec) {
                s.start_usec = in->start_usec;  /* a new start: it has to answer again */
                s.answered = false;
        }
        if (!in->running) {
                s.failures = 0;
                s.health = PROBE_STOPPED;
                ev = old->health == PROBE_STOPPED ? PROBE_EVENT_NONE : PROBE_EVENT_STOPPED;
        } else if (in->ok) {
                s.failures = 0;
                s.answered = true;
                s.health = PROBE_UP;
                ev = old->health == PROBE_UP ? PROBE_EVENT_NONE : PROBE_EVENT_UP;
        } else
                ev = failing(old, in, lim, &s);
        *ret = s;
        return ev;
}

static const char *const health_names[] = {
        [PROBE_UNKNOWN] = "unknown", [PROBE_UP] = "up", [PROBE_DOWN] = "down", [PROBE_STOPPED] = "stopped",
        [PROBE_STARTING] = "starting", [PROBE_MOVED] = "moved", [PROBE_CAPPED] = "capped",
};

static int state_path(const struct probe_opts *o, const char *prefix, char *buf, size_t size) {
        if (!o->unit || !*o->unit || strchr(o->unit, '/') || o->unit[0] == '.')
                return -EINVAL;
        int n = snprintf(buf, size, "%s/%s%s.failures", o->state_dir, prefix, o->unit);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

static void parse_restarts(const char *s, struct probe_state *ret) {
        for (size_t i = 0; s && *s && i < PROBE_RESTARTS_KEPT; i++) {
                char *end;
                unsigned long long v = strtoull(s, &end, 10);
                if (end == s)
                        break;
                ret->restarts[i] = v;
                s = *end == ',' ? end + 1 : end;
        }
}

int probe_state_load(const struct probe_opts *o, struct probe_state *ret) {
        char path[4096], buf[512] = "", word[16] = "", list[400] = "";
        unsigned count = 0, answered = 0;
        unsigned long long start = 0;
        int r = state_path(o, "", path, sizeof(path));
        if (r < 0)
                return r;
        *ret = (struct probe_state) { .health = PROBE_UNKNOWN };
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || read(fd, buf, sizeof(buf) - 1) <= 0)
                return 0;
        int n = sscanf(buf, "%u %15s %llu %u %399s", &count, word, &start, &answered, list);
        if (n < 1 || count > 1000000)
                return 0;
        ret->failures = count;
        /* A count alone (an older file) is a run of failures, or none. */
        ret->health = count ? PROBE_DOWN : PROBE_UP;
        for (size_t i = 0; n >= 2 && i < ELEMENTSOF(health_names); i++)
                if (strcmp(word, health_names[i]) == 0)
                        ret->health = (enum probe_health) i;
        if (n >= 4) {
                ret->start_usec = start;
                ret->answered = answered != 0;
        }
        if (n >= 5)
                parse_restarts(list, ret);
        return 0;
}

static int mkdir_p(const char *path) {
        char dir[4096];
        if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir))
                return -ENAMETOOLONG;
        for (char *c = dir + 1;; c++) {
                bool last = *c == '\0';
                if (*c != '/' && !last)
                        continue;
                *c = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
                if (last)
                        return 0;
                *c = '/';
        }
}

int probe_state_save(const struct probe_opts *o, const struct probe_state *s) {
        char path[4096], tmp[4096], buf[512];
        int r = state_path(o, "", path, sizeof(path));
        if (r == 0)
                r = state_path(o, ".#", tmp, sizeof(tmp));
        /* mkdir -p: /run/hostfit may not exist outside the health unit's RuntimeDirectory=. */
        if (r < 0 || (r = mkdir_p(o->state_dir)) < 0)
                return r;
        _cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0)
                return -errno;
        int n = snprintf(buf, sizeof(buf), "%u %s %llu %d ", s->failures, health_names[s->health],
                         (unsigned long long) s->start_usec, s->answered);
        for (size_t i = 0; i < PROBE_RESTARTS_KEPT && s->restarts[i] && n < (int) sizeof(buf) - 24; i++)
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, "%s%llu", i ? "," : "", (unsigned long long) s->restarts[i]);
        if (n < (int) sizeof(buf) - 2)
                n += snprintf(buf + n, sizeof(buf) - (size_t) n, "%s\n", s->restarts[0] ? "" : "0");
        if (write(out, buf, (size_t) n) != n || rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

