/* SPDX-License-Identifier: MIT */
/* unit-memorymax: a service unit, with its drop-ins, sets no effective MemoryMax=. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "host/memcg.h"
#include "fixes.h"
#include "loop-findings.h"
#include "procs/proctree.h"
#include "swap.h"
#include "unit-findings.h"
#include "systemd/units.h"
#include "text/strbuf.h"
#include "host/virt.h"

#define SECTION "unit-memorymax"
#define DEFAULT_RSS_THRESHOLD (256ULL << 20)

void memorymax_data_free(void *p) {
        struct memorymax_data *d = p;
        if (d)
                free(d->overrider);     /* unit and dropin live in D's allocation */
        free(d);
}

/* A finding's data for UNIT, its drop-in's path the concatenation of the N strings PARTS:
 * the strings in the data's own allocation, one for the three; NULL on -ENOMEM. */
static struct memorymax_data *data_new(const char *unit, const char *const *parts, size_t n) {
        size_t lu = strlen(unit) + 1, lp[4], ld = 1;
        for (size_t i = 0; i < n && i < ELEMENTSOF(lp); i++)
                ld += lp[i] = strlen(parts[i]);
        struct memorymax_data *d = calloc(1, sizeof(*d) + lu + ld);
        if (!d)
                return NULL;
        d->unit = memcpy((char *) (d + 1), unit, lu);
        d->dropin = d->unit + lu;
        char *o = d->dropin;
        for (size_t i = 0; i < n && i < ELEMENTSOF(lp); i++)
                o = (char *) memcpy(o, parts[i], lp[i]) + lp[i];
        *o = 0;
        return d;
}

uint64_t memorymax_config_max(const char *list, const char *unit) {
        _cleanup_free_ char *copy = list ? strdup(list) : NULL;
        for (char *save = NULL, *w = copy ? strtok_r(copy, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save)) {
                char *colon = strrchr(w, ':');
                uint64_t v;
                if (!colon)
                        continue;
                *colon = 0;
                if (strcmp(w, unit) == 0 && parse_size(colon + 1, &v) == 0)
                        return v;
        }
        return 0;
}

/* A unit in scope: a file of the admin's, a name from the config, or a unit whose
 * processes use more than the threshold. Indexed by name: the table is sorted and
 * merged once, never searched in a loop. */
struct candidate {
        char *name;
        char *cgroup;           /* the unit's cgroup path (unified hierarchy), from its first process */
        uint64_t rss;           /* summed over its processes */
        bool named;             /* listed in the config */
        bool local;             /* defined under /etc or /usr/local */
        bool running;           /* has processes now */
};

struct candidates {
        struct candidate *v;
        size_t n, alloc;
};

/* Takes NAME (a copy of NAME_COPY when NAME is NULL), freed on failure too. */
static int cand_take(struct candidates *c, char *name, const char *name_copy, const char *cgroup, uint64_t rss,
                     bool named, bool local) {
        if (c->n == c->alloc) {
                size_t na = c->alloc ? c->alloc * 2 : 64;
                struct candidate *nv = realloc(c->v, na * sizeof(*nv));
                if (!nv) {
                        free(name);
                        return -ENOMEM;
                }
                c->v = nv, c->alloc = na;
        }
        struct candidate *k = &c->v[c->n];
        *k = (struct candidate) { name ? name : strdup(name_copy), cgroup ? strdup(cgroup) : NULL, rss, named, local,
                                  cgroup != NULL };
        if (!k->name || (cgroup && !k->cgroup)) {
                free(k->name), free(k->cgroup);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

static int cand_push(struct candidates *c, const char *name, const char *cgroup, uint64_t rss, bool named, bool local) {
        return cand_take(c, NULL, name, cgroup, rss, named, local);
}

static int cmp_cand(const void *a, const void *b) {
        return strcmp(((const struct candidate *) a)->name, ((const struct candidate *) b)->name);
}

/* Sort by name (stably: the entries of one name stay in the order added) and fold the
 * entries of one name into one. The first SORTED entries are in order already (a unit
 * directory as the index listed it): only the rest is sorted, then the two runs merged. */
static int cands_merge(struct candidates *c, size_t sorted) {
        size_t w = 0;
        if (sorted > c->n)
                sorted = c->n;
        if (c->n > sorted)
                qsort(c->v + sorted, c->n - sorted, sizeof(*c->v), cmp_cand);
        if (sorted && c->n > sorted) {
                struct candidate *m = malloc(c->n * sizeof(*m));
                size_t i = 0, j = sorted, o = 0;
                if (!m)
                        return -ENOMEM;
                while (i < sorted && j < c->n)
                        m[o++] = cmp_cand(&c->v[j], &c->v[i]) < 0 ? c->v[j++] : c->v[i++];
                while (i < sorted)
                        m[o++] = c->v[i++];
                while (j < c->n)
                        m[o++] = c->v[j++];
                free(c->v);
                c->v = m, c->alloc = c->n;
        }
        for (size_t i = 0; i < c->n; i++) {
                struct candidate *k = &c->v[i];
                if (w > 0 && strcmp(c->v[w - 1].name, k->name) == 0) {
                        struct candidate *t = &c->v[w - 1];
                        t->rss += k->rss;
                        t->named |= k->named;
                        t->local |= k->local;
                        t->running |= k->running;
                        if (!t->cgroup)
                                t->cgroup = TAKE_PTR(k->cgroup);
                        free(k->name), free(k->cgroup);
                        continue;
                }
                c->v[w++] = *k;
        }
        c->n = w;
        return 0;
}

static void cands_free(struct candidates *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].name), free(c->v[i].cgroup);
        free(c->v);
}

/* Units defined by the admin: under /etc and /usr/local; the vendor's own are left alone.
 * A directory that cannot be read is an error finding: what it holds is not judged.
 * The number of those, or -ENOMEM. */
static int add_local_units(struct host *h, struct report *rep, struct candidates *c, size_t *ret_sorted) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system" };
        int n_err = 0;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (i == 1)
                        *ret_sorted = c->n;     /* the first directory's names, sorted */
                char **v = NULL;
                int r = units_list_dir(h, dirs[i], ".service", &v);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        r = report_add(rep, STATUS_ERROR, dirs[i], NULL, NULL, "cannot read: %s", strerror(-r));
                        if (r < 0)
                                return r;
                        n_err++;
                        continue;
                }
                size_t j = 0;
                for (; r >= 0 && v && v[j]; j++)
                        r = cand_take(c, v[j], NULL, NULL, 0, false, true);
                for (; v && v[j]; j++)
                        free(v[j]);     /* not taken, after a failure */
                free(v);
                if (r == -ENOMEM)
                        return r;
        }
        return n_err;
}

/* The cgroup of UNIT within P's cgroup path: the path up to and including that component. */
static char *unit_cgroup(const struct proc *p, const char *unit) {
        size_t l = strlen(unit);
        const char *best = NULL;
        for (const char *s = p->cgroup; (s = strstr(s, unit)); s++)
                if (s > p->cgroup && s[-1] == '/' && (s[l] == '/' || !s[l]))
                        best = s;
        return best ? strndup(p->cgroup, (size_t) (best + l - p->cgroup)) : NULL;
}

/* Every service process, with its unit and size; the units' totals come out of the merge. */
static int add_running_units(struct host *h, struct candidates *c) {
        const struct proc_table *t;
        if (host_procs(h, &t) < 0)
                return 0;       /* no process table: the unit files still say enough */
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                _cleanup_free_ char *unit = NULL, *cg = NULL;
                if (p->kthread || !proc_in_service(p) || proc_cgroup_unit(p, &unit) < 0)
                        continue;
                if (strstr(p->cgroup, "/user@"))
                        continue;       /* a user manager's unit: not a system unit file */
                cg = unit_cgroup(p, unit);
                int r = cg ? cand_push(c, unit, cg, p->rss_bytes, false, false) : -ENOMEM;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_named_units(const struct config *cfg, struct candidates *c) {
        _cleanup_free_ char *list = config_get(cfg, SECTION, "units") ? strdup(config_get(cfg, SECTION, "units")) : NULL;
        for (char *save = NULL, *w = list ? strtok_r(list, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save)) {
                int r = cand_push(c, w, NULL, 0, true, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A cgroup file holding one number ("memory.current"), read once a run; 0 when unreadable. */
static uint64_t cgroup_number(struct host *h, const char *cgroup, const char *file) {
        uint64_t v = memcg_limit(h, cgroup, file);
        return v == MEMCG_NO_LIMIT ? 0 : v;
}

/* Why U has no effective limit, or NULL when it has one. */
static const char *limit_problem(const struct unit *u, char *buf, size_t size) {
        struct unit_memory m, old;
        char ign[512];
        ign[0] = 0;
        unit_memory_get(u, "MemoryMax", &m);
        if (m.ignored)
                snprintf(ign, sizeof(ign), "; MemoryMax=%s (%s:%u) is not a value systemd accepts, it ignores it",
                         m.ignored->value, m.ignored->file, m.ignored->line);
        switch (m.kind) {
        case UNIT_LIMIT_BYTES:
        case UNIT_LIMIT_PERCENT:
                return NULL;
        case UNIT_LIMIT_INFINITY:
                snprintf(buf, size, "MemoryMax=infinity (%s:%u)%s", m.set->file, m.set->line, ign);
                return buf;
        case UNIT_LIMIT_UNSET:
                break;
        }
        unit_memory_get(u, "MemoryLimit", &old);
        if (old.kind == UNIT_LIMIT_BYTES || old.kind == UNIT_LIMIT_PERCENT) {
                snprintf(buf, size, "only the deprecated MemoryLimit= (%s:%u), which the unified cgroup "
                         "hierarchy does not enforce; no MemoryMax=%s", old.set->file, old.set->line, ign);
                return buf;
        }
        if (!ign[0] && size > sizeof("no MemoryMax="))
                memcpy(buf, "no MemoryMax=", sizeof("no MemoryMax="));   /* the common case, without printf */
        else
                snprintf(buf, size, "no MemoryMax=%s", ign);
        return buf;
}

/* The name of hostfit's drop-in sorts before "50-MemoryMax.conf", the file of
 * "systemctl set-property", so an admin's later limit wins over ours. A hostfit drop-in
 * of the old name (from 0.1) is kept and rewritten, so an upgrade never leaves two.
 * NULL when a drop-in that sorts after ours sets the limit (ours would change nothing);
 * then *RET_OVERRIDER is that drop-in's path. */
static const char *dropin_name(const struct unit *u, const char **ret_overrider) {
        const char *ours = MEMORY_DROPIN_NAME, *last = "";
        *ret_overrider = NULL;
        for (size_t i = 0; i < u->n_dropins; i++)
                if (strcmp(strrchr(u->dropins[i], '/') + 1, MEMORY_DROPIN_OLD_NAME) == 0 &&
                    strncmp(u->dropins[i], "/etc/systemd/system/", 20) == 0)
                        ours = MEMORY_DROPIN_OLD_NAME;
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                const char *base = strrchr(a->file, '/') + 1;
                if ((!u->fragment || strcmp(a->file, u->fragment) != 0) && strcmp(a->section, "Service") == 0 &&
                    strcmp(a->key, "MemoryMax") == 0 && strcmp(base, last) > 0 && strcmp(base, ours) != 0) {
                        last = base;
                        *ret_overrider = a->file;
                }
        }
        return strcmp(ours, last) > 0 ? ours : NULL;
}

/* Whether swap-missing, run before this check in the same report, found no swap that its
 * fix makes: that fix plans a swapfile before this check's fix plans, so the drop-in gets
 * MemoryHigh= with it.  Where the fix can make none (a filesystem that takes no swapfile,
 * too little room) it plans only a manual step, and no swap comes: swap_make_judge() is the
 * rule that fix plans by, worked out once a run however many units ask.  Run alone (check
 * or fix of unit-memorymax only), no swap comes and none is expected.  1, 0, or -errno. */
static int swap_added_this_run(struct host *h, const struct report *r) {
        for (size_t i = 0; i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                if (!cr || !cr->check || strcmp(cr->check->id, "swap-missing") != 0)
                        continue;
                for (size_t j = 0; j < cr->n_findings; j++) {
                        const struct finding *f = cr->findings[j];
                        const struct swap_facts *facts = f->data;
                        const struct swap_way *w;
                        if (!(f->status == STATUS_WARN || f->status == STATUS_FAIL) || !facts || facts->problem != SWAP_NONE)
                                continue;
                        if (!cr->check->fix)
                                return 0;
                        int k = swap_make_judge(h, facts, &w);
                        return k < 0 ? k : swap_way_makes_swap(w);
                }
        }
        return 0;
}

/* True when the unit's MemoryMax= in effect is the one in hostfit's own drop-in, and
 * no file of the admin's sets its MemoryHigh=: only then is the drop-in hostfit's to
 * recompute. *ret_max: the limit the drop-in sets (kept as it is). */
/* Whether PATH is "/etc/systemd/system/ID.d/NAME". */
static bool is_dropin_of(const char *path, const char *id, const char *name) {
        static const char dir[] = "/etc/systemd/system/";
        size_t l = strlen(id);
        if (strncmp(path, dir, sizeof(dir) - 1) != 0)
                return false;
        path += sizeof(dir) - 1;
        return strncmp(path, id, l) == 0 && strncmp(path + l, ".d/", 3) == 0 && strcmp(path + l + 3, name) == 0;
}

static bool own_dropin(const struct unit *u, uint64_t *ret_max, bool *ret_high) {
        struct unit_memory m, mh;
        unit_memory_get(u, "MemoryMax", &m);
        if (m.kind != UNIT_LIMIT_BYTES || !m.set)
                return false;
        if (!is_dropin_of(m.set->file, u->id, MEMORY_DROPIN_NAME) && !is_dropin_of(m.set->file, u->id, MEMORY_DROPIN_OLD_NAME))
                return false;
        unit_memory_get(u, "MemoryHigh", &mh);
        if (mh.set && strcmp(mh.set->file, m.set->file) != 0)
                return false;           /* the admin's own MemoryHigh=: not ours to touch */
        *ret_max = m.value;
        *ret_high = mh.set != NULL;
        return true;
}

/* hostfit's own drop-in, judged against what hostfit writes now: MemoryHigh= present
 * exactly when the host has swap or gains it. A drop-in written while swap could not
 * be made (or before the admin added swap) is brought up to date, its MemoryMax= kept. */
static int judge_own_dropin(struct host *h, struct report *r, const struct unit *u, const struct candidate *c,
                            bool *ret_ok) {
        uint64_t max;
        bool high;
        *ret_ok = true;
        if (!own_dropin(u, &max, &high))
                return 0;
        int k = memorymax_high_wanted(h, NULL);
        if (k == 0)
                k = swap_added_this_run(h, r);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || !!k == high)
                return 0;       /* as hostfit writes it, or nothing to judge it by */
        struct unit_memory m;
        unit_memory_get(u, "MemoryMax", &m);
        struct memorymax_data *d = data_new(u->id, &m.set->file, 1);
        if (!d)
                return -ENOMEM;
        d->running = c->running;
        d->rss = c->rss;
        d->max = max;
        *ret_ok = false;
        return report_add(r, STATUS_WARN, u->id, d, memorymax_data_free,
                          high ? "hostfit's drop-in %s sets MemoryHigh= but the host has no swap, so the unit "
                                 "stalls near its limit instead of being killed" :
                                 "hostfit's drop-in %s sets no MemoryHigh= though the host has swap "
                                 "(or swap-missing adds it in this run): it was written when there was none",
                          d->dropin);
}

static int judge(struct host *h, struct report *r, const struct candidate *c, unsigned *n_ok) {
        const struct unit *u = NULL;
        char buf[1536];
        int k = unit_load(h, c->name, &u);
        if (k == -ENOMEM)
                return k;
        if (k < 0 && k != -ENOENT && k != -EINVAL)
                return report_add(r, STATUS_ERROR, c->name, NULL, NULL, "cannot read its unit files: %s", strerror(-k));
        if (k < 0)
                return c->named ? report_add(r, STATUS_WARN, c->name, NULL, NULL,
                                             "named in [unit-memorymax] units= but no unit file defines it") : 0;
        /* A oneshot unit has no long-running process to grow, unless one was seen using memory. */
        const char *type = unit_get(u, "Service", "Type");
        /* A unit systemd refuses to load never runs: its limit is not the problem. */
        if (u->masked || u->bad || (type && strcmp(type, "oneshot") == 0 && !c->running && !c->named))
                return 0;
        const char *why = limit_problem(u, buf, sizeof(buf));
        if (!why && memcg_unenforced(h, c->cgroup)) {
                /* Said, and never counted as a limit: nothing holds the unit to it here. */
                k = report_add(r, STATUS_WARN, u->id, NULL, NULL, "MemoryMax=%s is set, but no memory controller "
                               "enforces it here (%s): the unit may grow without bound", unit_get(u, "Service", "MemoryMax"),
                               memcg_mode(h) == MEMCG_V2 ? "\"memory\" is not in its cgroup.controllers" :
                               "no cgroup memory hierarchy");
                if (k >= 0)
                        finding_set_fix(report_last(r), "enable the memory controller (a container: delegate it; "
                                        "cgroup v1: mount the memory hierarchy)");
                return k < 0 ? k : 0;
        }
        if (!why) {
                bool ok;
                k = judge_own_dropin(h, r, u, c, &ok);
                *n_ok += ok;
                return k < 0 ? k : 0;
        }
        const char *overrider;
        const char *base = dropin_name(u, &overrider);
        const char *const parts[] = { "/etc/systemd/system/", u->id, ".d/", base ? base : MEMORY_DROPIN_NAME };
        struct memorymax_data *d = data_new(u->id, parts, ELEMENTSOF(parts));
        if (!d || (!base && overrider && !(d->overrider = strdup(overrider)))) {
                memorymax_data_free(d);
                return -ENOMEM;
        }
        d->overridden = !base;
        d->running = c->running;
        d->rss = c->rss;
        if (c->cgroup) {
                if (memorymax_measure(h, d, c->cgroup) < 0) {
                        memorymax_data_free(d);
                        return -ENOMEM;
                }
                d->rss = c->rss;
                d->running = c->running;
                d->heap_floor = node_heap_floor(h, c->cgroup);
        }
        d->max = memorymax_config_max(config_get(host_config(h), SECTION, "max"), u->id);
        k = report_add(r, STATUS_FAIL, u->id, d, memorymax_data_free, "%s; its limit goes in %s", why, d->dropin);
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        if (u->fragment)
                finding_add_detail(f, "defined in %s", u->fragment);
        for (size_t i = 0; i < u->n_dropins; i++)
                finding_add_detail(f, "drop-in %s", u->dropins[i]);
        if (c->running)
                finding_add_detail(f, "its processes use %llu MiB resident now", (unsigned long long) (c->rss >> 20));
        else
                finding_add_detail(f, "no process runs in it now");
        if (d->current)
                finding_add_detail(f, "its cgroup uses %llu MiB now (memory.current)", (unsigned long long) (d->current >> 20));
        if (d->peak)
                finding_add_detail(f, "its cgroup used at most %llu MiB (memory.peak)", (unsigned long long) (d->peak >> 20));
        if (d->age > 0)
                finding_add_detail(f, "its oldest process has run %.0f s", d->age);
        if (d->heap_floor)
                finding_add_detail(f, "its node processes were given %llu MiB of heap", (unsigned long long) (d->heap_floor >> 20));
        for (size_t i = 0; i < u->n_issues; i++)
                finding_add_detail(f, "%s:%u: %s", u->issues[i].file, u->issues[i].line, u->issues[i].message);
        return 0;
}

/* What the unit uses: its cgroup's own count where readable, else its processes' RSS. */
static uint64_t cand_usage(struct host *h, const struct candidate *c) {
        uint64_t cur = c->cgroup ? cgroup_number(h, c->cgroup, "memory.current") : 0;
        return cur ? cur : c->rss;
}

static int unit_memorymax_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        struct candidates c = { 0 };
        const struct config *cfg = host_config(h);
        uint64_t threshold = config_get_size(cfg, SECTION, "rss-threshold", DEFAULT_RSS_THRESHOLD);
        unsigned n_ok = 0;
        unsigned n_scope = 0, n_vendor = 0;
        size_t sorted = 0;
        int k = add_local_units(h, r, &c, &sorted);
        bool unreadable = k > 0;
        if (k > 0)
                k = 0;
        if (k == 0)
                k = add_named_units(cfg, &c);
        if (k == 0)
                k = add_running_units(h, &c);
        if (k == 0)
                k = cands_merge(&c, sorted);
        for (size_t i = 0; k == 0 && i < c.n; i++) {
                if (!c.v[i].local && !c.v[i].named && cand_usage(h, &c.v[i]) <= threshold) {
                        n_vendor++;
                        continue;       /* a vendor's unit, and small */
                }
                n_scope++;
                k = judge(h, r, &c.v[i], &n_ok);
        }
        /* What could not be read is not said to pass. */
        if (k == 0 && !unreadable && n_scope == 0)
                k = report_add(r, STATUS_PASS, "", NULL, NULL, "no admin unit, none named; %u vendor service%s "
                               "running, each using %llu MiB or less", n_vendor, n_vendor == 1 ? "" : "s",
                               (unsigned long long) (threshold >> 20));
        else if (k == 0 && !unreadable && n_ok == n_scope)
                k = report_add(r, STATUS_PASS, "", NULL, NULL, "%u service unit%s in scope, each with MemoryMax=",
                               n_ok, n_ok == 1 ? "" : "s");
        cands_free(&c);
        return k;
}

const struct check check_unit_memorymax = {
        .id = "unit-memorymax",
        .title = "Service units set a memory limit (MemoryMax=)",
        .problem = "A service unit sets no memory limit (MemoryMax=)",
        .why = "Without MemoryMax= a leaking service grows until the kernel OOM killer picks a victim, "
               "often another service; with it, the kill stays inside the unit and is logged as such.",
        .severity = SEVERITY_MEDIUM,
        .run = unit_memorymax_run,
        .fix = &fix_memorymax,
};
