/* SPDX-License-Identifier: MIT */
/* etckeeper commits around a run: a program run on the live system only. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply/etckeeper.h"
#include "host/host.h"

extern char **environ;

static const char *const etckeeper_paths[] = {
        "/usr/bin/etckeeper", "/usr/sbin/etckeeper", "/usr/local/bin/etckeeper", "/usr/local/sbin/etckeeper",
};

static const char *etckeeper_find(void) {
        for (size_t i = 0; i < sizeof(etckeeper_paths) / sizeof(etckeeper_paths[0]); i++)
                if (access(etckeeper_paths[i], X_OK) == 0)
                        return etckeeper_paths[i];
        return NULL;
}

/* Run ARGV with stdin and stdout on /dev/null (stderr too); its exit status or -errno. */
static int run_quiet(char *const argv[]) {
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st;
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int etckeeper_commit(struct host *h, const char *message, bool only_if_unclean, struct strbuf *msg) {
        struct stat st;
        if (!host_is_live(h) || host_stat(h, "/etc/.etckeeper", &st) < 0)
                return 0;
        const char *bin = etckeeper_find();
        if (!bin)
                return 0;
        if (only_if_unclean) {
                int r = run_quiet((char *const[]) { (char *) bin, "unclean", NULL });
                if (r < 0) {
                        strbuf_addf(msg, "cannot run %s: %s", bin, strerror(-r));
                        return r;
                }
                if (r != 0)
                        return 0;       /* nothing uncommitted */
        }
        int r = run_quiet((char *const[]) { (char *) bin, "commit", (char *) message, NULL });
        if (r < 0) {
                strbuf_addf(msg, "cannot run %s: %s", bin, strerror(-r));
                return r;
        }
        if (r != 0) {
                strbuf_addf(msg, "etckeeper commit \"%s\" exited with status %d, ignoring", message, r);
                return -EIO;
        }
        return 1;
}
