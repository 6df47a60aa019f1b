/* SPDX-License-Identifier: MIT */
/* keepalive-loop on fixture proc trees: loops in argv and in a script, an old script with a
 * young server, forever, pm2 under and outside its unit; and its fix. */
#include <errno.h>

#include "text/cleanup.h"

#include "fixture-check.h"
#include "fixture-proc.h"
#include "procs/keepalive.h"
#include "loop-findings.h"
#include "unit-findings.h"

#define T(sec) ((unsigned long long) (sec) * (unsigned long long) sysconf(_SC_CLK_TCK))
#define SESSION "/user.slice/user-1000.slice/session-3.scope"

static const char tcp[] = NET_TCP_HEADER
        "   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 00000000242928c5 100 0 0 10 0                    \n";

static char *base_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/proc/meminfo", "MemTotal:        2013924 kB\nMemFree:          101232 kB\n"
                                             "MemAvailable:     602444 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n");
        fixture_write(root, "/proc/net/tcp", tcp);
        fixture_write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000:Dev:/home/dev:/bin/bash\n");
        fixture_write(root, "/etc/group", "root:x:0:\ndev:x:1000:\n");
        const struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1), .rss_pages = 2000 };
        fproc_write(root, &init);
        return root;
}

/* nohup bash -c 'while true; do node server.js; sleep 1; done', its node child now, and a sleep. */
static char *argv_loop_root(void) {
        char *root = base_root();
        const struct fproc procs[] = {
                { .pid = 500, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", "while true; do node server.js; sleep 1; done", NULL }, .cgroup = SESSION, .start = T(1000), .rss_pages = 900, .uid = 1000 },
                { .pid = 501, .ppid = 500, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(89990), .rss_pages = 40000, .uid = 1000,
                  .environ = "NODE_ENV=production\nAPI_TOKEN=s3cret\nPORT=3000", .cwd = "/srv/app" },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        fixture_symlink(root, "/usr/bin/node", "/proc/501/exe");
        fproc_socket(root, 501, 20, 5001);
        return root;
}

static void test_loop_in_argv(void **state) {
        char *root = argv_loop_root();
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(x.cr->status, STATUS_FAIL);
        assert_int_equal(run_count(&x, STATUS_FAIL), 1);
        const struct finding *f = run_find(&x, "bash (pid 500, a shell loop) keeps restarting its child (now pid 501): node server.js");
        assert_non_null(f);
        assert_string_equal(f->subject, "pid 500");
        assert_non_null(strstr(f->details[0], "evidence: loop in its -c text: while true; do node server.js"));
        const struct keepalive_data *d = f->data;
        assert_int_equal(d->loop_pid, 500);
        assert_int_equal(d->child->pid, 501);
        assert_string_equal(d->child->name, "hostfit-node-3000.service");
        run_free(&x);
        /* One process, one unit: unmanaged-service leaves the child alone. */
        run_check(&x, root, "unmanaged-service");
        assert_null(run_find(&x, "pid 501"));
        run_free(&x);
        fixture_remove(root);
}

static void test_loop_in_script_file(void **state) {
        char *root = base_root();
        fixture_write(root, "/home/dev/keep.sh", "#!/bin/sh\n# keep the api up\ncd /srv/api\nuntil python3 app.py; do\n  echo crashed >&2\n  sleep 2\ndone\n");
        const struct fproc procs[] = {
                { .pid = 600, .ppid = 1, .comm = "keep.sh", .argv = { "/bin/sh", "keep.sh", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000, .cwd = "/home/dev" },
                { .pid = 601, .ppid = 600, .comm = "python3", .argv = { "python3", "app.py", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000, .cwd = "/srv/api" },
                /* A script that reads lines is no keepalive loop. */
                { .pid = 700, .ppid = 1, .comm = "tail.sh", .argv = { "/bin/bash", "/home/dev/tail.sh", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 701, .ppid = 700, .comm = "tail", .argv = { "tail", "-f", "/var/log/syslog", NULL }, .cgroup = SESSION, .start = T(1001), .uid = 1000 },
                /* A loop that restarts no server (a clock) is none either. */
                { .pid = 750, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", "while true; do date >> /tmp/clock; sleep 60; done", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 751, .ppid = 750, .comm = "sleep", .argv = { "sleep", "60", NULL }, .cgroup = SESSION, .start = T(89990), .uid = 1000 },
                /* Between two restarts: only the sleep runs, the text names the server. */
                { .pid = 760, .ppid = 1, .comm = "sh", .argv = { "sh", "-c", "while true; do node api.js; sleep 5; done", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 761, .ppid = 760, .comm = "sleep", .argv = { "sleep", "5", NULL }, .cgroup = SESSION, .start = T(89998), .uid = 1000 },
                /* An interactive shell with an old and a young child is not one either. */
                { .pid = 800, .ppid = 1, .comm = "bash", .argv = { "-bash", NULL }, .cgroup = SESSION, .start = T(100), .uid = 1000 },
                { .pid = 801, .ppid = 800, .comm = "node", .argv = { "node", "x.js", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
        };
        fixture_write(root, "/home/dev/tail.sh", "#!/bin/bash\ntail -f /var/log/syslog | while read line; do echo \"$line\"; done\n");
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);
        assert_non_null(run_find(&x, "sh (pid 760, a shell loop) keeps restarting a command that is not running now"));
        const struct finding *f = run_find(&x, "(pid 600, a shell loop) keeps restarting its child (now pid 601): python3 app.py");
        assert_non_null(f);
        assert_non_null(strstr(f->details[0], "loop in /home/dev/keep.sh: until python3 app.py; do"));
        run_free(&x);
        fixture_remove(root);
}

static void test_script_not_regular_or_too_big_is_not_read(void **state) {
        char *root = base_root();
        fixture_symlink(root, "/home/dev/real.sh", "/home/dev/link.sh");
        fixture_write(root, "/home/dev/real.sh", "while true; do node s.js; done\n");
        char *big = malloc(KEEPALIVE_SCRIPT_MAX + 100);
        memset(big, '#', KEEPALIVE_SCRIPT_MAX + 99);
        memcpy(big + KEEPALIVE_SCRIPT_MAX, "\nwhile true; do node s.js; done\n", 33);
        big[KEEPALIVE_SCRIPT_MAX + 99] = 0;
        fixture_write(root, "/home/dev/big.sh", big);
        free(big);
        const struct fproc procs[] = {
                { .pid = 600, .ppid = 1, .comm = "sh", .argv = { "/bin/sh", "/home/dev/link.sh", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                { .pid = 601, .ppid = 600, .comm = "node", .argv = { "node", "s.js", NULL }, .cgroup = SESSION, .start = T(89001), .uid = 1000 },
                { .pid = 602, .ppid = 1, .comm = "sh", .argv = { "/bin/sh", "/home/dev/big.sh", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                { .pid = 603, .ppid = 602, .comm = "node", .argv = { "node", "s.js", NULL }, .cgroup = SESSION, .start = T(89001), .uid = 1000 },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_old_script_young_server(void **state) {
        char *root = base_root();
        const struct fproc procs[] = {
                /* No loop in the text (a recursive function would do the same), but the server keeps being young. */
                { .pid = 600, .ppid = 1, .comm = "bash", .argv = { "bash", "/opt/restart.sh", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 601, .ppid = 600, .comm = "node", .argv = { "node", "s.js", NULL }, .cgroup = SESSION, .start = T(89900), .uid = 1000 },
        };
        fixture_write(root, "/opt/restart.sh", "start() { node s.js; start; }\nstart\n");
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        const struct finding *f = run_find(&x, "(pid 600, a script) keeps restarting its child (now pid 601)");
        assert_non_null(f);
        if (!strstr(f->details[0], "its child pid 601 started 2 min ago, the script 1483 min ago"))
                fail_msg("%s", f->details[0]);
        run_free(&x);
        /* Younger than [keepalive-loop] min-parent-age: not long-lived. */
        fixture_write(root, "/etc/hostfit/hostfit.conf", "[keepalive-loop]\nmin-parent-age = 2d\n");
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_forever_and_pm2(void **state) {
        char *root = base_root();
        const struct fproc procs[] = {
                { .pid = 600, .ppid = 1, .comm = "node", .argv = { "/usr/bin/node", "/usr/lib/node_modules/forever/bin/monitor", "app.js", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 601, .ppid = 600, .comm = "node", .argv = { "/usr/bin/node", "/srv/app/app.js", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000, .cwd = "/srv/app" },
                /* pm2 outside its unit: in a session. */
                { .pid = 700, .ppid = 1, .comm = "PM2 v5.3.0: God", .argv = { "PM2 v5.3.0: God Daemon (/home/dev/.pm2)", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 701, .ppid = 700, .comm = "node", .argv = { "node /srv/api/index.js", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                /* pm2 under pm2-root.service (pm2 startup): fine. */
                { .pid = 800, .ppid = 1, .comm = "PM2 v5.3.0: God", .argv = { "PM2 v5.3.0: God Daemon (/root/.pm2)", NULL }, .cgroup = "/system.slice/pm2-root.service", .start = T(10) },
                { .pid = 801, .ppid = 800, .comm = "node", .argv = { "node /srv/b/index.js", NULL }, .cgroup = "/system.slice/pm2-root.service", .start = T(89000) },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(run_count(&x, STATUS_FAIL), 2);
        assert_non_null(run_find(&x, "(pid 600, forever) keeps restarting its child (now pid 601): /usr/bin/node /srv/app/app.js"));
        const struct finding *f = run_find(&x, "(pid 700, a pm2 daemon outside its systemd unit)");
        assert_non_null(f);
        assert_non_null(strstr(f->fix, "pm2 startup systemd"));
        assert_null(run_find(&x, "pid 800"));
        struct plan *p = run_plan(&x);
        bool pm2 = false;
        for (size_t i = 0; i < plan_size(p); i++)
                pm2 = pm2 || (plan_action(p, i)->kind == ACTION_MANUAL && strstr(plan_action(p, i)->text, "as dev run \"pm2 startup systemd\""));
        assert_true(pm2);
        plan_free(p);
        run_free(&x);
        fixture_remove(root);
}

static void test_in_a_service_or_container_is_not_ours(void **state) {
        char *root = base_root();
        const struct fproc procs[] = {
                { .pid = 600, .ppid = 1, .comm = "sh", .argv = { "sh", "-c", "while :; do node s.js; done", NULL }, .cgroup = "/system.slice/app.service", .start = T(1000) },
                { .pid = 601, .ppid = 600, .comm = "node", .argv = { "node", "s.js", NULL }, .cgroup = "/system.slice/app.service", .start = T(89000) },
                { .pid = 700, .ppid = 1, .comm = "sh", .argv = { "sh", "-c", "while true; do node s.js; done", NULL }, .cgroup = "/system.slice/docker-4f1c.scope", .start = T(1000) },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        assert_int_equal(x.cr->status, STATUS_PASS);
        run_free(&x);
        fixture_remove(root);
}

static void test_text_loops(void **state) {
        assert_true(keepalive_text_loops("while true; do x; done"));
        assert_true(keepalive_text_loops("while :\ndo\n x\ndone"));
        assert_true(keepalive_text_loops("while [ 1 ]; do x; done"));
        assert_true(keepalive_text_loops("until ./server; do sleep 1; done"));
        assert_true(keepalive_text_loops("while sleep 5; do ./x; done"));
        assert_false(keepalive_text_loops("while read l; do echo $l; done"));
        assert_false(keepalive_text_loops("echo untilted; do"));
        assert_false(keepalive_text_loops("node server.js"));
        assert_false(keepalive_text_loops(NULL));
}

static void test_fix_one_unit_for_the_child_and_idempotent(void **state) {
        char *root = argv_loop_root();
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        struct plan *p = run_plan(&x);
        const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-3000.service");
        assert_non_null(a);
        assert_non_null(strstr(a->content, "\nExecStart=\"@/usr/bin/node\" \"node\" \"server.js\"\n"));
        assert_non_null(strstr(a->content, "\nRestart=on-failure\nRestartSec=10\n"));
        assert_non_null(strstr(a->content, "\nUser=dev\n"));
        assert_null(strstr(a->content, "s3cret"));
        bool manual = false;
        for (size_t i = 0; i < plan_size(p); i++)
                manual = manual || (plan_action(p, i)->kind == ACTION_MANUAL &&
                                    strstr(plan_action(p, i)->text, "kill 500; kill 501; systemctl start hostfit-node-3000.service"));
        assert_true(manual);
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "keepalive-loop", &changes);
        assert_true(changes >= 2);
        assert_true(fixture_exists(copy, "/etc/systemd/system/multi-user.target.wants/hostfit-node-3000.service"));
        fixture_remove(copy);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loop_in_argv),
                cmocka_unit_test(test_loop_in_script_file),
                cmocka_unit_test(test_script_not_regular_or_too_big_is_not_read),
                cmocka_unit_test(test_old_script_young_server),
                cmocka_unit_test(test_forever_and_pm2),
                cmocka_unit_test(test_in_a_service_or_container_is_not_ours),
                cmocka_unit_test(test_text_loops),
                cmocka_unit_test(test_fix_one_unit_for_the_child_and_idempotent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
