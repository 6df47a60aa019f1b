/* SPDX-License-Identifier: MIT */
/* Live unit state: without a running systemd (this machine, or any --root) it says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <systemd/sd-daemon.h>

#include "fixture.h"
#include "host/host.h"
#include "systemd/unitstate.h"

static void test_fixture_root_is_never_asked(void **state) {
        char *root = fixture_new();
        fixture_mkdir(root, "/run/systemd/system");    /* looks booted, but it is not the running system */
        struct host *h = NULL;
        assert_int_equal(host_open(root, &h), 0);
        struct unit_state s = { 0 };
        assert_false(unit_state_available(h));
        assert_int_equal(unit_state_get(h, "nginx.service", &s), -EOPNOTSUPP);
        assert_null(s.active_state);
        host_free(h);
        fixture_remove(root);
}

static void test_live_root_without_systemd(void **state) {
        struct host *h = NULL;
        assert_int_equal(host_open("/", &h), 0);
        struct unit_state s = { 0 };
        if (sd_booted() > 0) {
                host_free(h);
                skip();         /* a machine booted with systemd: the bus answers */
        }
        assert_false(unit_state_available(h));
        assert_int_equal(unit_state_get(h, "ssh.service", &s), -EOPNOTSUPP);
        host_free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_root_is_never_asked),
                cmocka_unit_test(test_live_root_without_systemd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
