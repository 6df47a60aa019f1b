/* swap-missing and its swapfile fix, on fixture roots in the kernel's formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <cmocka.h>

#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "fixture.h"
#include "fixture-ctx.h"
#include "fixes.h"
#include "registry.h"
#include "report.h"
#include "swap.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)
#define FIXTURE_MEM (UINT64_C(8148484) * 1024)

static const char FSTAB[] =
        "# /etc/fstab: static file system information.\n"
        "#\n"
        "# Use 'blkid' to print the universally unique identifier for a\n"
        "# device; this may be used with UUID= as a more robust way to name devices\n"
        "# that works even if disks are added and removed. See fstab(5).\n"
        "#\n"
        "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
        "UUID=3f1c2a9e-5b7d-4e2a-9c31-8d6f0b1e2a47 /               ext4    errors=remount-ro 0       1\n"
        "\n"
        "# /boot was on /dev/vda1 during installation\n"
        "UUID=8a2e-41F7  /boot/efi       vfat    umask=0077      0       1\n"
        "tmpfs\t/tmp\ttmpfs\tdefaults,nosuid,nodev   0 0\n";

static struct ctx *ctx_run(char *root, const char *conf) {
        return ctx_run_check(root, "swap-missing", conf);
}

static struct plan *ctx_plan(struct ctx *c) {
        return ctx_plan_fix(c, &fix_swapfile);
}

static uint64_t free_at(const char *root) {
        struct statfs sf;
        assert_int_equal(statfs(root, &sf), 0);
        return (uint64_t) sf.f_bavail * (uint64_t) sf.f_bsize;
}

/* ---- the check ---- */

static void test_active_swap_in_fstab_passes(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-ok"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "7.8 GiB RAM, 2.0 GiB swap (1 area, all configured)");
        assert_null(f->fix);
        ctx_free(c);
}

static void test_no_swap_fails_naming_ram_and_swap(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_FAIL);
        assert_string_equal(f->message, "no swap; 7.8 GiB RAM, 0 B swap");
        assert_string_equal(f->fix, "hostfit fix swap-missing");
        const struct swap_facts *d = f->data;
        assert_non_null(d);
        assert_int_equal(d->problem, SWAP_NONE);
        assert_int_equal(d->target, SWAP_TARGET_MISSING);
        assert_string_equal(d->path, "/swapfile");
        assert_int_equal(d->mem_total, FIXTURE_MEM);
        ctx_free(c);
}

static void test_fstab_swap_not_active_warns(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-inactive"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->message, "/dev/vdb2 is configured in /etc/fstab but not active");
        const struct swap_facts *d = f->data;
        assert_int_equal(d->problem, SWAP_INACTIVE);
        assert_int_equal(d->target, SWAP_TARGET_DEVICE);
        assert_string_equal(d->path, "/dev/vdb2");
        ctx_free(c);
}

static void test_active_swap_not_persistent_warns(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-unpersisted"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_non_null(strstr(f->message, "lost at reboot"));
        assert_string_equal(f->subject, "/swapfile");
        const struct swap_facts *d = f->data;
        assert_int_equal(d->problem, SWAP_NOT_PERSISTENT);
        assert_false(d->in_fstab);
        ctx_free(c);
}

static void test_zram_only_is_not_disk_backed(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-zram-only"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->message, "only zram swap is active (compressed RAM, not disk-backed); "
                                        "7.8 GiB RAM, 3.9 GiB swap");
        assert_int_equal(((const struct swap_facts *) f->data)->problem, SWAP_ZRAM_ONLY);
        ctx_free(c);
}

static void test_swap_unit_makes_active_swap_persistent(void **state) {
        /* The path holds a space: proc/swaps writes it as \040, the unit plainly. */
        struct ctx *c = ctx_run(fixture_copy("swap-unit"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "7.8 GiB RAM, 1024.0 MiB swap (1 area, all configured)");
        ctx_free(c);
}

static void test_fstab_malformed_lines_are_skipped(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-fstab-malformed"), NULL);
        assert_int_equal(ctx_result(c)->status, STATUS_PASS);
        ctx_free(c);
}

static void test_fstab_tag_not_probed_off_the_running_system(void **state) {
        char *root = fixture_copy("swap-inactive");
        fixture_write(root, "/etc/fstab", "UUID=0b4c3d8e-1f2a-4b5c-9d6e-7f8091a2b3c4 none swap sw 0 0\n");
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                      "/dev/vdb2                               partition\t2097148\t\t0\t\t-2\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_non_null(f->details);
        assert_non_null(strstr(f->details[0], "not the running system"));
        ctx_free(c);
}

static void test_proc_swaps_unreadable_is_error(void **state) {
        char *root = fixture_copy("swap-ok");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -f '%s/proc/swaps'", root);
        assert_int_equal(system(cmd), 0);
        fixture_mkdir(root, "/proc/swaps");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_string_equal(f->subject, "/proc/swaps");
        assert_string_equal(f->message, "cannot read /proc/swaps: Is a directory");
        assert_null(f->data);
        ctx_free(c);
}

static void test_proc_swaps_missing_is_error(void **state) {
        char *root = fixture_copy("swap-ok");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -f '%s/proc/swaps'", root);
        assert_int_equal(system(cmd), 0);
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_string_equal(f->message, "cannot read /proc/swaps: No such file or directory");
        ctx_free(c);
}

static void test_meminfo_malformed_is_error(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/proc/meminfo", "MemTotal:       lots kB\nMemFree:        7333635 kB\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_string_equal(f->message, "cannot read /proc/meminfo: MemTotal is missing or malformed");
        ctx_free(c);
}

static void test_existing_file_not_swap_is_refused(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/swapfile", "precious data, not a swap area\n");
        char *before = fixture_read(root, "/swapfile");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_non_null(strstr(f->message, "/swapfile exists and is not a swap area"));
        assert_null(f->data);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 0);
        char *after = fixture_read(c->root, "/swapfile");
        assert_string_equal(before, after);
        free(before);
        free(after);
        ctx_free(c);
}

/* ---- the fix ---- */

static void test_fix_plans_swapfile_fstab_line_and_deferred_swapon(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 3);

        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_SWAPFILE);
        assert_string_equal(a->path, "/swapfile");
        assert_int_equal(a->size, swapfile_size_auto(FIXTURE_MEM, free_at(c->root)));
        assert_false(a->deferred);

        a = plan_action(p, 1);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_string_equal(a->path, "/etc/fstab");
        assert_string_equal(a->old, FSTAB);
        char *want;
        assert_true(asprintf(&want, "%s/swapfile none swap sw 0 0\n", FSTAB) > 0);
        assert_string_equal(a->content, want);
        free(want);

        a = plan_action(p, 2);
        assert_int_equal(a->kind, ACTION_SWAPON);
        assert_string_equal(a->path, "/swapfile");
        assert_true(a->deferred);
        assert_non_null(strstr(a->text, "at boot, swapon -a activates /swapfile"));
        assert_int_equal(plan_count_changes(p), 2);
        ctx_free(c);
}

static void test_fix_keeps_every_fstab_byte_and_mangles_the_path(void **state) {
        char *root = fixture_copy("swap-none");
        static const char odd[] = "# keep me\n\n  /dev/vda1\t /  ext4   defaults  0 1\n#last, no newline";
        fixture_write(root, "/etc/fstab", odd);
        struct ctx *c = ctx_run(root, "[swap]\npath = /var/swap dir/swap\tfile\\x\nsize = 64M\n");
        struct plan *p = ctx_plan(c);
        const struct action *a = plan_action(p, 1);
        assert_non_null(a);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_string_equal(a->content, "# keep me\n\n  /dev/vda1\t /  ext4   defaults  0 1\n#last, no newline\n"
                                        "/var/swap\\040dir/swap\\011file\\134x none swap sw 0 0\n");
        assert_int_equal(plan_action(p, 0)->size, 64 * MiB);
        ctx_free(c);
}

static void test_fix_creates_missing_fstab(void **state) {
        char *root = fixture_copy("swap-none");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -f '%s/etc/fstab'", root);
        assert_int_equal(system(cmd), 0);
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_result(c)->status, STATUS_FAIL);
        struct plan *p = ctx_plan(c);
        const struct action *a = plan_action(p, 1);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_null(a->old);
        assert_int_equal(a->mode, 0644);
        assert_string_equal(a->content, "/swapfile none swap sw 0 0\n");
        ctx_free(c);
}

static void test_fstab_append_validates_with_libmount(void **state) {
        char *out = NULL;
        size_t len = 0;
        assert_int_equal(swap_fstab_append(NULL, 0, "/swap\nfile", &out, &len), 0);
        assert_string_equal(out, "/swap\\012file none swap sw 0 0\n");
        assert_int_equal(len, strlen(out));
        free(out);
        assert_int_equal(swap_fstab_append("a b c d 0 0", 11, "/s", &out, &len), 0);
        assert_string_equal(out, "a b c d 0 0\n/s none swap sw 0 0\n");
        free(out);
}

static void test_swapfile_size_follows_the_rule(void **state) {
        static const struct {
                double ram_gib;
                uint64_t want;
        } table[] = {
                { 1,   1 * GiB },
                { 2,   2 * GiB },
                { 3.8, (uint64_t) (3.8 * (double) GiB) / MiB * MiB },
                { 8,   4 * GiB },
                { 16,  4 * GiB },
                { 30,  5 * GiB },     /* sqrt(30) = 5.48 */
                { 64,  8 * GiB },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                uint64_t ram = (uint64_t) (table[i].ram_gib * (double) GiB);
                assert_int_equal(swapfile_size_auto(ram, 1000 * GiB), table[i].want);
        }
        /* A quarter of the free space at most. */
        assert_int_equal(swapfile_size_auto(8 * GiB, 10 * GiB), 2560 * MiB);
        assert_int_equal(swapfile_size_auto(64 * GiB, 20 * GiB), 5 * GiB);
        /* Never more than twice the RAM. */
        assert_int_equal(swapfile_size_auto(512 * MiB, 1000 * GiB), 512 * MiB);
}

static void test_fix_refused_on_tmpfs(void **state) {
        setenv("TMPDIR", "/dev/shm", 1);
        char *root = fixture_copy("swap-none");
        struct ctx *c = ctx_run(root, NULL);
        char *before = fixture_tree_hash(c->root);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_MANUAL);
        assert_non_null(strstr(a->text, "tmpfs"));
        assert_non_null(strstr(a->text, "hostfit fix zram-missing"));
        assert_int_equal(plan_count_changes(p), 0);
        char *after = fixture_tree_hash(c->root);
        assert_string_equal(before, after);
        free(before);
        free(after);
        ctx_free(c);
        unsetenv("TMPDIR");
}

static void test_fix_unpersisted_adds_only_the_fstab_line(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-unpersisted"), NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_non_null(strstr(a->content, "\n/swapfile none swap sw 0 0\n"));
        ctx_free(c);
}

static void test_fix_inactive_off_the_running_system_is_left_to_boot(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-inactive"), NULL);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_fix_reuses_an_existing_swap_area(void **state) {
        char *root = fixture_copy("swap-none");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "truncate -s 1M '%s/swapfile' && mkswap -q '%s/swapfile' >/dev/null",
                 root, root);
        assert_int_equal(system(cmd), 0);
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_FAIL);
        assert_int_equal(((const struct swap_facts *) f->data)->target, SWAP_TARGET_SWAP);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 2);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_WRITE_FILE);
        assert_int_equal(plan_action(p, 1)->kind, ACTION_SWAPON);
        ctx_free(c);
}

static char *render_plan(struct plan *p) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(plan_render_text(p, f, false), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static void test_fix_dry_run_changes_no_byte(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), "[swap]\nsize = 16M\n");
        char *before = fixture_tree_hash(c->root);
        char *text = render_plan(ctx_plan(c));
        assert_non_null(strstr(text, "+/swapfile none swap sw 0 0\n"));
        char *after = fixture_tree_hash(c->root);
        assert_string_equal(before, after);
        free(text);
        free(before);
        free(after);
        ctx_free(c);
}

/* Apply on a copy, then check and plan again from a fresh view: nothing left to do. */
static void test_fix_applied_then_second_plan_is_empty(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), "[swap]\nsize = 16M\n");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        char *fstab = fixture_read(c->root, "/etc/fstab");
        char *want;
        assert_true(asprintf(&want, "%s/swapfile none swap sw 0 0\n", FSTAB) > 0);
        assert_string_equal(fstab, want);
        free(fstab);
        free(want);
        struct stat st;
        char *path;
        assert_true(asprintf(&path, "%s/swapfile", c->root) > 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 16 * MiB);
        assert_int_equal(st.st_mode & 07777, 0600);
        free(path);

        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, "[swap]\nsize = 16M\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);       /* in fstab, not active: this root is not running */
        assert_int_equal(((const struct swap_facts *) f->data)->target, SWAP_TARGET_SWAP);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_active_swap_in_fstab_passes),
                cmocka_unit_test(test_no_swap_fails_naming_ram_and_swap),
                cmocka_unit_test(test_fstab_swap_not_active_warns),
                cmocka_unit_test(test_active_swap_not_persistent_warns),
                cmocka_unit_test(test_zram_only_is_not_disk_backed),
                cmocka_unit_test(test_swap_unit_makes_active_swap_persistent),
                cmocka_unit_test(test_fstab_malformed_lines_are_skipped),
                cmocka_unit_test(test_fstab_tag_not_probed_off_the_running_system),
                cmocka_unit_test(test_proc_swaps_unreadable_is_error),
                cmocka_unit_test(test_proc_swaps_missing_is_error),
                cmocka_unit_test(test_meminfo_malformed_is_error),
                cmocka_unit_test(test_existing_file_not_swap_is_refused),
                cmocka_unit_test(test_fix_plans_swapfile_fstab_line_and_deferred_swapon),
                cmocka_unit_test(test_fix_keeps_every_fstab_byte_and_mangles_the_path),
                cmocka_unit_test(test_fix_creates_missing_fstab),
                cmocka_unit_test(test_fstab_append_validates_with_libmount),
                cmocka_unit_test(test_swapfile_size_follows_the_rule),
                cmocka_unit_test(test_fix_refused_on_tmpfs),
                cmocka_unit_test(test_fix_unpersisted_adds_only_the_fstab_line),
                cmocka_unit_test(test_fix_inactive_off_the_running_system_is_left_to_boot),
                cmocka_unit_test(test_fix_reuses_an_existing_swap_area),
                cmocka_unit_test(test_fix_dry_run_changes_no_byte),
                cmocka_unit_test(test_fix_applied_then_second_plan_is_empty),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
