/* SPDX-License-Identifier: MIT */
/* cgroup memory limits as the kernel enforces them: which hierarchy (v1, v2), whether a
 * memory controller enforces a cgroup's limits at all, and its limit files, each file read
 * at most once a run (kept with the host). Paths are cgroup paths ("/system.slice/x.service"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct host;

#define MEMCG_NO_LIMIT UINT64_MAX

enum memcg_mode {
        MEMCG_UNKNOWN,  /* no cgroup tree to read (an offline image): nothing is said of it */
        MEMCG_NONE,     /* a v1 tree without the memory hierarchy (/sys/fs/cgroup/systemd or unified/ only) */
        MEMCG_V1,       /* /sys/fs/cgroup/memory */
        MEMCG_V2,       /* /sys/fs/cgroup/cgroup.controllers */
};
enum memcg_mode memcg_mode(struct host *h);

/* Whether it is known that no memory controller enforces the limits of cgroup CG (NULL: of a
 * unit that does not run now): v2 without "memory" in CG's cgroup.controllers (what its parent
 * hands down; else the nearest ancestor's that can be read), or a v1 tree without the memory
 * hierarchy. False where there is no cgroup tree to read. */
bool memcg_unenforced(struct host *h, const char *cg);

/* The limit file NAME ("memory.max", "memory.limit_in_bytes") of cgroup CG in the hierarchy
 * of the mode (v1: under memory/; else the unified layout): bytes, MEMCG_NO_LIMIT for "max" or v1's near-2^63,
 * 0 when unreadable or not a number. */
uint64_t memcg_limit(struct host *h, const char *cg, const char *name);
