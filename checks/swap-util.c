/* SPDX-License-Identifier: MIT */
/* The sizing rules and helpers swap-missing, zram-missing and their fixes share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "host/host.h"
#include "swap.h"
#include "swapmgr.h"
#include "text/cleanup.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

const char *swap_format_size(uint64_t bytes, char buf[static 32]) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        size_t u = 0;
        uint64_t div = 1;
        while (u + 1 < ELEMENTSOF(units) && bytes >= div * 1024) {
                div *= 1024;
                u++;
        }
        if (u == 0 || bytes % div == 0)
                snprintf(buf, 32, "%llu %s", (unsigned long long) (bytes / div), units[u]);
        else
                snprintf(buf, 32, "%.1f %s", (double) bytes / (double) div, units[u]);
        return buf;
}

bool swap_is_zram(const char *path) {
        if (!path || strncmp(path, "/dev/zram", 9) != 0 || !path[9])
                return false;
        return strspn(path + 9, "0123456789") == strlen(path + 9);
}

uint64_t zram_size_auto(uint64_t mem_total) {
        uint64_t size = mem_total / 2;
        if (size > 4 * GiB)
                size = 4 * GiB;
        return size / MiB * MiB;
}

int swap_report_read_error(struct host *h, struct report *r, const char *path, int err) {
        struct stat st;
        if (err == -ENOMEM)
                return err;
        /* libmount reads a directory as a stream that fails with EINVAL: name the real cause. */
        if (host_stat(h, path, &st) == 0 && S_ISDIR(st.st_mode))
                err = -EISDIR;
        char buf[128];
        const char *why = err == -ENODATA ? "MemTotal is missing or malformed" : host_read_error(h, path, err, buf, sizeof(buf));
        return report_add(r, STATUS_ERROR, path, NULL, NULL, "cannot read %s: %s", path, why);
}

/* rpi-swap set to zram: its file is zram's writeback device, not swap. */
const char *rpi_zram_note(const struct rpi_swap *rpi, char *buf, size_t size) {
        if (!rpi->installed || (rpi->mechanism != RPI_ZRAM && rpi->mechanism != RPI_ZRAM_FILE))
                return "";
        if (rpi->mechanism == RPI_ZRAM)
                snprintf(buf, size, " (rpi-swap sets up zram only: Mechanism=zram)");
        else
                snprintf(buf, size, " (rpi-swap, Mechanism=zram+file: %s is zram's writeback file, not swap)",
                         rpi->path);
        return buf;
}

