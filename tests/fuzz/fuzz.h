/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer harnesses: a scratch root for parsers that read
 * their input through the host view, and input helpers. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A root directory made once per process (removed by the harness's atexit). */
static char fuzz_root_path[256];

static void fuzz_root_remove(void) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_root_path);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", fuzz_root_path);
}

static inline const char *fuzz_root(void) {
        if (!fuzz_root_path[0]) {
                const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
                snprintf(fuzz_root_path, sizeof(fuzz_root_path), "%s/hostfit-fuzz.XXXXXX", tmp);
                if (!mkdtemp(fuzz_root_path))
                        abort();
                atexit(fuzz_root_remove);
        }
        return fuzz_root_path;
}

/* Make the parent directories of PATH (absolute within the root), then write DATA to it. */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size) {
        char full[512];
        snprintf(full, sizeof(full), "%s%s", fuzz_root(), path);
        for (char *s = full + strlen(fuzz_root()) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(full, 0755);
                *s = '/';
        }
        int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                abort();
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n <= 0)
                        abort();
                data += n;
                size -= (size_t) n;
        }
        close(fd);
}

/* DATA as a NUL-terminated string (cut at its first NUL, as a C parser sees text). */
static inline char *fuzz_str(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
