/* SPDX-License-Identifier: MIT */
/* The writer on the live system: a swap file on /tmp is made, swapped on,
 * found already active by a second apply, and swapped off again. Needs root;
 * run by tests/live/apply-swapon.sh, never by the unit layer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "fixture.h"
#include "host/host.h"
#include "plan/plan.h"
#include "apply/swapdev.h"

struct live {
        struct host *host;
        struct plan *plan;
        char *dir;
        char *swapfile;
        char last_msg[1024];
};

static void live_log(void *userdata, const struct action *a, int r, const char *msg) {
        struct live *l = userdata;
        snprintf(l->last_msg, sizeof(l->last_msg), "%s", msg);
}

static int live_setup(void **state) {
        struct live *l = calloc(1, sizeof(*l));
        assert_int_equal(host_open("/", &l->host), 0);
        assert_true(host_is_live(l->host));
        assert_int_equal(plan_new(l->host, &l->plan), 0);
        *state = l;
        return 0;
}

static int live_teardown(void **state) {
        struct live *l = *state;
        if (l->swapfile)
                (void) swapoff(l->swapfile);
        if (l->dir)
                fixture_remove(l->dir);
        free(l->swapfile);
        plan_free(l->plan);
        host_free(l->host);
        free(l);
        return 0;
}

static void test_swapfile_and_swapon_live(void **state) {
        struct live *l = *state;
        if (geteuid() != 0)
                skip();
        l->dir = strdup("/tmp/hostfit-swap.XXXXXX");
        assert_non_null(mkdtemp(l->dir));
        struct statfs sfs;
        assert_int_equal(statfs(l->dir, &sfs), 0);
        if (swapfile_fs_refusal((long) sfs.f_type))
                skip();
        assert_true(asprintf(&l->swapfile, "%s/swapfile", l->dir) > 0);
        assert_int_equal(plan_add_swapfile(l->plan, "swap-missing", l->swapfile, 4 << 20), 1);
        assert_int_equal(plan_add_swapon(l->plan, "swap-missing", l->swapfile, 5), 1);
        int r = plan_apply(l->plan, l->host, live_log, l);
        if (r == -EPERM)
                skip();
        assert_int_equal(r, 0);
        assert_string_equal(l->last_msg + strlen(l->last_msg) - strlen("/swapfile"), "/swapfile");
        char *swaps = fixture_read("/", "/proc/swaps");
        assert_non_null(strstr(swaps, l->swapfile));
        free(swaps);
        /* Already active counts as done. */
        plan_free(l->plan);
        assert_int_equal(plan_new(l->host, &l->plan), 0);
        assert_int_equal(plan_add_swapon(l->plan, "swap-missing", l->swapfile, 5), 1);
        assert_int_equal(plan_apply(l->plan, l->host, live_log, l), 0);
        assert_non_null(strstr(l->last_msg, "already active"));
        assert_int_equal(swapoff(l->swapfile), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_swapfile_and_swapon_live, live_setup, live_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
