/* SPDX-License-Identifier: MIT */
/* The report: worst status, counts, the exit status, fix lines, and running checks by id. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "fixture.h"
#include "host/host.h"
#include "registry.h"
#include "report.h"
#include "text/strbuf.h"

static int plan_nothing(struct host *h, const struct finding *f, struct plan *p) { return 0; }
static const struct fix fix_nothing = { .name = "nothing", .summary = "does nothing", .plan = plan_nothing };

static const struct check check_fixable = { .id = "fixable", .title = "Fixable", .fix = &fix_nothing };
static const struct check check_manual = { .id = "manual", .title = "Manual only" };

static struct report *new_report(void) {
        struct report *r = NULL;
        assert_int_equal(report_new(&r), 0);
        return r;
}

/* One check with findings of the given statuses (ended by -1). */
static void add_check(struct report *r, const struct check *c, ...) {
        va_list ap;
        assert_int_equal(report_begin(r, c), 0);
        va_start(ap, c);
        for (int st; (st = va_arg(ap, int)) >= 0; )
                assert_int_equal(report_add(r, st, "subject", NULL, NULL, "status %d", st), 0);
        va_end(ap);
}

static void test_check_without_findings_passes(void **state) {
        struct report *r = new_report();
        add_check(r, &check_fixable, -1);
        assert_int_equal(report_n_checks(r), 1);
        assert_int_equal(report_check(r, 0)->status, STATUS_PASS);
        assert_int_equal(report_check(r, 0)->n_findings, 0);
        assert_null(report_check(r, 1));
        assert_int_equal(report_exit_status(r), 0);
        report_free(r);
}

static void test_worst_finding_is_the_check_status(void **state) {
        struct report *r = new_report();
        add_check(r, &check_fixable, STATUS_PASS, STATUS_FAIL, STATUS_WARN, -1);
        add_check(r, &check_manual, STATUS_SKIP, STATUS_WARN, STATUS_PASS, -1);
        add_check(r, &check_manual, STATUS_ERROR, STATUS_WARN, -1);
        assert_int_equal(report_check(r, 0)->status, STATUS_FAIL);
        assert_int_equal(report_check(r, 1)->status, STATUS_WARN);
        assert_int_equal(report_check(r, 2)->status, STATUS_ERROR);
        unsigned c[_STATUS_MAX];
        report_counts(r, c);
        assert_int_equal(c[STATUS_FAIL], 1);
        assert_int_equal(c[STATUS_WARN], 1);
        assert_int_equal(c[STATUS_ERROR], 1);
        assert_int_equal(c[STATUS_PASS], 0);
        assert_int_equal(c[STATUS_SKIP], 0);
        report_free(r);
}

static int exit_status_of(int a, int b) {
        struct report *r = new_report();
        add_check(r, &check_manual, a, -1);
        add_check(r, &check_fixable, b, -1);
        int st = report_exit_status(r);
        report_free(r);
        return st;
}

static void test_exit_status_mapping(void **state) {
        assert_int_equal(exit_status_of(STATUS_PASS, STATUS_PASS), 0);
        assert_int_equal(exit_status_of(STATUS_PASS, STATUS_SKIP), 0);
        assert_int_equal(exit_status_of(STATUS_SKIP, STATUS_WARN), 1);
        assert_int_equal(exit_status_of(STATUS_WARN, STATUS_FAIL), 2);
        assert_int_equal(exit_status_of(STATUS_PASS, STATUS_FAIL), 2);
        /* A check that could not read the host: hostfit could not tell, unless something failed. */
        assert_int_equal(exit_status_of(STATUS_ERROR, STATUS_PASS), 3);
        assert_int_equal(exit_status_of(STATUS_WARN, STATUS_ERROR), 3);
        assert_int_equal(exit_status_of(STATUS_ERROR, STATUS_FAIL), 2);
}

static void test_fix_line_defaults_for_warn_and_fail(void **state) {
        struct report *r = new_report();
        add_check(r, &check_fixable, STATUS_PASS, STATUS_WARN, STATUS_FAIL, STATUS_SKIP, STATUS_ERROR, -1);
        const struct check_result *cr = report_check(r, 0);
        assert_null(cr->findings[0]->fix);
        assert_string_equal(cr->findings[1]->fix, "hostfit fix fixable");
        assert_string_equal(cr->findings[2]->fix, "hostfit fix fixable");
        assert_null(cr->findings[3]->fix);
        assert_null(cr->findings[4]->fix);
        assert_ptr_equal(cr->findings[2]->check, &check_fixable);
        /* The default line replaced, then taken away (as an [ignore] does): each kept or
         * freed once (AddressSanitizer watches the allocation it shares with the finding). */
        assert_int_equal(finding_set_fix(cr->findings[1], "edit /etc/fstab by hand"), 0);
        assert_string_equal(cr->findings[1]->fix, "edit /etc/fstab by hand");
        assert_int_equal(finding_set_fix(cr->findings[2], NULL), 0);
        assert_null(cr->findings[2]->fix);
        assert_string_equal(cr->findings[2]->subject, "subject");
        report_free(r);
}

static void test_no_fix_line_without_a_fix(void **state) {
        struct report *r = new_report();
        add_check(r, &check_manual, STATUS_FAIL, -1);
        struct finding *f = report_last(r);
        assert_null(f->fix);
        assert_int_equal(finding_set_fix(f, "raise vm.min_free_kbytes by hand"), 0);
        assert_string_equal(report_check(r, 0)->findings[0]->fix, "raise vm.min_free_kbytes by hand");
        report_free(r);
}

static void test_details_and_message(void **state) {
        struct report *r = new_report();
        assert_int_equal(report_begin(r, &check_manual), 0);
        assert_null(report_last(r));
        assert_int_equal(report_add(r, STATUS_WARN, NULL, NULL, NULL, "pid %d has %s", 42, "no unit"), 0);
        struct finding *f = report_last(r);
        assert_string_equal(f->subject, "");
        assert_string_equal(f->message, "pid 42 has no unit");
        assert_null(f->details);
        assert_int_equal(finding_add_detail(f, "cmdline: %s", "vite"), 0);
        assert_int_equal(finding_add_detail(f, "cgroup: %s", "/user.slice"), 0);
        assert_string_equal(f->details[0], "cmdline: vite");
        assert_string_equal(f->details[1], "cgroup: /user.slice");
        assert_null(f->details[2]);
        /* Past the first room (4) and each doubling: every line kept, in order, the list ended. */
        for (int i = 2; i < 40; i++) {
                char want[32];
                assert_int_equal(finding_add_detail(f, "line %d of %s", i, "forty"), 0);
                for (int j = 2; j <= i; j++) {
                        snprintf(want, sizeof(want), "line %d of forty", j);
                        assert_string_equal(f->details[j], want);
                }
                assert_null(f->details[i + 1]);
        }
        /* The lines live in one allocation with their pointers: moved when it grows, the
         * first ones too, and a line longer than the room at first is whole. */
        char long_line[600];
        memset(long_line, 'x', sizeof(long_line) - 1);
        long_line[sizeof(long_line) - 1] = 0;
        assert_int_equal(finding_add_detail(f, "long: %s", long_line), 0);
        assert_string_equal(f->details[0], "cmdline: vite");
        assert_string_equal(f->details[1], "cgroup: /user.slice");
        assert_string_equal(f->details[39], "line 39 of forty");
        assert_int_equal(strlen(f->details[40]), 6 + sizeof(long_line) - 1);
        assert_null(f->details[41]);
        report_free(r);
}

/* Details of "%s" only are written in place; each other format, an argument that is one of
 * the finding's own lines (moved when the lines grow), and a NULL argument give what
 * vasprintf() gives. */
static void test_details_written_in_place_as_formatted(void **state) {
        (void) state;
        struct report *r = new_report();
        assert_int_equal(report_begin(r, &check_manual), 0);
        assert_int_equal(report_add(r, STATUS_WARN, "u", NULL, NULL, "m"), 0);
        struct finding *f = report_last(r);
        const char *none = getenv("HOSTFIT_TEST_NEVER_SET");
        assert_null(none);
        assert_int_equal(finding_add_detail(f, "no process runs in it now"), 0);
        assert_int_equal(finding_add_detail(f, "%s", ""), 0);
        assert_int_equal(finding_add_detail(f, "%s%s%s%s", "a", "b", "c", "d"), 0);
        assert_int_equal(finding_add_detail(f, "%s%s%s%s%s", "a", "b", "c", "d", "e"), 0);
        assert_int_equal(finding_add_detail(f, "100%% of %s", "it"), 0);
        assert_int_equal(finding_add_detail(f, "[%s]", none), 0);
        char big[200];
        memset(big, 'y', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(finding_add_detail(f, "%s", big), 0);
        /* The room for pointers (8 after the first 4) is full: this line moves them all. */
        assert_int_equal(finding_add_detail(f, "again: %s", f->details[0]), 0);
        static const char *const want[] = {
                "no process runs in it now", "", "abcd", "abcde", "100% of it", "[(null)]",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_string_equal(f->details[i], want[i]);
        assert_string_equal(f->details[6], big);
        assert_string_equal(f->details[7], "again: no process runs in it now");
        assert_null(f->details[8]);
        report_free(r);
}

static int freed;
static void count_free(void *p) { freed++; free(p); }

static void test_add_before_begin_frees_data(void **state) {
        struct report *r = new_report();
        freed = 0;
        assert_int_equal(report_add(r, STATUS_FAIL, "x", malloc(8), count_free, "m"), -EINVAL);
        assert_int_equal(freed, 1);
        add_check(r, &check_manual, -1);
        assert_int_equal(report_add(r, STATUS_FAIL, "x", malloc(8), count_free, "m"), 0);
        assert_int_equal(freed, 1);
        report_free(r);
        assert_int_equal(freed, 2);
}

static struct host *open_root(const char *root, const char *conf) {
        struct host *h = NULL;
        struct config *c = NULL;
        char *error = NULL;
        if (conf)
                fixture_write(root, CONFIG_PATH, conf);
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &error), 0);
        host_set_config(h, c);
        return h;
}

static void test_unknown_id_runs_nothing(void **state) {
        char *root = fixture_new();
        struct host *h = open_root(root, NULL);
        struct report *r = new_report();
        char *ids[] = { (char *) "no-such-check" };
        assert_int_equal(report_run_checks(r, h, ids, 1), -ENOENT);
        assert_int_equal(report_n_checks(r), 0);
        if (checks[0]) {
                /* A valid id next to an unknown one: still nothing runs. */
                char *both[] = { (char *) checks[0]->id, (char *) "no-such-check" };
                assert_int_equal(report_run_checks(r, h, both, 2), -ENOENT);
                assert_int_equal(report_n_checks(r), 0);
                /* Ids are matched exactly. */
                char upper[64];
                snprintf(upper, sizeof(upper), "%s ", checks[0]->id);
                char *near[] = { upper };
                assert_int_equal(report_run_checks(r, h, near, 1), -ENOENT);
        }
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_skip_via_config(void **state) {
        if (!checks[0])
                skip();
        char *root = fixture_new();
        char conf[256];
        snprintf(conf, sizeof(conf), "[hostfit]\nskip = %s\n", checks[0]->id);
        struct host *h = open_root(root, conf);
        struct report *r = new_report();
        char *ids[] = { (char *) checks[0]->id };
        assert_int_equal(report_run_checks(r, h, ids, 1), 0);
        assert_int_equal(report_n_checks(r), 1);
        const struct check_result *cr = report_check(r, 0);
        assert_ptr_equal(cr->check, checks[0]);
        assert_int_equal(cr->status, STATUS_SKIP);
        assert_string_equal(cr->findings[0]->message, "skipped by " CONFIG_PATH);
        assert_null(cr->findings[0]->fix);
        assert_int_equal(report_exit_status(r), 0);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* [ignore]: a matching warn/fail is "ignored" with its reason and no fix, out of the exit
 * status; a pass is left alone; an expired line counts again and says so. */
static void test_ignore_applies_by_subject_and_expires(void **state) {
        char *root = fixture_new();
        struct host *h = open_root(root, "[ignore]\nfixable /a = known, tracked in T-1\n"
                                         "fixable /b = until the disk comes until 2027-03-01\n");
        host_set_now(h, 1798761600ULL * 1000000);      /* 2027-01-01 UTC */
        struct report *r = new_report();
        assert_int_equal(report_begin(r, &check_fixable), 0);
        assert_int_equal(report_add(r, STATUS_FAIL, "/a", NULL, NULL, "bad a"), 0);
        assert_int_equal(report_add(r, STATUS_WARN, "/b", NULL, NULL, "bad b"), 0);
        assert_int_equal(report_add(r, STATUS_PASS, "/a", NULL, NULL, "fine"), 0);
        assert_int_equal(report_apply_ignores(r, h), 0);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_IGNORED);
        assert_int_equal(cr->findings[0]->status, STATUS_IGNORED);
        assert_string_equal(cr->findings[0]->ignored, "known, tracked in T-1");
        assert_string_equal(cr->findings[0]->ignored_until, "");
        assert_null(cr->findings[0]->fix);
        assert_string_equal(cr->findings[1]->ignored, "until the disk comes");
        assert_string_equal(cr->findings[1]->ignored_until, "2027-03-01");
        assert_int_equal(cr->findings[2]->status, STATUS_PASS);
        assert_null(cr->findings[2]->ignored);
        assert_int_equal(report_exit_status(r), 0);
        unsigned c[_STATUS_MAX];
        report_counts(r, c);
        assert_int_equal(c[STATUS_IGNORED], 1);
        report_free(r);

        /* On 2027-03-01 the second line has expired: /b warns again, with its fix. */
        host_set_now(h, 1803859200ULL * 1000000);
        r = new_report();
        assert_int_equal(report_begin(r, &check_fixable), 0);
        assert_int_equal(report_add(r, STATUS_FAIL, "/a", NULL, NULL, "bad a"), 0);
        assert_int_equal(report_add(r, STATUS_WARN, "/b", NULL, NULL, "bad b"), 0);
        assert_int_equal(report_apply_ignores(r, h), 0);
        cr = report_check(r, 0);
        assert_int_equal(cr->status, STATUS_WARN);
        assert_int_equal(cr->findings[1]->status, STATUS_WARN);
        assert_null(cr->findings[1]->ignored);
        assert_string_equal(cr->findings[1]->fix, "hostfit fix fixable");
        assert_string_equal(cr->findings[1]->details[0],
                            "its [ignore] in hostfit.conf expired on 2027-03-01: until the disk comes");
        assert_int_equal(report_exit_status(r), 1);
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

static void test_all_checks_run_in_table_order(void **state) {
        size_t n = 0;
        while (checks[n])
                n++;
        if (n == 0)
                skip();
        char *root = fixture_new();
        /* Skip them all: the order is the table's, whatever the host holds. */
        char conf[1024] = "[hostfit]\nskip =";
        for (size_t i = 0; i < n; i++)
                snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf), " %s", checks[i]->id);
        strcat(conf, "\n");
        struct host *h = open_root(root, conf);
        struct report *r = new_report();
        assert_int_equal(report_run_checks(r, h, NULL, 0), 0);
        assert_int_equal(report_n_checks(r), n);
        for (size_t i = 0; i < n; i++) {
                assert_ptr_equal(report_check(r, i)->check, checks[i]);
                assert_int_equal(report_check(r, i)->status, STATUS_SKIP);
        }
        report_free(r);
        host_free(h);
        fixture_remove(root);
}

/* A status line reads right: every check says what passing means and, apart, what is wrong. */
static void test_every_check_has_a_title_and_a_problem(void **state) {
        for (size_t i = 0; checks[i]; i++) {
                assert_non_null(checks[i]->title);
                assert_non_null(checks[i]->problem);
                assert_string_not_equal(checks[i]->title, checks[i]->problem);
        }
}

/* As another user, a permission error is one "needs root" skip a check, the rest its details. */
static void test_permission_error_is_one_needs_root_skip(void **state) {
        if (geteuid() == 0) {
                print_message("skip: runs as root; tests/cli runs the same as nobody\n");
                skip();
        }
        struct report *r = new_report();
        assert_int_equal(report_begin(r, &check_fixable), 0);
        assert_int_equal(report_add(r, STATUS_ERROR, "/etc/fstab", NULL, NULL, "cannot read: %s", strerror(EACCES)), 0);
        assert_int_equal(report_add(r, STATUS_ERROR, "/root", NULL, NULL, "cannot read: %s", strerror(EPERM)), 0);
        assert_int_equal(report_add(r, STATUS_ERROR, "/proc", NULL, NULL, "cannot read: %s", strerror(EIO)), 0);
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(cr->n_findings, 2);
        assert_int_equal(cr->findings[0]->status, STATUS_SKIP);
        assert_string_equal(cr->findings[0]->message, "needs root: cannot read: Permission denied");
        assert_string_equal(cr->findings[0]->details[0], "/root: cannot read: Operation not permitted");
        assert_int_equal(cr->findings[1]->status, STATUS_ERROR);
        report_free(r);
}

static void test_status_and_severity_names(void **state) {
        assert_string_equal(status_to_string(STATUS_PASS), "pass");
        assert_string_equal(status_to_string(STATUS_SKIP), "skip");
        assert_string_equal(status_to_string(STATUS_WARN), "warn");
        assert_string_equal(status_to_string(STATUS_ERROR), "error");
        assert_string_equal(status_to_string(STATUS_FAIL), "fail");
        assert_string_equal(status_to_string(STATUS_IGNORED), "ignored");
        assert_string_equal(severity_to_string(SEVERITY_LOW), "low");
        assert_string_equal(severity_to_string(SEVERITY_MEDIUM), "medium");
        assert_string_equal(severity_to_string(SEVERITY_HIGH), "high");
}

static char *fmt_both(char **ret_want, int *ret_n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static char *fmt_both(char **ret_want, int *ret_n, const char *fmt, ...) {
        va_list ap, aq;
        char *got = NULL;
        va_start(ap, fmt);
        va_copy(aq, ap);
        *ret_n = str_vformat(&got, fmt, ap);
        assert_int_equal(vasprintf(ret_want, fmt, aq), *ret_n);
        va_end(aq);
        va_end(ap);
        return got;
}

/* A finding's line formatted without printf where only "%s" is used: the bytes vasprintf()
 * gives, for every format (other conversions go to vasprintf itself). */
static void test_format_as_vasprintf(void **state) {
        (void) state;
        const char *volatile none = NULL;    /* glibc prints "(null)": the same here */
        struct { char *got, *want; int n; } v[10];
        v[0].got = fmt_both(&v[0].want, &v[0].n, "defined in %s", "/etc/systemd/system/a.service");
        v[1].got = fmt_both(&v[1].want, &v[1].n, "%s; its limit goes in %s", "no MemoryMax=", "/etc/x.d/49.conf");
        v[2].got = fmt_both(&v[2].want, &v[2].n, "no process runs in it now");
        v[3].got = fmt_both(&v[3].want, &v[3].n, "%s", "");
        v[4].got = fmt_both(&v[4].want, &v[4].n, "[%s]%s", none, "\x1b[31m");
        v[5].got = fmt_both(&v[5].want, &v[5].n, "%s uses %llu MiB, 100%%", "a", 5ULL);
        v[6].got = fmt_both(&v[6].want, &v[6].n, "%.3s|%5s|", "abcdef", "x");
        v[7].got = fmt_both(&v[7].want, &v[7].n, "%s%s%s", "a", "b", "c");
        v[8].got = fmt_both(&v[8].want, &v[8].n, "%s-%s-%s-%s-%s-%s-%s-%s-%s.", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        v[9].got = fmt_both(&v[9].want, &v[9].n, "%s", "x%sy");
        for (size_t i = 0; i < 10; i++) {
                assert_string_equal(v[i].got, v[i].want);
                assert_int_equal(v[i].n, (int) strlen(v[i].want));
                free(v[i].got), free(v[i].want);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_as_vasprintf),
                cmocka_unit_test(test_check_without_findings_passes),
                cmocka_unit_test(test_worst_finding_is_the_check_status),
                cmocka_unit_test(test_exit_status_mapping),
                cmocka_unit_test(test_fix_line_defaults_for_warn_and_fail),
                cmocka_unit_test(test_no_fix_line_without_a_fix),
                cmocka_unit_test(test_details_and_message),
                cmocka_unit_test(test_details_written_in_place_as_formatted),
                cmocka_unit_test(test_add_before_begin_frees_data),
                cmocka_unit_test(test_unknown_id_runs_nothing),
                cmocka_unit_test(test_skip_via_config),
                cmocka_unit_test(test_ignore_applies_by_subject_and_expires),
                cmocka_unit_test(test_all_checks_run_in_table_order),
                cmocka_unit_test(test_status_and_severity_names),
                cmocka_unit_test(test_every_check_has_a_title_and_a_problem),
                cmocka_unit_test(test_permission_error_is_one_needs_root_skip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
