/* SPDX-License-Identifier: MIT */
/* swap-missing on a host whose swap a manager makes: dphys-swapfile's size
 * against hostfit's own rule. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "check.h"
#include "host/config.h"
#include "host/host.h"
#include "swap.h"
#include "swapmgr.h"

#define MiB (UINT64_C(1) << 20)

/* The space the file may take: what is free where it lives, plus its own size
 * (dphys-swapfile counts it the same way before it remakes the file). */
static int space_for(struct host *h, const char *path, uint64_t *ret) {
        struct statfs sf;
        struct stat st;
        int k = host_statfs(h, path, &sf);
        if (k < 0)
                return k;
        *ret = (uint64_t) sf.f_bavail * (uint64_t) sf.f_bsize;
        if (host_stat(h, path, &st) == 0 && S_ISREG(st.st_mode))
                *ret += (uint64_t) st.st_size;
        return 0;
}

int swap_report_dphys_size(struct host *h, struct report *r, const struct dphys *d, uint64_t mem_total) {
        uint64_t avail;
        char a[32], b[32], m[32];
        if (mem_total == 0 || space_for(h, d->swapfile, &avail) < 0)
                return 0;       /* nothing to size it by: boot sizes it as configured */
        /* [swap] size, where set, is the rule, as for a swapfile of hostfit's own. */
        uint64_t fixed = config_get_size(host_config(h), "swap", "size", 0) / MiB;
        uint64_t want = fixed ? fixed : swapfile_size_auto(mem_total, avail) / MiB;
        uint64_t have = dphys_effective_mib(d, mem_total, avail);
        if (have + want / 16 >= want)
                return 0;
        struct swap_facts *f = calloc(1, sizeof(*f));
        if (!f || !(f->path = strdup(d->swapfile))) {
                free(f);
                return -ENOMEM;
        }
        f->problem = SWAP_MANAGED_SMALL;
        f->mem_total = mem_total;
        f->target = SWAP_TARGET_SWAP;
        f->manager = "dphys-swapfile";
        f->unit = DPHYS_UNIT;
        f->size_mib = want;
        const char *cap = d->maxswap >= 0 && (uint64_t) d->maxswap == have && d->maxswap < (long long) want
                          ? " (capped by CONF_MAXSWAP)" : "";
        int k = report_add(r, STATUS_WARN, DPHYS_CONF, f, swap_facts_free,
                           "dphys-swapfile makes %s of swap%s, below the %s hostfit's rule gives %s RAM",
                           swap_format_size(have * MiB, a), cap, swap_format_size(want * MiB, b),
                           swap_format_size(mem_total, m));
        return k < 0 ? k : 1;
}
