/* SPDX-License-Identifier: MIT */
/* zram under the root: whether the kernel has it, and what zram-generator's
 * configuration (main file and drop-ins, every directory it reads) sets up. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct host;

/* 1 when the kernel has zram: ROOT/sys/module/zram, or zram.ko (plain, .xz,
 * .zst, .gz; in modules.dep or modules.builtin) under lib/modules/RELEASE for
 * the running kernel (proc/sys/kernel/osrelease); on an offline image, under
 * any of its lib/modules/. 0 when it cannot have it; -ENODATA when this root
 * does not say (no sysfs, no release); -errno. */
int zram_kernel_support(struct host *h);

struct zram_generator {
        bool installed;         /* the generator binary is there */
        bool has_files;         /* a config file or drop-in exists (the admin's or the vendor's) */
        int swap_device;        /* N of the lowest [zramN] set up as swap (no mount-point); -1: none */
        uint64_t named;         /* bit N set when [zramN] appears, swap or mount (N < 64) */
        char swap_origin[128];  /* the file that names swap_device ("" when none) */
};

/* Read zram-generator's configuration as the generator does: the first main
 * file of /run, /etc, /usr/local/lib, /usr/lib (systemd/zram-generator.conf),
 * then the drop-ins of all four zram-generator.conf.d/ in name order (a name
 * in a higher directory shadows the same name below). */
int zram_generator_read(struct host *h, struct zram_generator *ret);

#define ZRAM_GENERATOR_CONF "/etc/systemd/zram-generator.conf"
#define ZRAM_GENERATOR_DROPIN "/etc/systemd/zram-generator.conf.d/hostfit.conf"
#define ZRAM_OWN_UNIT "hostfit-zram.service"
#define ZRAM_OWN_UNIT_PATH "/etc/systemd/system/" ZRAM_OWN_UNIT
#define ZRAM_OWN_UNIT_LINK "/etc/systemd/system/swap.target.wants/" ZRAM_OWN_UNIT
