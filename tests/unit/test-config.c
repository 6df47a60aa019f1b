/* SPDX-License-Identifier: MIT */
/* hostfit.conf: parsing, the errors that name FILE:LINE, typed values, and the parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "fixture.h"
#include "host/host.h"
#include "registry.h"

/* Parse TEXT as "t.conf", expect -EINVAL and an error equal to WANT. */
static void assert_parse_error(const char *text, const char *want) {
        struct config *c = NULL;
        char *error = NULL;
        assert_int_equal(config_parse(text, "t.conf", &c, &error), -EINVAL);
        assert_null(c);
        assert_non_null(error);
        assert_string_equal(error, want);
        free(error);
}

static struct config *parse_ok(const char *text) {
        struct config *c = NULL;
        char *error = NULL;
        assert_int_equal(config_parse(text, "t.conf", &c, &error), 0);
        assert_null(error);
        assert_non_null(c);
        return c;
}

static void test_unclosed_section_header_names_line(void **state) {
        assert_parse_error("# hostfit\n\n[swap\n", "t.conf:3: malformed section header");
}

static void test_text_after_section_header_is_malformed(void **state) {
        assert_parse_error("[swap] size = 1G\n", "t.conf:1: malformed section header");
}

static void test_line_without_equals_names_line(void **state) {
        assert_parse_error("[swap]\nsize 2G\n", "t.conf:2: expected KEY = VALUE");
}

static void test_key_outside_section(void **state) {
        assert_parse_error("size = 2G\n", "t.conf:1: key outside of a [section]: 'size'");
}

static void test_unknown_section(void **state) {
        assert_parse_error("[swap]\nsize = 1G\n[colors]\n", "t.conf:3: unknown section 'colors'");
}

static void test_unknown_key(void **state) {
        assert_parse_error("[swap]\ncolor = red\n", "t.conf:2: unknown key in [swap]: 'color'");
}

static void test_key_of_another_section_is_unknown(void **state) {
        assert_parse_error("[zram]\npath = /swapfile\n", "t.conf:2: unknown key in [zram]: 'path'");
}

static void test_bad_size(void **state) {
        assert_parse_error("[swap]\n\nsize = lots\n",
                           "t.conf:3: swap.size: expected a size such as 512M, 2G or auto, got 'lots'");
}

static void test_relative_path_refused(void **state) {
        assert_parse_error("[swap]\npath = swapfile\n",
                           "t.conf:2: swap.path: expected an absolute path, got 'swapfile'");
}

static void test_bad_profile(void **state) {
        assert_parse_error("[hostfit]\nprofile = staging\n",
                           "t.conf:2: hostfit.profile: expected production or development, got 'staging'");
}

static void test_skip_with_unknown_check_id(void **state) {
        assert_parse_error("[hostfit]\nskip = no-such-check\n",
                           "t.conf:2: hostfit.skip: unknown check id (see hostfit list), got 'no-such-check'");
}

static void test_ignore_lines_parse_and_match(void **state) {
        struct config *c = parse_ok("[ignore]\nswap-missing = swap comes with the new disk until 2027-03-01\n"
                                    "zram-missing   /dev/zram0 = bench host\nzram-missing node = dev box\n");
        struct config_ignore ig;
        const uint64_t before = 1798761600ULL * 1000000;        /* 2027-01-01 00:00 UTC */
        assert_true(config_ignored(c, "swap-missing", "/swapfile", NULL, before, &ig));
        assert_int_equal(ig.reason_len, strlen("swap comes with the new disk"));
        assert_memory_equal(ig.reason, "swap comes with the new disk", ig.reason_len);
        assert_string_equal(ig.until, "2027-03-01");
        assert_false(ig.expired);
        /* 2027-03-01 00:00 UTC: it counts again; one second before, still ignored. */
        const uint64_t until = 1803859200ULL * 1000000;
        assert_true(config_ignored(c, "swap-missing", "", NULL, until, &ig));
        assert_true(ig.expired);
        assert_true(config_ignored(c, "swap-missing", "", NULL, until - 1000000, &ig));
        assert_false(ig.expired);
        /* A subject matches exactly, by subject or by a process's comm; the check id too. */
        assert_true(config_ignored(c, "zram-missing", "/dev/zram0", NULL, before, &ig));
        assert_memory_equal(ig.reason, "bench host", ig.reason_len);
        assert_null(ig.until);
        assert_false(config_ignored(c, "zram-missing", "/dev/zram1", NULL, before, &ig));
        assert_false(config_ignored(c, "zram-missing", "/dev/zram", NULL, before, &ig));
        assert_true(config_ignored(c, "zram-missing", "pid 9", "node", before, &ig));
        assert_memory_equal(ig.reason, "dev box", ig.reason_len);
        assert_false(config_ignored(c, "zram-missin", "/dev/zram0", NULL, before, &ig));
        assert_false(config_ignored(c, "swap-missing-x", "", NULL, before, &ig));
        config_free(c);
}

static void test_ignore_errors(void **state) {
        assert_parse_error("[ignore]\nno-such-check = because\n",
                           "t.conf:2: [ignore] no-such-check: unknown check id (see hostfit list), in 'because'");
        assert_parse_error("[ignore]\nswap-missing = later until 2027-02-29\n",
                           "t.conf:2: [ignore] swap-missing: expected REASON until YYYY-MM-DD (a real day, in UTC), "
                           "got a bad date, in 'later until 2027-02-29'");
        assert_parse_error("[ignore]\nswap-missing = later until 27-02-01\n",
                           "t.conf:2: [ignore] swap-missing: expected REASON until YYYY-MM-DD (a real day, in UTC), "
                           "got a bad date, in 'later until 27-02-01'");
        assert_parse_error("[ignore]\nswap-missing = later until\n",
                           "t.conf:2: [ignore] swap-missing: expected a date after until: REASON until YYYY-MM-DD, "
                           "in 'later until'");
        assert_parse_error("[ignore]\nswap-missing /swapfile =\n",
                           "t.conf:2: [ignore] swap-missing /swapfile: expected CHECK [SUBJECT] = REASON "
                           "[until YYYY-MM-DD]: the reason is missing, in ''");
        /* A leap day is a day. */
        config_free(parse_ok("[ignore]\nswap-missing = later until 2028-02-29\n"));
}

static void test_comments_blanks_and_spaces_ignored(void **state) {
        struct config *c = parse_ok("# comment\n; also a comment\n\n  [swap]  \n\tsize\t=  2G  \npath=/var/swap\n");
        assert_string_equal(config_get(c, "swap", "size"), "2G");
        assert_string_equal(config_get(c, "swap", "path"), "/var/swap");
        assert_int_equal(config_get_size(c, "swap", "size", 0), 2ULL << 30);
        assert_null(config_get(c, "zram", "size"));
        config_free(c);
}

static void test_later_value_wins(void **state) {
        struct config *c = parse_ok("[swap]\nsize = 1G\nsize = 3G\n");
        assert_int_equal(config_get_size(c, "swap", "size", 0), 3ULL << 30);
        config_free(c);
}

static void test_size_auto_reads_as_default(void **state) {
        struct config *c = parse_ok("[zram]\nsize = auto\n");
        assert_string_equal(config_get(c, "zram", "size"), "auto");
        assert_int_equal(config_get_size(c, "zram", "size", 12345), 12345);
        config_free(c);
}

static void test_profile_defaults_to_production(void **state) {
        struct config *c = parse_ok("");
        assert_string_equal(config_profile(c), "production");
        assert_int_equal(config_set(c, "hostfit", "profile", "development"), 0);
        assert_string_equal(config_profile(c), "development");
        config_free(c);
}

static void test_set_refuses_unknown_key_and_bad_value(void **state) {
        struct config *c = parse_ok("[hostfit]\nprofile = development\n");
        assert_int_equal(config_set(c, "hostfit", "profile", "staging"), -EINVAL);
        assert_string_equal(config_profile(c), "development");
        assert_int_equal(config_set(c, "hostfit", "colour", "yes"), -EINVAL);
        assert_int_equal(config_set(c, "nope", "profile", "production"), -EINVAL);
        assert_int_equal(config_set(c, "swap", "size", "-1G"), -EINVAL);
        config_free(c);
}

/* config_skips needs real ids: the skip key refuses unknown ones. */
static void test_skips_lists_split_on_space_and_comma(void **state) {
        if (!checks[0] || !checks[1])
                skip();
        char text[256];
        snprintf(text, sizeof(text), "[hostfit]\nskip = %s,  %s\n", checks[0]->id, checks[1]->id);
        struct config *c = parse_ok(text);
        assert_true(config_skips(c, checks[0]->id));
        assert_true(config_skips(c, checks[1]->id));
        /* A prefix of an id is not the id. */
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%.*s", (int) strlen(checks[0]->id) - 1, checks[0]->id);
        assert_false(config_skips(c, prefix));
        assert_false(config_skips(c, "x"));
        config_free(c);
}

static void test_skips_nothing_when_unset(void **state) {
        struct config *c = parse_ok("[swap]\nsize = 1G\n");
        assert_false(config_skips(c, "swap-missing"));
        config_free(c);
}

static void test_load_missing_file_is_empty(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), 0);
        assert_null(error);
        assert_null(config_get(c, "hostfit", "profile"));
        assert_string_equal(config_profile(c), "production");
        config_free(c);
        host_free(h);
        fixture_remove(root);
}

static void test_load_names_file_and_line(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        fixture_write(root, CONFIG_PATH, "[hostfit]\nprofile = production\n\n[swap]\nsize = 2G\n\nbogus line\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), -EINVAL);
        assert_null(c);
        assert_string_equal(error, "/etc/hostfit/hostfit.conf:7: expected KEY = VALUE");
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_load_refuses_nul_byte(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        fixture_write_len(root, CONFIG_PATH, "[swap]\nsize = 1G\0\n", 17);
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), -EINVAL);
        assert_non_null(strstr(error, "NUL"));
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_load_directory_in_place_of_file_is_error(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        fixture_mkdir(root, CONFIG_PATH);
        assert_int_equal(host_open(root, &h), 0);
        assert_true(config_load(h, &c, &error) < 0);
        assert_null(c);
        assert_non_null(error);
        assert_non_null(strstr(error, CONFIG_PATH));
        free(error);
        host_free(h);
        fixture_remove(root);
}

/* Load ROOT's configuration; expect success. */
static struct config *load_ok(const char *root) {
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), 0);
        assert_null(error);
        host_free(h);
        return c;
}

static void test_load_dropins_override_in_name_order(void **state) {
        char *root = fixture_new();
        fixture_write(root, CONFIG_PATH, "[swap]\nsize = 1G\npath = /swapfile\n[zram]\npriority = 10\n");
        fixture_write(root, CONFIG_DIR "/90-site.conf", "[swap]\nsize = 4G\n");
        fixture_write(root, CONFIG_DIR "/10-vendor.conf", "[swap]\nsize = 2G\n[zram]\npriority = 50\n");
        struct config *c = load_ok(root);
        assert_string_equal(config_get(c, "swap", "size"), "4G");
        assert_string_equal(config_get(c, "swap", "path"), "/swapfile");
        assert_int_equal(config_get_int(c, "zram", "priority", 0), 50);
        config_free(c);
        fixture_remove(root);
}

static void test_load_dropins_without_main_file(void **state) {
        char *root = fixture_new();
        fixture_write(root, CONFIG_DIR "/swap.conf", "[swap]\nsize = 3G\n");
        struct config *c = load_ok(root);
        assert_string_equal(config_get(c, "swap", "size"), "3G");
        config_free(c);
        fixture_remove(root);
}

static void test_load_dropins_skip_dot_files_and_other_names(void **state) {
        char *root = fixture_new();
        fixture_write(root, CONFIG_PATH, "[swap]\nsize = 1G\n");
        fixture_write(root, CONFIG_DIR "/.#50-x.conf.a1b2c3", "[swap]\nsize = 7G\n");
        fixture_write(root, CONFIG_DIR "/.hidden.conf", "[swap]\nsize = 7G\n");
        fixture_write(root, CONFIG_DIR "/50-x.conf.dpkg-old", "[swap]\nsize = 7G\n");
        fixture_write(root, CONFIG_DIR "/README", "not a configuration\n");
        fixture_write(root, CONFIG_DIR "/.conf", "[swap]\nsize = 7G\n");
        struct config *c = load_ok(root);
        assert_string_equal(config_get(c, "swap", "size"), "1G");
        config_free(c);
        fixture_remove(root);
}

static void test_load_dropin_error_names_its_file_and_line(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        fixture_write(root, CONFIG_PATH, "[swap]\nsize = 1G\n");
        fixture_write(root, CONFIG_DIR "/20-bad.conf", "[zram]\n\nsize = lots\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), -EINVAL);
        assert_null(c);
        assert_string_equal(error, "/etc/hostfit/hostfit.conf.d/20-bad.conf:3: zram.size: "
                                   "expected a size such as 512M, 2G or auto, got 'lots'");
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_load_dropin_directory_named_conf_is_error(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        fixture_mkdir(root, CONFIG_DIR "/sub.conf");
        assert_int_equal(host_open(root, &h), 0);
        assert_true(config_load(h, &c, &error) < 0);
        assert_null(c);
        assert_non_null(error);
        assert_non_null(strstr(error, CONFIG_DIR "/sub.conf"));
        free(error);
        host_free(h);
        fixture_remove(root);
}

static void test_parse_size_units(void **state) {
        uint64_t v = 0;
        assert_int_equal(parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("512K", &v), 0);
        assert_int_equal(v, 512 * 1024);
        assert_int_equal(parse_size("2G", &v), 0);
        assert_int_equal(v, 2ULL << 30);
        assert_int_equal(parse_size("2GiB", &v), 0);
        assert_int_equal(v, 2ULL << 30);
        assert_int_equal(parse_size("3MB", &v), 0);
        assert_int_equal(v, 3ULL << 20);
        assert_int_equal(parse_size("1t", &v), 0);
        assert_int_equal(v, 1ULL << 40);
        assert_int_equal(parse_size("0", &v), 0);
        assert_int_equal(v, 0);
}

static void test_parse_size_rejects_garbage(void **state) {
        uint64_t v = 7;
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("G", &v), -EINVAL);
        assert_int_equal(parse_size("-1G", &v), -EINVAL);
        assert_int_equal(parse_size(" 1G", &v), -EINVAL);
        assert_int_equal(parse_size("1G ", &v), -EINVAL);
        assert_int_equal(parse_size("1X", &v), -EINVAL);
        assert_int_equal(parse_size("1iB", &v), -EINVAL);
        assert_int_equal(parse_size("1.5G", &v), -EINVAL);
        assert_int_equal(parse_size(NULL, &v), -EINVAL);
        assert_int_equal(v, 7);
}

static void test_parse_size_overflow(void **state) {
        uint64_t v = 7;
        assert_int_equal(parse_size("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        v = 7;
        assert_int_equal(parse_size("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_size("16777216T", &v), -ERANGE);
        assert_int_equal(parse_size("17179869184G", &v), -ERANGE);
        assert_int_equal(v, 7);
        assert_int_equal(parse_size("16777215T", &v), 0);
        assert_true(v == 16777215ULL << 40);
}

static void test_parse_duration_units(void **state) {
        uint64_t v = 0;
        assert_int_equal(parse_duration("30", &v), 0);
        assert_int_equal(v, 30);
        assert_int_equal(parse_duration("30s", &v), 0);
        assert_int_equal(v, 30);
        assert_int_equal(parse_duration("5min", &v), 0);
        assert_int_equal(v, 300);
        assert_int_equal(parse_duration("5m", &v), 0);
        assert_int_equal(v, 300);
        assert_int_equal(parse_duration("2h", &v), 0);
        assert_int_equal(v, 7200);
        assert_int_equal(parse_duration("1d", &v), 0);
        assert_int_equal(v, 86400);
}

static void test_parse_duration_rejects_garbage_and_overflow(void **state) {
        uint64_t v = 7;
        assert_int_equal(parse_duration("", &v), -EINVAL);
        assert_int_equal(parse_duration("h", &v), -EINVAL);
        assert_int_equal(parse_duration("1w", &v), -EINVAL);
        assert_int_equal(parse_duration("1 h", &v), -EINVAL);
        assert_int_equal(parse_duration("-5s", &v), -EINVAL);
        assert_int_equal(parse_duration("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_duration("18446744073709551615d", &v), -ERANGE);
        assert_int_equal(parse_duration("213503982334602d", &v), -ERANGE);
        assert_int_equal(v, 7);
        assert_int_equal(parse_duration("213503982334601d", &v), 0);
        assert_true(v == 213503982334601ULL * 86400);
}

static void test_parse_bool(void **state) {
        bool b = false;
        assert_int_equal(parse_bool("YES", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("off", &b), 0);
        assert_false(b);
        assert_int_equal(parse_bool("1", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("False", &b), 0);
        assert_false(b);
        assert_int_equal(parse_bool("maybe", &b), -EINVAL);
        assert_int_equal(parse_bool("", &b), -EINVAL);
}

static bool check_known(const char *id) {
        return check_find(id) != NULL;
}

int main(void) {
        config_set_check_known(check_known);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ignore_lines_parse_and_match),
                cmocka_unit_test(test_ignore_errors),
                cmocka_unit_test(test_unclosed_section_header_names_line),
                cmocka_unit_test(test_text_after_section_header_is_malformed),
                cmocka_unit_test(test_line_without_equals_names_line),
                cmocka_unit_test(test_key_outside_section),
                cmocka_unit_test(test_unknown_section),
                cmocka_unit_test(test_unknown_key),
                cmocka_unit_test(test_key_of_another_section_is_unknown),
                cmocka_unit_test(test_bad_size),
                cmocka_unit_test(test_relative_path_refused),
                cmocka_unit_test(test_bad_profile),
                cmocka_unit_test(test_skip_with_unknown_check_id),
                cmocka_unit_test(test_comments_blanks_and_spaces_ignored),
                cmocka_unit_test(test_later_value_wins),
                cmocka_unit_test(test_size_auto_reads_as_default),
                cmocka_unit_test(test_profile_defaults_to_production),
                cmocka_unit_test(test_set_refuses_unknown_key_and_bad_value),
                cmocka_unit_test(test_skips_lists_split_on_space_and_comma),
                cmocka_unit_test(test_skips_nothing_when_unset),
                cmocka_unit_test(test_load_missing_file_is_empty),
                cmocka_unit_test(test_load_names_file_and_line),
                cmocka_unit_test(test_load_refuses_nul_byte),
                cmocka_unit_test(test_load_directory_in_place_of_file_is_error),
                cmocka_unit_test(test_load_dropins_override_in_name_order),
                cmocka_unit_test(test_load_dropins_without_main_file),
                cmocka_unit_test(test_load_dropins_skip_dot_files_and_other_names),
                cmocka_unit_test(test_load_dropin_error_names_its_file_and_line),
                cmocka_unit_test(test_load_dropin_directory_named_conf_is_error),
                cmocka_unit_test(test_parse_size_units),
                cmocka_unit_test(test_parse_size_rejects_garbage),
                cmocka_unit_test(test_parse_size_overflow),
                cmocka_unit_test(test_parse_duration_units),
                cmocka_unit_test(test_parse_duration_rejects_garbage_and_overflow),
                cmocka_unit_test(test_parse_bool),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
