/* SPDX-License-Identifier: MIT */
/* incidents: who wrote each journal entry (journald's own fields, on real
 * journal files with forged entries next to real ones: tests/fixtures/journal/trust),
 * and real journals whose wall clock jumps (tests/fixtures/journal/clock). The
 * correlation event by event: test-incidents-build.c. */
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
#include "fixture-incidents.h"
#include "journal/incidents.h"
#include "cmd/incidents-output.h"
#include "systemd/unitname.h"
#include "text/cleanup.h"

#define MACHINE "5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a"
#define BOOT2 "5555eeee-6666-ffff-7777-000088889999"
#define B2 "5555eeee6666ffff7777000088889999"      /* BOOT2 as journald writes _BOOT_ID */
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

/* A real journal (tests/fixtures/journal/clock, written by systemd-journal-remote)
 * whose wall clock jumps: one entry stamped 3 h ahead, the clock stepped 2 h
 * forward, then 3 h back, and a reboot whose wall clock is behind the boot
 * before. The loops are those of the boots' monotonic clocks, and earlyoom's
 * victim is found by the node line before the kill on its boot's clock. */
static void test_clock_journal(void **state) {
        char *root = journal_root("clock");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = {};
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 6);
        const struct incident *clk = find_unit(&l, "clk.service"), *step = find_unit(&l, "step.service");
        assert_non_null(clk);
        assert_int_equal(clk->restarts, 4);
        assert_int_equal(clk->time_usec, T0 * USEC);
        assert_int_equal(clk->last_usec, (T0 + 30) * USEC);
        assert_int_equal(clk->outcome, OUTCOME_STOPPED);       /* the reboot */
        assert_non_null(step);
        assert_int_equal(step->restarts, 4);
        assert_int_equal(step->last_usec, (T0 + 7330) * USEC);
        size_t back = 0;
        long long counts[3] = {};
        uint64_t firsts[3] = {};
        enum outcome outcomes[3] = {};
        const struct incident *kill = NULL;
        for (size_t i = 0; i < l.n; i++) {
                const struct incident *in = &l.items[i];
                if (in->killer == KILLER_EARLYOOM)
                        kill = in;
                else if (in->unit && strcmp(in->unit, "back.service") == 0 && back < 3) {
                        counts[back] = in->restarts;
                        firsts[back] = in->time_usec;
                        outcomes[back++] = in->outcome;
                }
        }
        /* Oldest first on the wall clock: the second boot's (behind), then the
         * first boot's after the step back, then those before it. */
        assert_int_equal(back, 3);
        assert_int_equal(counts[0], 3);
        assert_int_equal(outcomes[0], OUTCOME_RESTARTED);     /* the second boot's, at the end */
        assert_int_equal(firsts[0], (T0 + 1015) * USEC);
        assert_int_equal(counts[1], 7);                       /* systemd's counter went on */
        assert_int_equal(firsts[1], (T0 + 2030) * USEC);
        assert_int_equal(outcomes[1], OUTCOME_STOPPED);       /* after the quiet hour, ended by the reboot */
        assert_int_equal(counts[2], 4);
        assert_int_equal(firsts[2], (T0 + 7400) * USEC);
        assert_int_equal(outcomes[2], OUTCOME_RESTARTED);     /* ended by the quiet hour */
        assert_non_null(kill);
        assert_int_equal(kill->pid, 6400);
        assert_non_null(kill->unit);
        assert_string_equal(kill->unit, "web.service");
        incident_list_release(&l);

        /* The second boot alone: its own loop. */
        fixture_write(root, "/proc/sys/kernel/random/boot_id", BOOT2 "\n");
        o.this_boot = true;
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.items[0].unit, "back.service");
        assert_int_equal(l.items[0].restarts, 3);
        incident_list_release(&l);
        fixture_remove(root);
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
        static const char *const names[] = { "kills", "trust", "hostile", "quiet", "clock" };
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trust_by_journald_fields),
                cmocka_unit_test(test_forged_entries_are_not_reported),
                cmocka_unit_test(test_forged_journal_reaches_no_plan),
                cmocka_unit_test(test_clock_journal),
                cmocka_unit_test(test_matches_lose_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
