/* SPDX-License-Identifier: MIT */
/* Node's V8 heap: the old-space limit a node process runs with, its version read without
 * running it, and the default V8 derives from the memory Node reports to it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/host.h"

struct node_version {
        unsigned major, minor, patch;
        const char *source;     /* "install path", "dpkg", "binary"; static */
};

/* From an install path: ~/.nvm/versions/node/vX.Y.Z/…, n's /n/versions/node/X.Y.Z/…,
 * volta's /tools/image/node/X.Y.Z/…; -ENOENT when the path says nothing. */
int node_version_from_path(const char *exe, struct node_version *ret);
/* "18.20.4+dfsg-1~deb12u2" and "v22.3.0" alike. */
int node_version_parse(const char *s, struct node_version *ret);
/* The version of the node at EXE (a path within the root) run by PID: its install path,
 * the dpkg database for a packaged /usr/bin/node, else the release string in the binary
 * or the libnode it maps (a bounded, streamed read). -ENOENT when unknown. */
int node_version_of(struct host *h, pid_t pid, const char *exe, struct node_version *ret);

/* A heap flag in WORDS (argv after argv[0], or NODE_OPTIONS split), in Node's order: the
 * last one wins. *ret_mib for --max-old-space-size=, *ret_percent for
 * --max-old-space-size-percentage=; 1 when found, 0 when not. For argv, scanning stops at
 * the script (the first operand). */
int node_heap_flag(char *const *words, size_t n, bool argv, uint64_t *ret_mib, double *ret_percent);
/* NODE_OPTIONS split as Node splits it (whitespace, double quotes). */
int node_options_split(const char *s, char ***ret, size_t *ret_n);

/* V8's default old-space limit for PHYSICAL bytes on a 64-bit host
 * (Heap::HeapSizeFromPhysicalMemory: physical / 4 × kHeapLimitMultiplier (2), at most
 * 2 GiB, 4 GiB from 15 GiB of memory). */
uint64_t node_v8_default_old_space(uint64_t physical);
/* Whether this Node version's libuv reads its own cgroup's limits: cgroup v2 from 20.3
 * (libuv 1.45); v1: from 12 (before 20.3 only the top memory cgroup's file). */
bool node_reads_cgroup_v2(const struct node_version *v);
bool node_reads_cgroup_v1_own(const struct node_version *v);
bool node_reads_cgroup_v1_top(const struct node_version *v);
