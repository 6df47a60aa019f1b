/* SPDX-License-Identifier: MIT */
/* Journal entries in export format (FIELD=value lines, or FIELD\n<le64 size><bytes>\n;
 * a blank line ends an entry), as incidents_load() hands them over: judged by
 * who sent them, parsed, and correlated into incidents. Whatever the entries
 * hold, no entry that journald's fields do not bear out becomes an event, and
 * every unit name that comes out is one systemd would accept. */
#include "fuzz.h"
#include "journal/incidents.h"
#include "systemd/unitname.h"

#define FIELDS_MAX 16

struct parsed {
        struct journal_entry e;
        char *values[FIELDS_MAX];       /* owned, NUL-terminated copies */
        size_t n;
};

static const char **slot(struct journal_entry *e, const char *name, size_t k) {
#define S(n, m) if (k == strlen(n) && memcmp(name, n, k) == 0) return &e->m
        S("_TRANSPORT", transport); S("_PID", pid); S("_UID", uid); S("_SYSTEMD_UNIT", systemd_unit);
        S("_COMM", comm); S("_BOOT_ID", boot_id); S("SYSLOG_IDENTIFIER", identifier);
        S("MESSAGE_ID", message_id); S("MESSAGE", message); S("UNIT", unit); S("UNIT_RESULT", unit_result);
        S("N_RESTARTS", n_restarts); S("EXIT_CODE", exit_code);
#undef S
        return NULL;
}

static void set_field(struct parsed *p, const char *name, size_t k, const uint8_t *v, size_t n) {
        if (k == 20 && memcmp(name, "__REALTIME_TIMESTAMP", 20) == 0) {
                uint64_t t = 0;
                for (size_t i = 0; i < n && v[i] >= '0' && v[i] <= '9' && t < UINT64_MAX / 10 - 9; i++)
                        t = t * 10 + (uint64_t) (v[i] - '0');
                p->e.realtime_usec = t;
                return;
        }
        const char **dst = slot(&p->e, name, k);
        if (!dst || p->n == FIELDS_MAX)
                return;
        char *copy = malloc(n + 1);
        if (!copy)
                abort();
        memcpy(copy, v, n);
        copy[n] = '\0';
        p->values[p->n++] = copy;
        *dst = copy;
        if (dst == &p->e.message)
                p->e.message_len = n;
}

/* One entry from [*POS, END); false at the end of the input. */
static bool next_entry(const uint8_t *d, size_t size, size_t *pos, struct parsed *p) {
        memset(p, 0, sizeof *p);
        if (*pos >= size)
                return false;
        while (*pos < size && d[*pos] != '\n') {
                const uint8_t *line = d + *pos, *nl = memchr(line, '\n', size - *pos);
                size_t len = nl ? (size_t) (nl - line) : size - *pos;
                const uint8_t *eq = memchr(line, '=', len);
                if (eq) {
                        set_field(p, (const char *) line, (size_t) (eq - line), eq + 1, len - (size_t) (eq - line) - 1);
                        *pos += len + 1;
                        continue;
                }
                /* FIELD\n, a little-endian 64-bit size, the bytes, \n */
                size_t at = *pos + len + 1;
                if (at + 8 > size) {
                        *pos = size;
                        break;
                }
                uint64_t n = 0;
                for (int i = 7; i >= 0; i--)
                        n = n << 8 | d[at + (size_t) i];
                if (n > size - at - 8) {
                        *pos = size;
                        break;
                }
                set_field(p, (const char *) line, len, d + at + 8, (size_t) n);
                *pos = at + 8 + (size_t) n + 1;
        }
        if (*pos < size)
                (*pos)++;
        return true;
}

static void release(struct parsed *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->values[i]);
}

static void assert_unit(const char *u) {
        if (u && *u && !unit_name_is_valid(u))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct incident_builder *b = NULL;
        if (incident_builder_new(&b) < 0)
                abort();
        size_t pos = 0;
        struct parsed p;
        while (next_entry(data, size, &pos, &p)) {
                struct event ev;
                enum entry_trust t = incident_entry_trust(&p.e);
                int r = incident_parse_entry(&p.e, &ev);
                if (r != 0 && r != 1)
                        abort();
                if (r == 1 && t != ENTRY_TRUSTED)
                        abort();
                if (r == 1) {
                        assert_unit(ev.unit);
                        if ((int64_t) ev.rss_bytes < 0 || (int64_t) ev.limit_bytes < 0)
                                abort();
                        if (incident_builder_add(b, &ev) < 0)
                                abort();
                }
                release(&p);
        }
        struct incident_list l;
        if (incident_builder_finish(b, NULL, &l) < 0)
                abort();
        incident_builder_free(b);
        for (size_t i = 0; i < l.n; i++) {
                const struct incident *in = &l.items[i];
                assert_unit(in->unit);
                if (in->last_usec < in->time_usec || (int64_t) in->rss_bytes < 0 || in->restarts < -1)
                        abort();
                if (in->killer == KILLER_NONE && !in->unit)
                        abort();
        }
        incident_list_release(&l);
        return 0;
}
