/* SPDX-License-Identifier: MIT */
/* Test helper: fake ROOT/proc/PID trees from a readable description, written
 * in the kernel's exact formats (stat with all 52 fields, NUL-separated cmdline,
 * cgroup as "0::/path", oom_score_adj with its newline). Header-only: each test
 * binary includes it once. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define PF_KTHREAD_FLAGS 0x04208040u    /* what a kworker shows in stat field 9 */
#define PF_USER_FLAGS    0x00400100u    /* a user process: PF_RANDOMIZE|PF_FORKNOEXEC-like bits */

struct fproc {
        int pid, ppid;
        const char *comm;               /* as in stat, up to 15 bytes (may hold spaces and ')') */
        const char *argv[24];           /* NULL-terminated words; {NULL}: empty cmdline (kernel thread) */
        unsigned uid;                   /* owner of proc/PID (chown) */
        const char *cgroup;             /* the path after "0::", NULL: "/" */
        int oom;                        /* oom_score_adj */
        unsigned long long rss_pages;
        unsigned long long start;       /* stat field 22, ticks after boot */
        const char *environ;            /* "A=1\nB=2": '\n' become NULs; NULL: empty file */
        int gid;                        /* status Gid: (0: the uid); -1: no status file */
        const char *cwd;                /* symlink target of proc/PID/cwd, NULL: none */
        int environ_unreadable;         /* environ is a directory: reading it fails like EACCES would */
        int kthread;
        char state;                     /* 0: 'S' */
};

static inline void fproc_write_stat(const char *root, const struct fproc *p) {
        char path[64], buf[1024];
        unsigned flags = p->kthread ? PF_KTHREAD_FLAGS : PF_USER_FLAGS;
        int n = snprintf(buf, sizeof(buf),
                 "%d (%s) %c %d %d %d 0 -1 %u 1200 0 3 0 15 7 0 0 20 0 1 0 %llu %llu %llu "
                 "18446744073709551615 %s 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 %s 0\n",
                 p->pid, p->comm, p->state ? p->state : 'S', p->ppid, p->pid, p->pid, flags,
                 p->start, p->kthread ? 0ull : p->rss_pages * 4096 * 3, p->kthread ? 0ull : p->rss_pages,
                 p->kthread ? "0 0 0" : "94117000000000 94117000400000 140720000000000",
                 p->kthread ? "0 0 0 0 0 0 0" :
                 "94117000500000 94117000600000 94117010000000 140720000001000 140720000001100 140720000001100 140720000002000");
        if (n < 0 || (size_t) n >= sizeof(buf))
                abort();
        snprintf(path, sizeof(path), "proc/%d/stat", p->pid);
        fixture_write(root, path, buf);
}

static inline void fproc_write(const char *root, const struct fproc *p) {
        char path[64], buf[8192];
        size_t len = 0;
        fproc_write_stat(root, p);
        for (size_t i = 0; p->argv[i]; i++) {
                size_t l = strlen(p->argv[i]) + 1;
                if (len + l > sizeof(buf))
                        abort();
                memcpy(buf + len, p->argv[i], l);
                len += l;
        }
        snprintf(path, sizeof(path), "proc/%d/cmdline", p->pid);
        fixture_write_len(root, path, buf, len);

        snprintf(buf, sizeof(buf), "0::%s\n", p->cgroup ? p->cgroup : "/");
        snprintf(path, sizeof(path), "proc/%d/cgroup", p->pid);
        fixture_write(root, path, buf);

        snprintf(buf, sizeof(buf), "%d\n", p->oom);
        snprintf(path, sizeof(path), "proc/%d/oom_score_adj", p->pid);
        fixture_write(root, path, buf);

        snprintf(buf, sizeof(buf), "%.15s\n", p->comm);
        snprintf(path, sizeof(path), "proc/%d/comm", p->pid);
        fixture_write(root, path, buf);

        if (p->gid >= 0) {
                /* The head of status as the kernel writes it (fs/proc/array.c), up to the groups. */
                unsigned gid = p->gid ? (unsigned) p->gid : p->uid;
                snprintf(buf, sizeof(buf),
                         "Name:\t%.15s\nUmask:\t0022\nState:\t%c (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
                         "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t64\n"
                         "Groups:\t%u \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
                         p->comm, p->state ? p->state : 'S', p->pid, p->pid, p->ppid,
                         p->uid, p->uid, p->uid, p->uid, gid, gid, gid, gid, gid, p->pid, p->pid, p->pid, p->pid);
                snprintf(path, sizeof(path), "proc/%d/status", p->pid);
                fixture_write(root, path, buf);
        }

        snprintf(path, sizeof(path), "proc/%d/environ", p->pid);
        if (p->environ_unreadable) {
                fixture_mkdir(root, path);
        } else {
                len = 0;
                for (const char *s = p->environ ? p->environ : ""; *s; s++)
                        buf[len++] = *s == '\n' ? '\0' : *s;
                if (len && buf[len - 1])
                        buf[len++] = '\0';
                fixture_write_len(root, path, buf, len);
        }
        if (p->cwd) {
                snprintf(path, sizeof(path), "proc/%d/cwd", p->pid);
                fixture_symlink(root, p->cwd, path);
        }
        /* A booted systemd as PID 1 always has this directory (sd_booted()). */
        if (p->pid == 1 && strcmp(p->comm, "systemd") == 0)
                fixture_mkdir(root, "run/systemd/system");
        snprintf(path, sizeof(path), "%s/proc/%d", root, p->pid);
        if (p->uid && chown(path, p->uid, p->uid) < 0)
                abort();
}

/* fd FD of PID as a socket link, as the kernel shows it: "socket:[INODE]". */
static inline void fproc_socket(const char *root, int pid, int fd, unsigned long inode) {
        char path[64], target[64];
        snprintf(path, sizeof(path), "proc/%d/fd/%d", pid, fd);
        snprintf(target, sizeof(target), "socket:[%lu]", inode);
        fixture_symlink(root, target, path);
}

/* The header lines of proc/net/{tcp,tcp6,udp,udp6}, trailing blanks as the kernel pads them. */
#define NET_TCP_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
#define NET_TCP6_HEADER "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define NET_UDP_HEADER "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"
#define NET_UDP6_HEADER "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

/* A root with proc/uptime, proc/meminfo and the processes P[0..N). */
static inline char *fproc_root(const struct fproc *p, size_t n) {
        char *root = fixture_new();
        fixture_write(root, "proc/uptime", "86400.00 170000.00\n");
        fixture_write(root, "proc/meminfo",
                      "MemTotal:        2013924 kB\nMemFree:          101232 kB\nMemAvailable:     602444 kB\n"
                      "Buffers:           30212 kB\nCached:           512344 kB\nSwapCached:            0 kB\n"
                      "Active:           900000 kB\nInactive:         600000 kB\nSwapTotal:             0 kB\n"
                      "SwapFree:              0 kB\nDirty:               120 kB\nAnonPages:       950000 kB\n"
                      "Shmem:             12000 kB\n");
        fixture_mkdir(root, "proc");
        for (size_t i = 0; i < n; i++)
                fproc_write(root, &p[i]);
        return root;
}

#define FPROC_INIT { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .oom = 0, .rss_pages = 3000 }
#define FPROC_KTHREADD { .pid = 2, .ppid = 0, .comm = "kthreadd", .argv = { NULL }, .kthread = 1 }
