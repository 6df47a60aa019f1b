/* SPDX-License-Identifier: MIT */
/* The host view: everything hostfit reads, resolved under one root directory.
 *
 * Nothing else in hostfit opens a host path. Paths are absolute within the
 * root ("/etc/fstab"); they are resolved with openat2(RESOLVE_IN_ROOT), so a
 * symlink in a mounted image cannot lead outside it. Each table is loaded
 * lazily, once per run, and shared by all checks.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

struct host;
struct config;
struct libmnt_table;

/* Opens ROOT (O_PATH|O_DIRECTORY). -errno when it is not a readable directory. */
int host_open(const char *root, struct host **ret);
struct host *host_free(struct host *h);

const char *host_root(const struct host *h);    /* as given, e.g. "/" or "/mnt/image" */
int host_root_fd(const struct host *h);          /* borrowed O_PATH fd */
/* True when the root is this running system ("/"): runtime actions may run. */
bool host_is_live(const struct host *h);

/* The configuration; the host takes ownership. Never NULL after host_open(). */
void host_set_config(struct host *h, struct config *c);
const struct config *host_config(const struct host *h);

/* The work of this process under its roots, for tests that count it instead of timing it:
 * host_open_file() calls (every path opened from the root), and directories listed with
 * host_opendir(), and the times swap_make_judge() worked out whether swap can be made
 * (host/swapmake.h) instead of taking the run's answer. */
struct host_counters {
        uint64_t opens;
        uint64_t listings;
        uint64_t swap_judged;
};
extern struct host_counters host_counters;

/* Open PATH under the root. Returns an fd or -errno (-ENOENT when missing).
 * Never blocks in open(): O_NONBLOCK and O_NOCTTY are added unless FLAGS has O_PATH. */
int host_open_file(const struct host *h, const char *path, int flags);
/* Open PATH under the root for reading, only as a regular file (fstat()ed after a
 * non-blocking open): -EISDIR for a directory, -ENXIO for a FIFO, socket or device
 * (host_file_type() names it). RET_ST may be NULL. The one way to read a file under
 * the root that host_read_file() does not cover (a stream scanned in chunks). */
int host_open_regular(const struct host *h, const char *path, struct stat *ret_st);
/* Read a whole file of at most MAX bytes; -EFBIG when larger (a regular file larger
 * than MAX by its size is not read at all). *ret is NUL-terminated. Opened as
 * host_open_regular() does. What is read counts against the run's budget
 * (-ENOBUFS once spent: a bound on the whole run, whatever the number of files). */
int host_read_file(const struct host *h, const char *path, size_t max, char **ret, size_t *ret_len);
/* The same, with the file's stat (RET_ST may be NULL). */
int host_read_file_stat(const struct host *h, const char *path, size_t max, char **ret, size_t *ret_len,
                        struct stat *ret_st);
/* The same on an fd already open (host_open_regular(), host_proc_open()). */
int host_read_fd(const struct host *h, int fd, size_t max, char **ret, size_t *ret_len);
/* Take N bytes read by the caller from the run's budget; -ENOBUFS when it is spent.
 * For callers that scan a file in chunks instead of reading it whole. */
int host_read_charge(const struct host *h, size_t n);
/* Whether less than N bytes are left of the run's budget: a read of N bytes may end it. */
bool host_read_budget_below(const struct host *h, size_t n);
/* The file as host_read_file() reads it (at most 32 MiB), as a stdio stream over
 * that copy: never a stream that reads on without end. */
int host_fopen(const struct host *h, const char *path, FILE **ret);
/* ROOT/proc/PID/NAME the same way. */
int host_proc_fopen(const struct host *h, pid_t pid, const char *name, FILE **ret);
/* "a FIFO", "a directory", "a socket", …, for messages. */
const char *host_file_type(mode_t mode);
/* What host_read_file() said, as a finding would: "is a FIFO, not a regular file",
 * "larger than hostfit reads", "past what hostfit reads in one run", else strerror(). PATH is for the stat of a type, NULL to skip that. */
const char *host_read_error(const struct host *h, const char *path, int r, char *buf, size_t size);
/* fstatat(AT_SYMLINK_NOFOLLOW) of PATH under the root. */
int host_stat(const struct host *h, const char *path, struct stat *ret);
/* Whether PATH exists under the root (a symlink counts, whatever it points to). */
bool host_exists(const struct host *h, const char *path);
/* The directory PATH under the root, open for readdir(). 0 or -errno (-ENOENT when missing). */
int host_opendir(const struct host *h, const char *path, DIR **ret);
/* The target of the symlink PATH under the root, not followed. -EINVAL when PATH
 * is not a symlink or names no file in a directory ("/", "dir/"). */
int host_readlink(const struct host *h, const char *path, char **ret);
/* statfs of the filesystem holding PATH, or of its nearest existing ancestor. */
int host_statfs(const struct host *h, const char *path, struct statfs *ret);
/* Tests: FN sees (and may change) every statfs result host_statfs() returns, to
 * stand for filesystems the test machine cannot mount (zfs, nfs, btrfs). NULL: none. */
void host_set_statfs_hook(void (*fn)(const char *path, struct statfs *sf));

struct host_meminfo {
        uint64_t mem_total;     /* bytes */
        uint64_t mem_available;
        uint64_t swap_total;
        uint64_t swap_free;
};
/* ROOT/proc/meminfo, read once. -ENODATA when MemTotal is missing or malformed. */
int host_meminfo(struct host *h, const struct host_meminfo **ret);

/* ROOT/proc/swaps and ROOT/etc/fstab parsed by libmount, read once; borrowed.
 * A missing fstab is an empty table; a missing proc/swaps is -ENOENT. */
int host_swaps(struct host *h, struct libmnt_table **ret);
int host_fstab(struct host *h, struct libmnt_table **ret);

/* One process as read from ROOT/proc/PID/{stat,cmdline,cgroup,oom_score_adj}. */
struct proc {
        pid_t pid;
        pid_t ppid;
        char comm[16];           /* the kernel's 15-byte name, as in stat */
        char state;
        bool kthread;            /* PF_KTHREAD set: a kernel thread */
        uid_t uid;               /* owner of /proc/PID (the effective uid) */
        uint64_t start_ticks;    /* stat field 22, clock ticks after boot */
        uint64_t rss_bytes;      /* stat field 24 times the page size */
        int oom_score_adj;
        bool oom_known;          /* oom_score_adj could be read */
        char *argv;              /* cmdline, NUL-separated, at most PROC_ARGV_MAX bytes; may be empty */
        size_t argv_len;
        char *cgroup;            /* the unified ("0::") path, else the name=systemd one; NULL if unknown */
};
#define PROC_ARGV_MAX 4096

struct proc_table {
        struct proc *procs;      /* sorted by pid */
        size_t n;
        struct proc_arena *arena;       /* private: the blocks its argv and cgroup strings are in */
};

/* All processes, read once. A process that exits mid-scan is left out. */
int host_procs(struct host *h, const struct proc_table **ret);
const struct proc *proc_table_find(const struct proc_table *t, pid_t pid);
/* argv[i] of P, or NULL past the end. */
const char *proc_arg(const struct proc *p, size_t i);
size_t proc_argc(const struct proc *p);

/* The processes whose cgroup is CG or below it (kernel threads left out), from an index
 * built once a run: *ret_n entries at *ret, borrowed, in cgroup order. */
int host_procs_in_cgroup(struct host *h, const char *cg, const struct proc *const **ret, size_t *ret_n);

/* Open ROOT/proc/PID/NAME (e.g. "environ", "fd") with FLAGS; fd or -errno. Without
 * O_PATH or O_DIRECTORY, only a regular file (the kernel's are): -ENXIO for a FIFO or a device. */
int host_proc_open(const struct host *h, pid_t pid, const char *name, int flags);
/* Seconds since boot, from ROOT/proc/uptime. */
int host_uptime(struct host *h, double *ret);
/* Age of P in seconds (uptime minus its start), 0 if unknown. */
double host_proc_age(struct host *h, const struct proc *p);

/* The wall clock (CLOCK_REALTIME) in microseconds, as a check dates a journal window by
 * it; host_set_now() fixes it (0: the clock again), so that a test is the same on any day. */
uint64_t host_now_usec(const struct host *h);
void host_set_now(struct host *h, uint64_t usec);

/* Tables other modules build once a run from the host (listening sockets, unit
 * index), kept with the host and freed by host_free(). KEY is a static string.
 * host_cache_put() takes VALUE even on failure (-ENOSPC: full or KEY taken). */
void *host_cache_get(const struct host *h, const char *key);
int host_cache_put(struct host *h, const char *key, void *value, void (*free_fn)(void *));
