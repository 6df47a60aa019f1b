/* unit-memorymax: a service unit, with its drop-ins, sets no effective MemoryMax=. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "fixes.h"
#include "proctree.h"
#include "unit-findings.h"
#include "units.h"
#include "virt.h"

#define SECTION "unit-memorymax"
#define DEFAULT_RSS_THRESHOLD (256ULL << 20)

void memorymax_data_free(void *p) {
        struct memorymax_data *d = p;
        if (d) {
                free(d->unit);
                free(d->dropin);
        }
        free(d);
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

struct candidate {
        char *name;
        uint64_t rss;           /* summed over its processes */
        bool named;             /* listed in the config */
};

struct candidates {
        struct candidate *v;
        size_t n;
};

static struct candidate *cand_add(struct candidates *c, const char *name) {
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].name, name) == 0)
                        return &c->v[i];
        struct candidate *n = realloc(c->v, (c->n + 1) * sizeof(*n));
        if (!n)
                return NULL;
        c->v = n;
        n[c->n] = (struct candidate) { strdup(name), 0, false };
        return n[c->n].name ? &n[c->n++] : NULL;
}

static void cands_free(struct candidates *c) {
        for (size_t i = 0; i < c->n; i++)
                free(c->v[i].name);
        free(c->v);
}

/* Units defined by the admin: under /etc and /usr/local; the vendor's own are left alone. */
static int add_local_units(struct host *h, struct candidates *c) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/local/lib/systemd/system" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                char **v = NULL;
                int r = units_list_dir(h, dirs[i], ".service", &v);
                if (r == -ENOMEM)
                        return r;
                for (size_t j = 0; r >= 0 && v && v[j]; j++)
                        if (!cand_add(c, v[j]))
                                r = -ENOMEM;
                strv_free(v);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

/* Units whose processes are big, and the RSS of every candidate. */
static int add_big_units(struct host *h, struct candidates *c, uint64_t threshold) {
        const struct proc_table *t;
        if (host_procs(h, &t) < 0)
                return 0;       /* no process table: the unit files still say enough */
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *p = &t->procs[i];
                _cleanup_free_ char *unit = NULL;
                if (p->kthread || !proc_in_service(p) || proc_cgroup_unit(p, &unit) < 0)
                        continue;
                if (p->cgroup && strstr(p->cgroup, "/user@"))
                        continue;       /* a user manager's unit: not a system unit file */
                struct candidate *k = NULL;
                for (size_t j = 0; j < c->n && !k; j++)
                        if (strcmp(c->v[j].name, unit) == 0)
                                k = &c->v[j];
                if (!k && p->rss_bytes > threshold)
                        k = cand_add(c, unit);
                if (k)
                        k->rss += p->rss_bytes;
        }
        return 0;
}

static int add_named_units(const struct config *cfg, struct candidates *c) {
        _cleanup_free_ char *list = config_get(cfg, SECTION, "units") ? strdup(config_get(cfg, SECTION, "units")) : NULL;
        for (char *save = NULL, *w = list ? strtok_r(list, " \t,", &save) : NULL; w; w = strtok_r(NULL, " \t,", &save)) {
                struct candidate *k = cand_add(c, w);
                if (!k)
                        return -ENOMEM;
                k->named = true;
        }
        return 0;
}

/* Why U has no effective limit, or NULL when it has one. */
static const char *limit_problem(const struct unit *u, char *buf, size_t size) {
        const struct unit_assignment *a = unit_get_assignment(u, "Service", "MemoryMax");
        switch (unit_memory_setting(u, "MemoryMax", NULL)) {
        case UNIT_LIMIT_BYTES:
        case UNIT_LIMIT_PERCENT:
                return NULL;
        case UNIT_LIMIT_INFINITY:
                snprintf(buf, size, "MemoryMax=infinity (%s:%u)", a->file, a->line);
                return buf;
        case UNIT_LIMIT_INVALID:
                snprintf(buf, size, "MemoryMax=%s is not a valid size (%s:%u), systemd ignores it",
                         a->value, a->file, a->line);
                return buf;
        case UNIT_LIMIT_UNSET:
                break;
        }
        enum unit_limit old = unit_memory_setting(u, "MemoryLimit", NULL);
        if (old == UNIT_LIMIT_BYTES || old == UNIT_LIMIT_PERCENT) {
                a = unit_get_assignment(u, "Service", "MemoryLimit");
                snprintf(buf, size, "only the deprecated MemoryLimit= (%s:%u), which the unified cgroup "
                         "hierarchy does not enforce; no MemoryMax=", a->file, a->line);
                return buf;
        }
        return "no MemoryMax=";
}

/* Our drop-in must sort after every drop-in that sets a memory limit, or it changes nothing.
 * NULL when even the last name we would use loses (then only a manual edit helps). */
static const char *dropin_name(const struct unit *u) {
        static const char *const names[] = { "50-hostfit-memory.conf", "90-hostfit-memory.conf", "zz-hostfit-memory.conf" };
        const char *last = "";
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                const char *base = strrchr(a->file, '/') + 1;
                if ((!u->fragment || strcmp(a->file, u->fragment) != 0) && strcmp(a->section, "Service") == 0 &&
                    (strcmp(a->key, "MemoryMax") == 0 || strcmp(a->key, "MemoryHigh") == 0) && strcmp(base, last) > 0 &&
                    !strstr(base, "hostfit-memory.conf"))
                        last = base;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(names[i], last) > 0)
                        return names[i];
        return NULL;
}

static int judge(struct host *h, struct report *r, const struct candidate *c, unsigned *n_ok) {
        _cleanup_(unit_freep) struct unit *u = NULL;
        char buf[1024];
        int k = unit_load(h, c->name, &u);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return c->named ? report_add(r, STATUS_WARN, c->name, NULL, NULL,
                                             "%s is named in [unit-memorymax] units= but no unit file defines it", c->name) : 0;
        /* A oneshot unit has no long-running process to grow, unless one was seen using memory. */
        const char *type = unit_get(u, "Service", "Type");
        if (u->masked || (type && strcmp(type, "oneshot") == 0 && !c->rss && !c->named))
                return 0;
        const char *why = limit_problem(u, buf, sizeof(buf));
        if (!why) {
                (*n_ok)++;
                return 0;
        }
        struct memorymax_data *d = calloc(1, sizeof(*d));
        const char *base = dropin_name(u);
        if (!d || !(d->unit = strdup(u->id)) ||
            asprintf(&d->dropin, "/etc/systemd/system/%s.d/%s", u->id, base ? base : "50-hostfit-memory.conf") < 0) {
                memorymax_data_free(d);
                return -ENOMEM;
        }
        d->overridden = !base;
        d->rss = c->rss;
        d->max = memorymax_config_max(config_get(host_config(h), SECTION, "max"), u->id);
        const char *where = d->dropin;
        k = report_add(r, STATUS_FAIL, u->id, d, memorymax_data_free,
                       "%s: %s; its limit goes in %s", u->id, why, where);
        if (k < 0)
                return k;
        struct finding *f = report_last(r);
        if (u->fragment)
                finding_add_detail(f, "defined in %s", u->fragment);
        for (size_t i = 0; i < u->n_dropins; i++)
                finding_add_detail(f, "drop-in %s", u->dropins[i]);
        if (c->rss)
                finding_add_detail(f, "its processes use %llu MiB now", (unsigned long long) (c->rss >> 20));
        for (size_t i = 0; i < u->n_issues; i++)
                finding_add_detail(f, "%s:%u: %s", u->issues[i].file, u->issues[i].line, u->issues[i].message);
        return 0;
}

static int unit_memorymax_run(struct host *h, struct report *r) {
        int skip;
        if ((skip = check_skip_unless_systemd(h, r)) != 0)
                return skip < 0 ? skip : 0;
        struct candidates c = { 0 };
        const struct config *cfg = host_config(h);
        uint64_t threshold = config_get_size(cfg, SECTION, "rss-threshold", DEFAULT_RSS_THRESHOLD);
        unsigned n_ok = 0;
        int k = add_local_units(h, &c);
        if (k == 0)
                k = add_named_units(cfg, &c);
        if (k == 0)
                k = add_big_units(h, &c, threshold);
        for (size_t i = 0; k == 0 && i < c.n; i++)
                k = judge(h, r, &c.v[i], &n_ok);
        if (k == 0 && n_ok + 0 == c.n)
                k = report_add(r, STATUS_PASS, "", NULL, NULL, "%u service unit%s in scope, each with MemoryMax=",
                               n_ok, n_ok == 1 ? "" : "s");
        cands_free(&c);
        return k;
}

const struct check check_unit_memorymax = {
        .id = "unit-memorymax",
        .title = "Service units set a memory limit (MemoryMax=)",
        .why = "Without MemoryMax= a leaking service grows until the kernel OOM killer picks a victim, "
               "often another service; with it, the kill stays inside the unit and is logged as such.",
        .severity = SEVERITY_MEDIUM,
        .run = unit_memorymax_run,
        .fix = &fix_memorymax,
};
