/* SPDX-License-Identifier: MIT */
/* The hostfit a generated unit runs: the configured one, else the running binary. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/config.h"
#include "fixture.h"
#include "host/host.h"
#include "host/selfpath.h"

static char *path_with(const char *conf) {
        char *root = fixture_new(), *err = NULL, *path = NULL;
        struct host *h;
        struct config *c;
        if (conf)
                fixture_write(root, "etc/hostfit/hostfit.conf", conf);
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &err), 0);
        host_set_config(h, c);
        assert_int_equal(hostfit_exe_path(h, &path), 0);
        host_free(h);
        fixture_remove(root);
        return path;
}

static void test_default_is_the_running_binary(void **state) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        assert_true(n > 0);
        self[n] = '\0';
        char *p = path_with(NULL);
        assert_string_equal(p, self);
        assert_true(p[0] == '/');
        assert_int_equal(access(p, X_OK), 0);
        free(p);
}

static void test_hostfit_section_wins_over_old_spelling(void **state) {
        char *p = path_with("[healthcheck]\nhostfit-path = /usr/local/sbin/hostfit\n"
                            "[hostfit]\nhostfit-path = /usr/sbin/hostfit\n");
        assert_string_equal(p, "/usr/sbin/hostfit");
        free(p);
        p = path_with("[healthcheck]\nhostfit-path = /opt/hf/hostfit\n");
        assert_string_equal(p, "/opt/hf/hostfit");
        free(p);
}

static void test_relative_path_is_refused_by_the_config(void **state) {
        char *root = fixture_new(), *err = NULL;
        struct host *h;
        struct config *c = NULL;
        fixture_write(root, "etc/hostfit/hostfit.conf", "[hostfit]\nhostfit-path = sbin/hostfit\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &err), -EINVAL);
        assert_non_null(strstr(err, "hostfit-path"));
        free(err);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_is_the_running_binary),
                cmocka_unit_test(test_hostfit_section_wins_over_old_spelling),
                cmocka_unit_test(test_relative_path_is_refused_by_the_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
