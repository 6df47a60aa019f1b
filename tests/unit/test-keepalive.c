/* SPDX-License-Identifier: MIT */
/* keepalive-loop on fixture proc trees: loops in argv and in a script, an old script with a
 * young server, forever, pm2 under and outside its unit; and its fix. */
#include <errno.h>

#include "text/cleanup.h"
#include "text/strbuf.h"

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
        assert_non_null(run_find(&x, "sh (pid 760, a shell loop) keeps restarting node api.js (between two restarts now)"));
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

/* The command TEXT restarts, its words joined by spaces; NULL when none. */
static char *restarts(const char *text) {
        struct keepalive_cmd c;
        int r = keepalive_text_restarts(text, text ? strlen(text) : 0, KEEPALIVE_PERIODIC_SLEEP, &c, NULL);
        assert_true(r >= 0);
        if (r == 0)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < c.argc; i++)
                assert_int_equal(strbuf_addf(&sb, "%s%s", i ? " " : "", c.argv[i]), 0);
        if (!c.exact)
                assert_int_equal(strbuf_adds(&sb, " (inexact)"), 0);
        keepalive_cmd_done(&c);
        return strbuf_detach(&sb, NULL);
}

#define assert_restarts(text, want) do { \
                char *got_ = restarts(text); \
                if (!got_ || strcmp(got_, want) != 0) \
                        fail_msg("%s: restarts '%s', expected '%s'", text, got_ ? got_ : "(nothing)", want); \
                free(got_); \
        } while (0)
#define assert_restarts_nothing(text) do { \
                const char *text_ = (text); \
                char *got_ = restarts(text_); \
                if (got_) \
                        fail_msg("%s: restarts '%s', expected nothing", text_ ? text_ : "(null)", got_); \
        } while (0)

static void test_text_loops(void **state) {
        assert_restarts("while true; do node server.js; sleep 1; done", "node server.js");
        assert_restarts("while :\ndo\n  python3 app.py\ndone", "python3 app.py");
        assert_restarts("while [ 1 ]; do ./server --port 3000; done", "./server --port 3000");
        assert_restarts("until node server.js; do echo crashed >&2; sleep 2; done", "node server.js");
        assert_restarts("while true; do PORT=3000 exec nohup node 'my app.js' 2>&1 >>/var/log/app.log; done",
                        "node my app.js");
        assert_restarts("while true; do node \"$APP\"; done", "node $APP (inexact)");
        assert_restarts("while true\ndo\n  # restart it\n  npm start\n  sleep 5\ndone\n", "npm start");
        assert_restarts("until false; do uvicorn main:app; sleep 3; done", "uvicorn main:app");
        assert_restarts("cat <<EOF\nwhile true; do node fake.js; done\nEOF\nwhile true; do java -jar app.jar; done",
                        "java -jar app.jar");
        /* Not a loop that restarts a long-running command: */
        assert_restarts_nothing("while read l; do echo $l; done");
        assert_restarts_nothing("while true; do date >> /tmp/clock; sleep 60; done");
        assert_restarts_nothing("until pg_isready -h db; do sleep 1; done; node server.js");
        assert_restarts_nothing("while ! curl -sf localhost:3000/health; do sleep 1; done; exec node server.js");
        assert_restarts_nothing("while sleep 300; do php artisan schedule:run; done");
        assert_restarts_nothing("while true; do python3 /opt/backup.py; sleep 3600; done");
        assert_restarts_nothing("while true; do python3 /opt/job.py; sleep 1h; done");
        assert_restarts_nothing("while true; do node report.js; sleep \"$INTERVAL\"; done");
        assert_restarts_nothing("for i in 1 2 3; do node worker.js $i; done");
        assert_restarts_nothing("for f in *.js; do node \"$f\"; done");
        assert_restarts_nothing("# until the api is up, wait\n# while true; do node x.js; done\nnode server.js\n");
        assert_restarts_nothing("echo untilted; do");
        assert_restarts_nothing("echo 'while true; do node x.js; done'");
        assert_restarts_nothing("node server.js");
        assert_restarts_nothing("while true; do");
        assert_restarts_nothing("");
        assert_restarts_nothing(NULL);
}

/* Every NAME=value word before the command is kept, however many (two once overran the list). */
static void test_text_assignments_kept(void **state) {
        (void) state;
        static const char text[] = "while true; do NODE_ENV=production PORT=3000 HOST=0.0.0.0 node server.js; sleep 1; done";
        struct keepalive_cmd c;
        assert_int_equal(keepalive_text_restarts(text, sizeof(text) - 1, KEEPALIVE_PERIODIC_SLEEP, &c, NULL), 1);
        assert_int_equal(c.argc, 2);
        assert_string_equal(c.argv[0], "node");
        assert_non_null(c.assign);
        assert_string_equal(c.assign[0], "NODE_ENV=production");
        assert_string_equal(c.assign[1], "PORT=3000");
        assert_string_equal(c.assign[2], "HOST=0.0.0.0");
        assert_null(c.assign[3]);
        keepalive_cmd_done(&c);
}

/* Hostile text: unterminated quotes, deep nesting, redirections without targets, NUL bytes. */
static void test_text_hostile(void **state) {
        static const char *const texts[] = {
                "while true; do node 'unterminated", "while true; do node \"x", "$(((((((", "`", "<<", "> > > >",
                "while while while do do done done", "done done do", "case x in *) while true; do node s.js; done;; esac",
                "while true; do node s.js\\", "2>&1 &>/dev/null <&- >&", "for ((;;)); do node s.js; done",
        };
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                char *got = restarts(texts[i]);
                free(got);
        }
        char *deep = malloc(20001);
        for (size_t i = 0; i < 20000; i++)
                deep[i] = "<(w "[i % 4];
        deep[20000] = 0;
        free(restarts(deep));
        memset(deep, '<', 20000);
        free(restarts(deep));
        for (size_t i = 0; i < 20000; i++)
                deep[i] = i % 2 ? ' ' : '<';
        free(restarts(deep));
        free(deep);
        struct keepalive_cmd c = { 0 };
        static const char nul[] = "while true; do node\0evil; done";
        assert_true(keepalive_text_restarts(nul, sizeof(nul) - 1, 60, &c, NULL) >= 0);
        keepalive_cmd_done(&c);
}

/* nohup bash -c 'while true; do node server.js; sleep 1; done' from /srv/app, with node running
 * now (RUNNING) or between two restarts (only the loop's sleep). */
static char *loop_root(bool running) {
        char *root = base_root();
        const struct fproc loop = { .pid = 500, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", "while true; do node server.js; sleep 1; done", NULL },
                                    .cgroup = SESSION, .start = T(1000), .rss_pages = 900, .uid = 1000, .cwd = "/srv/app",
                                    .environ = "PATH=/usr/local/bin:/usr/bin:/bin\nNODE_ENV=production\nAPI_TOKEN=s3cret\nHOME=/home/dev\nTERM=xterm" };
        const struct fproc node = { .pid = running ? 501 : 503, .ppid = 500, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION,
                                    .start = T(89990), .rss_pages = 40000, .uid = 1000, .cwd = "/srv/app",
                                    .environ = "PATH=/usr/local/bin:/usr/bin:/bin\nNODE_ENV=production\nAPI_TOKEN=s3cret" };
        const struct fproc sleep = { .pid = 502, .ppid = 500, .comm = "sleep", .argv = { "sleep", "1", NULL }, .cgroup = SESSION,
                                     .start = T(89999), .uid = 1000, .cwd = "/srv/app" };
        fproc_write(root, &loop);
        fproc_write(root, running ? &node : &sleep);
        if (running) {
                fixture_symlink(root, "/usr/bin/node", "/proc/501/exe");
                fproc_socket(root, 501, 20, 5001);
        }
        fixture_write(root, "/usr/bin/node", "\177ELF");
        fixture_chmod(root, "/usr/bin/node", 0755);
        return root;
}

/* Every action of the plan as text: kind, path, content, steps. */
static char *plan_text(const struct plan *p) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_int_equal(strbuf_addf(&sb, "%s %s %s %s %s\n", action_kind_to_string(a->kind), a->path ? a->path : "",
                                             a->unit ? a->unit : "", a->content ? a->content : "", a->text ? a->text : ""), 0);
        }
        return strbuf_detach(&sb, NULL);
}

/* A loop whose program's name is too long to name a unit: the fix is a manual step, not a
 * failed plan (which failed the whole fix). */
static void test_fix_program_name_too_long_for_a_unit(void **state) {
        (void) state;
        char long_prog[300], text[400];
        memset(long_prog, 'a', 250);
        strcpy(long_prog + 244, "server");
        const char *progs[] = { long_prog };
        for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
                char *root = base_root();
                snprintf(text, sizeof(text), "while true; do /opt/%s --port 3000; sleep 1; done", progs[i]);
                const struct fproc loop = { .pid = 500, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", text, NULL },
                                            .cgroup = SESSION, .start = T(1000), .rss_pages = 900, .uid = 1000, .cwd = "/" };
                const struct fproc sleep = { .pid = 502, .ppid = 500, .comm = "sleep", .argv = { "sleep", "1", NULL },
                                             .cgroup = SESSION, .start = T(89999), .uid = 1000, .cwd = "/" };
                fproc_write(root, &loop);
                fproc_write(root, &sleep);
                struct run x = { 0 };
                run_check(&x, root, "keepalive-loop");
                assert_int_equal(run_count(&x, STATUS_FAIL), 1);
                struct plan *p = run_plan(&x);         /* asserts the plan succeeds */
                char *all = plan_text(p);
                if (!strstr(all, "manual") || !strstr(all, "run the command loop pid 500 restarts from a systemd unit you name"))
                        fail_msg("%s", all);
                free(all);
                plan_free(p);
                run_free(&x);
                fixture_remove(root);
        }
}

static const char handover[] = "hand over to hostfit-node-app.service (/etc/systemd/system/hostfit-node-app.service, "
        "written, not enabled) when convenient, in this order: kill -STOP 500; pkill -P 500; kill -KILL 500; "
        "systemctl daemon-reload; systemctl enable --now hostfit-node-app.service. The unit does not carry API_TOKEN "
        "from pid 500's environment";

/* The plan comes from the loop's text and the loop itself: the same unit, the same diff, the
 * same steps whether node runs now or the loop sleeps between two restarts. */
static void test_fix_same_plan_whether_the_child_runs_or_not(void **state) {
        char *text[2];
        for (int running = 0; running < 2; running++) {
                char *root = loop_root(running);
                struct run x = { 0 };
                run_check(&x, root, "keepalive-loop");
                assert_int_equal(run_count(&x, STATUS_FAIL), 1);
                struct plan *p = run_plan(&x);
                text[running] = plan_text(p);
                const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-app.service");
                if (!a)
                        fail_msg("%s", text[running]);
                assert_non_null(strstr(a->content, "\nExecStart=\"@/usr/bin/node\" \"node\" \"server.js\"\n"));
                assert_non_null(strstr(a->content, "\nWorkingDirectory=/srv/app\nUser=dev\nGroup=dev\n"));
                assert_non_null(strstr(a->content, "\nRestart=on-failure\nRestartSec=10\n"));
                assert_non_null(strstr(a->content, "Environment=\"NODE_ENV=production\""));
                assert_null(strstr(a->content, "s3cret"));
                assert_null(strstr(a->content, "MemoryMax="));    /* nothing measured the loop's cgroup over time */
                plan_free(p);
                run_free(&x);
                fixture_remove(root);
        }
        assert_string_equal(text[0], text[1]);
        assert_non_null(strstr(text[0], handover));
        assert_non_null(strstr(text[0], "No MemoryMax= in hostfit-node-app.service: nothing says what the loop pid 500 in "
                                        SESSION " used over time"));
        assert_null(strstr(text[0], "s3cret"));
        assert_null(strstr(text[0], "HOME"));
        free(text[0]);
        free(text[1]);
}

/* With the loop's cgroup measured (memory.peak: what the loop and every command it restarted
 * held at most), the unit carries a limit from that peak, the same whether node runs now or not;
 * without it (above), no limit and the hand-over says why. */
static void test_fix_sizes_the_loop_unit_from_its_cgroup_peak(void **state) {
        char *text[2];
        for (int running = 0; running < 2; running++) {
                char *root = loop_root(running);
                fixture_write(root, "/sys/fs/cgroup" SESSION "/memory.peak", "536870912\n");
                fixture_write(root, "/sys/fs/cgroup" SESSION "/memory.current", running ? "201326592\n" : "4194304\n");
                struct run x = { 0 };
                run_check(&x, root, "keepalive-loop");
                struct plan *p = run_plan(&x);
                text[running] = plan_text(p);
                const struct action *a = plan_find_path(p, "/etc/systemd/system/hostfit-node-app.service");
                assert_non_null(a);
                if (!strstr(a->content, "\nMemoryMax=1G\n"))
                        fail_msg("%s", a->content);
                assert_null(strstr(a->content, "MemoryHigh="));   /* no swap */
                plan_free(p);
                run_free(&x);
                fixture_remove(root);
        }
        assert_string_equal(text[0], text[1]);
        assert_null(strstr(text[0], "No MemoryMax="));
        free(text[0]);
        free(text[1]);
}

/* Written, not enabled: enabled in the hand-over, so a reboot before it cannot start the unit and
 * the loop both. Applied, a second plan changes nothing. */
static void test_fix_enables_only_in_the_hand_over(void **state) {
        char *root = loop_root(true);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        struct plan *p = run_plan(&x);
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_int_not_equal(a->kind, ACTION_SYMLINK);
                if (a->kind == ACTION_SYSTEMD)
                        assert_int_equal(a->op, SYSTEMD_DAEMON_RELOAD);
        }
        plan_free(p);
        run_free(&x);
        size_t changes = 0;
        char *copy = plan_apply_replan(root, "keepalive-loop", &changes);
        assert_int_equal(changes, 1);   /* the unit (the daemon-reload is deferred off the running system) */
        assert_true(fixture_exists(copy, "/etc/systemd/system/hostfit-node-app.service"));
        assert_false(fixture_exists(copy, "/etc/systemd/system/multi-user.target.wants/hostfit-node-app.service"));
        fixture_remove(copy);
        fixture_remove(root);
}

/* What no loop of this check is: each runs under a session with a child, and none is reported,
 * nor planned for. */
static void test_non_loops_are_not_reported(void **state) {
        char *root = base_root();
        fixture_write(root, "/opt/app/start.sh", "#!/bin/sh\n# wait until the database is up, then serve\n"
                      "until pg_isready -h db; do sleep 1; done\nexec node server.js\n");
        fixture_write(root, "/opt/app/comment.sh", "#!/bin/bash\n# keep going until it is done: while true; do node x; done\n"
                      "node server.js\n");
        fixture_write(root, "/usr/share/code/shellIntegration-bash.sh",
                      "while true; do node server.js; done\nuntil node x.js; do sleep 1; done\n");
        const struct fproc procs[] = {
                /* an hourly backup */
                { .pid = 600, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", "while true; do python3 /opt/backup.py; sleep 3600; done", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 601, .ppid = 600, .comm = "python3", .argv = { "python3", "/opt/backup.py", NULL }, .cgroup = SESSION, .start = T(89900), .uid = 1000 },
                /* wait, then serve */
                { .pid = 610, .ppid = 1, .comm = "sh", .argv = { "sh", "-c", "until pg_isready -h db; do sleep 1; done; node server.js", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 611, .ppid = 610, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                /* the same in a script, old, whose node started long after it */
                { .pid = 615, .ppid = 1, .comm = "start.sh", .argv = { "/bin/sh", "/opt/app/start.sh", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 616, .ppid = 615, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                /* Laravel's scheduler */
                { .pid = 620, .ppid = 1, .comm = "sh", .argv = { "sh", "-c", "while sleep 300; do php artisan schedule:run; done", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 621, .ppid = 620, .comm = "php", .argv = { "php", "artisan", "schedule:run", NULL }, .cgroup = SESSION, .start = T(89990), .uid = 1000 },
                /* a for loop over workers */
                { .pid = 630, .ppid = 1, .comm = "bash", .argv = { "bash", "-c", "for i in 1 2 3; do node worker.js $i; done", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 631, .ppid = 630, .comm = "node", .argv = { "node", "worker.js", "2", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                /* "until" and a loop in comments only */
                { .pid = 640, .ppid = 1, .comm = "comment.sh", .argv = { "/bin/bash", "/opt/app/comment.sh", NULL }, .cgroup = SESSION, .start = T(89000), .uid = 1000 },
                { .pid = 641, .ppid = 640, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(89001), .uid = 1000 },
                /* a VS Code terminal: an interactive bash whose --init-file is a value, not a script it runs */
                { .pid = 650, .ppid = 1, .comm = "bash", .argv = { "/bin/bash", "--init-file", "/usr/share/code/shellIntegration-bash.sh", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 651, .ppid = 650, .comm = "node", .argv = { "node", "server.js", NULL }, .cgroup = SESSION, .start = T(89900), .uid = 1000 },
                { .pid = 660, .ppid = 1, .comm = "bash", .argv = { "bash", "--rcfile", "/usr/share/code/shellIntegration-bash.sh", "-i", NULL }, .cgroup = SESSION, .start = T(1000), .uid = 1000 },
                { .pid = 661, .ppid = 660, .comm = "node", .argv = { "node", "x.js", NULL }, .cgroup = SESSION, .start = T(89900), .uid = 1000 },
        };
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                fproc_write(root, &procs[i]);
        struct run x = { 0 };
        run_check(&x, root, "keepalive-loop");
        if (x.cr->status != STATUS_PASS)
                fail_msg("%s", x.cr->n_findings ? x.cr->findings[0]->message : "?");
        struct plan *p = run_plan(&x);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        run_free(&x);
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
                cmocka_unit_test(test_text_assignments_kept),
                cmocka_unit_test(test_text_hostile),
                cmocka_unit_test(test_fix_same_plan_whether_the_child_runs_or_not),
                cmocka_unit_test(test_fix_sizes_the_loop_unit_from_its_cgroup_peak),
                cmocka_unit_test(test_fix_program_name_too_long_for_a_unit),
                cmocka_unit_test(test_fix_enables_only_in_the_hand_over),
                cmocka_unit_test(test_non_loops_are_not_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
