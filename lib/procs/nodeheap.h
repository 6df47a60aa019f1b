/* SPDX-License-Identifier: MIT */
/* Node's V8 heap: the old-space limit a node process runs with, its version read without
 * running it, and the default V8 derives from the memory Node reports to it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/host.h"

struct unit;

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
 * the install's include/node/node_version.h, the dpkg database for a packaged
 * /usr/bin/node, else the release string in the libnode it maps or in the binary itself
 * (a bounded, streamed read). -ENOENT when unknown. */
int node_version_of(struct host *h, pid_t pid, const char *exe, struct node_version *ret);

/* What hostfit knows of the node binary PID runs, found once per binary a run. */
struct node_binary {
        dev_t dev;
        ino_t ino;              /* 0/0: it could not be opened */
        unsigned bits;          /* 32 or 64 from its ELF class, 0: unknown */
        bool have_version;
        struct node_version version;
};
/* Read through /proc/PID/exe on the running system (the binary the process runs, in whatever
 * mount namespace), within the root otherwise (EXE, the link's target); never blocking
 * (O_NONBLOCK, regular files only), each binary at most once a run (by device and inode),
 * each read bounded per file and per run. 0, or -ENOMEM. */
int node_binary_of(struct host *h, pid_t pid, const char *exe, struct node_binary *ret);
/* Bytes read from node binaries and libnodes this run, and how many were opened (for tests). */
void node_scan_stats(struct host *h, uint64_t *ret_bytes, unsigned *ret_opened);

/* A heap flag in WORDS (argv after argv[0], or NODE_OPTIONS split), in Node's order: the
 * last one wins. *ret_mib for --max-old-space-size=, *ret_percent for
 * --max-old-space-size-percentage=; 1 when found, 0 when not. For argv, scanning stops at
 * the script (the first operand). */
int node_heap_flag(char *const *words, size_t n, bool argv, uint64_t *ret_mib, double *ret_percent);
/* NODE_OPTIONS split as Node splits it (whitespace, double quotes). */
int node_options_split(const char *s, char ***ret, size_t *ret_n);

/* V8's default old-space limit for PHYSICAL bytes on a 64-bit host
 * (Heap::HeapSizeFromPhysicalMemory: physical / 4 × kHeapLimitMultiplier (2), at least
 * 256 MiB, at most 2 GiB, 4 GiB from 15 GiB of memory, rounded up to a 256 KiB page). */
uint64_t node_v8_default_old_space(uint64_t physical);
/* The same for a node built for BITS (32 or 64): on 32-bit kHeapLimitMultiplier is 1
 * (pointer size / 4), so physical / 4, at least 128 MiB and at most 1 GiB. */
uint64_t node_v8_default_old_space_bits(uint64_t physical, unsigned bits);

/* NODE_OPTIONS as systemd gives a unit's processes: Environment= (the last assignment
 * wins, "" resets), then the files of EnvironmentFile= in order (each overrides
 * Environment=; "-" makes one optional; "" resets the list), then UnsetEnvironment=. */
struct node_unit_env {
        char *options;          /* the value the next start gets; NULL: unset */
        char *set_in;           /* the unit file or drop-in whose assignment gives it; NULL */
        char *env_file;         /* the EnvironmentFile= that gives it; NULL: Environment= does */
        char *unset_in;         /* the unit file whose UnsetEnvironment= removes it; NULL */
        char *unknown;          /* an EnvironmentFile= hostfit cannot read or expand (a glob, a FIFO,
                                 * too big, missing and not optional): what it sets is unknown */
};
/* U's NODE_OPTIONS, leaving out the assignments of drop-ins named SKIP (NULL: none). */
int node_unit_env(struct host *h, const struct unit *u, const char *skip, struct node_unit_env *ret);
void node_unit_env_done(struct node_unit_env *e);
/* KEY's value in the text of an environment file, as systemd parses one (comments, quotes,
 * backslashes, continued lines); the last assignment wins. NULL when unset, or -ENOMEM. */
int node_env_file_get(const char *text, const char *key, char **ret);
/* TEXT as a value in an environment file: double-quoted, with \ \" \` \$ escaped. */
char *node_env_file_quote(const char *text);
/* Whether this Node version's libuv reads its own cgroup's limits: cgroup v2 from 20.3
 * (libuv 1.45); v1: from 12 (before 20.3 only the top memory cgroup's file). */
bool node_reads_cgroup_v2(const struct node_version *v);
bool node_reads_cgroup_v1_own(const struct node_version *v);
bool node_reads_cgroup_v1_top(const struct node_version *v);
