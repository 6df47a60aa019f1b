/* SPDX-License-Identifier: MIT */
/* A swapfile written into an image works on whichever kernel the image boots:
 * where the image carries kernels of different page sizes (Raspberry Pi OS
 * arm64: kernel8.img with 4 KiB pages, kernel_2712.img with 16 KiB for the
 * Pi 5), the signature is written at boot, by mkswap on the booted kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixes.h"
#include "host/host.h"
#include "host/virt.h"
#include "swap.h"
#include "swapmgr.h"
#include "text/cleanup.h"
#include "host/template.h"

#define MKSWAP_UNIT "hostfit-mkswap.service"
#define MKSWAP_UNIT_PATH "/etc/systemd/system/" MKSWAP_UNIT

/* The Pi 5's 16 KiB page kernel, where Raspberry Pi OS puts it (bookworm on, and before). */
static const char *const page16k_kernels[] = { "/boot/firmware/kernel_2712.img", "/boot/kernel_2712.img" };

bool swap_image_page_size_varies(struct host *h) {
        if (host_is_live(h) || !host_offline(h))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(page16k_kernels); i++)
                if (host_exists(h, page16k_kernels[i]))
                        return true;
        return false;
}

int fix_plan_boot_signature(struct host *h, struct plan *p, const char *check, const char *path) {
        char swap_unit[256];
        swap_unit_name(path, swap_unit, sizeof(swap_unit));
        if (!swap_unit[0])
                return plan_add_manualf(p, check, "this image boots kernels of 4 KiB and 16 KiB pages (%s): "
                                        "the signature of %s must be written at boot (mkswap %s before swapon), "
                                        "and hostfit writes units only for paths of plain characters",
                                        page16k_kernels[0], path, path);
        const char *vars[] = { "path", path, "swap_unit", swap_unit, NULL };
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t len;
        int k = template_render(h, MKSWAP_UNIT, vars, &text, &len, &err);
        if (k < 0)
                return k;
        int written = plan_add_write(p, check, MKSWAP_UNIT_PATH, text, len, 0644);
        if (written < 0)
                return written;
        if ((k = plan_note(p, "this image carries a 16 KiB page kernel (%s) beside 4 KiB ones: at every boot, "
                           "mkswap writes the signature of %s for the kernel that runs", page16k_kernels[0],
                           path)) < 0)
                return k;
        k = fix_plan_enable(p, check, MKSWAP_UNIT, MKSWAP_UNIT_PATH, text, len);
        return k < 0 ? k : 0;
}
