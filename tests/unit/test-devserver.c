/* SPDX-License-Identifier: MIT */
/* dev-server: the pattern table's matcher, the check on fixture roots, and its fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "procs/devserver.h"
#include "fixture-plan.h"
#include "fixture-proc.h"
#include "plan/plan.h"
#include "report.h"
#include "systemd/unitgen.h"

/* ---- the matcher, on argv alone ---- */

static enum devserver_verdict match_words(const char *const *words, const char *env, const char **ret_id);

struct env_arg { const char *env; };
static int fake_env(void *userdata, const struct proc *p, const char **ret, size_t *ret_len) {
        struct env_arg *e = userdata;
        if (!e->env)
                return -EACCES;
        *ret = e->env;
        *ret_len = strlen(e->env) + 1;  /* one entry: enough for these tests */
        return 0;
}

static enum devserver_verdict match_words(const char *const *words, const char *env, const char **ret_id) {
        char buf[1024];
        size_t len = 0;
        for (size_t i = 0; words[i]; i++) {
                size_t l = strlen(words[i]) + 1;
                memcpy(buf + len, words[i], l);
                len += l;
        }
        struct proc p = { .pid = 10, .argv = buf, .argv_len = len };
        snprintf(p.comm, sizeof(p.comm), "node");
        struct env_arg e = { env };
        const struct devserver_pattern *pt = NULL;
        enum devserver_verdict v = devserver_match(&p, fake_env, &e, &pt);
        *ret_id = pt ? pt->id : NULL;
        return v;
}

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void assert_dev(const char *const *words, const char *id) {
        const char *got;
        enum devserver_verdict v = match_words(words, "PATH=/usr/bin", &got);
        if (v != DEVSERVER_DEV)
                fail_msg("%s %s: expected a dev server (%s), got verdict %d", words[0], words[1] ? words[1] : "", id, v);
        assert_string_equal(got, id);
}

static void assert_not_dev(const char *const *words) {
        const char *got;
        enum devserver_verdict v = match_words(words, "PATH=/usr/bin", &got);
        if (v == DEVSERVER_DEV || v == DEVSERVER_UNKNOWN)
                fail_msg("%s %s %s: flagged as %s", words[0], words[1] ? words[1] : "",
                         words[1] && words[2] ? words[2] : "", got);
}

static void test_dev_servers_matched_by_argv(void **state) {
        assert_dev(W("node", "/app/node_modules/.bin/vite", "--host"), "vite");
        assert_dev(W("/app/node_modules/.bin/vite"), "vite");
        assert_dev(W("node", "/app/node_modules/vite/bin/vite.js", "dev", "--port", "5173"), "vite");
        assert_dev(W("node", "/app/node_modules/.bin/next", "dev", "-p", "3000"), "next-dev");
        assert_dev(W("node", "/srv/shop/node_modules/.bin/nuxi", "dev"), "nuxt-dev");
        assert_dev(W("node", "node_modules/.bin/webpack", "serve", "--mode", "development"), "webpack-serve");
        assert_dev(W("node", "node_modules/.bin/webpack-dev-server"), "webpack-dev-server");
        assert_dev(W("node", "/app/node_modules/.bin/react-scripts", "start"), "react-scripts");
        assert_dev(W("node", "/usr/local/bin/ng", "serve", "--host", "0.0.0.0"), "ng-serve");
        assert_dev(W("node", "node_modules/.bin/vue-cli-service", "serve"), "vue-cli");
        assert_dev(W("node", "node_modules/.bin/astro", "dev"), "astro-dev");
        assert_dev(W("node", "/app/node_modules/.bin/tsx", "watch", "src/server.ts"), "tsx");
        assert_dev(W("node", "--require", "/app/node_modules/tsx/dist/preflight.cjs", "--import",
                     "file:///app/node_modules/tsx/dist/loader.mjs", "src/server.ts"), "node-loader");
        assert_dev(W("node", "/usr/lib/node_modules/ts-node/dist/bin.js", "src/index.ts"), "ts-node");
        assert_dev(W("node", "/app/node_modules/.bin/ts-node-dev", "--respawn", "src/index.ts"), "ts-node");
        assert_dev(W("node", "/usr/local/bin/nodemon", "server.js"), "nodemon");
        assert_dev(W("node", "--watch", "server.js"), "node-watch");
        assert_dev(W("npm run dev"), "pkg-run-dev");
        assert_dev(W("node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "dev"), "pkg-run-dev");
        assert_dev(W("node", "/usr/local/bin/pnpm", "dev"), "pkg-run-dev");
        assert_dev(W("/usr/bin/python3", "/usr/local/bin/uvicorn", "app.main:app", "--reload"), "uvicorn-reload");
        assert_dev(W("python3", "-m", "uvicorn", "app:app", "--reload", "--port", "8000"), "uvicorn-reload");
        assert_dev(W("/usr/bin/python3", "/usr/local/bin/gunicorn", "--reload", "app:app"), "gunicorn-reload");
        assert_dev(W("/usr/bin/python3", "/usr/local/bin/flask", "run", "--debug"), "flask-debug");
        assert_dev(W("python", "manage.py", "runserver", "0.0.0.0:8000"), "django-runserver");
        assert_dev(W("ruby", "bin/rails", "server", "-b", "0.0.0.0"), "rails-server");
        assert_dev(W("php", "artisan", "serve"), "artisan-serve");
        assert_dev(W("php", "-S", "0.0.0.0:8080", "-t", "public"), "php-builtin");
        /* The Flask CLI of Flask 2.2 and later: an option's value is not the subcommand. */
        assert_dev(W("/srv/venv/bin/python3", "/srv/venv/bin/flask", "--app", "hello", "run", "--debug"), "flask-debug");
        assert_dev(W("python3", "-m", "flask", "--app", "hello", "run", "--debug"), "flask-debug");
        assert_dev(W("python3", "-m", "flask", "--app=hello", "--debug", "run", "--port", "5000"), "flask-debug");
        assert_dev(W("python3", "-m", "flask", "-A", "hello:app", "run", "--reload"), "flask-debug");
        /* tsx compiles TypeScript on the fly whether or not it watches: a dev runtime. */
        assert_dev(W("node", "/app/node_modules/.bin/tsx", "src/server.ts"), "tsx");
        assert_dev(W("/usr/local/bin/tsx", "server.ts"), "tsx");
}

/* The forms of a first word that name a tool without an interpreter before it: by name, by the
 * package its script is in, with an extension or a login '-', as a rewritten title. */
static void test_dev_servers_matched_by_first_word_forms(void **state) {
        assert_dev(W("/usr/lib/node_modules/ts-node/dist/bin.js", "src/index.ts"), "ts-node");
        assert_dev(W("/srv/bin/nodemon.js", "server.js"), "nodemon");
        assert_dev(W("-vite"), "vite");
        assert_dev(W("npm run dev", "", ""), "pkg-run-dev");
        assert_dev(W("  npm run dev"), "pkg-run-dev");
        assert_dev(W("/usr/bin/python3.11", "-m", "uvicorn", "app:app", "--reload"), "uvicorn-reload");
        assert_dev(W("vite", "", "--host"), "vite");
        assert_not_dev(W("npm run dev", "x"));
        assert_not_dev(W("", "vite"));
        assert_not_dev(W("   "));
        assert_not_dev(W("/usr/bin/vitex"));
}

static void test_production_commands_not_flagged(void **state) {
        assert_not_dev(W("node", "/app/node_modules/.bin/next", "start", "-p", "3000"));
        assert_not_dev(W("node", "/app/node_modules/.bin/vite", "build"));
        assert_not_dev(W("node", "/app/node_modules/.bin/vite", "preview"));
        assert_not_dev(W("node", "dist/server.js"));
        assert_not_dev(W("/usr/bin/node", "/srv/api/dist/index.js", "--port", "3000"));
        assert_not_dev(W("python3", "-m", "uvicorn", "app:app", "--workers", "4"));
        assert_not_dev(W("/usr/bin/python3", "/usr/local/bin/gunicorn", "-w", "4", "app:app"));
        assert_not_dev(W("npm start"));
        assert_not_dev(W("node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "build"));
        assert_not_dev(W("ruby", "bin/rails", "server", "-e", "production"));
        assert_not_dev(W("ruby", "bin/rails", "console"));
        assert_not_dev(W("python", "manage.py", "migrate"));
        assert_not_dev(W("/usr/bin/vim", "vite.config.ts"));
        assert_not_dev(W("grep", "-r", "vite", "."));
        assert_not_dev(W("bash", "-c", "next dev"));
        assert_not_dev(W("node", "/app/node_modules/.bin/tsc", "-p", "."));
        assert_not_dev(W("python3", "-m", "flask", "--app", "hello", "routes"));
        assert_not_dev(W("python3", "-m", "flask", "--app", "run", "shell"));       /* an app named "run" */
}

static void test_environment_decides_flask_and_next_title(void **state) {
        const char *id;
        assert_int_equal(match_words(W("/usr/bin/python3", "/usr/local/bin/flask", "run"), "FLASK_DEBUG=1", &id), DEVSERVER_DEV);
        assert_string_equal(id, "flask-debug");
        assert_int_equal(match_words(W("/usr/bin/python3", "/usr/local/bin/flask", "run"), "FLASK_DEBUG=0", &id), DEVSERVER_NOT_DEV);
        assert_int_equal(match_words(W("/usr/bin/python3", "/usr/local/bin/flask", "run"), NULL, &id), DEVSERVER_UNKNOWN);
        assert_int_equal(match_words(W("next-server (v14.2.3)", "", ""), "NODE_ENV=development", &id), DEVSERVER_DEV);
        assert_string_equal(id, "next-server");
        assert_int_equal(match_words(W("next-server (v14.2.3)", "", ""), "NODE_ENV=production", &id), DEVSERVER_NOT_DEV);
        assert_int_equal(match_words(W("node", "dist/server.js"), "NODE_ENV=development", &id), DEVSERVER_DEV);
        assert_string_equal(id, "node-env-development");
        assert_int_equal(match_words(W("ruby", "bin/rails", "s"), "RAILS_ENV=production", &id), DEVSERVER_NOT_DEV);
        assert_int_equal(match_words(W("ruby", "bin/rails", "s"), NULL, &id), DEVSERVER_UNKNOWN);
}

static void test_pattern_ids_unique_and_described(void **state) {
        for (const struct devserver_pattern *a = devserver_patterns; a->id; a++) {
                assert_non_null(a->framework);
                assert_non_null(a->steps);
                assert_true(a->tools || a->interp);
                assert_ptr_equal(devserver_pattern_find(a->id), a);
                if (a->prod_sub)
                        assert_non_null(a->prereq);
        }
        assert_true(devserver_is_server_name("vite"));
        assert_true(devserver_is_server_name("node"));
        assert_false(devserver_is_server_name("vim"));
        assert_false(devserver_is_server_name("npm"));
}

/* ---- the check on fixture roots ---- */

static struct report *run_check(const char *root, const char *conf, struct host **ret_h) {
        return fixture_run_check(root, conf, "dev-server", ret_h);
}

#define TMUX_USER(pid_) \
        { .pid = pid_, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", "new-session", "-d", "-s", "app", NULL }, \
          .uid = 1000, .cgroup = "/user.slice/user-1000.slice/session-3.scope", .oom = 200, .rss_pages = 900 }

static const struct fproc vite_tree[] = {
        FPROC_INIT, FPROC_KTHREADD,
        TMUX_USER(800),
        { .pid = 801, .ppid = 800, .comm = "bash", .argv = { "-bash", NULL }, .uid = 1000, .oom = 200, .rss_pages = 1200,
          .cgroup = "/user.slice/user-1000.slice/session-3.scope" },
        { .pid = 802, .ppid = 801, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", NULL },
          .uid = 1000, .oom = -500, .rss_pages = 208640, .cwd = "/app", .environ = "PATH=/usr/bin\nHOME=/home/dev",
          .cgroup = "/user.slice/user-1000.slice/session-3.scope" },
        { .pid = 803, .ppid = 802, .comm = "esbuild", .argv = { "/app/node_modules/@esbuild/linux-x64/bin/esbuild", "--service=0.19.2", "--ping", NULL },
          .uid = 1000, .oom = -500, .rss_pages = 5000, .cgroup = "/user.slice/user-1000.slice/session-3.scope" },
};

static void test_vite_in_tmux_fails_with_pid_framework_rss_and_place(void **state) {
        struct host *h;
        char *root = fproc_root(vite_tree, ELEMENTSOF(vite_tree));
        struct report *r = run_check(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_FAIL);
        assert_int_equal(cr->n_findings, 1);
        const char *m = cr->findings[0]->message;
        assert_null(strstr(m, "pid 802"));             /* the subject says it */
        assert_true(strncmp(m, "a Vite dev server", 17) == 0);
        assert_non_null(strstr(m, "node /app/node_modules/.bin/vite --host"));
        assert_non_null(strstr(m, "834 MiB"));         /* 208640 + 5000 pages of 4 KiB */
        assert_non_null(strstr(m, "in tmux (tmux: server → -bash → node)"));
        assert_non_null(strstr(m, "session-3.scope"));
        assert_string_equal(cr->findings[0]->subject, "pid 802");
        assert_string_equal(cr->findings[0]->fix, "hostfit fix dev-server");
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_production_processes_pass(void **state) {
        const struct fproc procs[] = {
                FPROC_INIT, FPROC_KTHREADD,
                { .pid = 10, .ppid = 1, .comm = "node", .argv = { "node", "/app/node_modules/.bin/next", "start", NULL },
                  .cgroup = "/system.slice/shop.service", .environ = "NODE_ENV=production" },
                { .pid = 11, .ppid = 10, .comm = "next-server (v1", .argv = { "next-server (v14.2.3)", "", "", NULL },
                  .cgroup = "/system.slice/shop.service", .environ = "NODE_ENV=production" },
                { .pid = 12, .ppid = 1, .comm = "node", .argv = { "node", "dist/server.js", NULL }, .environ = "PORT=3000" },
                { .pid = 13, .ppid = 1, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "build", NULL } },
                { .pid = 14, .ppid = 1, .comm = "uvicorn", .argv = { "/usr/bin/python3", "/usr/local/bin/uvicorn", "app:app", "--workers", "4", NULL } },
        };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        struct report *r = run_check(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        assert_int_equal(report_check(r, 0)->n_findings, 0);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static struct plan *plan_for(const char *root, struct host **ret_h, struct report **ret_r);

static void test_unreadable_environ_is_counted_once(void **state) {
        const struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 20, .ppid = 1, .comm = "flask", .argv = { "/usr/bin/python3", "/usr/local/bin/flask", "run", NULL },
                  .uid = 1001, .environ_unreadable = 1, .rss_pages = 10000 },
                { .pid = 22, .ppid = 1, .comm = "node", .argv = { "node", "dist/server.js", NULL },
                  .uid = 1002, .environ_unreadable = 1, .rss_pages = 10000 },
                { .pid = 23, .ppid = 1, .comm = "ruby", .argv = { "ruby", "bin/rails", "server", NULL },
                  .uid = 1003, .environ_unreadable = 1, .rss_pages = 10000 },
                /* its environ does not matter: argv says it */
                { .pid = 21, .ppid = 1, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", NULL }, .environ_unreadable = 1 },
        };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        struct report *r = run_check(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->n_findings, 2);
        assert_int_equal(cr->findings[0]->status, STATUS_FAIL);
        assert_string_equal(cr->findings[0]->subject, "pid 21");
        /* Not a warning a process: one sentence for the three that could not be judged. */
        assert_int_equal(cr->findings[1]->status, STATUS_SKIP);
        assert_non_null(strstr(cr->findings[1]->message, "3 processes could not be judged"));
        assert_null(strstr(cr->findings[1]->message, "pid"));
        assert_int_equal(cr->status, STATUS_FAIL);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_dev_server_in_container_named_without_host_fix(void **state) {
        const struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 40, .ppid = 1, .comm = "containerd-shim", .argv = { "/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", NULL },
                  .cgroup = "/system.slice/containerd.service" },
                { .pid = 41, .ppid = 40, .comm = "node", .argv = { "node", "/app/node_modules/.bin/next", "dev", NULL },
                  .rss_pages = 50000, .cwd = "/app",
                  .cgroup = "/system.slice/docker-4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.scope" },
        };
        struct host *h;
        struct report *r;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        struct plan *p = plan_for(root, &h, &r);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->n_findings, 1);
        assert_string_equal(cr->findings[0]->subject, "pid 41");
        assert_non_null(strstr(cr->findings[0]->message, "in container docker 4f3c2a1b0e9d"));
        assert_non_null(strstr(cr->findings[0]->fix, "container"));
        assert_int_equal(plan_size(p), 0);             /* no host unit, no kill */
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_dev_server_under_a_unit_gets_a_dropin(void **state) {
        const struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 50, .ppid = 1, .comm = "node", .cwd = "/srv/shop", .uid = 1000, .rss_pages = 50000,
                  .argv = { "/usr/bin/node", "/srv/shop/node_modules/.bin/next", "dev", "-p", "3000", NULL },
                  .environ = "NODE_ENV=development\nPORT=3000", .cgroup = "/system.slice/shop.service" },
        };
        struct host *h;
        struct report *r;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nshop:x:1000:1000::/srv/shop:/bin/sh\n");
        struct plan *p = plan_for(root, &h, &r);
        const struct action *w = NULL;
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->path &&
                    strcmp(plan_action(p, i)->path, "/etc/systemd/system/shop.service.d/50-hostfit-production.conf") == 0)
                        w = plan_action(p, i);
        assert_non_null(w);
        /* The reset line first, then the production command: a change to its unit, not a second unit. */
        assert_non_null(strstr(w->content, "[Service]\nExecStart=\nExecStart=\"/usr/bin/node\" "
                                           "\"/srv/shop/node_modules/.bin/next\" \"start\" \"-p\" \"3000\"\n"));
        assert_non_null(strstr(w->content, "Environment=NODE_ENV=production\n"));
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_false(a->path && strstr(a->path, "hostfit-next"));
                if (a->kind == ACTION_MANUAL)
                        assert_non_null(strstr(a->text, "systemctl restart shop.service"));
        }
        plan_free(p);
        report_free(r);
        host_free(h);
        char *copy = fixture_clone(root);
        p = plan_for(copy, &h, &r);
        assert_int_equal(plan_count_changes(p), 1);    /* the drop-in (daemon-reload is deferred off the live host) */
        plan_apply_ok(h, p);
        plan_free(p);
        report_free(r);
        host_free(h);
        p = plan_for(copy, &h, &r);
        assert_int_equal(plan_count_changes(p), 0);    /* a second fix plans nothing */
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(copy);
        fixture_remove(root);

        /* The same under a user's systemd: the user's unit to change, nothing written. */
        const struct fproc user[] = {
                FPROC_INIT,
                { .pid = 50, .ppid = 1, .comm = "node", .cwd = "/srv/shop", .uid = 1000, .rss_pages = 50000,
                  .argv = { "/usr/bin/node", "/srv/shop/node_modules/.bin/next", "dev", NULL },
                  .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/shop.service" },
        };
        root = fproc_root(user, ELEMENTSOF(user));
        p = plan_for(root, &h, &r);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "systemctl --user edit shop.service"));
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_malformed_entries_do_not_crash_or_flag(void **state) {
        const struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 30, .ppid = 1, .comm = "node", .argv = { "node", NULL } },
                { .pid = 31, .ppid = 31, .comm = "loop", .argv = { "vite", NULL } },  /* its own parent */
                { .pid = 32, .ppid = 1, .comm = "x", .argv = { "x", NULL } },
        };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write_len(root, "proc/30/cmdline", "\xff\xfe\x1b[31m\0\0\0", 8);
        fixture_write(root, "proc/32/stat", "32 (x S 1\n");
        fixture_write_len(root, "proc/30/environ", "NODE_ENV=development", 20); /* no final NUL */
        struct report *r = run_check(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        /* only the self-parented vite, once */
        assert_int_equal(cr->n_findings, 1);
        assert_string_equal(cr->findings[0]->subject, "pid 31");
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_development_profile_skips_and_allow_list_spares(void **state) {
        struct host *h;
        char *root = fproc_root(vite_tree, ELEMENTSOF(vite_tree));
        struct report *r = run_check(root, "[hostfit]\nprofile = development\n", &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_SKIP);
        report_free(r);
        host_free(h);
        r = run_check(root, "[dev-server]\nallow = vite\n", &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        report_free(r);
        host_free(h);
        r = run_check(root, "[dev-server]\nallow = /srv/* /app/node_modules/.bin/*\n", &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        report_free(r);
        host_free(h);
        r = run_check(root, "[dev-server]\nallow = /srv/*\n", &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_FAIL);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_missing_proc_is_an_offline_image_skip(void **state) {
        struct host *h;
        char *root = fixture_new();
        struct report *r = run_check(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_SKIP);
        assert_string_equal(report_check(r, 0)->findings[0]->message, "offline image: no processes");
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_unreadable_proc_is_an_error(void **state) {
        struct host *h;
        char *root = fixture_new();
        fixture_write(root, "proc", "not a directory\n");
        struct report *r = run_check(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_ERROR);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* ---- the fix ---- */

static const struct fproc next_tree[] = {
        FPROC_INIT,
        TMUX_USER(700),
        { .pid = 701, .ppid = 700, .comm = "bash", .argv = { "-bash", NULL }, .uid = 1000, .oom = 200 },
        { .pid = 702, .ppid = 701, .comm = "node", .uid = 1000, .cwd = "/srv/shop",
          .argv = { "/usr/bin/node", "/srv/shop/node_modules/.bin/next", "dev", "--turbo", "-p", "3000", NULL } },
        { .pid = 703, .ppid = 702, .comm = "next-server (v1", .uid = 1000, .rss_pages = 208640,
          .argv = { "next-server (v14.2.3)", "", "", NULL }, .environ = "NODE_ENV=development" },
};

static struct plan *plan_for(const char *root, struct host **ret_h, struct report **ret_r) {
        *ret_r = run_check(root, NULL, ret_h);
        return report_plan_all(*ret_h, *ret_r);
}

static void test_fix_next_dev_writes_next_start_unit_and_manual_steps(void **state) {
        struct host *h;
        struct report *r;
        char *root = fproc_root(next_tree, ELEMENTSOF(next_tree));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/bash\n");
        const struct check_result *cr;
        struct plan *p = plan_for(root, &h, &r);
        cr = report_check(r, 0);
        assert_int_equal(cr->n_findings, 1);
        assert_non_null(strstr(cr->findings[0]->message, "a Next.js dev server"));
        assert_non_null(strstr(cr->findings[0]->message, "815 MiB"));
        assert_int_equal(plan_size(p), 3);
        const struct action *w = plan_action(p, 0);
        assert_int_equal(w->kind, ACTION_WRITE_FILE);
        assert_string_equal(w->path, "/etc/systemd/system/hostfit-next-shop.service");
        assert_null(w->old);
        char *exec = strstr(w->content, "\nExecStart=");
        assert_non_null(exec);
        exec = strndup(exec + 11, strcspn(exec + 11, "\n"));
        char **argv;
        size_t argc;
        assert_int_equal(unit_split_exec(exec, &argv, &argc), 0);
        const char *want[] = { "/usr/bin/node", "/srv/shop/node_modules/.bin/next", "start", "-p", "3000" };
        assert_int_equal(argc, ELEMENTSOF(want));
        for (size_t i = 0; i < argc; i++) {
                assert_string_equal(argv[i], want[i]);
                free(argv[i]);
        }
        free(argv);
        free(exec);
        assert_null(strstr(w->content, "--turbo"));
        assert_non_null(strstr(w->content, "WorkingDirectory=/srv/shop\n"));
        assert_non_null(strstr(w->content, "User=dev\n"));
        assert_non_null(strstr(w->content, "NODE_ENV=production"));
        assert_int_equal(plan_action(p, 1)->kind, ACTION_SYSTEMD);
        assert_int_equal(plan_action(p, 1)->op, SYSTEMD_DAEMON_RELOAD);
        const struct action *m = plan_action(p, 2);
        assert_int_equal(m->kind, ACTION_MANUAL);
        /* The hand-over, in order: the build while the dev server serves, its end, the unit enabled. */
        if (!strstr(m->text, "hand over to hostfit-next-shop.service (/etc/systemd/system/hostfit-next-shop.service, "
                    "written, not enabled) when convenient, in this order: run `next build` in /srv/shop as the app's "
                    "user (the build); kill 702 (the dev server); systemctl daemon-reload; systemctl enable --now "
                    "hostfit-next-shop.service"))
                fail_msg("%s", m->text);
        assert_int_equal(plan_size(p), 3);     /* nothing enables it before */

        /* dry-run writes nothing: the plan alone leaves the tree as it was */
        char *before = fixture_tree_hash(root);
        char *copy = fixture_clone(root);
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);
        plan_free(p);
        report_free(r);
        host_free(h);
        /* apply on the copy */
        p = plan_for(copy, &h, &r);
        plan_apply_ok(h, p);
        assert_true(fixture_exists(copy, "etc/systemd/system/hostfit-next-shop.service"));
        plan_free(p);
        report_free(r);
        host_free(h);

        /* second plan on the applied copy: nothing left to change, the steps stay manual */
        p = plan_for(copy, &h, &r);
        assert_int_equal(plan_count_changes(p), 0);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        plan_free(p);
        report_free(r);
        host_free(h);
        free(before);
        free(after);
        fixture_remove(copy);
        fixture_remove(root);
}

static void test_fix_vite_is_manual_only(void **state) {
        struct host *h;
        struct report *r;
        char *root = fproc_root(vite_tree, ELEMENTSOF(vite_tree));
        struct plan *p = plan_for(root, &h, &r);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_int_equal(plan_count_changes(p), 0);
        assert_non_null(strstr(plan_action(p, 0)->text, "vite build"));
        assert_non_null(strstr(plan_action(p, 0)->text, "pid 802"));
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dev_servers_matched_by_argv),
                cmocka_unit_test(test_dev_servers_matched_by_first_word_forms),
                cmocka_unit_test(test_production_commands_not_flagged),
                cmocka_unit_test(test_environment_decides_flask_and_next_title),
                cmocka_unit_test(test_pattern_ids_unique_and_described),
                cmocka_unit_test(test_vite_in_tmux_fails_with_pid_framework_rss_and_place),
                cmocka_unit_test(test_production_processes_pass),
                cmocka_unit_test(test_unreadable_environ_is_counted_once),
                cmocka_unit_test(test_dev_server_in_container_named_without_host_fix),
                cmocka_unit_test(test_dev_server_under_a_unit_gets_a_dropin),
                cmocka_unit_test(test_malformed_entries_do_not_crash_or_flag),
                cmocka_unit_test(test_development_profile_skips_and_allow_list_spares),
                cmocka_unit_test(test_missing_proc_is_an_offline_image_skip),
                cmocka_unit_test(test_unreadable_proc_is_an_error),
                cmocka_unit_test(test_fix_next_dev_writes_next_start_unit_and_manual_steps),
                cmocka_unit_test(test_fix_vite_is_manual_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
