/* wrapper-oom-unprotected: shielded processes and their wrappers, OOM daemon regexes, the fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "fixture-plan.h"
#include "fixture-proc.h"
#include "oomd.h"
#include "plan.h"
#include "report.h"

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
        assert_string_equal(f->message, "pid 803 (node) has oom_score_adj -500, but the wrappers whose death ends it do not: "
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
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "pid 71 (node) has oom_score_adj 0"));
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
                esbuild = esbuild || strstr(cr->findings[i]->message, "pid 804 (esbuild)");
                earlyoom = earlyoom || (cr->findings[i]->status == STATUS_WARN && strstr(cr->findings[i]->message, "cannot be read"));
                assert_null(strstr(cr->findings[i]->message, "pid 803"));
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
                if (strstr(cr->findings[i]->message, "earlyoom --avoid '(^|/)(vite|sshd)$' names pid 803") &&
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
                if (strstr(cr->findings[i]->message, "spares pid"))
                        spares++, assert_non_null(strstr(cr->findings[i]->message,
                                "earlyoom --avoid '^(node|esbuild)$' spares pid 803 (node) but not the wrappers whose death ends it: "
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
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "'(vite' is not a valid extended regex"));
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

static void test_earlyoom_edit_keeps_every_other_byte(void **state) {
        char *out;
        size_t len;
        char *names[] = { (char *) "node", (char *) "tmux: server", (char *) "python3.11", (char *) "sshd" };
        assert_int_equal(earlyoom_edit_avoid(earlyoom_conf, strlen(earlyoom_conf), names, 4, &out, &len), 0);
        const char *want = strstr(earlyoom_conf, "$'") + 2;
        assert_memory_equal(out, earlyoom_conf, (size_t) (want - earlyoom_conf));
        assert_string_equal(out + (want - earlyoom_conf), "'|^(node|tmux: server|python3[.]11)$'"
                            " --prefer '^(chrome)$'\"\n\n# Examples:\n#EARLYOOM_ARGS=\"-m 10 -s 5\"\n");
        /* what earlyoom is given back parses to one regex matching all of them */
        size_t vs, vl, n;
        struct shell_word *w;
        assert_int_equal(earlyoom_args_find(out, len, &vs, &vl), 0);
        assert_int_equal(shell_split(out + vs, vl, &w, &n), 0);
        assert_int_equal(n, 8);
        assert_string_equal(w[5].word, "(^|/)(vite|sshd)$|^(node|tmux: server|python3[.]11)$");
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
        size_t adj = 0, writes = 0, manual = 0;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_OOM_SCORE_ADJ) {
                        assert_int_equal(a->from, 200);
                        assert_int_equal(a->to, -500);
                        assert_true(a->deferred);      /* a fixture root is not the running system */
                        assert_int_equal(a->pid, (int) (802 - adj));
                        adj++;
                } else if (a->kind == ACTION_WRITE_FILE) {
                        writes++;
                        if (strcmp(a->path, "/etc/default/earlyoom") == 0) {
                                assert_string_equal(a->old, earlyoom_conf);
                                assert_non_null(strstr(a->content, "'(^|/)(vite|sshd)$''|^(node|bash|zsh|tmux: server)$'"));
                        } else {
                                fail_msg("%s: vite is a dev server; no fix writes a unit that runs it", a->path);
                        }
                } else if (a->kind == ACTION_MANUAL) {
                        /* The unit is the owner's (dev-server): named, not written twice. */
                        assert_non_null(strstr(a->text, "hostfit fix dev-server"));
                        manual++;
                }
        }
        assert_int_equal(adj, 3);
        assert_int_equal(writes, 1);
        assert_int_equal(manual, 1);
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shielded_vite_under_exposed_wrappers_fails),
                cmocka_unit_test(test_shielded_wrappers_and_services_pass),
                cmocka_unit_test(test_unreadable_oom_score_adj_is_not_a_finding),
                cmocka_unit_test(test_earlyoom_avoid_names_vite_but_sees_node),
                cmocka_unit_test(test_earlyoom_spares_child_not_wrappers),
                cmocka_unit_test(test_malformed_daemon_configs_warn),
                cmocka_unit_test(test_systemd_oomd_kill_unit_warns),
                cmocka_unit_test(test_earlyoom_edit_keeps_every_other_byte),
                cmocka_unit_test(test_fix_raises_wrappers_writes_unit_and_earlyoom_diff),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
