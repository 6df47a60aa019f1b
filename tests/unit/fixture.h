/* SPDX-License-Identifier: MIT */
/* Test helpers: fake roots made of real files in the kernel's exact formats. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The bound, in seconds, of alarm() around a read that must not block (a FIFO where a file was
 * expected): it only catches a hang, so it is far above what any load makes of a few reads. */
#define FIXTURE_HANG_BOUND_S 300

/* The source tree's tests/fixtures directory (from $HOSTFIT_FIXTURES or the build's cwd). */
const char *fixture_dir(void);

/* A new empty temporary root; free with fixture_remove(). */
char *fixture_new(void);
/* A temporary copy of tests/fixtures/NAME (cp -a). */
char *fixture_copy(const char *name);
/* A temporary copy of the root ROOT (cp -a), to apply a plan on. */
char *fixture_clone(const char *root);
/* Write ROOT/PATH with TEXT (parents made), mode 0644 unless changed after. */
void fixture_write(const char *root, const char *path, const char *text);
void fixture_write_len(const char *root, const char *path, const char *text, size_t len);
void fixture_mkdir(const char *root, const char *path);
void fixture_symlink(const char *root, const char *target, const char *path);
void fixture_chmod(const char *root, const char *path, mode_t mode);
/* Read ROOT/PATH (NULL when missing); caller frees. */
char *fixture_read(const char *root, const char *path);
bool fixture_exists(const char *root, const char *path);
/* A digest of every path, mode, owner, link target and content under ROOT. */
char *fixture_tree_hash(const char *root);
/* rm -rf ROOT and free the string. */
void fixture_remove(char *root);
/* Run hostfit's own command line in-process is not offered: tests call the library. */
