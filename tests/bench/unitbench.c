/* SPDX-License-Identifier: MIT */
/* `make bench`, the units axis: the three checks that read unit files (unit-memorymax,
 * restart-storm, wrapper-oom-unprotected) in one `hostfit check` on roots of 20,000 and
 * 50,000 admin units with the same 2,000 processes, against a C floor that opens and
 * reads the same files once: each process's stat, cmdline, cgroup and oom_score_adj;
 * each search-path directory listed once, each unit file and drop-in opened and read once.
 * Targets (CPU time, one run): hostfit within 1.5x the floor at 20k and at 50k units,
 * and 50k units within 2.6x 20k units.
 *
 *   unitbench PROCS RUNS HOSTFIT      build the roots, measure, print, remove the roots
 *   unitbench floor ROOT              the floor itself
 *   unitbench root UNITS PROCS        only build a root, print its path and keep it */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const search[] = {
        "etc/systemd/system.control", "run/systemd/system.control", "run/systemd/transient",
        "run/systemd/generator.early", "etc/systemd/system", "etc/systemd/system.attached",
        "run/systemd/system", "run/systemd/system.attached", "run/systemd/generator",
        "usr/local/lib/systemd/system", "usr/lib/systemd/system", "lib/systemd/system",
        "run/systemd/generator.late",
};

static size_t slurp(int dfd, const char *name) {
        static char buf[65536];
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t total = 0;
        ssize_t n;
        if (fd < 0)
                return 0;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                total += (size_t) n;
        close(fd);
        return total;
}

static size_t read_dir_files(int dfd, const char *sub, const char *suffix) {
        int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        size_t bytes = 0, ls = strlen(suffix);
        struct dirent *e;
        while (d && (e = readdir(d))) {
                size_t l = strlen(e->d_name);
                if (l > ls && strcmp(e->d_name + l - ls, suffix) == 0 && e->d_type == DT_REG)
                        bytes += slurp(dirfd(d), e->d_name);
                else if (l > 2 && strcmp(e->d_name + l - 2, ".d") == 0 && e->d_type == DT_DIR)
                        bytes += read_dir_files(dirfd(d), e->d_name, ".conf");
        }
        if (d)
                closedir(d);
        return bytes;
}

static int floor_main(const char *root) {
        int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int proc = openat(rfd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = proc >= 0 ? fdopendir(dup(proc)) : NULL;
        struct dirent *e;
        size_t procs = 0, bytes = 0;
        while (d && (e = readdir(d))) {
                struct stat st;
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                int dfd = openat(proc, e->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 || fstat(dfd, &st) < 0)
                        continue;
                bytes += slurp(dfd, "stat") + slurp(dfd, "cmdline") + slurp(dfd, "cgroup") + slurp(dfd, "oom_score_adj");
                close(dfd);
                procs++;
        }
        for (size_t i = 0; i < sizeof(search) / sizeof(search[0]); i++)
                bytes += read_dir_files(rfd, search[i], ".service");
        printf("%zu processes, %zu bytes\n", procs, bytes);
        return 0;
}

static void put(const char *root, const char *rel, const char *text) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                mkdir(path, 0755);
                *s = '/';
        }
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                exit(1);
        }
}

/* NUNITS admin units (one in four with a drop-in setting MemoryMax), 200 vendor units,
 * and NPROCS processes spread over them. */
static char *make_root(unsigned nunits, unsigned nprocs) {
        char tmpl[] = "/tmp/hostfit-unitbench.XXXXXX", rel[256], text[1024];
        char *root = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
        if (!root) {
                perror("mkdtemp");
                exit(1);
        }
        put(root, "proc/uptime", "86400.00 170000.00\n");
        put(root, "proc/meminfo", "MemTotal:        2013924 kB\nMemFree:          101232 kB\n"
                                  "MemAvailable:     602444 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n");
        for (unsigned i = 0; i < nunits; i++) {
                snprintf(rel, sizeof(rel), "etc/systemd/system/app%05u.service", i);
                snprintf(text, sizeof(text), "[Unit]\nDescription=app %u\n\n[Service]\nExecStart=/usr/bin/node /srv/app%u/server.js\n"
                         "Restart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n", i, i);
                put(root, rel, text);
                if (i % 4 == 0) {
                        snprintf(rel, sizeof(rel), "etc/systemd/system/app%05u.service.d/10-limit.conf", i);
                        put(root, rel, "[Service]\nMemoryMax=1G\n");
                }
        }
        for (unsigned i = 0; i < 200; i++) {
                snprintf(rel, sizeof(rel), "usr/lib/systemd/system/vendor%03u.service", i);
                put(root, rel, "[Service]\nExecStart=/usr/sbin/vendord\n");
        }
        for (unsigned i = 0; i < nprocs; i++) {
                unsigned pid = 100 + i;
                char unit[64];
                if (i % 2)
                        snprintf(unit, sizeof(unit), "app%05u.service", i % nunits);
                else
                        snprintf(unit, sizeof(unit), "vendor%03u.service", i % 200);
                snprintf(rel, sizeof(rel), "proc/%u/stat", pid);
                snprintf(text, sizeof(text), "%u (node) S 1 %u %u 0 -1 4194560 1200 0 3 0 15 7 0 0 20 0 1 0 5000 "
                         "100000000 6000 18446744073709551615 94117000000000 94117000400000 140720000000000 "
                         "0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94117000500000 94117000600000 94117010000000 "
                         "140720000001000 140720000001100 140720000001100 140720000002000 0\n", pid, pid, pid);
                put(root, rel, text);
                snprintf(rel, sizeof(rel), "proc/%u/cmdline", pid);
                put(root, rel, "node");
                snprintf(rel, sizeof(rel), "proc/%u/cgroup", pid);
                snprintf(text, sizeof(text), "0::/system.slice/%s\n", unit);
                put(root, rel, text);
                snprintf(rel, sizeof(rel), "proc/%u/oom_score_adj", pid);
                put(root, rel, "0\n");
        }
        return root;
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Wall seconds of ARGV; its CPU seconds (user + system) in *ret_cpu, the largest peak
 * RSS seen in *ret_maxrss (KiB). */
static double run(char *const argv[], double *ret_cpu, long *ret_maxrss) {
        struct rusage ru;
        int st;
        fflush(stdout);
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 2) {
                fprintf(stderr, "unitbench: %s %s failed\n", argv[0], argv[1]);
                exit(1);
        }
        if (ret_maxrss && ru.ru_maxrss > *ret_maxrss)
                *ret_maxrss = ru.ru_maxrss;
        if (ret_cpu)
                *ret_cpu = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                           (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        return now() - t0;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv) {
        static const unsigned sizes[] = { 20000, 50000 };
        double hf[2], fl[2], hc[2], fc[2];
        long rss[2] = { 0, 0 };
        if (argc == 3 && strcmp(argv[1], "floor") == 0)
                return floor_main(argv[2]);
        if (argc == 4 && strcmp(argv[1], "root") == 0) {
                char *root = make_root((unsigned) atoi(argv[2]), (unsigned) atoi(argv[3]));
                printf("%s\n", root);  /* kept, for perf and strace */
                free(root);
                return 0;
        }
        if (argc != 4) {
                fprintf(stderr, "usage: unitbench PROCS RUNS HOSTFIT | unitbench floor ROOT | unitbench root UNITS PROCS\n");
                return 2;
        }
        unsigned nprocs = (unsigned) atoi(argv[1]);
        int runs = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
        double *t = calloc((size_t) runs * 4, sizeof(double));
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (!t || n < 0)
                return 1;
        self[n] = 0;
        printf("units: %u processes, runs: %d (medians of check unit-memorymax restart-storm "
               "wrapper-oom-unprotected --root, and of the floor: a C loop opening and reading the same "
               "/proc files and unit files once; wall time, and CPU time, which a busy machine does not "
               "stretch; peak RSS)\n", nprocs, runs);
        for (size_t s = 0; s < 2; s++) {
                char *root = make_root(sizes[s], nprocs), *rm;
                char *hcmd[] = { argv[3], "check", "unit-memorymax", "restart-storm", "wrapper-oom-unprotected",
                                 "--root", root, NULL };
                char *fcmd[] = { self, "floor", root, NULL };
                run(hcmd, NULL, NULL), run(fcmd, NULL, NULL);   /* warm the caches */
                for (int r = 0; r < runs; r++) {
                        t[r] = run(hcmd, &t[2 * runs + r], &rss[s]);
                        t[runs + r] = run(fcmd, &t[3 * runs + r], NULL);
                }
                for (int k = 0; k < 4; k++)
                        qsort(t + k * runs, (size_t) runs, sizeof(double), cmp);
                hf[s] = t[runs / 2], fl[s] = t[runs + runs / 2];
                hc[s] = t[2 * runs + runs / 2], fc[s] = t[3 * runs + runs / 2];
                printf("  %5u units  wall: hostfit %7.1f ms, floor %7.1f ms, %5.2fx   cpu: hostfit %7.1f ms, floor %7.1f ms, "
                       "%5.2fx (target <= 1.50)   rss: %ld KiB\n", sizes[s], hf[s] * 1e3, fl[s] * 1e3, hf[s] / fl[s],
                       hc[s] * 1e3, fc[s] * 1e3, hc[s] / fc[s], rss[s]);
                if (asprintf(&rm, "rm -rf '%s'", root) > 0 && system(rm) != 0)
                        fprintf(stderr, "unitbench: could not remove %s\n", root);
                free(rm);
                free(root);
        }
        printf("ratio 50k/20k units: wall %.2f, cpu %.2f (target <= 2.60; the floor's: cpu %.2f)\n",
               hf[1] / hf[0], hc[1] / hc[0], fc[1] / fc[0]);
        free(t);
        return 0;
}
