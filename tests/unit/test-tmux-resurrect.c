/* SPDX-License-Identifier: MIT */
/* tmux-resurrect: tmux.conf reading, services inside tmux, and the fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/strbuf.h"

#include "check.h"
#include "text/cleanup.h"
#include "fixture-plan.h"
#include "fixture-proc.h"
#include "plan/plan.h"
#include "report.h"
#include "procs/tmuxconf.h"

#define PASSWD "root:x:0:0:root:/root:/bin/bash\n" \
               "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" \
               "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" \
               "dev:x:1000:1000:Dev,,,:/home/dev:/bin/zsh\n" \
               "broken line without fields\n"

/* tmux-resurrect's restore starts every program (":all:"): a server too. */
#define ALL_CONF "set -g @plugin 'tmux-plugins/tpm'\n" \
                 "set -g @plugin 'tmux-plugins/tmux-resurrect'\n" \
                 "set -g @plugin 'tmux-plugins/tmux-continuum'\n" \
                 "set -g @resurrect-processes ':all:'\n" \
                 "set -g @continuum-restore 'on'\n" \
                 "run '~/.tmux/plugins/tpm/tpm'\n" \
                 "# the end\n"

#define TPM_CONF "# plugins\n" \
                 "set -g @plugin 'tmux-plugins/tpm'\n" \
                 "set -g @plugin 'tmux-plugins/tmux-resurrect'\n" \
                 "set -g @plugin \"tmux-plugins/tmux-continuum\"\n" \
                 "set -g @continuum-restore 'on'  # restore on start\n" \
                 "set -g status-bg '#303030'\n" \
                 "source-file -q ~/.tmux/extra.conf\n" \
                 "run '~/.tmux/plugins/tpm/tpm'\n"

static const struct fproc tree[] = {
        FPROC_INIT, FPROC_KTHREADD,
        { .pid = 800, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", NULL }, .uid = 1000, .start = 1000 },
        { .pid = 801, .ppid = 800, .comm = "zsh", .argv = { "-zsh", NULL }, .uid = 1000, .start = 1000 },
        { .pid = 802, .ppid = 801, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", NULL },
          .uid = 1000, .start = 2000, .cwd = "/app", .rss_pages = 100000 },
        { .pid = 803, .ppid = 802, .comm = "esbuild", .argv = { "/app/node_modules/esbuild/bin/esbuild", "--service", NULL },
          .uid = 1000, .start = 2000 },
        { .pid = 810, .ppid = 800, .comm = "zsh", .argv = { "-zsh", NULL }, .uid = 1000, .start = 1000 },
        { .pid = 811, .ppid = 810, .comm = "vim", .argv = { "vim", "notes.md", NULL }, .uid = 1000, .start = 1000 },
};

static char *make_root(const char *conf, const char *extra) {
        char *root = fproc_root(tree, ELEMENTSOF(tree));
        fixture_write(root, "etc/passwd", PASSWD);
        fixture_mkdir(root, "home/dev");
        if (conf)
                fixture_write(root, "home/dev/.tmux.conf", conf);
        if (extra)
                fixture_write(root, "home/dev/.tmux/extra.conf", extra);
        char *cmd;
        assert_true(asprintf(&cmd, "chown -R 1000:1000 '%s/home/dev'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        return root;
}

static struct report *run(const char *root, struct host **ret_h) {
        return fixture_run_check(root, NULL, "tmux-resurrect", ret_h);
}

static void test_conf_follows_source_file_and_reads_settings(void **state) {
        struct host *h;
        struct tmux_conf c;
        char *root = make_root(TPM_CONF, "set -g @resurrect-processes ':all:'\nset -g @resurrect-strategy-nvim 'session'\n"
                                         "set-option -g @continuum-save-interval '5'\nsource ~/.tmux/extra.conf\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        assert_true(c.resurrect);
        assert_true(c.continuum);
        assert_true(c.continuum_restore);
        assert_true(c.strategy);
        assert_string_equal(c.processes, ":all:");
        assert_string_equal(c.save_interval, "5");
        assert_string_equal(c.main_path, "/home/dev/.tmux.conf");
        assert_int_equal(c.n_files, 2);         /* each file once: the self-sourcing one is not read again */
        assert_null(c.problem);
        assert_true(tmuxconf_touches_processes(&c));
        assert_true(tmuxconf_restores_servers(&c));
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);
}

static void test_conf_run_shell_and_process_lists(void **state) {
        struct tmux_conf c = {};
        assert_int_equal(tmuxconf_parse(NULL, "/home/x", "/home/x/.tmux.conf",
                                        "run-shell -b ~/clone/tmux-resurrect/resurrect.tmux\n"
                                        "set -g @resurrect-processes 'vim \"~rails s\" \"~node->node server.js\"'\n"
                                        "set -g @plugin 'broken\n", 0, &c), 0);
        assert_true(c.resurrect);
        assert_false(c.continuum);
        assert_true(tmuxconf_restores_servers(&c));
        free(c.processes);
        c.processes = strdup("vim htop 'less'");
        assert_false(tmuxconf_restores_servers(&c));
        free(c.processes);
        c.processes = strdup("false");
        assert_false(tmuxconf_touches_processes(&c));
        c.continuum_restore = true;
        assert_true(tmuxconf_touches_processes(&c));
        tmuxconf_done(&c);
}

static void test_symlink_out_of_root_is_not_followed(void **state) {
        struct host *h;
        struct tmux_conf c;
        char *outside = fixture_new();
        fixture_write(outside, "evil.conf", "set -g @plugin 'tmux-plugins/tmux-resurrect'\n");
        char *target;
        assert_true(asprintf(&target, "%s/evil.conf", outside) > 0);
        char *root = make_root("source-file ~/.tmux/link.conf\nsource-file ../../../../../../evil.conf\n", NULL);
        fixture_symlink(root, target, "home/dev/.tmux/link.conf");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        assert_false(c.resurrect);
        tmuxconf_done(&c);
        host_free(h);
        free(target);
        fixture_remove(root);
        fixture_remove(outside);
}

static void test_service_in_tmux_with_resurrect_fails(void **state) {
        struct host *h;
        char *root = make_root(TPM_CONF, NULL);
        struct report *r = run(root, &h);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_FAIL);
        assert_int_equal(cr->n_findings, 1);    /* vite; not esbuild (its child), not vim */
        const char *m = cr->findings[0]->message;
        assert_string_equal(cr->findings[0]->subject, "pid 802");
        assert_non_null(strstr(m, "node runs inside dev's tmux (pid 800)"));
        assert_null(strstr(m, "802"));                 /* the subject says it */
        assert_non_null(strstr(m, "tmux-resurrect and tmux-continuum (@resurrect-processes default, @continuum-restore on)"));
        /* The real risk with the default list: not a restart by restore, the session's death. */
        assert_non_null(strstr(m, "a restore does not restart it"));
        assert_non_null(strstr(m, "SIGHUP"));
        const struct finding *f = cr->findings[0];
        assert_non_null(f->details);
        assert_non_null(strstr(f->details[0], "in tmux (tmux: server → -zsh → node)"));
        assert_non_null(strstr(f->details[1], "/home/dev/.tmux.conf"));
        report_free(r);
        host_free(h);
        fixture_remove(root);

        root = make_root(ALL_CONF, NULL);
        r = run(root, &h);
        cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_FAIL);
        assert_non_null(strstr(cr->findings[0]->message, "a restore starts it again"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_container_tmux_is_not_the_hosts(void **state) {
        struct host *h;
        struct fproc procs[ELEMENTSOF(tree)];
        memcpy(procs, tree, sizeof(tree));
        for (size_t i = 0; i < ELEMENTSOF(procs); i++)
                if (procs[i].pid >= 800)
                        procs[i].cgroup = "/system.slice/docker-4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.scope";
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "etc/passwd", PASSWD);
        fixture_write(root, "home/dev/.tmux.conf", TPM_CONF);
        struct report *r = run(root, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_passes_without_plugin_or_with_restore_off(void **state) {
        struct host *h;
        const char *confs[] = {
                "set -g mouse on\n",
                TPM_CONF "set -g @resurrect-processes 'false'\nset -g @continuum-restore 'off'\n",
                NULL,
        };
        for (size_t i = 0; i < ELEMENTSOF(confs); i++) {
                char *root = make_root(confs[i], NULL);
                struct report *r = run(root, &h);
                assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
                report_free(r);
                host_free(h);
                fixture_remove(root);
        }
}

static void test_restore_list_naming_a_server_warns_with_none_running(void **state) {
        struct host *h;
        struct fproc none[] = { FPROC_INIT };
        char *root = fproc_root(none, 1);
        fixture_write(root, "etc/passwd", PASSWD);
        fixture_write(root, "home/dev/.tmux.conf", "set -g @plugin 'tmux-plugins/tmux-resurrect'\n"
                                                   "set -g @resurrect-processes 'vim \"~npm run dev\"'\n");
        struct report *r = run(root, &h);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_WARN);
        assert_int_equal(cr->n_findings, 1);
        assert_string_equal(cr->findings[0]->subject, "user dev");
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_unreadable_and_malformed(void **state) {
        struct host *h;
        char *root = make_root(NULL, NULL);
        fixture_mkdir(root, "home/dev/.tmux.conf");             /* a directory where the file is expected */
        fixture_write(root, "home/dev/.config/tmux/tmux.conf",
                      "set -g @plugin 'tmux-plugins/tmux-resurrect\n"      /* unbalanced: tmux refuses it too */
                      "\x1b[31m garbage \xff\n");
        struct report *r = run(root, &h);
        /* The directory is named as what it is; the malformed file is judged (and passes). */
        assert_int_equal(report_check(r, 0)->status, STATUS_ERROR);
        assert_int_equal(report_check(r, 0)->n_findings, 1);
        assert_string_equal(report_check(r, 0)->findings[0]->subject, "/home/dev");
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message, "/home/dev/.tmux.conf: Is a directory"));
        report_free(r);
        host_free(h);
        fixture_remove(root);

        root = make_root(TPM_CONF, NULL);
        char *p;
        assert_true(asprintf(&p, "%s/etc/passwd", root) > 0);
        assert_int_equal(unlink(p), 0);
        free(p);
        fixture_mkdir(root, "etc/passwd");
        r = run(root, &h);
        assert_int_equal(report_check(r, 0)->status, STATUS_ERROR);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* A FIFO where ~/.tmux.conf is expected: an error naming it, at once, never a hang. */
static void test_fifo_conf_is_an_error_not_a_hang(void **state) {
        struct host *h;
        char *root = make_root(NULL, NULL);
        char *p;
        assert_true(asprintf(&p, "%s/home/dev/.tmux.conf", root) > 0);
        assert_int_equal(mkfifo(p, 0644), 0);
        free(p);
        alarm(FIXTURE_HANG_BOUND_S);
        struct report *r = run(root, &h);
        alarm(0);
        assert_int_equal(report_check(r, 0)->status, STATUS_ERROR);
        assert_non_null(strstr(report_check(r, 0)->findings[0]->message,
                               "cannot read /home/dev/.tmux.conf: it is a FIFO, not a regular file"));
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* Ten source-file lines of itself at every level was 10^8 reads; now each file is read once. */
static void test_source_file_fan_out_is_bounded(void **state) {
        struct host *h;
        struct tmux_conf c;
        char conf[1024] = "set -g @plugin 'tmux-plugins/tmux-resurrect'\n";
        for (int i = 0; i < 10; i++)
                strcat(conf, "source-file ~/.tmux.conf\nsource-file ~/.tmux/extra.conf\n");
        char *root = make_root(conf, conf);
        assert_int_equal(host_open(root, &h), 0);
        alarm(FIXTURE_HANG_BOUND_S);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        alarm(0);
        assert_int_equal(c.n_files, 2);
        assert_true(c.resurrect);
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);

        /* Many distinct files: read up to the bound, then the rest is said to be left unread. */
        root = make_root("source-file ~/.tmux/f0.conf\n", NULL);
        for (int i = 0; i < TMUXCONF_FILES_MAX + 10; i++) {
                char path[64], text[64];
                snprintf(path, sizeof(path), "home/dev/.tmux/f%d.conf", i);
                snprintf(text, sizeof(text), "source-file ~/.tmux/f%d.conf\n", i + 1);
                fixture_write(root, path, text);
        }
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        assert_int_equal(c.n_files, TMUXCONF_DEPTH_MAX + 1);   /* depth still bounds a chain */
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);

        /* Wide: one file sourcing more files than the bound. */
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i < TMUXCONF_FILES_MAX + 10; i++)
                strbuf_addf(&sb, "source-file ~/.tmux/w%d.conf\n", i);
        root = make_root(strbuf_str(&sb), NULL);
        for (int i = 0; i < TMUXCONF_FILES_MAX + 10; i++) {
                char path[64];
                snprintf(path, sizeof(path), "home/dev/.tmux/w%d.conf", i);
                fixture_write(root, path, "set -g status on\n");
        }
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        assert_int_equal(c.n_files, TMUXCONF_FILES_MAX);
        assert_non_null(c.problem);
        assert_non_null(strstr(c.problem, "more than 64 files"));
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);
        strbuf_release(&sb);
}

/* tmux 3 expands source-file paths with glob(3): a plugin loaded from a conf.d glob counts. */
static void test_source_file_glob_is_followed(void **state) {
        struct host *h;
        struct tmux_conf c;
        char *root = make_root("source-file -q ~/.tmux/conf.d/*.conf\nsource ~/.tmux/[p]lugins/*/settings\n", NULL);
        fixture_write(root, "home/dev/.tmux/conf.d/10-base.conf", "set -g status on\n");
        fixture_write(root, "home/dev/.tmux/conf.d/20-plugins.conf", "set -g @plugin 'tmux-plugins/tmux-resurrect'\n"
                      "set -g @resurrect-processes 'false'\n");
        /* Sorted as glob(3) sorts: 30- after 20-, so its setting is the last word. */
        fixture_write(root, "home/dev/.tmux/conf.d/30-restore.conf", "set -g @resurrect-processes ':all:'\n");
        fixture_write(root, "home/dev/.tmux/conf.d/.hidden.conf", "set -g @plugin 'tmux-plugins/tmux-continuum'\n");
        fixture_write(root, "home/dev/.tmux/conf.d/notes.txt", "set -g @plugin 'tmux-plugins/tmux-continuum'\n");
        fixture_write(root, "home/dev/.tmux/plugins/a/settings", "set -g @continuum-save-interval '7'\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        assert_true(c.resurrect);
        assert_false(c.continuum);              /* neither the hidden file nor a .txt matched */
        assert_string_equal(c.processes, ":all:");
        assert_string_equal(c.save_interval, "7");
        assert_int_equal(c.n_files, 5);
        assert_null(c.problem);
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);
}

/* A glob matches within the root, and no more files than the bound whatever it matches. */
static void test_source_file_glob_is_bounded_and_stays_in_the_root(void **state) {
        struct host *h;
        struct tmux_conf c;
        char *outside = fixture_new(), *target;
        fixture_write(outside, "evil/x.conf", "set -g @plugin 'tmux-plugins/tmux-resurrect'\n");
        assert_true(asprintf(&target, "%s/evil", outside) > 0);
        char *root = make_root("source-file ~/.tmux/link/*.conf\nsource-file ~/.tmux/many/*\n", NULL);
        fixture_symlink(root, target, "home/dev/.tmux/link");
        for (int i = 0; i < TMUXCONF_FILES_MAX + 10; i++) {
                char path[64];
                snprintf(path, sizeof(path), "home/dev/.tmux/many/m%03d", i);
                fixture_write(root, path, "set -g status on\n");
        }
        assert_int_equal(host_open(root, &h), 0);
        alarm(FIXTURE_HANG_BOUND_S);
        assert_int_equal(tmuxconf_load(h, "/home/dev", &c), 0);
        alarm(0);
        assert_false(c.resurrect);
        assert_int_equal(c.n_files, TMUXCONF_FILES_MAX);
        assert_non_null(c.problem);
        assert_non_null(strstr(c.problem, "more than 64 files"));
        tmuxconf_done(&c);
        host_free(h);
        fixture_remove(root);
        fixture_remove(outside);
        free(target);
}

static struct plan *plan_for(const char *root, struct host **ret_h, struct report **ret_r) {
        *ret_r = run(root, ret_h);
        return report_plan_all(*ret_h, *ret_r);
}

static void test_fix_with_default_list_leaves_conf_and_names_the_owner(void **state) {
        struct host *h;
        struct report *r;
        char *root = make_root(TPM_CONF, NULL);
        struct plan *p = plan_for(root, &h, &r);
        /* Nothing in tmux.conf stops a session from ending; the unit is dev-server's to write. */
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "hostfit fix dev-server"));
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_fix_inserts_lines_above_tpm_keeps_owner_and_writes_no_unit(void **state) {
        struct host *h;
        struct report *r;
        char *root = make_root(ALL_CONF, NULL);
        fixture_chmod(root, "home/dev/.tmux.conf", 0600);
        char *before = fixture_tree_hash(root);
        struct plan *p = plan_for(root, &h, &r);
        assert_int_equal(plan_size(p), 2);
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_string_equal(a->path, "/home/dev/.tmux.conf");
        assert_string_equal(a->old, ALL_CONF);
        /* Above TPM's run line, which stays last: continuum decides on restore while it runs. */
        assert_string_equal(a->content,
                            "set -g @plugin 'tmux-plugins/tpm'\n"
                            "set -g @plugin 'tmux-plugins/tmux-resurrect'\n"
                            "set -g @plugin 'tmux-plugins/tmux-continuum'\n"
                            "set -g @resurrect-processes ':all:'\n"
                            "set -g @continuum-restore 'on'\n"
                            "# hostfit: servers run as systemd units; tmux-resurrect must not restart or kill them\n"
                            "set -g @resurrect-processes 'false'\nset -g @continuum-restore 'off'\n"
                            "run '~/.tmux/plugins/tpm/tpm'\n"
                            "# the end\n");
        assert_int_equal(a->uid, 1000);
        assert_int_equal(a->mode, 0600);
        /* The unit is its owner's (dev-server): this fix writes none. */
        assert_int_equal(plan_action(p, 1)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 1)->text, "hostfit fix dev-server"));
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);

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
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        assert_int_equal(plan_size(p), 0);
        plan_free(p);
        report_free(r);
        host_free(h);
        free(before);
        free(after);
        fixture_remove(root);

        /* run-shell, indented, with -b: still TPM's line */
        root = make_root("set -g @plugin 'tmux-plugins/tmux-resurrect'\nset -g @resurrect-processes ':all:'\n"
                         "  run-shell -b ~/.tmux/plugins/tpm/tpm\n", NULL);
        p = plan_for(root, &h, &r);
        assert_string_equal(plan_action(p, 0)->content,
                            "set -g @plugin 'tmux-plugins/tmux-resurrect'\nset -g @resurrect-processes ':all:'\n"
                            "# hostfit: servers run as systemd units; tmux-resurrect must not restart or kill them\n"
                            "set -g @resurrect-processes 'false'\n"
                            "  run-shell -b ~/.tmux/plugins/tpm/tpm\n");
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_fix_refuses_symlinked_conf(void **state) {
        struct host *h;
        struct report *r;
        char *root = make_root(NULL, ALL_CONF);
        fixture_symlink(root, "/home/dev/.tmux/extra.conf", "home/dev/.tmux.conf");
        struct plan *p = plan_for(root, &h, &r);
        assert_int_equal(report_check(r, 0)->status, STATUS_FAIL);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "symlink"));
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->kind == ACTION_WRITE_FILE)
                        assert_null(strstr(plan_action(p, i)->path, "tmux"));
        plan_free(p);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conf_follows_source_file_and_reads_settings),
                cmocka_unit_test(test_conf_run_shell_and_process_lists),
                cmocka_unit_test(test_symlink_out_of_root_is_not_followed),
                cmocka_unit_test(test_service_in_tmux_with_resurrect_fails),
                cmocka_unit_test(test_passes_without_plugin_or_with_restore_off),
                cmocka_unit_test(test_restore_list_naming_a_server_warns_with_none_running),
                cmocka_unit_test(test_unreadable_and_malformed),
                cmocka_unit_test(test_fix_with_default_list_leaves_conf_and_names_the_owner),
                cmocka_unit_test(test_container_tmux_is_not_the_hosts),
                cmocka_unit_test(test_fix_inserts_lines_above_tpm_keeps_owner_and_writes_no_unit),
                cmocka_unit_test(test_fifo_conf_is_an_error_not_a_hang),
                cmocka_unit_test(test_source_file_fan_out_is_bounded),
                cmocka_unit_test(test_source_file_glob_is_followed),
                cmocka_unit_test(test_source_file_glob_is_bounded_and_stays_in_the_root),
                cmocka_unit_test(test_fix_refuses_symlinked_conf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
