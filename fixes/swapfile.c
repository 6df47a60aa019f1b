/* SPDX-License-Identifier: MIT */
/* swapfile: the fix for swap-missing: a swapfile sized by rule, its fstab line, swapon.
 *
 * fstab is edited as text: one line appended, every other byte kept, the
 * result re-parsed with libmount before it goes into the plan. */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "text/strbuf.h"
#include "swap.h"
#include "swapmgr.h"
#include "host/virt.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

#define FSTAB "/etc/fstab"

/* The manual step for a swapfile W refuses at PATH. 0, or -errno. */
static int plan_refusal(struct plan *p, const char *check, const char *path, const struct swap_way *w) {
        char a[32], b[32];
        switch (w->refusal) {
        case SWAPFILE_STATFS_FAILED:
                return plan_add_manualf(p, check, "cannot inspect the filesystem for %s: %s; no swapfile made",
                                        path, strerror(-w->err));
        case SWAPFILE_FS_REFUSED:
                return plan_add_manualf(p, check,
                                        "no swapfile at %s: it would be on %s, and %s. "
                                        "Use compressed swap in RAM instead: hostfit fix zram-missing, "
                                        "or set [swap] path in %s to a disk filesystem",
                                        path, w->fs_name, w->fs_why, CONFIG_PATH);
        case SWAPFILE_BTRFS_SHARED:
                return plan_add_manualf(p, check, "no swapfile at %s: it would be on btrfs in %s, a subvolume that is "
                                        "not its own, and a swapfile stops every snapshot of its subvolume. Set [swap] "
                                        "path in %s to a file in a directory that does not exist yet (e.g. %s): "
                                        "hostfit makes that directory a subvolume of its own and the file NOCOW in it "
                                        "(as btrfs filesystem mkswapfile does); or use zram (hostfit fix zram-missing)",
                                        path, w->dir, CONFIG_PATH, SWAPFILE_BTRFS_PATH);
        case SWAPFILE_FS_UNKNOWN:
                return plan_add_manualf(p, check,
                                        "no swapfile at %s: hostfit does not know whether its filesystem "
                                        "(type 0x%lx) supports swapfiles; set [swap] path in %s to one on "
                                        "ext4, xfs or btrfs, or use zram (hostfit fix zram-missing)",
                                        path, w->fs_type, CONFIG_PATH);
        case SWAPFILE_TOO_BIG:
                return plan_add_manualf(p, check, "no swapfile at %s: [swap] size %s does not fit the %s free there",
                                        path, swap_format_size(w->size, a), swap_format_size(w->fs_free, b));
        case SWAPFILE_MEM_UNKNOWN:
                return plan_add_manualf(p, check, "no swapfile at %s: the RAM of the machine this image boots on "
                                        "is unknown; set [swap] size or [%s] %s in %s", path,
                                        IMAGE_SECTION, IMAGE_MEMORY_KEY, CONFIG_PATH);
        case SWAPFILE_NO_ROOM:
                return plan_add_manualf(p, check, "no swapfile at %s: only %s free there; free some space "
                                        "or set [swap] path in %s", path, swap_format_size(w->fs_free, b), CONFIG_PATH);
        }
        return -EINVAL;
}

static bool plan_has_swapfile(struct plan *p, const char *path) {
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_SWAPFILE && strcmp(a->path, path) == 0)
                        return true;
        }
        return false;
}

/* Plan the new swapfile W says goes at PATH (first the subvolume of its own it goes in, on
 * btrfs), or the manual step that says why none can. 1 when planned, 0 when refused. */
static int plan_new_swapfile(struct host *h, struct plan *p, const char *check, const char *path,
                             uint64_t mem, const struct swap_way *w) {
        char b[32], m[32];
        if (plan_has_swapfile(p, path))
                return 1;
        if (w->make == SWAP_MAKE_REFUSED)
                return plan_refusal(p, check, path, w);
        int k;
        if (w->new_subvolume) {
                k = plan_add_subvolume(p, check, w->dir);
                if (k < 0 && k != -EEXIST)      /* -EEXIST: planned already (another swapfile of this plan) */
                        return k;
                if (k >= 0 && (k = plan_note(p, "a swapfile stops every snapshot of its subvolume (btrfs(5)): %s "
                                              "holds only the swapfile, NOCOW; undo deletes it once empty", w->dir)) < 0)
                        return k;
        }
        k = plan_add_swapfile(p, check, path, w->size);
        if (k < 0)
                return k;

        if (w->size_fixed)
                k = plan_note(p, "size from [swap] size in %s", CONFIG_PATH);
        else
                k = plan_note(p, "size for %s RAM and %s free; [swap] size in %s overrides it",
                              swap_format_size(mem, m), swap_format_size(w->fs_free, b), CONFIG_PATH);
        if (k == 0 && swap_image_page_size_varies(h))
                k = fix_plan_boot_signature(h, p, check, path);
        return k < 0 ? k : 1;
}

static int parse_fstab_text(const char *text, size_t len, struct libmnt_table **ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        if (len > 0) {
                _cleanup_fclose_ FILE *f = fmemopen((void *) text, len, "r");
                if (!f)
                        return -errno;
                int k = mnt_table_parse_stream(tb, f, FSTAB);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(tb);
        return 0;
}

static bool table_has_swap(struct libmnt_table *tb, const char *path) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *src = mnt_fs_get_source(fs);
                if (src && strcmp(src, path) == 0 && mnt_fs_is_swaparea(fs))
                        return true;
        }
        return false;
}

int swap_fstab_append(const char *old, size_t len, const char *path, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *mangled = mnt_mangle(path);
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        if (!mangled)
                return -ENOMEM;
        int k = strbuf_add(&sb, old ? old : "", old ? len : 0);
        if (k == 0 && sb.len > 0 && sb.buf[sb.len - 1] != '\n')
                k = strbuf_addch(&sb, '\n');
        if (k == 0)
                k = strbuf_addf(&sb, "%s none swap sw 0 0\n", mangled);
        if (k < 0)
                return k;
        k = parse_fstab_text(sb.buf, sb.len, &tb);
        if (k < 0)
                return k;
        if (!table_has_swap(tb, path))
                return -EBADMSG;
        size_t n;
        char *s = strbuf_detach(&sb, &n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        *ret_len = n;
        return 0;
}

/* Plan the fstab line for PATH unless fstab (as planned so far) has one. 1 when added. */
static int plan_fstab_line(struct plan *p, const char *check, const char *path) {
        const char *old;
        size_t len;
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        int k = plan_get_file(p, FSTAB, &old, &len);
        if (k < 0)
                return k;
        k = parse_fstab_text(old, old ? len : 0, &tb);
        if (k < 0)
                return k;
        if (table_has_swap(tb, path))
                return 0;
        _cleanup_free_ char *text = NULL;
        size_t n;
        k = swap_fstab_append(old, len, path, &text, &n);
        if (k < 0)
                return k;
        return plan_add_write(p, check, FSTAB, text, n, 0644);
}

/* swapon now on the running system; elsewhere say what boot does instead. */
static int plan_activate(struct host *h, struct plan *p, const char *check, const char *path, bool changed) {
        if (!host_is_live(h) && !changed)
                return 0;       /* fstab has it already: boot activates it */
        int k = plan_add_swapon(p, check, path, -1);
        if (k < 0)
                return k;
        if (!host_is_live(h))
                return plan_note(p, "not the running system: at boot, swapon -a activates %s from %s",
                                 path, FSTAB);
        return 0;
}

/* What swap_make_judge() says the facts call for, planned; the same answer unit-memorymax
 * judges hostfit's drop-in by, so the two never disagree about whether swap comes. */
static int fix_swapfile_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct swap_facts *facts = f->data;
        const struct swap_way *w;
        const char *check = f->check->id;
        bool changed = false;
        int k;

        if (!facts)
                return 0;
        if ((k = swap_make_judge(h, facts, &w)) < 0)
                return k;
        switch (w->make) {
        case SWAP_MAKE_NOTHING:
        case SWAP_MAKE_AT_BOOT:         /* fstab has it: boot activates it, or says why not */
                return 0;
        case SWAP_MAKE_CONTAINER:
                return plan_add_manualf(p, check, "no swap change inside a container (%s): "
                                        "swap belongs to the host", w->container);
        case SWAP_MAKE_MANAGED:
                return fix_swap_managed(h, facts, p, check);
        case SWAP_MAKE_NOT_FOUND:
                return plan_add_manualf(p, check, "%s matches no device: correct or remove its line in %s "
                                        "(boot waits for it); then hostfit fix swap-missing adds a swapfile if "
                                        "no swap is left", facts->source, FSTAB);
        case SWAP_MAKE_NOAUTO:
                return plan_add_manualf(p, check, "remove noauto from the options of %s in %s so that boot "
                                        "activates it%s", facts->source ? facts->source : facts->path, FSTAB,
                                        facts->problem == SWAP_NOAUTO ? ", then swapon it" : "");
        case SWAP_MAKE_BAD_PATH:
                return plan_add_manualf(p, check, "%s matches no device; check the line in %s", facts->path, FSTAB);
        case SWAP_MAKE_NEW_FILE:
        case SWAP_MAKE_REFUSED:
                k = plan_new_swapfile(h, p, check, facts->path, facts->mem_total, w);
                if (k <= 0)
                        return k;
                changed = true;
                break;
        case SWAP_MAKE_EXISTING:
                break;
        }
        if (facts->problem != SWAP_INACTIVE) {
                k = plan_fstab_line(p, check, facts->fstab_source ? facts->fstab_source : facts->path);
                if (k < 0)
                        return k;
                changed = changed || k > 0;
        }
        if (facts->problem == SWAP_NOT_PERSISTENT)
                return 0;
        return plan_activate(h, p, check, facts->path, changed);
}

const struct fix fix_swapfile = {
        .name = "swapfile",
        .summary = "a swapfile sized by rule (RAM < 4 GiB: RAM; to 16 GiB: 4 GiB; above: sqrt(RAM) GiB), "
                   "its /etc/fstab line, and swapon",
        .plan = fix_swapfile_plan,
};
