/* SPDX-License-Identifier: MIT */
/* The parsers of lib/host/host.c's /proc files, on text already read: for the
 * fuzz harnesses in tests/fuzz and for tests. Not for checks (use host.h). */
#pragma once

#include "host/host.h"

/* /proc/meminfo. -ENODATA when MemTotal is missing or malformed. */
int host_parse_meminfo(const char *text, struct host_meminfo *m);
/* /proc/PID/stat into P's comm, state, ppid, kthread, start_ticks, rss_bytes; -EBADMSG when malformed. */
int host_parse_stat(const char *buf, struct proc *p);
/* /proc/PID/cgroup: the unified ("0::") path, else the name=systemd one; NULL when none (or no memory). */
char *host_parse_cgroup(const char *buf);
/* The run's read budget (host_read_charge()), for tests of what happens when it is spent. */
void host_set_read_budget(struct host *h, uint64_t bytes);
/* Internal to lib/host (proc-read.c, for host_procs()): every process under PROC_FD (ROOT/proc,
 * open for reading) into T, which owns what it holds until proc_table_clear(). */
int proc_table_read(int proc_fd, struct proc_table *t);
void proc_table_clear(struct proc_table *t);
