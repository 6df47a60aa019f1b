/* SPDX-License-Identifier: MIT */
/* Swap on this host: the facts swap-missing finds (handed to its fix as finding->data), and
 * whether and how swap can be made from them (swap_make_judge()): the one answer that
 * swap-missing's fix plans by and unit-memorymax judges hostfit's drop-in by, worked out
 * once a run and kept with the host view. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct host;

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

#define SWAPFILE_DEFAULT_PATH "/swapfile"
/* Where / is btrfs: the swapfile goes into a subvolume of its own, /swap (the
 * layout btrfs(5) and the distributions' guides use), never the root subvolume. */
#define SWAPFILE_BTRFS_PATH "/swap/swapfile"
/* The smallest swapfile worth making. */
#define SWAPFILE_MIN (UINT64_C(16) << 20)

/* cloud-init's "auto" rule: RAM below 4 GiB: RAM; up to 16 GiB: 4 GiB; above:
 * round(sqrt(RAM in GiB)) GiB; never more than twice the RAM nor a quarter of
 * FS_FREE (bytes free at the target). Rounded down to whole MiB; 0 when nothing fits. */
uint64_t swapfile_size_auto(uint64_t mem_total, uint64_t fs_free);

/* What swap-missing's fix does for a finding's facts. */
enum swap_make {
        SWAP_MAKE_NOTHING,      /* no path to act on */
        SWAP_MAKE_CONTAINER,    /* inside a container (CONTAINER names it): swap belongs to the host */
        SWAP_MAKE_MANAGED,      /* a swap manager's (facts->manager): its own config and unit */
        SWAP_MAKE_NOT_FOUND,    /* the configured device is not there: its line is the admin's to correct */
        SWAP_MAKE_NOAUTO,       /* its line has noauto: the admin's to remove */
        SWAP_MAKE_AT_BOOT,      /* a device fstab names, not the running system: boot activates it */
        SWAP_MAKE_BAD_PATH,     /* not an absolute path: it matches no device */
        SWAP_MAKE_EXISTING,     /* the swap area or device at the path: its fstab line and swapon */
        SWAP_MAKE_NEW_FILE,     /* a new swapfile of SIZE bytes at the path */
        SWAP_MAKE_REFUSED,      /* no swapfile can go at the path: REFUSAL says why */
};

enum swapfile_refusal {
        SWAPFILE_STATFS_FAILED, /* its filesystem cannot be inspected (ERR) */
        SWAPFILE_FS_REFUSED,    /* a filesystem that takes no swapfile (FS_NAME, FS_WHY) */
        SWAPFILE_BTRFS_SHARED,  /* on btrfs in DIR, a subvolume that is not its own */
        SWAPFILE_FS_UNKNOWN,    /* a filesystem hostfit does not know to take one (FS_TYPE) */
        SWAPFILE_TOO_BIG,       /* [swap] size (SIZE) does not fit FS_FREE */
        SWAPFILE_MEM_UNKNOWN,   /* an image whose machine's RAM is unknown, no [swap] size */
        SWAPFILE_NO_ROOM,       /* FS_FREE leaves less than SWAPFILE_MIN */
};

struct swap_way {
        enum swap_make make;
        const char *container;          /* CONTAINER: its name (static) */
        enum swapfile_refusal refusal;  /* REFUSED */
        int err;                        /* STATFS_FAILED: -errno */
        const char *fs_name, *fs_why;   /* FS_REFUSED (static) */
        unsigned long fs_type;          /* FS_UNKNOWN: the statfs magic */
        char *dir;                      /* btrfs: the swapfile's directory (BTRFS_SHARED; NEW_SUBVOLUME) */
        bool new_subvolume;             /* NEW_FILE: DIR does not exist yet, to be made a subvolume first */
        bool size_fixed;                /* SIZE is [swap] size (else the auto rule of MEM and FS_FREE) */
        uint64_t size;                  /* NEW_FILE, TOO_BIG: bytes */
        uint64_t fs_free;               /* NEW_FILE and the size refusals: bytes free at the path */
};

/* What swap-missing's fix does for F on this host: the filesystem at F's path, [swap] size
 * and the RAM decide whether a swapfile can go there. Worked out once a run for the same
 * facts (kept with the host), *ret borrowed until host_free(). 0, or -errno (-ENOMEM, or
 * what telling whether the host is a container failed with). */
int swap_make_judge(struct host *h, const struct swap_facts *f, const struct swap_way **ret);
/* True when that fix leaves swap active: a new swapfile, or the area at the path swapped on. */
bool swap_way_makes_swap(const struct swap_way *w);
