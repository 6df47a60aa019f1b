/* SPDX-License-Identifier: MIT */
/* Letting go of the journal's pages during a walk: sd-journal maps its files
 * in windows it keeps, so every page the walk touched would stay resident.
 * Reads /proc/self/statm and /proc/self/maps, and madvise()s only the journal
 * files' read-only shared mappings (MADV_DONTNEED loses nothing there). */
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

/* sd-journal keeps the windows of the journal files it mapped (read-only,
 * shared): walking a large journal would leave every page it touched
 * resident. Past RSS_SLACK more than at the start, the pages of those
 * mappings are dropped from this process (MADV_DONTNEED: the file and the
 * page cache keep them; the next touch maps them again), so memory follows
 * the incidents kept, not the entries read. Only the windows mapped lately
 * are dropped, unless that is not enough (trim_journal_maps). */
#define RSS_SLACK (4ULL << 20)
#define RSS_CHECK_EVERY 256     /* entries: a few hundred KiB of journal between looks */

static uint64_t self_rss(int fd) {
        char buf[128];
        ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof buf - 1, 0);
        unsigned long long size, resident;
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
                return 0;
        return (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE);
}

static bool is_journal_file(const char *path) {
        size_t n = strlen(path);
        return (n > 8 && strcmp(path + n - 8, ".journal") == 0) || (n > 9 && strcmp(path + n - 9, ".journal~") == 0);
}

/* A window of a journal file that sd-journal mapped, as /proc/self/maps says. */
struct window {
        unsigned long start, end, offset, inode;
        unsigned born;          /* the trim that first saw it */
};

#define WINDOWS_MAX 256

struct trimmer {
        struct window w[WINDOWS_MAX];
        size_t n;
        unsigned trims;
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

/* The journal files' read-only mappings now, each with the trim that first saw
 * it; past WINDOWS_MAX, one is not kept but dropped at once. */
static size_t journal_windows(struct trimmer *t, struct window *ret) {
        char text[32768];       /* a few reads for the whole file, not one a KiB */
        _cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
        char line[4096 + 128];
        size_t n = 0;
        if (f)
                (void) setvbuf(f, text, _IOFBF, sizeof text);
        while (f && fgets(line, sizeof line, f)) {
                struct window w = { .born = t->trims };
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

/* Drop the resident pages of the journal windows sd-journal mapped since the
 * trim before last: the walk moves on through the files, so those hold what it
 * touched since; an older window is dropped again only when that was not
 * enough (RSS still over half the slack), since every madvise() walks the
 * window's page tables and flushes the TLB. */
static void trim_journal_maps(struct trimmer *t, int statm, uint64_t floor) {
        struct window now[WINDOWS_MAX];
        t->trims++;
        size_t n = journal_windows(t, now);
        for (size_t i = 0; i < n; i++)
                if (now[i].born + 1 >= t->trims)
                        (void) madvise((void *) now[i].start, now[i].end - now[i].start, MADV_DONTNEED);
        if (self_rss(statm) > floor)
                for (size_t i = 0; i < n; i++)
                        if (now[i].born + 1 < t->trims)
                                (void) madvise((void *) now[i].start, now[i].end - now[i].start, MADV_DONTNEED);
        memcpy(t->w, now, n * sizeof *now);
        t->n = n;
}

struct journal_trim {
        int statm;              /* our own /proc/self/statm; -1 unreadable */
        uint64_t rss_base;
        unsigned unchecked;
        struct trimmer trimmer;
};

struct journal_trim *journal_trim_new(void) {
        struct journal_trim *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        t->rss_base = self_rss(t->statm);
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
        if (++t->unchecked < RSS_CHECK_EVERY)
                return;
        t->unchecked = 0;
        if (self_rss(t->statm) > t->rss_base + RSS_SLACK)
                trim_journal_maps(&t->trimmer, t->statm, t->rss_base + RSS_SLACK / 2);
}
