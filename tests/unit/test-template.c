/* SPDX-License-Identifier: MIT */
/* Templates: {{name}} expansion, its errors, and overrides under ROOT/etc/hostfit/templates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "host/host.h"
#include "host/template.h"

static void test_expands_every_placeholder(void **state) {
        const char *vars[] = { "unit", "web.service", "user", "www-data", NULL };
        const char text[] = "[Unit]\nDescription={{unit}}\n[Service]\nUser={{user}}\n# {{unit}}\n";
        char *out = NULL, *error = NULL;
        size_t len = 0;
        assert_int_equal(template_expand("t", text, strlen(text), vars, &out, &len, &error), 0);
        assert_string_equal(out, "[Unit]\nDescription=web.service\n[Service]\nUser=www-data\n# web.service\n");
        assert_int_equal(len, strlen(out));
        assert_null(error);
        free(out);
}

static void test_values_are_not_expanded_again(void **state) {
        const char *vars[] = { "a", "{{b}}", "b", "no", NULL };
        char *out = NULL;
        assert_int_equal(template_expand("t", "x={{a}}", 7, vars, &out, NULL, NULL), 0);
        assert_string_equal(out, "x={{b}}");
        free(out);
}

static void test_text_without_placeholders_is_unchanged(void **state) {
        char *out = NULL;
        size_t len = 99;
        assert_int_equal(template_expand("t", "plain } { text\n", 15, NULL, &out, &len, NULL), 0);
        assert_string_equal(out, "plain } { text\n");
        assert_int_equal(len, 15);
        free(out);
}

static void test_empty_template_and_empty_value(void **state) {
        const char *vars[] = { "v", "", NULL };
        char *out = NULL;
        assert_int_equal(template_expand("t", "", 0, vars, &out, NULL, NULL), 0);
        assert_string_equal(out, "");
        free(out);
        assert_int_equal(template_expand("t", "[{{v}}]", 7, vars, &out, NULL, NULL), 0);
        assert_string_equal(out, "[]");
        free(out);
}

static void test_unknown_placeholder_is_an_error(void **state) {
        const char *vars[] = { "unit", "x", NULL };
        char *out = NULL, *error = NULL;
        const char text[] = "{{unit}} {{memory_max}}";
        assert_int_equal(template_expand("svc.service", text, strlen(text), vars, &out, NULL, &error), -EINVAL);
        assert_null(out);
        assert_string_equal(error, "template svc.service: unknown placeholder {{memory_max}}");
        free(error);
}

static void test_unclosed_placeholder_is_an_error(void **state) {
        char *out = NULL, *error = NULL;
        assert_int_equal(template_expand("t", "a {{b", 5, NULL, &out, NULL, &error), -EINVAL);
        assert_null(out);
        assert_string_equal(error, "template t: unclosed {{");
        free(error);
}

static void test_placeholder_name_is_matched_exactly(void **state) {
        const char *vars[] = { "user", "x", NULL };
        char *out = NULL, *error = NULL;
        assert_int_equal(template_expand("t", "{{use}}", 7, vars, &out, NULL, &error), -EINVAL);
        free(error);
        error = NULL;
        assert_int_equal(template_expand("t", "{{users}}", 9, vars, &out, NULL, &error), -EINVAL);
        free(error);
}

static void test_override_file_wins(void **state) {
        /* Use a built-in template when there is one, so the override must beat it. */
        const char *name = template_builtins[0].name ? template_builtins[0].name : "hostfit-test.service";
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", TEMPLATE_OVERRIDE_DIR, name);
        char *root = fixture_new();
        fixture_write(root, path, "# site override {{who}}\n");
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        const char *vars[] = { "who", "ops", NULL };
        char *out = NULL, *error = NULL;
        assert_int_equal(template_render(h, name, vars, &out, NULL, &error), 0);
        assert_string_equal(out, "# site override ops\n");
        free(out);
        host_free(h);
        fixture_remove(root);
}

static void test_override_errors_name_the_file(void **state) {
        char *root = fixture_new();
        fixture_write(root, TEMPLATE_OVERRIDE_DIR "/x.service", "{{nope}}");
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        char *out = NULL, *error = NULL;
        assert_int_equal(template_render(h, "x.service", NULL, &out, NULL, &error), -EINVAL);
        assert_string_equal(error, "template /etc/hostfit/templates/x.service: unknown placeholder {{nope}}");
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_builtin_used_without_override(void **state) {
        if (!template_builtins[0].name)
                skip();
        const struct template_file *t = &template_builtins[0];
        assert_ptr_equal(template_builtin(t->name), t);
        char *root = fixture_new();
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        /* Rendering with no values either works (no placeholders) or names a missing one. */
        char *out = NULL, *error = NULL;
        int r = template_render(h, t->name, NULL, &out, NULL, &error);
        if (memmem(t->text, t->len, "{{", 2)) {
                assert_int_equal(r, -EINVAL);
                assert_non_null(strstr(error, t->name));
        } else {
                assert_int_equal(r, 0);
                assert_memory_equal(out, t->text, t->len);
        }
        free(out);
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_missing_template_and_bad_names(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        char *out = NULL;
        assert_null(template_builtin("no-such-template"));
        assert_int_equal(template_render(h, "no-such-template", NULL, &out, NULL, NULL), -ENOENT);
        assert_int_equal(template_render(h, "../passwd", NULL, &out, NULL, NULL), -EINVAL);
        assert_int_equal(template_render(h, "", NULL, &out, NULL, NULL), -EINVAL);
        assert_null(out);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expands_every_placeholder),
                cmocka_unit_test(test_values_are_not_expanded_again),
                cmocka_unit_test(test_text_without_placeholders_is_unchanged),
                cmocka_unit_test(test_empty_template_and_empty_value),
                cmocka_unit_test(test_unknown_placeholder_is_an_error),
                cmocka_unit_test(test_unclosed_placeholder_is_an_error),
                cmocka_unit_test(test_placeholder_name_is_matched_exactly),
                cmocka_unit_test(test_override_file_wins),
                cmocka_unit_test(test_override_errors_name_the_file),
                cmocka_unit_test(test_builtin_used_without_override),
                cmocka_unit_test(test_missing_template_and_bad_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
