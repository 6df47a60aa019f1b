/* SPDX-License-Identifier: MIT */
/* The hostfit a generated unit runs: the configured one, else the running binary, else
 * under --root the image's own; only one that no one but root can change. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/config.h"
#include "fixture.h"
#include "host/host.h"
#include "host/selfpath.h"

/* hostfit_exe_path() on ROOT with CONF as its hostfit.conf; *err set on failure. */
static int path_in(const char *root, const char *conf, char **ret, char **err) {
        struct host *h;
        struct config *c;
        char *cerr = NULL;
        if (conf)
                fixture_write(root, "etc/hostfit/hostfit.conf", conf);
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(config_load(h, &c, &cerr), 0);
        host_set_config(h, c);
        *ret = NULL;
        *err = NULL;
        int r = hostfit_exe_path(h, ret, err);
        host_free(h);
        return r;
}

static void add_binary(const char *root, const char *path, mode_t mode) {
        fixture_write(root, path, "\177ELF");
        fixture_chmod(root, path, mode);
}

static char *self_path(void) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        assert_true(n > 0);
        self[n] = '\0';
        return strdup(self);
}

/* Off the running system the default is the image's copy, never this binary. */
static void test_image_default_is_the_images_copy(void **state) {
        char *root = fixture_new(), *p, *err;
        /* An image with an older package's /usr/sbin/hostfit: that one. */
        add_binary(root, "/usr/sbin/hostfit", 0755);
        assert_int_equal(path_in(root, NULL, &p, &err), 0);
        assert_string_equal(p, "/usr/sbin/hostfit");
        free(p);
        /* The package's /usr/bin/hostfit comes first. */
        add_binary(root, "/usr/bin/hostfit", 0755);
        assert_int_equal(path_in(root, NULL, &p, &err), 0);
        assert_string_equal(p, "/usr/bin/hostfit");
        free(p);
        /* The running binary's own path wins when the image has it. */
        char *self = self_path();
        add_binary(root, self, 0755);
        assert_int_equal(path_in(root, NULL, &p, &err), 0);
        assert_string_equal(p, self);
        free(p);
        free(self);
        fixture_remove(root);
}

static void test_image_without_hostfit_is_refused(void **state) {
        char *root = fixture_new(), *p, *err;
        fixture_mkdir(root, "usr/sbin");
        assert_int_equal(path_in(root, NULL, &p, &err), -ENOENT);
        assert_null(p);
        assert_non_null(strstr(err, "no hostfit in "));
        assert_non_null(strstr(err, "install it in the image, or set [hostfit] hostfit-path"));
        free(err);
        fixture_remove(root);
}

static void test_hostfit_section_wins_over_old_spelling(void **state) {
        char *root = fixture_new(), *p, *err;
        add_binary(root, "/usr/sbin/hostfit", 0755);
        add_binary(root, "/opt/hf/hostfit", 0755);
        assert_int_equal(path_in(root, "[healthcheck]\nhostfit-path = /opt/hf/hostfit\n"
                                 "[hostfit]\nhostfit-path = /usr/sbin/hostfit\n", &p, &err), 0);
        assert_string_equal(p, "/usr/sbin/hostfit");
        free(p);
        assert_int_equal(path_in(root, "[healthcheck]\nhostfit-path = /opt/hf/hostfit\n", &p, &err), 0);
        assert_string_equal(p, "/opt/hf/hostfit");
        free(p);
        fixture_remove(root);
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

/* Refused with its reason: EXPECT in the message, no path handed out. */
static void refused(const char *root, int want, const char *expect) {
        char *p, *err;
        assert_int_equal(path_in(root, "[hostfit]\nhostfit-path = /opt/hf/hostfit\n", &p, &err), want);
        assert_null(p);
        assert_non_null(err);
        if (!strstr(err, expect))
                fail_msg("\"%s\" does not say \"%s\"", err, expect);
        free(err);
}

static void test_group_writable_binary_is_refused(void **state) {
        char *root = fixture_new();
        add_binary(root, "/opt/hf/hostfit", 0775);
        refused(root, -EPERM, "[hostfit] hostfit-path = /opt/hf/hostfit: /opt/hf/hostfit is writable by its group (mode 0775)");
        fixture_remove(root);
}

static void test_world_writable_directory_on_the_way_is_refused(void **state) {
        char *root = fixture_new();
        add_binary(root, "/opt/hf/hostfit", 0755);
        fixture_chmod(root, "/opt", 01777);
        refused(root, -EPERM, "/opt is writable by every user (mode 1777)");
        fixture_remove(root);
}

static void test_binary_of_another_user_is_refused(void **state) {
        if (geteuid() != 0)
                skip();         /* chown needs root */
        char *root = fixture_new(), *p;
        add_binary(root, "/opt/hf/hostfit", 0755);
        assert_true(asprintf(&p, "%s/opt/hf", root) > 0);
        assert_int_equal(chown(p, 1000, 1000), 0);
        free(p);
        refused(root, -EPERM, "/opt/hf is owned by uid 1000, not root");
        fixture_remove(root);
}

static void test_not_a_program_is_refused(void **state) {
        char *root = fixture_new();
        add_binary(root, "/opt/hf/hostfit", 0644);
        refused(root, -EPERM, "it is not executable (mode 0644)");
        fixture_remove(root);
        root = fixture_new();
        fixture_mkdir(root, "/opt/hf/hostfit");
        refused(root, -EISDIR, "names a directory");
        fixture_remove(root);
        root = fixture_new();
        refused(root, -ENOENT, "/opt does not exist");
        fixture_remove(root);
}

/* Symlinks are followed within the root, and where they lead is judged too. */
static void test_symlinks_are_followed_within_the_root(void **state) {
        char *root = fixture_new(), *p, *err;
        add_binary(root, "/usr/lib/hf/hostfit", 0755);
        fixture_symlink(root, "/usr/lib/hf", "/opt/hf");          /* absolute: the root's /usr, not the host's */
        assert_int_equal(path_in(root, "[hostfit]\nhostfit-path = /opt/hf/hostfit\n", &p, &err), 0);
        assert_string_equal(p, "/opt/hf/hostfit");
        free(p);
        fixture_chmod(root, "/usr/lib/hf", 0777);
        refused(root, -EPERM, "/usr/lib/hf is writable by every user (mode 0777)");
        fixture_remove(root);

        root = fixture_new();
        add_binary(root, "/srv/hostfit", 0755);
        fixture_mkdir(root, "/opt/hf");
        fixture_symlink(root, "../../srv/hostfit", "/opt/hf/hostfit");
        assert_int_equal(path_in(root, "[hostfit]\nhostfit-path = /opt/hf/hostfit\n", &p, &err), 0);
        free(p);
        fixture_chmod(root, "/srv", 0775);
        refused(root, -EPERM, "/srv is writable by its group (mode 0775)");
        fixture_remove(root);

        /* Up past the root stays at the root: the host's /usr/bin/env is not found. */
        root = fixture_new();
        fixture_mkdir(root, "/opt/hf");
        fixture_symlink(root, "../../../../../../usr/bin/env", "/opt/hf/hostfit");
        refused(root, -ENOENT, "/usr does not exist");
        fixture_remove(root);

        root = fixture_new();
        fixture_mkdir(root, "/opt");
        fixture_symlink(root, "hf", "/opt/hf");
        refused(root, -ELOOP, "too many symlinks");
        fixture_remove(root);
}

/* On the running system the default is this binary, when only root can change it. */
static void test_running_system_default_is_the_running_binary(void **state) {
        char *self = self_path(), *ret = NULL, *err = NULL;
        struct host *h;
        assert_int_equal(host_open("/", &h), 0);
        int r = hostfit_exe_path(h, &ret, &err);
        host_free(h);
        if (r == -EPERM) {
                /* A build tree of a user: said so, with the remedy. */
                assert_non_null(strstr(err, "the running hostfit "));
                assert_non_null(strstr(err, "install it where only root can change it"));
                free(err);
                free(self);
                skip();
        }
        assert_int_equal(r, 0);
        assert_string_equal(ret, self);
        free(ret);
        free(self);
}

/* On the running system: a hostfit under the world-writable /tmp is refused, whoever owns it. */
static void test_running_system_refuses_a_binary_in_tmp(void **state) {
        struct stat st;
        if (stat("/tmp", &st) < 0 || !(st.st_mode & S_IWOTH))
                skip();
        char dir[] = "/tmp/hostfit-selfpath.XXXXXX", *p, *err = NULL, *cerr = NULL, *conf;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        assert_true(asprintf(&p, "%s/hostfit", dir) > 0);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(chmod(p, 0755), 0);
        assert_true(asprintf(&conf, "[hostfit]\nhostfit-path = %s\n", p) > 0);
        struct host *h;
        struct config *c;
        assert_int_equal(host_open("/", &h), 0);
        assert_true(host_is_live(h));
        assert_int_equal(config_parse(conf, "hostfit.conf", &c, &cerr), 0);
        host_set_config(h, c);
        char *ret = NULL;
        assert_int_equal(hostfit_exe_path(h, &ret, &err), -EPERM);
        assert_null(ret);
        assert_non_null(strstr(err, ": /tmp is writable by every user (mode 1777)"));
        free(err);
        host_free(h);
        unlink(p);
        rmdir(dir);
        free(p);
        free(conf);
}

int main(void) {
        umask(022);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_image_default_is_the_images_copy),
                cmocka_unit_test(test_image_without_hostfit_is_refused),
                cmocka_unit_test(test_hostfit_section_wins_over_old_spelling),
                cmocka_unit_test(test_relative_path_is_refused_by_the_config),
                cmocka_unit_test(test_group_writable_binary_is_refused),
                cmocka_unit_test(test_world_writable_directory_on_the_way_is_refused),
                cmocka_unit_test(test_binary_of_another_user_is_refused),
                cmocka_unit_test(test_not_a_program_is_refused),
                cmocka_unit_test(test_symlinks_are_followed_within_the_root),
                cmocka_unit_test(test_running_system_default_is_the_running_binary),
                cmocka_unit_test(test_running_system_refuses_a_binary_in_tmp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
