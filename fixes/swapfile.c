/* SPDX-License-Identifier: MIT */
/* swapfile: the fix for swap-missing: a swapfile sized by rule, its fstab line, swapon.
 *
 * fstab is edited as text: one line appended, every other byte kept, the
 * result re-parsed with libmount before it goes into the plan. */
#include <errno.h>
#include <libmount.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
#define ZFS_SUPER_MAGIC 0x2fc12fc1
#define SWAPFILE_MIN (UINT64_C(16) << 20)

/* Filesystems a swapfile cannot live on, and why. */
static const struct {
        unsigned long magic;
        const char *name;
        const char *why;
} refused_fs[] = {
        { TMPFS_MAGIC,           "tmpfs",     "it lives in RAM (and the kernel refuses swap on it)" },
        { RAMFS_MAGIC,           "ramfs",     "it lives in RAM" },
        { OVERLAYFS_SUPER_MAGIC, "overlayfs", "the kernel cannot swap to a file on it" },
        { ZFS_SUPER_MAGIC,       "zfs",       "swap on ZFS can deadlock under memory pressure" },
        { NFS_SUPER_MAGIC,       "nfs",       "swap over the network stalls when the network does" },
        { SQUASHFS_MAGIC,        "squashfs",  "it is read-only" },
        { CIFS_SUPER_MAGIC,      "cifs",      "swap over the network stalls when the network does" },
        { SMB2_SUPER_MAGIC,      "smb2",      "swap over the network stalls when the network does" },
        { FUSE_SUPER_MAGIC,      "fuse",      "the kernel cannot swap to a file on it" },
};

/* Filesystems where fallocate (or NOCOW on btrfs) gives a usable swapfile. */
static const unsigned long swap_ok_fs[] = {
        EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC, F2FS_SUPER_MAGIC,
};

/* btrfs: a swapfile stops every snapshot of its subvolume (btrfs(5), "Swapfile support"),
 * so it goes only into a subvolume of its own: its directory is a subvolume root
 * (inode 256) other than the one / is on (btrfs gives each subvolume its own st_dev).
 * A directory that does not exist yet, in a btrfs directory, is planned as a new
 * subvolume. 1 when PATH is (or will be) in one; 0 after a manual step saying how. */
static int check_btrfs_subvolume(struct host *h, struct plan *p, const char *check, const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        struct stat st, root;
        struct statfs sf;
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = '\0';
        else
                strcpy(dir, "/");
        int k = host_stat(h, dir, &st);
        if (k == 0 && host_stat(h, "/", &root) == 0 && S_ISDIR(st.st_mode) &&
            st.st_ino == BTRFS_FIRST_FREE_OBJECTID && st.st_dev != root.st_dev)
                return 1;
        if (k == -ENOENT && strcmp(dir, "/") != 0) {
                /* Its parent must be there, on btrfs: host_statfs would walk further up. */
                _cleanup_free_ char *parent = strdup(dir);
                if (!parent)
                        return -ENOMEM;
                char *s = strrchr(parent, '/');
                s == parent ? (void) (s[1] = '\0') : (void) (*s = '\0');
                if (host_stat(h, parent, &st) == 0 && S_ISDIR(st.st_mode) && host_statfs(h, parent, &sf) == 0 &&
                    ((unsigned long) sf.f_type & 0xffffffffUL) == BTRFS_SUPER_MAGIC) {
                        k = plan_add_subvolume(p, check, dir);
                        if (k == -EEXIST)
                                return 1;       /* planned already (another swapfile of this plan) */
                        if (k < 0)
                                return k;
                        k = plan_note(p, "a swapfile stops every snapshot of its subvolume (btrfs(5)): %s "
                                      "holds only the swapfile, NOCOW; undo deletes it once empty", dir);
                        return k < 0 ? k : 1;
                }
        }
        return plan_add_manualf(p, check, "no swapfile at %s: it would be on btrfs in %s, a subvolume that is "
                                "not its own, and a swapfile stops every snapshot of its subvolume. Set [swap] "
                                "path in %s to a file in a directory that does not exist yet (e.g. %s): "
                                "hostfit makes that directory a subvolume of its own and the file NOCOW in it "
                                "(as btrfs filesystem mkswapfile does); or use zram (hostfit fix zram-missing)",
                                path, dir, CONFIG_PATH, SWAPFILE_BTRFS_PATH);
}

/* 1 when the filesystem at PATH takes a swapfile; 0 after a manual action that says why not. */
static int check_filesystem(struct host *h, struct plan *p, const char *check, const char *path,
                            uint64_t *ret_free) {
        struct statfs sf;
        int k = host_statfs(h, path, &sf);
        if (k < 0)
                return plan_add_manualf(p, check, "cannot inspect the filesystem for %s: %s; no swapfile made",
                                        path, strerror(-k));
        unsigned long type = (unsigned long) sf.f_type & 0xffffffffUL;
        for (size_t i = 0; i < ELEMENTSOF(refused_fs); i++)
                if (type == refused_fs[i].magic)
                        return plan_add_manualf(p, check,
                                                "no swapfile at %s: it would be on %s, and %s. "
                                                "Use compressed swap in RAM instead: hostfit fix zram-missing, "
                                                "or set [swap] path in %s to a disk filesystem",
                                                path, refused_fs[i].name, refused_fs[i].why, CONFIG_PATH);
        if (type == BTRFS_SUPER_MAGIC && (k = check_btrfs_subvolume(h, p, check, path)) <= 0)
                return k;
        bool ok = false;
        for (size_t i = 0; i < ELEMENTSOF(swap_ok_fs); i++)
                ok = ok || type == swap_ok_fs[i];
        if (!ok)
                return plan_add_manualf(p, check,
                                        "no swapfile at %s: hostfit does not know whether its filesystem "
                                        "(type 0x%lx) supports swapfiles; set [swap] path in %s to one on "
                                        "ext4, xfs or btrfs, or use zram (hostfit fix zram-missing)",
                                        path, type, CONFIG_PATH);
        *ret_free = (uint64_t) sf.f_bavail * (uint64_t) sf.f_bsize;
        return 1;
}

static bool plan_has_swapfile(struct plan *p, const char *path) {
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (a->kind == ACTION_SWAPFILE && strcmp(a->path, path) == 0)
                        return true;
        }
        return false;
}

/* Plan a new swapfile at PATH. 1 when planned, 0 when refused (a manual action says why). */
static int plan_new_swapfile(struct host *h, struct plan *p, const char *check, const char *path,
                             uint64_t mem) {
        const struct config *c = host_config(h);
        char a[32], b[32], m[32];
        uint64_t fs_free = 0, size;
        if (plan_has_swapfile(p, path))
                return 1;
        size_t n0 = plan_size(p);       /* a refusal takes back a subvolume planned for the file */
        int k = check_filesystem(h, p, check, path, &fs_free);
        if (k <= 0)
                return k;
        size = config_get_size(c, "swap", "size", 0);
        bool fixed = size > 0;
        uint64_t eff = fixed ? size : mem ? swapfile_size_auto(mem, fs_free) : 0;
        if ((fixed && size >= fs_free) || eff < SWAPFILE_MIN)
                plan_truncate(p, n0);
        if (fixed && size >= fs_free)
                return plan_add_manualf(p, check, "no swapfile at %s: [swap] size %s does not fit the %s free there",
                                        path, swap_format_size(size, a), swap_format_size(fs_free, b));
        if (!fixed && mem == 0)
                return plan_add_manualf(p, check, "no swapfile at %s: the RAM of the machine this image boots on "
                                        "is unknown; set [swap] size or [%s] %s in %s", path,
                                        IMAGE_SECTION, IMAGE_MEMORY_KEY, CONFIG_PATH);
        if (!fixed)
                size = swapfile_size_auto(mem, fs_free);
        if (size < SWAPFILE_MIN)
                return plan_add_manualf(p, check, "no swapfile at %s: only %s free there; free some space "
                                        "or set [swap] path in %s", path, swap_format_size(fs_free, b), CONFIG_PATH);
        k = plan_add_swapfile(p, check, path, size);
        if (k < 0)
                return k;

        if (fixed)
                k = plan_note(p, "size from [swap] size in %s", CONFIG_PATH);
        else
                k = plan_note(p, "size for %s RAM and %s free; [swap] size in %s overrides it",
                              swap_format_size(mem, m), swap_format_size(fs_free, b), CONFIG_PATH);
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

static int fix_swapfile_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct swap_facts *facts = f->data;
        const char *check = f->check->id;
        bool changed = false;
        int k;

        const char *name = NULL;
        if (!facts || !facts->path)
                return 0;
        if ((k = host_container(h, &name)) != 0)
                return k < 0 ? k : plan_add_manualf(p, check, "no swap change inside a container (%s): "
                                                    "swap belongs to the host", name);
        if (facts->manager)
                return fix_swap_managed(h, facts, p, check);
        if (facts->problem == SWAP_NOT_FOUND)
                return plan_add_manualf(p, check, "%s matches no device: correct or remove its line in %s "
                                        "(boot waits for it); then hostfit fix swap-missing adds a swapfile if "
                                        "no swap is left", facts->source, FSTAB);
        if (facts->noauto)
                return plan_add_manualf(p, check, "remove noauto from the options of %s in %s so that boot "
                                        "activates it%s", facts->source ? facts->source : facts->path, FSTAB,
                                        facts->problem == SWAP_NOAUTO ? ", then swapon it" : "");
        if (facts->target == SWAP_TARGET_DEVICE && facts->problem == SWAP_INACTIVE && !host_is_live(h))
                return 0;       /* fstab has it: boot activates it, or says why not */
        if (facts->path[0] != '/')
                return plan_add_manualf(p, check, "%s matches no device; check the line in %s", facts->path, FSTAB);
        if (facts->target == SWAP_TARGET_MISSING) {
                k = plan_new_swapfile(h, p, check, facts->path, facts->mem_total);
                if (k <= 0)
                        return k;
                changed = true;
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
