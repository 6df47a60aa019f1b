/* SPDX-License-Identifier: MIT */
/* Prometheus and Nagios renderers on built reports, and the atomic output file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "fixture.h"
#include "cmd/output-metrics.h"
#include "report.h"

static const struct check fake_swap = { .id = "swap-missing", .title = "Swap", .severity = SEVERITY_HIGH };
static const struct check fake_zram = { .id = "zram-missing", .title = "zram", .severity = SEVERITY_LOW };
static const struct check fake_unit = { .id = "unit-memorymax", .title = "MemoryMax", .severity = SEVERITY_MEDIUM };
static const struct check fake_hostile = { .id = "a\\b\"c\nd\xff", .title = "hostile" };

/* A report with one result per check, each with one finding of the given status. */
static struct report *build(const struct check *const *cs, const enum status *st, size_t n) {
        struct report *r = NULL;
        assert_int_equal(report_new(&r), 0);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(report_begin(r, cs[i]), 0);
                assert_int_equal(report_add(r, st[i], "subject", NULL, NULL, "message %zu", i), 0);
        }
        return r;
}

static size_t count_entries(const char *dir);

static char *render_prom(const struct report *r, time_t now) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(report_render_prometheus(r, f, now, -1), 0);
        fclose(f);
        return buf;
}

static char *render_nagios_long(const struct report *r, bool long_output) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(report_render_nagios(r, f, long_output), 0);
        fclose(f);
        return buf;
}

static char *render_nagios(const struct report *r) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(report_render_nagios(r, f, false), 0);
        fclose(f);
        return buf;
}

static void test_prometheus_one_series_per_check_and_status(void **state) {
        const struct check *cs[] = { &fake_swap, &fake_zram };
        enum status st[] = { STATUS_FAIL, STATUS_PASS };
        struct report *r = build(cs, st, 2);
        char *out = render_prom(r, 1700000000);
        assert_string_equal(out,
                "# HELP hostfit_check_status Status of each hostfit check (impact: how bad its failure is): 1 for its current status, 0 for the others.\n"
                "# TYPE hostfit_check_status gauge\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"pass\"} 0\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"warn\"} 0\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"fail\"} 1\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"skip\"} 0\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"error\"} 0\n"
                "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"ignored\"} 0\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"pass\"} 1\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"warn\"} 0\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"fail\"} 0\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"skip\"} 0\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"error\"} 0\n"
                "hostfit_check_status{check=\"zram-missing\",impact=\"low\",status=\"ignored\"} 0\n"
                "# HELP hostfit_findings Number of findings of each hostfit check that need action (warn, fail, error).\n"
                "# TYPE hostfit_findings gauge\n"
                "hostfit_findings{check=\"swap-missing\"} 1\n"
                "hostfit_findings{check=\"zram-missing\"} 0\n"
                "# HELP hostfit_checks Number of hostfit checks in each status.\n"
                "# TYPE hostfit_checks gauge\n"
                "hostfit_checks{status=\"pass\"} 1\n"
                "hostfit_checks{status=\"warn\"} 0\n"
                "hostfit_checks{status=\"fail\"} 1\n"
                "hostfit_checks{status=\"skip\"} 0\n"
                "hostfit_checks{status=\"error\"} 0\n"
                "hostfit_checks{status=\"ignored\"} 0\n"
                "# HELP hostfit_last_run_timestamp_seconds Unix time at which hostfit last ran its checks.\n"
                "# TYPE hostfit_last_run_timestamp_seconds gauge\n"
                "hostfit_last_run_timestamp_seconds 1700000000\n"
                "# HELP hostfit_build_info The hostfit that wrote these metrics; always 1.\n"
                "# TYPE hostfit_build_info gauge\n"
                "hostfit_build_info{version=\"" HOSTFIT_VERSION "\"} 1\n"
                "# HELP hostfit_last_run_success 1 when the last run of hostfit check completed, 0 when it could not run.\n"
                "# TYPE hostfit_last_run_success gauge\n"
                "hostfit_last_run_success 1\n");
        free(out);
        report_free(r);
}

static void test_prometheus_check_status_is_worst_finding(void **state) {
        struct report *r = NULL;
        assert_int_equal(report_new(&r), 0);
        assert_int_equal(report_begin(r, &fake_unit), 0);
        assert_int_equal(report_add(r, STATUS_PASS, "a.service", NULL, NULL, "ok"), 0);
        assert_int_equal(report_add(r, STATUS_WARN, "b.service", NULL, NULL, "no limit"), 0);
        assert_int_equal(report_add(r, STATUS_PASS, "c.service", NULL, NULL, "ok"), 0);
        assert_int_equal(report_add(r, STATUS_SKIP, "d.service", NULL, NULL, "not judged"), 0);
        char *out = render_prom(r, 1);
        assert_non_null(strstr(out, "hostfit_check_status{check=\"unit-memorymax\",impact=\"medium\",status=\"warn\"} 1\n"));
        assert_non_null(strstr(out, "hostfit_check_status{check=\"unit-memorymax\",impact=\"medium\",status=\"pass\"} 0\n"));
        assert_non_null(strstr(out, "hostfit_checks{status=\"warn\"} 1\n"));
        assert_non_null(strstr(out, "hostfit_checks{status=\"pass\"} 0\n"));
        /* two findings are passes and one a skip: only the warning needs action */
        assert_non_null(strstr(out, "hostfit_findings{check=\"unit-memorymax\"} 1\n"));
        free(out);
        report_free(r);
}

static void test_prometheus_label_values_escaped(void **state) {
        const struct check *cs[] = { &fake_hostile };
        enum status st[] = { STATUS_SKIP };
        struct report *r = build(cs, st, 1);
        char *out = render_prom(r, 5);
        /* backslash, quote, newline escaped; the invalid byte 0xff becomes U+FFFD */
        assert_non_null(strstr(out, "hostfit_check_status{check=\"a\\\\b\\\"c\\nd\xef\xbf\xbd\",impact=\"low\",status=\"skip\"} 1\n"));
        assert_null(strstr(out, "\xff"));
        free(out);
        report_free(r);
}

static void test_prometheus_empty_report_has_summary_and_timestamp(void **state) {
        struct report *r = build(NULL, NULL, 0);
        char *out = render_prom(r, 42);
        assert_null(strstr(out, "hostfit_check_status{"));
        assert_non_null(strstr(out, "hostfit_checks{status=\"error\"} 0\n"));
        assert_non_null(strstr(out, "\nhostfit_last_run_timestamp_seconds 42\n"));
        free(out);
        report_free(r);
}

static void test_nagios_all_pass_is_ok(void **state) {
        const struct check *cs[] = { &fake_swap, &fake_zram, &fake_unit };
        enum status st[] = { STATUS_PASS, STATUS_PASS, STATUS_SKIP };
        struct report *r = build(cs, st, 3);
        char *out = render_nagios(r);
        assert_string_equal(out, "hostfit OK - 2 pass, 0 warn, 0 fail, 1 skipped"
                                 " | pass=2;;;0;3 warn=0;0;;0;3 fail=0;;0;0;3 skip=1;;;0;3 error=0;;;0;3\n");
        free(out);
        report_free(r);
}

static void test_nagios_warn_is_warning_and_names_check(void **state) {
        const struct check *cs[] = { &fake_swap, &fake_zram };
        enum status st[] = { STATUS_PASS, STATUS_WARN };
        struct report *r = build(cs, st, 2);
        char *out = render_nagios(r);
        assert_string_equal(out, "hostfit WARNING - 1 pass, 1 warn, 0 fail, 0 skipped (warn: zram-missing)"
                                 " | pass=1;;;0;2 warn=1;0;;0;2 fail=0;;0;0;2 skip=0;;;0;2 error=0;;;0;2\n");
        free(out);
        report_free(r);
}

static void test_nagios_fail_is_critical_and_lists_fail_first(void **state) {
        const struct check *cs[] = { &fake_swap, &fake_zram, &fake_unit };
        enum status st[] = { STATUS_WARN, STATUS_FAIL, STATUS_FAIL };
        struct report *r = build(cs, st, 3);
        char *out = render_nagios(r);
        assert_string_equal(out, "hostfit CRITICAL - 0 pass, 1 warn, 2 fail, 0 skipped"
                                 " (fail: zram-missing, unit-memorymax) (warn: swap-missing)"
                                 " | pass=0;;;0;3 warn=1;0;;0;3 fail=2;;0;0;3 skip=0;;;0;3 error=0;;;0;3\n");
        free(out);
        report_free(r);
}

static void test_nagios_error_without_fail_is_unknown(void **state) {
        const struct check *cs[] = { &fake_swap, &fake_zram };
        enum status st[] = { STATUS_ERROR, STATUS_WARN };
        struct report *r = build(cs, st, 2);
        char *out = render_nagios(r);
        assert_string_equal(out, "hostfit UNKNOWN - 0 pass, 1 warn, 0 fail, 0 skipped, 1 error"
                                 " (warn: zram-missing) (error: swap-missing)"
                                 " | pass=0;;;0;2 warn=1;0;;0;2 fail=0;;0;0;2 skip=0;;;0;2 error=1;;;0;2\n");
        assert_int_equal(report_exit_status(r), 3);
        free(out);
        report_free(r);
}

static void test_nagios_unknown_escapes_reason_and_pipe(void **state) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(report_render_nagios_unknown(f, "bad | conf; x\nline\x1b[31m"), 0);
        fclose(f);
        assert_string_equal(buf, "hostfit UNKNOWN - bad / conf, x\\x0aline\\x1b[31m\n");
        free(buf);
}

/* Long output: the status line, then one line a finding that is not a pass,
 * fail first; host bytes in a message never add a ';' or perfdata '|'. */
static void test_nagios_long_output_one_line_a_finding(void **state) {
        struct report *r = NULL;
        assert_int_equal(report_new(&r), 0);
        assert_int_equal(report_begin(r, &fake_zram), 0);
        assert_int_equal(report_add(r, STATUS_WARN, "host", NULL, NULL, "no zram; a | b"), 0);
        assert_int_equal(report_begin(r, &fake_unit), 0);
        assert_int_equal(report_add(r, STATUS_PASS, "a.service", NULL, NULL, "ok"), 0);
        assert_int_equal(report_add(r, STATUS_FAIL, "b.service", NULL, NULL, "no limit"), 0);
        char *out = render_nagios_long(r, true);
        assert_string_equal(out, "hostfit CRITICAL - 0 pass, 1 warn, 1 fail, 0 skipped (fail: unit-memorymax) (warn: zram-missing)"
                                 " | pass=0;;;0;2 warn=1;0;;0;2 fail=1;;0;0;2 skip=0;;;0;2 error=0;;;0;2\n"
                                 "fail unit-memorymax: b.service: no limit\n"
                                 "warn zram-missing: host: no zram, a / b\n");
        free(out);
        report_free(r);
}

/* A failed run keeps the last good series and flips last_run_success to 0. */
static void test_prometheus_failed_run_keeps_series(void **state) {
        const struct check *cs[] = { &fake_swap };
        enum status st[] = { STATUS_WARN };
        struct report *r = build(cs, st, 1);
        char *root = fixture_new();
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        assert_int_equal(report_write_prometheus(r, path, 99), 0);
        char *good = fixture_read(root, "hostfit.prom");
        assert_int_equal(report_write_prometheus_failed(path), 0);
        char *failed = fixture_read(root, "hostfit.prom");
        assert_non_null(strstr(failed, "hostfit_check_status{check=\"swap-missing\",impact=\"high\",status=\"warn\"} 1\n"));
        assert_non_null(strstr(failed, "\nhostfit_last_run_success 0\n"));
        assert_null(strstr(failed, "\nhostfit_last_run_success 1\n"));
        assert_non_null(strstr(failed, "\nhostfit_last_run_timestamp_seconds 99\n"));
        /* one HELP and TYPE for the series, as the format requires */
        const char *h = strstr(failed, "# HELP hostfit_last_run_success");
        assert_non_null(h);
        assert_null(strstr(h + 1, "# HELP hostfit_last_run_success"));
        /* a second failure changes nothing more */
        assert_int_equal(report_write_prometheus_failed(path), 0);
        char *again = fixture_read(root, "hostfit.prom");
        assert_string_equal(again, failed);
        assert_int_equal(count_entries(root), 1);
        free(good);
        free(failed);
        free(again);
        free(path);
        fixture_remove(root);
        report_free(r);
}

static void test_prometheus_failed_run_without_file(void **state) {
        char *root = fixture_new();
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        assert_int_equal(report_write_prometheus_failed(path), 0);
        char *got = fixture_read(root, "hostfit.prom");
        assert_string_equal(got, "# HELP hostfit_last_run_success 1 when the last run of hostfit check completed, 0 when it could not run.\n"
                                 "# TYPE hostfit_last_run_success gauge\n"
                                 "hostfit_last_run_success 0\n");
        free(got);
        free(path);
        fixture_remove(root);
}

static int write_text(void *userdata, FILE *f) {
        return fputs(userdata, f) == EOF ? -EIO : 0;
}

static int write_then_fail(void *userdata, FILE *f) {
        fputs("partial", f);
        return -ENOSPC;
}

static size_t count_entries(const char *dir) {
        char *cmd;
        assert_true(asprintf(&cmd, "ls -A '%s' | wc -l", dir) > 0);
        FILE *p = popen(cmd, "r");
        free(cmd);
        assert_non_null(p);
        size_t n = 0;
        assert_int_equal(fscanf(p, "%zu", &n), 1);
        pclose(p);
        return n;
}

static void test_atomic_write_replaces_file_0644_no_temp_left(void **state) {
        char *root = fixture_new();
        fixture_write(root, "hostfit.prom", "old\n");
        fixture_chmod(root, "hostfit.prom", 0600);
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        assert_int_equal(output_write_atomic(path, write_text, "new\n"), 0);
        char *got = fixture_read(root, "hostfit.prom");
        assert_string_equal(got, "new\n");
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(count_entries(root), 1);
        free(got);
        free(path);
        fixture_remove(root);
}

static void test_atomic_write_failure_keeps_old_file(void **state) {
        char *root = fixture_new();
        fixture_write(root, "hostfit.prom", "old\n");
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        char *before = fixture_tree_hash(root);
        assert_int_equal(output_write_atomic(path, write_then_fail, NULL), -ENOSPC);
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);
        free(before);
        free(after);
        free(path);
        fixture_remove(root);
}

static void test_atomic_write_missing_directory_is_enoent(void **state) {
        char *root = fixture_new();
        char *path;
        assert_true(asprintf(&path, "%s/no/such/dir/hostfit.prom", root) > 0);
        assert_int_equal(output_write_atomic(path, write_text, "x\n"), -ENOENT);
        assert_int_equal(count_entries(root), 0);
        free(path);
        fixture_remove(root);
}

static void test_atomic_write_replaces_symlink_not_its_target(void **state) {
        char *root = fixture_new();
        fixture_write(root, "target", "keep\n");
        fixture_symlink(root, "target", "hostfit.prom");
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        assert_int_equal(output_write_atomic(path, write_text, "metrics\n"), 0);
        char *t = fixture_read(root, "target"), *m = fixture_read(root, "hostfit.prom");
        assert_string_equal(t, "keep\n");
        assert_string_equal(m, "metrics\n");
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        free(t);
        free(m);
        free(path);
        fixture_remove(root);
}

static void test_write_prometheus_file_matches_rendered(void **state) {
        const struct check *cs[] = { &fake_swap };
        enum status st[] = { STATUS_WARN };
        struct report *r = build(cs, st, 1);
        char *root = fixture_new();
        char *path;
        assert_true(asprintf(&path, "%s/hostfit.prom", root) > 0);
        assert_int_equal(report_write_prometheus(r, path, 99), 0);
        char *file = fixture_read(root, "hostfit.prom"), *mem = render_prom(r, 99);
        assert_string_equal(file, mem);
        free(file);
        free(mem);
        free(path);
        fixture_remove(root);
        report_free(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prometheus_one_series_per_check_and_status),
                cmocka_unit_test(test_prometheus_check_status_is_worst_finding),
                cmocka_unit_test(test_prometheus_label_values_escaped),
                cmocka_unit_test(test_prometheus_empty_report_has_summary_and_timestamp),
                cmocka_unit_test(test_nagios_all_pass_is_ok),
                cmocka_unit_test(test_nagios_warn_is_warning_and_names_check),
                cmocka_unit_test(test_nagios_fail_is_critical_and_lists_fail_first),
                cmocka_unit_test(test_nagios_error_without_fail_is_unknown),
                cmocka_unit_test(test_nagios_unknown_escapes_reason_and_pipe),
                cmocka_unit_test(test_atomic_write_replaces_file_0644_no_temp_left),
                cmocka_unit_test(test_atomic_write_failure_keeps_old_file),
                cmocka_unit_test(test_atomic_write_missing_directory_is_enoent),
                cmocka_unit_test(test_atomic_write_replaces_symlink_not_its_target),
                cmocka_unit_test(test_write_prometheus_file_matches_rendered),
                cmocka_unit_test(test_nagios_long_output_one_line_a_finding),
                cmocka_unit_test(test_prometheus_failed_run_keeps_series),
                cmocka_unit_test(test_prometheus_failed_run_without_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
