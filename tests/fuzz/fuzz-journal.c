/* SPDX-License-Identifier: MIT */
/* Journal entries in export format (FIELD=value lines, or FIELD\n<le64 size><bytes>\n;
 * a blank line ends an entry), as incidents_load() hands them over: judged by
 * who sent them, parsed, and correlated into incidents. Whatever the entries
 * hold, no entry that journald's fields do not bear out becomes an event, and
 * every unit name that comes out is one systemd would accept.
 * Then the incidents go through restart-storm and its fix as on a running host whose
 * manager confirms every one (each service gets a unit file in the scratch root): each
 * drop-in planned lies inside /etc/systemd/system for that unit and parses back to
 * exactly the restart keys intended (tests/fuzz/dropin-check.h), nothing else. */
#include "dropin-check.h"
#include "check.h"
#include "host/host.h"
#include "journal/incidents.h"
#include "plan/plan.h"
#include "registry.h"
#include "report.h"
#include "systemd/unitstate.h"

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

static uint64_t number(const uint8_t *v, size_t n) {
        uint64_t t = 0;
        for (size_t i = 0; i < n && v[i] >= '0' && v[i] <= '9' && t < UINT64_MAX / 10 - 9; i++)
                t = t * 10 + (uint64_t) (v[i] - '0');
        return t;
}

/* The two clocks of the entry's header, as any values: the wall clock may step
 * either way, and a hostile file may hold a monotonic clock that goes back too. */
static void set_field(struct parsed *p, const char *name, size_t k, const uint8_t *v, size_t n) {
        if (k == 20 && memcmp(name, "__REALTIME_TIMESTAMP", 20) == 0) {
                p->e.realtime_usec = number(v, n);
                return;
        }
        if (k == 21 && memcmp(name, "__MONOTONIC_TIMESTAMP", 21) == 0) {
                p->e.monotonic_usec = number(v, n);
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


/* ---- the entries' incidents through restart-storm, a manager confirming them ---- */

#define UNITS_MAX 32

static struct incident_list cur;       /* this input's incidents */
static const char *svc[UNITS_MAX];     /* the services among them (borrowed from cur) */
static bool svc_killed[UNITS_MAX];
static size_t n_svc;
static unsigned cur_version;

static bool is_service(const char *u) {
        size_t n = u ? strlen(u) : 0;
        return n > 8 && strcmp(u + n - 8, ".service") == 0;
}

/* The manager: a killed service failed with oom-kill, the others restarting. */
static int fake_list(const struct host *h, struct unit_live **ret, size_t *ret_n) {
        (void) h;
        struct unit_live *v = calloc(n_svc + 1, sizeof(*v));
        if (!v)
                abort();
        for (size_t i = 0; i < n_svc; i++) {
                v[i].name = strdup(svc[i]);
                v[i].active_state = strdup(svc_killed[i] ? "failed" : "activating");
                v[i].sub_state = strdup(svc_killed[i] ? "failed" : "auto-restart");
                v[i].result = svc_killed[i] ? strdup("oom-kill") : NULL;
                v[i].n_restarts = 13;
                if (!v[i].name || !v[i].active_state || !v[i].sub_state)
                        abort();
        }
        *ret = v;
        *ret_n = n_svc;
        return 0;
}

static int fake_version(const struct host *h, unsigned *ret) {
        (void) h;
        *ret = cur_version;
        return 0;
}

/* The journal: a deep copy of this input's incidents. */
static int fake_journal(struct host *h, const struct incident_options *o, struct incident_list *ret) {
        (void) h, (void) o;
        *ret = (struct incident_list) { .items = calloc(cur.n + 1, sizeof(*ret->items)), .n = cur.n };
        if (!ret->items)
                abort();
        for (size_t i = 0; i < cur.n; i++) {
                struct incident *d = incident_dup(&cur.items[i]);
                if (!d)
                        abort();
                ret->items[i] = *d;
                free(d);
        }
        return 0;
}

static void unit_path(const char *name, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, DROPIN_UNIT_DIR "%s", name) >= size)
                abort();
}

/* A unit file for each service: killed ones Restart=no, the others restarting each second. */
static void write_units(void) {
        static const char storm[] = "[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=1s\n";
        static const char down[] = "[Service]\nExecStart=/bin/false\n";
        char path[512];
        for (size_t i = 0; i < n_svc; i++) {
                unit_path(svc[i], path, sizeof(path));
                if (svc_killed[i])
                        fuzz_write(path, (const uint8_t *) down, sizeof(down) - 1);
                else
                        fuzz_write(path, (const uint8_t *) storm, sizeof(storm) - 1);
        }
}

static void remove_units(void) {
        char path[512], full[1024];
        for (size_t i = 0; i < n_svc; i++) {
                unit_path(svc[i], path, sizeof(path));
                snprintf(full, sizeof(full), "%s%s", fuzz_root(), path);
                if (unlink(full) < 0 && errno != ENOENT)
                        abort();
        }
}

/* Each finding's plan writes its own drop-in only, holding what the finding intends. */
static void plan_restart_storm(void) {
        struct host *h = NULL;
        struct report *r = NULL;
        char *ids[] = { (char *) "restart-storm" };
        if (host_open(fuzz_root(), &h) < 0 || report_new(&r) < 0 || report_run_checks(r, h, ids, 1) < 0)
                abort();
        const struct check_result *cr = report_check(r, 0);
        for (size_t i = 0; i < cr->n_findings; i++) {
                const struct finding *f = cr->findings[i];
                const struct restart_data *d = f->data;
                if (f->status != STATUS_WARN && f->status != STATUS_FAIL)
                        continue;
                if (!d || strcmp(f->subject, d->unit) != 0)
                        abort();
                assert_dropin_path(d->unit, d->dropin);
                struct plan *p = NULL;
                if (plan_new(h, &p) < 0 || cr->check->fix->plan(h, f, p) < 0)
                        abort();
                for (size_t k = 0; k < plan_size(p); k++) {
                        const struct action *a = plan_action(p, k);
                        if (a->kind == ACTION_WRITE_FILE) {
                                if (d->manual || strcmp(a->path, d->dropin) != 0)
                                        abort();
                                assert_dropin_text(d->unit, a->content, a->content_len, &d->d, NULL);
                        } else if (a->kind == ACTION_SYSTEMD) {
                                if (a->op != SYSTEMD_DAEMON_RELOAD)
                                        abort();        /* nothing restarted or enabled */
                        } else if (a->kind != ACTION_MANUAL && a->kind != ACTION_REMOVE)
                                abort();
                }
                plan_free(p);
        }
        report_free(r);
        host_free(h);
}

static void collect_services(void) {
        n_svc = 0;
        for (size_t i = 0; i < cur.n; i++) {
                const struct incident *in = &cur.items[i];
                size_t k = 0;
                if (!is_service(in->unit))
                        continue;
                while (k < n_svc && strcmp(svc[k], in->unit) != 0)
                        k++;
                if (k == n_svc) {
                        if (n_svc == UNITS_MAX)
                                continue;
                        svc[n_svc] = in->unit;
                        svc_killed[n_svc++] = false;
                }
                if (in->killer != KILLER_NONE)
                        svc_killed[k] = true;
        }
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
        cur = l;
        collect_services();
        if (n_svc) {
                cur_version = size % 2 ? 254 : 252;
                unit_state_set_hooks(fake_list, fake_version);
                restart_storm_set_journal_hook(fake_journal);
                write_units();
                plan_restart_storm();
                remove_units();
        }
        incident_list_release(&l);
        cur = (struct incident_list) { 0 };
        return 0;
}
