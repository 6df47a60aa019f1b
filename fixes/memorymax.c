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
#include "host/config.h"
#include "host/memcg.h"
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

int memorymax_measure(struct host *h, struct memorymax_data *d, const char *cg) {
        const struct proc *const *v;
        size_t n;
        if (!cg || host_procs_in_cgroup(h, cg, &v, &n) < 0)
                return 0;
        d->rss = 0;
        d->age = 0;
        d->running = false;
        for (size_t i = 0; i < n; i++) {
                double age = host_proc_age(h, v[i]);
                d->running = true;
                d->rss += v[i]->rss_bytes;
                if (age > d->age)
                        d->age = age;
        }
        if (!d->running)
                return 0;
        uint64_t cur = memcg_limit(h, cg, "memory.current"), peak;
        if (memcg_mode(h) == MEMCG_V1) {
                cur = memcg_limit(h, cg, "memory.usage_in_bytes");
                peak = memcg_limit(h, cg, "memory.max_usage_in_bytes");
        } else
                peak = memcg_limit(h, cg, "memory.peak");
        d->current = cur == MEMCG_NO_LIMIT ? 0 : cur;
        d->peak = peak == MEMCG_NO_LIMIT ? 0 : peak;
        return 0;
}

static uint64_t min_uptime(struct host *h) {
        const char *v = config_get(host_config(h), "unit-memorymax", "min-uptime");
        uint64_t s;
        return v && parse_duration(v, &s) == 0 ? s : MEMORY_MIN_UPTIME_DEFAULT;
}

int memorymax_size(struct host *h, const struct memorymax_data *d, uint64_t *ret, double *ret_wait) {
        const struct host_meminfo *mi = NULL;
        uint64_t ram = host_meminfo(h, &mi) == 0 ? mi->mem_total : 0, min = min_uptime(h);
        *ret_wait = 0;
        if (d->max) {
                *ret = d->max;
                return 0;
        }
        if (!memorymax_usage(d))
                return -ENODATA;
        /* A cold start is no measure: what a unit uses at its peak comes later. */
        if (d->age < (double) min) {
                *ret_wait = (double) min - d->age;
                return -EAGAIN;
        }
        uint64_t max = memorymax_default(memorymax_usage(d), ram);
        /* Room for the heap its node processes were given, where RAM allows it. */
        uint64_t want = round_up(d->heap_floor / 3 * 4, 64 * MIB);
        if (d->heap_floor && want > max && (!ram || want <= ram / 4 * 3))
                max = want;
        *ret = max;
        return 0;
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

/* MemoryHigh= throttles a unit near its limit by pushing its pages to swap: only where there is
 * swap now, at boot, or made by this plan (swap-missing's fix plans before this one). A swap
 * that a later run may add is not there yet: that run brings the drop-in up to date. */
int memorymax_high_wanted(struct host *h, const struct plan *p) {
        return memorymax_swap_planned(h, p);
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
        if (!d)
                return 0;
        if (d->overridden) {
                _cleanup_free_ char *t = NULL;
                if (asprintf(&t, "%s sets the memory limit of %s and sorts after hostfit's %s: set MemoryMax= there",
                             d->overrider ? d->overrider : "a drop-in", d->unit, d->dropin) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, t) < 0 ? -ENOMEM : 0;
        }
        uint64_t max = 0;
        double wait = 0;
        int k = memorymax_size(h, d, &max, &wait);
        if (k == -ENODATA || k == -EAGAIN) {
                _cleanup_free_ char *t = NULL;
                if ((k == -ENODATA ? asprintf(&t, "no process of %s runs now, so there is nothing to size its limit from: "
                                              "set [unit-memorymax] max = %s:SIZE in /etc/hostfit/hostfit.conf, "
                                              "or run hostfit fix while it runs", d->unit, d->unit) :
                                     asprintf(&t, "%s has run %.0f s, too short to size its limit from what it uses "
                                              "(a cold start is no measure): run hostfit fix again in %.0f s, or set "
                                              "[unit-memorymax] max = %s:SIZE in /etc/hostfit/hostfit.conf",
                                              d->unit, d->age, wait + 0.5, d->unit)) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, t) < 0 ? -ENOMEM : 0;
        }
        if (k < 0)
                return k;
        /* Whether the host has swap decides MemoryHigh=: never judged from a failed read. */
        k = memorymax_high_wanted(h, p);
        if (k < 0)
                return k;
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
