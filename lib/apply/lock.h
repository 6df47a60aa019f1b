/* SPDX-License-Identifier: MIT */
/* The run lock: one hostfit fix (or undo) at a time on a root.
 *
 * An exclusive flock(2) on ROOT/run/hostfit/hostfit.lock, created under the
 * root fd with no symlink followed, in a directory only root may write (made
 * 0700): not /run/lock, where any user can create the file first and hold it.
 * The directory and the file must be owned by the user hostfit runs as and
 * not writable by group or others. The file is never written or removed: its
 * content stays empty, and the holder is found in the kernel's /proc/locks. */
#pragma once

#include <sys/types.h>

#define LOCK_DIR  "/run/hostfit"
#define LOCK_PATH LOCK_DIR "/hostfit.lock"

/* Called once, when the lock is held by HOLDER (0 if unknown) and take waits. */
typedef void (*lock_wait_fn)(void *userdata, pid_t holder);

/* Take the lock of the root ROOT_FD, waiting at most TIMEOUT_MS for another
 * holder. Returns the lock's fd (close it to release: lock_release()), or
 * -EWOULDBLOCK after the wait with *ret_holder set (0 when unknown), -ELOOP
 * when a component or the file is a symlink, -EPERM when the directory or the file
 * is owned by another user or writable by others, -EEXIST when not a directory
 * or regular file, other -errno. */
int lock_take(int root_fd, unsigned timeout_ms, lock_wait_fn waiting, void *userdata, pid_t *ret_holder);
/* Release and close; returns -1 for `fd = lock_release(fd);`. */
int lock_release(int fd);
/* The pid that holds an flock on the file FD is open on, 0 when none or unknown. */
pid_t lock_holder(int fd);
