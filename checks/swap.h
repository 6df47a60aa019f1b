/* SPDX-License-Identifier: MIT */
/* The facts swap-missing and zram-missing hand to their fixes, and the sizing
 * rules both the checks (for messages) and the fixes use. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "host/swapmake.h"      /* struct swap_facts, swapfile_size_auto(), swap_make_judge() */

struct zram_facts {
        uint64_t mem_total;     /* bytes; 0 when unknown (an image without [image] memory) */
        int device;             /* N of a configured [zramN] to start; -1: configure one */
        const char *unit;       /* a zram manager's unit to start (zramswap.service, rpi-swap's
                                 * dev-zram0.swap); NULL: none. Static. */
};

/* [image] memory: the RAM of the machine an offline image will boot on. */
#define IMAGE_SECTION "image"
#define IMAGE_MEMORY_KEY "memory"
#define ZRAM_DEFAULT_PRIORITY 100

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
