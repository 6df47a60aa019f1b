/* SPDX-License-Identifier: MIT */
/* btrfs subvolumes: the home of a swapfile on btrfs (a swapfile stops every
 * snapshot of its subvolume, btrfs(5) "Swapfile support"), made and destroyed
 * with the kernel's ioctls (linux/btrfs.h), as btrfs subvolume create/delete
 * do. Called by apply only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"

static int vol_args(const char *name, struct btrfs_ioctl_vol_args *args) {
        memset(args, 0, sizeof(*args));
        if (!*name || strchr(name, '/') || strlen(name) > BTRFS_PATH_NAME_MAX ||
            strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        memcpy(args->name, name, strlen(name));
        return 0;
}

int btrfs_subvolume_create(int dfd, const char *path, const char *name, mode_t mode, struct strbuf *msg) {
        struct btrfs_ioctl_vol_args args;
        struct statfs sf;
        int r = vol_args(name, &args);
        if (r < 0) {
                strbuf_addf(msg, "invalid subvolume name in %s", path);
                return r;
        }
        if (fstatfs(dfd, &sf) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot inspect the filesystem of %s: %s", path, strerror(-r));
                return r;
        }
        if (((unsigned long) sf.f_type & 0xffffffffUL) != BTRFS_SUPER_MAGIC) {
                strbuf_addf(msg, "no subvolume %s: its parent is not on btrfs (filesystem 0x%lx)", path,
                            (unsigned long) sf.f_type & 0xffffffffUL);
                return -ENOTTY;
        }
        if (ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot create the btrfs subvolume %s: %s", path, strerror(-r));
                return r;
        }
        if (fchmodat(dfd, name, mode & 07777, 0) < 0 || fsync(dfd) < 0) {
                r = -errno;
                strbuf_addf(msg, "created the btrfs subvolume %s, but cannot set its mode or sync: %s",
                            path, strerror(-r));
                return r;
        }
        strbuf_addf(msg, "created btrfs subvolume %s, mode %04o", path, (unsigned) (mode & 07777));
        return 0;
}

/* 1 when directory NAME in DFD has no entry, 0 when it has one. */
static int dir_is_empty(int dfd, const char *name) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        int empty = 1;
        for (struct dirent *de; empty && (de = readdir(d)); )
                empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        closedir(d);
        return empty;
}

int btrfs_subvolume_destroy(int dfd, const char *path, const char *name, struct strbuf *msg) {
        struct btrfs_ioctl_vol_args args;
        struct stat st;
        struct statfs sf;
        int r = vol_args(name, &args);
        if (r < 0) {
                strbuf_addf(msg, "invalid subvolume name in %s", path);
                return r;
        }
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT) {
                        strbuf_addf(msg, "%s is already gone", path);
                        return 0;
                }
                r = -errno;
                strbuf_addf(msg, "cannot check %s: %s", path, strerror(-r));
                return r;
        }
        _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (!S_ISDIR(st.st_mode) || st.st_ino != BTRFS_FIRST_FREE_OBJECTID || fd < 0 || fstatfs(fd, &sf) < 0 ||
            ((unsigned long) sf.f_type & 0xffffffffUL) != BTRFS_SUPER_MAGIC) {
                strbuf_addf(msg, "%s is no longer a btrfs subvolume; not removed", path);
                return -ESTALE;
        }
        /* BTRFS_IOC_SNAP_DESTROY takes a subvolume with all it holds: only an empty one goes. */
        r = dir_is_empty(dfd, name);
        if (r < 0) {
                strbuf_addf(msg, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (r == 0) {
                strbuf_addf(msg, "kept btrfs subvolume %s: not empty", path);
                return 0;
        }
        if (ioctl(dfd, BTRFS_IOC_SNAP_DESTROY, &args) < 0) {
                r = -errno;
                strbuf_addf(msg, "cannot delete the btrfs subvolume %s: %s", path, strerror(-r));
                return r;
        }
        strbuf_addf(msg, "deleted btrfs subvolume %s", path);
        return 0;
}
