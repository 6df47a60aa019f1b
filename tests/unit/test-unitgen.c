/* SPDX-License-Identifier: MIT */
/* Unit generator: hostile argv survives quoting byte for byte, and systemd accepts the unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "text/cleanup.h"
#include "fixture.h"
#include "host/host.h"
#include "text/strbuf.h"
#include "systemd/unitgen.h"

static void free_argv(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static char *quote(char *const *argv, size_t argc) {
        struct strbuf sb = STRBUF_INIT;
        assert_int_equal(unit_quote_exec_argv(&sb, argv, argc), 0);
        return strbuf_detach(&sb, NULL);
}

static void assert_roundtrip(char *const *argv, size_t argc) {
        _cleanup_free_ char *q = quote(argv, argc);
        assert_null(strchr(q, '\n'));
        assert_null(strchr(q, '\r'));
        for (const unsigned char *c = (const unsigned char *) q; *c; c++)
                assert_true(*c >= 0x20 && *c != 0x7f);
        char **back = NULL;
        size_t n = 0;
        assert_int_equal(unit_split_exec(q, &back, &n), 0);
        assert_int_equal(n, argc);
        for (size_t i = 0; i < argc; i++)
                assert_string_equal(back[i], argv[i]);
        free_argv(back, n);
}

static char *const hostile[] = {
        "/bin/true",
        "line\nExecStartPre=/bin/evil",
        "100%n %% %",
        "say \"hi\" 'there'",
        "back\\slash\\",
        "$HOME ${PATH} $$ $",
        "a;b", ";",
        "\x1b[31mred\x1b[0m",
        "\xff\xfe not utf-8 \xc3",
        "",
        "-leading-dash",
        "tab\there\rcr",
        "caf\xc3\xa9 \xe2\x82\xac",
        "\xc2\x85 next-line",
        "#not a comment",
        "trailing space ",
};

static void test_hostile_argv_roundtrips(void **state) {
        assert_roundtrip(hostile, ELEMENTSOF(hostile));
        for (size_t i = 1; i < ELEMENTSOF(hostile); i++) {
                char *const two[] = { "/usr/bin/node", hostile[i] };
                assert_roundtrip(two, 2);
        }
}

static void test_quoting_escapes_specials(void **state) {
        char *const argv[] = { "/bin/echo", "50%", "$X", "a\"b", "c\\d", "\n" };
        _cleanup_free_ char *q = quote(argv, ELEMENTSOF(argv));
        assert_string_equal(q, "\"/bin/echo\" \"50%%\" \"$$X\" \"a\\\"b\" \"c\\\\d\" \"\\x0a\"");
}

static void test_argv0_flag_prefix_refused(void **state) {
        const char *bad[] = { "-/bin/true", "@/bin/true", ":/bin/true", "+/bin/true", "!/bin/true",
                              ";", "", "./server", "/usr//bin/x", "/bin/$x", "bin/x" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct strbuf sb = STRBUF_INIT;
                char *const argv[] = { (char *) bad[i], "x" };
                assert_int_equal(unit_quote_exec_argv(&sb, argv, 2), -EINVAL);
                assert_int_equal(sb.len, 0);
                strbuf_release(&sb);
        }
        /* A plain file name is searched by systemd: fine. */
        char *const ok[] = { "node", "server.js" };
        assert_roundtrip(ok, 2);
}

static void test_exec_path_keeps_any_argv0(void **state) {
        char *const argv[] = { "-bash", "$x", "%i" };
        struct strbuf sb = STRBUF_INIT;
        assert_int_equal(unit_quote_exec_path(&sb, "/bin/bash", argv, 3), 0);
        assert_string_equal(strbuf_str(&sb), "\"@/bin/bash\" \"-bash\" \"$$x\" \"%%i\"");
        char **back = NULL;
        size_t n = 0;
        assert_int_equal(unit_split_exec(strbuf_str(&sb), &back, &n), 0);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < 3; i++)
                assert_string_equal(back[i], argv[i]);
        free_argv(back, n);
        strbuf_release(&sb);
        assert_int_equal(unit_quote_exec_path(&sb, "relative/x", argv, 3), -EINVAL);
        strbuf_release(&sb);
}

static void test_split_reads_systemd_syntax(void **state) {
        char **v = NULL;
        size_t n = 0;
        assert_int_equal(unit_split_exec("-/usr/bin/env  'a b'\\x41 c\\sd \"e\\tf\" ; /bin/false", &v, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(v[0], "/usr/bin/env");
        assert_string_equal(v[1], "a bA");
        assert_string_equal(v[2], "c d");
        assert_string_equal(v[3], "e\tf");
        free_argv(v, n);
        assert_int_equal(unit_split_exec("/bin/x \"unterminated", &v, &n), -EINVAL);
        assert_int_equal(unit_split_exec("/bin/x \\q", &v, &n), -EINVAL);
        assert_int_equal(unit_split_exec("   ", &v, &n), -EINVAL);
}

static void test_unit_name_make_escapes(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        assert_int_equal(unit_name_make("node-3000", ".service", &a), 0);
        assert_string_equal(a, "hostfit-node-3000.service");
        assert_int_equal(unit_name_make("my app/ü\n", "service", &b), 0);
        assert_string_equal(b, "hostfit-my\\x20app-\\xc3\\xbc\\x0a.service");
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;
        assert_int_equal(unit_name_make(long_name, "service", &c), -ENAMETOOLONG);
        assert_int_equal(unit_name_make("", "service", &c), -EINVAL);
        assert_int_equal(unit_name_make("x", ".Serv ice", &c), -EINVAL);
}

static const char *const allowed_keys[] = {
        "Description", "After", "StartLimitIntervalSec", "StartLimitBurst", "ExecStart",
        "WorkingDirectory", "User", "Group", "Environment", "Restart", "RestartSec",
        "MemoryHigh", "MemoryMax", "OOMScoreAdjust", "WantedBy", NULL,
};

/* Every line is blank, a comment, a section, or one of the template's keys; ExecStart once. */
static void assert_only_template_keys(const char *unit) {
        _cleanup_free_ char *copy = strdup(unit);
        unsigned exec = 0;
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (l[0] == '#' || l[0] == '[')
                        continue;
                char *eq = strchr(l, '=');
                assert_non_null(eq);
                *eq = 0;
                bool known = false;
                for (size_t i = 0; allowed_keys[i]; i++)
                        known = known || strcmp(l, allowed_keys[i]) == 0;
                if (!known)
                        fail_msg("unexpected directive %s", l);
                exec += strcmp(l, "ExecStart") == 0;
        }
        assert_int_equal(exec, 1);
}

static bool have_analyze(void) {
        return access("/usr/bin/systemd-analyze", X_OK) == 0;
}

/* systemd-analyze verify: exit 0 and not one warning about the file. */
static void assert_systemd_accepts(const char *name, const char *text) {
        char *dir = fixture_new();
        fixture_write(dir, name, text);
        char *cmd;
        assert_true(asprintf(&cmd, "cd '%s' && /usr/bin/systemd-analyze verify --man=no ./%s >out 2>&1", dir, name) > 0);
        int st = system(cmd);
        _cleanup_free_ char *out = fixture_read(dir, "out");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (out && strstr(out, name)))
                fail_msg("systemd-analyze verify refused %s:\n%s\n%s", name, text, out ? out : "");
        free(cmd);
        fixture_remove(dir);
}

static void test_service_hostile_argv_verified(void **state) {
        const char *env[] = { "NODE_ENV=production", "PORT=3000", "GREETING=50% \"off\" $5\n\tok", NULL };
        struct unit_spec s = {
                .name = "hostfit-test-1.service",
                .description = "node server.js (from tmux) 100%",
                .argv = hostile, .argc = ELEMENTSOF(hostile),
                .working_directory = "/tmp/100% dir",
                .user = "root", .group = "root",
                .environment = env,
                .memory_high = 768ULL << 20, .memory_max = 1ULL << 30,
                .has_oom_score_adjust = true, .oom_score_adjust = -500,
        };
        _cleanup_free_ char *out = NULL, *err = NULL;
        size_t len = 0;
        assert_int_equal(unitgen_service(NULL, &s, &out, &len, &err), 0);
        assert_int_equal(strlen(out), len);
        assert_non_null(strstr(out, "\nMemoryHigh=768M\nMemoryMax=1G\nOOMScoreAdjust=-500\n"));
        assert_non_null(strstr(out, "\nWorkingDirectory=/tmp/100%% dir\n"));
        assert_non_null(strstr(out, "\nRestart=on-failure\nRestartSec=5\n"));
        assert_null(strstr(out, "\n\n\n"));
        assert_only_template_keys(out);
        const char *ex = strstr(out, "\nExecStart=") + strlen("\nExecStart=");
        _cleanup_free_ char *line = strndup(ex, strcspn(ex, "\n"));
        char **back = NULL;
        size_t n = 0;
        assert_int_equal(unit_split_exec(line, &back, &n), 0);
        assert_int_equal(n, ELEMENTSOF(hostile));
        for (size_t i = 0; i < n; i++)
                assert_string_equal(back[i], hostile[i]);
        free_argv(back, n);
        if (!have_analyze())
                skip();
        assert_systemd_accepts(s.name, out);
}

static void test_service_minimal_has_no_empty_settings(void **state) {
        char *const argv[] = { "/bin/true" };
        struct unit_spec s = { .name = "hostfit-min.service", .argv = argv, .argc = 1, .restart_sec = 10 };
        _cleanup_free_ char *out = NULL, *err = NULL;
        assert_int_equal(unitgen_service(NULL, &s, &out, NULL, &err), 0);
        assert_null(strstr(out, "=\n"));
        assert_null(strstr(out, "User="));
        assert_null(strstr(out, "MemoryMax"));
        assert_non_null(strstr(out, "\nRestartSec=10\n"));
        assert_only_template_keys(out);
        if (!have_analyze())
                skip();
        assert_systemd_accepts(s.name, out);
}

static void test_service_refuses_unwritable_values(void **state) {
        char *const argv[] = { "/bin/true" };
        const char *bad_env[] = { "TOKEN\nExecStartPre=/bin/evil=1", NULL };
        const char *bad_env2[] = { "X=\x1b[31m", NULL };
        struct unit_spec s = { .name = "hostfit-x.service", .argv = argv, .argc = 1 };
        struct unit_spec cases[6];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                cases[i] = s;
        cases[0].working_directory = "/tmp/a\nExecStartPre=/bin/evil";
        cases[1].user = "root\nExecStartPre=/bin/evil";
        cases[2].environment = bad_env;
        cases[3].environment = bad_env2;
        cases[4].description = "x\n[Service]";
        cases[5].restart = "always\nUser=root";
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *out = NULL, *err = NULL;
                assert_int_equal(unitgen_service(NULL, &cases[i], &out, NULL, &err), -EINVAL);
                assert_null(out);
                assert_non_null(err);
                assert_null(strchr(err, '\n'));
                free(err);
        }
}

static void test_service_template_override(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/hostfit/templates/service.service",
                      "[Service]\nExecStart={{exec_start}}\n{{service_settings}}{{resource_settings}}");
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        char *const argv[] = { "/bin/true", "a b" };
        struct unit_spec s = { .name = "hostfit-o.service", .argv = argv, .argc = 2, .user = "nobody" };
        _cleanup_free_ char *out = NULL, *err = NULL;
        assert_int_equal(unitgen_service(h, &s, &out, NULL, &err), 0);
        assert_string_equal(out, "[Service]\nExecStart=\"/bin/true\" \"a b\"\nUser=nobody\n");
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostile_argv_roundtrips),
                cmocka_unit_test(test_quoting_escapes_specials),
                cmocka_unit_test(test_argv0_flag_prefix_refused),
                cmocka_unit_test(test_exec_path_keeps_any_argv0),
                cmocka_unit_test(test_split_reads_systemd_syntax),
                cmocka_unit_test(test_unit_name_make_escapes),
                cmocka_unit_test(test_service_hostile_argv_verified),
                cmocka_unit_test(test_service_minimal_has_no_empty_settings),
                cmocka_unit_test(test_service_refuses_unwritable_values),
                cmocka_unit_test(test_service_template_override),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
