/* SPDX-License-Identifier: MIT */
/* Swap and zram managers that are not fstab: what each sets up, from its own files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host.h"
#include "swapmgr.h"
#include "text/cleanup.h"
#include "text/strbuf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define MiB (UINT64_C(1) << 20)
#define CONF_MAX (1 << 16)

/* The targets a swap manager's [Install] section names, in /etc and the vendor directory. */
static const char *const wants_dirs[] = {
        "/etc/systemd/system/multi-user.target.wants", "/etc/systemd/system/swap.target.wants",
        "/etc/systemd/system/sysinit.target.wants", "/etc/systemd/system/local-fs.target.wants",
        "/usr/lib/systemd/system/multi-user.target.wants", "/lib/systemd/system/multi-user.target.wants",
};

/* UNIT is linked into a .wants/ directory and not masked in /etc. */
static bool unit_enabled(struct host *h, const char *unit) {
        _cleanup_free_ char *mask = NULL;
        char buf[16];
        if (asprintf(&mask, "/etc/systemd/system/%s", unit) < 0)
                return false;
        ssize_t n = readlinkat(host_root_fd(h), mask + 1, buf, sizeof(buf) - 1);
        if (n > 0 && (size_t) n < sizeof(buf) - 1) {
                buf[n] = '\0';
                if (strcmp(buf, "/dev/null") == 0)
                        return false;
        }
        for (size_t i = 0; i < ELEMENTSOF(wants_dirs); i++) {
                _cleanup_free_ char *link = NULL;
                if (asprintf(&link, "%s/%s", wants_dirs[i], unit) < 0)
                        return false;
                struct stat st;
                if (fstatat(host_root_fd(h), link + 1, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return true;
        }
        return false;
}

/* An init script NAME started in a runlevel: rc2.d/S01NAME … rc5.d/, or rcS.d/. */
static bool initscript_enabled(struct host *h, const char *name) {
        static const char *const dirs[] = { "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rcS.d" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(closedirp) DIR *d = NULL;
                if (host_opendir(h, dirs[i], &d) < 0)
                        continue;
                struct dirent *de;
                while ((de = readdir(d)))
                        if (de->d_name[0] == 'S' && strspn(de->d_name + 1, "0123456789") == 2 &&
                            strcmp(de->d_name + 3, name) == 0)
                                return true;
        }
        return false;
}

/* A plain "VALUE", 'VALUE' or VALUE, then blanks or a comment. 1 with *ret set; 0 when it is shell. */
static int shell_value(const char *v, char *ret, size_t size) {
        char q = (*v == '"' || *v == '\'') ? *v++ : 0;
        size_t n = strcspn(v, q ? (q == '"' ? "\"$`\\" : "'") : " \t#;$`\\\"'(){}|&<>");
        if (n >= size || (q && v[n] != q))
                return 0;
        const char *rest = v + n + (q ? 1 : 0);
        rest += strspn(rest, " \t");
        if (*rest && *rest != '#')
                return 0;
        memcpy(ret, v, n);
        ret[n] = '\0';
        return 1;
}

/* "12", "0.5": thousandths; -1 when it is not a plain non-negative decimal. */
static long long parse_milli(const char *s) {
        char *end;
        errno = 0;
        long long whole = strtoll(s, &end, 10);
        if (errno || end == s || whole < 0 || whole > 1000000 || *s == '-' || *s == '+')
                return -1;
        long long frac = 0, scale = 100;
        if (*end == '.')
                for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
                        frac += (*end - '0') * scale;
        return *end ? -1 : whole * 1000 + frac;
}

static int dphys_set(struct dphys *d, const char *name, const char *value) {
        if (strcmp(name, "CONF_SWAPFILE") == 0) {
                if (value[0] != '/' || strlen(value) >= sizeof(d->swapfile))
                        return 0;
                snprintf(d->swapfile, sizeof(d->swapfile), "%s", value);
                return 1;
        }
        long long milli = *value ? parse_milli(value) : -2;
        if (milli == -1 || (milli >= 0 && milli % 1000 && strcmp(name, "CONF_SWAPFACTOR") != 0))
                return 0;
        if (strcmp(name, "CONF_SWAPSIZE") == 0)
                d->swapsize = milli < 0 ? -1 : milli / 1000;
        else if (strcmp(name, "CONF_MAXSWAP") == 0)
                d->maxswap = milli < 0 ? -1 : milli / 1000;
        else if (strcmp(name, "CONF_SWAPFACTOR") == 0)
                return milli >= 0 ? (d->factor_milli = milli, 1) : 0;
        else if (strcmp(name, "CONF_MAXDISK_PCT") == 0)
                d->maxdisk = milli >= 0;
        return 1;
}

/* One line of the sourced file: a comment, blank, or NAME=plain value. 0 for anything else. */
static int dphys_line(struct dphys *d, char *l) {
        l += strspn(l, " \t");
        l[strcspn(l, "\r\n")] = '\0';
        if (!*l || *l == '#')
                return 1;
        size_t n = strspn(l, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        if (n == 0 || l[n] != '=' || n >= 64)
                return 0;
        char name[64], value[256];
        memcpy(name, l, n);
        name[n] = '\0';
        if (!shell_value(l + n + 1, value, sizeof(value)))
                return 0;
        return strncmp(name, "CONF_", 5) == 0 ? dphys_set(d, name, value) : 1;
}

int dphys_read(struct host *h, struct dphys *ret) {
        struct dphys d = { .swapsize = -1, .factor_milli = 2000, .maxswap = 2048, .maxdisk = true, .plain = true };
        snprintf(d.swapfile, sizeof(d.swapfile), "%s", DPHYS_DEFAULT_FILE);
        d.installed = host_exists(h, "/sbin/dphys-swapfile") || host_exists(h, "/usr/sbin/dphys-swapfile");
        if (!d.installed) {
                *ret = d;
                return 0;
        }
        d.enabled = unit_enabled(h, DPHYS_UNIT) || initscript_enabled(h, "dphys-swapfile");
        _cleanup_free_ char *text = NULL;
        int k = host_read_file(h, DPHYS_CONF, CONF_MAX, &text, NULL);
        if (k == -ENOMEM)
                return k;
        for (char *l = k < 0 ? NULL : text; l && *l; ) {
                char *eol = strchrnul(l, '\n');
                bool last = !*eol;
                *eol = '\0';
                if (!dphys_line(&d, l))
                        d.plain = false;
                l = last ? NULL : eol + 1;
        }
        *ret = d;
        return 0;
}

uint64_t dphys_effective_mib(const struct dphys *d, uint64_t mem_total, uint64_t avail) {
        uint64_t mib = d->swapsize >= 0 ? (uint64_t) d->swapsize
                       : (mem_total / 1024 / 1024 + 10) * (uint64_t) d->factor_milli / 1000;
        if (d->maxdisk && mib > avail / 1024 / 2048)
                mib = avail / 1024 / 2048;
        if (d->maxswap >= 0 && mib > (uint64_t) d->maxswap)
                mib = (uint64_t) d->maxswap;
        return mib;
}

/* TEXT with NAME=VALUE set: on its last assignment line, else after its
 * commented default ("#NAME="), else at the end. */
static int set_assignment(struct strbuf *text, const char *name, const char *value) {
        size_t nlen = strlen(name), at = text->len, cut = 0;
        bool found = false;
        for (const char *l = text->buf; l && *l; ) {
                const char *s = l + strspn(l, " \t");
                const char *eol = strchr(l, '\n');
                size_t end = eol ? (size_t) (eol + 1 - text->buf) : text->len;
                if (strncmp(s, name, nlen) == 0 && s[nlen] == '=') {
                        at = (size_t) (l - text->buf);
                        cut = end - at;
                        found = true;
                } else if (!found && *s == '#' && strncmp(s + 1, name, nlen) == 0 && s[1 + nlen] == '=' && eol)
                        at = end, cut = 0;
                l = eol ? eol + 1 : NULL;
        }
        _cleanup_strbuf_ struct strbuf out = STRBUF_INIT;
        int k = strbuf_add(&out, text->buf ? text->buf : "", at);
        if (k == 0 && out.len > 0 && out.buf[out.len - 1] != '\n')
                k = strbuf_addch(&out, '\n');
        if (k == 0)
                k = strbuf_addf(&out, "%s=%s\n", name, value);
        if (k == 0)
                k = strbuf_add(&out, text->buf ? text->buf + at + cut : "", text->len - at - cut);
        if (k < 0)
                return k;
        strbuf_release(text);
        *text = out;
        out = (struct strbuf) STRBUF_INIT;
        return 0;
}

int dphys_config_raise(const struct dphys *d, const char *old, size_t len, uint64_t mib, char **ret,
                       size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        char v[24];
        if (memchr(old ? old : "", '\0', old ? len : 0))
                return -EBADMSG;
        int k = strbuf_add(&sb, old ? old : "", old ? len : 0);
        snprintf(v, sizeof(v), "%llu", (unsigned long long) mib);
        if (k == 0)
                k = set_assignment(&sb, "CONF_SWAPSIZE", v);
        if (k == 0 && d->maxswap >= 0 && (uint64_t) d->maxswap < mib)
                k = set_assignment(&sb, "CONF_MAXSWAP", v);
        if (k < 0)
                return k;
        *ret = strbuf_detach(&sb, ret_len);
        return *ret ? 0 : -ENOMEM;
}

/* ---- rpi-swap ---- */

const char *rpi_mechanism_name(enum rpi_mechanism m) {
        static const char *const names[] = {
                [RPI_NONE] = "none", [RPI_SWAPFILE] = "swapfile", [RPI_ZRAM] = "zram", [RPI_ZRAM_FILE] = "zram+file",
        };
        return names[m];
}

/* Mechanism= and Path= of one INI file (systemd's syntax: [Section], Key=Value). */
static int rpi_parse(struct host *h, const char *path, struct rpi_swap *r) {
        _cleanup_free_ char *text = NULL;
        int k = host_read_file(h, path, CONF_MAX, &text, NULL);
        if (k < 0)
                return k == -ENOMEM ? k : 0;
        char section[16] = "";
        for (char *l = text; l && *l; ) {
                char *eol = strchrnul(l, '\n');
                char *next = *eol ? eol + 1 : NULL;
                *eol = '\0';
                l += strspn(l, " \t");
                size_t n = strlen(l);
                while (n > 0 && strchr(" \t\r", l[n - 1]))
                        l[--n] = '\0';
                if (*l == '[')
                        snprintf(section, sizeof(section), "%.*s", (int) strcspn(l + 1, "]"), l + 1);
                else if (strcmp(section, "Main") == 0 && strncmp(l, "Mechanism=", 10) == 0) {
                        static const enum rpi_mechanism by[] = { RPI_SWAPFILE, RPI_ZRAM, RPI_ZRAM_FILE, RPI_NONE };
                        static const char *const names[] = { "swapfile", "zram", "zram+file", "none" };
                        r->mechanism = RPI_ZRAM_FILE;   /* auto, and anything it does not know */
                        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                                if (strcmp(l + 10, names[i]) == 0)
                                        r->mechanism = by[i];
                } else if (strcmp(section, "File") == 0 && strncmp(l, "Path=", 5) == 0 && l[5] == '/')
                        snprintf(r->path, sizeof(r->path), "%s", l + 5);
                l = next;
        }
        return 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The drop-ins of swap.conf.d/ in /usr/lib/rpi then /etc/rpi, by name; /etc's shadow /usr/lib's. */
static int rpi_dropins(struct host *h, struct rpi_swap *r) {
        static const char *const dirs[] = { "/etc/rpi/swap.conf.d", "/usr/lib/rpi/swap.conf.d" };
        char *names[128];
        size_t n = 0;
        int k = 0;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(closedirp) DIR *d = NULL;
                if (host_opendir(h, dirs[i], &d) < 0)
                        continue;
                struct dirent *de;
                while ((de = readdir(d)) && n < ELEMENTSOF(names)) {
                        size_t len = strlen(de->d_name);
                        if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                                continue;
                        if (asprintf(&names[n], "%s\t%s", de->d_name, dirs[i]) < 0)
                                goto out;
                        n++;
                }
        }
        qsort(names, n, sizeof(*names), name_cmp);
        for (size_t i = 0; i < n && k == 0; i++) {
                size_t base = strcspn(names[i], "\t");
                if (i > 0 && strncmp(names[i], names[i - 1], base + 1) == 0)
                        continue;       /* "/etc" sorts before "/usr": the first one wins */
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%.*s", names[i] + base + 1, (int) base, names[i]) < 0)
                        k = -ENOMEM;
                else
                        k = rpi_parse(h, path, r);
        }
out:
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return k;
}

int rpi_swap_read(struct host *h, struct rpi_swap *ret) {
        struct rpi_swap r = { .mechanism = RPI_ZRAM_FILE };
        snprintf(r.path, sizeof(r.path), "%s", DPHYS_DEFAULT_FILE);
        r.installed = host_exists(h, "/usr/lib/systemd/system-generators/rpi-swap-generator") ||
                      host_exists(h, "/lib/systemd/system-generators/rpi-swap-generator");
        int k = 0;
        if (r.installed) {
                k = rpi_parse(h, host_exists(h, RPI_SWAP_CONF) ? RPI_SWAP_CONF : "/usr/lib/rpi/swap.conf", &r);
                if (k == 0)
                        k = rpi_dropins(h, &r);
        }
        *ret = r;
        return k;
}

void swap_unit_name(const char *path, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = '\0';
        if (path[0] != '/' || strlen(path) + 6 >= size || strstr(path, "//") || strstr(path, "/."))
                return;
        for (const char *p = path + 1; *p; p++) {
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./", *p)) {
                        buf[0] = '\0';
                        return;
                }
                buf[n++] = *p == '/' ? '-' : *p;
        }
        if (n == 0 || buf[n - 1] == '-') {
                buf[0] = '\0';
                return;
        }
        memcpy(buf + n, ".swap", 6);
}

bool zram_tools_enabled(struct host *h) {
        return host_exists(h, "/usr/sbin/zramswap") && unit_enabled(h, ZRAM_TOOLS_UNIT);
}

bool zswap_enabled(struct host *h) {
        _cleanup_free_ char *v = NULL;
        if (host_read_file(h, "/sys/module/zswap/parameters/enabled", 64, &v, NULL) < 0)
                return false;
        return v[0] == 'Y' || v[0] == '1';
}
