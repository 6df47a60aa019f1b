/* SPDX-License-Identifier: MIT */
/* swap-missing and zram-missing where swap is not fstab's: dphys-swapfile,
 * zram-tools and zram-generator from their real Debian packages (unpacked by
 * tests/unit/pkgroots.sh into $HOSTFIT_PKGROOTS), rpi-swap in its own formats,
 * zswap, Ubuntu's /swap.img and cloud-init's swap file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixture.h"
#include "fixture-ctx.h"
#include "fixes.h"
#include "plan/report.h"
#include "swap.h"
#include "swapmgr.h"

#define MiB (UINT64_C(1) << 20)
#define SWAPS_HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
/* A Raspberry Pi 4 with 4 GB and one with 1 GB, as their /proc/meminfo says. */
#define MEMINFO_PI4 "MemTotal:        3882124 kB\nMemFree:         3318000 kB\nMemAvailable:    3520012 kB\n"
#define MEMINFO_PI3 "MemTotal:         944120 kB\nMemFree:          612000 kB\nMemAvailable:     700100 kB\n"
#define DPHYS_LINK "/etc/systemd/system/multi-user.target.wants/dphys-swapfile.service"
#define ZRAMSWAP_LINK "/etc/systemd/system/multi-user.target.wants/zramswap.service"

/* ROOT with the files of Debian's PKG laid over it, as dpkg unpacks them; skips the test without them. */
static void overlay_package(const char *root, const char *pkg) {
        const char *dir = getenv("HOSTFIT_PKGROOTS");
        char *src, *cmd;
        assert_true(asprintf(&src, "%s/%s/.unpacked", dir ? dir : "build/pkgroots", pkg) > 0);
        if (access(src, F_OK) != 0) {
                free(src);
                print_message("no unpacked %s (tests/unit/pkgroots.sh could not download it)\n", pkg);
                skip();
        }
        src[strlen(src) - strlen("/.unpacked")] = '\0';
        assert_true(asprintf(&cmd, "cp -a '%s'/etc '%s'/lib '%s'/ 2>/dev/null; cp -a '%s'/sbin '%s'/usr '%s'/ 2>/dev/null; true",
                             src, src, root, src, src, root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(src);
}

static void swaps_line(const char *root, const char *path, const char *type, unsigned long long kib, int prio) {
        char buf[512];
        int pad = (int) strlen(path) < 40 ? 40 - (int) strlen(path) : 1;
        snprintf(buf, sizeof(buf), SWAPS_HEADER "%s%*s%s\t%llu\t%s0\t\t%d\n", path, pad, "", type, kib,
                 kib < 10000000 ? "\t" : "", prio);
        fixture_write(root, "/proc/swaps", buf);
}

/* A host as dphys-swapfile's postinst leaves it: package files, the unit enabled. */
static char *dphys_root(const char *meminfo) {
        char *root = fixture_copy("swap-none");
        overlay_package(root, "dphys-swapfile");
        fixture_write(root, "/proc/meminfo", meminfo);
        fixture_symlink(root, "/lib/systemd/system/dphys-swapfile.service", DPHYS_LINK);
        return root;
}

static uint64_t free_at(const char *root) {
        struct statfs sf;
        assert_int_equal(statfs(root, &sf), 0);
        return (uint64_t) sf.f_bavail * (uint64_t) sf.f_bsize;
}

static void rerun(struct ctx *c) {
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, NULL);
}

/* The value sh gives VAR after sourcing ROOT/PATH, as dphys-swapfile's script does. */
static long long sourced(const char *root, const char *path, const char *var) {
        char *cmd, buf[64] = "";
        assert_true(asprintf(&cmd, "sh -c '. \"%s%s\"; echo \"${%s:--1}\"'", root, path, var) > 0);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        assert_non_null(fgets(buf, sizeof(buf), f));
        assert_int_equal(pclose(f), 0);
        free(cmd);
        return strtoll(buf, NULL, 10);
}

/* ---- dphys-swapfile ---- */

static void test_dphys_swap_passes_as_configured_by_dphys(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        swaps_line(root, "/var/swap", "file", 1908732, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "922.0 MiB RAM, 1.8 GiB swap (1 area, all configured)");
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

static void test_dphys_by_its_init_script_passes(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        char *link;
        assert_true(asprintf(&link, "%s" DPHYS_LINK, root) > 0);
        assert_int_equal(unlink(link), 0);
        free(link);
        fixture_symlink(root, "../init.d/dphys-swapfile", "/etc/rc2.d/S01dphys-swapfile");
        swaps_line(root, "/var/swap", "file", 1908732, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        ctx_free(c);
}

static void test_dphys_disabled_owns_nothing(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        char *link;
        assert_true(asprintf(&link, "%s" DPHYS_LINK, root) > 0);
        assert_int_equal(unlink(link), 0);
        free(link);
        swaps_line(root, "/var/swap", "file", 1908732, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_non_null(strstr(f->message, "lost at reboot"));
        ctx_free(c);
}

static void test_dphys_small_size_is_raised_in_its_config(void **state) {
        char *root = dphys_root(MEMINFO_PI4);
        swaps_line(root, "/var/swap", "file", 2097148, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        uint64_t want = swapfile_size_auto(UINT64_C(3882124) * 1024, free_at(root)) / MiB;
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, DPHYS_CONF);
        assert_non_null(strstr(f->message, "dphys-swapfile makes 2 GiB of swap (capped by CONF_MAXSWAP), below the "));
        assert_int_equal(((const struct swap_facts *) f->data)->size_mib, want);

        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);      /* not the running system: boot resizes from the config */
        const struct action *a = plan_action(p, 0);
        assert_int_equal(a->kind, ACTION_WRITE_FILE);
        assert_string_equal(a->path, DPHYS_CONF);
        char line[64];
        snprintf(line, sizeof(line), "#CONF_SWAPSIZE=\nCONF_SWAPSIZE=%llu\n", (unsigned long long) want);
        assert_non_null(strstr(a->content, line));
        snprintf(line, sizeof(line), "#CONF_MAXSWAP=2048\nCONF_MAXSWAP=%llu\n", (unsigned long long) want);
        assert_non_null(strstr(a->content, line));
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        assert_int_equal(sourced(c->root, DPHYS_CONF, "CONF_SWAPSIZE"), (long long) want);
        assert_int_equal(sourced(c->root, DPHYS_CONF, "CONF_MAXSWAP"), (long long) want);
        char *fstab = fixture_read(c->root, "/etc/fstab");
        assert_null(strstr(fstab, "swap"));     /* never a second owner in fstab */
        free(fstab);

        rerun(c);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

static void test_dphys_explicit_size_capped_by_maxswap_is_raised(void **state) {
        char *root = dphys_root(MEMINFO_PI4);
        fixture_write(root, DPHYS_CONF, "# ours\nCONF_SWAPSIZE=3000 # MiB\nCONF_MAXSWAP=\"1024\"\n");
        swaps_line(root, "/var/swap", "file", 1048572, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        uint64_t want = ((const struct swap_facts *) f->data)->size_mib;
        assert_non_null(strstr(f->message, "makes 1 GiB of swap (capped by CONF_MAXSWAP)"));
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        char *expect;
        assert_true(asprintf(&expect, "# ours\nCONF_SWAPSIZE=%llu\nCONF_MAXSWAP=%llu\n", (unsigned long long) want,
                             (unsigned long long) want) > 0);
        assert_string_equal(plan_action(p, 0)->content, expect);
        free(expect);
        ctx_free(c);
}

static void test_dphys_size_follows_the_configured_swap_size(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        swaps_line(root, "/var/swap", "file", 1908732, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", "[swap]\nsize = 3G\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_int_equal(((const struct swap_facts *) f->data)->size_mib, 3072);
        ctx_free(c);
}

static void test_dphys_config_with_shell_is_a_manual_step(void **state) {
        char *root = dphys_root(MEMINFO_PI4);
        fixture_write(root, DPHYS_CONF, "CONF_SWAPSIZE=$((1024 * 2))\n");
        swaps_line(root, "/var/swap", "file", 2097148, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_WARN);
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "set CONF_SWAPSIZE="));
        ctx_free(c);
}

static void test_dphys_enabled_not_active_starts_its_service(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "/var/swap");
        assert_string_equal(f->message, "configured by dphys-swapfile (/etc/dphys-swapfile) but not active");
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SYSTEMD);
        assert_int_equal(plan_action(p, 0)->op, SYSTEMD_START);
        assert_string_equal(plan_action(p, 0)->unit, "dphys-swapfile.service");
        ctx_free(c);
}

static void test_dphys_in_an_image_comes_up_at_boot(void **state) {
        char *root = dphys_root(MEMINFO_PI3);
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s/proc'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct ctx *c = ctx_run_check(root, "swap-missing", "[image]\nmemory = 1G\n");
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "1 area configured to come up at boot");
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

static void test_dphys_config_raise_keeps_every_other_byte(void **state) {
        struct dphys d = { .maxswap = -1 };
        char *out;
        size_t n;
        static const char old[] = "CONF_SWAPFILE=/var/swap\n\tCONF_SWAPSIZE=100\n# x\nCONF_SWAPSIZE=200";
        assert_int_equal(dphys_config_raise(&d, old, sizeof(old) - 1, 4096, &out, &n), 0);
        assert_string_equal(out, "CONF_SWAPFILE=/var/swap\n\tCONF_SWAPSIZE=100\n# x\nCONF_SWAPSIZE=4096\n");
        free(out);
        assert_int_equal(dphys_config_raise(&d, NULL, 0, 512, &out, &n), 0);
        assert_string_equal(out, "CONF_SWAPSIZE=512\n");
        free(out);
}

/* ---- zram-tools, zram-generator's defaults ---- */

static char *zram_root(const char *pkg) {
        char *root = fixture_copy("swap-ok");
        overlay_package(root, pkg);
        fixture_mkdir(root, "/sys/module/zram");
        return root;
}

static void test_zram_tools_running_passes_and_plans_nothing(void **state) {
        char *root = zram_root("zram-tools");
        fixture_symlink(root, "/lib/systemd/system/zramswap.service", ZRAMSWAP_LINK);
        fixture_write(root, "/proc/swaps", SWAPS_HEADER
                      "/dev/sda2                               partition\t2097148\t\t0\t\t-2\n"
                      "/dev/zram0                              partition\t4074240\t\t0\t\t100\n");
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_zram)), 0);
        ctx_free(c);
}

static void test_zram_tools_enabled_not_running_starts_zramswap(void **state) {
        char *root = zram_root("zram-tools");
        fixture_symlink(root, "/lib/systemd/system/zramswap.service", ZRAMSWAP_LINK);
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "/etc/default/zramswap");
        assert_string_equal(f->message, "zram-tools sets up zram swap (enabled), but no zram swap is active");
        struct plan *p = ctx_plan_fix(c, &fix_zram);
        assert_int_equal(plan_size(p), 1);      /* never a second device beside it */
        assert_int_equal(plan_action(p, 0)->kind, ACTION_SYSTEMD);
        assert_string_equal(plan_action(p, 0)->unit, "zramswap.service");
        ctx_free(c);
}

static void test_zram_tools_in_an_image_is_configured(void **state) {
        char *root = zram_root("zram-tools");
        fixture_symlink(root, "/lib/systemd/system/zramswap.service", ZRAMSWAP_LINK);
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s/proc'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "set up at boot by zram-tools (/etc/default/zramswap)");
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_zram)), 0);
        ctx_free(c);
}

static void test_zram_generator_debian_defaults_start_its_device(void **state) {
        char *root = zram_root("systemd-zram-generator");
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->subject, "/etc/systemd/zram-generator.conf");
        /* Not the running system: boot runs the generator on its config; no config of ours beside it. */
        assert_int_equal(((const struct zram_facts *) f->data)->device, 0);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_zram)), 0);
        ctx_free(c);
}

static void test_zram_generator_vendor_defaults_in_usr_lib(void **state) {
        /* Fedora ships the defaults as /usr/lib/systemd/zram-generator.conf: Debian's file moved there. */
        char *root = zram_root("systemd-zram-generator");
        char *cmd;
        assert_true(asprintf(&cmd, "mkdir -p '%s/usr/lib/systemd' && mv '%s/etc/systemd/zram-generator.conf' "
                             "'%s/usr/lib/systemd/' && rm -rf '%s/proc'", root, root, root, root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_PASS);
        assert_string_equal(f->message, "set up at boot by /usr/lib/systemd/zram-generator.conf");
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_zram)), 0);
        ctx_free(c);
}

/* ---- rpi-swap (not in Debian: its files as the rpi-swap package installs them) ---- */

/* /etc/rpi/swap.conf as rpi-swap ships it (defaults commented out), its generator, and a drop-in. */
static char *rpi_root(const char *fixture, const char *mechanism) {
        char *root = fixture_copy(fixture);
        fixture_write(root, "/etc/rpi/swap.conf",
                      "#  This file is part of rpi-swap.\n#\n"
                      "#  Defaults are provided as commented-out options. Local configuration\n"
                      "#  should be created by either modifying this file, or by creating \"drop-ins\" in\n"
                      "#  the swap.conf.d/ subdirectory. The latter is generally recommended.\n#\n"
                      "#  See swap.conf(5) for details.\n\n[Main]\n#Mechanism=auto\n\n[File]\n#Path=/var/swap\n"
                      "#RamMultiplier=1\n#MaxSizeMiB=2048\n#MaxDiskPercent=50\n#FixedSizeMiB=\n\n[Zram]\n"
                      "# Writeback settings (for zram+file mechanism):\n#WritebackTrigger=auto\n"
                      "#WritebackInitialDelay=180min\n#WritebackPeriodicInterval=24h\n");
        fixture_write(root, "/usr/lib/systemd/system-generators/rpi-swap-generator", "#!/bin/sh\n");
        fixture_chmod(root, "/usr/lib/systemd/system-generators/rpi-swap-generator", 0755);
        if (mechanism) {
                char text[64];
                snprintf(text, sizeof(text), "[Main]\nMechanism=%s\n", mechanism);
                fixture_write(root, "/etc/rpi/swap.conf.d/50-mechanism.conf", text);
        }
        fixture_mkdir(root, "/sys/module/zram");
        return root;
}

static void test_rpi_swap_writeback_file_is_not_swap(void **state) {
        /* The default (auto: zram+file): /var/swap is zram0's writeback loop device, not in /proc/swaps. */
        char *root = rpi_root("swap-zram-only", NULL);
        fixture_write(root, "/var/swap", "");
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_int_equal(((const struct swap_facts *) f->data)->problem, SWAP_ZRAM_ONLY);
        assert_non_null(strstr(f->message, "only zram swap is active"));
        assert_non_null(strstr(f->message, "(rpi-swap, Mechanism=zram+file: /var/swap is zram's writeback file, not swap)"));
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_int_equal(plan_size(p), 1);      /* no second swap beside rpi-swap */
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_non_null(strstr(plan_action(p, 0)->text, "Mechanism=swapfile"));
        ctx_free(c);
}

static void test_rpi_swap_zram_active_passes_zram_missing(void **state) {
        char *root = rpi_root("swap-zram-only", "zram");
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        ctx_free(c);
}

static void test_rpi_swap_zram_enabled_not_running_starts_its_swap(void **state) {
        char *root = rpi_root("swap-none", NULL);
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_WARN);
        assert_string_equal(f->message, "rpi-swap sets up zram swap (enabled), but no zram swap is active");
        struct plan *p = ctx_plan_fix(c, &fix_zram);
        assert_int_equal(plan_size(p), 1);
        assert_string_equal(plan_action(p, 0)->unit, "dev-zram0.swap");
        ctx_free(c);
}

static void test_rpi_swap_in_an_image_sets_up_zram(void **state) {
        char *root = rpi_root("swap-none", "zram+file");
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s/proc'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        assert_string_equal(ctx_only_finding(c)->message, "set up at boot by rpi-swap (/etc/rpi/swap.conf)");
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_zram)), 0);
        ctx_free(c);
}

static void test_rpi_swap_swapfile_mechanism_is_configured_swap(void **state) {
        char *root = rpi_root("swap-none", "swapfile");
        swaps_line(root, "/var/swap", "file", 2097148, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

/* ---- zswap ---- */

static void test_zswap_host_is_not_told_to_add_zram(void **state) {
        char *root = fixture_copy("swap-ok");
        fixture_mkdir(root, "/sys/module/zram");
        fixture_write(root, "/sys/module/zswap/parameters/enabled", "Y\n");
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        const struct finding *f = ctx_only_finding(c);
        assert_int_equal(f->status, STATUS_SKIP);
        assert_non_null(strstr(f->message, "zswap is enabled"));
        ctx_free(c);
}

static void test_zswap_disabled_still_warns(void **state) {
        char *root = fixture_copy("swap-ok");
        fixture_mkdir(root, "/sys/module/zram");
        fixture_write(root, "/sys/module/zswap/parameters/enabled", "N\n");
        struct ctx *c = ctx_run_check(root, "zram-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_WARN);
        ctx_free(c);
}

/* ---- Ubuntu's /swap.img, cloud-init's swap file ---- */

static void swap_img_passes(const char *fstab_line) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/etc/fstab", fstab_line);
        swaps_line(root, "/swap.img", "file", 4194300, -2);
        struct ctx *c = ctx_run_check(root, "swap-missing", NULL);
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

static void test_ubuntu_swap_img_is_configured_swap(void **state) {
        swap_img_passes("/dev/disk/by-uuid/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f / ext4 defaults 0 1\n"
                        "/swap.img\tnone\tswap\tsw\t0\t0\n");
}

static void test_cloud_init_swap_file_is_configured_swap(void **state) {
        /* cc_mounts writes its swap line with comment=cloudconfig among the options. */
        swap_img_passes("LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,errors=remount-ro\t0 1\n"
                        "/swap.img\tnone\tswap\tsw,comment=cloudconfig\t0\t0\n");
}

/* ---- an image with 4 KiB and 16 KiB page kernels (Raspberry Pi OS arm64) ---- */

#define MKSWAP_UNIT_PATH "/etc/systemd/system/hostfit-mkswap.service"

static char *pi_image(bool pi5_kernel) {
        char *root = fixture_new();
        fixture_write(root, "/etc/fstab", "PARTUUID=6c586e13-02  /               ext4    defaults,noatime  0       1\n");
        fixture_write(root, "/boot/firmware/kernel8.img", "");
        if (pi5_kernel)
                fixture_write(root, "/boot/firmware/kernel_2712.img", "");
        return root;
}

static void test_pi_image_writes_the_signature_at_boot(void **state) {
        struct ctx *c = ctx_run_check(pi_image(true), "swap-missing", "[swap]\nsize = 16M\n");
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        const struct action *unit = NULL, *link = NULL;
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_WRITE_FILE && strcmp(a->path, MKSWAP_UNIT_PATH) == 0)
                        unit = a;
                if (a->kind == ACTION_SYMLINK)
                        link = a;
        }
        assert_non_null(unit);
        assert_non_null(strstr(unit->content, "\nExecStart=/sbin/mkswap /swapfile\n"));
        assert_non_null(strstr(unit->content, "\nBefore=swapfile.swap swap.target shutdown.target\n"));
        assert_non_null(strstr(unit->content, "\nDefaultDependencies=no\n"));
        assert_non_null(link);
        assert_string_equal(link->path, "/etc/systemd/system/swap.target.wants/hostfit-mkswap.service");
        assert_int_equal(plan_apply(p, c->h, NULL, NULL), 0);
        plan_free(TAKE_PTR(c->p));
        report_free(c->r);
        host_free(c->h);
        ctx_open(c, "[swap]\nsize = 16M\n");
        assert_int_equal(ctx_only_finding(c)->status, STATUS_PASS);
        assert_int_equal(plan_size(ctx_plan_fix(c, &fix_swapfile)), 0);
        ctx_free(c);
}

static void test_image_of_one_page_size_needs_no_boot_signature(void **state) {
        struct ctx *c = ctx_run_check(pi_image(false), "swap-missing", "[swap]\nsize = 16M\n");
        struct plan *p = ctx_plan_fix(c, &fix_swapfile);
        assert_true(plan_size(p) > 0);
        for (size_t i = 0; i < plan_size(p); i++)
                assert_true(plan_action(p, i)->path == NULL ||
                            strcmp(plan_action(p, i)->path, MKSWAP_UNIT_PATH) != 0);
        ctx_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dphys_swap_passes_as_configured_by_dphys),
                cmocka_unit_test(test_dphys_by_its_init_script_passes),
                cmocka_unit_test(test_dphys_disabled_owns_nothing),
                cmocka_unit_test(test_dphys_small_size_is_raised_in_its_config),
                cmocka_unit_test(test_dphys_explicit_size_capped_by_maxswap_is_raised),
                cmocka_unit_test(test_dphys_size_follows_the_configured_swap_size),
                cmocka_unit_test(test_dphys_config_with_shell_is_a_manual_step),
                cmocka_unit_test(test_dphys_enabled_not_active_starts_its_service),
                cmocka_unit_test(test_dphys_in_an_image_comes_up_at_boot),
                cmocka_unit_test(test_dphys_config_raise_keeps_every_other_byte),
                cmocka_unit_test(test_zram_tools_running_passes_and_plans_nothing),
                cmocka_unit_test(test_zram_tools_enabled_not_running_starts_zramswap),
                cmocka_unit_test(test_zram_tools_in_an_image_is_configured),
                cmocka_unit_test(test_zram_generator_debian_defaults_start_its_device),
                cmocka_unit_test(test_zram_generator_vendor_defaults_in_usr_lib),
                cmocka_unit_test(test_rpi_swap_writeback_file_is_not_swap),
                cmocka_unit_test(test_rpi_swap_zram_active_passes_zram_missing),
                cmocka_unit_test(test_rpi_swap_zram_enabled_not_running_starts_its_swap),
                cmocka_unit_test(test_rpi_swap_in_an_image_sets_up_zram),
                cmocka_unit_test(test_rpi_swap_swapfile_mechanism_is_configured_swap),
                cmocka_unit_test(test_zswap_host_is_not_told_to_add_zram),
                cmocka_unit_test(test_zswap_disabled_still_warns),
                cmocka_unit_test(test_ubuntu_swap_img_is_configured_swap),
                cmocka_unit_test(test_cloud_init_swap_file_is_configured_swap),
                cmocka_unit_test(test_pi_image_writes_the_signature_at_boot),
                cmocka_unit_test(test_image_of_one_page_size_needs_no_boot_signature),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
