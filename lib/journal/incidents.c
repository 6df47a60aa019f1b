/* SPDX-License-Identifier: MIT */
/* The parse of one journal entry into an event (one table of text patterns),
 * and the correlation of events into incidents: one a kill, one a crash loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-messages.h>

#include "text/cleanup.h"
#include "journal/incidents.h"
#include "systemd/unitname.h"

static const char *const killer_names[_KILLER_MAX] = {
        [KILLER_NONE] = NULL,
        [KILLER_KERNEL] = "kernel",
        [KILLER_MEMORY_LIMIT] = "memory-limit",
        [KILLER_EARLYOOM] = "earlyoom",
        [KILLER_OOMD] = "systemd-oomd",
        [KILLER_NOHANG] = "nohang",
};

const char *killer_to_string(enum killer k) {
        return k >= 0 && k < _KILLER_MAX ? killer_names[k] : NULL;
}

static const char *const outcome_names[_OUTCOME_MAX] = {
        [OUTCOME_GONE] = "gone",
        [OUTCOME_RESTARTED] = "restarted",
        [OUTCOME_START_LIMIT] = "start-limit-hit",
        [OUTCOME_STOPPED] = "stopped",
        [OUTCOME_RUNNING] = "running",
};

const char *outcome_to_string(enum outcome o) {
        return o >= 0 && o < _OUTCOME_MAX ? outcome_names[o] : NULL;
}

/* ---- small scanners over a bounded, possibly NUL-holding message ---- */

struct span {
        const char *p;
        size_t n;
};

/* The first occurrence of NEEDLE in S, or NULL: memchr() to each candidate
 * first byte, then memcmp(); cheaper than memmem() on a short kernel line. */
static const char *span_find(struct span s, const char *needle) {
        size_t k = strlen(needle);
        const char *p = s.p, *end = s.p + s.n;
        if (k == 0)
                return p;
        while ((size_t) (end - p) >= k && (p = memchr(p, needle[0], (size_t) (end - p) - k + 1))) {
                if (memcmp(p + 1, needle + 1, k - 1) == 0)
                        return p;
                p++;
        }
        return NULL;
}

/* The last occurrence of NEEDLE in S, or NULL. */
static const char *span_rfind(struct span s, const char *needle) {
        size_t k = strlen(needle);
        if (k > s.n)
                return NULL;
        for (size_t i = s.n - k + 1; i-- > 0; )
                if (memcmp(s.p + i, needle, k) == 0)
                        return s.p + i;
        return NULL;
}

static bool span_starts(struct span s, const char *prefix) {
        size_t k = strlen(prefix);
        return s.n >= k && memcmp(s.p, prefix, k) == 0;
}

/* Copy [P, P+N) into a fixed buffer of SIZE, cut at the bound and at a NUL. */
static void copy_text(char *dst, size_t size, const char *p, size_t n) {
        if (n >= size)
                n = size - 1;
        const char *z = memchr(p, '\0', n);
        if (z)
                n = (size_t) (z - p);
        memcpy(dst, p, n);
        dst[n] = '\0';
}

/* A decimal number at P (before END); *ret_end after its last digit. */
static bool scan_u64(const char *p, const char *end, uint64_t *ret, const char **ret_end) {
        uint64_t v = 0;
        const char *q = p;
        for (; q < end && *q >= '0' && *q <= '9'; q++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t) (*q - '0');
        }
        if (q == p)
                return false;
        *ret = v;
        if (ret_end)
                *ret_end = q;
        return true;
}

/* The number right after NEEDLE inside S. */
static bool field_u64(struct span s, const char *needle, uint64_t *ret) {
        const char *p = span_find(s, needle);
        return p && scan_u64(p + strlen(needle), s.p + s.n, ret, NULL);
}

/* "/system.slice/x.service" → "x.service": the last component naming a valid
 * service or scope; "" when none does. */
static void unit_from_cgroup(const char *cg, char *dst, size_t size) {
        const char *best = NULL;
        size_t best_n = 0;
        for (const char *p = cg; *p; ) {
                while (*p == '/')
                        p++;
                size_t n = strcspn(p, "/");
                if (((n > 8 && memcmp(p + n - 8, ".service", 8) == 0) ||
                     (n > 6 && memcmp(p + n - 6, ".scope", 6) == 0)) && n < size && unit_name_is_valid_len(p, n)) {
                        best = p;
                        best_n = n;
                }
                p += n;
        }
        if (best)
                copy_text(dst, size, best, best_n);
        else
                dst[0] = '\0';
}

/* ---- the text patterns: one table ---- */

/* oom-kill:constraint=C,nodemask=…,cpuset=…,mems_allowed=…[,oom_memcg=M],task_memcg=T,task=COMM,pid=N,uid=N
 * (mm/oom_kill.c dump_oom_summary, 5.0 and later). Parsed from both ends: a
 * comm or a cgroup path may itself hold commas. */
static int parse_kernel_summary(struct span s, struct event *ev) {
        const char *uid = span_rfind(s, ",uid=");
        if (!uid)
                return 0;
        struct span head = { s.p, (size_t) (uid - s.p) };
        const char *pid = span_rfind(head, ",pid=");
        if (!pid)
                return 0;
        head.n = (size_t) (pid - s.p);
        const char *task = span_rfind(head, ",task=");
        const char *tmc = span_find(head, ",task_memcg=");
        if (!task || !tmc || tmc >= task)
                return 0;
        uint64_t v;
        if (!scan_u64(pid + 5, uid, &v, NULL) || v == 0 || v > INT32_MAX)
                return 0;
        ev->pid = (pid_t) v;
        if (scan_u64(uid + 5, s.p + s.n, &v, NULL))
                ev->uid = (long long) v;
        copy_text(ev->comm, sizeof ev->comm, task + 6, (size_t) (pid - task - 6));
        copy_text(ev->cgroup, sizeof ev->cgroup, tmc + 12, (size_t) (task - tmc - 12));
        struct span before = { s.p, (size_t) (tmc - s.p) };
        const char *om = span_find(before, ",oom_memcg=");
        if (om)
                copy_text(ev->limit, sizeof ev->limit, om + 11, (size_t) (tmc - om - 11));
        ev->memcg = span_find(before, "constraint=CONSTRAINT_MEMCG") != NULL;
        ev->killer = ev->memcg ? KILLER_MEMORY_LIMIT : KILLER_KERNEL;
        ev->kind = EVENT_KERNEL_SUMMARY;
        return 1;
}

/* [Memory cgroup ]Out of memory[ (…)]: Killed process PID (COMM) total-vm:NkB, anon-rss:NkB, …, UID:N pgtables:NkB oom_score_adj:N */
static int parse_kernel_killed(struct span s, struct event *ev) {
        if (!span_starts(s, "Out of memory") && !span_starts(s, "Memory cgroup out of memory"))
                return 0;
        const char *k = span_find(s, ": Killed process ");
        if (!k)
                return 0;
        uint64_t v;
        const char *p;
        if (!scan_u64(k + 17, s.p + s.n, &v, &p) || v == 0 || v > INT32_MAX)
                return 0;
        ev->pid = (pid_t) v;
        struct span rest = { p, (size_t) (s.p + s.n - p) };
        const char *tv = span_find(rest, ") total-vm:");
        if (p + 2 <= s.p + s.n && p[0] == ' ' && p[1] == '(' && tv && tv >= p + 2)
                copy_text(ev->comm, sizeof ev->comm, p + 2, (size_t) (tv - p - 2));
        if (field_u64(rest, "anon-rss:", &v) && v <= INT64_MAX / 1024)
                ev->rss_bytes = v * 1024;
        if (field_u64(rest, "UID:", &v))
                ev->uid = (long long) v;
        ev->memcg = span_starts(s, "Memory cgroup");
        ev->killer = ev->memcg ? KILLER_MEMORY_LIMIT : KILLER_KERNEL;
        ev->kind = EVENT_KERNEL_KILLED;
        return 1;
}

/* memory: usage NkB, limit NkB, failcnt N (mem_cgroup_print_oom_meminfo) */
static int parse_kernel_memcg(struct span s, struct event *ev) {
        uint64_t v;
        if (!field_u64(s, ", limit ", &v) || v > INT64_MAX / 1024)
                return 0;
        ev->limit_bytes = v * 1024;
        ev->kind = EVENT_KERNEL_MEMCG;
        return 1;
}

/* Total swap = NkB (show_swap_cache_info in the OOM report) */
static int parse_kernel_swap(struct span s, struct event *ev) {
        uint64_t v;
        if (!field_u64(s, "Total swap = ", &v) || v > INT64_MAX / 1024)
                return 0;
        ev->limit_bytes = v * 1024;
        ev->kind = EVENT_KERNEL_SWAP;
        return 1;
}

/* earlyoom 1.7: sending SIGTERM to process PID uid UID "NAME": badness N, VmRSS N MiB
 * earlyoom 1.8+: … "NAME": oom_score N, [oom_score_adj N, ]VmRSS N MiB, cmdline "…" */
static int parse_earlyoom(struct span s, struct event *ev) {
        const char *to = span_find(s, " to process ");
        if (!span_starts(s, "sending SIG") || !to)
                return 0;
        uint64_t pid, uid;
        const char *p;
        if (!scan_u64(to + 12, s.p + s.n, &pid, &p) || pid == 0 || pid > INT32_MAX)
                return 0;
        if ((size_t) (s.p + s.n - p) < 6 || memcmp(p, " uid ", 5) != 0 ||
            !scan_u64(p + 5, s.p + s.n, &uid, &p))
                return 0;
        if ((size_t) (s.p + s.n - p) < 2 || memcmp(p, " \"", 2) != 0)
                return 0;
        struct span rest = { p + 2, (size_t) (s.p + s.n - p - 2) };
        const char *end = span_find(rest, "\": badness ");
        const char *end2 = span_find(rest, "\": oom_score ");
        if (!end || (end2 && end2 < end))
                end = end2;
        if (!end)
                return 0;
        ev->pid = (pid_t) pid;
        ev->uid = (long long) uid;
        copy_text(ev->comm, sizeof ev->comm, rest.p, (size_t) (end - rest.p));
        struct span tail = { end, (size_t) (s.p + s.n - end) };
        uint64_t mib;
        if (field_u64(tail, "VmRSS ", &mib) && mib <= (uint64_t) INT64_MAX >> 20)
                ev->rss_bytes = mib << 20;
        ev->killer = KILLER_EARLYOOM;
        ev->kind = EVENT_DAEMON_KILL;
        return 1;
}

/* systemd-oomd: Killed CGROUP due to memory pressure for SLICE being N% > N% for > T with reclaim activity
 *               Killed CGROUP due to swap used (N) / total (N) being more than N%
 * (newer: "Marked CGROUP for killing due to …") */
static int parse_oomd(struct span s, struct event *ev) {
        size_t skip;
        if (span_starts(s, "Killed /"))
                skip = 7;
        else if (span_starts(s, "Marked /"))
                skip = 7;
        else
                return 0;
        const char *due = span_find(s, " due to ");
        if (!due || due < s.p + skip)
                return 0;
        const char *cg_end = due;
        struct span cg = { s.p + skip, (size_t) (due - s.p - skip) };
        const char *fk = span_rfind(cg, " for killing");
        if (fk)
                cg_end = fk;
        copy_text(ev->cgroup, sizeof ev->cgroup, s.p + skip, (size_t) (cg_end - s.p - skip));
        const char *why = due + 8;
        struct span w = { why, (size_t) (s.p + s.n - why) };
        const char *reclaim = span_find(w, " with reclaim activity");
        copy_text(ev->limit, sizeof ev->limit, why, reclaim ? (size_t) (reclaim - why) : w.n);
        ev->killer = KILLER_OOMD;
        ev->kind = EVENT_DAEMON_KILL;
        return 1;
}

/* nohang: "Sending SIGTERM to NAME…" ("[ OK ] Sending …" in some versions) */
static int parse_nohang(struct span s, struct event *ev) {
        const char *p = span_find(s, "Sending SIG");
        if (!p)
                return 0;
        struct span rest = { p, (size_t) (s.p + s.n - p) };
        const char *to = span_find(rest, " to ");
        if (!to)
                return 0;
        const char *name = to + 4, *end = s.p + s.n;
        const char *colon = memchr(name, ':', (size_t) (end - name));
        copy_text(ev->comm, sizeof ev->comm, name, (size_t) ((colon ? colon : end) - name));
        ev->killer = KILLER_NOHANG;
        ev->kind = EVENT_DAEMON_KILL;
        return 1;
}

enum source { SRC_KERNEL, SRC_EARLYOOM, SRC_OOMD, SRC_NOHANG };

static const struct text_pattern {
        enum source source;     /* who writes it */
        const char *contains;   /* a cheap test before the parser runs */
        int (*parse)(struct span s, struct event *ev);
} text_patterns[] = {
        { SRC_KERNEL,   "oom-kill:constraint=", parse_kernel_summary },
        { SRC_KERNEL,   ": Killed process ",    parse_kernel_killed },
        { SRC_KERNEL,   "memory: usage ",       parse_kernel_memcg },
        { SRC_KERNEL,   "Total swap = ",        parse_kernel_swap },
        { SRC_EARLYOOM, "sending SIG",          parse_earlyoom },
        { SRC_OOMD,     " due to ",             parse_oomd },
        { SRC_NOHANG,   "Sending SIG",          parse_nohang },
};

static bool streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

/* systemd's catalogue ids read here: PID 1's unit messages. */
static const char *const unit_message_ids[] = {
        SD_MESSAGE_UNIT_OUT_OF_MEMORY_STR,
        SD_MESSAGE_UNIT_OOMD_KILL_STR,
        SD_MESSAGE_UNIT_FAILURE_RESULT_STR,
        SD_MESSAGE_UNIT_RESTART_SCHEDULED_STR,
        SD_MESSAGE_UNIT_PROCESS_EXIT_STR,
        SD_MESSAGE_UNIT_SUCCESS_STR,
};

/* An OOM daemon: the unit it runs as (journald's _SYSTEMD_UNIT), the names its
 * process has (_COMM: nohang is a python3 script run through env), and the
 * SYSLOG_IDENTIFIER it logs with, which anyone can claim. */
static const struct daemon_source {
        enum source source;
        const char *unit;
        const char *comm[2];
        const char *identifier;
} daemon_sources[] = {
        { SRC_EARLYOOM, "earlyoom.service",       { "earlyoom", NULL },      "earlyoom" },
        { SRC_OOMD,     "systemd-oomd.service",   { "systemd-oomd", NULL },  "systemd-oomd" },
        { SRC_NOHANG,   "nohang.service",         { "nohang", "python3" },   "nohang" },
        { SRC_NOHANG,   "nohang-desktop.service", { "nohang", "python3" },   "nohang" },
};

static bool is_unit_message_id(const char *id) {
        for (size_t i = 0; id && i < ELEMENTSOF(unit_message_ids); i++)
                if (strcmp(id, unit_message_ids[i]) == 0)
                        return true;
        return false;
}

/* Who sent E, by journald's fields: SRC_KERNEL, a daemon, or -1 for PID 1's
 * messages; *RET_TRUST says whether E is what it claims to be. */
static int entry_source(const struct journal_entry *e, enum entry_trust *ret_trust) {
        if (is_unit_message_id(e->message_id)) {
                *ret_trust = streq_ptr(e->pid, "1") && streq_ptr(e->uid, "0") ? ENTRY_TRUSTED : ENTRY_FORGED;
                return -1;
        }
        if (streq_ptr(e->transport, "kernel")) {
                *ret_trust = ENTRY_TRUSTED;
                return SRC_KERNEL;
        }
        for (size_t i = 0; e->systemd_unit && i < ELEMENTSOF(daemon_sources); i++) {
                const struct daemon_source *d = &daemon_sources[i];
                if (strcmp(e->systemd_unit, d->unit) != 0)
                        continue;
                bool comm = streq_ptr(e->comm, d->comm[0]) || streq_ptr(e->comm, d->comm[1]);
                *ret_trust = comm ? ENTRY_TRUSTED : ENTRY_FORGED;
                return d->source;
        }
        *ret_trust = ENTRY_UNCLAIMED;
        for (size_t i = 0; e->identifier && i < ELEMENTSOF(daemon_sources); i++)
                if (strcmp(e->identifier, daemon_sources[i].identifier) == 0)
                        *ret_trust = ENTRY_FORGED;
        return -1;
}

enum entry_trust incident_entry_trust(const struct journal_entry *e) {
        enum entry_trust t;
        (void) entry_source(e, &t);
        return t;
}

static int parse_unit_message(const struct journal_entry *e, struct event *ev) {
        const char *id = e->message_id;
        if (!unit_name_is_valid(e->unit))
                return 0;
        if (streq_ptr(id, SD_MESSAGE_UNIT_OUT_OF_MEMORY_STR))
                ev->kind = EVENT_UNIT_OOM;
        else if (streq_ptr(id, SD_MESSAGE_UNIT_OOMD_KILL_STR)) {
                ev->kind = EVENT_UNIT_OOM;
                ev->killer = KILLER_OOMD;
        } else if (streq_ptr(id, SD_MESSAGE_UNIT_FAILURE_RESULT_STR) && e->unit_result) {
                ev->kind = EVENT_UNIT_RESULT;
                copy_text(ev->result, sizeof ev->result, e->unit_result, strlen(e->unit_result));
        } else if (streq_ptr(id, SD_MESSAGE_UNIT_RESTART_SCHEDULED_STR)) {
                uint64_t n;
                ev->kind = EVENT_UNIT_RESTART;
                if (e->n_restarts && scan_u64(e->n_restarts, e->n_restarts + strlen(e->n_restarts), &n, NULL) &&
                    n <= INT32_MAX)
                        ev->n_restarts = (long long) n;
        } else if (streq_ptr(id, SD_MESSAGE_UNIT_SUCCESS_STR)) {
                /* "Deactivated successfully": a SIGTERM is a clean exit for a service. */
                ev->kind = EVENT_UNIT_RESULT;
                copy_text(ev->result, sizeof ev->result, "success", 7);
        } else if (streq_ptr(id, SD_MESSAGE_UNIT_PROCESS_EXIT_STR)) {
                ev->kind = EVENT_UNIT_EXIT;
                if (e->exit_code)
                        copy_text(ev->result, sizeof ev->result, e->exit_code, strlen(e->exit_code));
        } else
                return 0;
        copy_text(ev->unit, sizeof ev->unit, e->unit, strlen(e->unit));
        return 1;
}

static void event_reset(struct event *ev, uint64_t t) {
        memset(ev, 0, sizeof *ev);
        ev->uid = -1;
        ev->n_restarts = -1;
        ev->time_usec = t;
}

int incident_parse_entry(const struct journal_entry *e, struct event *ev) {
        enum entry_trust trust;
        int src = entry_source(e, &trust);

        event_reset(ev, e->realtime_usec);
        if (trust != ENTRY_TRUSTED)
                return 0;
        if (e->boot_id && strlen(e->boot_id) == 32) {
                memcpy(ev->boot, e->boot_id, 33);
                ev->mono_usec = e->monotonic_usec;
        }
        if (src < 0)
                return parse_unit_message(e, ev);
        if (!e->message)
                return 0;

        struct span s = { e->message, e->message_len };
        for (size_t i = 0; i < ELEMENTSOF(text_patterns); i++) {
                const struct text_pattern *t = &text_patterns[i];
                if ((int) t->source != src || !span_find(s, t->contains))
                        continue;
                char boot[sizeof ev->boot];
                uint64_t mono = ev->mono_usec;
                memcpy(boot, ev->boot, sizeof boot);
                if (t->parse(s, ev) > 0) {
                        unit_from_cgroup(ev->cgroup, ev->unit, sizeof ev->unit);
                        return 1;
                }
                event_reset(ev, e->realtime_usec);
                memcpy(ev->boot, boot, sizeof boot);
                ev->mono_usec = mono;
        }
        return 0;
}
