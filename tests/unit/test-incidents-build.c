/* SPDX-License-Identifier: MIT */
/* incidents: the correlation of events into incidents, event by event
 * (lib/journal/incidents-build.c). Every event carries the stamps a real journal
 * gives it: its wall clock, its boot and that boot's monotonic clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture-incidents.h"
#include "journal/incidents.h"
#include "text/cleanup.h"

#define T0 1795168800ULL        /* 2026-11-20 10:00:00 UTC */
#define USEC 1000000ULL
#define EXPLOIT_UNIT "a\n[Service]\nExecStartPre=/bin/sh -c 'id >/tmp/pwned'\n#/../../../../../../../../etc/systemd/system/ssh.service"

/* ---- correlation, event by event ---- */

#define B1 "1111aaaa2222bbbb3333cccc4444dddd"
#define B2 "5555eeee6666ffff7777000088889999"
/* When the events' boots began on their wall clock (seconds): an event's
 * monotonic stamp is the time since, as journald stamps it, unless a test
 * says the wall clock stepped (stamp()). */
#define B1_START 0
#define B2_START 120

/* EV at wall clock REAL and monotonic MONO (seconds) of BOOT. */
static struct event stamp(struct event ev, const char *boot, uint64_t real, uint64_t mono) {
        ev.time_usec = real * USEC;
        ev.mono_usec = mono * USEC;
        snprintf(ev.boot, sizeof ev.boot, "%s", boot);
        return ev;
}

static struct event unit_event(enum event_kind kind, uint64_t sec, const char *unit, const char *result,
                               long long n, const char *boot) {
        struct event ev = { .kind = kind, .uid = -1, .n_restarts = n };
        snprintf(ev.unit, sizeof ev.unit, "%s", unit);
        snprintf(ev.result, sizeof ev.result, "%s", result ? result : "");
        uint64_t start = strcmp(boot, B2) == 0 ? B2_START : B1_START;
        return stamp(ev, boot, sec, sec > start ? sec - start : 0);
}

/* A restart of UNIT (counter N) at wall clock REAL, monotonic MONO of BOOT. */
static struct event restart_at(const char *unit, long long n, const char *boot, uint64_t real, uint64_t mono) {
        return stamp(unit_event(EVENT_UNIT_RESTART, real, unit, NULL, n, boot), boot, real, mono);
}

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

        /* The wall clock stepped back 500 s between restarts, 10 s apart on the
         * boot's clock: one loop, which never ends before it began. */
        struct event c[] = {
                restart_at("z.service", 1, B1, 1000, 1000),
                restart_at("z.service", 2, B1, 510, 1010),
                restart_at("z.service", 3, B1, 511, 1011),
        };
        build(c, ELEMENTSOF(c), &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].restarts, 3);
        assert_int_equal(l.items[0].time_usec, 1000 * USEC);
        assert_true(l.items[0].last_usec >= l.items[0].time_usec);
        incident_list_release(&l);

        /* One entry stamped hours ahead on the wall clock (in its place on the
         * boot's clock) closes no loop: the restarts after it still count with those before. */
        struct event ahead = stamp((struct event) { .kind = EVENT_KERNEL_SWAP, .uid = -1, .n_restarts = -1 },
                                   B1, 9000, 115);
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

        /* The wall clock stepped 2 h forward for good between restarts 10 s apart: one loop. */
        struct event f[] = {
                restart_at("f.service", 1, B1, 100, 100),
                restart_at("f.service", 2, B1, 110, 110),
                restart_at("f.service", 3, B1, 7320, 120),
                restart_at("f.service", 4, B1, 7330, 130),
        };
        build(f, ELEMENTSOF(f), &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].restarts, 4);
        assert_int_equal(l.items[0].time_usec, 100 * USEC);
        assert_int_equal(l.items[0].last_usec, 7330 * USEC);
        incident_list_release(&l);

        /* The wall clock stepped 3 h back, then 90 quiet minutes that it (still
         * behind the restarts before the step) does not show: the quiet hour
         * on the boot's clock ends the loop, and the next restarts are another. */
        struct event g[] = {
                restart_at("g.service", 1, B1, 7400, 100),
                restart_at("g.service", 2, B1, 7410, 110),
                restart_at("g.service", 3, B1, 3820, 120),
                restart_at("g.service", 4, B1, 3830, 130),
                restart_at("g.service", 1, B1, 9230, 5530),
                restart_at("g.service", 2, B1, 9240, 5540),
                restart_at("g.service", 3, B1, 9250, 5550),
        };
        build(g, ELEMENTSOF(g), &l);
        assert_int_equal(l.n, 2);
        assert_int_equal(l.items[0].time_usec, 7400 * USEC);     /* oldest first, on the wall clock */
        assert_int_equal(l.items[0].restarts, 4);
        assert_int_equal(l.items[1].time_usec, 9230 * USEC);
        assert_int_equal(l.items[1].restarts, 3);
        incident_list_release(&l);

        /* Two quiet hours do not change an outcome: a loop still "restarted" is
         * stopped by the reboot after them, or ended by its unit's next restart;
         * a loop at its start limit stays there. */
        struct event quiet = stamp((struct event) { .kind = EVENT_KERNEL_SWAP, .uid = -1, .n_restarts = -1 },
                                   B1, 7200, 7200);
        struct event reboot = stamp(quiet, B2, 8000, 30);
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

        /* Two boots: the second's wall clock is behind the first's (no RTC), its
         * monotonic clock starts again near 0. The reboot stopped the first loop;
         * the second is its own, measured on its own boot's clock. A kill of the
         * first boot is no outcome's for the second. */
        struct event kill = stamp((struct event) { .kind = EVENT_KERNEL_KILLED, .killer = KILLER_KERNEL, .pid = 4242,
                                                   .uid = 0, .n_restarts = -1, .unit = "h.service" }, B1, 3050, 3050);
        struct event h[] = {
                restart_at("h.service", 1, B1, 3000, 3000),
                restart_at("h.service", 2, B1, 3010, 3010),
                restart_at("h.service", 3, B1, 3020, 3020),
                kill,
                restart_at("h.service", 1, B2, 60, 10),
                restart_at("h.service", 2, B2, 70, 20),
                restart_at("h.service", 3, B2, 4000, 30),         /* its clock set by NTP: no quiet hour */
                restart_at("h.service", 4, B2, 4010, 40),
        };
        build(h, ELEMENTSOF(h), &l);
        assert_int_equal(l.n, 3);
        const struct incident *first = NULL, *second = NULL, *k = NULL;
        for (size_t i = 0; i < l.n; i++) {
                const struct incident *in = &l.items[i];
                if (in->killer != KILLER_NONE)
                        k = in;
                else if (in->time_usec == 3000 * USEC)
                        first = in;
                else
                        second = in;
        }
        assert_non_null(first);
        assert_non_null(second);
        assert_non_null(k);
        assert_int_equal(first->restarts, 3);
        assert_int_equal(first->outcome, OUTCOME_STOPPED);
        assert_int_equal(second->time_usec, 60 * USEC);
        assert_int_equal(second->last_usec, 4010 * USEC);
        assert_int_equal(second->restarts, 4);
        assert_int_equal(second->outcome, OUTCOME_RESTARTED);
        assert_int_equal(k->outcome, OUTCOME_RUNNING);             /* a service, nothing restarted it in its boot */
        incident_list_release(&l);
}

/* A kill is another unit's only by pid or cgroup: a clean end nearby is no victim. */
static void test_kill_not_pinned_by_time(void **state) {
        struct incident_list l;
        struct event k = stamp((struct event) { .kind = EVENT_DAEMON_KILL, .killer = KILLER_EARLYOOM,
                                                .pid = 6300, .uid = 1000, .n_restarts = -1, .comm = "node" }, B1, 100, 100);
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

/* Two boots' entries interleaved, as the journal orders them when the second boot's wall
 * clock started behind the first's end: each boot's crash loop is whole, and the first boot's
 * ends as a reboot ends it. */
static void test_loops_of_interleaved_boots(void **state) {
        (void) state;
        struct incident_list l;
        struct event a[] = {
                restart_at("x.service", 1, B1, 1000, 500),
                restart_at("y.service", 1, B2, 1001, 5),
                restart_at("x.service", 2, B1, 1002, 502),
                restart_at("y.service", 2, B2, 1003, 7),
                restart_at("x.service", 3, B1, 1004, 504),
                restart_at("y.service", 3, B2, 1005, 9),
                restart_at("x.service", 4, B1, 1006, 506),
                restart_at("y.service", 4, B2, 1007, 11),
        };
        build(a, ELEMENTSOF(a), &l);
        assert_int_equal(l.n, 2);
        const struct incident *x = find_unit(&l, "x.service"), *y = find_unit(&l, "y.service");
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->restarts, 4);
        assert_int_equal(x->outcome, OUTCOME_STOPPED);
        assert_int_equal(y->restarts, 4);
        assert_int_equal(y->outcome, OUTCOME_RESTARTED);
        incident_list_release(&l);

        /* The boot before's loop, quiet for hours of the wall clock while the next boot's
         * loop goes on: stopped by the reboot, the next boot's still restarting. */
        struct event b[] = {
                restart_at("x.service", 1, B1, 1000, 500),
                restart_at("x.service", 2, B1, 1001, 501),
                restart_at("x.service", 3, B1, 1002, 502),
                restart_at("y.service", 1, B2, 9000, 8000),
                restart_at("y.service", 2, B2, 9001, 8001),
                restart_at("y.service", 3, B2, 9002, 8002),
        };
        build(b, ELEMENTSOF(b), &l);
        assert_int_equal(l.n, 2);
        x = find_unit(&l, "x.service"), y = find_unit(&l, "y.service");
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->restarts, 3);
        assert_int_equal(x->outcome, OUTCOME_STOPPED);
        assert_int_equal(y->restarts, 3);
        assert_int_equal(y->outcome, OUTCOME_RESTARTED);
        incident_list_release(&l);
}

/* The kernel's lines of one kill, and systemd's restart after it, are measured on
 * the boot's clock: a wall clock stepped 2 h forward between them splits nothing. */
static void test_kill_measured_on_the_boot_clock(void **state) {
        struct incident_list l;
        struct event summary = stamp((struct event) { .kind = EVENT_KERNEL_SUMMARY, .killer = KILLER_KERNEL, .pid = 4242,
                                                      .uid = 0, .n_restarts = -1, .comm = "node",
                                                      .cgroup = "/system.slice/web.service", .unit = "web.service" },
                                     B1, 100, 100);
        struct event killed = stamp((struct event) { .kind = EVENT_KERNEL_KILLED, .killer = KILLER_KERNEL, .pid = 4242,
                                                     .uid = 0, .n_restarts = -1, .rss_bytes = 4096, .comm = "node" },
                                    B1, 7300, 100);
        struct event ev[] = {
                summary,
                killed,
                stamp(unit_event(EVENT_UNIT_RESULT, 0, "web.service", "oom-kill", -1, B1), B1, 7301, 101),
                restart_at("web.service", 1, B1, 7302, 102),
        };
        build(ev, ELEMENTSOF(ev), &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].pid, 4242);
        assert_int_equal(l.items[0].rss_bytes, 4096);
        assert_int_equal(l.items[0].time_usec, 100 * USEC);
        assert_int_equal(l.items[0].outcome, OUTCOME_RESTARTED);
        assert_int_equal(l.items[0].restarts, 1);
        incident_list_release(&l);
}

/* Linear: the work per event does not grow with the events before it. 50k
 * kills of distinct pids and 50k restarts of distinct units finish; sizes never go negative. */
static void test_many_events_and_huge_sizes(void **state) {
        struct incident_builder *b = NULL;
        assert_int_equal(incident_builder_new(&b), 0);
        for (int i = 0; i < 50000; i++) {
                struct event k = { .kind = EVENT_KERNEL_KILLED, .time_usec = (uint64_t) i * 1000,
                                   .mono_usec = (uint64_t) i * 1000, .killer = KILLER_KERNEL,
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
                        ev.mono_usec = (uint64_t) (i + 60) * USEC;    /* B1 began a minute before the first */
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
                cmocka_unit_test(test_loop_outcomes),
                cmocka_unit_test(test_kill_not_pinned_by_time),
                cmocka_unit_test(test_kill_measured_on_the_boot_clock),
                cmocka_unit_test(test_loops_of_interleaved_boots),
                cmocka_unit_test(test_many_events_and_huge_sizes),
                cmocka_unit_test(test_memory_follows_incidents),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
