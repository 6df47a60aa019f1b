/* SPDX-License-Identifier: MIT */
/* Shared by the files of apply (apply.c, swapfile.c, apply-systemd.c, apply-run.c): the only
 * code that writes to the host. Not for checks or fixes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan/plan.h"
#include "text/strbuf.h"

struct sd_bus_message;

/* Open directory DIR (absolute within BASE_FD, e.g. "/etc/systemd/system") with
 * no symlink in any component; with CREATE, make missing ones with MODE.
 * -ELOOP on a symlink, with MSG saying so. Returns an O_RDONLY|O_DIRECTORY fd. */
int apply_open_dir(int base_fd, const char *dir, bool create, mode_t mode, struct strbuf *msg);

/* Create ".#BASE.XXXXXX" (O_EXCL, 0600) in DIRFD. Until apply_tmpfile_done(),
 * SIGINT/SIGTERM unlink it. NAME holds at least 256 bytes. Returns the fd. */
int apply_tmpfile(int dirfd, const char *base, char *name, size_t name_size);
/* The temp file was renamed (or must go: UNLINK). */
void apply_tmpfile_done(int dirfd, const char *name, bool unlink);

/* A long step (zero-filling) defers SIGINT/SIGTERM/SIGHUP/SIGQUIT while ON and
 * asks apply_interrupted() between chunks; apply re-raises the signal once the
 * step has cleaned up. */
void apply_defer_signals(bool on);
bool apply_interrupted(void);
/* What plan_apply() does around its actions: the handlers in, and out (where a
 * signal a long step deferred is delivered). For tests of one step. */
void apply_signals_begin(void);
void apply_signals_end(void);

/* Create the swap file NAME of SIZE bytes in DIRFD (which shows as PATH in
 * messages): refused on filesystems that cannot swap, -EEXIST when it exists. */
/* ROOT_FD: the root the file is made under; where SELinux is enabled there (the running
 * kernel's /sys/fs/selinux, or the image's /etc/selinux/config), the file is labelled
 * swapfile_t (swapon refuses it otherwise), with the context its policy's file_contexts gives. */
int swapfile_create(int root_fd, int dirfd, const char *path, const char *name, uint64_t size, struct strbuf *msg);
/* The SELinux context a swapfile needs under ROOT_FD: 1 with BUF set when SELinux is
 * enabled there, 0 when it is not. */
int swapfile_selinux_context(int root_fd, char *buf, size_t size);
/* Zeros over the whole of FD's SIZE bytes, then a new signature. */
int swapfile_rewrite(int fd, uint64_t size, const char *path);
/* Why the filesystem of type MAGIC cannot hold swap, or NULL when it can. */
const char *swapfile_fs_refusal(long magic);

/* btrfs.c: make NAME in DFD (shown as PATH) a new btrfs subvolume with MODE
 * (BTRFS_IOC_SUBVOL_CREATE); -ENOTTY when DFD is not on btrfs. MSG says what happened. */
int btrfs_subvolume_create(int dfd, const char *path, const char *name, mode_t mode, struct strbuf *msg);
/* Delete subvolume NAME in DFD (BTRFS_IOC_SNAP_DESTROY) when it is still a subvolume
 * root and empty; a non-empty one is kept (0, MSG says so), anything else -ESTALE. */
int btrfs_subvolume_destroy(int dfd, const char *path, const char *name, struct strbuf *msg);

/* Run a systemd action over sd-bus. */
int systemd_apply(const struct action *a, struct strbuf *msg);
/* "MemoryMax=2G" to ("MemoryMax", bytes); "infinity" is UINT64_MAX.
 * -EOPNOTSUPP for properties that cannot be set at runtime (OOMScoreAdjust),
 * -EINVAL for unknown ones or bad values. *ret_name is owned by the caller. */
int systemd_property_parse(const char *assignment, char **ret_name, uint64_t *ret_value);
/* Append PROPS as the a(sv) of SetUnitProperties to M. */
int systemd_append_properties(struct sd_bus_message *m, char *const *props, struct strbuf *msg);

/* Write PATH under ROOT_FD atomically with MODE, owned by root, making missing
 * directories with DIR_MODE: hostfit's own files (the run records). */
int apply_write_own_file(int root_fd, const char *path, const char *data, size_t len,
                         mode_t mode, mode_t dir_mode, struct strbuf *msg);
