/* SPDX-License-Identifier: MIT */
/* unmanaged-service on fixture proc trees: tmux, keepalive loops, scopes, workers; and its fix. */
#include <errno.h>
#include <sys/wait.h>

#include "text/cleanup.h"

#include "fixture-check.h"
#include "fixture-proc.h"
#include "unit-findings.h"
#include "systemd/unitgen.h"
#include "procown.h"
#include "host/sockets.h"

#define T(sec) ((unsigned long long) (sec) * (unsigned long long) sysconf(_SC_CLK_TCK))
#define SESSION "/user.slice/user-1000.slice/session-3.scope"

static const char tcp[] = NET_TCP_HEADER
        "   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 00000000242928c5 100 0 0 10 0                    \n"
        "   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 00000000da6c36fb 100 0 0 10 0                      \n"
        "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5003 1 00000000da6c36fc 100 0 0 10 0                      \n"
        "   3: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5004 1 00000000da6c36fd 100 0 0 10 0                      \n"
        "   4: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5005 1 00000000da6c36fe 100 0 0 10 0                      \n"
        "   5: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5006 1 00000000da6c36ff 100 0 0 10 0                      \n";

static char *make_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/net/tcp", tcp);
        fixture_write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000:Dev:/home/dev:/bin/zsh\n");
        fixture_write(root, "/etc/group", "root:x:0:\ndev:x:1000:\n");
        const struct fproc procs[] = {
                { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1), .rss_pages = 2000 },
                { .pid = 100, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", NULL }, .cgroup = SESSION, .start = T(100), .rss_pages = 900, .uid = 1000 },
                { .pid = 101, .ppid = 100, .comm = "zsh", .argv = { "-zsh", NULL }, .cgroup = SESSION, .start = T(100), .rss_pages = 900, .uid = 1000 },
                { .pid = 102, .ppid = 101, .comm = "bash", .argv = { "bash", NULL }, .cgroup = SESSION, .start = T(200), .rss_pages = 900, .uid = 1000 },
                { .pid = 103, .ppid = 102, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(80000), .rss_pages = 40000, .uid = 1000 },
                { .pid = 110, .ppid = 1, .comm = "nginx", .argv = { "nginx: master process /usr/sbin/nginx", NULL }, .cgroup = "/system.slice/nginx.service", .start = T(5), .rss_pages = 2000 },
                { .pid = 120, .ppid = 1, .comm = "sshd", .argv = { "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", NULL }, .cgroup = "/", .start = T(5), .rss_pages = 2000 },
                { .pid = 130, .ppid = 101, .comm = "python3", .argv = { "python3", "-m", "http.server", "8000", "--bind", "127.0.0.1", NULL }, .cgroup = SESSION, .start = T(89900), .rss_pages = 4000, .uid = 1000 },
                { .pid = 140, .ppid = 101, .comm = "python3", .argv = { "python3", NULL }, .cgroup = SESSION, .start = T(300), .rss_pages = 4000, .uid = 1000 },
                { .pid = 200, .ppid = 1, .comm = "gunicorn", .argv = { "/usr/bin/python3", "/usr/local/bin/gunicorn", "app:app", "-b", "0.0.0.0:8080", NULL }, .cgroup = "/", .start = T(1000), .rss_pages = 9000 },
                { .pid = 201, .ppid = 200, .comm = "gunicorn", .argv = { "/usr/bin/python3", "/usr/local/bin/gunicorn", "app:app", "-b", "0.0.0.0:8080", NULL }, .cgroup = "/", .start = T(1001), .rss_pages = 9000 },
                { .pid = 300, .ppid = 1, .comm = "sleep", .argv = { "/bin/sleep", "1000000", NULL }, .cgroup = "/", .start = T(1000), .rss_pages = 100 },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        fproc_socket(root, 103, 20, 5001);
        fproc_socket(root, 110, 6, 5002);
        fproc_socket(root, 120, 3, 5003);
        fproc_socket(root, 130, 3, 5004);
        fproc_socket(root, 200, 5, 5005);
        fproc_socket(root, 201, 5, 5005);
        fproc_socket(root, 300, 3, 5006);
        fixture_symlink(root, "/srv/app", "/proc/103/cwd");
        fixture_symlink(root, "/usr/bin/node", "/proc/103/exe");
        fixture_write_len(root, "/proc/103/environ", "NODE_ENV=production\0API_TOKEN=s3cret\0PORT=3000\0HOME=/home/dev\0", 61);
        fixture_symlink(root, "/tmp", "/proc/300/cwd");
        fixture_symlink(root, "/bin/sleep", "/proc/300/exe");
        return root;
}

/* The finding about SUBJECT ("pid 103"), or NULL. */
static const struct finding *find_subject(const struct run *x, const char *subject) {
        for (size_t i = 0; i < x->cr->n_findings; i++)
                if (strcmp(x->cr->findings[i]->subject, subject) == 0)
                        return x->cr->findings[i];
        return NULL;
}

static void test_flags_only_unmanaged_servers(void **state) {
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_int_equal(run_count(&x, STATUS_FAIL), 3);       /* node, gunicorn master, the listening sleep */
        const struct finding *f = find_subject(&x, "pid 103");
        assert_non_null(f);
        assert_non_null(strstr(f->message, "node has served on port 3000"));
        assert_null(strstr(f->message, "103"));       /* the subject is not repeated */
        assert_non_null(strstr(f->message, "session-3.scope"));
        bool chain = false, sock = false;
        for (size_t i = 0; f->details[i]; i++) {
                chain = chain || strstr(f->details[i], "tmux: server → -zsh → bash → node");
                sock = sock || strstr(f->details[i], "listens on tcp 0.0.0.0:3000");
        }
        assert_true(chain && sock);
        const struct unmanaged_data *d = f->data;
        assert_string_equal(d->proc->user, "dev");
        assert_string_equal(d->proc->group, "dev");
        assert_string_equal(d->proc->cwd, "/srv/app");
        assert_string_equal(d->name, "hostfit-node-3000.service");
        /* Its environment only the fix needs: not read by the check, read when fix asks. */
        assert_false(d->proc->env_read);
        assert_null(d->proc->env);
        assert_int_equal(unit_proc_read_env(x.h, d->proc), 0);
        assert_string_equal(d->proc->env[0], "NODE_ENV=production");
        assert_string_equal(d->proc->env[1], "PORT=3000");
        assert_null(d->proc->env[2]);
        assert_non_null(find_subject(&x, "pid 200"));
        assert_non_null(strstr(find_subject(&x, "pid 200")->message, "has served on port 8080"));
        assert_non_null(find_subject(&x, "pid 300"));
        assert_null(find_subject(&x, "pid 201"));      /* a worker of the master */
        assert_null(find_subject(&x, "pid 110"));      /* nginx, in a .service */
        assert_null(find_subject(&x, "pid 120"));      /* sshd */
        assert_null(find_subject(&x, "pid 130"));      /* younger than min-age */
        assert_null(find_subject(&x, "pid 140"));      /* a bare interpreter */
        run_free(&x);
        fixture_remove(root);
}

/* One process, one unit: the child of a keepalive loop is keepalive-loop's, not ours. */
static void test_loop_child_left_to_keepalive_loop(void **state) {
        char *root = make_root();
        const struct fproc loop = { .pid = 102, .ppid = 101, .comm = "bash", .argv = { "bash", "-c", "while true; do node server.js; sleep 1; done", NULL },
                                    .cgroup = SESSION, .start = T(200), .rss_pages = 900, .uid = 1000 };
        fproc_write(root, &loop);
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        assert_null(find_subject(&x, "pid 103"));
        assert_non_null(find_subject(&x, "pid 200"));
        const struct proc_table *t;
        assert_int_equal(host_procs(x.h, &t), 0);
        assert_string_equal(procown_owner(x.h, proc_table_find(t, 103)), "keepalive-loop");
        run_free(&x);
        run_check(&x, root, "keepalive-loop");
        assert_non_null(run_find(&x, "(now pid 103)"));
        run_free(&x);
        fixture_remove(root);
}

/* Work counted, not timed: with no listening socket, no fd directory is read at all, and the
 * servers known by name are still reported. */
static void test_no_listener_reads_no_fd_table(void **state) {
        char *root = make_root();
        /* One connection, no listener. */
        fixture_write(root, "/proc/net/tcp", NET_TCP_HEADER
                "   0: 0100007F:223D 0100007F:C03A 01 00000000:00000000 00:00000000 00000000  1000        0 5101 1 000000000c697f96 20 4 30 10 -1                   \n");
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        const struct socket_table *st;
        assert_int_equal(host_sockets(x.h, &st), 0);
        assert_int_equal(st->n, 0);
        assert_int_equal(sockets_fd_tables_read(st), 0);
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);       /* node and gunicorn, by name */
        assert_non_null(find_subject(&x, "pid 103"));
        assert_non_null(find_subject(&x, "pid 200"));
        assert_null(find_subject(&x, "pid 300"));      /* the sleep no longer listens */
        run_free(&x);
        fixture_remove(root);
}

/* The fd directories read are those of the processes judged by their sockets, after the cheap
 * filters, and of the servers reported (their details): not of a service, a system daemon, a young
 * process, a worker of a server known by name, nor of the workers of a master that holds the
 * listener they were forked with. Two processes that share one listener under no server are both
 * reported, as they always were: finding a listener's first holder does not end the scan. */
static void test_fd_tables_read_only_of_candidates(void **state) {
        char *root = make_root();
        fixture_write(root, "/proc/net/tcp", tcp);
        char *rows;
        assert_true(asprintf(&rows, "%s"
                "   6: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5007 1 00000000da6c3700 100 0 0 10 0                      \n"
                "   7: 00000000:2329 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5008 1 00000000da6c3701 100 0 0 10 0                      \n",
                tcp) > 0);
        fixture_write(root, "/proc/net/tcp", rows);
        free(rows);
        const struct fproc more[] = {
                { .pid = 400, .ppid = 1, .comm = "srv", .argv = { "/opt/srv/srv", "-l", ":9000", NULL }, .cgroup = "/", .start = T(500), .rss_pages = 900 },
                { .pid = 401, .ppid = 400, .comm = "srv", .argv = { "/opt/srv/srv", "-l", ":9000", NULL }, .cgroup = "/", .start = T(501), .rss_pages = 900 },
                { .pid = 402, .ppid = 400, .comm = "srv", .argv = { "/opt/srv/srv", "-l", ":9000", NULL }, .cgroup = "/", .start = T(501), .rss_pages = 900 },
                { .pid = 500, .ppid = 1, .comm = "relay", .argv = { "/opt/relay", NULL }, .cgroup = "/", .start = T(600), .rss_pages = 900 },
                { .pid = 501, .ppid = 1, .comm = "relay", .argv = { "/opt/relay", NULL }, .cgroup = "/", .start = T(600), .rss_pages = 900 },
        };
        for (size_t i = 0; i < ELEMENTSOF(more); i++)
                fproc_write(root, &more[i]);
        fproc_socket(root, 400, 3, 5007);
        fproc_socket(root, 401, 3, 5007);      /* forked after listen */
        fproc_socket(root, 402, 3, 5007);
        fproc_socket(root, 500, 4, 5008);      /* one listener, two holders, no server above them */
        fproc_socket(root, 501, 4, 5008);
        /* Every process has an fd directory, as in /proc: stdin on /dev/null. */
        static const int pids[] = { 1, 100, 101, 102, 103, 110, 120, 130, 140, 200, 201, 300, 400, 401, 402, 500, 501 };
        for (size_t i = 0; i < ELEMENTSOF(pids); i++) {
                char fd0[32];
                snprintf(fd0, sizeof(fd0), "/proc/%d/fd/0", pids[i]);
                fixture_symlink(root, "/dev/null", fd0);
        }
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        assert_int_equal(run_count(&x, STATUS_FAIL), 6);
        static const char *const reported[] = { "pid 103", "pid 200", "pid 300", "pid 400", "pid 500", "pid 501" };
        for (size_t i = 0; i < ELEMENTSOF(reported); i++)
                assert_non_null(find_subject(&x, reported[i]));
        assert_null(find_subject(&x, "pid 401"));
        assert_null(find_subject(&x, "pid 402"));
        const struct socket_table *st;
        assert_int_equal(host_sockets(x.h, &st), 0);
        /* The tmux server, the shells, the bare interpreter, the listening sleep; the new master
         * and the two relays; node and gunicorn for what they listen on. */
        static const pid_t read[] = { 100, 101, 102, 103, 140, 200, 300, 400, 500, 501 };
        static const pid_t unread[] = { 1, 110, 120, 130, 201, 401, 402 };
        for (size_t i = 0; i < ELEMENTSOF(read); i++)
                assert_true(sockets_fd_table_read(st, read[i]));
        for (size_t i = 0; i < ELEMENTSOF(unread); i++)
                assert_false(sockets_fd_table_read(st, unread[i]));
        assert_int_equal(sockets_fd_tables_read(st), ELEMENTSOF(read));
        run_free(&x);
        fixture_remove(root);
}

static void test_min_age_from_config_and_pass(void **state) {
        char *root = make_root();
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[unmanaged-service]\nmin-age = 2d\n");
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_unreadable_proc_is_an_error_not_a_crash(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/proc", "");
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        assert_int_equal(x.cr->status, STATUS_ERROR);
        run_free(&x);
        fixture_remove(root);
}

static void test_process_gone_mid_scan(void **state) {
        char *root = make_root();
        /* Its stat is there, but fd/, environ and cwd vanished with it. */
        assert_int_equal(system("true"), 0);
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s/proc/103/fd' '%s/proc/103/environ' '%s/proc/103/cwd' '%s/proc/103/exe'",
                             root, root, root, root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        const struct finding *f = find_subject(&x, "pid 103");
        assert_non_null(f);            /* still a known server, without its facts */
        assert_null(((const struct unmanaged_data *) f->data)->proc->cwd);
        run_free(&x);
        fixture_remove(root);
}

static bool have_analyze(void) {
        return access("/usr/bin/systemd-analyze", X_OK) == 0;
}

static void test_fix_writes_unit_systemd_accepts(void **state) {
        char *root = make_root();
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\nExecStart=\"@/usr/bin/node\" \"node\" \"server.js\"\n"));
        assert_non_null(strstr(a->content, "\nWorkingDirectory=/srv/app\nUser=dev\nGroup=dev\n"
                                           "Environment=\"NODE_ENV=production\"\nEnvironment=\"PORT=3000\"\n"));
        assert_null(strstr(a->content, "TOKEN"));
        assert_non_null(strstr(a->content, "\nMemoryMax="));
        assert_non_null(strstr(a->content, "\nOOMScoreAdjust=0\n"));
        bool manual = false;
        for (size_t i = 0; i < plan_size(p); i++)
                manual = manual || (plan_action(p, i)->kind == ACTION_MANUAL &&
                                    strstr(plan_action(p, i)->text, "hand over to hostfit-node-3000.service "
                                           "(/etc/systemd/system/hostfit-node-3000.service, written, not enabled) when "
                                           "convenient, in this order: kill 103; systemctl daemon-reload; systemctl "
                                           "enable --now hostfit-node-3000.service. The unit does not carry API_TOKEN "
                                           "from pid 103's environment: if the service needs it, set it in a drop-in "
                                           "(/etc/systemd/system/hostfit-node-3000.service.d/") &&
                                    !strstr(plan_action(p, i)->text, "s3cret") && !strstr(plan_action(p, i)->text, "HOME"));
        assert_true(manual);
        a = plan_find_path(p, "/etc/systemd/system/hostfit-sleep-8000.service");
        if (!a)
                a = plan_find_path(p, "/etc/systemd/system/hostfit-sleep-9000.service");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\nExecStart=\"/bin/sleep\" \"1000000\"\n"));
        if (have_analyze()) {
                char *dir = fixture_new();
                fixture_write(dir, "hostfit-sleep-9000.service", a->content);
                char *cmd;
                assert_true(asprintf(&cmd, "cd '%s' && systemd-analyze verify --man=no ./hostfit-sleep-9000.service >out 2>&1", dir) > 0);
                int st = system(cmd);
                char *out = fixture_read(dir, "out");
                if (st != 0 || (out && *out))
                        fail_msg("systemd-analyze: %s", out ? out : "");
                free(out), free(cmd);
                fixture_remove(dir);
        }
        plan_free(p);
        run_free(&x);

        size_t changes = 0;
        char *copy = plan_apply_replan(root, "unmanaged-service", &changes);
        assert_int_equal(changes, 3);  /* three units; each enabled in its hand-over, not before */
        char *unit = fixture_read(copy, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(unit);
        free(unit);
        assert_false(fixture_exists(copy, "/etc/systemd/system/multi-user.target.wants/hostfit-node-3000.service"));
        fixture_remove(copy);
        fixture_remove(root);
}

/* The manual step about UNIT's hand-over, or NULL. */
static const char *handover_of(const struct plan *p, const char *unit) {
        char want[128];
        snprintf(want, sizeof(want), "hand over to %s ", unit);
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->kind == ACTION_MANUAL && strstr(plan_action(p, i)->text, want))
                        return plan_action(p, i)->text;
        return NULL;
}

/* The limit comes from the most the process ever held (VmHWM), not from what it holds now:
 * node holds 156 MiB now but held 800 MiB at its peak. */
static void test_fix_sizes_the_unit_from_the_peak(void **state) {
        char *root = make_root();
        char *status = fixture_read(root, "/proc/103/status"), *text;
        assert_non_null(status);
        assert_true(asprintf(&text, "%sKthread:\t0\nVmPeak:\t 1204224 kB\nVmSize:\t 1150000 kB\nVmLck:\t       0 kB\n"
                             "VmPin:\t       0 kB\nVmHWM:\t  819200 kB\nVmRSS:\t  160000 kB\n", status) > 0);
        fixture_write(root, "/proc/103/status", text);
        free(text), free(status);
        struct run x = { 0 };
        run_check(&x, root, "unmanaged-service");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(a);
        if (!strstr(a->content, "\nMemoryMax=1600M\n"))
                fail_msg("%s", a->content);
        /* node's heap fits the limit (75% of it): node-heap-limit has nothing to plan for this unit. */
        if (!strstr(a->content, "Environment=\"NODE_OPTIONS=--max-old-space-size=1200\"\n"))
                fail_msg("%s", a->content);
        assert_non_null(handover_of(p, "hostfit-node-3000.service"));
        assert_null(strstr(handover_of(p, "hostfit-node-3000.service"), "MemoryMax"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

/* A process younger than [unit-memorymax] min-uptime is not sized from a cold start: its unit
 * carries no limit and the hand-over says so, naming the unit and what sizes it later. */
static void test_fix_too_young_to_size_is_said(void **state) {
        char *root = make_root();
        struct run x = { 0 };
        /* node has run 10000 s. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[unit-memorymax]\nmin-uptime = 3h\n");
        run_check(&x, root, "unmanaged-service");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(a);
        assert_null(strstr(a->content, "MemoryMax="));
        assert_null(strstr(a->content, "NODE_OPTIONS"));
        const char *t = handover_of(p, "hostfit-node-3000.service");
        assert_non_null(t);
        if (!strstr(t, ". No MemoryMax= in hostfit-node-3000.service: pid 103 has run less than 10800 s "
                       "([unit-memorymax] min-uptime), too short to size its limit"))
                fail_msg("%s", t);
        assert_non_null(strstr(t, "`hostfit fix unit-memorymax` sizes it"));
        plan_free(p);
        run_free(&x);
        /* Old enough by a shorter min-uptime: sized from what it used (156 MiB: the floor). */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[unit-memorymax]\nmin-uptime = 1h\n");
        run_check(&x, root, "unmanaged-service");
        p = run_plan(&x);
        a = plan_find_path(p, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\nMemoryMax=320M\n"));
        assert_null(strstr(handover_of(p, "hostfit-node-3000.service"), "MemoryMax"));
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flags_only_unmanaged_servers),
                cmocka_unit_test(test_loop_child_left_to_keepalive_loop),
                cmocka_unit_test(test_no_listener_reads_no_fd_table),
                cmocka_unit_test(test_fd_tables_read_only_of_candidates),
                cmocka_unit_test(test_min_age_from_config_and_pass),
                cmocka_unit_test(test_unreadable_proc_is_an_error_not_a_crash),
                cmocka_unit_test(test_process_gone_mid_scan),
                cmocka_unit_test(test_fix_writes_unit_systemd_accepts),
                cmocka_unit_test(test_fix_sizes_the_unit_from_the_peak),
                cmocka_unit_test(test_fix_too_young_to_size_is_said),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
