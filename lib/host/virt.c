/* SPDX-License-Identifier: MIT */
/* Container, init and offline-image detection under the root (see virt.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "host/virt.h"

/* systemd's container names (src/basic/virt.c), so a value from the host is
 * mapped to a static string and never printed raw. */
static const char *const container_names[] = {
        "systemd-nspawn", "lxc", "lxc-libvirt", "openvz", "docker", "podman",
        "rkt", "wsl", "proot", "pouch", "oci",
};

static const char *container_name(const char *value, size_t len) {
        while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == ' '))
                len--;
        for (size_t i = 0; i < ELEMENTSOF(container_names); i++)
                if (strlen(container_names[i]) == len && memcmp(container_names[i], value, len) == 0)
                        return container_names[i];
        return "container-other";
}

/* container= in a NUL-separated environ block; NULL when absent or empty. */
static const char *environ_container(const char *env, size_t len) {
        for (size_t i = 0; i < len;) {
                const char *e = env + i;
                size_t l = strnlen(e, len - i);
                if (l > 10 && memcmp(e, "container=", 10) == 0)
                        return container_name(e + 10, l - 10);
                i += l + 1;
        }
        return NULL;
}

int host_container(struct host *h, const char **ret_name) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int k;

        /* Written by systemd as PID 1 of a container from container= it was given.
         * A source that cannot be read (PID 1's environ is root's) gives no verdict. */
        k = host_read_file(h, "/run/systemd/container", 4096, &buf, &len);
        if (k == 0 && len > 0) {
                *ret_name = container_name(buf, strnlen(buf, len));
                return 1;
        }
        if (k == -ENOMEM)
                return k;
        free(buf);
        buf = NULL;

        k = host_read_file(h, "/proc/1/environ", 1 << 20, &buf, &len);
        if (k == 0) {
                const char *name = environ_container(buf, len);
                if (name) {
                        *ret_name = name;
                        return 1;
                }
        } else if (k == -ENOMEM)
                return k;

        if (host_exists(h, "/run/.containerenv")) {
                *ret_name = "podman";
                return 1;
        }
        if (host_exists(h, "/.dockerenv")) {
                *ret_name = "docker";
                return 1;
        }
        return 0;
}

int host_pid1(struct host *h, const char **ret_comm) {
        static char comm[16];
        _cleanup_free_ char *buf = NULL;
        size_t len;

        int k = host_read_file(h, "/proc/1/comm", 64, &buf, &len);
        if (k == -ENOTDIR)
                return -ENOENT;
        if (k < 0)
                return k;
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        bool printable = len > 0 && len < sizeof(comm);
        for (size_t i = 0; i < len && printable; i++)
                printable = buf[i] > ' ' - 1 && buf[i] < 0x7f;
        if (printable) {
                memcpy(comm, buf, len);
                comm[len] = '\0';
        } else
                strcpy(comm, "unknown");

        if (strcmp(comm, "systemd") == 0 && host_exists(h, "/run/systemd/system"))
                return 1;
        *ret_comm = comm;
        return 0;
}

bool host_offline(struct host *h) {
        struct stat st;
        if (host_stat(h, "/proc", &st) < 0)
                return true;
        if (!S_ISDIR(st.st_mode))
                return false;   /* not an image's mount point: reading it fails, and says so */
        /* An image keeps /proc as an empty mount point. The first entries say whether it is:
         * a small getdents64, where readdir() would list 32 KiB of the processes of a live /proc
         * (each check that reads processes asks). */
        _cleanup_close_ int fd = host_open_file(h, "/proc", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return false;
        for (;;) {
                char buf[512] __attribute__((aligned(8)));
                long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
                if (n <= 0)
                        return true;    /* no entry but "." and "..": empty */
                for (long off = 0; off < n; ) {
                        const struct dirent64 *e = (const struct dirent64 *) (buf + off);
                        off += e->d_reclen;
                        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                                return false;
                }
        }
}
