/* zram-missing: compressed swap in RAM (a /dev/zramN swap device) is active. */
#include <errno.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "fixes.h"
#include "swap.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);


static int zram_missing_run(struct host *h, struct report *r) {
        const struct host_meminfo *m;
        struct libmnt_table *swaps;
        struct libmnt_fs *fs;
        char a[32], b[32];
        int k;

        if ((k = host_meminfo(h, &m)) < 0)
                return swap_report_read_error(h, r, "/proc/meminfo", k);
        if ((k = host_swaps(h, &swaps)) < 0)
                return swap_report_read_error(h, r, "/proc/swaps", k);

        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        size_t n = 0;
        while (mnt_table_next_fs(swaps, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                if (!swap_is_zram(src))
                        continue;
                k = report_add(r, STATUS_PASS, src, NULL, NULL, "%s is active: %s of compressed swap, priority %d",
                               src, swap_format_size((uint64_t) mnt_fs_get_size(fs) * 1024, a),
                               mnt_fs_get_priority(fs));
                if (k < 0)
                        return k;
                n++;
        }
        if (n > 0)
                return 0;

        struct zram_facts *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->mem_total = m->mem_total;
        return report_add(r, STATUS_FAIL, "/dev/zram0", f, free,
                          "no zram swap; %s RAM would gain up to %s of compressed swap",
                          swap_format_size(m->mem_total, a), swap_format_size(zram_size_auto(m->mem_total), b));
}

const struct check check_zram_missing = {
        .id = "zram-missing",
        .title = "Compressed swap in RAM (zram) is active",
        .why = "zram turns a memory spike into compression work instead of an OOM kill, "
               "and is much faster than swapping to disk.",
        .severity = SEVERITY_MEDIUM,
        .run = zram_missing_run,
        .fix = &fix_zram,
};
