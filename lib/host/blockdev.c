/* SPDX-License-Identifier: MIT */
/* Block device names under the root (see blockdev.h). */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "host/blockdev.h"
#include "text/cleanup.h"
#include "host/host.h"
#include "text/strbuf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

#define LINKS_MAX 16

static const struct {
        const char *tag;        /* as in fstab, with its '=' */
        const char *dir;        /* udev's links for it */
} tags[] = {
        { "UUID=",      "/dev/disk/by-uuid/" },
        { "LABEL=",     "/dev/disk/by-label/" },
        { "PARTUUID=",  "/dev/disk/by-partuuid/" },
        { "PARTLABEL=", "/dev/disk/by-partlabel/" },
};

bool blockdev_is_tag(const char *source) {
        for (size_t i = 0; i < ELEMENTSOF(tags); i++)
                if (strncmp(source, tags[i].tag, strlen(tags[i].tag)) == 0)
                        return true;
        return false;
}

/* DIR joined with TARGET ("../dm-1"), with "." and ".." folded; never above "/". */
static char *path_join_normalize(const char *dir, const char *target) {
        _cleanup_free_ char *joined = NULL;
        if (asprintf(&joined, "%s/%s", target[0] == '/' ? "" : dir, target) < 0)
                return NULL;
        char *out = malloc(strlen(joined) + 2);
        if (!out)
                return NULL;
        size_t len = 0;
        for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--;
                        continue;
                }
                out[len++] = '/';
                size_t l = strlen(c);
                memcpy(out + len, c, l);
                len += l;
        }
        if (len == 0)
                out[len++] = '/';
        out[len] = '\0';
        return out;
}

/* Follow the symlinks of PATH inside the root. *ret: the last path reached
 * (set also on -ENOENT, the path that is missing). 0 with *ret_st, or -errno. */
static int follow_links(struct host *h, const char *path, char **ret, struct stat *ret_st) {
        _cleanup_free_ char *cur = strdup(path);
        if (!cur)
                return -ENOMEM;
        for (int i = 0; i < LINKS_MAX; i++) {
                struct stat st;
                int k = host_stat(h, cur, &st);
                if (k < 0 || !S_ISLNK(st.st_mode)) {
                        if (k == 0)
                                *ret_st = st;
                        *ret = TAKE_PTR(cur);
                        return k;
                }
                _cleanup_free_ char *target = NULL;
                k = host_readlink(h, cur, &target);
                if (k < 0)
                        return k;
                *strrchr(cur, '/') = '\0';
                char *next = path_join_normalize(*cur ? cur : "/", target);
                if (!next)
                        return -ENOMEM;
                free(cur);
                cur = next;
        }
        return -ELOOP;
}

static bool sysfs_present(struct host *h) {
        return host_exists(h, "/sys/class/block") || host_exists(h, "/sys/block");
}

static char *read_line(struct host *h, const char *path) {
        char *s = NULL;
        size_t len;
        if (host_read_file(h, path, 4096, &s, &len) < 0)
                return NULL;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        return s;
}

/* The dm-N whose dm/name is DMNAME: 1, 0 when none, -ENODATA without sysfs. */
static int dm_by_name(struct host *h, const char *dmname, char **ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, "/sys/block", &d);
        if (r < 0)
                return r == -ENOMEM ? r : -ENODATA;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, "dm-", 3) != 0)
                        continue;
                _cleanup_free_ char *p = NULL, *name = NULL;
                if (asprintf(&p, "/sys/block/%s/dm/name", de->d_name) < 0)
                        return -ENOMEM;
                name = read_line(h, p);
                if (name && strcmp(name, dmname) == 0) {
                        char *s = strdup(de->d_name);
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        return 1;
                }
        }
        return 0;
}

/* "/dev/VG/LV" is device-mapper's VG-LV, with each '-' in a name doubled. */
static char *lvm_dm_name(const char *vg, size_t vg_len, const char *lv) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < vg_len; i++)
                if ((vg[i] == '-' && strbuf_addch(&sb, '-') < 0) || strbuf_addch(&sb, vg[i]) < 0)
                        return NULL;
        if (strbuf_addch(&sb, '-') < 0)
                return NULL;
        for (const char *s = lv; *s; s++)
                if ((*s == '-' && strbuf_addch(&sb, '-') < 0) || strbuf_addch(&sb, *s) < 0)
                        return NULL;
        return strbuf_detach(&sb, NULL);
}

/* The kernel name of the device at PATH (links already followed). */
static int name_from_path(struct host *h, const char *path, const struct stat *st, char **ret) {
        if (st && S_ISBLK(st->st_mode)) {
                _cleanup_free_ char *sys = NULL, *target = NULL;
                if (asprintf(&sys, "/sys/dev/block/%u:%u", major(st->st_rdev), minor(st->st_rdev)) < 0)
                        return -ENOMEM;
                if (host_readlink(h, sys, &target) == 0) {
                        const char *base = strrchr(target, '/');
                        char *s = strdup(base ? base + 1 : target);
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        return 1;
                }
        }
        if (strncmp(path, "/dev/", 5) != 0)
                return 0;
        const char *rest = path + 5;
        if (strncmp(rest, "mapper/", 7) == 0 && rest[7] && !strchr(rest + 7, '/'))
                return dm_by_name(h, rest + 7, ret);
        const char *slash = strchr(rest, '/');
        if (!slash) {
                _cleanup_free_ char *sys = NULL;
                if (!*rest)
                        return 0;
                if (asprintf(&sys, "/sys/class/block/%s", rest) < 0)
                        return -ENOMEM;
                /* Without sysfs nothing contradicts the name: keep it. */
                if (!(st && S_ISBLK(st->st_mode)) && !host_exists(h, sys) && sysfs_present(h))
                        return 0;
                char *s = strdup(rest);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 1;
        }
        if (slash > rest && slash[1] && !strchr(slash + 1, '/')) {
                _cleanup_free_ char *dm = lvm_dm_name(rest, (size_t) (slash - rest), slash + 1);
                if (!dm)
                        return -ENOMEM;
                return dm_by_name(h, dm, ret);
        }
        return 0;
}

static int resolve_path(struct host *h, const char *path, char **ret) {
        _cleanup_free_ char *final = NULL;
        struct stat st;
        int k = follow_links(h, path, &final, &st);
        if (k == -ENOMEM || (k < 0 && !final))
                return k == -ENOMEM ? k : 0;
        return name_from_path(h, final, k == 0 ? &st : NULL, ret);
}

/* udev's encoding of a tag value in a by-* link name: bytes outside its safe set as \xHH. */
static char *udev_encode(const char *value) {
        static const char safe[] = "#+-.:=@_";
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        for (const unsigned char *s = (const unsigned char *) value; *s; s++) {
                int k = (s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'z') ||
                        (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 0x80) || strchr(safe, s[0])
                        ? strbuf_addch(&sb, (char) s[0]) : strbuf_addf(&sb, "\\x%02x", s[0]);
                if (k < 0)
                        return NULL;
        }
        return strbuf_detach(&sb, NULL);
}

static int resolve_tag(struct host *h, const char *source, char **ret) {
        size_t t = 0;
        while (strncmp(source, tags[t].tag, strlen(tags[t].tag)) != 0)
                t++;
        _cleanup_free_ char *value = strdup(source + strlen(tags[t].tag));
        if (!value)
                return -ENOMEM;
        size_t vlen = strlen(value);
        if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0]) {
                memmove(value, value + 1, vlen - 2);
                value[vlen - 2] = '\0';
        }
        if (!*value || strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
                return 0;
        _cleanup_free_ char *enc = udev_encode(value), *link = NULL;
        if (!enc || asprintf(&link, "%s%s", tags[t].dir, enc) < 0)
                return -ENOMEM;
        int k = resolve_path(h, link, ret);
        if (k != 0)
                return k;
        if (host_is_live(h)) {
                _cleanup_free_ char *tag = strndup(tags[t].tag, strlen(tags[t].tag) - 1);
                if (!tag)
                        return -ENOMEM;
                _cleanup_free_ char *dev = blkid_evaluate_tag(tag, value, NULL);
                if (dev)
                        return resolve_path(h, dev, ret);
                return 0;
        }
        return host_exists(h, tags[t].dir) ? 0 : -ENODATA;
}

int blockdev_resolve(struct host *h, const char *source, char **ret_name) {
        if (blockdev_is_tag(source))
                return resolve_tag(h, source, ret_name);
        if (strncmp(source, "/dev/", 5) != 0)
                return 0;
        return resolve_path(h, source, ret_name);
}

/* The UUID under ROOT/dev/disk/by-uuid whose link leads to NAME; NULL when none. */
static int uuid_from_links(struct host *h, const char *name, char **ret) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, "/dev/disk/by-uuid", &d);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strchr(de->d_name, '\\'))
                        continue;
                _cleanup_free_ char *link = NULL, *n = NULL;
                if (asprintf(&link, "/dev/disk/by-uuid/%s", de->d_name) < 0)
                        return -ENOMEM;
                int k = resolve_path(h, link, &n);
                if (k < 0 && k != -ENODATA)
                        return k;
                if (k > 0 && strcmp(n, name) == 0) {
                        char *s = strdup(de->d_name);
                        if (!s)
                                return -ENOMEM;
                        *ret = s;
                        return 1;
                }
        }
        return 0;
}

/* The running system only: the UUID libblkid probes on /dev/NAME. */
static char *uuid_from_blkid(const char *name) {
        _cleanup_free_ char *dev = NULL;
        if (asprintf(&dev, "/dev/%s", name) < 0)
                return NULL;
        blkid_probe pr = blkid_new_probe_from_filename(dev);
        if (!pr)
                return NULL;
        char *uuid = NULL;
        const char *v;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_UUID);
        if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
                uuid = strdup(v);
        blkid_free_probe(pr);
        return uuid;
}

static bool uuid_is_plain(const char *s) {
        return *s && strspn(s, "0123456789abcdefABCDEF-") == strlen(s);
}

int blockdev_fstab_source(struct host *h, const char *name, char **ret) {
        if (strchr(name, '/') || !*name)
                return -EINVAL;
        if (strncmp(name, "dm-", 3) == 0) {
                _cleanup_free_ char *p = NULL, *dm = NULL;
                if (asprintf(&p, "/sys/block/%s/dm/name", name) < 0)
                        return -ENOMEM;
                dm = read_line(h, p);
                if (dm && *dm && !strchr(dm, '/'))
                        return asprintf(ret, "/dev/mapper/%s", dm) < 0 ? -ENOMEM : 0;
        }
        _cleanup_free_ char *uuid = NULL;
        int k = uuid_from_links(h, name, &uuid);
        if (k < 0)
                return k;
        if (k == 0 && host_is_live(h))
                uuid = uuid_from_blkid(name);
        if (uuid && uuid_is_plain(uuid))
                return asprintf(ret, "UUID=%s", uuid) < 0 ? -ENOMEM : 0;
        return asprintf(ret, "/dev/%s", name) < 0 ? -ENOMEM : 0;
}
