/* SPDX-License-Identifier: MIT */
/* Whether and how swap can be made on this host from swap-missing's facts: the rule its
 * fix plans by, kept with the host view so that every asker (the fix, unit-memorymax for
 * each unit) gets the answer worked out once a run. */
#include <errno.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/config.h"
#include "host/host.h"
#include "host/swapmake.h"
#include "host/virt.h"
#include "text/cleanup.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)
#define ZFS_SUPER_MAGIC 0x2fc12fc1

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

uint64_t swapfile_size_auto(uint64_t mem_total, uint64_t fs_free) {
        uint64_t size;
        if (mem_total < 4 * GiB)
                size = mem_total;
        else if (mem_total <= 16 * GiB)
                size = 4 * GiB;
        else
                size = (uint64_t) llround(sqrt((double) mem_total / (double) GiB)) * GiB;
        if (size > 2 * mem_total)
                size = 2 * mem_total;
        if (size > fs_free / 4)
                size = fs_free / 4;
        return size / MiB * MiB;
}

void swap_facts_free(void *p) {
        struct swap_facts *f = p;
        if (!f)
                return;
        free(f->path);
        free(f->fstab_source);
        free(f->source);
        free(f);
}

static unsigned long fs_magic(const struct statfs *sf) {
        return (unsigned long) sf->f_type & 0xffffffffUL;
}

/* btrfs: a swapfile stops every snapshot of its subvolume (btrfs(5), "Swapfile support"),
 * so it goes only into a subvolume of its own: its directory is a subvolume root
 * (inode 256) other than the one / is on (btrfs gives each subvolume its own st_dev).
 * A directory that does not exist yet, in a btrfs directory, is to be made a new
 * subvolume. W->dir is that directory; refused as BTRFS_SHARED otherwise. */
static int judge_btrfs(struct host *h, const char *path, struct swap_way *w) {
        struct stat st, root;
        struct statfs sf;
        if (!(w->dir = strdup(path)))
                return -ENOMEM;
        char *slash = strrchr(w->dir, '/');
        if (slash && slash != w->dir)
                *slash = '\0';
        else
                strcpy(w->dir, "/");
        int k = host_stat(h, w->dir, &st);
        if (k == 0 && host_stat(h, "/", &root) == 0 && S_ISDIR(st.st_mode) &&
            st.st_ino == BTRFS_FIRST_FREE_OBJECTID && st.st_dev != root.st_dev)
                return 0;
        if (k == -ENOENT && strcmp(w->dir, "/") != 0) {
                /* Its parent must be there, on btrfs: host_statfs would walk further up. */
                char *parent = strdup(w->dir);
                if (!parent)
                        return -ENOMEM;
                char *s = strrchr(parent, '/');
                s == parent ? (void) (s[1] = '\0') : (void) (*s = '\0');
                bool ok = host_stat(h, parent, &st) == 0 && S_ISDIR(st.st_mode) && host_statfs(h, parent, &sf) == 0 &&
                          fs_magic(&sf) == BTRFS_SUPER_MAGIC;
                free(parent);
                if (ok) {
                        w->new_subvolume = true;
                        return 0;
                }
        }
        w->make = SWAP_MAKE_REFUSED;
        w->refusal = SWAPFILE_BTRFS_SHARED;
        return 0;
}

/* Whether the filesystem at PATH takes a swapfile; *ret_free: bytes free there. */
static int judge_filesystem(struct host *h, const char *path, struct swap_way *w, uint64_t *ret_free) {
        struct statfs sf;
        int k = host_statfs(h, path, &sf);
        w->make = SWAP_MAKE_REFUSED;
        if (k < 0) {
                w->refusal = SWAPFILE_STATFS_FAILED;
                w->err = k;
                return 0;
        }
        unsigned long type = fs_magic(&sf);
        for (size_t i = 0; i < ELEMENTSOF(refused_fs); i++)
                if (type == refused_fs[i].magic) {
                        w->refusal = SWAPFILE_FS_REFUSED;
                        w->fs_name = refused_fs[i].name;
                        w->fs_why = refused_fs[i].why;
                        return 0;
                }
        w->make = SWAP_MAKE_NEW_FILE;
        if (type == BTRFS_SUPER_MAGIC && ((k = judge_btrfs(h, path, w)) < 0 || w->make == SWAP_MAKE_REFUSED))
                return k;
        bool ok = false;
        for (size_t i = 0; i < ELEMENTSOF(swap_ok_fs); i++)
                ok = ok || type == swap_ok_fs[i];
        if (!ok) {
                w->make = SWAP_MAKE_REFUSED;
                w->refusal = SWAPFILE_FS_UNKNOWN;
                w->fs_type = type;
                return 0;
        }
        *ret_free = (uint64_t) sf.f_bavail * (uint64_t) sf.f_bsize;
        return 0;
}

/* A new swapfile at PATH for MEM bytes of RAM (0: unknown): where, and how large. */
static int judge_new_file(struct host *h, const char *path, uint64_t mem, struct swap_way *w) {
        uint64_t fs_free = 0;
        int k = judge_filesystem(h, path, w, &fs_free);
        if (k < 0 || w->make == SWAP_MAKE_REFUSED)
                return k;
        uint64_t size = config_get_size(host_config(h), "swap", "size", 0);
        w->size_fixed = size > 0;
        w->fs_free = fs_free;
        w->size = size;
        w->make = SWAP_MAKE_REFUSED;
        if (w->size_fixed && size >= fs_free)
                w->refusal = SWAPFILE_TOO_BIG;
        else if (!w->size_fixed && mem == 0)
                w->refusal = SWAPFILE_MEM_UNKNOWN;
        else {
                if (!w->size_fixed)
                        w->size = swapfile_size_auto(mem, fs_free);
                if (w->size < SWAPFILE_MIN)
                        w->refusal = SWAPFILE_NO_ROOM;
                else
                        w->make = SWAP_MAKE_NEW_FILE;
        }
        return 0;
}

static int judge(struct host *h, const struct swap_facts *f, struct swap_way *w) {
        int k;
        if (!f->path)
                return (w->make = SWAP_MAKE_NOTHING), 0;
        if ((k = host_container(h, &w->container)) != 0)
                return k < 0 ? k : ((w->make = SWAP_MAKE_CONTAINER), 0);
        if (f->manager)
                w->make = SWAP_MAKE_MANAGED;
        else if (f->problem == SWAP_NOT_FOUND)
                w->make = SWAP_MAKE_NOT_FOUND;
        else if (f->noauto)
                w->make = SWAP_MAKE_NOAUTO;
        else if (f->target == SWAP_TARGET_DEVICE && f->problem == SWAP_INACTIVE && !host_is_live(h))
                w->make = SWAP_MAKE_AT_BOOT;
        else if (f->path[0] != '/')
                w->make = SWAP_MAKE_BAD_PATH;
        else if (f->target == SWAP_TARGET_MISSING)
                return judge_new_file(h, f->path, f->mem_total, w);
        else
                w->make = SWAP_MAKE_EXISTING;
        return 0;
}

/* The answers of a run, by the facts they were worked out from. */
struct swap_memo {
        struct swap_memo *next;
        enum swap_problem problem;
        enum swap_target_state target;
        uint64_t mem_total;
        bool noauto;
        const char *manager;
        char *path;
        struct swap_way way;
};

static void swap_memo_free(void *p) {
        for (struct swap_memo *m = p, *next; m; m = next) {
                next = m->next;
                free(m->path);
                free(m->way.dir);
                free(m);
        }
}

static bool memo_matches(const struct swap_memo *m, const struct swap_facts *f) {
        return m->problem == f->problem && m->target == f->target && m->mem_total == f->mem_total &&
               m->noauto == f->noauto && m->manager == f->manager &&
               (m->path && f->path ? strcmp(m->path, f->path) == 0 : m->path == f->path);
}

int swap_make_judge(struct host *h, const struct swap_facts *f, const struct swap_way **ret) {
        struct swap_memo *head = host_cache_get(h, "swap-make"), *m;
        for (m = head; m; m = m->next)
                if (memo_matches(m, f)) {
                        *ret = &m->way;
                        return 0;
                }
        if (!(m = calloc(1, sizeof(*m))) || (f->path && !(m->path = strdup(f->path)))) {
                free(m);
                return -ENOMEM;
        }
        host_counters.swap_judged++;
        m->problem = f->problem, m->target = f->target, m->mem_total = f->mem_total;
        m->noauto = f->noauto, m->manager = f->manager;
        int k = judge(h, f, &m->way);
        if (k < 0) {
                swap_memo_free(m);
                return k;
        }
        if (head) {
                m->next = head->next;   /* behind the head, which the cache holds */
                head->next = m;
        } else if ((k = host_cache_put(h, "swap-make", m, swap_memo_free)) < 0)
                return k;       /* the cache is full: it has freed M */
        *ret = &m->way;
        return 0;
}

bool swap_way_makes_swap(const struct swap_way *w) {
        return w->make == SWAP_MAKE_NEW_FILE || w->make == SWAP_MAKE_EXISTING;
}
