/* SPDX-License-Identifier: MIT */
/* swap-missing's fix on filesystems this machine cannot mount in a unit test:
 * the statfs type is what host_statfs() reports for the fixture root.
 * - zfs, tmpfs, overlayfs, nfs: refused, the manual step names the filesystem
 *   and zram, and no byte of the root changes;
 * - btrfs: the default path is /swap/swapfile, a subvolume of its own planned
 *   before the file (never the root subvolume); a file asked for in the root
 *   subvolume is refused; a refused size takes the planned subvolume back. */
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <cmocka.h>

#include "check.h"
#include "fixture.h"
#include "fixture-ctx.h"
#include "fixes.h"
#include "swap.h"

#define ZFS_MAGIC 0x2fc12fc1

static unsigned long fake_type;

static void fake_statfs(const char *path, struct statfs *sf) {
        (void) path;
        sf->f_type = (__typeof__(sf->f_type)) fake_type;
}

static int teardown(void **state) {
        (void) state;
        host_set_statfs_hook(NULL);
        return 0;
}

static struct ctx *run_on(unsigned long type, const char *conf) {
        fake_type = type;
        host_set_statfs_hook(fake_statfs);
        return ctx_run_check(fixture_copy("swap-none"), "swap-missing", conf);
}

static void test_refused_filesystems_name_themselves_and_zram(void **state) {
        static const struct {
                unsigned long magic;
                const char *name;
        } fs[] = {
                { ZFS_MAGIC, "zfs" }, { TMPFS_MAGIC, "tmpfs" },
                { OVERLAYFS_SUPER_MAGIC, "overlayfs" }, { NFS_SUPER_MAGIC, "nfs" },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
                struct ctx *c = run_on(fs[i].magic, NULL);
                const struct finding *f = ctx_only_finding(c);
                assert_int_equal(f->status, STATUS_FAIL);
                char *before = fixture_tree_hash(c->root);
                struct plan *p = ctx_plan_fix(c, &fix_swapfile);
                assert_int_equal(plan_size(p), 1);
                const struct action *a = plan_action(p, 0);
                assert_int_equal(a->kind, ACTION_MANUAL);
                char want[64];
                snprintf(want, sizeof(want), "it would be on %s,", fs[i].name);
                if (!strstr(a->text, want))
                        fail_msg("%s: %s", fs[i].name, a->text);
                assert_non_null(strstr(a->text, "hostfit fix zram-missing"));
                assert_int_equal(plan_count_changes(p), 0);
                char *after = fixture_tree_hash(c->root);
                assert_string_equal(before, after);
                free(before);
                free(after);
                ctx_free(c);
        }
}

static void test_btrfs_default_is_a_subvolume_of_its_own(void **state) {
        (void) state;
        struct ctx *c = run_on(BTRFS_SUPER_MAGIC, "[swap]\nsize = 64M\n");
        const struct finding *f = ctx_only_finding(c);
        const struct swap_facts *d = f->data;
        assert_string_equal(d->path, SWAPFILE_BTRFS_PATH);
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_true(plan_size(p) >= 3);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SUBVOLUME);
        assert_string_equal(plan_action(p, 0)->path, "/swap");
        assert_int_equal(plan_action(p, 1)->kind, ACTION_SWAPFILE);
        assert_string_equal(plan_action(p, 1)->path, "/swap/swapfile");
        assert_int_equal(plan_action(p, 2)->kind, ACTION_WRITE_FILE);
        assert_string_equal(plan_action(p, 2)->path, "/etc/fstab");
        assert_non_null(strstr(plan_action(p, 2)->content, "/swap/swapfile none swap sw 0 0\n"));
        char *s = NULL;
        assert_int_equal(action_describe(plan_action(p, 0), &s), 0);
        assert_non_null(strstr(s, "btrfs subvolume create /swap"));
        free(s);
        ctx_free(c);
}

static void test_btrfs_root_subvolume_is_refused(void **state) {
        (void) state;
        struct ctx *c = run_on(BTRFS_SUPER_MAGIC, "[swap]\npath = /swapfile\nsize = 64M\n");
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_MANUAL);
        assert_non_null(strstr(a->text, "a subvolume that is not its own"));
        assert_non_null(strstr(a->text, "hostfit fix zram-missing"));
        ctx_free(c);
}

static void test_btrfs_refused_size_takes_the_subvolume_back(void **state) {
        (void) state;
        struct ctx *c = run_on(BTRFS_SUPER_MAGIC, "[swap]\nsize = 100000G\n");
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "does not fit"));
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_refused_filesystems_name_themselves_and_zram, teardown),
                cmocka_unit_test_teardown(test_btrfs_default_is_a_subvolume_of_its_own, teardown),
                cmocka_unit_test_teardown(test_btrfs_root_subvolume_is_refused, teardown),
                cmocka_unit_test_teardown(test_btrfs_refused_size_takes_the_subvolume_back, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
