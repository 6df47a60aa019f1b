/* SPDX-License-Identifier: MIT */
/* wrapper-oom-unprotected: shielded processes and their wrappers, OOM daemon regexes, the fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "fixture-plan.h"
#include "fixture-proc.h"
#include "procs/oomd.h"
#include "plan/plan.h"
#include "report.h"
#include "systemd/units-internal.h"

#define SESSION "/user.slice/user-1000.slice/session-3.scope"

/* The incident: Vite at -500 under bash and zsh at +200 in tmux. */
static const struct fproc incident[] = {
        FPROC_INIT, FPROC_KTHREADD,
        { .pid = 800, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", "new", "-d", NULL }, .uid = 1000, .oom = 200, .cgroup = SESSION },
        { .pid = 801, .ppid = 800, .comm = "zsh", .argv = { "-zsh", NULL }, .uid = 1000, .oom = 200, .cgroup = SESSION },
        { .pid = 802, .ppid = 801, .comm = "bash", .argv = { "bash", "./run-dev.sh", NULL }, .uid = 1000, .oom = 200, .cgroup = SESSION },
        { .pid = 803, .ppid = 802, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", NULL },
          .uid = 1000, .oom = -500, .rss_pages = 200000, .cgroup = SESSION, .cwd = "/app" },
        { .pid = 804, .ppid = 803, .comm = "esbuild", .argv = { "/app/node_modules/@esbuild/linux-x64/bin/esbuild", "--service=0.19.2", NULL },
          .uid = 1000, .oom = -500, .cgroup = SESSION },
        { .pid = 900, .ppid = 1, .comm = "sshd", .argv = { "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", NULL },
          .oom = -1000, .cgroup = "/system.slice/ssh.service" },
};

static struct report *run(const char *root, const char *conf, struct host **ret_h) {
        return fixture_run_check(root, conf, "wrapper-oom-unprotected", ret_h);
}

static void test_shielded_vite_under_exposed_wrappers_fails(void **state) {
        struct host *h;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        struct report *r = run(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_FAIL);
        assert_int_equal(cr->n_findings, 1);          /* esbuild is covered by vite's finding; sshd is a service */
        const struct finding *f = cr->findings[0];
        assert_string_equal(f->subject, "pid 803");
        assert_string_equal(f->message, "node has oom_score_adj -500, but the wrappers whose death ends it do not: "
                            "pid 802 (bash) 200, pid 801 (zsh) 200, pid 800 (tmux: server) 200");
        assert_non_null(strstr(f->details[0], "in tmux (tmux: server → -zsh → bash → node)"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_shielded_wrappers_and_services_pass(void **state) {
        struct fproc procs[ELEMENTSOF(incident)];
        memcpy(procs, incident, sizeof(incident));
        for (size_t i = 2; i < 5; i++)
                procs[i].oom = -500;
        struct fproc svc[] = {
                FPROC_INIT,
                /* a service's main process: nothing but systemd above it */
                { .pid = 50, .ppid = 1, .comm = "node", .argv = { "/usr/bin/node", "/srv/api/index.js", NULL },
                  .oom = -500, .cgroup = "/system.slice/api.service" },
                /* ExecStart=/bin/sh -c ...: the service's main process is the wrapper, shielded too */
                { .pid = 60, .ppid = 1, .comm = "sh", .argv = { "/bin/sh", "-c", "exec-me", NULL }, .oom = -300, .cgroup = "/system.slice/web.service" },
                { .pid = 61, .ppid = 60, .comm = "python3", .argv = { "python3", "app.py", NULL }, .oom = -300, .cgroup = "/system.slice/web.service" },
                /* not shielded: a child at 0 under wrappers at 200 is not this check's business by default */
                { .pid = 70, .ppid = 1, .comm = "bash", .argv = { "bash", NULL }, .oom = 200 },
                { .pid = 71, .ppid = 70, .comm = "node", .argv = { "node", "server.js", NULL }, .oom = 0 },
        };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        report_free(r);
        host_free(h);
        fixture_remove(root);
        root = fproc_root(svc, ELEMENTSOF(svc));
        r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        report_free(r);
        host_free(h);
        /* a site that shields below 100 sees pid 71 (0) under bash (200) */
        r = run(root, "[wrapper-oom]\nshielded-below = 100\n", &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_FAIL);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "node has oom_score_adj 0"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_unreadable_oom_score_adj_is_not_a_finding(void **state) {
        struct host *h;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        /* as root every file reads: a directory in place of the file reads as an error */
        char *p = NULL;
        assert_true(asprintf(&p, "%s/proc/803/oom_score_adj", root) > 0);
        assert_int_equal(unlink(p), 0);
        free(p);
        fixture_mkdir(root, "proc/803/oom_score_adj");
        fixture_mkdir(root, "etc/default/earlyoom");
        struct report *r = run(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        /* esbuild (-500) is now the shielded one; the unreadable earlyoom file is a warning */
        assert_int_equal(cr->status, STATUS_FAIL);
        bool esbuild = false, earlyoom = false;
        for (size_t i = 0; i < cr->n_findings; i++) {
                esbuild = esbuild || (strcmp(cr->findings[i]->subject, "pid 804") == 0 &&
                                      strstr(cr->findings[i]->message, "esbuild has oom_score_adj -500"));
                earlyoom = earlyoom || (cr->findings[i]->status == STATUS_WARN && strstr(cr->findings[i]->message, "cannot be read"));
                assert_string_not_equal(cr->findings[i]->subject, "pid 803");
        }
        assert_true(esbuild);
        assert_true(earlyoom);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static const char earlyoom_conf[] =
        "# Default settings for earlyoom. This file is sourced by /bin/sh from\n"
        "# /etc/init.d/earlyoom or by systemd from earlyoom.service.\n"
        "\n"
        "# Options to pass to earlyoom\n"
        "EARLYOOM_ARGS=\"-r 3600 -m 5 --avoid '(^|/)(vite|sshd)$' --prefer '^(chrome)$'\"\n"
        "\n"
        "# Examples:\n"
        "#EARLYOOM_ARGS=\"-m 10 -s 5\"\n";

static void test_earlyoom_avoid_names_vite_but_sees_node(void **state) {
        struct host *h;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", earlyoom_conf);
        struct report *r = run(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        bool named = false;
        for (size_t i = 0; i < cr->n_findings; i++)
                if (strstr(cr->findings[i]->message, "earlyoom --avoid '(^|/)(vite|sshd)$' names it") &&
                    strstr(cr->findings[i]->message, "which is 'node': it is not spared") &&
                    strstr(cr->findings[i]->message, "pid 802 (bash)"))
                        named = true;
        assert_true(named);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_earlyoom_spares_child_not_wrappers(void **state) {
        struct host *h;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", "EARLYOOM_ARGS=\"--avoid=^(node|esbuild)$\"\n");
        struct report *r = run(root, NULL, &h);
        const struct check_result *cr = report_check(r, 0);
        size_t spares = 0;
        for (size_t i = 0; i < cr->n_findings; i++)
                if (strstr(cr->findings[i]->message, "spares it"))
                        spares++, assert_non_null(strstr(cr->findings[i]->message,
                                "earlyoom --avoid '^(node|esbuild)$' spares it (node) but not the wrappers whose death ends it: "
                                "pid 802 (bash), pid 801 (zsh), pid 800 (tmux: server)"));
        assert_int_equal(spares, 1);  /* esbuild's spared parent reports for it */
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_malformed_daemon_configs_warn(void **state) {
        struct fproc procs[] = { FPROC_INIT, { .pid = 5, .ppid = 1, .comm = "x", .argv = { "x", NULL } } };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/default/earlyoom", "EARLYOOM_ARGS=\"--avoid '(vite\"\n");
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_WARN);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "unbalanced quotes"));
        report_free(r);
        host_free(h);
        fixture_write(root, "etc/default/earlyoom", "EARLYOOM_ARGS=\"--avoid (vite\"\n");
        fixture_write(root, "etc/nohang/nohang.conf", "@BADNESS_ADJ_RE_NAME  -500  ///  ^(node\n@BADNESS_ADJ_RE_NAME garbage\n");
        r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->n_findings, 2);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "'(vite' could not be used: it is not a valid extended regex"));
        assert_non_null(strstr(report_check(r, 0)->findings[1]->message, "nohang.conf"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_systemd_oomd_kill_unit_warns(void **state) {
        struct fproc procs[] = { FPROC_INIT,
                { .pid = 5, .ppid = 1, .comm = "node", .argv = { "node", "a.js", NULL }, .oom = -200,
                  .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/web.service" } };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "usr/lib/systemd/system/user@.service", "[Service]\nManagedOOMMemoryPressure=kill\n");
        fixture_write(root, "etc/systemd/system/user.slice", "[Slice]\nManagedOOMSwap=kill\n");
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_WARN);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "systemd-oomd"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* The same units, and nothing shielded: no unit file is read, and nothing is said. */
static void test_systemd_oomd_units_read_only_for_shielded(void **state) {
        struct fproc procs[] = { FPROC_INIT,
                { .pid = 5, .ppid = 1, .comm = "node", .argv = { "node", "a.js", NULL }, .oom = 0,
                  .cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/web.service" } };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "usr/lib/systemd/system/user@.service", "[Service]\nManagedOOMMemoryPressure=kill\n");
        fixture_write(root, "etc/systemd/system/user.slice", "[Slice]\nManagedOOMSwap=kill\n");
        uint64_t before = unit_counters.opens;
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->n_findings, 0);
        assert_int_equal(unit_counters.opens, before);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_earlyoom_edit_keeps_every_other_byte(void **state) {
        char *out;
        size_t len;
        char *names[] = { (char *) "node", (char *) "tmux: server", (char *) "python3.11", (char *) "sshd" };
        assert_int_equal(earlyoom_edit_avoid(earlyoom_conf, strlen(earlyoom_conf), names, 4, &out, &len), 0);
        const char *want = strstr(earlyoom_conf, "$'") + 2;
        assert_memory_equal(out, earlyoom_conf, (size_t) (want - earlyoom_conf));
        /* tmux's server is never added: sparing it would spare every tmux on the host */
        assert_string_equal(out + (want - earlyoom_conf), "'|^(node|python3[.]11)$'"
                            " --prefer '^(chrome)$'\"\n\n# Examples:\n#EARLYOOM_ARGS=\"-m 10 -s 5\"\n");
        /* what earlyoom is given back parses to one regex matching all of them */
        size_t vs, vl, n;
        struct shell_word *w;
        assert_int_equal(earlyoom_args_find(out, len, &vs, &vl), 0);
        assert_int_equal(shell_split(out + vs, vl, &w, &n), 0);
        assert_int_equal(n, 8);
        assert_string_equal(w[5].word, "(^|/)(vite|sshd)$|^(node|python3[.]11)$");
        shell_words_free(w, n);
        char *again;
        assert_int_equal(earlyoom_edit_avoid(out, len, names, 4, &again, &len), 0);
        assert_string_equal(again, out);
        free(again);
        free(out);
        char *bad[] = { (char *) "it's" };
        assert_int_equal(earlyoom_edit_avoid(earlyoom_conf, strlen(earlyoom_conf), bad, 1, &out, &len), -EINVAL);
        assert_int_equal(earlyoom_edit_avoid("EARLYOOM_ARGS=\"-m 5\"\n", 21, names, 1, &out, &len), -ENOENT);
}

/* ---- the fix ---- */

static struct plan *plan_for(const char *root, struct host **ret_h, struct report **ret_r) {
        *ret_r = run(root, NULL, ret_h);
        return report_plan_all(*ret_h, *ret_r);
}

static void test_fix_raises_wrappers_writes_unit_and_earlyoom_diff(void **state) {
        struct host *h;
        struct report *r;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", earlyoom_conf);
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/zsh\n");
        char *before = fixture_tree_hash(root);
        struct plan *p = plan_for(root, &h, &r);
        size_t adj = 0, writes = 0, manual = 0, owner_steps = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_OOM_SCORE_ADJ) {
                        assert_int_equal(a->from, 200);
                        assert_int_equal(a->to, -500);
                        assert_true(a->deferred);      /* a fixture root is not the running system */
                        assert_non_null(strstr(a->text, "does not apply offline"));
                        /* the script's bash only: zsh is interactive, and tmux starts every later pane */
                        assert_int_equal(a->pid, 802);
                        adj++;
                } else if (a->kind == ACTION_WRITE_FILE) {
                        writes++;
                        if (strcmp(a->path, "/etc/default/earlyoom") == 0) {
                                assert_string_equal(a->old, earlyoom_conf);
                                assert_non_null(strstr(a->content, "'(^|/)(vite|sshd)$''|^(node)$' --prefer"));
                        } else {
                                fail_msg("%s: vite is a dev server; no fix writes a unit that runs it", a->path);
                        }
                } else if (a->kind == ACTION_MANUAL) {
                        /* The unit is the owner's (dev-server): named, not written twice. */
                        owner_steps += strstr(a->text, "run pid 803 from the unit `hostfit fix dev-server` writes") != NULL;
                        manual++;
                }
        }
        assert_int_equal(adj, 1);
        assert_int_equal(writes, 1);            /* earlyoom's defaults: vite is a dev server, no unit */
        assert_int_equal(manual, 2);           /* zsh and tmux are left as they are, said why; the owner's fix */
        assert_int_equal(owner_steps, 1);
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);             /* planning wrote nothing */

        plan_free(p);
        report_free(r);
        host_free(h);
        /* apply on a copy: a new plan there, run by apply */
        char *copy = fixture_clone(root);
        p = plan_for(copy, &h, &r);
        plan_apply_ok(h, p);
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
        root = copy;
        p = plan_for(root, &h, &r);
        assert_int_equal(plan_count_changes(p), 0);
        for (size_t i = 0; i < plan_size(p); i++)
                assert_int_not_equal(plan_action(p, i)->kind, ACTION_WRITE_FILE);
        plan_free(p);
        report_free(r);
        host_free(h);
        free(before);
        free(after);
        fixture_remove(root);
}

/* No plan ever lowers a tmux server, screen or an interactive shell: each later pane or
 * command would inherit it. A script's shell and npm, which start only the chain, are. */
static void test_fix_never_shields_tmux_or_interactive_shell(void **state) {
        struct fproc procs[] = {
                FPROC_INIT,
                { .pid = 700, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 701, .ppid = 700, .comm = "bash", .argv = { "-bash", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 702, .ppid = 701, .comm = "bash", .argv = { "bash", "-l", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 703, .ppid = 702, .comm = "sh", .argv = { "sh", "-c", "npm run dev", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 704, .ppid = 703, .comm = "npm run dev", .argv = { "npm", "run", "dev", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 705, .ppid = 704, .comm = "node", .argv = { "node", "/app/server.js", NULL }, .uid = 1000,
                  .oom = -1000, .cgroup = SESSION, .cwd = "/app" },
                { .pid = 710, .ppid = 1, .comm = "SCREEN", .argv = { "SCREEN", "-S", "x", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 711, .ppid = 710, .comm = "zsh", .argv = { "/bin/zsh", NULL }, .uid = 1000, .oom = 0, .cgroup = SESSION },
                { .pid = 712, .ppid = 711, .comm = "python3", .argv = { "python3", "-m", "http.server", NULL }, .uid = 1000,
                  .oom = -900, .cgroup = SESSION },
        };
        struct host *h;
        struct report *r;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/bash\n");
        struct plan *p = plan_for(root, &h, &r);
        bool lowered[1000] = { false };
        size_t manual_keep = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_OOM_SCORE_ADJ) {
                        assert_true(a->pid > 0 && a->pid < 1000);
                        lowered[a->pid] = true;
                        assert_int_equal(a->to, -1000);
                }
                if (a->kind == ACTION_MANUAL && strstr(a->text, "keep their oom_score_adj"))
                        manual_keep++;
        }
        /* the chain under the login shells: sh -c and npm */
        assert_true(lowered[703] && lowered[704]);
        /* never: tmux, the login shell, the interactive bash -l, screen, the interactive zsh */
        assert_false(lowered[700] || lowered[701] || lowered[702] || lowered[710] || lowered[711]);
        assert_int_equal(manual_keep, 2);
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* After the fix on the running system the script's bash carries -500 while zsh and tmux do
 * not: the server still reports them, the bash is no subject of its own (no unit for it),
 * and the plan changes nothing more. */
static void test_after_the_safe_shield_the_plan_converges(void **state) {
        struct fproc procs[ELEMENTSOF(incident)];
        memcpy(procs, incident, sizeof(incident));
        procs[4].oom = -500;            /* pid 802, bash ./run-dev.sh, as the fix left it */
        struct host *h;
        struct report *r;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/zsh\n");
        struct plan *p = plan_for(root, &h, &r);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_FAIL);
        assert_int_equal(cr->n_findings, 1);
        assert_string_equal(cr->findings[0]->subject, "pid 803");
        assert_string_equal(cr->findings[0]->message, "node has oom_score_adj -500, but the wrappers whose death "
                            "ends it do not: pid 801 (zsh) 200, pid 800 (tmux: server) 200");
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_int_not_equal(a->kind, ACTION_OOM_SCORE_ADJ);
                if (a->kind == ACTION_WRITE_FILE)
                        assert_string_equal(a->path, "/etc/systemd/system/hostfit-vite-app.service");
        }
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* report-worker.service runs start.sh, which runs node at -500: the wrapper is the unit's main
 * process. One process, one unit: the unit gets OOMScoreAdjust= in a drop-in, never a second unit
 * for node (which would fight it for its port); start.sh is shielded now. */
static const struct fproc worker[] = {
        FPROC_INIT, FPROC_KTHREADD,
        { .pid = 300, .ppid = 1, .comm = "start.sh", .argv = { "/bin/sh", "/opt/report/start.sh", NULL }, .uid = 1000,
          .oom = 0, .cgroup = "/system.slice/report-worker.service", .cwd = "/opt/report" },
        { .pid = 301, .ppid = 300, .comm = "node", .argv = { "node", "worker.js", NULL }, .uid = 1000, .oom = -500,
          .rss_pages = 30000, .cgroup = "/system.slice/report-worker.service", .cwd = "/opt/report" },
};

static void test_wrapper_under_a_unit_gets_a_dropin_not_a_second_unit(void **state) {
        struct host *h;
        struct report *r;
        char *root = fproc_root(worker, ELEMENTSOF(worker));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/bash\n");
        fixture_write(root, "etc/systemd/system/report-worker.service",
                      "[Service]\nExecStart=/bin/sh /opt/report/start.sh\nRestart=always\nUser=dev\n");
        fixture_symlink(root, "/usr/bin/node", "proc/301/exe");
        struct plan *p = plan_for(root, &h, &r);
        assert_int_equal(report_check(r, 0)->status, STATUS_FAIL);
        assert_string_equal(report_check(r, 0)->findings[0]->subject, "pid 301");
        size_t writes = 0, adj = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_WRITE_FILE) {
                        writes++;
                        assert_string_equal(a->path, "/etc/systemd/system/report-worker.service.d/50-hostfit-oom.conf");
                        assert_non_null(strstr(a->content, "\n[Service]\nOOMScoreAdjust=-500\n"));
                        assert_non_null(strstr(a->text, "applies from the next start of report-worker.service"));
                }
                if (a->kind == ACTION_OOM_SCORE_ADJ) {
                        adj++;
                        assert_int_equal(a->pid, 300);
                        assert_int_equal(a->to, -500);
                }
                assert_int_not_equal(a->kind, ACTION_SYMLINK);
                if (a->kind == ACTION_SYSTEMD)
                        assert_int_equal(a->op, SYSTEMD_DAEMON_RELOAD);
                if (a->kind == ACTION_MANUAL)
                        fail_msg("no step is left to a person: %s", a->text);
        }
        assert_int_equal(writes, 1);
        assert_int_equal(adj, 1);
        plan_free(p);
        report_free(r);
        host_free(h);
        /* Applied, with the unit restarted (every process of it at -500): nothing is left to plan. */
        char *copy = fixture_clone(root);
        p = plan_for(copy, &h, &r);
        plan_apply_ok(h, p);
        plan_free(p);
        report_free(r);
        host_free(h);
        assert_true(fixture_exists(copy, "/etc/systemd/system/report-worker.service.d/50-hostfit-oom.conf"));
        fixture_write(copy, "proc/300/oom_score_adj", "-500\n");
        p = plan_for(copy, &h, &r);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(copy);
        /* The generator itself refuses a second unit for a process a unit runs. */
        const struct proc_table *t;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(host_procs(h, &t), 0);
        struct unit_proc *u = NULL;
        assert_int_equal(unit_proc_read(h, proc_table_find(t, 301), &u), 0);
        assert_int_equal(plan_new(h, &p), 0);
        struct fix_unit_request req = { .check = "wrapper-oom-unprotected", .proc = u, .spec = { .name = "hostfit-node.service" } };
        char *why = NULL;
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), 0);
        assert_non_null(strstr(why, "pid 301 already runs under report-worker.service"));
        assert_int_equal(plan_size(p), 0);
        free(why);
        unit_proc_free(u);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

/* A unit of a user's systemd may not lower its processes: a manual step naming the unit and the drop-in. */
static void test_wrapper_under_a_user_unit_is_a_manual_step(void **state) {
        struct fproc procs[ELEMENTSOF(worker)];
        memcpy(procs, worker, sizeof(worker));
        procs[2].cgroup = procs[3].cgroup = "/user.slice/user-1000.slice/user@1000.service/app.slice/report-worker.service";
        struct host *h;
        struct report *r;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        struct plan *p = plan_for(root, &h, &r);
        size_t manual = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                assert_int_not_equal(a->kind, ACTION_WRITE_FILE);
                if (a->kind == ACTION_MANUAL && strstr(a->text, "report-worker.service is a unit of a user's systemd") &&
                    strstr(a->text, "~/.config/systemd/user/report-worker.service.d/50-hostfit-oom.conf"))
                        manual++;
        }
        assert_int_equal(manual, 1);
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_avoid_names_are_exact_never_generic(void **state) {
        assert_true(oomd_avoid_name_ok("node"));
        assert_true(oomd_avoid_name_ok("python3.11"));
        assert_true(oomd_avoid_name_ok("npm run dev"));         /* a title shorter than 15 bytes is whole */
        assert_false(oomd_avoid_name_ok("bash"));
        assert_false(oomd_avoid_name_ok("sh"));
        assert_false(oomd_avoid_name_ok("zsh"));
        assert_false(oomd_avoid_name_ok("dash"));
        assert_false(oomd_avoid_name_ok("tmux: server"));
        assert_false(oomd_avoid_name_ok("npm run start:p"));   /* 15 bytes with a space: cut short */
        assert_false(oomd_avoid_name_ok(""));
        /* a finding naming only a shell and tmux: no edit, a manual step saying why */
        char *names[] = { (char *) "bash", (char *) "tmux: server" };
        char *out;
        size_t len;
        const char *conf = "EARLYOOM_ARGS=\"--avoid '^(sshd)$'\"\n";
        assert_int_equal(earlyoom_edit_avoid(conf, strlen(conf), names, 2, &out, &len), 0);
        assert_string_equal(out, conf);
        free(out);
}

/* Found by fuzzing: a single-quoted value got a single-quoted alternative (closing the
 * outer quote, "|" becoming a pipe), and each fix appended again. */
static void test_earlyoom_single_quoted_value_converges(void **state) {
        const char *conf = "EARLYOOM_ARGS='-m 5 --avoid ^(sshd)$ -r 60'\n";
        char *names[] = { (char *) "node" };
        char *out, *again;
        size_t len, len2, vs, vl, n;
        assert_int_equal(earlyoom_edit_avoid(conf, strlen(conf), names, 1, &out, &len), 0);
        assert_string_equal(out, "EARLYOOM_ARGS='-m 5 --avoid ^(sshd)$\"|^(node)$\" -r 60'\n");
        struct shell_word *w;
        assert_int_equal(earlyoom_args_find(out, len, &vs, &vl), 0);
        assert_int_equal(shell_split(out + vs, vl, &w, &n), 0);
        assert_int_equal(n, 6);
        assert_string_equal(w[3].word, "^(sshd)$|^(node)$");
        shell_words_free(w, n);
        assert_int_equal(earlyoom_edit_avoid(out, len, names, 1, &again, &len2), 0);
        assert_int_equal(len2, len);
        assert_memory_equal(again, out, len);
        /* what /bin/sh makes of it: one variable, the regex one word */
        char *dir = fixture_new(), *cmd;
        fixture_write(dir, "earlyoom", out);
        assert_true(asprintf(&cmd, "sh -c '. %s/earlyoom && test \"$EARLYOOM_ARGS\" = \"-m 5 --avoid ^(sshd)\\$\\\"|^(node)\\$\\\" -r 60\"'", dir) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        fixture_remove(dir);
        free(again);
        free(out);
}

/* Found by fuzzing: a NUL inside the value made the edit copy heap bytes (strndup stopped
 * at the NUL while the length was kept). */
static void test_earlyoom_nul_in_value_is_refused(void **state) {
        const char conf[] = "EARLYOOM_ARGS=\"--avoid '^(sshd)$\0' -m 5\"\n# tail\n";
        char *names[] = { (char *) "node" };
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(earlyoom_edit_avoid(conf, sizeof(conf) - 1, names, 1, &out, &len), -EINVAL);
        assert_null(out);
        /* the check says the file could not be used */
        struct fproc procs[] = { FPROC_INIT, { .pid = 5, .ppid = 1, .comm = "x", .argv = { "x", NULL } } };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write_len(root, "etc/default/earlyoom", conf, sizeof(conf) - 1);
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_WARN);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "could not be used: the file holds a NUL byte"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* Found by fuzzing: an invalid old --avoid or --prefer regex. The edit refuses it (the
 * admin mends it), the check says it could not be used, the fix plans a manual step. */
static void test_earlyoom_invalid_old_regex(void **state) {
        char *names[] = { (char *) "node" };
        const char *const bad[] = {
                "EARLYOOM_ARGS=\"--avoid '(vite' --prefer '^(chrome)$'\"\n",
                "EARLYOOM_ARGS=\"--avoid=[[:nope:]]\"\n",
                "EARLYOOM_ARGS=\"--avoid '\\'\"\n",
                "EARLYOOM_ARGS=\"--avoid a++++++++++++++++\"\n",
                "EARLYOOM_ARGS=\"--avoid ''\"\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *out = NULL;
                size_t len;
                int r = earlyoom_edit_avoid(bad[i], strlen(bad[i]), names, 1, &out, &len);
                /* '' is a valid regex matching everything: nothing to add */
                if (i == 4) {
                        assert_int_equal(r, 0);
                        assert_string_equal(out, bad[i]);
                        free(out);
                        continue;
                }
                assert_int_equal(r, -EINVAL);
        }
        const char *prefer = "EARLYOOM_ARGS=\"--avoid '^(sshd)$' --prefer '(chrome'\"\n";
        struct host *h;
        struct report *r;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", bad[0]);
        struct plan *p = plan_for(root, &h, &r);
        bool said = false;
        for (size_t i = 0; i < report_check(r, 0)->n_findings; i++)
                said = said || strstr(report_check(r, 0)->findings[i]->message, "--avoid '(vite' could not be used");
        assert_true(said);
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_write(root, "etc/default/earlyoom", prefer);
        r = run(root, NULL, &h);
        said = false;
        for (size_t i = 0; i < report_check(r, 0)->n_findings; i++)
                said = said || strstr(report_check(r, 0)->findings[i]->message, "--prefer '(chrome' could not be used");
        assert_true(said);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* A regex from a host file never reaches regcomp() when it could blow up; the check says
 * it could not be used, and finishes at once. */
static void test_pathological_regex_is_refused(void **state) {
        const char *why;
        const char *const refused[] = {
                "a++++++++++++++++", "a**", "(a|b)*+", "a{2}{3}", "a{1000}", "(a{20}){20}", "((a{2})b){3}",
                "(a)\\1", "((((((((((a))))))))))",
        };
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                why = NULL;
                assert_true(oomd_regex_check(refused[i], &why) < 0);
                assert_non_null(why);
        }
        char longer[600];
        memset(longer, 'a', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        assert_true(oomd_regex_check(longer, &why) < 0);
        const char *const fine[] = {
                "(^|/)(vite|sshd)$", "^(node|python3[.]11)$", "^(init|systemd|Xorg|sshd)$", "[+*]+", "a{1,3}b{2,}",
                "(ab){3}", "[[:alpha:]]+", "[]a]*", "x\\+", "",
        };
        for (size_t i = 0; i < ELEMENTSOF(fine); i++)
                assert_int_equal(oomd_regex_check(fine[i], &why), 0);
        struct fproc procs[] = { FPROC_INIT, { .pid = 5, .ppid = 1, .comm = "x", .argv = { "x", NULL } } };
        struct host *h;
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/default/earlyoom", "EARLYOOM_ARGS=\"--avoid a++++++++++++++++ -m 5\"\n");
        struct report *r = run(root, NULL, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_WARN);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message,
                               "--avoid 'a++++++++++++++++' could not be used: it repeats a repetition"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* Two findings that each extend --avoid: one file edit, one earlyoom restart. */
static void test_earlyoom_restarted_once_a_run(void **state) {
        struct host *h;
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", earlyoom_conf);
        assert_int_equal(host_open(root, &h), 0);
        struct plan *p;
        assert_int_equal(plan_new(h, &p), 0);
        const char *const names[] = { "node", "python3", "java", "redis-server" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                struct wrapper_oom_finding d = { .daemon = true, .earlyoom = true, .pid = 100 + (pid_t) i, .n_names = 1 };
                snprintf(d.names[0], sizeof(d.names[0]), "%s", names[i]);
                struct finding f = { .status = STATUS_FAIL, .data = &d };
                assert_int_equal(fix_wrapper_oom.plan(h, &f, p), 0);
        }
        size_t restarts = 0, writes = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                restarts += a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_RESTART;
                if (a->kind == ACTION_WRITE_FILE) {
                        writes++;
                        assert_non_null(strstr(a->content, "'|^(node)$''|^(python3)$''|^(java)$''|^(redis-server)$'"));
                        /* the restart comes after the write */
                        assert_int_equal(i, 0);
                }
        }
        assert_int_equal(writes, 1);
        assert_int_equal(restarts, 1);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wrapper_under_a_unit_gets_a_dropin_not_a_second_unit),
                cmocka_unit_test(test_wrapper_under_a_user_unit_is_a_manual_step),
                cmocka_unit_test(test_shielded_vite_under_exposed_wrappers_fails),
                cmocka_unit_test(test_shielded_wrappers_and_services_pass),
                cmocka_unit_test(test_unreadable_oom_score_adj_is_not_a_finding),
                cmocka_unit_test(test_earlyoom_avoid_names_vite_but_sees_node),
                cmocka_unit_test(test_earlyoom_spares_child_not_wrappers),
                cmocka_unit_test(test_malformed_daemon_configs_warn),
                cmocka_unit_test(test_systemd_oomd_kill_unit_warns),
                cmocka_unit_test(test_systemd_oomd_units_read_only_for_shielded),
                cmocka_unit_test(test_earlyoom_edit_keeps_every_other_byte),
                cmocka_unit_test(test_fix_raises_wrappers_writes_unit_and_earlyoom_diff),
                cmocka_unit_test(test_fix_never_shields_tmux_or_interactive_shell),
                cmocka_unit_test(test_after_the_safe_shield_the_plan_converges),
                cmocka_unit_test(test_avoid_names_are_exact_never_generic),
                cmocka_unit_test(test_earlyoom_single_quoted_value_converges),
                cmocka_unit_test(test_earlyoom_nul_in_value_is_refused),
                cmocka_unit_test(test_earlyoom_invalid_old_regex),
                cmocka_unit_test(test_pathological_regex_is_refused),
                cmocka_unit_test(test_earlyoom_restarted_once_a_run),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
