/* SPDX-License-Identifier: MIT */
/* openat2(2), and the same resolution by hand where the kernel has none. */
#pragma once

#include <linux/openat2.h>
#include <stdbool.h>

/* The kernel's MAXSYMLINKS: symlinks one walk follows, at most. */
#define RESOLVE_MAX_SYMLINKS 40

/* openat2(DIRFD, PATH, HOW): an fd, or -errno. On a kernel without openat2 (before 5.6,
 * qemu-user) the walk is done by hand with the same rules for RESOLVE_IN_ROOT,
 * RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS: one component at a
 * time with O_NOFOLLOW, each symlink read and resolved relative to DIRFD (IN_ROOT) or
 * refused when it leaves it (BENEATH, -EXDEV), ".." clamped at DIRFD (IN_ROOT) or
 * refused above it (BENEATH, -EXDEV), at most RESOLVE_MAX_SYMLINKS links (-ELOOP).
 * Any other resolve flag is -EINVAL by hand. */
int resolve_openat2(int dirfd, const char *path, const struct open_how *how);

/* The by-hand walk alone, whatever the kernel has. */
int resolve_by_hand(int dirfd, const char *path, const struct open_how *how);

/* Tests: make resolve_openat2() behave as on a kernel without openat2. */
void resolve_force_by_hand(bool on);
