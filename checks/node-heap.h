/* SPDX-License-Identifier: MIT */
/* What node-heap-limit reads of a node process (node-heap-read.c): whether it is node,
 * the memory limits of its cgroup, its NODE_OPTIONS and the V8 heap it runs with. The
 * check's judgement of them is node-heap-limit.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct host;
struct proc;
struct node_binary;

#define MIB (1ULL << 20)
#define NO_LIMIT UINT64_MAX

struct node_limits {
        uint64_t own;           /* what libuv reads from its own cgroup (lower of max and high) */
        uint64_t top;           /* v1: the top memory cgroup's limit_in_bytes (old libuv's fixed path) */
        uint64_t effective;     /* the lowest enforced hard limit from its cgroup up to the root */
        char where[256];        /* the cgroup that sets the effective limit */
        bool v2;
        bool unenforced;        /* limits are set but no memory controller enforces them */
};

/* The limits of P's cgroup and its ancestors, each file read once a run. A limit no memory
 * controller enforces is not one: said (unenforced), never counted. */
void node_read_limits(struct host *h, const struct proc *p, struct node_limits *l);

struct node_heap {
        uint64_t bytes;
        char how[160];
};

/* The old-space limit P runs with, and where it comes from: its command line, else OPTS
 * (NODE_OPTIONS), else V8's default from RAM or the limit node reads (L, B). */
int node_heap_of(const struct proc *p, const char *opts, const struct node_limits *l, const struct node_binary *b,
                 uint64_t ram, struct node_heap *ret, bool *ret_in_argv);
/* Whether P is node (read from its exe unless its name says so); *RET_EXE, when asked,
 * the exe's path (the caller's to free). */
bool node_is_node_proc(struct host *h, const struct proc *p, char **ret_exe);
/* NODE_OPTIONS from P's environ; NULL when unset or unreadable. */
char *node_options_of(struct host *h, pid_t pid);
/* NODE_OPTIONS without its heap flags, for the drop-in to keep; NULL when nothing is left. */
char *node_other_options(const char *opts);
