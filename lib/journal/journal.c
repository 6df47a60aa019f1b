/* SPDX-License-Identifier: MIT */
/* Reading the journal through sd-journal: matches on the kernel, systemd's
 * catalogue ids and the OOM daemons, a seek to --since, and only those entries
 * read (as journalctl does); each entry handed to incident_parse_entry(). */
#include <errno.h>
#include <stddef.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-messages.h>

#include "text/cleanup.h"
#include "host/config.h"
#include "host/host.h"
#include "journal/incidents.h"
#include "journal/trim.h"
#include "systemd/unitname.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct incident_builder *, incident_builder_free);

#define MESSAGE_MAX 4096        /* a kill line is < 300 bytes; longer messages are cut */

static const char *const message_ids[] = {
        SD_MESSAGE_UNIT_OUT_OF_MEMORY_STR,
        SD_MESSAGE_UNIT_OOMD_KILL_STR,
        SD_MESSAGE_UNIT_FAILURE_RESULT_STR,
        SD_MESSAGE_UNIT_RESTART_SCHEDULED_STR,
        SD_MESSAGE_UNIT_PROCESS_EXIT_STR,
        SD_MESSAGE_UNIT_SUCCESS_STR,
};
/* The daemons' own units, and the identifiers anyone may claim (read to count the forgeries). */
static const char *const daemon_units[] = {
        "_SYSTEMD_UNIT=earlyoom.service", "_SYSTEMD_UNIT=systemd-oomd.service",
        "_SYSTEMD_UNIT=nohang.service", "_SYSTEMD_UNIT=nohang-desktop.service",
};
static const char *const daemon_identifiers[] = {
        "SYSLOG_IDENTIFIER=earlyoom", "SYSLOG_IDENTIFIER=systemd-oomd", "SYSLOG_IDENTIFIER=nohang",
};

/* The boot id of the host's running kernel, as "_BOOT_ID=…". */
static int boot_match(struct host *h, char ret[static 42]) {
        _cleanup_free_ char *s = NULL;
        size_t len;
        int r = host_read_file(h, "/proc/sys/kernel/random/boot_id", 64, &s, &len);
        if (r < 0)
                return -ENODATA;
        sd_id128_t id;
        s[strcspn(s, "\n")] = '\0';
        if (sd_id128_from_string(s, &id) < 0)
                return -ENODATA;
        char hex[SD_ID128_STRING_MAX];
        snprintf(ret, 42, "_BOOT_ID=%s", sd_id128_to_string(id, hex));
        return 0;
}

#define TERM_MAX 8

/* Which of VALUES ("FIELD=value", one field) some entry of the journal holds,
 * into RET: sd-journal looks each match up again at every step, so a value no
 * entry holds would cost a lookup on every entry read. */
static size_t present(sd_journal *j, const char *const *values, size_t n, const char **ret) {
        char field[32];
        size_t k = strcspn(values[0], "="), m = 0;
        bool seen[TERM_MAX] = {};
        const void *d;
        size_t l;
        snprintf(field, sizeof field, "%.*s", (int) k, values[0]);
        if (n > TERM_MAX || sd_journal_query_unique(j, field) < 0) {
                for (size_t i = 0; i < n && i < TERM_MAX; i++)
                        ret[i] = values[i];
                return n < TERM_MAX ? n : TERM_MAX;
        }
        SD_JOURNAL_FOREACH_UNIQUE(j, d, l)
                for (size_t i = 0; i < n; i++)
                        if (!seen[i] && strlen(values[i]) == l && memcmp(values[i], d, l) == 0)
                                seen[i] = true;
        for (size_t i = 0; i < n; i++)
                if (seen[i])
                        ret[m++] = values[i];
        return m;
}

/* One term of the disjunction: the VALUES some entry holds (one field, OR'ed),
 * AND the boot when asked. 1 when added, 0 when no entry could match it. */
static int add_term(sd_journal *j, const char *const *values, size_t n, const char *boot) {
        const char *v[TERM_MAX];
        size_t m = present(j, values, n, v);
        int r = 0;
        if (m == 0)
                return 0;
        for (size_t i = 0; r >= 0 && i < m; i++)
                r = sd_journal_add_match(j, v[i], 0);
        if (r >= 0 && boot)
                r = sd_journal_add_match(j, boot, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        return r < 0 ? r : 1;
}

/* (_TRANSPORT=kernel) OR (MESSAGE_ID=a|b|…) OR (_SYSTEMD_UNIT=daemon units) OR
 * (SYSLOG_IDENTIFIER=x|y|z), each AND the boot when asked. Who sent an entry
 * is judged per entry (incident_entry_trust), so that a forgery is counted.
 * The number of terms added: 0 when no entry can match (then none is read). */
static int add_matches(sd_journal *j, const char *boot) {
        static const char *const kernel[] = { "_TRANSPORT=kernel" };
        char ids[ELEMENTSOF(message_ids)][64];
        const char *idv[ELEMENTSOF(message_ids)];
        for (size_t i = 0; i < ELEMENTSOF(message_ids); i++) {
                snprintf(ids[i], sizeof ids[i], "MESSAGE_ID=%s", message_ids[i]);
                idv[i] = ids[i];
        }
        const struct { const char *const *v; size_t n; } terms[] = {
                { kernel, ELEMENTSOF(kernel) },
                { idv, ELEMENTSOF(idv) },
                { daemon_units, ELEMENTSOF(daemon_units) },
                { daemon_identifiers, ELEMENTSOF(daemon_identifiers) },
        };
        int added = 0;
        for (size_t i = 0; i < ELEMENTSOF(terms); i++) {
                int r = add_term(j, terms[i].v, terms[i].n, boot);
                if (r < 0)
                        return r;
                added += r;
        }
        return added;
}

struct entry_buf {
        char transport[16], pid[16], uid[16], comm[32], systemd_unit[UNIT_NAME_MAX + 1], boot_id[SD_ID128_STRING_MAX];
        char identifier[32], message_id[40], unit[UNIT_NAME_MAX + 1], result[64], n_restarts[24], exit_code[16];
        char message[MESSAGE_MAX];
        sd_id128_t boot;        /* the boot boot_id holds, formatted once a boot; null at first */
        const void *at;         /* where sd-journal gave the last entry's MESSAGE: in its window, or
                                 * in its buffer when compressed; compared, never read (journal_trim) */
};

/* The fields read, where they go, and whether a longer value is cut (the
 * message) or dropped (a name cut short could be another valid name). */
static const struct field {
        const char *name;
        size_t len;             /* strlen(name) */
        size_t offset, size;
        size_t entry;           /* offsetof the pointer in struct journal_entry */
        bool cut;
} fields[] = {
#define F(n, m, em, c) { n, sizeof n - 1, offsetof(struct entry_buf, m), sizeof ((struct entry_buf *) 0)->m, offsetof(struct journal_entry, em), c }
        F("_TRANSPORT", transport, transport, false),
        F("_PID", pid, pid, false),
        F("_UID", uid, uid, false),
        F("_COMM", comm, comm, false),
        F("_SYSTEMD_UNIT", systemd_unit, systemd_unit, false),
        F("SYSLOG_IDENTIFIER", identifier, identifier, false),
        F("MESSAGE_ID", message_id, message_id, false),
        F("UNIT", unit, unit, false),
        F("UNIT_RESULT", result, unit_result, false),
        F("N_RESTARTS", n_restarts, n_restarts, false),
        F("EXIT_CODE", exit_code, exit_code, false),
        F("MESSAGE", message, message, true),
#undef F
};

/* The field of fields[] named by the K bytes at NAME, or NULL: only those of its length are
 * compared (most names have a length no other has; _BOOT_ID, _HOSTNAME, _MACHINE_ID, which
 * every entry holds, none or one). */
static const struct field *field_named(const char *name, size_t k) {
        static uint16_t by_len[32];     /* bit I: fields[I] has that length; filled at the first call */
        if (!by_len[fields[0].len])
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        by_len[fields[i].len] |= (uint16_t) (1u << i);
        for (unsigned m = k < ELEMENTSOF(by_len) ? by_len[k] : 0; m; m &= m - 1) {
                const struct field *f = &fields[__builtin_ctz(m)];
                if (f->name[0] == name[0] && memcmp(name, f->name, k) == 0)
                        return f;
        }
        return NULL;
}

/* One pass over the entry's fields (sd_journal_get_data() walks them all each call). */
static int read_entry(sd_journal *j, struct entry_buf *b, struct journal_entry *e) {
        const void *d;
        size_t l;
        int r;
        sd_id128_t boot;
        *e = (struct journal_entry) {};
        b->at = NULL;
        if (sd_journal_get_realtime_usec(j, &e->realtime_usec) < 0)
                return 0;
        /* The entry's own header: journald's clock and boot, which _BOOT_ID repeats. */
        if (sd_journal_get_monotonic_usec(j, &e->monotonic_usec, &boot) >= 0 && !sd_id128_is_null(boot)) {
                if (!sd_id128_equal(boot, b->boot)) {
                        sd_id128_to_string(boot, b->boot_id);
                        b->boot = boot;
                }
                e->boot_id = b->boot_id;
        }
        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &d, &l)) > 0) {
                const char *eq = memchr(d, '=', l);
                if (!eq)
                        continue;
                size_t k = (size_t) (eq - (const char *) d), n = l - k - 1;
                const struct field *f = field_named(d, k);
                if (!f)
                        continue;
                if (n >= f->size) {
                        if (!f->cut)
                                continue;       /* dropped: a unit or a name cut short could be another */
                        n = f->size - 1;
                }
                if (!f->cut && memchr(eq + 1, '\0', n))
                        continue;
                char *buf = (char *) b + f->offset;
                memcpy(buf, eq + 1, n);
                buf[n] = '\0';
                *(const char **) ((char *) e + f->entry) = buf;
                if (f->cut) {
                        e->message_len = n;
                        b->at = d;
                }
        }
        return r < 0 ? 0 : 1;
}

/* Whether this user may read the system journal: root, or in adm or systemd-journal. */
static bool may_read_system_journal(void) {
        if (geteuid() == 0)
                return true;
        static const char *const groups[] = { "adm", "systemd-journal", "wheel" };
        gid_t list[256];
        int n = getgroups((int) ELEMENTSOF(list), list);
        for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
                struct group *gr = getgrnam(groups[g]);
                if (!gr)
                        continue;
                if (getegid() == gr->gr_gid)
                        return true;
                for (int i = 0; i < n; i++)
                        if (list[i] == gr->gr_gid)
                                return true;
        }
        return false;
}

static int journal_open(struct host *h, sd_journal **ret, struct journal_error *err) {
        bool live = host_is_live(h);
        int r;
        if (live)
                snprintf(err->path, sizeof err->path, "/var/log/journal");
        else
                snprintf(err->path, sizeof err->path, "%s/var/log/journal",
                         strcmp(host_root(h), "/") == 0 ? "" : host_root(h));
        if (live && !may_read_system_journal()) {
                err->reason = "not root and not in group adm or systemd-journal";
                return -EACCES;
        }
        r = live ? sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM)
                 : sd_journal_open_directory(ret, host_root(h), SD_JOURNAL_OS_ROOT);
        if (r < 0) {
                err->reason = r == -EACCES || r == -EPERM ? "permission denied" : "cannot open it";
                return r;
        }
        /* sd_journal_has_persistent_files() does not see an OS tree's files: ask for their size. */
        uint64_t bytes = 0;
        if (sd_journal_get_usage(*ret, &bytes) < 0 || bytes == 0) {
                err->reason = "no journal files: the journal is volatile or was never persisted "
                              "(Storage=persistent in journald.conf keeps it)";
                sd_journal_close(*ret);
                *ret = NULL;
                return -ENOENT;
        }
        return 0;
}

/* ---- a daemon's victim, by its pid ---- */

/* FIELD's value into BUF (cut at SIZE-1, NUL-terminated); its length, or -1 when absent. */
static ssize_t get_field(sd_journal *j, const char *field, char *buf, size_t size) {
        const void *d;
        size_t l, k = strlen(field);
        if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= k)
                return -1;
        l -= k + 1;
        if (l >= size)
                l = size - 1;
        memcpy(buf, (const char *) d + k + 1, l);
        buf[l] = '\0';
        return (ssize_t) l;
}

#define VICTIM_LOOKBACK 64      /* entries of the pid looked at, newest first */

/* The unit of the process EV names, of its boot, as journald filed the
 * process's own lines before the kill: _PID and _SYSTEMD_UNIT are journald's.
 * A line under another _COMM is another process that had the pid: the search stops. */
static int victim_unit(sd_journal *v, const struct event *ev, char *ret, size_t size) {
        char m[64];
        sd_id128_t boot;
        bool mono = *ev->boot && sd_id128_from_string(ev->boot, &boot) >= 0;
        int r;
        sd_journal_flush_matches(v);
        snprintf(m, sizeof m, "_PID=%d", (int) ev->pid);
        if ((r = sd_journal_add_match(v, m, 0)) < 0)
                return r;
        if (*ev->boot) {
                snprintf(m, sizeof m, "_BOOT_ID=%s", ev->boot);
                if ((r = sd_journal_add_match(v, m, 0)) < 0)
                        return r;
        }
        /* Before the kill on its boot's monotonic clock: the wall clock may have stepped. */
        r = mono ? sd_journal_seek_monotonic_usec(v, boot, ev->mono_usec) : sd_journal_seek_realtime_usec(v, ev->time_usec);
        if (r < 0)
                return r;
        for (int i = 0; i < VICTIM_LOOKBACK && (r = sd_journal_previous(v)) > 0; i++) {
                char comm[32], unit[UNIT_NAME_MAX + 2];
                uint64_t t;
                sd_id128_t b;
                if (mono ? sd_journal_get_monotonic_usec(v, &t, &b) < 0 || t > ev->mono_usec :
                           sd_journal_get_realtime_usec(v, &t) < 0 || t > ev->time_usec)
                        continue;
                if (*ev->comm && (get_field(v, "_COMM", comm, sizeof comm) < 0 || strcmp(comm, ev->comm) != 0))
                        return 0;
                ssize_t n = get_field(v, "_SYSTEMD_UNIT", unit, sizeof unit);
                const char *type = n > 0 && (size_t) n <= UNIT_NAME_MAX ? unit_name_type(unit) : NULL;
                if (!type || strncmp(unit, "user@", 5) == 0 ||
                    (strcmp(type, ".service") != 0 && strcmp(type, ".scope") != 0))
                        return 0;
                if ((size_t) n >= size)
                        return 0;
                memcpy(ret, unit, (size_t) n + 1);
                return 1;
        }
        return r < 0 ? r : 0;
}

/* ---- a memory-limit kill: the limit's peak ---- */

static void limit_peaks(struct host *h, struct incident_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                struct incident *in = &l->items[i];
                _cleanup_free_ char *path = NULL, *s = NULL;
                size_t len;
                if (in->killer != KILLER_MEMORY_LIMIT || !in->limit || in->limit[0] != '/' ||
                    strstr(in->limit, "/.") || strchr(in->limit, '\n'))
                        continue;
                if (asprintf(&path, "/sys/fs/cgroup%s/memory.peak", in->limit) < 0)
                        return;
                if (host_read_file(h, path, 64, &s, &len) < 0)
                        continue;
                char *end;
                errno = 0;
                unsigned long long v = strtoull(s, &end, 10);
                if (errno == 0 && end != s && v > 0 && v <= INT64_MAX)
                        in->peak_bytes = v;
        }
}

/* ---- the walk: streaming, memory bounded ---- */

struct reader {
        struct host *h;
        sd_journal *j;
        sd_journal *victims;    /* the daemons' victims looked up by pid; opened at the first */
        const char *boot;       /* "_BOOT_ID=…" or NULL */
        bool empty;             /* no entry can match: none is read */
        struct journal_trim *trim;      /* memory follows the incidents, not the entries read */
};

/* Every entry (of the boot when asked): the tests' yardstick for the matches. */
static int add_no_matches(sd_journal *j, const char *boot) {
        int r = boot ? sd_journal_add_match(j, boot, 0) : 0;
        return r < 0 ? r : 1;
}

static int reader_open(struct reader *rd, uint64_t since, bool read_all, struct journal_error *err) {
        int r = journal_open(rd->h, &rd->j, err);
        if (r < 0)
                return r;
        /* A longer field comes cut to this: the message is cut at MESSAGE_MAX anyway. */
        (void) sd_journal_set_data_threshold(rd->j, MESSAGE_MAX + 64);
        if ((r = read_all ? add_no_matches(rd->j, rd->boot) : add_matches(rd->j, rd->boot)) < 0 ||
            (rd->empty = r == 0, false) ||
            (r = since ? sd_journal_seek_realtime_usec(rd->j, since) : sd_journal_seek_head(rd->j)) < 0) {
                err->reason = "cannot read it";
                return r;
        }
        rd->trim = journal_trim_new();
        return rd->trim ? 0 : -ENOMEM;
}

static void reader_close(struct reader *rd) {
        if (rd->j)
                sd_journal_close(rd->j);
        if (rd->victims)
                sd_journal_close(rd->victims);
        rd->j = rd->victims = NULL;
        rd->trim = journal_trim_free(rd->trim);
}

/* The next entry: 1, 0 at the end, -errno. AT: where the last entry's data lay (entry_buf). */
static int reader_next(struct reader *rd, const void *at, struct journal_error *err) {
        if (rd->empty)
                return 0;
        journal_trim_step_at(rd->trim, at);
        int r = sd_journal_next(rd->j);
        if (r < 0)
                err->reason = "cannot read it";
        return r;
}

/* One entry read: judged, parsed, a daemon's victim looked up, correlated. */
static int reader_take(struct reader *rd, struct entry_buf *buf, const struct incident_options *o,
                       struct incident_builder *b, size_t *ignored) {
        struct journal_entry e;
        struct event ev;
        struct journal_error verr;
        if (read_entry(rd->j, buf, &e) <= 0 || e.realtime_usec < o->since_usec)
                return 0;
        if (o->until_usec && e.realtime_usec > o->until_usec)
                return 1;       /* past --until: done */
        if (incident_entry_trust(&e) == ENTRY_FORGED) {
                (*ignored)++;
                return 0;
        }
        if (incident_parse_entry(&e, &ev) <= 0)
                return 0;
        if (ev.kind == EVENT_DAEMON_KILL && ev.pid && !*ev.unit) {
                if (!rd->victims && journal_open(rd->h, &rd->victims, &verr) < 0)
                        rd->victims = NULL;
                if (rd->victims && victim_unit(rd->victims, &ev, ev.unit, sizeof ev.unit) < 0)
                        ev.unit[0] = '\0';
        }
        int r = incident_builder_add(b, &ev);
        return r < 0 ? r : 0;
}

int incidents_load(struct host *h, const struct incident_options *o,
                   struct incident_list *ret, struct journal_error *err) {
        _cleanup_(incident_builder_freep) struct incident_builder *b = NULL;
        char boot[42];
        int r;

        *err = (struct journal_error) {};
        if (o->this_boot && (r = boot_match(h, boot)) < 0) {
                snprintf(err->path, sizeof err->path, "%s/proc/sys/kernel/random/boot_id",
                         strcmp(host_root(h), "/") == 0 ? "" : host_root(h));
                err->reason = "--boot needs the running system's boot id";
                return r;
        }
        _cleanup_free_ struct entry_buf *buf = calloc(1, sizeof *buf);
        if (!buf || incident_builder_new(&b) < 0)
                return -ENOMEM;
        struct reader rd = { .h = h, .boot = o->this_boot ? boot : NULL };
        size_t ignored = 0, read = 0;
        r = reader_open(&rd, o->since_usec, o->read_all, err);
        while (r >= 0 && (r = reader_next(&rd, buf->at, err)) > 0 && ++read &&
               (r = reader_take(&rd, buf, o, b, &ignored)) == 0)
                ;
        reader_close(&rd);
        if (r < 0)
                return r;
        r = incident_builder_finish(b, o->unit, ret);
        if (r < 0)
                return r;
        ret->ignored = ignored;
        ret->read = read;
        limit_peaks(h, ret);
        return 0;
}

/* --since/--until, as journalctl takes them (local time), plus relative -2h/-7d. */
int parse_journal_time(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        const uint64_t usec = 1000000ULL;
        if (!s || !*s)
                return -EINVAL;
        if (strcmp(s, "now") == 0) {
                *ret_usec = now_usec;
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') {
                uint64_t sec;
                if (parse_duration(s + 1, &sec) < 0 || sec > UINT64_MAX / usec)
                        return -EINVAL;
                uint64_t d = sec * usec;
                if (s[0] == '-')
                        *ret_usec = d > now_usec ? 0 : now_usec - d;
                else
                        *ret_usec = now_usec + d;
                return 0;
        }

        struct tm tm = {};
        time_t now = (time_t) (now_usec / usec);
        if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
                gmtime_r(&now, &tm);
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                if (s[0] == 'y')
                        tm.tm_mday--;
        } else {
                const char *formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
                bool ok = false;
                for (size_t i = 0; !ok && i < ELEMENTSOF(formats); i++) {
                        tm = (struct tm) {};
                        const char *end = strptime(s, formats[i], &tm);
                        ok = end && *end == '\0';
                }
                if (!ok)
                        return -EINVAL;
        }
        /* UTC, as incidents prints its times: one time zone in and out, whatever TZ says. */
        tm.tm_isdst = 0;
        time_t t = timegm(&tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret_usec = (uint64_t) t * usec;
        return 0;
}
