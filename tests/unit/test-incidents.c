/* SPDX-License-Identifier: MIT */
/* incidents: the entry parser on the exact lines, and incidents_load() on real
 * journal files (tests/fixtures/journal/NAME.journal.gz, written by
 * systemd-journal-remote from export format: see regen.py there). */
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

#include "fixture-check.h"
#include "fixture-proc.h"
#include "fixture-incidents.h"
#include "journal/incidents.h"
#include "cmd/incidents-output.h"
#include "cmd/output-metrics.h"
#include "text/strbuf.h"

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

/* ---- the parser on single entries ---- */

/* A daemon's line as journald files it: from its own unit and process. */
static int parse_daemon(const char *ident, const char *msg, size_t len, struct event *ev) {
        char unit[64];
        snprintf(unit, sizeof unit, "%s.service", ident);
        struct journal_entry e = { .realtime_usec = 1, .transport = "stdout", .identifier = ident,
                                   .pid = "712", .uid = "61871", .systemd_unit = unit,
                                   .comm = strcmp(ident, "nohang") == 0 ? "python3" : ident,
                                   .message = msg, .message_len = len };
        return incident_parse_entry(&e, ev);
}

static void test_parse_kernel_summary_memcg(void **state) {
        struct event ev;
        assert_int_equal(parse_kernel("oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
                                      "oom_memcg=/system.slice/a.service,task_memcg=/system.slice/a.service/sub,"
                                      "task=py,thon,pid=12,uid=998", &ev), 1);
        assert_int_equal(ev.kind, EVENT_KERNEL_SUMMARY);
        assert_int_equal(ev.killer, KILLER_MEMORY_LIMIT);
        assert_int_equal(ev.pid, 12);
        assert_int_equal(ev.uid, 998);
        assert_string_equal(ev.comm, "py,thon");
        assert_string_equal(ev.cgroup, "/system.slice/a.service/sub");
        assert_string_equal(ev.limit, "/system.slice/a.service");
        assert_string_equal(ev.unit, "a.service");
}

static void test_parse_kernel_killed_global(void **state) {
        struct event ev;
        assert_int_equal(parse_kernel("Out of memory: Killed process 4242 (Web Content) total-vm:1843212kB, "
                                      "anon-rss:912344kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:2048kB "
                                      "oom_score_adj:0", &ev), 1);
        assert_int_equal(ev.kind, EVENT_KERNEL_KILLED);
        assert_int_equal(ev.killer, KILLER_KERNEL);
        assert_int_equal(ev.pid, 4242);
        assert_string_equal(ev.comm, "Web Content");
        assert_int_equal(ev.rss_bytes, 912344ULL * 1024);
        assert_int_equal(ev.uid, 1000);
        assert_int_equal(parse_kernel("Memory cgroup out of memory: Killed process 5 (x) total-vm:1kB, anon-rss:2kB, "
                                      "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:0", &ev), 1);
        assert_int_equal(ev.killer, KILLER_MEMORY_LIMIT);
}

static void test_parse_kernel_rejects_malformed(void **state) {
        struct event ev;
        assert_int_equal(parse_kernel("Out of memory: Killed process abc (x) total-vm:1kB", &ev), 0);
        assert_int_equal(parse_kernel("Out of memory: Killed process 0 (x)", &ev), 0);
        assert_int_equal(parse_kernel("oom-kill:constraint=CONSTRAINT_NONE,task=x,pid=5", &ev), 0);
        assert_int_equal(parse_kernel("oom-kill:constraint=CONSTRAINT_NONE,task_memcg=/,task=x,pid=99999999999,uid=0", &ev), 0);
        assert_int_equal(parse_kernel("usb 1-1: new high-speed USB device", &ev), 0);
        /* A daemon's line from the kernel is not the daemon's. */
        assert_int_equal(parse_kernel("sending SIGTERM to process 1 uid 0 \"x\": badness 1, VmRSS 1 MiB", &ev), 0);
}

static void test_parse_memcg_limit_and_swap(void **state) {
        struct event ev;
        assert_int_equal(parse_kernel("memory: usage 65536kB, limit 65536kB, failcnt 120", &ev), 1);
        assert_int_equal(ev.kind, EVENT_KERNEL_MEMCG);
        assert_int_equal(ev.limit_bytes, 64ULL << 20);
        assert_int_equal(parse_kernel("Total swap = 0kB", &ev), 1);
        assert_int_equal(ev.kind, EVENT_KERNEL_SWAP);
        assert_int_equal(ev.limit_bytes, 0);
}

static void test_parse_earlyoom_17_and_18(void **state) {
        struct event ev;
        const char *v17 = "sending SIGTERM to process 6100 uid 33 \"php-fpm8.2\": badness 880, VmRSS 700 MiB";
        assert_int_equal(parse_daemon("earlyoom", v17, strlen(v17), &ev), 1);
        assert_int_equal(ev.killer, KILLER_EARLYOOM);
        assert_int_equal(ev.pid, 6100);
        assert_int_equal(ev.uid, 33);
        assert_string_equal(ev.comm, "php-fpm8.2");
        assert_int_equal(ev.rss_bytes, 700ULL << 20);
        const char *v18 = "sending SIGKILL to process 7 uid 0 \"a\": b\": oom_score 900, oom_score_adj 0, VmRSS 5 MiB, "
                          "cmdline \"x\": badness 1\"";
        assert_int_equal(parse_daemon("earlyoom", v18, strlen(v18), &ev), 1);
        assert_string_equal(ev.comm, "a\": b");
        assert_int_equal(ev.rss_bytes, 5ULL << 20);
        const char *other = "low memory! at or below SIGTERM limits: mem 10.00%, swap 100.00%";
        assert_int_equal(parse_daemon("earlyoom", other, strlen(other), &ev), 0);
}

static void test_parse_oomd_pressure_and_swap(void **state) {
        struct event ev;
        const char *p = "Killed /system.slice/x.service due to memory pressure for /system.slice being 85.23% > 80.00% "
                        "for > 20s with reclaim activity";
        assert_int_equal(parse_daemon("systemd-oomd", p, strlen(p), &ev), 1);
        assert_int_equal(ev.killer, KILLER_OOMD);
        assert_string_equal(ev.cgroup, "/system.slice/x.service");
        assert_string_equal(ev.unit, "x.service");
        assert_string_equal(ev.limit, "memory pressure for /system.slice being 85.23% > 80.00% for > 20s");
        const char *s = "Killed /user.slice/user-1000.slice/session-2.scope due to swap used (2000000) / total (2097148) "
                        "being more than 90.00%";
        assert_int_equal(parse_daemon("systemd-oomd", s, strlen(s), &ev), 1);
        assert_string_equal(ev.unit, "session-2.scope");
        assert_string_equal(ev.limit, "swap used (2000000) / total (2097148) being more than 90.00%");
}

static void test_parse_unit_messages_by_id(void **state) {
        struct event ev;
        struct journal_entry e = { .realtime_usec = 5, .message_id = "5eb03494b6584870a536b337290809b3",
                                   .pid = "1", .uid = "0", .unit = "a.service", .n_restarts = "7", .message = "anything", .message_len = 8 };
        assert_int_equal(incident_parse_entry(&e, &ev), 1);
        assert_int_equal(ev.kind, EVENT_UNIT_RESTART);
        assert_int_equal(ev.n_restarts, 7);
        assert_string_equal(ev.unit, "a.service");
        e.message_id = "d9b373ed55a64feb8242e02dbe79a49c";
        e.unit_result = "start-limit-hit";
        assert_int_equal(incident_parse_entry(&e, &ev), 1);
        assert_int_equal(ev.kind, EVENT_UNIT_RESULT);
        assert_string_equal(ev.result, "start-limit-hit");
        e.unit = NULL;
        assert_int_equal(incident_parse_entry(&e, &ev), 0);
}

/* ---- real journal files ---- */

static void test_load_every_format(void **state) {
        char *root = journal_root("kills");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = {};
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 10);
        for (size_t i = 1; i < l.n; i++)
                assert_true(l.items[i - 1].time_usec <= l.items[i].time_usec);

        const struct incident *k = &l.items[0];
        assert_int_equal(k->killer, KILLER_KERNEL);
        assert_string_equal(k->unit, "session-3.scope");
        assert_int_equal(k->pid, 4242);
        assert_string_equal(k->comm, "node");
        assert_int_equal(k->uid, 1000);
        assert_int_equal(k->rss_bytes, 912344ULL * 1024);
        assert_int_equal(k->outcome, OUTCOME_GONE);
        assert_string_equal(k->prevent, "swap-missing");
        assert_int_equal(k->time_usec, T0 * USEC);

        const struct incident *m = find_unit(&l, "hog.service");
        assert_non_null(m);
        assert_int_equal(m->killer, KILLER_MEMORY_LIMIT);
        assert_int_equal(m->pid, 5001);
        assert_int_equal(m->limit_bytes, 64ULL << 20);
        assert_string_equal(m->limit, "/system.slice/hog.service");
        assert_int_equal(m->outcome, OUTCOME_RESTARTED);
        assert_int_equal(m->restarts, 1);
        assert_null(m->prevent);                /* its MemoryMax= holds: unit-memorymax changes nothing */
        assert_non_null(strstr(m->advice, "raise the memory limit"));

        const struct incident *e17 = find_unit(&l, "php.service");
        assert_non_null(e17);
        assert_int_equal(e17->killer, KILLER_EARLYOOM);
        assert_int_equal(e17->rss_bytes, 700ULL << 20);
        assert_int_equal(e17->outcome, OUTCOME_STOPPED);

        const struct incident *e18 = &l.items[3];
        assert_int_equal(e18->killer, KILLER_EARLYOOM);
        assert_int_equal(e18->pid, 6200);           /* its SIGKILL 10 s later is the same kill */
        assert_string_equal(e18->comm, "bash");
        assert_string_equal(e18->prevent, "wrapper-oom-unprotected");

        const struct incident *od = find_unit(&l, "api.service");
        assert_non_null(od);
        assert_int_equal(od->killer, KILLER_OOMD);
        assert_int_equal(od->outcome, OUTCOME_RESTARTED);
        assert_int_equal(od->restarts, 2);
        const struct incident *os = find_unit(&l, "tmux-spawn-1234.scope");
        assert_non_null(os);
        assert_string_equal(os->prevent, "unmanaged-service");     /* a pane's server, not the tmux server */
        assert_int_equal(os->outcome, OUTCOME_GONE);

        assert_int_equal(l.items[6].killer, KILLER_NOHANG);
        assert_string_equal(l.items[6].comm, "worker");

        /* flaky.service restarted twice: not a loop. bad.service: five, then the
         * restart refused (systemd 252 keeps UNIT_RESULT=exit-code). */
        assert_null(find_unit(&l, "flaky.service"));
        const struct incident *loop = find_unit(&l, "bad.service");
        assert_non_null(loop);
        assert_int_equal(loop->killer, KILLER_NONE);
        assert_int_equal(loop->restarts, 5);
        assert_int_equal(loop->outcome, OUTCOME_START_LIMIT);
        assert_string_equal(loop->prevent, "restart-storm");
        assert_true(loop->last_usec > loop->time_usec);

        /* cache.service: killed, restarted at counter 1; killed again, the restart refused. */
        assert_int_equal(l.items[8].pid, 7001);
        assert_int_equal(l.items[8].outcome, OUTCOME_RESTARTED);
        assert_int_equal(l.items[8].restarts, 1);
        assert_int_equal(l.items[9].pid, 7002);
        assert_string_equal(l.items[9].unit, "cache.service");
        assert_int_equal(l.items[9].outcome, OUTCOME_START_LIMIT);
        incident_list_release(&l);
        fixture_remove(root);
}

static void test_load_since_until_unit(void **state) {
        char *root = journal_root("kills");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = { .since_usec = (T0 + 3600) * USEC, .until_usec = (T0 + 4 * 3600) * USEC };
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 4);                    /* hog, php, bash, api */
        assert_string_equal(l.items[0].unit, "hog.service");
        assert_string_equal(l.items[3].unit, "api.service");
        incident_list_release(&l);

        o = (struct incident_options) { .unit = "hog.service" };
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.items[0].pid, 5001);
        incident_list_release(&l);
        fixture_remove(root);
}

static void test_load_this_boot(void **state) {
        char *root = journal_root("kills");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = { .this_boot = true };
        assert_int_equal(load(root, &o, &l, &err), -ENODATA);     /* no boot id under the root */
        fixture_write(root, "/proc/sys/kernel/random/boot_id", BOOT2 "\n");
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 3);
        assert_string_equal(l.items[0].unit, "bad.service");
        assert_string_equal(l.items[2].unit, "cache.service");
        incident_list_release(&l);
        fixture_remove(root);
}

static void test_load_quiet_and_missing(void **state) {
        char *root = journal_root("quiet");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = {};
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 0);
        incident_list_release(&l);
        fixture_remove(root);

        root = journal_root(NULL);
        assert_int_equal(load(root, &o, &l, &err), -ENOENT);
        assert_non_null(strstr(err.path, "/var/log/journal"));
        assert_non_null(strstr(err.reason, "never persisted"));
        fixture_remove(root);
}

static void test_hostile_bytes_escaped(void **state) {
        char *root = journal_root("hostile");
        struct incident_list l = {};
        struct journal_error err;
        struct incident_options o = {};
        assert_int_equal(load(root, &o, &l, &err), 0);
        assert_int_equal(l.n, 4);       /* the pid past int range is no kill */
        assert_string_equal(l.items[0].comm, "a,b\x1b]0;x\x07");
        assert_string_equal(l.items[2].comm, "x");                     /* cut at the NUL */
        assert_true(strlen(l.items[3].cgroup) < INCIDENT_TEXT_MAX);    /* cut at the bound */

        char *text = NULL, *json = NULL;
        size_t tlen = 0, jlen = 0;
        FILE *f = open_memstream(&text, &tlen);
        assert_int_equal(incidents_render_text(&l, false, f), 0);
        fclose(f);
        f = open_memstream(&json, &jlen);
        assert_int_equal(incidents_render_json(&l, f), 0);
        fclose(f);
        for (size_t i = 0; i < tlen; i++)
                assert_true(text[i] == '\n' || ((unsigned char) text[i] >= 0x20 && text[i] != 0x7f));
        assert_non_null(strstr(text, "a,b\\x1b]0;x\\x07"));
        assert_null(memchr(json, 0x1b, jlen));
        assert_non_null(strstr(json, "\\u001b"));
        free(text);
        free(json);
        incident_list_release(&l);
        fixture_remove(root);
}

static void test_parse_journal_time(void **state) {
        uint64_t t, now = (T0 + 86400) * USEC;
        /* Dates are UTC, as the times incidents prints, whatever the local zone is (here UTC+5). */
        setenv("TZ", "HFT-5", 1);
        tzset();
        assert_int_equal(parse_journal_time("2026-11-20", now, &t), 0);
        assert_int_equal(t, (T0 - 10 * 3600) * USEC);
        assert_int_equal(parse_journal_time("2026-11-20 10:00", now, &t), 0);
        assert_int_equal(t, T0 * USEC);
        assert_int_equal(parse_journal_time("2026-11-20 10:00:30", now, &t), 0);
        assert_int_equal(t, (T0 + 30) * USEC);
        assert_int_equal(parse_journal_time("-2h", now, &t), 0);
        assert_int_equal(t, now - 7200 * USEC);
        assert_int_equal(parse_journal_time("-7d", now, &t), 0);
        assert_int_equal(t, now - 7 * 86400 * USEC);
        assert_int_equal(parse_journal_time("yesterday", now, &t), 0);
        assert_int_equal(t, (T0 - 10 * 3600) * USEC);
        assert_int_equal(parse_journal_time("2026-11-20 25:00", now, &t), -EINVAL);
        assert_int_equal(parse_journal_time("-2x", now, &t), -EINVAL);
        assert_int_equal(parse_journal_time("2026-11-20T10:00", now, &t), -EINVAL);
        assert_int_equal(parse_journal_time("", now, &t), -EINVAL);
}

static void test_check_names_incidents_and_prevent(void **state) {
        char *root = journal_root("kills");
        fixture_write(root, CONFIG_PATH, "[oom-kills]\nwindow = 100000d\n");
        struct run x;
        const struct finding *f;
        run_check(&x, root, "oom-kills");
        assert_int_equal(x.cr->status, STATUS_WARN);
        /* One line per unit and killer: cache.service's two kills are one finding with a count. */
        assert_int_equal(run_count(&x, STATUS_WARN), 9);
        f = run_find(&x, "killed 2 times by the kernel's OOM killer at a cgroup memory limit");
        assert_non_null(f);
        assert_string_equal(f->subject, "cache.service");
        f = run_find(&x, "process 'python3' killed by the kernel's OOM killer at a cgroup memory limit");
        assert_non_null(f);
        assert_string_equal(f->subject, "hog.service");
        assert_non_null(strstr(f->fix, "raise the memory limit above the peak"));
        assert_null(strstr(f->fix, "unit-memorymax"));
        f = run_find(&x, "crash loop");
        assert_non_null(f);
        assert_string_equal(f->subject, "bad.service");
        assert_non_null(strstr(f->message, "start limit"));

        char *prom = NULL;
        size_t plen = 0;
        FILE *p = open_memstream(&prom, &plen);
        assert_int_equal(report_render_prometheus(x.r, p, 0, -1), 0);
        fclose(p);
        assert_non_null(strstr(prom, "hostfit_oom_kills{unit=\"hog.service\",killer=\"memory-limit\"} 1\n"));
        /* a session's scope is folded to its kind: one series for every session, not one a login */
        assert_non_null(strstr(prom, "hostfit_oom_kills{unit=\"session-*.scope\",killer=\"kernel\"} 1\n"));
        assert_null(strstr(prom, "unit=\"session-3.scope\""));
        assert_non_null(strstr(prom, "hostfit_oom_kills{unit=\"cache.service\",killer=\"memory-limit\"} 2\n"));
        assert_null(strstr(prom, "bad.service\",killer"));    /* a crash loop is no kill */
        free(prom);
        run_free(&x);
        fixture_remove(root);
}

static void test_check_window_pass_and_skip(void **state) {
        char *root = journal_root("kills");
        fixture_write(root, CONFIG_PATH, "[oom-kills]\nwindow = 1s\n");   /* the fixture's kills are older */
        struct run x;
        run_check(&x, root, "oom-kills");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);

        root = journal_root(NULL);
        run_check(&x, root, "oom-kills");
        assert_int_equal(x.cr->status, STATUS_SKIP);
        assert_non_null(strstr(x.cr->findings[0]->message, "cannot read the journal"));
        run_free(&x);
        fixture_remove(root);
}

/* [ignore]'s process name matches the killed process's comm as the kernel's or the daemon's
 * entry gave it, never the comm of whatever runs at that pid now: pid 6200 ('bash', killed by
 * earlyoom) is held by a live process named "evil". */
static const struct finding *find_subject(const struct run *x, const char *subject) {
        for (size_t i = 0; i < x->cr->n_findings; i++)
                if (strcmp(x->cr->findings[i]->subject, subject) == 0)
                        return x->cr->findings[i];
        fail_msg("no finding about %s", subject);
        return NULL;
}

static const struct finding *ignore_run(struct run *x, const char *ignore_line, const char *subject) {
        char *root = journal_root("kills"), *conf;
        struct fproc evil = { .pid = 6200, .ppid = 1, .comm = "evil", .argv = { "evil", NULL }, .uid = 1000,
                              .cgroup = "/user.slice/user-1000.slice/session-9.scope", .rss_pages = 100, .start = 100 };
        fproc_write(root, &evil);
        assert_true(asprintf(&conf, "[oom-kills]\nwindow = 100000d\n[ignore]\n%s\n", ignore_line) > 0);
        fixture_write(root, CONFIG_PATH, conf);
        free(conf);
        run_check(x, root, "oom-kills");
        const struct proc_table *t;
        assert_int_equal(host_procs(x->h, &t), 0);
        const struct proc *live = proc_table_find(t, 6200);
        assert_non_null(live);                  /* the host does see "evil" at the dead process's pid */
        assert_string_equal(live->comm, "evil");
        fixture_remove(root);
        return find_subject(x, subject);
}

static void test_check_ignore_matches_killed_comm_not_live_pid(void **state) {
        struct run x;
        const struct finding *f = ignore_run(&x, "oom-kills evil = not ours", "pid 6200");
        assert_string_equal(f->comm, "bash");
        assert_int_equal(f->status, STATUS_WARN);
        assert_null(f->ignored);
        assert_non_null(strstr(f->message, "process 'bash' killed by earlyoom"));
        assert_int_equal(run_count(&x, STATUS_IGNORED), 0);
        run_free(&x);

        f = ignore_run(&x, "oom-kills bash = a known batch job", "pid 6200");
        assert_int_equal(f->status, STATUS_IGNORED);
        assert_string_equal(f->ignored, "a known batch job");
        assert_null(f->fix);
        assert_int_equal(run_count(&x, STATUS_IGNORED), 1);
        assert_int_equal(x.cr->status, STATUS_WARN);    /* the other kills still count */
        run_free(&x);

        /* A kill whose subject is its unit is matched by the killed process's name too; a group of
         * kills carries the name only when every kill in it names the same process. */
        f = ignore_run(&x, "oom-kills redis-server = cache, sized by hand", "cache.service");
        assert_string_equal(f->comm, "redis-server");
        assert_int_equal(f->status, STATUS_IGNORED);
        run_free(&x);
        f = ignore_run(&x, "oom-kills python3 = x", "hog.service");
        assert_int_equal(f->status, STATUS_IGNORED);
        f = find_subject(&x, "api.service");
        assert_null(f->comm);                   /* systemd-oomd killed a cgroup: no one process */
        assert_int_equal(f->status, STATUS_WARN);
        run_free(&x);
}


int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_kernel_summary_memcg),
                cmocka_unit_test(test_parse_kernel_killed_global),
                cmocka_unit_test(test_parse_kernel_rejects_malformed),
                cmocka_unit_test(test_parse_memcg_limit_and_swap),
                cmocka_unit_test(test_parse_earlyoom_17_and_18),
                cmocka_unit_test(test_parse_oomd_pressure_and_swap),
                cmocka_unit_test(test_parse_unit_messages_by_id),
                cmocka_unit_test(test_load_every_format),
                cmocka_unit_test(test_load_since_until_unit),
                cmocka_unit_test(test_load_this_boot),
                cmocka_unit_test(test_load_quiet_and_missing),
                cmocka_unit_test(test_hostile_bytes_escaped),
                cmocka_unit_test(test_parse_journal_time),
                cmocka_unit_test(test_check_names_incidents_and_prevent),
                cmocka_unit_test(test_check_window_pass_and_skip),
                cmocka_unit_test(test_check_ignore_matches_killed_comm_not_live_pid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
