/* SPDX-License-Identifier: MIT */
/* Which hostfit a generated unit runs: the one that wrote it, or the configured one. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/config.h"
#include "host/host.h"
#include "host/selfpath.h"

int hostfit_exe_path(const struct host *h, char **ret) {
        const struct config *c = h ? host_config(h) : NULL;
        const char *v = c ? config_get(c, HOSTFIT_PATH_SECTION, HOSTFIT_PATH_KEY) : NULL;
        if (!v && c)
                v = config_get(c, "healthcheck", HOSTFIT_PATH_KEY);
        if (v) {
                char *s = strdup(v);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        /* The running system's /proc, not the root's: the binary runs here. */
        char buf[PATH_MAX + 16];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof(buf) - 1)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        static const char deleted[] = " (deleted)";
        size_t dl = sizeof(deleted) - 1;
        if ((size_t) n > dl && strcmp(buf + n - dl, deleted) == 0)
                buf[n - dl] = '\0';
        if (buf[0] != '/')
                return -EINVAL;
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
