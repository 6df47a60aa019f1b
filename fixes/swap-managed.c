/* SPDX-License-Identifier: MIT */
/* The swapfile fix on a host whose swap a manager makes (dphys-swapfile,
 * rpi-swap): its own config and its own unit, never a second owner in fstab. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixes.h"
#include "host/host.h"
#include "swap.h"
#include "swapmgr.h"
#include "text/cleanup.h"

#define MiB (UINT64_C(1) << 20)

/* CONF_SWAPSIZE (and CONF_MAXSWAP when it caps it) in /etc/dphys-swapfile, then its
 * service restarted, which remakes the file at the new size and swaps on it. */
static int plan_dphys_raise(struct host *h, struct plan *p, const char *check, const struct swap_facts *f) {
        struct dphys d;
        char a[32];
        int k = dphys_read(h, &d);
        if (k < 0)
                return k;
        if (!d.plain)
                return plan_add_manualf(p, check, "set CONF_SWAPSIZE=%llu (and CONF_MAXSWAP at least as "
                                        "high) in %s: it holds lines beyond plain CONF_*= values, which hostfit "
                                        "does not rewrite; then systemctl restart %s",
                                        (unsigned long long) f->size_mib, DPHYS_CONF, DPHYS_UNIT);
        const char *old;
        size_t len;
        if ((k = plan_get_file(p, DPHYS_CONF, &old, &len)) < 0)
                return k;
        _cleanup_free_ char *text = NULL;
        size_t n;
        if ((k = dphys_config_raise(&d, old, len, f->size_mib, &text, &n)) < 0)
                return k;
        int written = plan_add_write(p, check, DPHYS_CONF, text, n, 0644);
        if (written < 0)
                return written;
        if ((k = plan_note(p, "dphys-swapfile makes %s at %s from it", swap_format_size(f->size_mib * MiB, a),
                           d.swapfile)) < 0)
                return k;
        if (!written || !host_is_live(h))
                return 0;       /* at boot, its service sizes the file from the config */
        if ((k = plan_add_systemd(p, check, SYSTEMD_RESTART, DPHYS_UNIT, NULL)) < 0)
                return k;
        return plan_note(p, "remakes %s at the new size and swaps on it", d.swapfile);
}

int fix_swap_managed(struct host *h, const struct swap_facts *f, struct plan *p, const char *check) {
        switch (f->problem) {
        case SWAP_MANAGED_SMALL:
                return plan_dphys_raise(h, p, check, f);
        case SWAP_MANAGED_INACTIVE: {
                if (!f->unit)
                        return plan_add_manualf(p, check, "%s configures %s, but names no unit hostfit can start: "
                                                "start it as %s documents", f->manager, f->path, f->manager);
                int k = plan_add_systemd(p, check, SYSTEMD_START, f->unit, NULL);
                return k < 0 ? k : 0;
        }
        default:
                /* rpi-swap set up for zram: a second swap beside it would fight it. */
                return plan_add_manualf(p, check, "rpi-swap manages swap on this host and sets up zram only; "
                                        "for disk-backed swap, set Mechanism=swapfile in its [Main] section in a drop-in "
                                        "such as /etc/rpi/swap.conf.d/50-swapfile.conf (zram is given up) and reboot. "
                                        "hostfit adds no second swap beside it");
        }
}
