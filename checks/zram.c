/* SPDX-License-Identifier: MIT */
/* zram-missing: compressed swap in RAM (a /dev/zramN swap device) is active,
 * or on an offline image, set up at boot. A warning, never a failure: zram is
 * an optimisation on top of swap. */
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "swap.h"
#include "swapmgr.h"
#include "host/virt.h"
#include "host/zramdev.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

/* Active zram swap devices as pass findings; their number. */
static int report_active(struct report *r, struct libmnt_table *swaps) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        char a[32];
        if (!it)
                return -ENOMEM;
        int n = 0;
        while (mnt_table_next_fs(swaps, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                if (!swap_is_zram(src))
                        continue;
                int k = report_add(r, STATUS_PASS, src, NULL, NULL, "active: %s of compressed swap, priority %d",
                                   swap_format_size((uint64_t) mnt_fs_get_size(fs) * 1024, a),
                                   mnt_fs_get_priority(fs));
                if (k < 0)
                        return k;
                n++;
        }
        return n;
}

/* A zram manager other than zram-generator's own config: zram-tools, rpi-swap. */
struct zram_manager {
        const char *name;       /* NULL: none */
        const char *origin;     /* its config */
        const char *unit;       /* what starts it now */
};

static int zram_manager_find(struct host *h, struct zram_manager *ret) {
        struct rpi_swap rpi;
        *ret = (struct zram_manager) { 0 };
        if (zram_tools_enabled(h)) {
                *ret = (struct zram_manager) { "zram-tools", "/etc/default/zramswap", ZRAM_TOOLS_UNIT };
                return 0;
        }
        int k = rpi_swap_read(h, &rpi);
        if (k < 0)
                return k;
        if (rpi.installed && (rpi.mechanism == RPI_ZRAM || rpi.mechanism == RPI_ZRAM_FILE))
                *ret = (struct zram_manager) { "rpi-swap", RPI_SWAP_CONF, "dev-zram0.swap" };
        return 0;
}

/* What boot sets up: zram-generator's config naming a swap device, or our unit enabled. */
static bool boot_sets_up(struct host *h, const struct zram_generator *g) {
        struct stat st;
        return (g->installed && g->swap_device >= 0) || host_stat(h, ZRAM_OWN_UNIT_LINK, &st) == 0;
}

static int report_missing(struct report *r, uint64_t mem, const struct zram_generator *g,
                          const struct zram_manager *z, bool offline) {
        char a[32], b[32];
        struct zram_facts *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->mem_total = mem;
        f->device = -1;
        if (z->name) {
                f->unit = z->unit;
                return report_add(r, STATUS_WARN, z->origin, f, free, "%s sets up zram swap (enabled), but "
                                  "no zram swap is active", z->name);
        }
        if (g->installed && g->swap_device >= 0) {
                f->device = g->swap_device;
                return report_add(r, STATUS_WARN, g->swap_origin, f, free,
                                  "sets up [zram%d] as swap, but no zram swap is active", g->swap_device);
        }
        if (offline && mem == 0)
                return report_add(r, STATUS_WARN, "zram", f, free, "none configured to come up at boot");
        if (offline)
                return report_add(r, STATUS_WARN, "zram", f, free,
                                  "none configured to come up at boot; %s RAM would gain up to %s of compressed swap",
                                  swap_format_size(mem, a), swap_format_size(zram_size_auto(mem), b));
        return report_add(r, STATUS_WARN, "zram", f, free,
                          "no zram swap; %s RAM would gain up to %s of compressed swap",
                          swap_format_size(mem, a), swap_format_size(zram_size_auto(mem), b));
}

static int zram_missing_run(struct host *h, struct report *r) {
        const struct host_meminfo *m;
        struct libmnt_table *swaps;
        struct zram_generator g;
        struct zram_manager z;
        bool offline = host_offline(h);
        uint64_t mem;
        int k;

        if ((k = check_skip_in_container(h, r)) != 0)
                return k < 0 ? k : 0;
        if ((k = zram_kernel_support(h)) == 0)
                return report_add(r, STATUS_SKIP, "zram", NULL, NULL, offline ?
                                  "the kernels in this image have no zram" : "this kernel has no zram");
        if (k == -ENOMEM)
                return k;
        if ((k = zram_generator_read(h, &g)) < 0 || (k = zram_manager_find(h, &z)) < 0)
                return k;
        if (offline) {
                if (z.name)
                        return report_add(r, STATUS_PASS, "zram", NULL, NULL, "set up at boot by %s (%s)",
                                          z.name, z.origin);
                if (boot_sets_up(h, &g))
                        return report_add(r, STATUS_PASS, "zram", NULL, NULL, "set up at boot by %s",
                                          g.installed && g.swap_device >= 0 ? g.swap_origin : ZRAM_OWN_UNIT);
                mem = config_get_size(host_config(h), IMAGE_SECTION, IMAGE_MEMORY_KEY, 0);
                return report_missing(r, mem, &g, &z, true);
        }
        if ((k = host_meminfo(h, &m)) < 0)
                return swap_report_read_error(h, r, "/proc/meminfo", k);
        if ((k = host_swaps(h, &swaps)) < 0)
                return swap_report_read_error(h, r, "/proc/swaps", k);
        if ((k = report_active(r, swaps)) != 0)
                return k < 0 ? k : 0;
        if (!z.name && !(g.installed && g.swap_device >= 0) && zswap_enabled(h))
                return report_add(r, STATUS_SKIP, "zram", NULL, NULL, "zswap is enabled "
                                  "(/sys/module/zswap/parameters/enabled): pages are compressed in RAM before "
                                  "they reach disk swap, so zram is not added beside it");
        return report_missing(r, m->mem_total, &g, &z, false);
}

const struct check check_zram_missing = {
        .id = "zram-missing",
        .title = "Compressed swap in RAM (zram) is active",
        .problem = "No compressed swap in RAM (zram)",
        .why = "zram turns a memory spike into compression work instead of an OOM kill, "
               "and is much faster than swapping to disk. It adds to disk swap, so a missing zram "
               "is a warning, never a failure. zram set up by zram-generator, zram-tools or rpi-swap "
               "counts, also when enabled but not running now; a zswap host is not asked to add it. Skipped inside a container (swap and zram belong to "
               "the host) and on a kernel without zram; on an offline image (--root without /proc), "
               "what boot sets up is checked, sized from [zram] size or [image] memory.",
        .severity = SEVERITY_MEDIUM,
        .run = zram_missing_run,
        .fix = &fix_zram,
};
