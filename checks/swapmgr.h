/* SPDX-License-Identifier: MIT */
/* Swap and zram managers that are not fstab, read from their own files under
 * the root: dphys-swapfile (/etc/dphys-swapfile, Raspberry Pi OS up to
 * bookworm), rpi-swap (/etc/rpi/swap.conf, trixie), zram-tools
 * (/etc/default/zramswap, zramswap.service), and zswap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

#define DPHYS_CONF "/etc/dphys-swapfile"
#define DPHYS_UNIT "dphys-swapfile.service"
#define DPHYS_DEFAULT_FILE "/var/swap"
#define RPI_SWAP_CONF "/etc/rpi/swap.conf"

/* dphys-swapfile: its script sources DPHYS_CONF over these defaults, then
 * sizes the file (MiB): CONF_SWAPSIZE, else (MemTotal/1024 + 10) * CONF_SWAPFACTOR;
 * at most half of the space free for it (CONF_MAXDISK_PCT set); at most CONF_MAXSWAP. */
struct dphys {
        bool installed;         /* its script is in sbin */
        bool enabled;           /* its unit in a .wants/ directory, or its init script in rc2-5.d/ */
        bool plain;             /* every line of DPHYS_CONF is a comment or a plain CONF_*= value */
        char swapfile[256];     /* CONF_SWAPFILE */
        long long swapsize;     /* CONF_SWAPSIZE in MiB; -1: computed */
        long long factor_milli; /* CONF_SWAPFACTOR * 1000 */
        long long maxswap;      /* CONF_MAXSWAP in MiB; -1: no limit */
        bool maxdisk;           /* CONF_MAXDISK_PCT set: at most half the free space */
};

/* 0 with *ret filled (installed false when absent); -ENOMEM. */
int dphys_read(struct host *h, struct dphys *ret);
/* The size (MiB) dphys-swapfile makes for MEM_TOTAL bytes of RAM with AVAIL
 * bytes free for the file (free space plus the file's own size). */
uint64_t dphys_effective_mib(const struct dphys *d, uint64_t mem_total, uint64_t avail);
/* DPHYS_CONF's text (OLD, LEN; NULL: none) with CONF_SWAPSIZE=MIB, and
 * CONF_MAXSWAP=MIB when its limit is lower, every other byte kept. */
int dphys_config_raise(const struct dphys *d, const char *old, size_t len, uint64_t mib, char **ret,
                       size_t *ret_len);

enum rpi_mechanism {
        RPI_NONE,               /* no swap at all */
        RPI_SWAPFILE,           /* a swap file at [File] Path */
        RPI_ZRAM,               /* zram0 only */
        RPI_ZRAM_FILE,          /* zram0, with [File] Path as its writeback device (not swap) */
};

struct rpi_swap {
        bool installed;         /* rpi-swap-generator is there: it runs at every boot */
        enum rpi_mechanism mechanism;
        char path[256];         /* [File] Path */
};

int rpi_swap_read(struct host *h, struct rpi_swap *ret);
const char *rpi_mechanism_name(enum rpi_mechanism m);

/* zram-tools: zramswap.service enabled (installed and linked in a .wants/). */
bool zram_tools_enabled(struct host *h);
#define ZRAM_TOOLS_UNIT "zramswap.service"

/* zswap on the running kernel: /sys/module/zswap/parameters/enabled is Y. */
bool zswap_enabled(struct host *h);

struct swap_managers {
        struct dphys dphys;
        struct rpi_swap rpi;
};

/* The .swap unit systemd names for PATH ("/var/swap": "var-swap.swap"); "" when PATH
 * needs escaping beyond '/' to '-' (then no unit is named). */
void swap_unit_name(const char *path, char *buf, size_t size);

struct report;
/* dphys-swapfile's size against hostfit's rule (mem_total of RAM, the space free
 * for the file): a warning with the raise its fix makes when it is more than a
 * sixteenth below. 1 when a finding was added, 0 when none, -errno. */
int swap_report_dphys_size(struct host *h, struct report *r, const struct dphys *d, uint64_t mem_total);

struct plan;
struct swap_facts;
/* swap-missing's fix where a manager owns the swap (facts->manager set): its
 * config raised, its unit started, or a manual step; never an fstab line. */
int fix_swap_managed(struct host *h, const struct swap_facts *f, struct plan *p, const char *check);

/* " (rpi-swap, Mechanism=zram+file: PATH is zram's writeback file, not swap)" when
 * rpi-swap sets up zram only, else "": BUF holds it. */
const char *rpi_zram_note(const struct rpi_swap *rpi, char *buf, size_t size);
