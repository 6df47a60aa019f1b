/* SPDX-License-Identifier: MIT */
/* Unified diffs: golden outputs checked against GNU diff -u (--label a/x --label b/x). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/diff.h"

static char *udiff(const char *old, const char *new) {
        struct strbuf sb = STRBUF_INIT;
        assert_int_equal(diff_unified(&sb, "a/x", old, old ? strlen(old) : 0, "b/x", new, new ? strlen(new) : 0), 0);
        char *s = strbuf_detach(&sb, NULL);
        assert_non_null(s);
        return s;
}

static void check(const char *old, const char *new, const char *expected) {
        char *d = udiff(old, new);
        assert_string_equal(d, expected);
        free(d);
}

static const char fstab[] =
        "# /etc/fstab: static file system information.\n"
        "#\n"
        "# <file system>  <mount point>   <type>  <options>       <dump>  <pass>\n"
        "UUID=1234-abcd  /               ext4    errors=remount-ro 0       1\n"
        "\n"
        "# swap was on /dev/sda5 during installation\n"
        "   UUID=5678 none  swap sw  0 0\n";

static void test_append_line_to_fstab(void **state) {
        char *new;
        assert_true(asprintf(&new, "%s/swapfile none swap sw 0 0\n", fstab) > 0);
        struct strbuf sb = STRBUF_INIT;
        assert_int_equal(diff_unified(&sb, "a/etc/fstab", fstab, strlen(fstab), "b/etc/fstab", new, strlen(new)), 0);
        assert_string_equal(strbuf_str(&sb),
                "--- a/etc/fstab\n"
                "+++ b/etc/fstab\n"
                "@@ -5,3 +5,4 @@\n"
                " \n"
                " # swap was on /dev/sda5 during installation\n"
                "    UUID=5678 none  swap sw  0 0\n"
                "+/swapfile none swap sw 0 0\n");
        strbuf_release(&sb);
        free(new);
}

static char *seq(int n, int replace_at, const char *with) {
        struct strbuf sb = STRBUF_INIT;
        for (int i = 1; i <= n; i++)
                if (i == replace_at)
                        strbuf_addf(&sb, "%s\n", with);
                else
                        strbuf_addf(&sb, "%d\n", i);
        return strbuf_detach(&sb, NULL);
}

static void test_change_in_middle_has_three_lines_of_context(void **state) {
        char *a = seq(20, 0, NULL), *b = seq(20, 10, "ten");
        check(a, b,
              "--- a/x\n+++ b/x\n@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n");
        free(a);
        free(b);
}

static void test_removals_far_apart_make_two_hunks(void **state) {
        char *a = seq(20, 0, NULL);
        const char *b = "1\n2\n3\n4\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n18\n19\n20\n";
        check(a, b,
              "--- a/x\n+++ b/x\n"
              "@@ -2,7 +2,6 @@\n 2\n 3\n 4\n-5\n 6\n 7\n 8\n"
              "@@ -14,7 +13,6 @@\n 14\n 15\n 16\n-17\n 18\n 19\n 20\n");
        free(a);
}

static void test_changes_six_lines_apart_share_a_hunk(void **state) {
        char *a = seq(20, 0, NULL);
        const char *b = "1\n2\nthree\n4\n5\n6\n7\n8\n9\nten\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
        check(a, b,
              "--- a/x\n+++ b/x\n@@ -1,13 +1,13 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n");
        free(a);
}

static void test_changes_seven_lines_apart_split(void **state) {
        char *a = seq(20, 0, NULL);
        const char *b = "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\neleven\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";
        check(a, b,
              "--- a/x\n+++ b/x\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
              "@@ -8,7 +8,7 @@\n 8\n 9\n 10\n-11\n+eleven\n 12\n 13\n 14\n");
        free(a);
}

static void test_single_line_ranges_omit_count(void **state) {
        check("a\n", "b\n", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n");
}

static void test_new_file_diffs_against_dev_null(void **state) {
        check(NULL, "x\ny\n", "--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}

static void test_emptied_file_has_zero_count(void **state) {
        check("x\ny\n", "", "--- a/x\n+++ b/x\n@@ -1,2 +0,0 @@\n-x\n-y\n");
}

static void test_removed_file_diffs_against_dev_null(void **state) {
        check("x\ny\n", NULL, "--- a/x\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n");
}

static void test_newline_added_at_end(void **state) {
        check("a\nb\nc", "a\nb\nc\n",
              "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+c\n");
}

static void test_newline_removed_at_end(void **state) {
        check("a\nb\nc\n", "a\nb\nc",
              "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n b\n-c\n+c\n\\ No newline at end of file\n");
}

static void test_no_newline_on_either_side(void **state) {
        check("a\nb\nc", "a\nb\nd",
              "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+d\n\\ No newline at end of file\n");
}

static void test_identical_inputs_give_empty_diff(void **state) {
        check(fstab, fstab, "");
        check("", "", "");
}

static void test_empty_new_file_differs_from_missing(void **state) {
        /* Creating an empty file is a change, but has no lines to show. */
        check(NULL, "", "");
}

static void test_large_input_with_scattered_changes(void **state) {
        /* ~4 MiB, 200k lines, 100 changes: quadratic algorithms would not finish. */
        size_t n = 200000;
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
                strbuf_addf(&a, "line %zu of the file\n", i);
                strbuf_addf(&b, i % 2000 == 7 ? "changed %zu\n" : "line %zu of the file\n", i);
        }
        struct strbuf d = STRBUF_INIT;
        assert_int_equal(diff_unified(&d, "a/x", a.buf, a.len, "b/x", b.buf, b.len), 0);
        size_t hunks = 0, minus = 0, plus = 0;
        for (const char *p = d.buf; p && *p; p = strchr(p, '\n') + 1) {
                hunks += strncmp(p, "@@ ", 3) == 0;
                minus += p[0] == '-' && p[1] != '-';
                plus += p[0] == '+' && p[1] != '+';
        }
        assert_int_equal(hunks, 100);
        assert_int_equal(minus, 100);
        assert_int_equal(plus, 100);
        assert_non_null(strstr(d.buf, "@@ -5,7 +5,7 @@\n line 4 of the file\n"));
        strbuf_release(&a);
        strbuf_release(&b);
        strbuf_release(&d);
}

static void test_large_input_entirely_different_terminates(void **state) {
        /* The cost cap keeps a worst case bounded; the result must still be a valid diff. */
        size_t n = 20000;
        struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, d = STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
                strbuf_addf(&a, "a%zu\n", (i * 7919) % n);
                strbuf_addf(&b, "b%zu\n", i);
        }
        assert_int_equal(diff_unified(&d, "a/x", a.buf, a.len, "b/x", b.buf, b.len), 0);
        size_t minus = 0, plus = 0;
        for (const char *p = d.buf; p && *p; p = strchr(p, '\n') + 1) {
                minus += p[0] == '-' && p[1] != '-';
                plus += p[0] == '+' && p[1] != '+';
        }
        assert_int_equal(minus, n);
        assert_int_equal(plus, n);
        strbuf_release(&a);
        strbuf_release(&b);
        strbuf_release(&d);
}

static int emit_count(void *userdata, enum diff_line type, const char *s, size_t len) {
        size_t *counts = userdata;
        counts[type]++;
        assert_null(memchr(s, '\n', len));
        return 0;
}

static void test_emit_reports_line_types(void **state) {
        size_t counts[DIFF_NO_NEWLINE + 1] = { 0 };
        const char *a = "one\ntwo\nthree", *b = "one\n2\nthree\nfour\n";
        assert_int_equal(diff_emit("a/x", a, strlen(a), "b/x", b, strlen(b), emit_count, counts), 0);
        assert_int_equal(counts[DIFF_HEADER_OLD], 1);
        assert_int_equal(counts[DIFF_HEADER_NEW], 1);
        assert_int_equal(counts[DIFF_HUNK], 1);
        assert_int_equal(counts[DIFF_CONTEXT_LINE], 1);
        assert_int_equal(counts[DIFF_DELETE], 2);
        assert_int_equal(counts[DIFF_INSERT], 3);
        assert_int_equal(counts[DIFF_NO_NEWLINE], 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_line_to_fstab),
                cmocka_unit_test(test_change_in_middle_has_three_lines_of_context),
                cmocka_unit_test(test_removals_far_apart_make_two_hunks),
                cmocka_unit_test(test_changes_six_lines_apart_share_a_hunk),
                cmocka_unit_test(test_changes_seven_lines_apart_split),
                cmocka_unit_test(test_single_line_ranges_omit_count),
                cmocka_unit_test(test_new_file_diffs_against_dev_null),
                cmocka_unit_test(test_emptied_file_has_zero_count),
                cmocka_unit_test(test_removed_file_diffs_against_dev_null),
                cmocka_unit_test(test_newline_added_at_end),
                cmocka_unit_test(test_newline_removed_at_end),
                cmocka_unit_test(test_no_newline_on_either_side),
                cmocka_unit_test(test_identical_inputs_give_empty_diff),
                cmocka_unit_test(test_empty_new_file_differs_from_missing),
                cmocka_unit_test(test_large_input_with_scattered_changes),
                cmocka_unit_test(test_large_input_entirely_different_terminates),
                cmocka_unit_test(test_emit_reports_line_types),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
