/* SPDX-License-Identifier: MIT */
/* Escaping host bytes for a terminal, and the JSON writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text/escape.h"
#include "text/strbuf.h"

static void assert_escapes_len(const char *in, size_t len, const char *want) {
        struct strbuf sb = STRBUF_INIT;
        assert_int_equal(escape_terminal(&sb, in, len), 0);
        assert_string_equal(strbuf_str(&sb), want);
        strbuf_release(&sb);
}

static void assert_escapes(const char *in, const char *want) {
        assert_escapes_len(in, strlen(in), want);
}

static void test_esc_sequence_is_escaped(void **state) {
        assert_escapes("vite\033[2J\033]0;owned\007", "vite\\x1b[2J\\x1b]0;owned\\x07");
}

static void test_newline_cr_del_are_escaped_tab_is_kept(void **state) {
        /* A tab only moves the cursor: it stays, so an fstab line shows its own bytes. */
        assert_escapes("a\nb\tc\x7f\rd", "a\\x0ab\tc\\x7f\\x0dd");
}

static void test_nul_inside_length_is_escaped(void **state) {
        assert_escapes_len("node\0server.js", 14, "node\\x00server.js");
}

static void test_c1_controls_are_escaped(void **state) {
        /* U+009B is CSI on terminals that honor 8-bit controls. */
        assert_escapes("x\xc2\x9b" "31m\xc2\x85", "x\\xc2\\x9b31m\\xc2\\x85");
}

static void test_first_printable_after_c1_is_kept(void **state) {
        assert_escapes("\xc2\xa0\xc2\xa9", "\xc2\xa0\xc2\xa9");
}

static void test_invalid_utf8_bytes_are_escaped(void **state) {
        assert_escapes("\xff" "a", "\\xffa");
        /* An overlong "/" and a lone continuation byte. */
        assert_escapes("\xc0\xaf\x80", "\\xc0\\xaf\\x80");
        /* A UTF-16 surrogate encoded in UTF-8 is not valid UTF-8. */
        assert_escapes("\xed\xa0\x80", "\\xed\\xa0\\x80");
        /* Beyond U+10FFFF. */
        assert_escapes("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
}

static void test_truncated_sequence_at_end_is_escaped(void **state) {
        assert_escapes("euro \xe2\x82", "euro \\xe2\\x82");
}

static void test_valid_multibyte_is_kept(void **state) {
        assert_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac",
                       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac");
}

static void test_backslash_is_kept(void **state) {
        /* A terminal does nothing with a backslash: unit names print as systemd spells them. */
        assert_escapes("my\\x2dapp.service", "my\\x2dapp.service");
        assert_escapes("ExecStart=/bin/sh -c 'a \\\n", "ExecStart=/bin/sh -c 'a \\\\x0a");
}

static void test_escape_str_handles_null(void **state) {
        char *s = escape_terminal_str(NULL);
        assert_string_equal(s, "");
        free(s);
        s = escape_terminal_str("\033");
        assert_string_equal(s, "\\x1b");
        free(s);
}

static void test_utf8_valid_len(void **state) {
        assert_int_equal(utf8_valid_len((const unsigned char *) "a", 1), 1);
        assert_int_equal(utf8_valid_len((const unsigned char *) "\xc3\xa9", 2), 2);
        assert_int_equal(utf8_valid_len((const unsigned char *) "\xc3\xa9", 1), 0);
        assert_int_equal(utf8_valid_len((const unsigned char *) "\xe0\x80\x80", 3), 0);
        assert_int_equal(utf8_valid_len((const unsigned char *) "\xf0\x9f\x98\x80", 4), 4);
        assert_int_equal(utf8_valid_len((const unsigned char *) "", 0), 0);
}

/* Run the JSON writer into memory. */
struct mem {
        char *buf;
        size_t len;
        FILE *f;
        struct json j;
};

static void mem_open(struct mem *m) {
        memset(m, 0, sizeof(*m));
        m->f = open_memstream(&m->buf, &m->len);
        assert_non_null(m->f);
        json_init(&m->j, m->f);
}

static void mem_assert(struct mem *m, int want_r, const char *want) {
        assert_int_equal(json_end(&m->j), want_r);
        fclose(m->f);
        if (want)
                assert_string_equal(m->buf, want);
        free(m->buf);
}

static void test_json_nesting_and_commas(void **state) {
        struct mem m;
        mem_open(&m);
        json_object_begin(&m.j);
        json_key(&m.j, "version");
        json_int(&m.j, 1);
        json_key(&m.j, "a");
        json_array_begin(&m.j);
        json_int(&m.j, -2);
        json_object_begin(&m.j);
        json_object_end(&m.j);
        json_array_begin(&m.j);
        json_array_end(&m.j);
        json_bool(&m.j, true);
        json_null(&m.j);
        json_array_end(&m.j);
        json_key(&m.j, "o");
        json_object_begin(&m.j);
        json_key(&m.j, "x");
        json_string(&m.j, NULL);
        json_key(&m.j, "y");
        json_bool(&m.j, false);
        json_object_end(&m.j);
        json_object_end(&m.j);
        mem_assert(&m, 0, "{\"version\":1,\"a\":[-2,{},[],true,null],\"o\":{\"x\":null,\"y\":false}}\n");
}

static void test_json_string_escaping(void **state) {
        struct mem m;
        mem_open(&m);
        json_array_begin(&m.j);
        json_string(&m.j, "q\"b\\n\nt\tesc\033del\x7f");
        json_string(&m.j, "caf\xc3\xa9");
        json_string(&m.j, "bad\xff\xc0");
        json_string_len(&m.j, "a\0b", 3);
        json_array_end(&m.j);
        mem_assert(&m, 0, "[\"q\\\"b\\\\n\\nt\\tesc\\u001bdel\\u007f\",\"caf\xc3\xa9\","
                          "\"bad\\u00ff\\u00c0\",\"a\\u0000b\"]\n");
}

static void test_json_keys_are_escaped(void **state) {
        struct mem m;
        mem_open(&m);
        json_object_begin(&m.j);
        json_key(&m.j, "k\"\n");
        json_int(&m.j, 0);
        json_object_end(&m.j);
        mem_assert(&m, 0, "{\"k\\\"\\n\":0}\n");
}

static void test_json_too_deep_is_an_error(void **state) {
        struct mem m;
        mem_open(&m);
        for (int i = 0; i < 40; i++)
                json_array_begin(&m.j);
        mem_assert(&m, -E2BIG, NULL);
}

/* strjoin(): every string up to the NULL, in order, empty ones included. */
static void test_strjoin_joins_in_order(void **state) {
        (void) state;
        char *a = strjoin("/etc/systemd/system/", "a.service", ".d/", "", "10.conf"), *b = strjoin("");
        assert_string_equal(a, "/etc/systemd/system/a.service.d/10.conf");
        assert_string_equal(b, "");
        free(a);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_esc_sequence_is_escaped),
                cmocka_unit_test(test_newline_cr_del_are_escaped_tab_is_kept),
                cmocka_unit_test(test_nul_inside_length_is_escaped),
                cmocka_unit_test(test_c1_controls_are_escaped),
                cmocka_unit_test(test_first_printable_after_c1_is_kept),
                cmocka_unit_test(test_invalid_utf8_bytes_are_escaped),
                cmocka_unit_test(test_truncated_sequence_at_end_is_escaped),
                cmocka_unit_test(test_valid_multibyte_is_kept),
                cmocka_unit_test(test_backslash_is_kept),
                cmocka_unit_test(test_escape_str_handles_null),
                cmocka_unit_test(test_utf8_valid_len),
                cmocka_unit_test(test_json_nesting_and_commas),
                cmocka_unit_test(test_json_string_escaping),
                cmocka_unit_test(test_json_keys_are_escaped),
                cmocka_unit_test(test_json_too_deep_is_an_error),
                cmocka_unit_test(test_strjoin_joins_in_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
