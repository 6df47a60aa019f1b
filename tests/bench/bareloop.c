/* SPDX-License-Identifier: MIT */
/* The baseline of `make bench`: a bare loop reading stat, cmdline, cgroup and
 * oom_score_adj of every process, as hostfit's process table does. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static size_t slurp(int dfd, const char *name, char *buf, size_t size) {
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, size);
        close(fd);
        return n > 0 ? (size_t) n : 0;
}

int main(void) {
        static char buf[4096];
        int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdopendir(dup(proc));
        struct dirent *de;
        size_t procs = 0, bytes = 0;
        while ((d && (de = readdir(d)))) {
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                int dfd = openat(proc, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue;
                bytes += slurp(dfd, "stat", buf, sizeof(buf));
                bytes += slurp(dfd, "cmdline", buf, sizeof(buf));
                bytes += slurp(dfd, "cgroup", buf, sizeof(buf));
                bytes += slurp(dfd, "oom_score_adj", buf, sizeof(buf));
                close(dfd);
                procs++;
        }
        printf("%zu processes, %zu bytes\n", procs, bytes);
        return 0;
}
