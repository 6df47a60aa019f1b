/* SPDX-License-Identifier: MIT */
/* Plan rendering: text diffs and one line per action, escaping, and JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "host/host.h"
#include "plan/plan.h"

struct env {
        char *root;
        struct host *host;
        struct plan *plan;
};

static int setup(void **state) {
        struct env *e = calloc(1, sizeof(*e));
        e->root = fixture_new();
        fixture_write(e->root, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
        assert_int_equal(host_open(e->root, &e->host), 0);
        assert_int_equal(plan_new(e->host, &e->plan), 0);
        *state = e;
        return 0;
}

static int teardown(void **state) {
        struct env *e = *state;
        plan_free(e->plan);
        host_free(e->host);
        fixture_remove(e->root);
        free(e);
        return 0;
}

static char *render_text(struct plan *p, bool color) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(plan_render_text(p, f, color), 0);
        fclose(f);
        return buf;
}

static char *render_json(struct plan *p) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(plan_render_json(p, f), 0);
        fclose(f);
        return buf;
}

/* Parse JSON with python3 and print EXPR of the parsed document. */
static char *json_query(const char *json, const char *expr) {
        char path[] = "/tmp/hostfit-json.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs(json, f);
        fclose(f);
        char *cmd, *out = NULL;
        size_t len = 0;
        assert_true(asprintf(&cmd, "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(%s)' %s",
                             expr, path) > 0);
        FILE *p = popen(cmd, "r");
        FILE *m = open_memstream(&out, &len);
        int c;
        while ((c = fgetc(p)) != EOF)
                fputc(c, m);
        int st = pclose(p);
        fclose(m);
        unlink(path);
        free(cmd);
        assert_int_equal(st, 0);
        return out;
}

static void assert_text(struct plan *p, const char *expected) {
        char *t = render_text(p, false);
        assert_string_equal(t, expected);
        free(t);
}

static void test_empty_plan_says_nothing_to_do(void **state) {
        struct env *e = *state;
        assert_text(e->plan, "nothing to do\n");
        char *j = render_json(e->plan);
        assert_string_equal(j, "{\"version\":1,\"actions\":[]}\n");
        free(j);
}

static void test_text_new_file_diffs_from_dev_null(void **state) {
        struct env *e = *state;
        const char *unit = "[Service]\nMemoryMax=2G\n";
        assert_int_equal(plan_add_write(e->plan, "unit-memorymax", "/etc/systemd/system/a.service.d/50-hostfit.conf",
                                        unit, strlen(unit), 0644), 1);
        assert_text(e->plan,
                    "--- /dev/null\n"
                    "+++ b/etc/systemd/system/a.service.d/50-hostfit.conf\n"
                    "@@ -0,0 +1,2 @@\n"
                    "+[Service]\n"
                    "+MemoryMax=2G\n");
}

static void test_text_replaced_file_diffs_from_old(void **state) {
        struct env *e = *state;
        const char *fstab = "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n";
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", fstab, strlen(fstab), 0644), 1);
        assert_text(e->plan,
                    "--- a/etc/fstab\n+++ b/etc/fstab\n@@ -1 +1,2 @@\n UUID=1 / ext4 defaults 0 1\n"
                    "+/swapfile none swap sw 0 0\n");
}

static void test_text_color_marks_lines(void **state) {
        struct env *e = *state;
        const char *fstab = "UUID=2 / ext4 defaults 0 1\n";
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", fstab, strlen(fstab), 0644), 1);
        char *t = render_text(e->plan, true);
        assert_non_null(strstr(t, "\033[36m@@ -1 +1 @@\033[0m\n"));
        assert_non_null(strstr(t, "\033[31m-UUID=1 / ext4 defaults 0 1\033[0m\n"));
        assert_non_null(strstr(t, "\033[32m+UUID=2 / ext4 defaults 0 1\033[0m\n"));
        free(t);
        t = render_text(e->plan, false);
        assert_null(strchr(t, '\033'));
        free(t);
}

static void test_text_escapes_hostile_file_bytes(void **state) {
        struct env *e = *state;
        fixture_write(e->root, "/etc/motd", "hello\033]0;owned\007\n");
        const char *motd = "hello\n\033[2J\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/motd", motd, strlen(motd), 0644), 1);
        char *t = render_text(e->plan, true);
        /* The only ESC bytes left are our own color sequences. */
        for (char *p = strchr(t, '\033'); p; p = strchr(p + 1, '\033'))
                assert_true(strncmp(p, "\033[3", 3) == 0 || strncmp(p, "\033[0m", 4) == 0 || strncmp(p, "\033[1m", 4) == 0);
        assert_non_null(strstr(t, "-hello\\x1b]0;owned\\x07"));
        assert_non_null(strstr(t, "+\\x1b[2J"));
        free(t);
}

static void test_text_escapes_hostile_unit_name(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_systemd(e->plan, "x", SYSTEMD_START, "evil\033[31m.service", NULL), 1);
        assert_text(e->plan, "systemctl start evil\\x1b[31m.service (deferred: runs at next boot / when systemd runs)\n");
}

/* The dry-run text of a tab-separated fstab is a patch: applied to a copy of the old
 * file with patch -p1, it gives the planned file byte for byte. */
static void test_text_diff_of_tabbed_fstab_applies_with_patch(void **state) {
        struct env *e = *state;
        const char *old = "# <file system>\t<mount point>\t<type>\n"
                          "UUID=1\t/\text4\terrors=remount-ro\t0\t1\n"
                          "tmpfs\t/tmp\ttmpfs\tdefaults,nosuid\t0 0\n"
                          "/srv/my\\040dir /srv\tnone\tbind\t0 0\n";
        const char *new = "# <file system>\t<mount point>\t<type>\n"
                          "UUID=1\t/\text4\terrors=remount-ro\t0\t1\n"
                          "tmpfs\t/tmp\ttmpfs\tdefaults,nosuid\t0 0\n"
                          "/srv/my\\040dir /srv\tnone\tbind\t0 0\n"
                          "/swapfile\tnone\tswap\tsw\t0\t0\n";
        fixture_write(e->root, "/etc/fstab", old);
        assert_int_equal(plan_add_swapon(e->plan, "swap-missing", "/swapfile", -1), 1);
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", new, strlen(new), 0644), 1);
        char *t = render_text(e->plan, false);
        assert_null(strstr(t, "\\x09"));
        assert_non_null(strstr(t, "+/swapfile\tnone\tswap\tsw\t0\t0\n"));
        char *dir = fixture_new();
        fixture_write(dir, "etc/fstab", old);
        fixture_write(dir, "plan.txt", t);
        char *cmd;
        assert_true(asprintf(&cmd, "cd '%s' && patch -s -p1 < plan.txt", dir) > 0);
        assert_int_equal(system(cmd), 0);
        char *got = fixture_read(dir, "etc/fstab");
        assert_string_equal(got, new);
        free(got);
        free(cmd);
        free(t);
        fixture_remove(dir);
}

static void test_text_unit_name_as_systemd_spells_it(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_systemd(e->plan, "x", SYSTEMD_START, "hostfit-health@my\\x2dapp.service_8080.timer", NULL), 1);
        assert_text(e->plan, "systemctl start hostfit-health@my\\x2dapp.service_8080.timer "
                    "(deferred: runs at next boot / when systemd runs)\n");
}

static void test_text_one_line_per_runtime_action(void **state) {
        struct env *e = *state;
        const char *const props[] = { "MemoryHigh=1.5G", "MemoryMax=2G", NULL };
        assert_int_equal(plan_add_swapfile(e->plan, "swap-missing", "/swapfile", 2ULL << 30), 1);
        assert_int_equal(plan_add_swapon(e->plan, "swap-missing", "/swapfile", -1), 1);
        assert_int_equal(plan_note(e->plan, "the fstab line activates it at boot"), 0);
        assert_int_equal(plan_add_systemd(e->plan, "u", SYSTEMD_DAEMON_RELOAD, NULL, NULL), 1);
        assert_int_equal(plan_add_systemd(e->plan, "u", SYSTEMD_ENABLE, "foo.service", NULL), 1);
        assert_int_equal(plan_add_systemd(e->plan, "u", SYSTEMD_SET_PROPERTY, "foo.service", props), 1);
        assert_int_equal(plan_add_oom_score_adj(e->plan, "w", 902, "bash", 200, -500), 1);
        assert_int_equal(plan_add_manual(e->plan, "d", "replace vite with a production build"), 1);
        assert_text(e->plan,
                    "swapfile /swapfile: create 2.0 GiB, mode 0600, swap signature\n"
                    "swapon /swapfile (deferred: the fstab line activates it at boot)\n"
                    "systemctl daemon-reload (deferred: runs at next boot / when systemd runs)\n"
                    "systemctl enable foo.service (deferred: runs at next boot / when systemd runs)\n"
                    "set-property foo.service MemoryHigh=1.5G MemoryMax=2G (runtime) (deferred: runs at next boot / when systemd runs)\n"
                    "pid 902 (bash) oom_score_adj 200 -> -500 (not applied: does not apply offline: the pid exists only on the running system)\n"
                    "manual: replace vite with a production build\n");
}

static void test_describe_is_raw_and_names_the_action(void **state) {
        struct env *e = *state;
        char *d;
        assert_int_equal(plan_add_swapon(e->plan, "s", "/swap\tfile", 5), 1);
        assert_int_equal(action_describe(plan_action(e->plan, 0), &d), 0);
        assert_string_equal(d, "swapon /swap\tfile (priority 5) (deferred: runs at next boot / when systemd runs)");
        free(d);
        const char *c = "x\n";
        assert_int_equal(plan_add_write(e->plan, "s", "/etc/new", c, 2, 0640), 1);
        assert_int_equal(action_describe(plan_action(e->plan, 1), &d), 0);
        assert_string_equal(d, "write-file /etc/new: create, mode 0640, owner 0:0");
        free(d);
}

static void test_json_write_file_has_diff(void **state) {
        struct env *e = *state;
        const char *fstab = "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n";
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", fstab, strlen(fstab), 0644), 1);
        char *j = render_json(e->plan);
        assert_string_equal(j,
                "{\"version\":1,\"actions\":[{\"check\":\"swap-missing\",\"kind\":\"write-file\",\"path\":\"/etc/fstab\","
                "\"diff\":\"--- a/etc/fstab\\n+++ b/etc/fstab\\n@@ -1 +1,2 @@\\n UUID=1 / ext4 defaults 0 1\\n"
                "+/swapfile none swap sw 0 0\\n\","
                "\"before\":\"UUID=1 / ext4 defaults 0 1\\n\","
                "\"after\":\"UUID=1 / ext4 defaults 0 1\\n/swapfile none swap sw 0 0\\n\","
                "\"mode\":420,\"uid\":0,\"gid\":0,\"text\":null,\"deferred\":false}]}\n");
        free(j);
}

static void test_json_each_kind_parses_with_its_fields(void **state) {
        struct env *e = *state;
        const char *const props[] = { "MemoryMax=2G", NULL };
        plan_add_swapfile(e->plan, "swap-missing", "/swapfile", 1 << 20);
        plan_add_swapon(e->plan, "swap-missing", "/swapfile", 10);
        plan_add_systemd(e->plan, "u", SYSTEMD_SET_PROPERTY, "foo.service", props);
        plan_add_systemd(e->plan, "u", SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        plan_add_oom_score_adj(e->plan, "w", 902, "ba\"sh", 200, -500);
        plan_add_manual(e->plan, "d", "do \\ this");
        char *j = render_json(e->plan);
        char *out = json_query(j, "[(a[\"kind\"], a[\"path\"], a[\"diff\"]) for a in d[\"actions\"]]");
        assert_string_equal(out, "[('swapfile', '/swapfile', None), ('swapon', '/swapfile', None), "
                                 "('systemd', None, None), ('systemd', None, None), ('oom-score-adj', None, None), "
                                 "('manual', None, None)]\n");
        free(out);
        out = json_query(j, "d[\"actions\"][0][\"size\"], d[\"actions\"][1][\"priority\"], d[\"actions\"][1][\"deferred\"]");
        assert_string_equal(out, "1048576 10 True\n");
        free(out);
        out = json_query(j, "d[\"actions\"][2][\"op\"], d[\"actions\"][2][\"unit\"], d[\"actions\"][2][\"properties\"], d[\"actions\"][3][\"unit\"]");
        assert_string_equal(out, "set-property foo.service ['MemoryMax=2G'] None\n");
        free(out);
        out = json_query(j, "repr(d[\"actions\"][4][\"comm\"]), d[\"actions\"][4][\"pid\"], d[\"actions\"][4][\"from\"], d[\"actions\"][4][\"to\"], repr(d[\"actions\"][5][\"text\"])");
        assert_string_equal(out, "'ba\"sh' 902 200 -500 'do \\\\ this'\n");
        free(out);
        free(j);
}

static void test_json_escapes_control_and_invalid_bytes(void **state) {
        struct env *e = *state;
        const char bad[] = "a\033[2J\xff\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/new", bad, sizeof(bad) - 1, 0644), 1);
        char *j = render_json(e->plan);
        assert_null(strchr(j, '\033'));
        assert_non_null(strstr(j, "+a\\u001b[2J\\u00ff\\n"));
        char *out = json_query(j, "ascii(d[\"actions\"][0][\"diff\"].splitlines()[-1])");
        assert_string_equal(out, "'+a\\x1b[2J\\xff'\n");
        free(out);
        free(j);
}

static void test_rendering_writes_nothing(void **state) {
        struct env *e = *state;
        const char *fstab = "changed\n";
        char *before = fixture_tree_hash(e->root);
        plan_add_write(e->plan, "x", "/etc/fstab", fstab, strlen(fstab), 0644);
        plan_add_write(e->plan, "x", "/etc/new/dir/file", fstab, strlen(fstab), 0644);
        plan_add_swapfile(e->plan, "x", "/swapfile", 1 << 20);
        free(render_text(e->plan, true));
        free(render_json(e->plan));
        char *after = fixture_tree_hash(e->root);
        assert_string_equal(before, after);
        free(before);
        free(after);
}

/* Manual steps of one check that differ only in their digits show once; the line that counts
 * the others names every unit or file they differ in, so that none stands for another's. */
static void test_text_alike_manual_steps_name_what_differs(void **state) {
        struct env *e = *state;
        for (int i = 1; i <= 3; i++)
                assert_int_equal(plan_add_manualf(e->plan, "u", "set max = app%d.service:SIZE in /etc/hostfit/hostfit.conf", i), 0);
        /* Hand-overs naming their unit twice, once in its path: the name is said once. */
        for (int pid = 500; pid <= 502; pid++)
                assert_int_equal(plan_add_manualf(e->plan, "h", "hand over to web-%d.service (/etc/systemd/system/web-%d.service); "
                                                  "kill %d; systemctl enable --now web-%d.service", pid + 2500, pid + 2500, pid, pid + 2500), 0);
        /* Only a pid differs: counted, nothing to name. */
        assert_int_equal(plan_add_manual(e->plan, "k", "stop the loop pid 41 (1.5 MiB)"), 1);
        assert_int_equal(plan_add_manual(e->plan, "k", "stop the loop pid 4242 (12.25 MiB)"), 1);
        /* Another check, or a word of letters that differs: never alike. */
        assert_int_equal(plan_add_manual(e->plan, "v", "set max = app1.service:SIZE in /etc/hostfit/hostfit.conf"), 1);
        assert_int_equal(plan_add_manual(e->plan, "u", "set max = api1.service:SIZE in /etc/hostfit/hostfit.conf"), 1);
        /* A name that holds another as its start is still another name. */
        assert_int_equal(plan_add_manual(e->plan, "f", "remove /srv/app2/run"), 1);
        assert_int_equal(plan_add_manual(e->plan, "f", "remove /srv/app21/run"), 1);
        /* A name's host bytes are escaped, and a control byte does not end it. */
        assert_int_equal(plan_add_manual(e->plan, "f", "remove /srv/app2\x1b[2J/run"), 1);
        assert_int_equal(plan_add_manual(e->plan, "f", "remove /srv/app7\x1b[2J/run"), 1);
        assert_text(e->plan,
                    "manual: set max = app1.service:SIZE in /etc/hostfit/hostfit.conf\n"
                    "  and 2 more like it, naming app2.service, app3.service (--verbose lists each)\n"
                    "manual: hand over to web-3000.service (/etc/systemd/system/web-3000.service); kill 500; "
                    "systemctl enable --now web-3000.service\n"
                    "  and 2 more like it, naming web-3001.service, web-3002.service (--verbose lists each)\n"
                    "manual: stop the loop pid 41 (1.5 MiB)\n"
                    "  and 1 more like it (--verbose lists each)\n"
                    "manual: set max = app1.service:SIZE in /etc/hostfit/hostfit.conf\n"
                    "manual: set max = api1.service:SIZE in /etc/hostfit/hostfit.conf\n"
                    "manual: remove /srv/app2/run\n"
                    "  and 1 more like it, naming /srv/app21/run (--verbose lists each)\n"
                    "manual: remove /srv/app2\\x1b[2J/run\n"
                    "  and 1 more like it, naming /srv/app7\\x1b[2J/run (--verbose lists each)\n");
}

/* Past eight names, the line counts the rest; --verbose (every) lists each step. */
static void test_text_alike_manual_names_are_bounded(void **state) {
        struct env *e = *state;
        for (int i = 1; i <= 11; i++)
                assert_int_equal(plan_add_manualf(e->plan, "u", "no limit for unit%d.service", i), 0);
        assert_text(e->plan,
                    "manual: no limit for unit1.service\n"
                    "  and 10 more like it, naming unit2.service, unit3.service, unit4.service, unit5.service, "
                    "unit6.service, unit7.service, unit8.service, unit9.service and 2 more (--verbose lists each)\n");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(plan_render_text_full(e->plan, f, false, true), 0);
        fclose(f);
        size_t lines = 0;
        for (char *c = buf; *c; c++)
                lines += *c == '\n';
        assert_int_equal(lines, 11);
        assert_non_null(strstr(buf, "manual: no limit for unit11.service\n"));
        free(buf);
}

static void test_manual_names_rule(void **state) {
        (void) state;
        char **names = NULL;
        size_t n = 0;
        /* pids, sizes and versions are numbers: not names */
        assert_int_equal(plan_manual_names("kill 5 (1.0 GiB) of pid 5's", "kill 77 (10.25 GiB) of pid 77's", &names, &n), 0);
        assert_int_equal(n, 0);
        /* ':' and '=' end a name; a path whose last part is a name of the same step is left out */
        assert_int_equal(plan_manual_names("/etc/x/a1.service MemoryMax=1M a1.service:SIZE",
                                           "/etc/x/a2.service MemoryMax=2M a2.service:SIZE", &names, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(names[0], "2M");
        assert_string_equal(names[1], "a2.service");
        assert_null(names[2]);
        /* once each, across the steps of a group */
        assert_int_equal(plan_manual_names("zram0 on", "zram1 on", &names, &n), 0);
        assert_int_equal(plan_manual_names("zram0 on", "zram1 on", &names, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(names[2], "zram1");
        assert_int_equal(plan_manual_names("zram0 on", "zram1 off", &names, &n), -EINVAL);
        assert_int_equal(plan_manual_names("restart app0.service. Then", "restart app9.service. Then", &names, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(names[3], "app9.service");  /* a sentence's full stop is not the name's */
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_empty_plan_says_nothing_to_do, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_new_file_diffs_from_dev_null, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_replaced_file_diffs_from_old, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_color_marks_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_escapes_hostile_file_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_escapes_hostile_unit_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_diff_of_tabbed_fstab_applies_with_patch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_unit_name_as_systemd_spells_it, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_one_line_per_runtime_action, setup, teardown),
                cmocka_unit_test_setup_teardown(test_describe_is_raw_and_names_the_action, setup, teardown),
                cmocka_unit_test_setup_teardown(test_json_write_file_has_diff, setup, teardown),
                cmocka_unit_test_setup_teardown(test_json_each_kind_parses_with_its_fields, setup, teardown),
                cmocka_unit_test_setup_teardown(test_json_escapes_control_and_invalid_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rendering_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_alike_manual_steps_name_what_differs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_text_alike_manual_names_are_bounded, setup, teardown),
                cmocka_unit_test(test_manual_names_rule),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
