/* SPDX-License-Identifier: MIT */
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
#include "text/cleanup.h"
#include "host/config.h"
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
        assert_string_equal(f->subject, "swap");
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
        assert_string_equal(f->subject, "/dev/vdb2");
        assert_string_equal(f->message, "configured in /etc/fstab but not active");
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
        assert_non_null(strstr(f->details[0], "could not be looked up under this root"));
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
        assert_string_equal(f->subject, "/swapfile");
        assert_non_null(strstr(f->message, "exists and is not a swap area"));
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


/* ---- devices: LVM, dm-crypt, partitions, tags ---- */

#define SWAPS_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
#define SWAP_UUID "5f0c8e1a-3b2d-4c6e-9a7f-0e1d2c3b4a59"

/* One /proc/swaps line as the kernel's swap_show() prints it. */
static void swaps_write(const char *root, const char *path, const char *type, unsigned long long kib) {
        char buf[512];
        int pad = (int) strlen(path) < 40 ? 40 - (int) strlen(path) : 1;
        snprintf(buf, sizeof(buf), SWAPS_HEADER "%s%*s%s\t%llu\t%s0\t\t-2\n", path, pad, "", type, kib,
                 kib < 10000000 ? "\t" : "");
        fixture_write(root, "/proc/swaps", buf);
}

/* A device-mapper device as sysfs and udev show it: sys/block/dm-N -> its
 * devices/virtual/block directory with dm/name, and /dev/mapper/NAME -> ../dm-N. */
static void dm_device(const char *root, const char *kname, const char *dmname, bool mapper_link) {
        char path[256], text[256];
        snprintf(path, sizeof(path), "/sys/devices/virtual/block/%s/dm/name", kname);
        snprintf(text, sizeof(text), "%s\n", dmname);
        fixture_write(root, path, text);
        snprintf(path, sizeof(path), "/sys/block/%s", kname);
        snprintf(text, sizeof(text), "../devices/virtual/block/%s", kname);
        fixture_symlink(root, text, path);
        snprintf(path, sizeof(path), "/sys/class/block/%s", kname);
        snprintf(text, sizeof(text), "../../devices/virtual/block/%s", kname);
        fixture_symlink(root, text, path);
        if (mapper_link) {
                snprintf(path, sizeof(path), "/dev/mapper/%s", dmname);
                snprintf(text, sizeof(text), "../%s", kname);
                fixture_symlink(root, text, path);
        }
}

/* A partition of a virtio disk in sysfs (and its by-uuid link when UUID is given). */
static void partition(const char *root, const char *disk, const char *kname, const char *uuid) {
        char path[256], text[256];
        snprintf(path, sizeof(path), "/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/%s/%s/partition", disk, kname);
        fixture_write(root, path, "3\n");
        snprintf(path, sizeof(path), "/sys/class/block/%s", kname);
        snprintf(text, sizeof(text), "../../devices/pci0000:00/0000:00:05.0/virtio2/block/%s/%s", disk, kname);
        fixture_symlink(root, text, path);
        if (uuid) {
                snprintf(path, sizeof(path), "/dev/disk/by-uuid/%s", uuid);
                snprintf(text, sizeof(text), "../../%s", kname);
                fixture_symlink(root, text, path);
        }
}

static char *lvm_root(const char *fstab_line) {
        char *root = fixture_copy("swap-none");
        char *fstab;
        assert_true(asprintf(&fstab, "%s%s", FSTAB, fstab_line) > 0);
        fixture_write(root, "/etc/fstab", fstab);
        free(fstab);
        swaps_write(root, "/dev/dm-1", "partition", 2097148);
        dm_device(root, "dm-0", "vg-root", true);
        dm_device(root, "dm-1", "vg-swap", true);
        fixture_symlink(root, "../dm-1", "/dev/vg/swap");
        fixture_symlink(root, "../../dm-1", "/dev/disk/by-uuid/" SWAP_UUID);
        return root;
}

static void test_lvm_swap_matched_by_device(void **state) {
        static const char *const lines[] = {
                "/dev/mapper/vg-swap none swap sw 0 0\n",       /* the Debian installer's LVM line */
                "/dev/vg/swap none swap sw 0 0\n",
                "UUID=" SWAP_UUID " none swap sw 0 0\n",
                "/dev/disk/by-uuid/" SWAP_UUID " none swap sw 0 0\n",
                "/dev/dm-1 none swap sw 0 0\n",
        };
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                struct ctx *c = ctx_run(lvm_root(lines[i]), NULL);
                const struct finding *f = ctx_only_finding(c);
                if (f->status != STATUS_PASS)
                        fail_msg("%s: %s: %s", lines[i], f->subject, f->message);
                assert_string_equal(f->message, "7.8 GiB RAM, 2.0 GiB swap (1 area, all configured)");
                assert_null(f->details);
                assert_int_equal(plan_size(ctx_plan(c)), 0);
                ctx_free(c);
        }
}

static void test_dm_name_from_sysfs_without_mapper_link(void **state) {
        /* Old udev made /dev/mapper/NAME a node, not a link: sysfs still names it. */
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/etc/fstab", "/dev/mapper/cryptswap none swap sw 0 0\n");
        swaps_write(root, "/dev/dm-2", "partition", 1048572);
        dm_device(root, "dm-2", "cryptswap", false);
        fixture_write(root, "/dev/mapper/cryptswap", "");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        ctx_free(c);
}

static void test_unlisted_dm_swap_gets_a_mapper_line(void **state) {
        char *root = lvm_root("");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "/dev/dm-1");
        assert_string_equal(f->message, "active but not in /etc/fstab or a .swap unit (as /dev/mapper/vg-swap "
                                        "or otherwise): it is lost at reboot");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_non_null(strstr(plan_action(p, 0)->content, "\n/dev/mapper/vg-swap none swap sw 0 0\n"));
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_unlisted_partition_gets_a_uuid_line(void **state) {
        char *root = fixture_copy("swap-none");
        swaps_write(root, "/dev/vda3", "partition", 998396);
        partition(root, "vda", "vda1", "0a3407de-014b-458b-b5c1-848e92a327a3");
        partition(root, "vda", "vda3", SWAP_UUID);
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "/dev/vda3");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        char *want;
        assert_true(asprintf(&want, "%sUUID=%s none swap sw 0 0\n", FSTAB, SWAP_UUID) > 0);
        assert_string_equal(plan_action(p, 0)->content, want);
        free(want);
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_label_with_a_space_is_found_by_udev_encoding(void **state) {
        /* fstab writes the space as \040; udev names the link with \x20. */
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/etc/fstab", "LABEL=my\\040swap none swap sw 0 0\n");
        swaps_write(root, "/dev/vdb1", "partition", 1048572);
        partition(root, "vdb", "vdb1", NULL);
        fixture_symlink(root, "../../vdb1", "/dev/disk/by-label/my\\x20swap");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        if (f->status != STATUS_PASS)
                fail_msg("%s: %s", f->subject, f->message);
        ctx_free(c);
}

static void test_tag_that_resolves_to_nothing_fails(void **state) {
        static const char *const tags[] = {
                "UUID=" SWAP_UUID, "LABEL=swap", "PARTUUID=6c9a4e35-03", "PARTLABEL=swap",
        };
        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
                char *root = fixture_copy("swap-none");
                char line[256];
                snprintf(line, sizeof(line), "%s none swap sw 0 0\n", tags[i]);
                fixture_write(root, "/etc/fstab", line);
                partition(root, "vda", "vda1", "0a3407de-014b-458b-b5c1-848e92a327a3");
                fixture_mkdir(root, "/dev/disk/by-label");
                fixture_mkdir(root, "/dev/disk/by-partuuid");
                fixture_mkdir(root, "/dev/disk/by-partlabel");
                struct ctx *c = ctx_run(root, NULL);
                const struct finding *f = ctx_only_finding(c);
                assert_int_equal(f->status, STATUS_FAIL);
                assert_string_equal(f->subject, tags[i]);
                assert_string_equal(f->message, "configured swap not found: no device has this tag "
                                                "(/etc/fstab); no swap is active");
                assert_int_equal(((const struct swap_facts *) f->data)->problem, SWAP_NOT_FOUND);
                char *before = fixture_tree_hash(c->root);
                struct plan *p = ctx_plan(c);
                assert_int_equal(plan_size(p), 1);
                assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
                assert_non_null(strstr(plan_action(p, 0)->text, "matches no device"));
                char *after = fixture_tree_hash(c->root);
                assert_string_equal(before, after);
                free(before), free(after);
                ctx_free(c);
        }
}

static void test_missing_tag_beside_active_swap_warns(void **state) {
        char *root = fixture_copy("swap-ok");
        fixture_write(root, "/etc/fstab", "/swapfile none swap sw 0 0\nUUID=" SWAP_UUID " none swap sw 0 0\n");
        partition(root, "vda", "vda1", "0a3407de-014b-458b-b5c1-848e92a327a3");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_non_null(strstr(f->message, "boot waits for it"));
        ctx_free(c);
}

static void test_noauto_line_does_not_come_back(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/etc/fstab", "/dev/vdb2   none   swap   sw,noauto   0   0\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_FAIL);
        assert_string_equal(f->subject, "/dev/vdb2");
        assert_int_equal(((const struct swap_facts *) f->data)->problem, SWAP_NOAUTO);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "remove noauto"));
        ctx_free(c);

        /* Active now (swapon by hand), still noauto: lost at reboot. */
        root = fixture_copy("swap-none");
        fixture_write(root, "/etc/fstab", "/dev/vdb2   none   swap   noauto,sw   0   0\n");
        swaps_write(root, "/dev/vdb2", "partition", 2097148);
        c = ctx_run(root, NULL);
        f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->message, "active, but its line in /etc/fstab has noauto: it is lost at reboot");
        ctx_free(c);
}

static void test_auto_option_is_not_noauto(void **state) {
        /* libmount's pattern "noauto" would match this line ("auto" absent): we must not. */
        char *root = fixture_copy("swap-ok");
        fixture_write(root, "/etc/fstab", "/swapfile none swap defaults,pri=5 0 0\n");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        ctx_free(c);
}

/* ---- containers and images ---- */

static void test_container_skips_and_fix_plans_nothing(void **state) {
        static const struct {
                const char *path, *text, *name;
        } marks[] = {
                { "/run/systemd/container", "systemd-nspawn\n", "systemd-nspawn" },
                { "/.dockerenv", "", "docker" },
                { "/run/.containerenv", "engine=\"podman-4.3.1\"\n", "podman" },
        };
        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
                char *root = fixture_copy("swap-none");
                fixture_write(root, marks[i].path, marks[i].text);
                struct ctx *c = ctx_run(root, NULL);
                const struct finding *f = ctx_only_finding(c);
                assert_int_equal(f->status, STATUS_SKIP);
                char want[128];
                snprintf(want, sizeof(want), "inside a container (%s): swap and zram belong to the host",
                         marks[i].name);
                assert_string_equal(f->message, want);
                assert_int_equal(plan_size(ctx_plan(c)), 0);
                ctx_free(c);
        }
}

static void test_container_by_pid1_environ(void **state) {
        char *root = fixture_copy("swap-none");
        static const char env[] = "container=lxc\0PATH=/usr/sbin:/usr/bin\0";
        fixture_write_len(root, "/proc/1/environ", env, sizeof(env) - 1);
        fixture_write(root, "/proc/1/comm", "init\n");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_SKIP);
        assert_non_null(strstr(ctx_only_finding(c)->message, "(lxc)"));
        ctx_free(c);
}

/* An image: etc/ and usr/, no proc/. */
static char *image_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/etc/fstab", FSTAB);
        fixture_mkdir(root, "/usr/lib/systemd/system");
        return root;
}

static void test_image_without_swap_plans_from_the_configured_size(void **state) {
        struct ctx *c = ctx_run(image_root(), "[swap]\nsize = 16M\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_FAIL);
        assert_string_equal(f->subject, "swap");
        assert_string_equal(f->message, "none configured: no line in /etc/fstab and no .swap unit brings swap up at boot");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 3);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SWAPFILE);
        assert_int_equal(plan_action(p, 0)->size, 16 * MiB);
        assert_int_equal(plan_action(p, 1)->kind, ACTION_WRITE_FILE);
        assert_int_equal(plan_action(p, 2)->kind, ACTION_SWAPON);
        assert_true(plan_action(p, 2)->deferred);
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, "[swap]\nsize = 16M\n");
        f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "1 area configured to come up at boot");
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_image_sizes_from_image_memory(void **state) {
        struct ctx *c = ctx_run(image_root(), "[image]\nmemory = 2G\n");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SWAPFILE);
        assert_int_equal(plan_action(p, 0)->size, swapfile_size_auto(2 * GiB, free_at(c->root)));
        ctx_free(c);
}

static void test_image_without_a_size_is_a_manual_step(void **state) {
        struct ctx *c = ctx_run(image_root(), NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "set [swap] size or [image] memory"));
        ctx_free(c);
}

static void test_image_configured_swapfile_missing_is_made(void **state) {
        char *root = image_root();
        fixture_write(root, "/etc/fstab", "/swapfile none swap sw 0 0\n");
        struct ctx *c = ctx_run(root, "[swap]\nsize = 16M\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_FAIL);
        assert_string_equal(f->message, "configured in /etc/fstab, but the file does not exist");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 2);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SWAPFILE);
        assert_int_equal(plan_action(p, 1)->kind, ACTION_SWAPON);
        assert_true(plan_action(p, 1)->deferred);
        ctx_free(c);
}

static void test_image_tag_is_trusted(void **state) {
        char *root = image_root();
        fixture_write(root, "/etc/fstab", "UUID=" SWAP_UUID " none swap sw 0 0\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "1 area configured to come up at boot");
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
                cmocka_unit_test(test_lvm_swap_matched_by_device),
                cmocka_unit_test(test_dm_name_from_sysfs_without_mapper_link),
                cmocka_unit_test(test_unlisted_dm_swap_gets_a_mapper_line),
                cmocka_unit_test(test_unlisted_partition_gets_a_uuid_line),
                cmocka_unit_test(test_label_with_a_space_is_found_by_udev_encoding),
                cmocka_unit_test(test_tag_that_resolves_to_nothing_fails),
                cmocka_unit_test(test_missing_tag_beside_active_swap_warns),
                cmocka_unit_test(test_noauto_line_does_not_come_back),
                cmocka_unit_test(test_auto_option_is_not_noauto),
                cmocka_unit_test(test_container_skips_and_fix_plans_nothing),
                cmocka_unit_test(test_container_by_pid1_environ),
                cmocka_unit_test(test_image_without_swap_plans_from_the_configured_size),
                cmocka_unit_test(test_image_sizes_from_image_memory),
                cmocka_unit_test(test_image_without_a_size_is_a_manual_step),
                cmocka_unit_test(test_image_configured_swapfile_missing_is_made),
                cmocka_unit_test(test_image_tag_is_trusted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
