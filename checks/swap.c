/* swap-missing: disk-backed swap is active, and comes back at boot. */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "fixes.h"
#include "swap.h"
#include "swapdev.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define UNIT_DIR "/etc/systemd/system"
#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

const char *swap_format_size(uint64_t bytes, char buf[static 32]) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        size_t u = 0;
        uint64_t div = 1;
        while (u + 1 < ELEMENTSOF(units) && bytes >= div * 1024) {
                div *= 1024;
                u++;
        }
        if (u == 0 || bytes % div == 0)
                snprintf(buf, 32, "%llu %s", (unsigned long long) (bytes / div), units[u]);
        else
                snprintf(buf, 32, "%.1f %s", (double) bytes / (double) div, units[u]);
        return buf;
}

bool swap_is_zram(const char *path) {
        if (!path || strncmp(path, "/dev/zram", 9) != 0 || !path[9])
                return false;
        return strspn(path + 9, "0123456789") == strlen(path + 9);
}

uint64_t swapfile_size_auto(uint64_t mem_total, uint64_t fs_free) {
        uint64_t size;
        if (mem_total < 4 * GiB)
                size = mem_total;
        else if (mem_total <= 16 * GiB)
                size = 4 * GiB;
        else
                size = (uint64_t) llround(sqrt((double) mem_total / (double) GiB)) * GiB;
        if (size > 2 * mem_total)
                size = 2 * mem_total;
        if (size > fs_free / 4)
                size = fs_free / 4;
        return size / MiB * MiB;
}

uint64_t zram_size_auto(uint64_t mem_total) {
        uint64_t size = mem_total / 2;
        if (size > 4 * GiB)
                size = 4 * GiB;
        return size / MiB * MiB;
}

void swap_facts_free(void *p) {
        struct swap_facts *f = p;
        if (!f)
                return;
        free(f->path);
        free(f);
}

/* A swap area hostfit knows of: active (proc/swaps) or configured (fstab, .swap unit). */
struct area {
        char *source;           /* as written: "/swapfile", "UUID=..." */
        char *path;             /* resolved path; NULL for a tag we could not resolve */
        const char *origin;     /* "/etc/fstab" or the unit's path */
        uint64_t size;          /* active: bytes */
        bool is_file;           /* active: proc/swaps says "file" */
        bool matched;
};

struct areas {
        struct area *a;
        size_t n;
};

static void areas_clear(struct areas *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->a[i].source);
                free(s->a[i].path);
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

static int load_active(struct libmnt_table *swaps, struct areas *active) {
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
        }
        return 0;
}

/* Resolve SOURCE ("UUID=...", a /dev/disk/by-* link) to a device: on the running system only. */
static char *resolve_source(struct host *h, const char *source, blkid_cache *cache) {
        if (host_is_live(h)) {
                char *dev = blkid_evaluate_spec(source, cache);
                if (dev)
                        return dev;
        }
        return source[0] == '/' ? strdup(source) : NULL;
}

static int add_configured(struct host *h, struct areas *conf, const char *source, const char *origin,
                          blkid_cache *cache) {
        _cleanup_free_ char *path = resolve_source(h, source, cache);
        if (!path && source[0] == '/')
                return -ENOMEM;
        if (swap_is_zram(path))
                return 0;       /* zram-missing's business */
        return areas_push(conf, source, path, origin, NULL);
}

static int load_fstab(struct host *h, struct libmnt_table *fstab, struct areas *conf, blkid_cache *cache) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(fstab, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                if (!src || !mnt_fs_is_swaparea(fs))
                        continue;
                int r = add_configured(h, conf, src, "/etc/fstab", cache);
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

static int load_units(struct host *h, struct areas *conf, blkid_cache *cache) {
        int dfd = host_open_file(h, UNIT_DIR, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return 0;       /* no unit directory: no swap units */
        _cleanup_(closedirp) DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return -errno;
        }
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
                int r = add_configured(h, conf, what, path, cache);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Pair active areas with configured ones by path. */
static void match_areas(struct areas *active, struct areas *conf) {
        for (size_t i = 0; i < active->n; i++)
                for (size_t j = 0; j < conf->n; j++)
                        if (conf->a[j].path && strcmp(active->a[i].path, conf->a[j].path) == 0) {
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
                return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot inspect %s: %s", path, strerror(-k));
        bool is_swap = false;
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int fd = host_open_file(h, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0)
                        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read %s: %s",
                                          path, strerror(-fd));
                k = swap_probe_fd(fd, &is_swap);
                if (k < 0)
                        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot probe %s: %s",
                                          path, strerror(-k));
        }
        if (!is_swap)
                return report_add(r, STATUS_ERROR, path, NULL, NULL,
                                  "%s exists and is not a swap area; hostfit will not overwrite it "
                                  "(move it, or set [swap] path in %s)", path, CONFIG_PATH);
        *ret = SWAP_TARGET_SWAP;
        return 1;
}

static bool fstab_has(const struct areas *conf, const char *path) {
        for (size_t i = 0; i < conf->n; i++)
                if (conf->a[i].path && strcmp(conf->a[i].path, path) == 0 &&
                    strcmp(conf->a[i].origin, "/etc/fstab") == 0)
                        return true;
        return false;
}

/* A swap that is configured but not active: swapon it (creating a missing swapfile). */
static int report_inactive(struct host *h, struct report *r, const struct area *c, uint64_t mem) {
        const char *path = c->path ? c->path : c->source;
        enum swap_target_state target = SWAP_TARGET_DEVICE;
        if (c->path) {
                int k = classify_target(h, r, c->path, &target);
                if (k <= 0)
                        return k;
        }
        struct swap_facts *f;
        int k = new_facts(SWAP_INACTIVE, mem, path, &f);
        if (k < 0)
                return k;
        f->target = target;
        f->in_fstab = true;
        return add_facts(r, STATUS_WARN, c->source, f, "%s is configured in %s but not active%s",
                         c->source, c->origin,
                         target == SWAP_TARGET_MISSING ? " (the file does not exist)" : "");
}

static int report_none(struct host *h, struct report *r, uint64_t mem, uint64_t swap_bytes, bool zram) {
        const char *path = config_get(host_config(h), "swap", "path");
        char a[32], b[32];
        enum swap_target_state target;
        if (!path)
                path = SWAPFILE_DEFAULT_PATH;
        int k = classify_target(h, r, path, &target);
        if (k <= 0)
                return k;
        struct swap_facts *f;
        k = new_facts(zram ? SWAP_ZRAM_ONLY : SWAP_NONE, mem, path, &f);
        if (k < 0)
                return k;
        f->target = target;
        if (zram)
                return add_facts(r, STATUS_WARN, path, f,
                                 "only zram swap is active (compressed RAM, not disk-backed); %s RAM, %s swap",
                                 swap_format_size(mem, a), swap_format_size(swap_bytes, b));
        return add_facts(r, STATUS_FAIL, path, f, "no swap; %s RAM, %s swap",
                         swap_format_size(mem, a), swap_format_size(swap_bytes, b));
}

int swap_report_read_error(struct host *h, struct report *r, const char *path, int err) {
        struct stat st;
        if (err == -ENOMEM)
                return err;
        /* libmount reads a directory as a stream that fails with EINVAL: name the real cause. */
        if (host_stat(h, path, &st) == 0 && S_ISDIR(st.st_mode))
                err = -EISDIR;
        char buf[128];
        const char *why = err == -ENODATA ? "MemTotal is missing or malformed" : host_read_error(h, path, err, buf, sizeof(buf));
        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read %s: %s", path, why);
}

/* Say which configured areas could not be matched, and assume the best of them. */
static void note_unresolved(struct areas *active, struct areas *conf, bool *ret_any) {
        bool any = false;
        for (size_t j = 0; j < conf->n; j++)
                any = any || !conf->a[j].path;
        *ret_any = any;
        if (!any)
                return;
        for (size_t i = 0; i < active->n; i++)
                if (!active->a[i].matched && !active->a[i].is_file && !swap_is_zram(active->a[i].path))
                        active->a[i].matched = true;
        for (size_t j = 0; j < conf->n; j++)
                if (!conf->a[j].path)
                        conf->a[j].matched = true;
}

static int evaluate(struct host *h, struct report *r, uint64_t mem, struct areas *active, struct areas *conf) {
        uint64_t swap_bytes = 0;
        size_t n_disk = 0, n_zram = 0, n_warn = 0;
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
                struct swap_facts *f;
                if ((k = new_facts(SWAP_NOT_PERSISTENT, mem, a->path, &f)) < 0)
                        return k;
                f->target = a->is_file ? SWAP_TARGET_SWAP : SWAP_TARGET_DEVICE;
                f->in_fstab = fstab_has(conf, a->path);
                k = add_facts(r, STATUS_WARN, a->path, f,
                              "%s is active but not in /etc/fstab or a .swap unit: it is lost at reboot", a->path);
                if (k < 0)
                        return k;
                n_warn++;
        }
        for (size_t j = 0; j < conf->n; j++) {
                if (conf->a[j].matched)
                        continue;
                if ((k = report_inactive(h, r, &conf->a[j], mem)) < 0)
                        return k;
                n_warn++;
        }
        if (n_disk == 0 && conf->n == 0)
                return report_none(h, r, mem, swap_bytes, n_zram > 0);
        if (n_warn > 0 || n_disk == 0)
                return 0;
        char a[32], b[32];
        k = report_add(r, STATUS_PASS, "", NULL, NULL, "%s RAM, %s swap (%zu area%s, all configured)",
                       swap_format_size(mem, a), swap_format_size(swap_bytes, b),
                       active->n, active->n == 1 ? "" : "s");
        if (k == 0 && unresolved && report_last(r))
                k = finding_add_detail(report_last(r), "sources given as tags (UUID=, LABEL=) were not "
                                       "probed: this is not the running system; assumed to be the active ones");
        return k;
}

static int swap_missing_run(struct host *h, struct report *r) {
        const struct host_meminfo *m;
        struct libmnt_table *swaps, *fstab;
        int k;

        if ((k = host_meminfo(h, &m)) < 0)
                return swap_report_read_error(h, r, "/proc/meminfo", k);
        if ((k = host_swaps(h, &swaps)) < 0)
                return swap_report_read_error(h, r, "/proc/swaps", k);
        if ((k = host_fstab(h, &fstab)) < 0)
                return swap_report_read_error(h, r, "/etc/fstab", k);

        struct areas active = { 0 }, conf = { 0 };
        blkid_cache cache = NULL;
        k = load_active(swaps, &active);
        if (k == 0)
                k = load_fstab(h, fstab, &conf, &cache);
        if (k == 0)
                k = load_units(h, &conf, &cache);
        if (k == 0)
                k = evaluate(h, r, m->mem_total, &active, &conf);
        if (cache)
                blkid_put_cache(cache);
        areas_clear(&active);
        areas_clear(&conf);
        return k;
}

const struct check check_swap_missing = {
        .id = "swap-missing",
        .title = "Disk-backed swap is active and comes back at boot",
        .why = "Without swap the first memory spike goes straight to the OOM killer, "
               "which kills a service without a word in its own log.",
        .severity = SEVERITY_HIGH,
        .run = swap_missing_run,
        .fix = &fix_swapfile,
};
