/* SPDX-License-Identifier: MIT */
/* Swap signatures: writing one (as mkswap does) and probing for one with libblkid. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Probe FD (a file or a block device) for a swap signature with libblkid, swap
 * type only. *ret_is_swap is true when libblkid reports TYPE=swap. 0 or -errno. */
int swap_probe_fd(int fd, bool *ret_is_swap);

/* Write a version 1 swap header for SIZE bytes on FD (mkswap's layout: last_page
 * = SIZE/pagesize - 1, a random RFC 4122 UUID, "SWAPSPACE2" at pagesize - 10).
 * -EINVAL when SIZE holds fewer than SWAP_MIN_PAGES pages. */
int swap_write_signature(int fd, uint64_t size);

#define SWAP_MIN_PAGES 10
