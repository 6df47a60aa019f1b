/* SPDX-License-Identifier: MIT */
/* incidents: who wrote each journal entry (journald's own fields, on real
 * journal files with forged entries next to real ones: tests/fixtures/journal/trust),
 * and the correlation of events into incidents, event by event. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <systemd/sd-journal.h>

#include "fixture-check.h"
#include "journal/incidents.h"
#include "cmd/incidents-output.h"
#include "systemd/unitname.h"
#include "text/cleanup.h"

#define MACHINE "5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a"
#define BOOT2 "5555eeee-6666-ffff-7777-000088889999"
#define T0 1795168800ULL        /* 2026-11-20 10:00:00 UTC, the first kill of kills.journal */
#define USEC 1000000ULL

/* A root whose /var/log/journal holds the fixture journal NAME (none when NULL). */
static char *journal_root(const char *name) {
        char *root = fixture_new();
        fixture_mkdir(root, "/var/log/journal/" MACHINE);
        if (name) {
                char *cmd;
                assert_true(asprintf(&cmd, "gzip -dc '%s/journal/%s.journal.gz' > '%s/var/log/journal/" MACHINE "/system.journal'",
                                     fixture_dir(), name, root) > 0);
                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
        return root;
}

static int load(const char *root, const struct incident_options *o, struct incident_list *l, struct journal_error *err) {
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        int r = incidents_load(h, o, l, err);
        host_free(h);
        return r;
}

static const struct incident *find_unit(const struct incident_list *l, const char *unit) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].unit && strcmp(l->items[i].unit, unit) == 0)
                        return &l->items[i];
        return NULL;
}

static int parse_kernel(const char *msg, struct event *ev) {
        struct journal_entry e = { .realtime_usec = 1, .transport = "kernel", .message = msg, .message_len = strlen(msg) };
        return incident_parse_entry(&e, ev);
}

/* A daemon's line as journald files it: from its own unit and process. */
/* ---- who wrote it: real entries next to forged ones (tests/fixtures/journal/trust) ---- */

#define EXPLOIT_UNIT "a\n[Service]\nExecStartPre=/bin/sh -c 'id >/tmp/pwned'\n#/../../../../../../../../etc/systemd/system/ssh.service"

static void test_trust_by_journald_fields(void **state) {
        struct event ev;
        const char *kill = "sending SIGKILL to process 1 uid 0 \"sshd\": badness 1, VmRSS 1 MiB";
        struct journal_entry e = { .realtime_usec = 1, .transport = "syslog", .identifier = "earlyoom",
                                   .pid = "4000", .uid = "33", .comm = "logger", .systemd_unit = "webapp.service",
                                   .message = kill, .message_len = strlen(kill) };
        assert_int_equal(incident_entry_trust(&e), ENTRY_FORGED);
        assert_int_equal(incident_parse_entry(&e, &ev), 0);
        e.systemd_unit = "earlyoom.service";            /* its unit, not its process */
        assert_int_equal(incident_entry_trust(&e), ENTRY_FORGED);
        e.comm = "earlyoom";                            /* DynamicUser=: any uid */
        e.uid = "61871";
        assert_int_equal(incident_entry_trust(&e), ENTRY_TRUSTED);
        assert_int_equal(incident_parse_entry(&e, &ev), 1);
        e.identifier = "systemd-oomd";                  /* the identifier says nothing either way */
        assert_int_equal(incident_parse_entry(&e, &ev), 1);
        assert_int_equal(ev.killer, KILLER_EARLYOOM);

        struct journal_entry u = { .realtime_usec = 1, .transport = "journal", .message_id = "fe6faa94e7774663a0da52717891d8ef",
                                   .pid = "4001", .uid = "33", .unit = "replica.service" };
        assert_int_equal(incident_entry_trust(&u), ENTRY_FORGED);
        u.pid = "1";
        assert_int_equal(incident_entry_trust(&u), ENTRY_FORGED);      /* _PID=1 of a user's own namespace? no: _UID too */
        u.uid = "0";
        assert_int_equal(incident_entry_trust(&u), ENTRY_TRUSTED);
        assert_int_equal(incident_parse_entry(&u, &ev), 1);
        u.unit = EXPLOIT_UNIT;                          /* PID 1 never names a unit so: not an event */
        assert_int_equal(incident_parse_entry(&u, &ev), 0);
        u.message_id = "0123456789abcdef0123456789abcdef";
        assert_int_equal(incident_entry_trust(&u), ENTRY_UNCLAIMED);

        struct journal_entry k = { .realtime_usec = 1, .transport = "syslog", .identifier = "kernel", .uid = "33",
                                   .message = "Out of memory: Killed process 1 (sshd) total-vm:1kB, anon-rss:1kB, UID:0",
                                   .message_len = 70 };
        assert_int_equal(incident_parse_entry(&k, &ev), 0);
        k.transport = "kernel";
        assert_int_equal(incident_parse_entry(&k, &ev), 1);
}

static void test_forged_entries_are_not_reported(void **state) {
        char *root = journal_root("trust");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = {};
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 2);
        /* 3 logger -t lines, 9 logger --journald entries, a shell in earlyoom.service, nobody's 2. */
        assert_int_equal(l.ignored, 15);
        /* The tmux pane's node: no pid or cgroup ties it to logrotate.service, which ended 4 s later. */
        assert_int_equal(l.items[0].killer, KILLER_EARLYOOM);
        assert_int_equal(l.items[0].pid, 6300);
        assert_string_equal(l.items[0].comm, "node");
        assert_null(l.items[0].unit);
        assert_null(find_unit(&l, "logrotate.service"));
        const struct incident *rep = find_unit(&l, "replica.service");
        assert_non_null(rep);
        assert_int_equal(rep->killer, KILLER_OOMD);
        assert_int_equal(rep->outcome, OUTCOME_RESTARTED);
        assert_int_equal(rep->restarts, 1);
        for (size_t i = 0; i < l.n; i++)
                assert_true(!l.items[i].unit || unit_name_is_valid(l.items[i].unit));

        char *text = NULL;
        size_t tlen = 0;
        FILE *f = open_memstream(&text, &tlen);
        assert_int_equal(incidents_render_text(&l, true, f), 0);
        fclose(f);
        assert_non_null(strstr(text, "ignored 15 journal entries"));
        assert_null(strstr(text, "db.service"));
        assert_null(strstr(text, "sshd"));
        free(text);
        incident_list_release(&l);
        fixture_remove(root);
}

/* The measured exploit: nobody's two entries with UNIT= "a\n[Service]\nExecStartPre=…\n#/../…/ssh.service"
 * made root's fix write /etc/systemd/system/ssh.service.d/50-hostfit-restart.conf. No finding, no plan. */
static void test_forged_journal_reaches_no_plan(void **state) {
        char *root = journal_root("trust");
        fixture_write(root, CONFIG_PATH, "[restart-storm]\nwindow = 100000d\n[oom-kills]\nwindow = 100000d\n");
        fixture_write(root, "/etc/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n");
        fixture_write(root, "/etc/systemd/system/db.service", "[Service]\nExecStart=/usr/bin/db\nRestart=no\n");
        fixture_write(root, "/etc/systemd/system/replica.service", "[Service]\nExecStart=/usr/bin/replica\nRestart=always\nRestartSec=5s\n");
        static const char *const ids[] = { "restart-storm", "oom-kills" };
        for (size_t c = 0; c < 2; c++) {
                struct run x;
                run_check(&x, root, ids[c]);
                for (size_t i = 0; i < x.cr->n_findings; i++) {
                        const struct finding *f = x.cr->findings[i];
                        assert_null(strstr(f->subject, "ssh"));
                        assert_null(strstr(f->subject, "db.service"));
                        assert_null(strstr(f->message, "sshd"));
                        assert_null(strchr(f->subject, '\n'));
                        if (c == 0 && f->status != STATUS_PASS && f->status != STATUS_SKIP)
                                fail_msg("restart-storm: %s: %s", f->subject, f->message);
                }
                if (x.cr->check->fix) {
                        struct plan *p = run_plan(&x);
                        assert_int_equal(plan_size(p), 0);
                        plan_free(p);
                }
                run_free(&x);
        }
        fixture_remove(root);
}

/* ---- correlation, event by event ---- */

static struct event unit_event(enum event_kind kind, uint64_t sec, const char *unit, const char *result,
                               long long n, const char *boot) {
        struct event ev = { .kind = kind, .time_usec = sec * USEC, .uid = -1, .n_restarts = n };
        snprintf(ev.unit, sizeof ev.unit, "%s", unit);
        snprintf(ev.result, sizeof ev.result, "%s", result ? result : "");
        snprintf(ev.boot, sizeof ev.boot, "%s", boot);
        return ev;
}

#define B1 "1111aaaa2222bbbb3333cccc4444dddd"
#define B2 "5555eeee6666ffff7777000088889999"

static void build(const struct event *evs, size_t n, struct incident_list *l) {
        struct incident_builder *b = NULL;
        assert_int_equal(incident_builder_new(&b), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(incident_builder_add(b, &evs[i]), 0);
        assert_int_equal(incident_builder_finish(b, NULL, l), 0);
        incident_builder_free(b);
}

static void test_loop_outcomes(void **state) {
        struct incident_list l;
        /* Restarted 41 times by systemd's counter (the first 37 before the window), then the admin stopped it. */
        struct event a[] = {
                unit_event(EVENT_UNIT_RESTART, 100, "x.service", NULL, 38, B1),
                unit_event(EVENT_UNIT_EXIT, 101, "x.service", "exited", -1, B1),
                unit_event(EVENT_UNIT_RESTART, 102, "x.service", NULL, 39, B1),
                unit_event(EVENT_UNIT_RESTART, 104, "x.service", NULL, 40, B1),
                unit_event(EVENT_UNIT_RESTART, 106, "x.service", NULL, 41, B1),
                unit_event(EVENT_UNIT_RESULT, 200, "x.service", "success", -1, B1),
        };
        build(a, ELEMENTSOF(a), &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].outcome, OUTCOME_STOPPED);
        assert_int_equal(l.items[0].restarts, 41);
        incident_list_release(&l);

        /* Three restarts in one boot, three in the next: two loops, the first ended by the reboot. */
        struct event b[] = {
                unit_event(EVENT_UNIT_RESTART, 100, "y.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESTART, 101, "y.service", NULL, 2, B1),
                unit_event(EVENT_UNIT_RESTART, 102, "y.service", NULL, 3, B1),
                unit_event(EVENT_UNIT_RESTART, 130, "y.service", NULL, 1, B2),
                unit_event(EVENT_UNIT_RESTART, 131, "y.service", NULL, 2, B2),
                unit_event(EVENT_UNIT_RESTART, 132, "y.service", NULL, 3, B2),
                unit_event(EVENT_UNIT_RESULT, 133, "y.service", "exit-code", -1, B2),
        };
        build(b, ELEMENTSOF(b), &l);
        assert_int_equal(l.n, 2);
        assert_int_equal(l.items[0].outcome, OUTCOME_STOPPED);
        assert_int_equal(l.items[0].restarts, 3);
        assert_int_equal(l.items[1].outcome, OUTCOME_START_LIMIT);
        incident_list_release(&l);

        /* The clock stepped back between restarts: the loop never ends before it began. */
        struct event c[] = {
                unit_event(EVENT_UNIT_RESTART, 1000, "z.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESTART, 500, "z.service", NULL, 2, B1),
                unit_event(EVENT_UNIT_RESTART, 501, "z.service", NULL, 3, B1),
        };
        build(c, ELEMENTSOF(c), &l);
        assert_int_equal(l.n, 1);
        assert_true(l.items[0].last_usec >= l.items[0].time_usec);
        incident_list_release(&l);

        /* One entry stamped hours ahead (a clock stepped forward and back) closes no loop:
         * the restarts after it still count with those before. */
        struct event ahead = { .kind = EVENT_KERNEL_SWAP, .time_usec = 9000 * USEC, .uid = -1, .n_restarts = -1, .boot = B1 };
        struct event e[] = {
                unit_event(EVENT_UNIT_RESTART, 100, "x.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESTART, 110, "x.service", NULL, 2, B1),
                ahead,
                unit_event(EVENT_UNIT_RESTART, 120, "x.service", NULL, 3, B1),
                unit_event(EVENT_UNIT_RESTART, 130, "x.service", NULL, 4, B1),
        };
        build(e, ELEMENTSOF(e), &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].restarts, 4);
        incident_list_release(&l);

        /* Two quiet hours do not change an outcome: a loop still "restarted" is
         * stopped by the reboot after them, or ended by its unit's next restart;
         * a loop at its start limit stays there. */
        struct event quiet = { .kind = EVENT_KERNEL_SWAP, .time_usec = 7200 * USEC, .uid = -1, .n_restarts = -1, .boot = B1 };
        struct event reboot = quiet;
        reboot.time_usec = 8000 * USEC;
        memcpy(reboot.boot, B2, sizeof reboot.boot);
        struct event d[] = {
                unit_event(EVENT_UNIT_RESTART, 100, "y.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESTART, 101, "y.service", NULL, 2, B1),
                unit_event(EVENT_UNIT_RESTART, 102, "y.service", NULL, 3, B1),
                unit_event(EVENT_UNIT_RESTART, 103, "u.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESTART, 104, "u.service", NULL, 2, B1),
                unit_event(EVENT_UNIT_RESTART, 105, "u.service", NULL, 3, B1),
                unit_event(EVENT_UNIT_RESTART, 106, "v.service", NULL, 1, B1),
                unit_event(EVENT_UNIT_RESULT, 107, "v.service", "exit-code", -1, B1),
                unit_event(EVENT_UNIT_RESTART, 108, "w.service", NULL, 1, B1),
                quiet,
                unit_event(EVENT_UNIT_RESTART, 7300, "u.service", NULL, 1, B1),
                reboot,
        };
        build(d, ELEMENTSOF(d), &l);
        assert_int_equal(l.n, 3);
        assert_int_equal(find_unit(&l, "y.service")->outcome, OUTCOME_STOPPED);
        assert_int_equal(find_unit(&l, "u.service")->outcome, OUTCOME_RESTARTED);
        assert_int_equal(find_unit(&l, "u.service")->restarts, 3);
        assert_int_equal(find_unit(&l, "v.service")->outcome, OUTCOME_START_LIMIT);
        assert_null(find_unit(&l, "w.service"));
        incident_list_release(&l);
}

/* A kill is another unit's only by pid or cgroup: a clean end nearby is no victim. */
static void test_kill_not_pinned_by_time(void **state) {
        struct incident_list l;
        struct event k = { .kind = EVENT_DAEMON_KILL, .time_usec = 100 * USEC, .killer = KILLER_EARLYOOM,
                           .pid = 6300, .uid = 1000, .n_restarts = -1, .comm = "node", .boot = B1 };
        struct event ev[] = {
                k,
                unit_event(EVENT_UNIT_RESULT, 104, "logrotate.service", "success", -1, B1),
                unit_event(EVENT_UNIT_EXIT, 104, "cron.service", "killed", -1, B1),
                unit_event(EVENT_UNIT_RESTART, 105, "cron.service", NULL, 1, B1),
        };
        build(ev, ELEMENTSOF(ev), &l);
        assert_int_equal(l.n, 1);
        assert_null(l.items[0].unit);
        assert_int_equal(l.items[0].pid, 6300);
        assert_int_equal(l.items[0].outcome, OUTCOME_GONE);
        assert_string_equal(l.items[0].prevent, "unmanaged-service");
        incident_list_release(&l);

        /* An event with an invalid unit (from a caller other than the parser) is dropped. */
        struct event bad = unit_event(EVENT_UNIT_RESTART, 1, "x.service", NULL, 1, B1);
        memcpy(bad.unit, EXPLOIT_UNIT, sizeof EXPLOIT_UNIT);
        struct event bads[] = { bad, bad, bad, bad };
        build(bads, ELEMENTSOF(bads), &l);
        assert_int_equal(l.n, 0);
        incident_list_release(&l);
}

/* Linear: the work per event does not grow with the events before it. 50k
 * kills of distinct pids and 50k restarts of distinct units finish; sizes never go negative. */
static void test_many_events_and_huge_sizes(void **state) {
        struct incident_builder *b = NULL;
        assert_int_equal(incident_builder_new(&b), 0);
        for (int i = 0; i < 50000; i++) {
                struct event k = { .kind = EVENT_KERNEL_KILLED, .time_usec = (uint64_t) i * 1000, .killer = KILLER_KERNEL,
                                   .pid = 1000 + i, .uid = 1, .n_restarts = -1, .rss_bytes = 1, .boot = B1 };
                assert_int_equal(incident_builder_add(b, &k), 0);
                char u[32];
                snprintf(u, sizeof u, "u%d.service", i);
                struct event r = unit_event(EVENT_UNIT_RESTART, (uint64_t) i / 1000, u, NULL, 1, B1);
                assert_int_equal(incident_builder_add(b, &r), 0);
        }
        struct incident_list l;
        assert_int_equal(incident_builder_finish(b, NULL, &l), 0);
        incident_builder_free(b);
        assert_int_equal(l.n, 50000);           /* one restart each is no loop */
        incident_list_release(&l);

        struct event ev;
        assert_int_equal(parse_kernel("Out of memory: Killed process 5 (x) total-vm:1kB, anon-rss:18014398509481983kB, "
                                      "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:0", &ev), 1);
        assert_int_equal(ev.rss_bytes, 0);      /* past INT64_MAX bytes: unknown, never negative in JSON */
}

/* ---- the matches lose nothing; memory follows the incidents ---- */

static bool streq_null(const char *a, const char *b) {
        return a == b || (a && b && strcmp(a, b) == 0);
}

static void assert_same_incident(const struct incident *x, const struct incident *y) {
        assert_int_equal(x->time_usec, y->time_usec);
        assert_int_equal(x->last_usec, y->last_usec);
        assert_int_equal(x->killer, y->killer);
        assert_int_equal(x->pid, y->pid);
        assert_int_equal(x->uid, y->uid);
        assert_int_equal(x->rss_bytes, y->rss_bytes);
        assert_int_equal(x->limit_bytes, y->limit_bytes);
        assert_int_equal(x->restarts, y->restarts);
        assert_int_equal(x->peak_bytes, y->peak_bytes);
        assert_int_equal(x->outcome, y->outcome);
        assert_true(streq_null(x->comm, y->comm));
        assert_true(streq_null(x->cgroup, y->cgroup));
        assert_true(streq_null(x->unit, y->unit));
        assert_true(streq_null(x->limit, y->limit));
        assert_true(streq_null(x->prevent, y->prevent));
        assert_true(streq_null(x->advice, y->advice));
}

/* FIELD's value into BUF (NUL-terminated), or NULL when the entry has none. */
static const char *entry_field(sd_journal *j, const char *field, char *buf, size_t size) {
        const void *d;
        size_t l, k = strlen(field);
        if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= k)
                return NULL;
        l -= k + 1;
        assert_true(l < size);
        memcpy(buf, (const char *) d + k + 1, l);
        buf[l] = '\0';
        return buf;
}

/* Walk every entry of ROOT's journal (of BOOT when not NULL), with no match:
 * how many there are, and how many claim to be from the kernel, systemd or an
 * OOM daemon, judged by incident_entry_trust() on journald's fields. */
static size_t count_claimed(const char *root, const char *boot, size_t *ret_all) {
        sd_journal *j = NULL;
        size_t all = 0, claimed = 0;
        assert_int_equal(sd_journal_open_directory(&j, root, SD_JOURNAL_OS_ROOT), 0);
        if (boot) {
                char m[64];
                snprintf(m, sizeof m, "_BOOT_ID=%s", boot);
                assert_int_equal(sd_journal_add_match(j, m, 0), 0);
        }
        assert_int_equal(sd_journal_seek_head(j), 0);
        while (sd_journal_next(j) > 0) {
                char b[7][256];
                struct journal_entry e = {
                        .realtime_usec = 1,
                        .transport = entry_field(j, "_TRANSPORT", b[0], sizeof b[0]),
                        .pid = entry_field(j, "_PID", b[1], sizeof b[1]),
                        .uid = entry_field(j, "_UID", b[2], sizeof b[2]),
                        .comm = entry_field(j, "_COMM", b[3], sizeof b[3]),
                        .systemd_unit = entry_field(j, "_SYSTEMD_UNIT", b[4], sizeof b[4]),
                        .identifier = entry_field(j, "SYSLOG_IDENTIFIER", b[5], sizeof b[5]),
                        .message_id = entry_field(j, "MESSAGE_ID", b[6], sizeof b[6]),
                };
                all++;
                if (incident_entry_trust(&e) != ENTRY_UNCLAIMED)
                        claimed++;
        }
        sd_journal_close(j);
        *ret_all = all;
        return claimed;
}

/* The matches (kernel, systemd's catalogue ids, the daemons' units and the
 * identifiers forgers claim) read exactly the entries that claim to be from
 * the kernel, systemd or an OOM daemon, and lose none: on every fixture
 * journal, whole and for one boot, the incidents, field by field, and the
 * forgeries counted are those of a walk over every entry. */
static void test_matches_lose_nothing(void **state) {
        static const char *const names[] = { "kills", "trust", "hostile", "quiet" };
        size_t skipped = 0;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                for (int this_boot = 0; this_boot <= 1; this_boot++) {
                        char *root = journal_root(names[i]);
                        fixture_write(root, "/proc/sys/kernel/random/boot_id", BOOT2 "\n");
                        struct incident_list m = {}, a = {};
                        struct journal_error err;
                        struct incident_options o = { .this_boot = this_boot };
                        assert_int_equal(load(root, &o, &m, &err), 0);
                        o.read_all = true;
                        assert_int_equal(load(root, &o, &a, &err), 0);
                        size_t all, claimed = count_claimed(root, this_boot ? B2 : NULL, &all);
                        assert_int_equal(m.read, claimed);
                        assert_int_equal(a.read, all);
                        assert_true(m.read <= a.read);
                        skipped += a.read - m.read;
                        assert_int_equal(m.ignored, a.ignored);
                        assert_int_equal(m.n, a.n);
                        for (size_t k = 0; k < m.n; k++)
                                assert_same_incident(&m.items[k], &a.items[k]);
                        incident_list_release(&m);
                        incident_list_release(&a);
                        fixture_remove(root);
                }
        assert_true(skipped > 0);       /* the services' own lines are not read */
}

/* Memory follows the incidents, not the events: a journal's worth of swap
 * lines, process exits, clean stops and single restarts of transient units
 * (run-uN.service, 20 every two hours: no loop) holds no more than its kills
 * and the units that restarted in the last hour, at 20k events as at 200k.
 * Counted, not timed. */
static void test_memory_follows_incidents(void **state) {
        for (int size = 20000; size <= 200000; size *= 10) {
                struct incident_builder *b = NULL;
                assert_int_equal(incident_builder_new(&b), 0);
                for (int i = 0; i < size; i++) {
                        uint64_t sec = T0 + (uint64_t) i;
                        char u[32];
                        struct event ev;
                        snprintf(u, sizeof u, "run-u%d.service", i % 7200 < 20 ? i : i % 20);
                        if (i % 10000 == 5000)
                                ev = (struct event) { .kind = EVENT_KERNEL_KILLED, .time_usec = sec * USEC,
                                                      .killer = KILLER_KERNEL, .pid = 100000 + i, .uid = 1,
                                                      .n_restarts = -1, .rss_bytes = 1, .boot = B1 };
                        else if (i % 7200 < 20)
                                ev = unit_event(EVENT_UNIT_RESTART, sec, u, NULL, 1, B1);
                        else if (i % 3 == 0)
                                ev = unit_event(EVENT_UNIT_EXIT, sec, u, "exited", -1, B1);
                        else if (i % 3 == 1)
                                ev = unit_event(EVENT_UNIT_RESULT, sec, u, "success", -1, B1);
                        else
                                ev = (struct event) { .kind = EVENT_KERNEL_SWAP, .time_usec = sec * USEC, .uid = -1,
                                                      .n_restarts = -1, .boot = B1 };
                        assert_int_equal(incident_builder_add(b, &ev), 0);
                }
                struct incident_list l;
                assert_int_equal(incident_builder_finish(b, NULL, &l), 0);
                incident_builder_free(b);
                assert_int_equal(l.n, size / 10000);
                assert_true(l.held_max <= l.n + 20);
                incident_list_release(&l);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trust_by_journald_fields),
                cmocka_unit_test(test_forged_entries_are_not_reported),
                cmocka_unit_test(test_forged_journal_reaches_no_plan),
                cmocka_unit_test(test_loop_outcomes),
                cmocka_unit_test(test_kill_not_pinned_by_time),
                cmocka_unit_test(test_many_events_and_huge_sizes),
                cmocka_unit_test(test_matches_lose_nothing),
                cmocka_unit_test(test_memory_follows_incidents),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
