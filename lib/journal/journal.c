/* SPDX-License-Identifier: MIT */
/* Reading the journal through sd-journal: matches on the kernel, systemd's
 * catalogue ids and the OOM daemons, a seek to --since, and only those entries
 * read (as journalctl does); each entry handed to incident_parse_entry(). */
#include <errno.h>
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
static const char *const daemons[] = { "earlyoom", "systemd-oomd", "nohang" };

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

/* (_TRANSPORT=kernel) OR (MESSAGE_ID=a|b|…) OR (SYSLOG_IDENTIFIER=x|y|z), each AND the boot when asked. */
static int add_matches(sd_journal *j, const char *boot) {
        int r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r >= 0 && boot)
                r = sd_journal_add_match(j, boot, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(message_ids); i++) {
                char m[64];
                snprintf(m, sizeof m, "MESSAGE_ID=%s", message_ids[i]);
                r = sd_journal_add_match(j, m, 0);
        }
        if (r >= 0 && boot)
                r = sd_journal_add_match(j, boot, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(daemons); i++) {
                char m[64];
                snprintf(m, sizeof m, "SYSLOG_IDENTIFIER=%s", daemons[i]);
                r = sd_journal_add_match(j, m, 0);
        }
        if (r >= 0 && boot)
                r = sd_journal_add_match(j, boot, 0);
        return r < 0 ? r : 0;
}

/* FIELD's value into BUF (cut at SIZE-1, NUL-terminated); its length, or -1 when absent.
 * Copied: the next sd_journal_get_data() may move what it points to. */
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

struct entry_buf {
        char transport[16], identifier[32], message_id[40], unit[256], result[64], n_restarts[24], exit_code[16];
        char message[MESSAGE_MAX];
};

static int read_entry(sd_journal *j, struct entry_buf *b, struct journal_entry *e) {
        *e = (struct journal_entry) {};
        if (sd_journal_get_realtime_usec(j, &e->realtime_usec) < 0)
                return 0;
        if (get_field(j, "MESSAGE_ID", b->message_id, sizeof b->message_id) >= 0) {
                e->message_id = b->message_id;
                if (get_field(j, "UNIT", b->unit, sizeof b->unit) >= 0)
                        e->unit = b->unit;
                if (get_field(j, "UNIT_RESULT", b->result, sizeof b->result) >= 0)
                        e->unit_result = b->result;
                if (get_field(j, "N_RESTARTS", b->n_restarts, sizeof b->n_restarts) >= 0)
                        e->n_restarts = b->n_restarts;
                if (get_field(j, "EXIT_CODE", b->exit_code, sizeof b->exit_code) >= 0)
                        e->exit_code = b->exit_code;
                return 1;
        }
        if (get_field(j, "_TRANSPORT", b->transport, sizeof b->transport) >= 0)
                e->transport = b->transport;
        if (!e->transport || strcmp(e->transport, "kernel") != 0)
                if (get_field(j, "SYSLOG_IDENTIFIER", b->identifier, sizeof b->identifier) >= 0)
                        e->identifier = b->identifier;
        ssize_t n = get_field(j, "MESSAGE", b->message, sizeof b->message);
        if (n < 0)
                return 0;
        e->message = b->message;
        e->message_len = (size_t) n;
        return 1;
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

int incidents_load(struct host *h, const struct incident_options *o,
                   struct incident_list *ret, struct journal_error *err) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
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
        if ((r = journal_open(h, &j, err)) < 0)
                return r;
        if ((r = add_matches(j, o->this_boot ? boot : NULL)) < 0 ||
            (r = o->since_usec ? sd_journal_seek_realtime_usec(j, o->since_usec) : sd_journal_seek_head(j)) < 0 ||
            (r = incident_builder_new(&b)) < 0) {
                err->reason = "cannot read it";
                return r;
        }

        _cleanup_free_ struct entry_buf *buf = malloc(sizeof *buf);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                r = sd_journal_next(j);
                if (r < 0) {
                        err->reason = "cannot read it";
                        return r;
                }
                if (r == 0)
                        break;
                struct journal_entry e;
                struct event ev;
                if (read_entry(j, buf, &e) <= 0)
                        continue;
                if (e.realtime_usec < o->since_usec)
                        continue;
                if (o->until_usec && e.realtime_usec > o->until_usec)
                        break;
                if (incident_parse_entry(&e, &ev) > 0 && (r = incident_builder_add(b, &ev)) < 0)
                        return r;
        }
        return incident_builder_finish(b, o->unit, ret);
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
                localtime_r(&now, &tm);
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
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t) -1 || t < 0)
                return -EINVAL;
        *ret_usec = (uint64_t) t * usec;
        return 0;
}
