/* SPDX-License-Identifier: MIT */
/* swap-missing: disk-backed swap is active, and comes back at boot. */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/magic.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "host/blockdev.h"
#include "text/grow.h"
#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "swap.h"
#include "swapmgr.h"
#include "apply/swapdev.h"
#include "host/virt.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define UNIT_DIR "/etc/systemd/system"
#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

enum area_found {
        AREA_FOUND,             /* a file path, or a device this root shows */
        AREA_NOT_FOUND,         /* this root shows there is no such device */
        AREA_UNKNOWN,           /* a device this root cannot tell about (an image, no udev links) */
};

/* A swap area hostfit knows of: active (proc/swaps) or configured (fstab, .swap unit). */
struct area {
        char *source;           /* as written: "/swapfile", "UUID=...", "/dev/mapper/vg-swap" */
        char *path;             /* resolved path; NULL for a tag we could not resolve */
        char *dev;              /* a block device: the kernel's name ("dm-1"); NULL for a file */
        const char *origin;     /* "/etc/fstab" or the unit's path */
        uint64_t size;          /* active: bytes */
        bool is_file;           /* active: proc/swaps says "file" */
        bool noauto;            /* configured: fstab options hold noauto */
        enum area_found found;
        bool matched;           /* paired with a configured area that comes back at boot */
        bool matched_noauto;    /* active: paired only with noauto lines */
        const char *manager;    /* configured by a swap manager, not fstab (static) */
        char unit[64];          /* the manager's unit that activates it ("" when none) */
};

struct areas {
        struct area *a;
        size_t n;
};

static void areas_clear(struct areas *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->a[i].source);
                free(s->a[i].path);
                free(s->a[i].dev);
                free((char *) s->a[i].origin);
        }
        free(s->a);
        *s = (struct areas) { 0 };
}

static int areas_push(struct areas *s, const char *source, const char *path, const char *origin,
                      struct area **ret) {
        if (grow_due(s->n)) {
                struct area *na = reallocarray(s->a, grow_cap(s->n), sizeof(*na));
                if (!na)
                        return -ENOMEM;
                s->a = na;
        }
        struct area *a = &s->a[s->n];
        *a = (struct area) {
                .source = strdup(source),
                .path = path ? strdup(path) : NULL,
                .origin = origin ? strdup(origin) : NULL,
        };
        if (!a->source || (path && !a->path) || (origin && !a->origin)) {
                free(a->source);
                free(a->path);
                free((char *) a->origin);
                return -ENOMEM;
        }
        s->n++;
        if (ret)
                *ret = a;
        return 0;
}

static int load_active(struct host *h, struct libmnt_table *swaps, struct areas *active) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(swaps, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                const char *type = mnt_fs_get_swaptype(fs);
                struct area *a;
                if (!src)
                        continue;
                int r = areas_push(active, src, src, NULL, &a);
                if (r < 0)
                        return r;
                a->size = (uint64_t) mnt_fs_get_size(fs) * 1024;
                a->is_file = type && strcmp(type, "file") == 0;
                if (!a->is_file && !swap_is_zram(src)) {
                        r = blockdev_resolve(h, src, &a->dev);
                        if (r == -ENOMEM)
                                return r;
                }
        }
        return 0;
}

/* A configured SOURCE: a file, or a device found (by kernel name) or not. */
static int add_configured(struct host *h, struct areas *conf, const char *source, const char *origin,
                          bool noauto) {
        _cleanup_free_ char *dev = NULL, *path = NULL;
        enum area_found found = AREA_FOUND;
        struct area *a;
        if (swap_is_zram(source))
                return 0;       /* zram-missing's business */
        if (blockdev_is_tag(source) || strncmp(source, "/dev/", 5) == 0) {
                int k = blockdev_resolve(h, source, &dev);
                if (k == -ENOMEM)
                        return k;
                if (k > 0 && strncmp(dev, "zram", 4) == 0)
                        return 0;
                found = k > 0 ? AREA_FOUND : k == 0 ? AREA_NOT_FOUND : AREA_UNKNOWN;
                if (source[0] == '/')
                        path = strdup(source);
                else if (k > 0 && asprintf(&path, "/dev/%s", dev) < 0)
                        path = NULL;
                if (!path && (source[0] == '/' || k > 0))
                        return -ENOMEM;
        } else if (source[0] == '/') {
                if (!(path = strdup(source)))
                        return -ENOMEM;
        } else
                found = AREA_NOT_FOUND;
        int k = areas_push(conf, source, path, origin, &a);
        if (k < 0)
                return k;
        a->dev = TAKE_PTR(dev);
        a->found = found;
        a->noauto = noauto;
        return 0;
}

static int load_fstab(struct host *h, struct libmnt_table *fstab, struct areas *conf) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(fstab, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                if (!src || !mnt_fs_is_swaparea(fs))
                        continue;
                /* Not mnt_fs_match_options(): there "noauto" means "auto is absent". */
                const char *opts = mnt_fs_get_options(fs);
                bool noauto = opts && mnt_optstr_get_option(opts, "noauto", NULL, NULL) == 0;
                int r = add_configured(h, conf, src, "/etc/fstab", noauto);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The What= of a .swap unit; NULL when it has none. */
static char *unit_what(const char *text) {
        for (const char *line = text; line && *line; ) {
                const char *eol = strchrnul(line, '\n');
                if (strncmp(line, "What=", 5) == 0) {
                        const char *v = line + 5;
                        size_t len = (size_t) (eol - v);
                        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r'))
                                len--;
                        return len ? strndup(v, len) : NULL;
                }
                line = *eol ? eol + 1 : NULL;
        }
        return NULL;
}

static int load_units(struct host *h, struct areas *conf) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, UNIT_DIR, &d);
        if (r < 0)
                return r == -ENOMEM ? r : 0;    /* no unit directory: no swap units */
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len <= 5 || strcmp(de->d_name + len - 5, ".swap") != 0)
                        continue;
                _cleanup_free_ char *path = NULL, *text = NULL, *what = NULL;
                if (asprintf(&path, "%s/%s", UNIT_DIR, de->d_name) < 0)
                        return -ENOMEM;
                if (host_read_file(h, path, 1 << 16, &text, NULL) < 0)
                        continue;       /* a dangling or unreadable unit brings nothing back */
                what = unit_what(text);
                if (!what)
                        continue;
                r = add_configured(h, conf, what, path, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Swap files a manager brings up at boot (dphys-swapfile's service, rpi-swap's generator). */
static int load_managers(struct host *h, struct areas *conf, struct swap_managers *m) {
        struct area *a;
        int k = dphys_read(h, &m->dphys);
        if (k == 0)
                k = rpi_swap_read(h, &m->rpi);
        if (k < 0)
                return k;
        if (m->dphys.installed && m->dphys.enabled) {
                if ((k = areas_push(conf, m->dphys.swapfile, m->dphys.swapfile, DPHYS_CONF, &a)) < 0)
                        return k;
                a->manager = "dphys-swapfile";
                snprintf(a->unit, sizeof(a->unit), "%s", DPHYS_UNIT);
        }
        if (m->rpi.installed && m->rpi.mechanism == RPI_SWAPFILE) {
                if ((k = areas_push(conf, m->rpi.path, m->rpi.path, RPI_SWAP_CONF, &a)) < 0)
                        return k;
                a->manager = "rpi-swap";
                swap_unit_name(m->rpi.path, a->unit, sizeof(a->unit));
        }
        return 0;
}

static bool same_area(const struct area *a, const struct area *c) {
        if (a->dev && c->dev)
                return strcmp(a->dev, c->dev) == 0;
        return c->path && strcmp(a->path, c->path) == 0;
}

/* Pair active areas with configured ones: devices by kernel name (/dev/dm-1 is
 * /dev/mapper/vg-swap is UUID=…), files by path. */
static void match_areas(struct areas *active, struct areas *conf) {
        for (size_t i = 0; i < active->n; i++)
                for (size_t j = 0; j < conf->n; j++)
                        if (same_area(&active->a[i], &conf->a[j])) {
                                if (conf->a[j].noauto)
                                        active->a[i].matched_noauto = true;
                                else
                                        active->a[i].matched = true;
                                conf->a[j].matched = true;
                        }
}

static int add_facts(struct report *r, enum status st, const char *subject, struct swap_facts *facts,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_facts(struct report *r, enum status st, const char *subject, struct swap_facts *facts,
                     const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (k < 0) {
                swap_facts_free(facts);
                return -ENOMEM;
        }
        return report_add(r, st, subject, facts, swap_facts_free, "%s", msg);
}

static int new_facts(enum swap_problem problem, uint64_t mem, const char *path, struct swap_facts **ret) {
        struct swap_facts *f = calloc(1, sizeof(*f));
        if (!f || !(f->path = strdup(path))) {
                free(f);
                return -ENOMEM;
        }
        f->problem = problem;
        f->mem_total = mem;
        *ret = f;
        return 0;
}

/* What is at PATH, for a fix that would create or reuse a swapfile there.
 * 1 and *ret set when hostfit may go on; 0 after reporting why it may not. */
static int classify_target(struct host *h, struct report *r, const char *path, enum swap_target_state *ret) {
        struct stat st;
        if (strncmp(path, "/dev/", 5) == 0) {
                *ret = SWAP_TARGET_DEVICE;
                return 1;
        }
        int k = host_stat(h, path, &st);
        if (k == -ENOENT) {
                *ret = SWAP_TARGET_MISSING;
                return 1;
        }
        if (k < 0)
                return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot inspect: %s", strerror(-k));
        bool is_swap = false;
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int fd = host_open_regular(h, path, NULL);
                if (fd < 0)
                        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read: %s", strerror(-fd));
                k = swap_probe_fd(fd, &is_swap);
                if (k < 0)
                        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot probe: %s", strerror(-k));
        }
        if (!is_swap)
                return report_add(r, STATUS_ERROR, path, NULL, NULL,
                                  "exists and is not a swap area; hostfit will not overwrite it "
                                  "(move it, or set [swap] path in %s)", CONFIG_PATH);
        *ret = SWAP_TARGET_SWAP;
        return 1;
}

/* A swap that is configured but not active: swapon it (creating a missing swapfile).
 * On an image nothing is active: only a missing or foreign file is a finding. */
static int report_inactive(struct host *h, struct report *r, const struct area *c, uint64_t mem, bool offline) {
        const char *path = c->path ? c->path : c->source;
        enum swap_target_state target = SWAP_TARGET_DEVICE;
        if (c->path) {
                int k = classify_target(h, r, c->path, &target);
                if (k <= 0)
                        return k;
        }
        if (offline && target != SWAP_TARGET_MISSING)
                return 0;       /* boot activates it */
        struct swap_facts *f;
        int k = new_facts(SWAP_INACTIVE, mem, path, &f);
        if (k < 0)
                return k;
        f->target = target;
        f->in_fstab = true;
        if (offline)
                k = add_facts(r, STATUS_FAIL, c->source, f, "configured in %s, but the file does not exist",
                              c->origin);
        else
                k = add_facts(r, STATUS_WARN, c->source, f, "configured in %s but not active%s", c->origin,
                              target == SWAP_TARGET_MISSING ? " (the file does not exist)" : "");
        return k < 0 ? k : 1;
}

/* A manager's swap file, enabled but not active now: its unit activates it. */
static int report_managed_inactive(struct report *r, const struct area *c, uint64_t mem) {
        struct swap_facts *f;
        int k = new_facts(SWAP_MANAGED_INACTIVE, mem, c->path, &f);
        if (k < 0)
                return k;
        f->target = SWAP_TARGET_DEVICE;
        f->manager = c->manager;
        snprintf(f->unit_buf, sizeof(f->unit_buf), "%s", c->unit);
        f->unit = f->unit_buf[0] ? f->unit_buf : NULL;
        k = add_facts(r, STATUS_WARN, c->source, f, "configured by %s (%s) but not active", c->manager, c->origin);
        return k < 0 ? k : 1;
}

static int report_none(struct host *h, struct report *r, uint64_t mem, uint64_t swap_bytes, bool zram,
                       const struct rpi_swap *rpi, bool offline) {
        const char *path = config_get(host_config(h), "swap", "path");
        char a[32], b[32];
        enum swap_target_state target;
        struct statfs sf;
        if (!path)
                path = host_statfs(h, "/", &sf) == 0 && ((unsigned long) sf.f_type & 0xffffffffUL) == BTRFS_SUPER_MAGIC
                               ? SWAPFILE_BTRFS_PATH : SWAPFILE_DEFAULT_PATH;
        int k = classify_target(h, r, path, &target);
        if (k <= 0)
                return k;
        struct swap_facts *f;
        k = new_facts(zram ? SWAP_ZRAM_ONLY : SWAP_NONE, mem, path, &f);
        if (k < 0)
                return k;
        f->target = target;
        char note[400];
        const char *why = rpi_zram_note(rpi, note, sizeof(note));
        if (*why)
                f->manager = "rpi-swap";
        if (offline)
                return add_facts(r, STATUS_FAIL, "swap", f, "none configured: no line in /etc/fstab and no .swap "
                                 "unit brings swap up at boot%s", why);
        if (zram)
                return add_facts(r, STATUS_WARN, "swap", f,
                                 "only zram swap is active (compressed RAM, not disk-backed); %s RAM, %s swap%s",
                                 swap_format_size(mem, a), swap_format_size(swap_bytes, b), why);
        return add_facts(r, STATUS_FAIL, "swap", f, "no swap; %s RAM, %s swap%s",
                         swap_format_size(mem, a), swap_format_size(swap_bytes, b), why);
}

/* Configured devices this root cannot tell about (tags on an image or a
 * foreign root): assume they are the active devices nothing else explains. */
static void note_unresolved(struct areas *active, struct areas *conf, bool *ret_any) {
        bool any = false;
        for (size_t j = 0; j < conf->n; j++)
                any = any || (conf->a[j].found == AREA_UNKNOWN && !conf->a[j].matched && !conf->a[j].noauto);
        *ret_any = any;
        if (!any)
                return;
        for (size_t i = 0; i < active->n; i++)
                if (!active->a[i].matched && !active->a[i].is_file && !swap_is_zram(active->a[i].path))
                        active->a[i].matched = true;
        for (size_t j = 0; j < conf->n; j++)
                if (conf->a[j].found == AREA_UNKNOWN && !conf->a[j].noauto)
                        conf->a[j].matched = true;
}

/* Active, but nothing (or only a noauto line) brings it back at boot. */
static int report_not_persistent(struct host *h, struct report *r, const struct area *a, uint64_t mem) {
        struct swap_facts *f;
        int k = new_facts(SWAP_NOT_PERSISTENT, mem, a->path, &f);
        if (k < 0)
                return k;
        f->target = a->is_file ? SWAP_TARGET_SWAP : SWAP_TARGET_DEVICE;
        f->in_fstab = f->noauto = a->matched_noauto;
        if (a->dev && (k = blockdev_fstab_source(h, a->dev, &f->fstab_source)) < 0) {
                swap_facts_free(f);
                return k;
        }
        if (a->matched_noauto)
                return add_facts(r, STATUS_WARN, a->path, f,
                                 "active, but its line in /etc/fstab has noauto: it is lost at reboot");
        if (f->fstab_source && strcmp(f->fstab_source, a->path) != 0)
                return add_facts(r, STATUS_WARN, a->path, f, "active but not in /etc/fstab or a .swap unit "
                                 "(as %s or otherwise): it is lost at reboot", f->fstab_source);
        return add_facts(r, STATUS_WARN, a->path, f,
                         "active but not in /etc/fstab or a .swap unit: it is lost at reboot");
}

/* A configured device that is not there, or a noauto line: no swap at boot from it. */
static int report_configured_problem(struct report *r, const struct area *c, enum swap_problem problem,
                                     enum status st, uint64_t mem) {
        struct swap_facts *f;
        int k = new_facts(problem, mem, c->path ? c->path : c->source, &f);
        if (k < 0)
                return k;
        f->target = SWAP_TARGET_DEVICE;
        f->in_fstab = strcmp(c->origin, "/etc/fstab") == 0;
        f->noauto = c->noauto;
        if (!(f->source = strdup(c->source))) {
                swap_facts_free(f);
                return -ENOMEM;
        }
        if (problem == SWAP_NOAUTO)
                return add_facts(r, st, c->source, f, "configured swap has noauto in %s: it does not come up "
                                 "at boot, and no other swap is active", c->origin);
        const char *what = blockdev_is_tag(c->source) ? "no device has this tag" : "no such device";
        return add_facts(r, st, c->source, f, "configured swap not found: %s (%s)%s", what, c->origin,
                         st == STATUS_FAIL ? "; no swap is active" : "; boot waits for it");
}

static int evaluate(struct host *h, struct report *r, uint64_t mem, struct areas *active, struct areas *conf,
                    const struct swap_managers *m, bool offline) {
        uint64_t swap_bytes = 0;
        size_t n_disk = 0, n_zram = 0, n_warn = 0, n_boot = 0;
        const struct area *noauto = NULL;
        bool unresolved = false;
        int k;

        match_areas(active, conf);
        note_unresolved(active, conf, &unresolved);
        for (size_t i = 0; i < active->n; i++) {
                swap_bytes += active->a[i].size;
                if (swap_is_zram(active->a[i].path))
                        n_zram++;
                else
                        n_disk++;
        }
        for (size_t i = 0; i < active->n; i++) {
                struct area *a = &active->a[i];
                if (a->matched || swap_is_zram(a->path))
                        continue;
                if ((k = report_not_persistent(h, r, a, mem)) < 0)
                        return k;
                n_warn++;
        }
        for (size_t j = 0; j < conf->n; j++) {
                const struct area *c = &conf->a[j];
                if (c->noauto) {
                        noauto = noauto ? noauto : c;
                        continue;
                }
                if (c->found == AREA_NOT_FOUND) {
                        k = report_configured_problem(r, c, SWAP_NOT_FOUND, n_disk ? STATUS_WARN : STATUS_FAIL, mem);
                        if (k < 0)
                                return k;
                        n_warn++;
                        continue;
                }
                n_boot++;
                if (c->matched || (c->manager && offline))
                        continue;       /* a manager makes its file at boot */
                k = c->manager ? report_managed_inactive(r, c, mem) : report_inactive(h, r, c, mem, offline);
                if (k < 0)
                        return k;
                n_warn += k > 0;
        }
        if (n_warn == 0 && m->dphys.enabled && (k = swap_report_dphys_size(h, r, &m->dphys, mem)) != 0) {
                if (k < 0)
                        return k;
                n_warn++;
        }
        if (n_warn > 0 || (report_last(r) && report_last(r)->status == STATUS_ERROR))
                return 0;
        if (n_disk == 0 && n_boot == 0 && noauto)
                return report_configured_problem(r, noauto, SWAP_NOAUTO, STATUS_FAIL, mem);
        if (n_disk == 0 && n_boot == 0)
                return report_none(h, r, mem, swap_bytes, n_zram > 0, &m->rpi, offline);
        char a[32], b[32];
        if (offline)
                return report_add(r, STATUS_PASS, "swap", NULL, NULL, "%zu area%s configured to come up at boot",
                                  n_boot, n_boot == 1 ? "" : "s");
        if (n_disk == 0)
                return 0;
        k = report_add(r, STATUS_PASS, "swap", NULL, NULL, "%s RAM, %s swap (%zu area%s, all configured)",
                       swap_format_size(mem, a), swap_format_size(swap_bytes, b),
                       active->n, active->n == 1 ? "" : "s");
        if (k == 0 && unresolved && report_last(r))
                k = finding_add_detail(report_last(r), "sources given as tags (UUID=, LABEL=) could not be "
                                       "looked up under this root (no udev links): assumed to be the active ones");
        return k;
}

/* The RAM the swap is for: this system's, or on an image [image] memory (0: unknown). */
static int swap_memory(struct host *h, struct report *r, bool offline, uint64_t *ret) {
        const struct host_meminfo *m;
        if (offline) {
                *ret = config_get_size(host_config(h), IMAGE_SECTION, IMAGE_MEMORY_KEY, 0);
                return 1;
        }
        int k = host_meminfo(h, &m);
        if (k < 0)
                return swap_report_read_error(h, r, "/proc/meminfo", k);
        *ret = m->mem_total;
        return 1;
}

static int swap_missing_run(struct host *h, struct report *r) {
        struct libmnt_table *swaps = NULL, *fstab;
        bool offline = host_offline(h);
        uint64_t mem = 0;
        int k;

        if ((k = check_skip_in_container(h, r)) != 0)
                return k < 0 ? k : 0;
        if ((k = swap_memory(h, r, offline, &mem)) <= 0)
                return k;
        if (!offline && (k = host_swaps(h, &swaps)) < 0)
                return swap_report_read_error(h, r, "/proc/swaps", k);
        if ((k = host_fstab(h, &fstab)) < 0)
                return swap_report_read_error(h, r, "/etc/fstab", k);

        struct areas active = { 0 }, conf = { 0 };
        struct swap_managers m;
        k = swaps ? load_active(h, swaps, &active) : 0;
        if (k == 0)
                k = load_fstab(h, fstab, &conf);
        if (k == 0)
                k = load_units(h, &conf);
        if (k == 0)
                k = load_managers(h, &conf, &m);
        if (k == 0)
                k = evaluate(h, r, mem, &active, &conf, &m, offline);
        areas_clear(&active);
        areas_clear(&conf);
        return k;
}

const struct check check_swap_missing = {
        .id = "swap-missing",
        .title = "Disk-backed swap is active and comes back at boot",
        .problem = "Disk-backed swap is missing or does not come back at boot",
        .why = "Without swap the first memory spike goes straight to the OOM killer, "
               "which kills a service without a word in its own log. Swap areas are matched by "
               "device (/dev/dm-1 is /dev/mapper/vg-swap is its UUID=); an fstab tag that matches "
               "no device and a noauto line bring nothing back at boot. A swap file dphys-swapfile "
               "or rpi-swap makes is theirs: configured, sized in their own config, never put in fstab. Skipped inside a container "
               "(swap belongs to the host); on an offline image (--root without /proc), what boot "
               "brings up is checked, sized from [swap] size or [image] memory.",
        .severity = SEVERITY_HIGH,
        .run = swap_missing_run,
        .fix = &fix_swapfile,
};
