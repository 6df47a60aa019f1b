/* SPDX-License-Identifier: MIT */
/* Swap files: allocation on a filesystem that can swap, the signature mkswap
 * would write, and a libblkid probe to prove it. Called by apply only. */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"
#include "apply/swapdev.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe);

#ifndef ZFS_SUPER_MAGIC
#define ZFS_SUPER_MAGIC 0x2fc12fc1
#endif
#ifndef CIFS_SUPER_MAGIC
#define CIFS_SUPER_MAGIC 0xff534d42
#endif
#ifndef SMB2_SUPER_MAGIC
#define SMB2_SUPER_MAGIC 0xfe534d42
#endif

/* util-linux's struct swap_header_v1_2, as the kernel reads it. */
struct swap_header {
        char bootbits[1024];
        uint32_t version;
        uint32_t last_page;
        uint32_t nr_badpages;
        unsigned char uuid[16];
        char volume_name[16];
        uint32_t padding[117];
        uint32_t badpages[1];
};

int swap_probe_fd(int fd, bool *ret_is_swap) {
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        char *types[] = { (char *) "swap", NULL };
        if (blkid_probe_enable_superblocks(pr, 1) < 0 ||
            blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, types) < 0)
                return -EIO;
        int r = blkid_do_safeprobe(pr);
        if (r < 0)
                return r == -2 ? -EUCLEAN : -EIO;
        const char *type = NULL;
        *ret_is_swap = r == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 &&
                       type && strcmp(type, "swap") == 0;
        return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off) {
        const char *p = buf;
        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                off += n;
                len -= (size_t) n;
        }
        return 0;
}

int swap_write_signature(int fd, uint64_t size) {
        long pagesize = sysconf(_SC_PAGESIZE);
        if (pagesize < (long) sizeof(struct swap_header))
                return -EINVAL;
        uint64_t pages = size / (uint64_t) pagesize;
        if (pages < SWAP_MIN_PAGES || pages - 1 > UINT32_MAX)
                return -EINVAL;
        _cleanup_free_ char *page = calloc(1, (size_t) pagesize);
        if (!page)
                return -ENOMEM;
        struct swap_header *h = (struct swap_header *) page;
        h->version = 1;
        h->last_page = (uint32_t) (pages - 1);
        h->nr_badpages = 0;
        if (getrandom(h->uuid, sizeof(h->uuid), 0) != (ssize_t) sizeof(h->uuid))
                return -EIO;
        h->uuid[6] = (h->uuid[6] & 0x0f) | 0x40;        /* version 4: random */
        h->uuid[8] = (h->uuid[8] & 0x3f) | 0x80;        /* RFC 4122 variant */
        memcpy(page + pagesize - 10, "SWAPSPACE2", 10);
        return pwrite_all(fd, page, (size_t) pagesize, 0);
}

const char *swapfile_fs_refusal(long magic) {
        switch ((unsigned long) magic & 0xffffffffUL) {
        case TMPFS_MAGIC:
        case RAMFS_MAGIC:
                return "it lives in memory, so swap there frees nothing; use zram instead";
        case OVERLAYFS_SUPER_MAGIC:
                return "the kernel cannot swap to a file on overlayfs; use zram or a file on the underlying filesystem";
        case ZFS_SUPER_MAGIC:
                return "swap files on ZFS can deadlock under memory pressure; use zram or a swap partition";
        case NFS_SUPER_MAGIC:
        case CIFS_SUPER_MAGIC:
        case SMB2_SUPER_MAGIC:
                return "swap over a network filesystem stalls when the network does; use zram or local disk";
        case SQUASHFS_MAGIC:
                return "the filesystem is read-only; use zram or a writable local filesystem";
        default:
                return NULL;
        }
}

static plan_progress_fn progress_fn;
static void *progress_userdata;

void plan_apply_progress(plan_progress_fn fn, void *userdata) {
        progress_fn = fn;
        progress_userdata = userdata;
}

/* Zero-filling gigabytes takes a while: say how far it got, and stop between
 * chunks when a signal came (-EINTR; the caller removes or repairs the file). */
static int write_zeros(int fd, uint64_t size, const char *path) {
        const size_t chunk = 1u << 20;
        _cleanup_free_ char *zero = calloc(1, chunk);
        if (!zero)
                return -ENOMEM;
        int r = 0;
        apply_defer_signals(true);
        for (uint64_t off = 0; off < size; off += chunk) {
                if (apply_interrupted()) {
                        r = -EINTR;
                        break;
                }
                size_t n = size - off < chunk ? (size_t) (size - off) : chunk;
                r = pwrite_all(fd, zero, n, (off_t) off);
                if (r < 0)
                        break;
                if (progress_fn && ((off + n) % (64u << 20) == 0 || off + n == size))
                        progress_fn(progress_userdata, path, off + n, size);
        }
        apply_defer_signals(false);
        return r;
}

static int allocate(int fd, long magic, uint64_t size, const char *path, struct strbuf *msg) {
        if ((unsigned long) magic == BTRFS_SUPER_MAGIC) {
                /* Copy-on-write would move the extents under the swap code; set nocow while empty. */
                int flags = 0;
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
                    (flags |= FS_NOCOW_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)) {
                        int r = -errno;
                        strbuf_addf(msg, "cannot set nocow on the new file (btrfs): %s", strerror(-r));
                        return r;
                }
        }
        if (fallocate(fd, 0, 0, (off_t) size) == 0)
                return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS) {
                int r = -errno;
                strbuf_addf(msg, "cannot allocate %llu bytes: %s", (unsigned long long) size, strerror(-r));
                return r;
        }
        int r = write_zeros(fd, size, path);
        if (r == -EINTR)
                strbuf_addf(msg, "interrupted while writing %s; the unfinished file is removed", path);
        else if (r < 0)
                strbuf_addf(msg, "cannot write %llu bytes: %s", (unsigned long long) size, strerror(-r));
        return r;
}

static int finish(int fd, uint64_t size, struct strbuf *msg) {
        int r = swap_write_signature(fd, size);
        if (r < 0) {
                strbuf_addf(msg, "cannot write the swap signature: %s", strerror(-r));
                return r;
        }
        if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot sync: %s", strerror(-r));
                return r;
        }
        bool is_swap = false;
        r = swap_probe_fd(fd, &is_swap);
        if (r < 0 || !is_swap) {
                strbuf_adds(msg, "libblkid does not see the new swap signature");
                return r < 0 ? r : -EIO;
        }
        return 0;
}

#define SELINUX_SWAPFILE_DEFAULT "system_u:object_r:swapfile_t:s0"

/* A small text file under ROOT_FD (no symlink followed at its end), NUL-terminated. */
static char *read_small(int root_fd, const char *rel, size_t max) {
        _cleanup_close_ int fd = openat(root_fd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return NULL;
        char *buf = malloc(max + 1);
        if (!buf)
                return NULL;
        ssize_t n = read(fd, buf, max);
        if (n < 0) {
                free(buf);
                return NULL;
        }
        buf[n] = '\0';
        return buf;
}

/* KEY=VALUE of /etc/selinux/config (first word of VALUE) into BUF; "" when absent. */
static void selinux_config_get(const char *text, const char *key, char *buf, size_t size) {
        size_t klen = strlen(key);
        buf[0] = '\0';
        for (const char *l = text; l && *l; ) {
                l += strspn(l, " \t");
                if (strncmp(l, key, klen) == 0 && l[klen] == '=') {
                        size_t n = strcspn(l + klen + 1, " \t\r\n#");
                        snprintf(buf, size, "%.*s", (int) (n < size ? n : size - 1), l + klen + 1);
                }
                l = strchr(l, '\n');
                l = l ? l + 1 : NULL;
        }
}

/* The context a file_contexts line gives swapfile_t ("/swapfile -- system_u:object_r:swapfile_t:s0"). */
static void policy_swapfile_context(const char *fc, char *buf, size_t size) {
        for (const char *l = fc; l && *l; ) {
                const char *eol = strchrnul(l, '\n');
                const char *t = memmem(l, (size_t) (eol - l), ":swapfile_t", 11);
                if (t && *l != '#') {
                        const char *start = t;
                        while (start > l && start[-1] != ' ' && start[-1] != '\t')
                                start--;
                        size_t n = strcspn(start, " \t\r\n");
                        if (n < size && strncmp(start, "<<none>>", 8) != 0) {
                                snprintf(buf, size, "%.*s", (int) n, start);
                                return;
                        }
                }
                l = *eol ? eol + 1 : NULL;
        }
}

int swapfile_selinux_context(int root_fd, char *buf, size_t size) {
        _cleanup_free_ char *conf = read_small(root_fd, "etc/selinux/config", 1 << 16);
        char mode[32] = "", type[64] = "";
        struct stat st;
        if (conf) {
                selinux_config_get(conf, "SELINUX", mode, sizeof(mode));
                selinux_config_get(conf, "SELINUXTYPE", type, sizeof(type));
        }
        bool live = fstatat(root_fd, "sys/fs/selinux/enforce", &st, 0) == 0;
        bool image = strcmp(mode, "enforcing") == 0 || strcmp(mode, "permissive") == 0;
        if (!live && !image)
                return 0;
        snprintf(buf, size, "%s", SELINUX_SWAPFILE_DEFAULT);
        /* semanage fcontext -a -t swapfile_t writes file_contexts.local; the policy's own rules after it. */
        static const char *const files[] = { "file_contexts.local", "file_contexts" };
        for (size_t i = 0; i < ELEMENTSOF(files) && type[0] && !strchr(type, '/') && type[0] != '.'; i++) {
                char rel[160];
                snprintf(rel, sizeof(rel), "etc/selinux/%s/contexts/files/%s", type, files[i]);
                _cleanup_free_ char *fc = read_small(root_fd, rel, 8 << 20);
                if (fc && (policy_swapfile_context(fc, buf, size), strcmp(buf, SELINUX_SWAPFILE_DEFAULT) != 0))
                        break;
        }
        return 1;
}

/* swapon refuses a swapfile without swapfile_t where SELinux enforces. */
static int label(int root_fd, int fd, const char *path, struct strbuf *msg) {
        char ctx[256];
        if (swapfile_selinux_context(root_fd, ctx, sizeof(ctx)) <= 0)
                return 0;
        if (fsetxattr(fd, "security.selinux", ctx, strlen(ctx) + 1, 0) == 0)
                return 0;
        int r = -errno;
        strbuf_addf(msg, "cannot label %s %s for SELinux: %s", path, ctx, strerror(-r));
        return r;
}

static int create_in(int root_fd, int dirfd, const char *path, const char *name, long magic, uint64_t size,
                     struct strbuf *msg) {
        char tmp[NAME_MAX + 1];
        _cleanup_close_ int fd = apply_tmpfile(dirfd, name, tmp, sizeof(tmp));
        if (fd < 0) {
                strbuf_addf(msg, "cannot create a temporary file next to %s: %s", path, strerror(-fd));
                return fd;
        }
        int r = allocate(fd, magic, size, path, msg);
        if (r == 0)
                r = finish(fd, size, msg);
        if (r == 0)
                r = label(root_fd, fd, path, msg);
        if (r == 0 && renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot rename the new swap file to %s: %s", path, strerror(-r));
        }
        if (r < 0) {
                apply_tmpfile_done(dirfd, tmp, true);
                return r;
        }
        apply_tmpfile_done(dirfd, tmp, false);
        if (fsync(dirfd) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot sync the directory of %s: %s", path, strerror(-r));
                return r;
        }
        return 0;
}

int swapfile_create(int root_fd, int dirfd, const char *path, const char *name, uint64_t size, struct strbuf *msg) {
        long pagesize = sysconf(_SC_PAGESIZE);
        size -= size % (uint64_t) pagesize;
        if (size / (uint64_t) pagesize < SWAP_MIN_PAGES) {
                strbuf_addf(msg, "%s: a swap file needs at least %d pages", path, SWAP_MIN_PAGES);
                return -EINVAL;
        }
        struct statfs sfs;
        if (fstatfs(dirfd, &sfs) < 0) {
                int r = -errno;
                strbuf_addf(msg, "cannot statfs the directory of %s: %s", path, strerror(-r));
                return r;
        }
        const char *why = swapfile_fs_refusal((long) sfs.f_type);
        if (why) {
                strbuf_addf(msg, "refusing to create swap file %s: %s", path, why);
                return -EOPNOTSUPP;
        }
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                strbuf_addf(msg, "refusing to create swap file %s: it already exists", path);
                return -EEXIST;
        }
        return create_in(root_fd, dirfd, path, name, (long) sfs.f_type, size, msg);
}

int swapfile_rewrite(int fd, uint64_t size, const char *path) {
        int r = write_zeros(fd, size, path);
        if (r < 0 && r != -EINTR)
                return r;
        /* Interrupted or not, the file keeps a swap signature: never a half-made swap area. */
        int k = swap_write_signature(fd, size);
        if (k < 0)
                return k;
        if (fsync(fd) < 0)
                return -errno;
        return r;
}
