/* `make bench`: hostfit check against the bare /proc loop, with N extra processes.
 * Prints median wall times, their ratio, and hostfit's peak RSS, all from one run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Run ARGV with stdout to /dev/null; wall seconds, and peak RSS in KiB. */
static double run(char *const argv[], long *ret_maxrss) {
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
                fprintf(stderr, "bench: %s exited with %d\n", argv[0], WEXITSTATUS(st));
                exit(1);
        }
        if (ret_maxrss)
                *ret_maxrss = ru.ru_maxrss;
        return t;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

int main(int argc, char **argv) {
        if (argc != 5) {
                fprintf(stderr, "usage: bench N-PROCS RUNS BARELOOP HOSTFIT\n");
                return 2;
        }
        int nprocs = atoi(argv[1]), runs = atoi(argv[2]);
        for (int i = 0; i < nprocs; i++) {
                pid_t pid = fork();
                if (pid == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (;;)
                                pause();
                }
                if (pid < 0) {
                        perror("fork");
                        return 1;
                }
        }
        char *bare[] = { argv[3], NULL };
        char *check[] = { argv[4], "check", NULL };
        double *tb = calloc((size_t) runs, sizeof(double)), *th = calloc((size_t) runs, sizeof(double));
        long rss = 0, maxrss = 0, bare_rss = 0;
        run(bare, NULL), run(check, NULL);      /* warm the caches */
        for (int i = 0; i < runs; i++) {
                tb[i] = run(bare, &bare_rss);
                th[i] = run(check, &rss);
                if (rss > maxrss)
                        maxrss = rss;
        }
        qsort(tb, (size_t) runs, sizeof(double), cmp);
        qsort(th, (size_t) runs, sizeof(double), cmp);
        double mb = tb[runs / 2], mh = th[runs / 2];
        printf("processes: %d extra, runs: %d\n", nprocs, runs);
        printf("bare /proc loop:  median %.1f ms, peak RSS %ld KiB\n", mb * 1e3, bare_rss);
        printf("hostfit check:    median %.1f ms, peak RSS %ld KiB\n", mh * 1e3, maxrss);
        printf("ratio: %.2f (target <= 1.30)\n", mh / mb);
        signal(SIGTERM, SIG_IGN);
        kill(0, SIGTERM);
        while (wait(NULL) > 0)
                ;
        return 0;
}
