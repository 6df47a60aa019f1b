/* SPDX-License-Identifier: MIT */
/* systemd 247 to 257: the version hostfit reads, and the settings it writes.
 * Fixture roots carry each distribution's libsystemd-shared, named and placed
 * as its package installs it (Debian 11 /lib/systemd, Ubuntu 22.04 /usr/lib/systemd,
 * RHEL 9 /usr/lib64/systemd, Debian 12 and 13 and Ubuntu 24.04 the multiarch
 * directory); the manager's Version property and `systemctl --version`'s first
 * line parse to the same number. For each version every directive of the
 * restart-storm drop-in, and of every built-in unit template, is one that
 * version knows (RestartSteps= and RestartMaxDelaySec= only from 254). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "host/host.h"
#include "host/template.h"
#include "restart-policy.h"
#include "systemd/unitstate.h"

#define USEC UINT64_C(1000000)

static const struct {
        const char *distro;
        const char *lib;                /* as the package installs it */
        const char *manager;            /* org.freedesktop.systemd1.Manager Version */
        const char *systemctl;          /* systemctl --version, first line */
        unsigned version;
} roots[] = {
        { "Debian 11", "/lib/systemd/libsystemd-shared-247.so", "247.3-7+deb11u6",
          "systemd 247 (247.3-7+deb11u6)", 247 },
        { "Ubuntu 22.04", "/usr/lib/systemd/libsystemd-shared-249.so", "249.11-0ubuntu3.12",
          "systemd 249 (249.11-0ubuntu3.12)", 249 },
        { "RHEL 9", "/usr/lib64/systemd/libsystemd-shared-252.so", "252-46.el9_5.2",
          "systemd 252 (252-46.el9_5.2)", 252 },
        { "Debian 12", "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so", "252.39-1~deb12u1",
          "systemd 252 (252.39-1~deb12u1)", 252 },
        { "Ubuntu 24.04", "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-255.so", "255.4-1ubuntu8.4",
          "systemd 255 (255.4-1ubuntu8.4)", 255 },
        { "Debian 12 arm64 backports", "/usr/lib/aarch64-linux-gnu/systemd/libsystemd-shared-254.so",
          "254.5-1~bpo12+3", "systemd 254 (254.5-1~bpo12+3)", 254 },
        { "Debian 13", "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-257.so", "257.9-1~deb13u1",
          "systemd 257 (257.9-1~deb13u1)", 257 },
};

/* The first systemd release that reads each directive hostfit writes (systemd's NEWS). */
static const struct {
        const char *key;
        unsigned since;
} known[] = {
        { "AccuracySec", 209 }, { "After", 1 }, { "Before", 1 }, { "ConditionPathExists", 1 },
        { "Conflicts", 1 }, { "DefaultDependencies", 1 }, { "Description", 1 }, { "Documentation", 1 },
        { "ExecStart", 1 }, { "ExecStartPre", 1 }, { "ExecStop", 1 }, { "IOSchedulingClass", 1 },
        { "LogLevelMax", 236 }, { "MemoryHigh", 231 }, { "MemoryMax", 231 }, { "Nice", 1 },
        { "NoNewPrivileges", 187 }, { "OnActiveSec", 1 }, { "OnBootSec", 1 }, { "OnUnitActiveSec", 1 },
        { "Persistent", 212 }, { "ProtectHome", 214 }, { "ProtectSystem", 214 },
        { "RandomizedDelaySec", 229 }, { "ReadWritePaths", 231 }, { "RemainAfterExit", 1 },
        { "RequiresMountsFor", 1 }, { "Restart", 1 }, { "RestartMaxDelaySec", 254 }, { "RestartSec", 1 },
        { "RestartSteps", 254 }, { "RuntimeDirectory", 211 }, { "RuntimeDirectoryPreserve", 235 },
        { "StartLimitBurst", 230 }, { "StartLimitIntervalSec", 230 }, { "SuccessExitStatus", 1 },
        { "TimeoutStartSec", 1 }, { "Type", 1 }, { "WantedBy", 1 },
};

/* Every "Key=" line of TEXT is known to systemd VERSION; NAME for the message. */
static void assert_known(const char *name, const char *text, size_t len, unsigned version) {
        const char *end = text + len;
        for (const char *l = text; l < end; ) {
                const char *nl = memchr(l, '\n', (size_t) (end - l));
                size_t n = nl ? (size_t) (nl - l) : (size_t) (end - l);
                size_t k = strspn(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
                if (k > 0 && k < n && l[k] == '=' && l[0] >= 'A' && l[0] <= 'Z') {
                        unsigned since = 0;
                        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                                if (strlen(known[i].key) == k && strncmp(known[i].key, l, k) == 0)
                                        since = known[i].since;
                        if (since == 0)
                                fail_msg("%s: %.*s= is not in this test's table: add the release that "
                                         "introduced it", name, (int) k, l);
                        if (since > version)
                                fail_msg("%s: %.*s= needs systemd %u, the manager is %u", name, (int) k, l,
                                         since, version);
                }
                l += n + 1;
        }
}

static void test_version_from_each_tree(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
                char *root = fixture_new();
                fixture_write(root, roots[i].lib, "\177ELF");
                /* Decoys the search must not take: another library, an older version's leftovers. */
                fixture_write(root, "/usr/lib/x86_64-linux-gnu/libsystemd.so.0.35.0", "\177ELF");
                struct host *h;
                unsigned v = 0;
                assert_int_equal(host_open(root, &h), 0);
                assert_int_equal(unit_state_systemd_version(h, &v), 0);
                if (v != roots[i].version)
                        fail_msg("%s: read %u from %s, expected %u", roots[i].distro, v, roots[i].lib,
                                 roots[i].version);
                host_free(h);
                fixture_remove(root);
                assert_int_equal(systemd_version_parse(roots[i].manager, &v), 0);
                assert_int_equal(v, roots[i].version);
                assert_int_equal(systemd_version_parse(roots[i].systemctl, &v), 0);
                assert_int_equal(v, roots[i].version);
        }
}

static void test_no_systemd_in_the_tree_is_unknown(void **state) {
        (void) state;
        char *root = fixture_new();
        fixture_write(root, "/usr/lib/x86_64-linux-gnu/libsystemd.so.0.35.0", "\177ELF");
        struct host *h;
        unsigned v = 0;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(unit_state_systemd_version(h, &v), -ENOENT);
        host_free(h);
        fixture_remove(root);
}

/* Scenario 70's unit: Restart=always, RestartSec=5s, the manager's default start limit. */
static void test_restart_dropin_fits_each_version(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
                unsigned v = roots[i].version;
                struct restart_rule rule = { .version = v, .max_per_hour = 3,
                                             .default_interval = 10 * USEC, .default_burst = 5 };
                struct restart_settings a = { .restart = "always", .restart_usec = 5 * USEC,
                                              .limit_interval = 10 * USEC, .limit_burst = 5,
                                              .max_delay = UINT64_MAX };
                struct restart_dropin d;
                char *manual = NULL, *text = NULL;
                size_t len = 0;
                assert_int_equal(restart_desired("crashy.service", &a, NULL, &rule, &d, &manual), 0);
                assert_null(manual);
                assert_int_equal(restart_dropin_render("crashy.service", &d, &text, &len), 0);
                assert_known(roots[i].distro, text, len, v);
                bool steps = strstr(text, "\nRestartSteps=") != NULL;
                if (steps != (v >= 254))
                        fail_msg("%s (systemd %u): RestartSteps= %s:\n%s", roots[i].distro, v,
                                 steps ? "written" : "missing", text);
                /* Before 254 the start limit ends it; from 254 the back-off does, without one. */
                assert_true((strstr(text, "StartLimitBurst=") != NULL) == (v < 254));
                free(text);
        }
}

static void test_templates_fit_the_oldest_version(void **state) {
        (void) state;
        size_t n = 0;
        for (const struct template_file *t = template_builtins; t->name; t++, n++)
                assert_known(t->name, t->text, t->len, 247);
        assert_true(n >= 5);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_from_each_tree),
                cmocka_unit_test(test_no_systemd_in_the_tree_is_unknown),
                cmocka_unit_test(test_restart_dropin_fits_each_version),
                cmocka_unit_test(test_templates_fit_the_oldest_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
