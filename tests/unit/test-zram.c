/* SPDX-License-Identifier: MIT */
/* zram-missing and its zram fix, on fixture roots in the kernel's formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
#include "host/zramdev.h"

#define GENERATOR_CONF "/etc/systemd/zram-generator.conf"
#define OWN_UNIT_PATH "/etc/systemd/system/hostfit-zram.service"
#define OWN_UNIT_LINK "/etc/systemd/system/swap.target.wants/hostfit-zram.service"

static struct ctx *ctx_run(char *root, const char *conf) {
        return ctx_run_check(root, "zram-missing", conf);
}

static struct plan *ctx_plan(struct ctx *c) {
        (void) ctx_only_finding(c);
        return ctx_plan_fix(c, &fix_zram);
}

static void remove_path(const char *root, const char *path) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -f '%s%s'", root, path);
        assert_int_equal(system(cmd), 0);
}

/* ---- the check ---- */

static void test_zram_swap_active_passes(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-zram-only"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->subject, "/dev/zram0");
        assert_string_equal(f->message, "active: 3.9 GiB of compressed swap, priority 100");
        ctx_free(c);
}

static void test_disk_swap_alone_warns(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-ok"), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "zram");
        assert_string_equal(f->message, "no zram swap; 7.8 GiB RAM would gain up to 3.9 GiB of compressed swap");
        assert_string_equal(f->fix, "hostfit fix zram-missing");
        assert_int_equal(((const struct zram_facts *) f->data)->mem_total, UINT64_C(8148484) * 1024);
        ctx_free(c);
}

static void test_zram_name_must_be_whole(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                      "/dev/zram0x                             file\t\t1048572\t\t0\t\t-2\n");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_WARN);
        ctx_free(c);
}

static void test_proc_swaps_directory_is_error(void **state) {
        char *root = fixture_copy("swap-zram-only");
        remove_path(root, "/proc/swaps");
        fixture_mkdir(root, "/proc/swaps");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_string_equal(f->message, "cannot read /proc/swaps: Is a directory");
        ctx_free(c);
}

static void test_meminfo_without_memtotal_is_error(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/proc/meminfo", "MemFree:        7333635 kB\nSwapTotal:             0 kB\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_ERROR);
        assert_string_equal(f->message, "cannot read /proc/meminfo: MemTotal is missing or malformed");
        ctx_free(c);
}

/* ---- the fix ---- */

static void test_fix_writes_own_unit_without_zram_generator(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 4);
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_string_equal(a->path, OWN_UNIT_PATH);
        assert_null(a->old);
        assert_int_equal(a->mode, 0644);
        assert_non_null(strstr(a->content, "\nType=oneshot\nRemainAfterExit=yes\n"));
        assert_non_null(strstr(a->content, "\nExecStart=/sbin/zramctl --size 3978M --algorithm zstd /dev/zram0\n"));
        assert_non_null(strstr(a->content, "\nExecStart=/sbin/swapon --priority 100 /dev/zram0\n"));
        assert_non_null(strstr(a->content, "\nExecStop=/sbin/zramctl --reset /dev/zram0\n"));
        assert_non_null(strstr(a->content, "\nWantedBy=swap.target\n"));
        a = plan_action(p, 1);
        assert_int_equal(a->kind, ACTION_SYSTEMD);
        assert_int_equal(a->op, SYSTEMD_DAEMON_RELOAD);
        assert_true(a->deferred);
        /* Not the running system: enabling is the link systemctl enable makes, from WantedBy=. */
        a = plan_action(p, 2);
        assert_int_equal(a->kind, ACTION_SYMLINK);
        assert_string_equal(a->path, OWN_UNIT_LINK);
        assert_string_equal(a->target, OWN_UNIT_PATH);
        assert_false(a->deferred);
        a = plan_action(p, 3);
        assert_int_equal(a->kind, ACTION_SYSTEMD);
        assert_int_equal(a->op, SYSTEMD_START);
        assert_true(a->deferred);
        assert_string_equal(a->unit, "hostfit-zram.service");
        assert_int_equal(plan_count_changes(p), 2);
        ctx_free(c);
}

static void test_fix_configures_zram_generator_when_installed(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/usr/lib/systemd/system-generators/zram-generator", "\x7f" "ELF");
        struct ctx *c = ctx_run(root, NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 3);
        const struct action *a = plan_action(p, 0);
        assert_string_equal(a->path, GENERATOR_CONF);
        assert_non_null(strstr(a->content, "\n[zram0]\nzram-size = 3978\ncompression-algorithm = zstd\n"
                                           "swap-priority = 100\n"));
        assert_int_equal(plan_action(p, 1)->op, SYSTEMD_DAEMON_RELOAD);
        assert_int_equal(plan_action(p, 2)->op, SYSTEMD_START);
        assert_string_equal(plan_action(p, 2)->unit, "dev-zram0.swap");
        assert_non_null(strstr(plan_action(p, 2)->text, "at boot, zram-generator sets up the device"));
        ctx_free(c);
}

#define GENERATOR "/usr/lib/systemd/system-generators/zram-generator"
#define DROPIN "/etc/systemd/zram-generator.conf.d/hostfit.conf"

/* Debian's conffile with its device commented out, as the VM bed has it. */
static const char DEBIAN_CONF[] =
        "# This config file enables a /dev/zram0 device with the default settings:\n"
        "# - size - same as available RAM or 8GB, whichever is less\n"
        "# - compression - most likely lzo-rle\n"
        "#\n"
        "# To disable, uninstall zram-generator-defaults or create empty\n"
        "# /etc/systemd/zram-generator.conf file.\n"
        "# [zram0] (off on this host: no zram until configured)\n"
        "zram-size = min(ram, 8192)\n";

static void test_admin_swap_device_is_kept_and_started(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, GENERATOR, "\x7f" "ELF");
        fixture_write(root, GENERATOR_CONF, "[zram0]\nzram-size = ram / 4\n");
        struct ctx *c = ctx_run(root, "[zram]\nsize = 1G\npriority = 5\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, GENERATOR_CONF);
        assert_string_equal(f->message, "sets up [zram0] as swap, but no zram swap is active");
        assert_int_equal(((const struct zram_facts *) f->data)->device, 0);
        /* Not the running system: boot runs the generator on the admin's file; nothing to write. */
        char *before = fixture_tree_hash(c->root);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        char *after = fixture_tree_hash(c->root);
        assert_string_equal(before, after);
        free(before), free(after);
        ctx_free(c);
}

static void test_admin_mount_device_gets_a_dropin_beside_it(void **state) {
        /* The admin's [zram1] is a compressed /var/compressed: it stays, ours is zram0, in a drop-in. */
        static const char admin[] = "# compressed scratch space\n[zram1]\nmount-point = /var/compressed\nfs-type = ext4\n";
        char *root = fixture_copy("swap-none");
        fixture_write(root, GENERATOR, "\x7f" "ELF");
        fixture_write(root, GENERATOR_CONF, admin);
        struct ctx *c = ctx_run(root, NULL);
        assert_string_equal(ctx_only_finding(c)->message,
                            "no zram swap; 7.8 GiB RAM would gain up to 3.9 GiB of compressed swap");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 3);
        const struct action *a = plan_action(p, 0);
        assert_string_equal(a->path, DROPIN);
        assert_null(a->old);
        assert_non_null(strstr(a->content, "\n[zram0]\nzram-size = 3978\n"));
        assert_string_equal(plan_action(p, 2)->unit, "dev-zram0.swap");
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        char *kept = fixture_read(c->root, GENERATOR_CONF);
        assert_string_equal(kept, admin);
        free(kept);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, NULL);
        assert_string_equal(ctx_only_finding(c)->subject, DROPIN);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_admin_zram0_mount_moves_ours_to_the_next_free_device(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, GENERATOR, "\x7f" "ELF");
        fixture_write(root, GENERATOR_CONF, "[zram0]\nmount-point = /tmp\n\n[zram2]\nmount-point=/var/tmp\n");
        struct ctx *c = ctx_run(root, NULL);
        struct plan *p = ctx_plan(c);
        assert_non_null(strstr(plan_action(p, 0)->content, "\n[zram1]\n"));
        assert_string_equal(plan_action(p, 2)->unit, "dev-zram1.swap");
        ctx_free(c);
}

static void test_debian_conffile_is_not_replaced(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/lib/systemd/system-generators/zram-generator", "\x7f" "ELF");
        fixture_write(root, GENERATOR_CONF, DEBIAN_CONF);
        struct ctx *c = ctx_run(root, NULL);
        struct plan *p = ctx_plan(c);
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->path)
                        assert_string_not_equal(plan_action(p, i)->path, GENERATOR_CONF);
        assert_string_equal(plan_action(p, 0)->path, DROPIN);
        ctx_free(c);
}

static void test_generator_config_precedence(void **state) {
        static const struct {
                const char *files[6][2];
                int swap_device;
                unsigned long long named;
        } table[] = {
                /* The first main file found wins: /etc shadows /usr/lib's whole file. */
                { { { "/usr/lib/systemd/zram-generator.conf", "[zram0]\n" },
                    { "/etc/systemd/zram-generator.conf", "[zram3]\nmount-point = /srv\n" } }, -1, 1ull << 3 },
                /* A drop-in of one name in /etc shadows the vendor's. */
                { { { "/usr/lib/systemd/zram-generator.conf.d/10-vendor.conf", "[zram0]\n" },
                    { "/etc/systemd/zram-generator.conf.d/10-vendor.conf", "[zram5]\n" } }, 5, 1ull << 5 },
                /* Drop-ins apply in name order across directories: a later one makes zram0 a mount. */
                { { { "/usr/lib/systemd/zram-generator.conf.d/10-a.conf", "[zram0]\nzram-size = 512\n" },
                    { "/etc/systemd/zram-generator.conf.d/20-b.conf", "[zram0]\nmount-point = /mnt\n" } }, -1, 1ull },
                /* Not a device section; comments; an empty mount-point is none. */
                { { { "/etc/systemd/zram-generator.conf",
                      "[zram 1]\n[zramx]\n# [zram2]\n[zram4]\nmount-point =\n" } }, 4, 1ull << 4 },
                /* Hostile headers: overflow, sign, past 63, trailing bytes, a NUL. */
                { { { "/etc/systemd/zram-generator.conf",
                      "[zram18446744073709551617]\n[zram-1]\n[zram+2]\n[zram64]\n[zram3]x\n[zram03]\n"
                      "[zram7\x01]\n\x7f\xff[zram5]\n[zram6]   \n" } }, 6, 1ull << 6 },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                char *root = fixture_new();
                for (size_t j = 0; j < 6 && table[i].files[j][0]; j++)
                        fixture_write(root, table[i].files[j][0], table[i].files[j][1]);
                struct host *h;
                struct zram_generator g;
                assert_int_equal(host_open(root, &h), 0);
                assert_int_equal(zram_generator_read(h, &g), 0);
                if (g.swap_device != table[i].swap_device || g.named != table[i].named)
                        fail_msg("case %zu: swap device %d, named %#llx", i, g.swap_device,
                                 (unsigned long long) g.named);
                assert_true(g.has_files);
                host_free(h);
                fixture_remove(root);
        }
}

/* ---- kernel support, containers, images ---- */

#define RELEASE "6.1.0-13-amd64"
#define MODDIR "/lib/modules/" RELEASE

/* A running root whose kernel is RELEASE, with sysfs but no zram module loaded. */
static char *kernel_root(void) {
        char *root = fixture_copy("swap-ok");
        fixture_write(root, "/proc/sys/kernel/osrelease", RELEASE "\n");
        fixture_mkdir(root, "/sys/module/ext4");
        fixture_write(root, MODDIR "/modules.dep",
                      "kernel/arch/x86/crypto/aesni-intel.ko.xz: kernel/crypto/crypto_simd.ko.xz\n"
                      "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz\n");
        fixture_write(root, MODDIR "/modules.builtin", "kernel/fs/binfmt_script.ko\nkernel/drivers/block/loop.ko\n");
        return root;
}

static void test_kernel_without_zram_skips(void **state) {
        struct ctx *c = ctx_run(kernel_root(), NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_SKIP);
        assert_string_equal(f->message, "this kernel has no zram");
        ctx_free(c);

        /* Another kernel's module does not count. */
        char *root = kernel_root();
        fixture_write(root, "/lib/modules/6.1.0-9-amd64/kernel/drivers/block/zram/zram.ko", "\x7f" "ELF");
        c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_SKIP);
        ctx_free(c);
}

static void test_kernel_with_zram_module_is_checked(void **state) {
        static const struct {
                const char *path, *text;
        } ways[] = {
                { MODDIR "/kernel/drivers/block/zram/zram.ko", "\x7f" "ELF" },
                { MODDIR "/kernel/drivers/block/zram/zram.ko.xz", "\xfd" "7zXZ" },
                { MODDIR "/kernel/drivers/block/zram/zram.ko.zst", "\x28\xb5\x2f\xfd" },
                { MODDIR "/modules.dep", "kernel/drivers/block/zram/zram.ko.zst: kernel/lib/lz4/lz4_compress.ko.zst\n" },
                { MODDIR "/modules.builtin", "kernel/fs/binfmt_script.ko\nkernel/drivers/block/zram/zram.ko\n" },
                { "/sys/module/zram/parameters/num_devices", "1\n" },
        };
        for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
                char *root = kernel_root();
                fixture_write(root, ways[i].path, ways[i].text);
                struct ctx *c = ctx_run(root, NULL);
                if (ctx_only_finding(c)->status != STATUS_WARN)
                        fail_msg("%s: %s", ways[i].path, ctx_only_finding(c)->message);
                ctx_free(c);
        }
}

static void test_fix_refuses_a_kernel_without_zram(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-ok"), NULL);
        /* The finding was made; the kernel is then seen to have no zram: plan no device. */
        fixture_write(c->root, "/proc/sys/kernel/osrelease", RELEASE "\n");
        fixture_mkdir(c->root, "/sys/module/ext4");
        fixture_mkdir(c->root, MODDIR);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "no zram module"));
        ctx_free(c);
}

static void test_container_skips(void **state) {
        char *root = fixture_copy("swap-ok");
        fixture_write(root, "/run/systemd/container", "docker\n");
        struct ctx *c = ctx_run(root, NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_SKIP);
        assert_string_equal(f->message, "inside a container (docker): swap and zram belong to the host");
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static char *image_root(void) {
        char *root = fixture_new();
        fixture_write(root, "/etc/fstab", "UUID=0a3407de-014b-458b-b5c1-848e92a327a3 / ext4 errors=remount-ro 0 1\n");
        fixture_write(root, MODDIR "/kernel/drivers/block/zram/zram.ko.xz", "\xfd" "7zXZ");
        fixture_mkdir(root, "/etc/systemd/system");
        return root;
}

static void test_image_plans_zram_from_the_configured_size(void **state) {
        struct ctx *c = ctx_run(image_root(), "[zram]\nsize = 512M\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->message, "none configured to come up at boot");
        struct plan *p = ctx_plan(c);
        assert_non_null(strstr(plan_action(p, 0)->content, "--size 512M"));
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, "[zram]\nsize = 512M\n");
        f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "set up at boot by hostfit-zram.service");
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_image_sizes_zram_from_image_memory(void **state) {
        struct ctx *c = ctx_run(image_root(), "[image]\nmemory = 2G\n");
        assert_string_equal(ctx_only_finding(c)->message,
                            "none configured to come up at boot; 2 GiB RAM would gain up to 1 GiB of compressed swap");
        struct plan *p = ctx_plan(c);
        assert_non_null(strstr(plan_action(p, 0)->content, "--size 1024M"));
        ctx_free(c);
}

static void test_image_without_a_size_is_a_manual_step(void **state) {
        struct ctx *c = ctx_run(image_root(), NULL);
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "set [zram] size or [image] memory"));
        ctx_free(c);
}

static void test_image_kernels_without_zram_skip(void **state) {
        char *root = fixture_new();
        fixture_write(root, MODDIR "/modules.dep", "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz\n");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_SKIP);
        assert_string_equal(ctx_only_finding(c)->message, "the kernels in this image have no zram");
        ctx_free(c);
}

static void test_image_with_generator_config_passes(void **state) {
        char *root = image_root();
        fixture_write(root, GENERATOR, "\x7f" "ELF");
        fixture_write(root, GENERATOR_CONF, "[zram0]\n");
        struct ctx *c = ctx_run(root, NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_string_equal(ctx_only_finding(c)->message, "set up at boot by " GENERATOR_CONF);
        ctx_free(c);
}

static void test_fix_picks_the_algorithm_the_kernel_offers(void **state) {
        static const struct {
                const char *list;
                const char *want;
        } table[] = {
                { "lzo lzo-rle lz4 lz4hc 842 [zstd]\n", "zstd" },
                { "lzo [lzo-rle] lz4 lz4hc 842\n", "lzo-rle" },
                { "[lzo] lz4\n", "lzo" },
                { NULL, "zstd" },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                char *root = fixture_copy("swap-none");
                if (table[i].list)
                        fixture_write(root, "/sys/block/zram0/comp_algorithm", table[i].list);
                struct host *h;
                assert_int_equal(host_open(root, &h), 0);
                assert_string_equal(zram_pick_algorithm(h), table[i].want);
                host_free(h);
                fixture_remove(root);
        }
}

static void test_fix_rejects_a_priority_out_of_range(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), "[zram]\npriority = 40000\n");
        struct plan *p = ctx_plan(c);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_int_equal(plan_count_changes(p), 0);
        ctx_free(c);
}

static void test_fix_second_plan_is_empty_once_written(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/usr/lib/systemd/system-generators/zram-generator", "\x7f" "ELF");
        struct ctx *c = ctx_run(root, NULL);
        const struct action *a = plan_action(ctx_plan(c), 0);
        fixture_write_len(c->root, a->path, a->content, a->content_len);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        ctx_free(c);
}

static void test_size_rule_is_half_the_ram_up_to_4_gib(void **state) {
        assert_int_equal(zram_size_auto(UINT64_C(2) << 30), UINT64_C(1) << 30);
        assert_int_equal(zram_size_auto(UINT64_C(64) << 30), UINT64_C(4) << 30);
        assert_int_equal(zram_size_auto(UINT64_C(8148484) * 1024), UINT64_C(3978) << 20);
}

static void test_fix_dry_run_changes_no_byte(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), NULL);
        char *before = fixture_tree_hash(c->root);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(plan_render_text(ctx_plan(c), f, false), 0);
        fclose(f);
        assert_non_null(strstr(buf, "+ExecStart=/sbin/mkswap /dev/zram0\n"));
        char *after = fixture_tree_hash(c->root);
        assert_string_equal(before, after);
        free(buf);
        free(before);
        free(after);
        ctx_free(c);
}

static bool have_systemctl(void) {
        return access("/usr/bin/systemctl", X_OK) == 0 || access("/bin/systemctl", X_OK) == 0;
}

/* Off the running system, the unit is enabled by its link: a second plan has nothing left. */
static void test_fix_own_unit_applied_then_second_plan_is_empty(void **state) {
        struct ctx *c = ctx_run(fixture_copy("swap-none"), NULL);
        assert_int_equal(plan_apply(ctx_plan(c), c->h, NULL, NULL), 0);
        char *unit = fixture_read(c->root, OWN_UNIT_PATH);
        assert_non_null(unit);
        assert_non_null(strstr(unit, "ExecStart=/sbin/swapon --priority 100 /dev/zram0\n"));
        free(unit);
        char *abs = NULL;
        assert_true(asprintf(&abs, "%s%s", c->root, OWN_UNIT_LINK) > 0);
        char target[256];
        ssize_t n = readlink(abs, target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, OWN_UNIT_PATH);
        free(abs);
        assert_int_equal(plan_size(ctx_plan(c)), 0);
        if (have_systemctl()) {
                char *cmd;
                assert_true(asprintf(&cmd, "systemctl --root='%s' is-enabled hostfit-zram.service >'%s/is-enabled' 2>&1",
                                     c->root, c->root) > 0);
                int st = system(cmd);
                char *out = fixture_read(c->root, "/is-enabled");
                if (st != 0 || !out || strcmp(out, "enabled\n") != 0)
                        fail_msg("systemctl is-enabled: %s", out ? out : "");
                free(out), free(cmd);
        }
        ctx_free(c);
}

/* A link systemctl made (relative or not) already enables it: nothing to add. */
static void test_fix_own_unit_counts_an_existing_link_as_enabled(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_symlink(root, "../hostfit-zram.service", OWN_UNIT_LINK);
        struct ctx *c = ctx_run(root, NULL);
        struct plan *p = ctx_plan(c);
        for (size_t i = 0; i < plan_size(p); i++)
                assert_int_not_equal(plan_action(p, i)->kind, ACTION_SYMLINK);
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_zram_swap_active_passes),
                cmocka_unit_test(test_disk_swap_alone_warns),
                cmocka_unit_test(test_zram_name_must_be_whole),
                cmocka_unit_test(test_proc_swaps_directory_is_error),
                cmocka_unit_test(test_meminfo_without_memtotal_is_error),
                cmocka_unit_test(test_fix_writes_own_unit_without_zram_generator),
                cmocka_unit_test(test_fix_configures_zram_generator_when_installed),
                cmocka_unit_test(test_admin_swap_device_is_kept_and_started),
                cmocka_unit_test(test_admin_mount_device_gets_a_dropin_beside_it),
                cmocka_unit_test(test_admin_zram0_mount_moves_ours_to_the_next_free_device),
                cmocka_unit_test(test_debian_conffile_is_not_replaced),
                cmocka_unit_test(test_generator_config_precedence),
                cmocka_unit_test(test_kernel_without_zram_skips),
                cmocka_unit_test(test_kernel_with_zram_module_is_checked),
                cmocka_unit_test(test_fix_refuses_a_kernel_without_zram),
                cmocka_unit_test(test_container_skips),
                cmocka_unit_test(test_image_plans_zram_from_the_configured_size),
                cmocka_unit_test(test_image_sizes_zram_from_image_memory),
                cmocka_unit_test(test_image_without_a_size_is_a_manual_step),
                cmocka_unit_test(test_image_kernels_without_zram_skip),
                cmocka_unit_test(test_image_with_generator_config_passes),
                cmocka_unit_test(test_fix_picks_the_algorithm_the_kernel_offers),
                cmocka_unit_test(test_fix_rejects_a_priority_out_of_range),
                cmocka_unit_test(test_fix_second_plan_is_empty_once_written),
                cmocka_unit_test(test_size_rule_is_half_the_ram_up_to_4_gib),
                cmocka_unit_test(test_fix_dry_run_changes_no_byte),
                cmocka_unit_test(test_fix_own_unit_applied_then_second_plan_is_empty),
                cmocka_unit_test(test_fix_own_unit_counts_an_existing_link_as_enabled),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
