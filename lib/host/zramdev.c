/* SPDX-License-Identifier: MIT */
/* zram kernel support and zram-generator's configuration under the root. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "host/zramdev.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define ZRAM_KO_DIR "kernel/drivers/block/zram/"

/* The module file names of zram, as modules.dep and modules.builtin list them. */
static bool is_zram_ko(const char *name, size_t len) {
        static const char *const names[] = { "zram.ko", "zram.ko.xz", "zram.ko.zst", "zram.ko.gz" };
        const char *base = memrchr(name, '/', len);
        base = base ? base + 1 : name;
        size_t blen = len - (size_t) (base - name);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (blen == strlen(names[i]) && memcmp(base, names[i], blen) == 0)
                        return true;
        return false;
}

/* 1 when FILE under lib/modules/REL lists zram.ko as its first field of a line. */
static int list_has_zram(struct host *h, const char *rel, const char *file) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t n = 0;
        if (asprintf(&path, "/lib/modules/%s/%s", rel, file) < 0)
                return -ENOMEM;
        int k = host_fopen(h, path, &f);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        ssize_t len;
        while ((len = getline(&line, &n, f)) > 0) {
                size_t field = strcspn(line, ": \t\n");
                if (is_zram_ko(line, field))
                        return 1;
        }
        return 0;
}

static int release_has_zram(struct host *h, const char *rel) {
        static const char *const exts[] = { "", ".xz", ".zst", ".gz" };
        for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "/lib/modules/%s/" ZRAM_KO_DIR "zram.ko%s", rel, exts[i]) < 0)
                        return -ENOMEM;
                if (host_exists(h, path))
                        return 1;
        }
        int k = list_has_zram(h, rel, "modules.dep");
        if (k != 0)
                return k;
        return list_has_zram(h, rel, "modules.builtin");
}

static bool release_is_safe(const char *rel) {
        return *rel && strcmp(rel, ".") != 0 && strcmp(rel, "..") != 0 && !strchr(rel, '/');
}

/* An image: any kernel under lib/modules with zram. */
static int image_has_zram(struct host *h) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, "/lib/modules", &d);
        if (r < 0)
                return r == -ENOMEM ? r : -ENODATA;
        struct dirent *de;
        unsigned kernels = 0;
        while ((de = readdir(d))) {
                if (!release_is_safe(de->d_name) || de->d_name[0] == '.')
                        continue;
                kernels++;
                int k = release_has_zram(h, de->d_name);
                if (k != 0)
                        return k;
        }
        return kernels ? 0 : -ENODATA;
}

int zram_kernel_support(struct host *h) {
        if (host_exists(h, "/sys/module/zram"))
                return 1;
        if (!host_exists(h, "/proc"))
                return image_has_zram(h);
        if (!host_exists(h, "/sys/module"))
                return -ENODATA;        /* no sysfs here: loaded modules cannot be seen */
        _cleanup_free_ char *rel = NULL;
        size_t len;
        int k = host_read_file(h, "/proc/sys/kernel/osrelease", 256, &rel, &len);
        if (k < 0)
                return k == -ENOMEM ? k : -ENODATA;
        while (len > 0 && (rel[len - 1] == '\n' || rel[len - 1] == ' '))
                rel[--len] = '\0';
        if (!release_is_safe(rel))
                return -ENODATA;
        return release_has_zram(h, rel);
}

/* ---- zram-generator's configuration ---- */

static const char *const generator_paths[] = {
        "/usr/lib/systemd/system-generators/zram-generator",
        "/lib/systemd/system-generators/zram-generator",
};

/* In the generator's order of precedence, highest first. */
static const char *const config_dirs[] = {
        "/run/systemd", "/etc/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd",
};

struct section_state {
        bool named, mount;
        char origin[128];
};

/* N of a "[zramN]" header (N < 64, no sign, no leading zero but "0"); -1 for any other section. */
static int section_device(const char *l) {
        if (strncmp(l, "[zram", 5) != 0)
                return -1;
        const char *d = l + 5;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || n > 2 || (n == 2 && d[0] == '0') || d[n] != ']')
                return -1;
        if (d[n + 1 + strspn(d + n + 1, " \t")] != '\0')
                return -1;
        int v = (int) strtol(d, NULL, 10);
        return v < 64 ? v : -1;
}

/* Apply one file: [zramN] sections and their mount-point. */
static int parse_config(struct host *h, const char *path, struct section_state s[64]) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        int cur = -1, k = host_fopen(h, path, &f);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        while (getline(&line, &n, f) > 0) {
                char *l = line + strspn(line, " \t");
                l[strcspn(l, "\r\n")] = '\0';
                if (*l == '#' || *l == ';' || !*l)
                        continue;
                if (*l == '[') {
                        cur = section_device(l);
                        if (cur >= 0) {
                                s[cur].named = true;
                                snprintf(s[cur].origin, sizeof(s[cur].origin), "%s", path);
                        }
                        continue;
                }
                if (cur < 0 || strncmp(l, "mount-point", 11) != 0)
                        continue;
                char *v = l + 11 + strspn(l + 11, " \t");
                if (*v != '=')
                        continue;
                v += 1 + strspn(v + 1, " \t");
                s[cur].mount = *v != '\0';
        }
        return 0;
}

struct dropin {
        char *path;
        const char *base;       /* within PATH */
        size_t prio;            /* index in config_dirs: lower wins */
};

static int dropin_cmp(const void *a, const void *b) {
        const struct dropin *x = a, *y = b;
        int c = strcmp(x->base, y->base);
        return c ? c : (x->prio > y->prio) - (x->prio < y->prio);
}

static int collect_dropins(struct host *h, size_t prio, struct dropin **list, size_t *n) {
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/zram-generator.conf.d", config_dirs[prio]) < 0)
                return -ENOMEM;
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, dir, &d);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                struct dropin *nl = reallocarray(*list, *n + 1, sizeof(**list));
                if (!nl)
                        return -ENOMEM;
                *list = nl;
                struct dropin *e = &nl[*n];
                if (asprintf(&e->path, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                e->base = e->path + strlen(dir) + 1;
                e->prio = prio;
                (*n)++;
        }
        return 0;
}

/* Drop-ins in file-name order across the directories; a name in a higher
 * directory shadows the same name below. */
static int read_dropins(struct host *h, struct section_state s[64]) {
        struct dropin *list = NULL;
        size_t n = 0;
        int k = 0;
        for (size_t i = 0; i < ELEMENTSOF(config_dirs) && k == 0; i++)
                k = collect_dropins(h, i, &list, &n);
        if (k == 0 && n > 0)
                qsort(list, n, sizeof(*list), dropin_cmp);
        for (size_t i = 0; i < n && k == 0; i++)
                if (i == 0 || strcmp(list[i].base, list[i - 1].base) != 0)
                        k = parse_config(h, list[i].path, s);
        for (size_t i = 0; i < n; i++)
                free(list[i].path);
        free(list);
        return k;
}

int zram_generator_read(struct host *h, struct zram_generator *ret) {
        struct section_state s[64] = {};
        struct zram_generator g = { .swap_device = -1 };
        int k;

        for (size_t i = 0; i < ELEMENTSOF(generator_paths); i++)
                g.installed = g.installed || host_exists(h, generator_paths[i]);
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/zram-generator.conf", config_dirs[i]) < 0)
                        return -ENOMEM;
                if (!host_exists(h, path))
                        continue;
                g.has_files = true;
                if ((k = parse_config(h, path, s)) < 0)
                        return k;
                break;          /* the first main file found wins */
        }
        if ((k = read_dropins(h, s)) < 0)
                return k;
        for (int i = 0; i < 64; i++) {
                if (s[i].origin[0])
                        g.has_files = true;
                if (!s[i].named)
                        continue;
                g.named |= UINT64_C(1) << i;
                if (!s[i].mount && g.swap_device < 0) {
                        g.swap_device = i;
                        snprintf(g.swap_origin, sizeof(g.swap_origin), "%s", s[i].origin);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(config_dirs) && !g.has_files; i++) {
                _cleanup_free_ char *dir = NULL;
                if (asprintf(&dir, "%s/zram-generator.conf.d", config_dirs[i]) < 0)
                        return -ENOMEM;
                g.has_files = host_exists(h, dir);
        }
        *ret = g;
        return 0;
}
