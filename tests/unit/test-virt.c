/* SPDX-License-Identifier: MIT */
/* Container, PID 1 and offline-image detection, and the skips they give, on
 * fixture roots in systemd's and the kernel's formats. */
#include "fixture-check.h"
#include "fixture-proc.h"
#include <errno.h>

#include "text/cleanup.h"
#include "host/virt.h"

static struct host *open_root(const char *root) {
        struct host *h;
        assert_int_equal(host_open(root, &h), 0);
        return h;
}

/* A running root whose PID 1 is COMM, with ENVIRON (NUL-separated) as its environment. */
static char *running_root(const char *comm, const char *environ_text) {
        struct fproc init = { .pid = 1, .ppid = 0, .comm = comm, .argv = { "/sbin/init", NULL },
                              .environ = environ_text, .rss_pages = 2000 };
        return fproc_root(&init, 1);
}

static void assert_container(const char *root, int want, const char *want_name) {
        struct host *h = open_root(root);
        const char *name = NULL;
        assert_int_equal(host_container(h, &name), want);
        if (want_name)
                assert_string_equal(name, want_name);
        host_free(h);
}

static void test_bare_metal_is_no_container(void **state) {
        char *root = running_root("systemd", "HOME=/\nTERM=linux\nBOOT_IMAGE=/vmlinuz");
        assert_container(root, 0, NULL);
        fixture_remove(root);
}

static void test_run_systemd_container_names_the_manager(void **state) {
        char *root = running_root("systemd", "TERM=linux");
        fixture_write(root, "run/systemd/container", "systemd-nspawn\n");
        assert_container(root, 1, "systemd-nspawn");
        fixture_remove(root);
}

static void test_pid1_environ_container_lxc(void **state) {
        /* LXC starts init with container=lxc in its environment, NUL-separated. */
        char *root = running_root("init", "PATH=/usr/sbin:/usr/bin\ncontainer=lxc\nTERM=linux");
        assert_container(root, 1, "lxc");
        fixture_remove(root);
}

static void test_environ_variable_name_must_match_exactly(void **state) {
        char *root = running_root("systemd", "mycontainer=docker\nXcontainer=lxc");
        assert_container(root, 0, NULL);
        fixture_remove(root);
}

static void test_dockerenv_is_docker(void **state) {
        char *root = running_root("node", "PATH=/usr/local/bin:/usr/bin");
        fixture_write(root, ".dockerenv", "");
        assert_container(root, 1, "docker");
        fixture_remove(root);
}

static void test_containerenv_is_podman(void **state) {
        char *root = running_root("bash", NULL);
        fixture_write(root, "run/.containerenv", "engine=\"podman-4.3.1\"\nname=\"web\"\n");
        assert_container(root, 1, "podman");
        fixture_remove(root);
}

static void test_unknown_manager_name_is_not_echoed(void **state) {
        char *root = running_root("systemd", NULL);
        fixture_write(root, "run/systemd/container", "\x1b]0;pwned\x07\n");
        assert_container(root, 1, "container-other");
        fixture_remove(root);
}

static void test_pid1_systemd(void **state) {
        char *root = running_root("systemd", NULL);
        struct host *h = open_root(root);
        const char *comm = NULL;
        assert_int_equal(host_pid1(h, &comm), 1);
        assert_false(host_offline(h));
        host_free(h);
        fixture_remove(root);
}

static void test_pid1_other_init_names_it(void **state) {
        char *root = running_root("tini", NULL);
        struct host *h = open_root(root);
        const char *comm = NULL;
        assert_int_equal(host_pid1(h, &comm), 0);
        assert_string_equal(comm, "tini");
        host_free(h);
        fixture_remove(root);
}

static void test_pid1_named_systemd_without_run_systemd_system_is_not_booted(void **state) {
        char *root = running_root("systemd", NULL);
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s/run/systemd/system'", root);
        assert_int_equal(system(cmd), 0);
        struct host *h = open_root(root);
        const char *comm = NULL;
        assert_int_equal(host_pid1(h, &comm), 0);
        assert_string_equal(comm, "systemd");
        host_free(h);
        fixture_remove(root);
}

static void test_pid1_hostile_comm_is_not_echoed(void **state) {
        char *root = running_root("x", NULL);
        fixture_write(root, "proc/1/comm", "\x1b[2Jevil\n");
        struct host *h = open_root(root);
        const char *comm = NULL;
        assert_int_equal(host_pid1(h, &comm), 0);
        assert_string_equal(comm, "unknown");
        host_free(h);
        fixture_remove(root);
}

static void test_empty_proc_is_an_image(void **state) {
        /* debootstrap and a mounted image keep /proc as an empty mount point. */
        char *root = fixture_new();
        fixture_mkdir(root, "proc");
        fixture_mkdir(root, "etc/systemd/system");
        struct host *h = open_root(root);
        const char *comm = NULL;
        assert_true(host_offline(h));
        assert_int_equal(host_pid1(h, &comm), -ENOENT);
        host_free(h);
        fixture_write(root, "proc/meminfo", "MemTotal:        2013924 kB\n");
        h = open_root(root);
        assert_false(host_offline(h));
        host_free(h);
        fixture_remove(root);
}

static void test_offline_image(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/fstab", "UUID=0a3407de-014b-458b-b5c1-848e92a327a3 / ext4 errors=remount-ro 0 1\n");
        fixture_mkdir(root, "etc/systemd/system");
        struct host *h = open_root(root);
        const char *comm = NULL, *name = NULL;
        assert_true(host_offline(h));
        assert_int_equal(host_pid1(h, &comm), -ENOENT);
        assert_int_equal(host_container(h, &name), 0);
        host_free(h);
        fixture_remove(root);
}

/* ---- the skips, through real checks ---- */

static void test_unit_check_skips_under_another_init(void **state) {
        char *root = running_root("dumb-init", NULL);
        struct run x;
        run_check(&x, root, "unit-memorymax");
        assert_int_equal(x.cr->status, STATUS_SKIP);
        assert_int_equal(x.cr->n_findings, 1);
        assert_string_equal(x.cr->findings[0]->message, "systemd is not PID 1 (PID 1 is dumb-init)");
        run_free(&x);
        fixture_remove(root);
}

static void test_unit_check_runs_on_offline_image(void **state) {
        char *root = fixture_new();
        fixture_write(root, "etc/systemd/system/shop.service",
                      "[Unit]\nDescription=Shop\n\n[Service]\nExecStart=/usr/bin/node /srv/shop/server.js\n\n"
                      "[Install]\nWantedBy=multi-user.target\n");
        struct run x;
        run_check(&x, root, "unit-memorymax");
        assert_int_not_equal(x.cr->status, STATUS_SKIP);
        assert_non_null(run_find(&x, "MemoryMax"));
        run_free(&x);
        fixture_remove(root);
}

static void test_process_checks_skip_on_offline_image(void **state) {
        static const char *const ids[] = { "dev-server", "unmanaged-service", "wrapper-oom-unprotected",
                                           "tmux-resurrect", "healthcheck-missing" };
        char *root = fixture_new();
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                struct run x;
                run_check(&x, root, ids[i]);
                assert_int_equal(x.cr->status, STATUS_SKIP);
                assert_int_equal(x.cr->n_findings, 1);
                assert_string_equal(x.cr->findings[0]->message, "offline image: no processes");
                run_free(&x);
        }
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bare_metal_is_no_container),
                cmocka_unit_test(test_run_systemd_container_names_the_manager),
                cmocka_unit_test(test_pid1_environ_container_lxc),
                cmocka_unit_test(test_environ_variable_name_must_match_exactly),
                cmocka_unit_test(test_dockerenv_is_docker),
                cmocka_unit_test(test_containerenv_is_podman),
                cmocka_unit_test(test_unknown_manager_name_is_not_echoed),
                cmocka_unit_test(test_pid1_systemd),
                cmocka_unit_test(test_pid1_other_init_names_it),
                cmocka_unit_test(test_pid1_named_systemd_without_run_systemd_system_is_not_booted),
                cmocka_unit_test(test_pid1_hostile_comm_is_not_echoed),
                cmocka_unit_test(test_offline_image),
                cmocka_unit_test(test_empty_proc_is_an_image),
                cmocka_unit_test(test_unit_check_skips_under_another_init),
                cmocka_unit_test(test_unit_check_runs_on_offline_image),
                cmocka_unit_test(test_process_checks_skip_on_offline_image),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
