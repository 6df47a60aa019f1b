/* Fake processes in a fixture root, in the kernel's formats: proc/PID/stat with all
 * 52 fields, NUL-separated cmdline, cgroup as "0::/path", oom_score_adj. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

struct fake_proc {
        int pid, ppid;
        const char *comm;
        const char *argv;       /* words separated by '|' (cmdline gets NULs) */
        const char *cgroup;     /* "/user.slice/…/session-3.scope" */
        unsigned long long start_ticks;
        unsigned long rss_pages;
        unsigned uid;
};

static inline void fake_proc_write(const char *root, const struct fake_proc *p) {
        char path[128], stat[1024], cg[512];
        snprintf(stat, sizeof(stat),
                 "%d (%s) S %d %d %d 0 -1 4194560 1000 0 0 0 10 5 0 0 20 0 1 0 %llu 123456789 %lu "
                 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                 p->pid, p->comm, p->ppid, p->pid, p->pid, p->start_ticks, p->rss_pages);
        snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
        fixture_write(root, path, stat);
        size_t len = strlen(p->argv);
        char *cmd = malloc(len + 1);
        memcpy(cmd, p->argv, len + 1);
        for (size_t i = 0; i < len; i++)
                if (cmd[i] == '|')
                        cmd[i] = 0;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
        fixture_write_len(root, path, cmd, len ? len + 1 : 0);
        free(cmd);
        snprintf(cg, sizeof(cg), "0::%s\n", p->cgroup ? p->cgroup : "/");
        snprintf(path, sizeof(path), "/proc/%d/cgroup", p->pid);
        fixture_write(root, path, cg);
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", p->pid);
        fixture_write(root, path, "0\n");
        if (p->uid) {
                char *dir;
                if (asprintf(&dir, "%s/proc/%d", root, p->pid) < 0 || chown(dir, p->uid, p->uid) < 0)
                        abort();
                free(dir);
        }
}

/* fd N of PID as a socket link, as the kernel shows it. */
static inline void fake_proc_socket(const char *root, int pid, int fd, unsigned long inode) {
        char path[128], target[64];
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
        snprintf(target, sizeof(target), "socket:[%lu]", inode);
        fixture_symlink(root, target, path);
}

static inline void fake_uptime(const char *root, const char *uptime) {
        fixture_write(root, "/proc/uptime", uptime);
}

#define NET_TCP_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
#define NET_TCP6_HEADER "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define NET_UDP_HEADER "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            \n"
#define NET_UDP6_HEADER "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
