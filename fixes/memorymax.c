/* Fix for unit-memorymax: a drop-in with MemoryHigh=/MemoryMax=, daemon-reload, and the
 * same limits set live (SetUnitProperties, runtime) so nothing restarts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "fixes.h"
#include "template.h"
#include "unit-findings.h"

#define MIB (1ULL << 20)
#define FLOOR (256 * MIB)

static uint64_t round_up(uint64_t v, uint64_t to) {
        return (v + to - 1) / to * to;
}

/* The default rule: twice what the unit uses now (at least 256 MiB), at most three
 * quarters of RAM but never below 5/4 of its current use; MemoryHigh at 90% of that. */
uint64_t memorymax_default(uint64_t rss, uint64_t ram) {
        uint64_t max = round_up(rss * 2, 64 * MIB);
        if (max < FLOOR)
                max = FLOOR;
        if (ram) {
                uint64_t cap = ram / 4 * 3, need = round_up(rss / 4 * 5, MIB);
                if (max > cap)
                        max = cap / MIB * MIB > need ? cap / MIB * MIB : need;
        }
        return max;
}

static void size_str(char *buf, size_t size, uint64_t v) {
        if (v % (1ULL << 30) == 0)
                snprintf(buf, size, "%lluG", (unsigned long long) (v >> 30));
        else if (v % MIB == 0)
                snprintf(buf, size, "%lluM", (unsigned long long) (v >> 20));
        else
                snprintf(buf, size, "%llu", (unsigned long long) v);
}

static int memorymax_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct memorymax_data *d = f->data;
        const struct host_meminfo *mi = NULL;
        char smax[32], shigh[32];
        if (!d)
                return 0;
        if (d->overridden)
                return plan_add_manual(p, f->check->id, "a drop-in that sorts last sets the memory limit of this unit: "
                                       "edit it to set MemoryMax=") < 0 ? -ENOMEM : 0;
        uint64_t max = d->max;
        if (!max)
                max = memorymax_default(d->rss, host_meminfo(h, &mi) == 0 ? mi->mem_total : 0);
        uint64_t high = max / 10 * 9 / MIB * MIB;
        size_str(smax, sizeof(smax), max);
        size_str(shigh, sizeof(shigh), high ? high : max);
        const char *vars[] = { "unit", d->unit, "memory_high", shigh, "memory_max", smax, NULL };
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t len = 0;
        int r = template_render(h, "memory-dropin.conf", vars, &text, &len, &err);
        if (r < 0)
                return r;
        const char *cur;
        size_t cur_len;
        r = plan_get_file(p, d->dropin, &cur, &cur_len);
        if (r < 0)
                return r;
        if (cur && cur_len == len && memcmp(cur, text, len) == 0)
                return 0;
        /* Live limits first, then the file and the reload: a reload after
         * SetUnitProperties leaves systemd with no "changed on disk" warning. */
        _cleanup_free_ char *ph = NULL, *pm = NULL;
        if (asprintf(&ph, "MemoryHigh=%s", shigh) < 0 || asprintf(&pm, "MemoryMax=%s", smax) < 0)
                return -ENOMEM;
        const char *props[] = { ph, pm, NULL };
        r = plan_add_systemd(p, f->check->id, SYSTEMD_SET_PROPERTY, d->unit, props);
        if (r >= 0 && !host_is_live(h))
                r = plan_note(p, "the drop-in applies when %s next starts", d->unit);
        if (r >= 0)
                r = plan_add_write(p, f->check->id, d->dropin, text, len, 0644);
        if (r >= 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        return r < 0 ? r : 0;
}

const struct fix fix_memorymax = {
        .name = "memory-dropin",
        .summary = "a drop-in UNIT.d/50-hostfit-memory.conf with MemoryHigh= and MemoryMax=, "
                   "daemon-reload, and the same limits set live without a restart",
        .plan = memorymax_plan,
};
