/* SPDX-License-Identifier: MIT */
/* `make bench`: hostfit check, and each check alone, against the floor: a bare C loop
 * (bareloop.c) opening and reading each process's stat, cmdline, cgroup and oom_score_adj
 * once, as hostfit's process table does, with N extra processes. Prints median wall and
 * CPU times, ratios to the floor and peak RSS, all from one run. Targets: a full check
 * within 1.2x the floor in CPU time (at 2k and at 10k processes), peak RSS within 8 MiB.
 * Twice: with the N processes young, and aged. Aged means older than unmanaged-service's
 * min-age (300 s): hostfit then reads the fd table of each of them (they are outside any
 * service and container, and no server by name), to learn whether it holds a listening
 * socket. The bench sets their age by config, not by minutes of waiting: YOUNG-CONF (min-age
 * = 1d under [unmanaged-service], no other setting) for the young runs, which would otherwise
 * turn aged after 300 s of runs at 10k, and AGED-CONF (min-age = 0) for the aged ones. The
 * aged full check is compared with the plain floor and with the floor that also reads those N
 * fd tables (bareloop --fds-of). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 32

struct cmd {
        char *argv[8];
        const char *label;
        double *t;
        double *cpu;    /* user + system seconds */
        long maxrss;    /* KiB */
};

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Run ARGV with stdout to /dev/null; wall seconds, CPU seconds and peak RSS in KiB. */
static double run(char *const argv[], double *ret_cpu, long *ret_maxrss) {
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                execv(argv[0], argv);
                _exit(127);
        }
        int st;
        struct rusage ru;
        if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) {
                perror("bench");
                exit(1);
        }
        double t = now() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) > 2) {
                fprintf(stderr, "bench: %s %s exited with %d\n", argv[0], argv[1] ? argv[1] : "",
                        WEXITSTATUS(st));
                exit(1);
        }
        if (ret_maxrss)
                *ret_maxrss = ru.ru_maxrss;
        if (ret_cpu)
                *ret_cpu = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                           (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        return t;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

/* The check IDs, from the first column of `hostfit list`. */
static size_t list_checks(const char *hostfit, char ids[][64], size_t max) {
        char line[512], *cmdline;
        size_t n = 0;
        if (asprintf(&cmdline, "'%s' list", hostfit) < 0)
                return 0;
        FILE *f = popen(cmdline, "r");
        free(cmdline);
        while (f && n < max && fgets(line, sizeof(line), f))
                if (sscanf(line, "%63s", ids[n]) == 1)
                        n++;
        if (!f || pclose(f) != 0) {
                fprintf(stderr, "bench: %s list failed\n", hostfit);
                exit(1);
        }
        return n;
}

static void spawn(int nprocs) {
        for (int i = 0; i < nprocs; i++) {
                pid_t pid = fork();
                if (pid == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (;;)
                                pause();
                }
                if (pid < 0) {
                        perror("fork");
                        exit(1);
                }
        }
}

static double median(double *v, int runs) {
        qsort(v, (size_t) runs, sizeof(double), cmp);
        return v[runs / 2];
}

static void print_row(const struct cmd *c, int runs, double bare, double bare_cpu) {
        double m = median(c->t, runs), cpu = median(c->cpu, runs);
        printf("  %-44s wall %7.1f ms %5.2fx  cpu %7.1f ms %5.2fx  %6ld KiB\n", c->label, m * 1e3, m / bare,
               cpu * 1e3, cpu / bare_cpu, c->maxrss);
}

int main(int argc, char **argv) {
        static char ids[MAX_CMDS][64], labels[MAX_CMDS][96], self[32];
        static struct cmd cmds[MAX_CMDS + 6];
        if (argc != 7) {
                fprintf(stderr, "usage: bench N-PROCS RUNS BARELOOP HOSTFIT YOUNG-CONF AGED-CONF\n");
                return 2;
        }
        int nprocs = atoi(argv[1]), runs = atoi(argv[2]);
        char *hostfit = argv[4], *young = argv[5], *aged = argv[6];
        if (runs < 1)
                runs = 1;
        snprintf(self, sizeof(self), "%ld", (long) getpid());
        size_t n_ids = list_checks(hostfit, ids, MAX_CMDS), n = 0;
        /* 0, 1: the floors; 2: the full check, young; 3, 4: the full check and unmanaged-service, aged. */
        cmds[n++] = (struct cmd) { .argv = { argv[3], NULL }, .label = "floor (bare /proc loop)" };
        cmds[n++] = (struct cmd) { .argv = { argv[3], "--fds-of", self, NULL },
                                   .label = "floor + the N processes' fd tables" };
        cmds[n++] = (struct cmd) { .argv = { hostfit, "--config", young, "check", NULL }, .label = "check" };
        cmds[n++] = (struct cmd) { .argv = { hostfit, "--config", aged, "check", NULL }, .label = "check, aged" };
        cmds[n++] = (struct cmd) { .argv = { hostfit, "--config", aged, "check", "unmanaged-service", NULL },
                                   .label = "check unmanaged-service, aged" };
        for (size_t i = 0; i < n_ids; i++) {
                snprintf(labels[i], sizeof(labels[i]), "check %.63s", ids[i]);
                cmds[n++] = (struct cmd) { .argv = { hostfit, "--config", young, "check", ids[i], NULL }, .label = labels[i] };
        }
        for (size_t i = 0; i < n; i++)
                if (!(cmds[i].t = calloc((size_t) runs, sizeof(double))) || !(cmds[i].cpu = calloc((size_t) runs, sizeof(double))))
                        return 1;
        spawn(nprocs);
        for (size_t i = 0; i < n; i++)
                run(cmds[i].argv, NULL, NULL);  /* warm the caches */
        /* Interleaved, so a slow spell of the machine hits every command alike. */
        for (int r = 0; r < runs; r++)
                for (size_t i = 0; i < n; i++) {
                        long rss = 0;
                        cmds[i].t[r] = run(cmds[i].argv, &cmds[i].cpu[r], &rss);
                        if (rss > cmds[i].maxrss)
                                cmds[i].maxrss = rss;
                }
        double bare = median(cmds[0].t, runs), bare_cpu = median(cmds[0].cpu, runs);
        double fds_cpu = median(cmds[1].cpu, runs);
        double load[3] = { 0 };
        if (getloadavg(load, 3) < 0)
                load[0] = load[1] = load[2] = -1;
        printf("processes: %d extra, runs: %d, load average %.2f %.2f %.2f (median wall time and ratio to the "
               "floor, median CPU time and ratio to the floor, peak RSS; the floor: a C loop reading each "
               "process's stat, cmdline, cgroup and oom_score_adj once; young: min-age = 1d from %s, aged: min-age = 0 "
               "from %s)\n", nprocs, runs, load[0], load[1], load[2], young, aged);
        for (size_t i = 0; i < n; i++)
                print_row(&cmds[i], runs, bare, bare_cpu);
        printf("full check at %d processes, young: cpu %.2fx the floor (target <= 1.20), wall %.2fx, peak RSS %ld KiB "
               "(target <= 8192)\n", nprocs, median(cmds[2].cpu, runs) / bare_cpu, median(cmds[2].t, runs) / bare,
               cmds[2].maxrss);
        printf("full check at %d processes, aged: cpu %.2fx the floor, %.2fx the floor that also reads the %d fd "
               "tables hostfit must read (target <= 1.20; that floor is %.2fx the plain one), peak RSS %ld KiB "
               "(target <= 8192)\n", nprocs, median(cmds[3].cpu, runs) / bare_cpu, median(cmds[3].cpu, runs) / fds_cpu,
               nprocs, fds_cpu / bare_cpu, cmds[3].maxrss);
        signal(SIGTERM, SIG_IGN);
        kill(0, SIGTERM);
        while (wait(NULL) > 0)
                ;
        return 0;
}
