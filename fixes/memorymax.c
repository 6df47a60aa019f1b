/* SPDX-License-Identifier: MIT */
/* Fix for unit-memorymax: a drop-in with MemoryHigh=/MemoryMax=, daemon-reload, and the
 * same limits set live (SetUnitProperties, runtime) so nothing restarts. */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixes.h"
#include "host/template.h"
#include "unit-findings.h"
#include "host/virt.h"

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

uint64_t memorymax_usage(const struct memorymax_data *d) {
        uint64_t v = d->rss;
        if (d->current > v)
                v = d->current;
        if (d->peak > v)
                v = d->peak;
        return d->running ? v : 0;
}

/* MemoryHigh= throttles a unit near its limit by pushing its pages to swap; with no swap
 * it only stalls a leak for a long time instead of letting it be killed. */
int memorymax_swap_planned(struct host *h, const struct plan *p) {
        const struct host_meminfo *mi;
        struct libmnt_table *tb;
        int k = host_meminfo(h, &mi);
        /* An offline image has no /proc: its fstab and this plan say. */
        if (k < 0 && !(k == -ENOENT && host_offline(h)))
                return k;
        if (k >= 0 && mi->swap_total > 0)
                return 1;
        for (size_t i = 0; p && i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_SWAPFILE || a->kind == ACTION_SWAPON)
                        return 1;
        }
        /* Never judged from a failed read: what swap-missing could not read, it could not plan. */
        k = host_swaps(h, &tb);
        if (k < 0 && k != -ENOENT)
                return k;
        k = host_fstab(h, &tb);
        if (k < 0)
                return k;
        /* Swap that boot turns on (an fstab line an earlier, interrupted fix wrote): the
         * same end state whether or not it was made in this run. */
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        bool found = false;
        if (!it)
                return -ENOMEM;
        while (!found && mnt_table_next_fs(tb, it, &fs) == 0)
                found = mnt_fs_get_fstype(fs) && strcmp(mnt_fs_get_fstype(fs), "swap") == 0;
        mnt_free_iter(it);
        return found;
}

int memorymax_dropin_render(struct host *h, const char *unit, uint64_t max, uint64_t high, const char *extra,
                            char **ret, size_t *ret_len) {
        char smax[32], shigh[32];
        _cleanup_free_ char *high_line = NULL, *err = NULL;
        size_str(smax, sizeof(smax), max);
        size_str(shigh, sizeof(shigh), high);
        if (asprintf(&high_line, high ? "MemoryHigh=%s\n" : "%s", high ? shigh : "") < 0)
                return -ENOMEM;
        const char *vars[] = { "unit", unit, "memory_high_line", high_line, "memory_max", smax,
                               "extra", extra ? extra : "", NULL };
        return template_render(h, "memory-dropin.conf", vars, ret, ret_len, &err);
}

static int memorymax_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct memorymax_data *d = f->data;
        const struct host_meminfo *mi = NULL;
        if (!d)
                return 0;
        if (d->overridden)
                return plan_add_manual(p, f->check->id, "a drop-in that sorts after hostfit's sets the memory limit "
                                       "of this unit: edit it to set MemoryMax=") < 0 ? -ENOMEM : 0;
        uint64_t max = d->max;
        if (!max && !memorymax_usage(d)) {
                _cleanup_free_ char *t = NULL;
                if (asprintf(&t, "no process of %s runs now, so there is nothing to size its limit from: "
                             "set [unit-memorymax] max = %s:SIZE in /etc/hostfit/hostfit.conf, "
                             "or run hostfit fix while it runs", d->unit, d->unit) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, t) < 0 ? -ENOMEM : 0;
        }
        /* Whether the host has swap decides MemoryHigh=: never judged from a failed read. */
        int k = memorymax_swap_planned(h, p);
        if (k < 0)
                return k;
        if (!max)
                max = memorymax_default(memorymax_usage(d), host_meminfo(h, &mi) == 0 ? mi->mem_total : 0);
        uint64_t high = k ? max / 10 * 9 / MIB * MIB : 0;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = memorymax_dropin_render(h, d->unit, max, high, NULL, &text, &len);
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
        char smax[32], shigh[32];
        _cleanup_free_ char *ph = NULL, *pm = NULL;
        size_str(smax, sizeof(smax), max);
        size_str(shigh, sizeof(shigh), high);
        if ((high && asprintf(&ph, "MemoryHigh=%s", shigh) < 0) || asprintf(&pm, "MemoryMax=%s", smax) < 0)
                return -ENOMEM;
        const char *props[] = { ph ? ph : pm, ph ? pm : NULL, NULL };
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
        .summary = "a drop-in UNIT.d/49-hostfit-memory.conf with MemoryMax= sized from what the unit uses "
                   "(and MemoryHigh= when the host has swap), daemon-reload, and the same limits set live "
                   "without a restart; a unit with nothing running gets a manual step",
        .plan = memorymax_plan,
};
