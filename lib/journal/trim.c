/* SPDX-License-Identifier: MIT */
/* The journal's pages during a walk: sd-journal maps its files in windows it
 * keeps, so every page the walk touched would stay resident, and it reaches
 * each page by a page fault. Here the windows the walk left are let go, and a
 * window it just entered is mapped ahead in one call. Reads /proc/self/statm
 * (every few hundred entries, or every few thousand while the walk's data stays in
 * the window it was in) and, when a window came or RSS grew, /proc/self/maps (asked about one
 * mapping at a time where the kernel can); madvise()s only the
 * journal files' read-only shared mappings (MADV_DONTNEED loses nothing there,
 * MADV_POPULATE_READ maps what the walk would fault in). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "journal/trim.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14; older kernels say EINVAL and the walk faults as before */
#endif

/* Memory follows the incidents kept, not the entries read: past RSS_SLACK more
 * than at the start (once the pages of the journal's opening are let go), the
 * windows the walk left are dropped from this process (the file and the page
 * cache keep them; the next touch maps them again). */
#define RSS_SLACK (8ULL << 20)
#define CHECK_EVERY 256         /* entries between looks at statm: a few hundred KiB of journal */
/* Entries between looks at statm while the walk's data stays in the window it lay in at
 * the last look: sd-journal mapped no window to get there, and RSS grows only by what the
 * walk touches of the windows it has (a window holds a few thousand entries). */
#define CHECK_MAX (4 * CHECK_EVERY)
/* sd-journal maps 8 MiB windows centred on the object it needs: the walk
 * enters a new window at its middle and goes on through its upper half.
 * Faulting that in costs one fault per 64 KiB (9-18 µs each measured in a
 * VM); one MADV_POPULATE_READ maps the same pages for about half the CPU.
 * At most this much a window, within the slack. */
#define AHEAD_MAX (4ULL << 20)

/* Our own VmSize (pages: it changes when sd-journal maps a window) and RSS (bytes). */
static bool self_statm(int fd, uint64_t *ret_size, uint64_t *ret_rss) {
        char buf[128];
        ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
        unsigned long long size, resident;
        if (n <= 0)
                return false;
        buf[n] = '\0';
        if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
                return false;
        *ret_size = size;
        *ret_rss = (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE);
        return true;
}

static bool is_journal_file(const char *path) {
        size_t n = strlen(path);
        return (n > 8 && strcmp(path + n - 8, ".journal") == 0) || (n > 9 && strcmp(path + n - 9, ".journal~") == 0);
}

/* A window of a journal file that sd-journal mapped, as /proc/self/maps says. */
struct window {
        unsigned long start, end, offset, inode;
        unsigned dev_major, dev_minor;
        unsigned born;          /* the look that first saw it */
};

/* Linux 6.11's PROCMAP_QUERY on /proc/self/maps (struct procmap_query in
 * linux/fs.h, declared here for older headers): the one mapping at an address,
 * without the kernel printing every line. Before 6.11 (and under qemu-user) it
 * fails with ENOTTY or EINVAL, and the whole file is read as before. */
struct vma_query {
        uint64_t size, query_flags, query_addr;
        uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
        uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
        uint64_t vma_name_addr, build_id_addr;
};
#define VMA_QUERY _IOWR('f', 17, struct vma_query)
#define VMA_READABLE 0x01
#define VMA_WRITABLE 0x02
#define VMA_SHARED 0x08

#define WINDOWS_MAX 256

struct journal_trim {
        int statm;              /* our own /proc/self/statm; -1 unreadable */
        int maps;               /* /proc/self/maps to ask one mapping of; -1 when it cannot say */
        uint64_t rss_base;
        uint64_t vm_size;       /* VmSize at the last look */
        unsigned unchecked;
        unsigned looks;
        unsigned long statm_reads;
        unsigned long here_start, here_end;     /* the window the walk's data lay in at the last look at
                                                 * statm; both 0: none known */
        size_t n;
        struct window w[WINDOWS_MAX];
};

/* One line of /proc/self/maps ("start-end perms offset dev inode   path") into
 * *W and *RET_PATH; false for a writable mapping or a line of another shape. */
static bool parse_map_line(char *line, struct window *w, const char **ret_path) {
        char *e;
        w->start = strtoul(line, &e, 16);
        if (*e != '-')
                return false;
        w->end = strtoul(e + 1, &e, 16);
        if (*e != ' ' || strlen(e) < 6 || e[2] == 'w' || e[5] != ' ')
                return false;
        w->offset = strtoul(e + 6, &e, 16);
        if (*e != ' ')
                return false;
        w->dev_major = (unsigned) strtoul(e + 1, &e, 16);
        if (*e != ':')
                return false;
        w->dev_minor = (unsigned) strtoul(e + 1, &e, 16);
        if (*e != ' ')
                return false;
        w->inode = strtoul(e + 1, &e, 10);
        e += strspn(e, " ");
        e[strcspn(e, "\n")] = '\0';
        *ret_path = e;
        return w->end > w->start;
}

/* The journal files' read-only mappings now, in address order, each with the
 * look that first saw it; past WINDOWS_MAX, one is not kept but dropped at once. */
static size_t journal_windows(const struct journal_trim *t, struct window *ret) {
        char text[32768];       /* a few reads for the whole file, not one a KiB */
        _cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
        char line[4096 + 128];
        size_t n = 0;
        if (f)
                (void) setvbuf(f, text, _IOFBF, sizeof text);
        while (f && fgets(line, sizeof line, f)) {
                struct window w = { .born = t->looks };
                const char *path;
                if (!strchr(line, '\n')) {
                        /* A path longer than the line (the kernel prints any depth): its
                         * rest is no line of its own, whatever it reads like. Skipped. */
                        int c;
                        while ((c = getc(f)) != EOF && c != '\n')
                                ;
                        continue;
                }
                if (!parse_map_line(line, &w, &path) || !is_journal_file(path))
                        continue;
                if (n == WINDOWS_MAX) {
                        (void) madvise((void *) w.start, w.end - w.start, MADV_DONTNEED);
                        continue;
                }
                for (size_t i = 0; i < t->n; i++)
                        if (t->w[i].start == w.start && t->w[i].end == w.end && t->w[i].offset == w.offset &&
                            t->w[i].inode == w.inode)
                                w.born = t->w[i].born;
                ret[n++] = w;
        }
        return n;
}

/* The mapping that covers ADDR, into *Q: false when none, or when the kernel
 * cannot say (then never asked again). */
static bool vma_at(struct journal_trim *t, unsigned long addr, struct vma_query *q) {
        *q = (struct vma_query) { .size = sizeof *q, .query_addr = addr };
        if (t->maps >= 0 && ioctl(t->maps, VMA_QUERY, q) == 0)
                return true;
        if (t->maps >= 0 && errno != ENOENT) {
                close(t->maps);
                t->maps = -1;
        }
        return false;
}

static bool is_window(const struct window *w, const struct vma_query *q) {
        return q->vma_start == w->start && q->vma_end == w->end && q->vma_offset == w->offset &&
               q->inode == w->inode && q->dev_major == w->dev_major && q->dev_minor == w->dev_minor;
}

/* sd-journal mapped one more window, GROWN bytes of address space: mmap()
 * places it right below the lowest window. When the mapping there is that
 * many bytes, read-only and shared, of a journal file /proc/self/maps named
 * before, and the windows the last look found new (to be dropped now) are
 * still where they were: the windows now, in address order, without reading
 * the whole of /proc/self/maps. Else 0, and the caller reads it. */
static size_t windows_grown(struct journal_trim *t, uint64_t grown, struct window *ret) {
        struct vma_query q;
        unsigned long lowest = ULONG_MAX;
        bool journal = false;
        if (t->maps < 0 || t->n == 0 || t->n == WINDOWS_MAX)
                return 0;
        for (size_t i = 0; i < t->n; i++)
                if (t->w[i].start < lowest)
                        lowest = t->w[i].start;
        if (!vma_at(t, lowest - 1, &q) || q.vma_end != lowest || q.vma_end - q.vma_start != grown ||
            (q.vma_flags & (VMA_READABLE | VMA_WRITABLE | VMA_SHARED)) != (VMA_READABLE | VMA_SHARED))
                return 0;
        struct window w = { .start = q.vma_start, .end = q.vma_end, .offset = q.vma_offset, .inode = q.inode,
                            .dev_major = q.dev_major, .dev_minor = q.dev_minor, .born = t->looks };
        for (size_t i = 0; i < t->n; i++) {
                journal = journal || (t->w[i].inode == w.inode && t->w[i].dev_major == w.dev_major &&
                                      t->w[i].dev_minor == w.dev_minor);
                if (t->w[i].born + 1 == t->looks && (!vma_at(t, t->w[i].start, &q) || !is_window(&t->w[i], &q)))
                        return 0;
        }
        if (!journal)
                return 0;
        ret[0] = w;
        memcpy(ret + 1, t->w, t->n * sizeof *t->w);
        return t->n + 1;
}

enum age {
        AGE_NEW,                /* first seen by this look: the walk is in it */
        AGE_RECENT,             /* first seen by the look before: the walk just left it */
        AGE_OLDER,              /* dropped before; holds what the walk touched again since */
};

static enum age window_age(const struct journal_trim *t, const struct window *w) {
        return w->born == t->looks ? AGE_NEW : w->born + 1 == t->looks ? AGE_RECENT : AGE_OLDER;
}

/* Drop the pages of the windows of age AGE, adjacent windows in one call (sd-journal
 * maps them one below the other): each call walks page tables and flushes the TLB. */
static void drop(const struct journal_trim *t, const struct window *w, size_t n, enum age age) {
        for (size_t i = 0; i < n;) {
                if (window_age(t, &w[i]) != age) {
                        i++;
                        continue;
                }
                unsigned long start = w[i].start, end = w[i].end;
                for (i++; i < n && window_age(t, &w[i]) == age && w[i].start == end; i++)
                        end = w[i].end;
                (void) madvise((void *) start, end - start, MADV_DONTNEED);
        }
}

static uint64_t rss_now(const struct journal_trim *t) {
        uint64_t size, rss;
        return self_statm(t->statm, &size, &rss) ? rss : UINT64_MAX;
}

/* A look at the windows, GROWN bytes of address space after the last (0: not
 * one window more): those the walk left are dropped, older ones again when RSS
 * is still over half the slack (every drop flushes the TLB and the pages
 * touched again fault back in), new ones when even that was not enough; else a
 * new window's upper half is mapped ahead, within the slack. */
static void look(struct journal_trim *t, uint64_t grown) {
        struct window now[WINDOWS_MAX];
        t->looks++;
        size_t n = grown ? windows_grown(t, grown, now) : 0;
        bool whole = n == 0;    /* the windows read from the whole of /proc/self/maps */
        if (whole)
                n = journal_windows(t, now);
        drop(t, now, n, AGE_RECENT);
        uint64_t rss = rss_now(t);
        if (rss > t->rss_base + RSS_SLACK / 2) {
                /* Older windows are dropped only as /proc/self/maps lists them now. */
                if (!whole)
                        n = journal_windows(t, now);
                drop(t, now, n, AGE_OLDER);
                rss = rss_now(t);
        }
        if (rss > t->rss_base + RSS_SLACK)
                drop(t, now, n, AGE_NEW);
        else
                for (size_t i = 0; i < n; i++) {
                        unsigned long half = (now[i].end - now[i].start) / 2 & ~4095UL;
                        unsigned long len = now[i].end - now[i].start - half;
                        if (window_age(t, &now[i]) != AGE_NEW || len > AHEAD_MAX ||
                            rss + len > t->rss_base + RSS_SLACK)
                                continue;
                        if (madvise((void *) (now[i].start + half), len, MADV_POPULATE_READ) == 0)
                                rss += len;
                }
        memcpy(t->w, now, n * sizeof *now);
        t->n = n;
}

struct journal_trim *journal_trim_new(void) {
        struct journal_trim *t = calloc(1, sizeof *t);
        struct window now[WINDOWS_MAX];
        if (!t)
                return NULL;
        t->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        t->maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        /* The pages the opening touched (headers, hash tables) go first: the
         * base is this process's own, and the walk maps back what it needs. */
        t->n = journal_windows(t, now);
        drop(t, now, t->n, AGE_NEW);
        memcpy(t->w, now, t->n * sizeof *now);
        if (!self_statm(t->statm, &t->vm_size, &t->rss_base))
                t->vm_size = t->rss_base = 0;
        return t;
}

struct journal_trim *journal_trim_free(struct journal_trim *t) {
        if (!t)
                return NULL;
        if (t->statm >= 0)
                close(t->statm);
        if (t->maps >= 0)
                close(t->maps);
        free(t);
        return NULL;
}

/* The window of those the last look found that holds A, as where the walk is. */
static void find_here(struct journal_trim *t, unsigned long a) {
        t->here_start = t->here_end = 0;
        for (size_t i = 0; a && i < t->n; i++)
                if (a >= t->w[i].start && a < t->w[i].end) {
                        t->here_start = t->w[i].start;
                        t->here_end = t->w[i].end;
                        return;
                }
}

void journal_trim_step_at(struct journal_trim *t, const void *at) {
        unsigned long a = (unsigned long) at;
        uint64_t size, rss;
        if (++t->unchecked < CHECK_EVERY)
                return;
        /* Still where it was at the last look: no window came for the walk to get here. */
        if (a && a >= t->here_start && a < t->here_end && t->unchecked < CHECK_MAX)
                return;
        t->unchecked = 0;
        if (!self_statm(t->statm, &size, &rss))
                return;
        t->statm_reads++;
        /* A window mapped or let go since, or RSS past the slack. */
        if (size != t->vm_size || rss > t->rss_base + RSS_SLACK) {
                uint64_t grown = size > t->vm_size ? (size - t->vm_size) * (uint64_t) sysconf(_SC_PAGESIZE) : 0;
                t->vm_size = size;
                look(t, grown);
        }
        find_here(t, a);
}

void journal_trim_step(struct journal_trim *t) {
        journal_trim_step_at(t, NULL);
}

unsigned long journal_trim_statm_reads(const struct journal_trim *t) {
        return t->statm_reads;
}
