/* SPDX-License-Identifier: MIT */
/* The journal's pages during a walk: sd-journal maps its files in windows it
 * keeps, so every page the walk touched would stay resident, and it reaches
 * each page by a page fault. Here the windows the walk left are let go, and a
 * window it just entered is mapped ahead in one call. Reads /proc/self/statm
 * and, when a window came or RSS grew, /proc/self/maps; madvise()s only the
 * journal files' read-only shared mappings (MADV_DONTNEED loses nothing there,
 * MADV_POPULATE_READ maps what the walk would fault in). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        unsigned born;          /* the look that first saw it */
};

#define WINDOWS_MAX 256

struct journal_trim {
        int statm;              /* our own /proc/self/statm; -1 unreadable */
        uint64_t rss_base;
        uint64_t vm_size;       /* VmSize at the last look */
        unsigned unchecked;
        unsigned looks;
        size_t n;
        struct window w[WINDOWS_MAX];
};

/* One line of /proc/self/maps ("start-end perms offset dev inode   path") into
 * *W and *RET_PATH; false for a writable mapping or a line of another shape. */
static bool parse_map_line(char *line, struct window *w, const char **ret_path) {
        char *p = line, *e;
        w->start = strtoul(p, &e, 16);
        if (*e != '-')
                return false;
        w->end = strtoul(e + 1, &e, 16);
        if (*e != ' ' || strlen(e) < 6 || e[2] == 'w' || e[5] != ' ')
                return false;
        w->offset = strtoul(e + 6, &e, 16);
        if (*e != ' ' || !(p = strchr(e + 1, ' ')))
                return false;
        w->inode = strtoul(p + 1, &e, 10);
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

/* A look at the windows: those the walk left are dropped, older ones again
 * when RSS is still over half the slack (every drop flushes the TLB and the
 * pages touched again fault back in), new ones when even that was not enough;
 * else a new window's upper half is mapped ahead, within the slack. */
static void look(struct journal_trim *t) {
        struct window now[WINDOWS_MAX];
        t->looks++;
        size_t n = journal_windows(t, now);
        drop(t, now, n, AGE_RECENT);
        uint64_t rss = rss_now(t);
        if (rss > t->rss_base + RSS_SLACK / 2) {
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
        free(t);
        return NULL;
}

void journal_trim_step(struct journal_trim *t) {
        uint64_t size, rss;
        if (++t->unchecked < CHECK_EVERY)
                return;
        t->unchecked = 0;
        if (!self_statm(t->statm, &size, &rss))
                return;
        /* A window mapped or let go since, or RSS past the slack. */
        if (size != t->vm_size || rss > t->rss_base + RSS_SLACK) {
                t->vm_size = size;
                look(t);
        }
}
