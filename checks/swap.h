/* SPDX-License-Identifier: MIT */
/* The facts swap-missing and zram-missing hand to their fixes, and the sizing
 * rules both the checks (for messages) and the fixes use. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum swap_problem {
        SWAP_NONE,              /* nothing active, nothing configured: make a swapfile */
        SWAP_ZRAM_ONLY,         /* only zram active: add disk-backed swap */
        SWAP_INACTIVE,          /* configured in fstab or a .swap unit, not active: swapon */
        SWAP_NOT_PERSISTENT,    /* active, but nothing brings it back at boot: fstab line */
        SWAP_NOT_FOUND,         /* configured (UUID=, LABEL=, a /dev path) but no such device */
        SWAP_NOAUTO,            /* configured with noauto, nothing else: nothing comes up at boot */
        SWAP_MANAGED_INACTIVE,  /* a swap manager's (dphys-swapfile, rpi-swap) is enabled, not active: start UNIT */
        SWAP_MANAGED_SMALL,     /* dphys-swapfile makes less than the rule: raise SIZE_MIB in its config */
};

enum swap_target_state {
        SWAP_TARGET_MISSING,    /* no file at the path: create it */
        SWAP_TARGET_SWAP,       /* a swap area already: reuse it */
        SWAP_TARGET_DEVICE,     /* a block device or a tag (UUID=...): only swapon it */
};

struct swap_facts {
        enum swap_problem problem;
        uint64_t mem_total;     /* bytes, from proc/meminfo */
        char *path;             /* the swapfile or device to act on (absolute within the root) */
        enum swap_target_state target;
        bool in_fstab;          /* PATH has a swap line in fstab already */
        bool noauto;            /* that line has noauto: boot does not activate it */
        char *fstab_source;     /* NOT_PERSISTENT: what a new fstab line names (UUID=…, /dev/mapper/…); NULL: PATH */
        char *source;           /* NOT_FOUND, NOAUTO: the source as the config writes it */
        const char *manager;    /* the swap manager that owns PATH or this host's swap ("dphys-swapfile",
                                 * "rpi-swap"); NULL: fstab and .swap units. Static. */
        const char *unit;       /* MANAGED_INACTIVE: the unit that activates it (static or in UNIT_BUF) */
        char unit_buf[64];
        uint64_t size_mib;      /* MANAGED_SMALL: the size the rule asks for */
};

void swap_facts_free(void *p);

struct zram_facts {
        uint64_t mem_total;     /* bytes; 0 when unknown (an image without [image] memory) */
        int device;             /* N of a configured [zramN] to start; -1: configure one */
        const char *unit;       /* a zram manager's unit to start (zramswap.service, rpi-swap's
                                 * dev-zram0.swap); NULL: none. Static. */
};

#define SWAPFILE_DEFAULT_PATH "/swapfile"
/* Where / is btrfs: the swapfile goes into a subvolume of its own, /swap (the
 * layout btrfs(5) and the distributions' guides use), never the root subvolume. */
#define SWAPFILE_BTRFS_PATH "/swap/swapfile"
/* [image] memory: the RAM of the machine an offline image will boot on. */
#define IMAGE_SECTION "image"
#define IMAGE_MEMORY_KEY "memory"
#define ZRAM_DEFAULT_PRIORITY 100

/* cloud-init's "auto" rule: RAM below 4 GiB: RAM; up to 16 GiB: 4 GiB; above:
 * round(sqrt(RAM in GiB)) GiB; never more than twice the RAM nor a quarter of
 * FS_FREE (bytes free at the target). Rounded down to whole MiB; 0 when nothing fits. */
uint64_t swapfile_size_auto(uint64_t mem_total, uint64_t fs_free);
/* min(RAM / 2, 4 GiB), in whole MiB. */
uint64_t zram_size_auto(uint64_t mem_total);

struct host;
struct report;

/* Report "cannot read PATH: why" as an error finding; -ENOMEM passes through. */
int swap_report_read_error(struct host *h, struct report *r, const char *path, int err);

/* The zram compression for this kernel: zstd when ROOT/sys/block/zram0/comp_algorithm
 * lists it or cannot be read, else lzo-rle (lzo on kernels before 5.1). */
const char *zram_pick_algorithm(struct host *h);

/* "7.8 GiB", "512 MiB", "0 B": one decimal at most. */
const char *swap_format_size(uint64_t bytes, char buf[static 32]);
/* True for /dev/zramN: compressed RAM, not disk-backed swap. */
bool swap_is_zram(const char *path);

/* OLD (LEN bytes, NULL when there is no fstab) with one "PATH none swap sw 0 0"
 * line appended (PATH mangled as fstab wants), every other byte kept; -EBADMSG
 * when libmount does not read the result back as swap at PATH. */
int swap_fstab_append(const char *old, size_t len, const char *path, char **ret, size_t *ret_len);

struct plan;
/* An offline image whose kernels differ in page size (a Pi 5's 16 KiB kernel_2712.img). */
bool swap_image_page_size_varies(struct host *h);
/* Plan hostfit-mkswap.service, enabled: mkswap PATH at every boot before its swap unit. */
int fix_plan_boot_signature(struct host *h, struct plan *p, const char *check, const char *path);
