/* SPDX-License-Identifier: MIT */
/* The floors of `make bench`: a bare loop reading stat, cmdline, cgroup and oom_score_adj of
 * every process, as hostfit's process table does. With --fds-of PPID it also reads the fd table
 * of each child of PPID (getdents64 of /proc/PID/fd and a readlink of each fd, as `ss -p` does):
 * the bench's processes, whose fd tables hostfit reads once they are older than
 * unmanaged-service's min-age, to learn whether they hold a listening socket. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static size_t slurp(int dfd, const char *name, char *buf, size_t size) {
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, size);
        close(fd);
        return n > 0 ? (size_t) n : 0;
}

/* The parent pid in a stat line: the field after the state, after the last ')'. */
static long stat_ppid(char *buf, size_t n) {
        buf[n < 4095 ? n : 4095] = 0;
        char *p = strrchr(buf, ')');
        long ppid = -1;
        return p && sscanf(p + 1, " %*c %ld", &ppid) == 1 ? ppid : -1;
}

/* As hostfit reads it: getdents64 into a buffer to the end, a readlink of each fd. */
static size_t read_fds(int dfd) {
        char buf[16384] __attribute__((aligned(8))), link[256];
        size_t fds = 0;
        int fd = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        for (long n; (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0; )
                for (long off = 0; off < n; ) {
                        const struct dirent64 *e = (const struct dirent64 *) (buf + off);
                        off += e->d_reclen;
                        if (e->d_name[0] != '.' && readlinkat(fd, e->d_name, link, sizeof(link)) > 0)
                                fds++;
                }
        close(fd);
        return fds;
}

int main(int argc, char **argv) {
        static char buf[4096];
        long fds_of = argc == 3 && strcmp(argv[1], "--fds-of") == 0 ? atol(argv[2]) : 0;
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdopendir(dup(proc));
        struct dirent *de;
        size_t procs = 0, bytes = 0, fds = 0;
        while ((d && (de = readdir(d)))) {
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                int dfd = openat(proc, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                size_t n = slurp(dfd, "stat", buf, sizeof(buf));
                bytes += n;
                bool child = fds_of > 0 && stat_ppid(buf, n) == fds_of;
                bytes += slurp(dfd, "cmdline", buf, sizeof(buf));
                bytes += slurp(dfd, "cgroup", buf, sizeof(buf));
                bytes += slurp(dfd, "oom_score_adj", buf, sizeof(buf));
                if (child)
                        fds += read_fds(dfd);
                close(dfd);
                procs++;
        }
        printf("%zu processes, %zu bytes, %zu fds\n", procs, bytes, fds);
        return 0;
}
