/* SPDX-License-Identifier: MIT */
/* unitname: unit names from the host checked as systemd checks them, and the
 * plan refusing a path that leaves the unit directory it is meant for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "host/host.h"
#include "plan/plan.h"
#include "systemd/unitname.h"

static void test_valid_names_of_each_form(void **state) {
        assert_true(unit_name_is_valid("ssh.service"));
        assert_true(unit_name_is_valid("-.slice"));
        assert_true(unit_name_is_valid("user-1000.slice"));
        assert_true(unit_name_is_valid("tmux-spawn-1234.scope"));
        assert_true(unit_name_is_valid("sys-devices-x\\x2dy.device"));
        assert_true(unit_name_is_valid("getty@tty1.service"));
        assert_true(unit_name_is_valid_form("getty@tty1.service", UNIT_NAME_INSTANCE));
        assert_false(unit_name_is_valid_form("getty@tty1.service", UNIT_NAME_PLAIN));
        assert_true(unit_name_is_template("getty@.service"));
        assert_false(unit_name_is_template("getty@tty1.service"));
        assert_string_equal(unit_name_type("a.b.timer"), ".timer");
        assert_null(unit_name_type("a.b"));
}

static void test_names_systemd_refuses(void **state) {
        static const char *const bad[] = {
                "", ".service", "@x.service", "a@b@c.service", "foo", "foo.bar", "foo.Service",
                "a/b.service", "../ssh.service", "x.service/../../ssh.service", "a b.service",
                "a\nb.service", "a\tb.service", "a\x7f.service", "\xc3\xa9.service", "a\"b.service",
                "a'b.service", "a;b.service", "a$b.service", "x.service\n",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_false(unit_name_is_valid(bad[i]));
        assert_false(unit_name_is_valid(NULL));
        char longname[300];
        memset(longname, 'a', sizeof longname);
        strcpy(longname + 255 - 8, ".service");         /* 255 bytes: the longest */
        assert_true(unit_name_is_valid(longname));
        memset(longname, 'a', sizeof longname);
        strcpy(longname + 256 - 8, ".service");
        assert_false(unit_name_is_valid(longname));
        assert_true(unit_name_is_valid_len("x.service\0junk", 9));
        assert_false(unit_name_is_valid_len("x.ser\0vice", 10));
}

static void test_instance_escape(void **state) {
        char *e;
        assert_int_equal(unit_instance_escape("my-app.service:8080", &e), 0);
        assert_string_equal(e, "my\\x2dapp.service:8080");
        free(e);
        assert_int_equal(unit_instance_escape(".a/b\n", &e), 0);
        assert_string_equal(e, "\\x2ea-b\\x0a");
        free(e);
}

static void test_unit_paths_confined(void **state) {
        assert_true(unit_path_is_confined("/etc/systemd/system/x.service"));
        assert_true(unit_path_is_confined("/etc/systemd/system/x.service.d/50-hostfit-restart.conf"));
        assert_true(unit_path_is_confined("/etc/systemd/system/multi-user.target.wants/x.service"));
        assert_true(unit_path_is_confined("/home/a/.config/systemd/user/x.service"));
        assert_true(unit_path_is_confined("/etc/fstab"));
        assert_true(unit_path_is_confined("/etc/systemd/zram-generator.conf"));
        assert_true(unit_path_is_confined("/etc/systemd/system.conf.d/x.conf"));
        /* The measured exploit: UNIT= "x\n/../../ssh.service" made into a drop-in path. */
        assert_false(unit_path_is_confined("/etc/systemd/system/x\n/../../ssh.service.d/50-hostfit-restart.conf"));
        assert_false(unit_path_is_confined("/etc/systemd/system/../system/ssh.service.d/50-hostfit-restart.conf"));
        assert_false(unit_path_is_confined("/etc/systemd/system/x.service.d/../../ssh.service"));
        assert_false(unit_path_is_confined("/etc/systemd/system/x.service.d/sub/50.conf"));
        assert_false(unit_path_is_confined("/etc/systemd/system/x.service.d/50.txt"));
        assert_false(unit_path_is_confined("/etc/systemd/system/not a unit/50.conf"));
        assert_false(unit_path_is_confined("/etc/systemd/system/ssh"));
        assert_false(unit_path_is_confined("/etc/systemd/system/x.wants/../y.service"));
        assert_false(unit_path_is_confined("/tmp/./x"));
        assert_false(unit_path_is_confined("relative/x.service"));
}

static void test_plan_refuses_escaping_paths(void **state) {
        char *root = fixture_new();
        struct host *h = NULL;
        struct plan *p = NULL;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        const char *text = "[Service]\nExecStartPre=/bin/sh -c 'id >/tmp/pwned'\n";
        assert_int_equal(plan_add_write(p, "restart-storm",
                                        "/etc/systemd/system/x\n/../../ssh.service.d/50-hostfit-restart.conf",
                                        text, strlen(text), 0644), -EINVAL);
        assert_int_equal(plan_add_write(p, "restart-storm", "/etc/systemd/system/evil\n.service.d/50-hostfit-restart.conf",
                                        text, strlen(text), 0644), -EINVAL);
        assert_int_equal(plan_add_symlink(p, "x", "/etc/systemd/system/multi-user.target.wants/a b.service",
                                          "/etc/systemd/system/a.service"), -EINVAL);
        assert_int_equal(plan_size(p), 0);
        assert_int_equal(plan_add_write(p, "restart-storm", "/etc/systemd/system/x.service.d/50-hostfit-restart.conf",
                                        text, strlen(text), 0644), 1);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_names_of_each_form),
                cmocka_unit_test(test_names_systemd_refuses),
                cmocka_unit_test(test_instance_escape),
                cmocka_unit_test(test_unit_paths_confined),
                cmocka_unit_test(test_plan_refuses_escaping_paths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
