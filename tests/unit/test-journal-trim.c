/* SPDX-License-Identifier: MIT */
/* The journal's pages let go during a walk (lib/journal/trim.c): a journal
 * file's read-only mapping is dropped from this process once RSS grew past the
 * slack, again and again as it is touched again, and nothing else is: not an
 * anonymous mapping, not a writable one; a window just mapped has its upper
 * half (where the walk goes on) mapped ahead, untouched. Measured in resident
 * pages of each mapping (/proc/self/smaps), not in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal/trim.h"

#define MAP_SIZE (16u << 20)

/* The resident KiB of the mapping that starts at ADDR. */
static long rss_kib(const void *addr) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[4096];
        bool here = false;
        long kib = -1;
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
                unsigned long start, end;
                if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' '))
                        here = start == (unsigned long) addr;
                else if (here && sscanf(line, "Rss: %ld kB", &kib) == 1)
                        break;
        }
        fclose(f);
        return kib;
}

static void touch(const volatile char *p, size_t size, unsigned *sum) {
        for (size_t i = 0; i < size; i += 4096)
                *sum += (unsigned char) p[i];
}

/* Entries read until the mapping at ADDR holds under a quarter of its pages (at most 64 looks' worth). */
static bool stepped_down(struct journal_trim *t, const void *addr) {
        for (int i = 0; i < 64; i++) {
                for (int k = 0; k < 256; k++)
                        journal_trim_step(t);
                if (rss_kib(addr) < (long) (MAP_SIZE >> 12))
                        return true;
        }
        return false;
}

/* A journal-named file of MAP_SIZE bytes, every page written, in PATH (a mkstemps template). */
static int journal_file(char *path) {
        int fd = mkstemps(path, 8);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, MAP_SIZE), 0);
        for (size_t off = 0; off < MAP_SIZE; off += 4096)
                assert_int_equal(pwrite(fd, "j", 1, (off_t) off), 1);
        return fd;
}

static void test_journal_pages_dropped_nothing_else(void **state) {
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = journal_file(path);
        char *anon = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *rw = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(anon != MAP_FAILED && rw != MAP_FAILED);
        memset(anon, 'a', MAP_SIZE);
        if (getenv("HOSTFIT_EMU") && *getenv("HOSTFIT_EMU")) {
                /* Under qemu-user, smaps is the emulator's view of the guest's mappings: their
                 * resident counts are not the kernel's, and this test measures nothing there. */
                munmap(rw, MAP_SIZE);
                munmap(anon, MAP_SIZE);
                close(fd);
                unlink(path);
                print_message("skip: under %s /proc/self/smaps is an emulator's view, not the kernel's resident pages\n",
                              getenv("HOSTFIT_EMU"));
                skip();
        }
        struct journal_trim *t = journal_trim_new();
        assert_non_null(t);
        const char *ro = mmap(NULL, MAP_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(ro != MAP_FAILED);

        unsigned sum = 0;
        for (int round = 0; round < 4; round++) {       /* the window seen before is dropped again */
                touch(ro, MAP_SIZE, &sum);
                touch(rw, MAP_SIZE, &sum);
                assert_true(rss_kib(ro) >= (long) (MAP_SIZE >> 11));
                assert_true(stepped_down(t, ro));
        }
        assert_int_equal(sum, 4u * 2u * (MAP_SIZE / 4096) * 'j');
        assert_true(rss_kib(rw) >= (long) (MAP_SIZE >> 11));    /* writable: kept */
        for (size_t i = 0; i < MAP_SIZE; i += 4096)
                assert_int_equal(anon[i], 'a');                 /* anonymous: intact */
        assert_true(rss_kib(anon) >= (long) (MAP_SIZE >> 11));

        journal_trim_free(t);
        munmap((void *) ro, MAP_SIZE);
        munmap(rw, MAP_SIZE);
        munmap(anon, MAP_SIZE);
        close(fd);
        unlink(path);
}

/* A journal file mapped at a path longer than a line the reader takes at once (the kernel
 * prints any path, however deep): the tail of that line is no line of its own. Here the tail
 * is made to read as a journal window over an anonymous mapping, whose pages must survive. */
#define LONG_LINE_AT 4223       /* what one fgets() of the reader's line buffer takes */
#define PATH_COLUMN 73          /* where /proc/self/maps puts the path on a 64-bit kernel */

static void test_long_path_tail_is_no_window(void **state) {
        (void) state;
        char *victim = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(victim != MAP_FAILED);
        memset(victim, 'a', MAP_SIZE);
        char top[] = "/tmp/hostfit-trim-deep-XXXXXX";
        assert_non_null(mkdtemp(top));
        char fake[160];
        snprintf(fake, sizeof fake, "%lx-%lx r--s 00000000 00:00 0 x", (unsigned long) victim,
                 (unsigned long) victim + MAP_SIZE);
        /* Directories of 200 bytes until the next one would cross the split, then one to fill. */
        int dfd = open(top, O_RDONLY | O_DIRECTORY);
        assert_true(dfd >= 0);
        size_t len = strlen(top) + 1, want = LONG_LINE_AT - PATH_COLUMN;
        char names[64][256];
        size_t depth = 0;
        while (len < want) {
                size_t l = want - len - 1 >= 200 + 2 ? 200 : want - len - 1;
                assert_true(l > 0 && l < 256 && depth < 64);
                memset(names[depth], 'd', l);
                names[depth][l] = '\0';
                assert_int_equal(mkdirat(dfd, names[depth], 0700), 0);
                int nfd = openat(dfd, names[depth], O_RDONLY | O_DIRECTORY);
                assert_true(nfd >= 0);
                close(dfd);
                dfd = nfd;
                len += l + 1;
                depth++;
        }
        assert_int_equal(len, want);
        assert_int_equal(mkdirat(dfd, fake, 0700), 0);
        int xfd = openat(dfd, fake, O_RDONLY | O_DIRECTORY);
        assert_true(xfd >= 0);
        int fd = openat(xfd, "y.journal", O_RDWR | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 4096), 0);
        const char *deep = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(deep != MAP_FAILED);
        /* The line is as this test laid it out: the path at its column. */
        FILE *maps = fopen("/proc/self/maps", "re");
        char *line = NULL;
        size_t cap = 0;
        bool seen = false;
        assert_non_null(maps);
        while (getline(&line, &cap, maps) > 0)
                if (strtoul(line, NULL, 16) == (unsigned long) deep) {
                        seen = true;
                        assert_int_equal(strchr(line, '/') - line, PATH_COLUMN);
                        assert_non_null(strstr(line + LONG_LINE_AT, "r--s 00000000 00:00 0 x/y.journal"));
                }
        free(line);
        fclose(maps);
        assert_true(seen);

        /* A journal window to grow RSS past the slack, as a walk does. */
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int jfd = journal_file(path);
        struct journal_trim *t = journal_trim_new();
        assert_non_null(t);
        const char *ro = mmap(NULL, MAP_SIZE, PROT_READ, MAP_SHARED, jfd, 0);
        assert_true(ro != MAP_FAILED);
        unsigned sum = 0;
        touch(ro, MAP_SIZE, &sum);
        assert_true(stepped_down(t, ro));       /* a trim ran */
        size_t zeroed = 0;
        for (size_t i = 0; i < MAP_SIZE; i += 4096)
                zeroed += victim[i] != 'a';
        assert_int_equal(zeroed, 0);

        journal_trim_free(t);
        munmap((void *) ro, MAP_SIZE);
        close(jfd);
        unlink(path);
        munmap((void *) deep, 4096);
        close(fd);
        assert_int_equal(unlinkat(xfd, "y.journal", 0), 0);
        close(xfd);
        assert_int_equal(unlinkat(dfd, fake, AT_REMOVEDIR), 0);
        close(dfd);
        for (size_t d = depth; d-- > 0; ) {
                char up[64 * 257 + 64] = "";
                strcat(up, top);
                for (size_t i = 0; i < d; i++)
                        strcat(strcat(up, "/"), names[i]);
                int pfd = open(up, O_RDONLY | O_DIRECTORY);
                assert_true(pfd >= 0);
                assert_int_equal(unlinkat(pfd, names[d], AT_REMOVEDIR), 0);
                close(pfd);
        }
        assert_int_equal(rmdir(top), 0);
        munmap(victim, MAP_SIZE);
}

/* Whether this kernel maps ahead on asking (MADV_POPULATE_READ, Linux 5.14):
 * asked of the kernel itself, not read off what the code under test did. */
static bool kernel_populates(int fd) {
        char *probe = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(probe != MAP_FAILED);
        int r = madvise(probe, 4096, 22 /* MADV_POPULATE_READ */);
        munmap(probe, 4096);
        return r == 0;
}

/* LEN bytes of FD mapped as sd-journal maps a window, and a new trim's look at it. */
static char *window_looked_at(int fd, size_t len, struct journal_trim **ret) {
        struct journal_trim *t = journal_trim_new();
        assert_non_null(t);
        char *w = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(w != MAP_FAILED);
        for (int k = 0; k < 256; k++)
                journal_trim_step(t);
        *ret = t;
        return w;
}

/* The next HALF bytes of FD mapped right below FIRST, as mmap() places a new window, or
 * wherever the kernel puts them. */
static char *next_window(int fd, char *first, size_t half) {
        char *next = mmap(first - half, half, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, (off_t) half);
        if (next == MAP_FAILED)
                next = mmap(NULL, half, PROT_READ, MAP_SHARED, fd, (off_t) half);
        assert_true(next != MAP_FAILED);
        return next;
}

/* The walk moved from FIRST (its pages read, SUM their bytes) into NEXT: FIRST dropped,
 * NEXT's upper half mapped ahead; both unmapped after. */
static void assert_moved_on(char *first, char *next, size_t half, unsigned sum) {
        assert_true(rss_kib(first) < 64);                       /* left: dropped */
        long kib = rss_kib(next);
        assert_true(kib >= (long) (half >> 11) - 64);           /* entered: its upper half, about */
        assert_true(kib <= (long) (half >> 11) + 64);
        assert_int_equal(sum, (half / 4096) * 'j');
        munmap(first, half);
        munmap(next, half);
}

/* The journal file of a test of mapping ahead, or the test skipped (and says why)
 * where the resident pages cannot show it. */
static int ahead_file(char *path) {
        if (getenv("HOSTFIT_EMU") && *getenv("HOSTFIT_EMU")) {
                print_message("skip: under %s /proc/self/smaps is an emulator's view, not the kernel's resident pages\n",
                              getenv("HOSTFIT_EMU"));
                skip();
        }
        int fd = journal_file(path);
        if (!kernel_populates(fd)) {
                close(fd);
                unlink(path);
                print_message("skip: this kernel has no MADV_POPULATE_READ (Linux 5.14): the walk faults its pages in\n");
                skip();
        }
        return fd;
}

/* A journal window just mapped (as sd-journal does when the walk reaches past
 * its windows) is mapped ahead from its middle, where the walk goes on, to its
 * end, before anything touches it; its lower half is left to the walk. */
static void test_new_window_mapped_ahead(void **state) {
        (void) state;
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = ahead_file(path);
        struct journal_trim *t = journal_trim_new();
        assert_non_null(t);
        const char *w = mmap(NULL, MAP_SIZE / 2, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(w != MAP_FAILED);
        assert_true(rss_kib(w) < 64);
        for (int k = 0; k < 256; k++)
                journal_trim_step(t);
        long kib = rss_kib(w);
        assert_true(kib >= (long) (MAP_SIZE >> 12) - 64);       /* the upper half, about */
        assert_true(kib <= (long) (MAP_SIZE >> 12) + 64);       /* not the lower */
        journal_trim_free(t);
        munmap((void *) w, MAP_SIZE / 2);
        close(fd);
        unlink(path);
}

/* The walk goes on into the next window (mapped right below the last, as mmap()
 * places it, or wherever it may): the window it left is dropped, the new one's
 * upper half mapped ahead, untouched. */
static void test_walk_moves_to_the_next_window(void **state) {
        (void) state;
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = ahead_file(path);
        const size_t half = MAP_SIZE / 2;
        struct journal_trim *t;
        char *first = window_looked_at(fd, half, &t);
        unsigned sum = 0;
        touch(first, half, &sum);
        assert_int_equal(rss_kib(first), (long) (half >> 10));
        char *next = next_window(fd, first, half);
        for (int k = 0; k < 256; k++)
                journal_trim_step(t);
        assert_moved_on(first, next, half, sum);
        journal_trim_free(t);
        close(fd);
        unlink(path);
}

/* A window let go (sd-journal unmaps windows past its cache's size) and its
 * addresses reused by anonymous memory before the next look: what a look drops
 * is where it is now, never where a window was. */
static void test_reused_window_addresses_stay_whole(void **state) {
        (void) state;
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = journal_file(path);
        const size_t half = MAP_SIZE / 2;
        struct journal_trim *t;
        char *first = window_looked_at(fd, half, &t);  /* a look: FIRST is a window */
        assert_int_equal(munmap(first, half), 0);
        char *anon = mmap(first, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        assert_true(anon == first);
        memset(anon, 'a', half);
        char *next = next_window(fd, first, half);
        for (int k = 0; k < 256; k++)
                journal_trim_step(t);           /* a look: NEXT came, FIRST is gone */
        size_t zeroed = 0;
        for (size_t i = 0; i < half; i += 4096)
                zeroed += anon[i] != 'a';
        assert_int_equal(zeroed, 0);
        journal_trim_free(t);
        munmap(anon, half);
        munmap(next, half);
        close(fd);
        unlink(path);
}

/* Entries whose data stays in the window the last look saw: sd-journal mapped nothing to
 * get there, so statm is read a quarter as often as for entries whose data is not known
 * (and still read: RSS is looked at all the same). Counted, not timed. */
static void test_walk_in_one_window_reads_statm_seldom(void **state) {
        (void) state;
        if (getenv("HOSTFIT_EMU") && *getenv("HOSTFIT_EMU")) {
                /* qemu-arm's /proc/self/maps need not show the guest's window where the guest
                 * mapped it: the walk then reads statm as often as before, which is safe. */
                print_message("skip: under %s /proc/self/maps is an emulator's view of the windows\n",
                              getenv("HOSTFIT_EMU"));
                skip();
        }
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = journal_file(path);
        struct journal_trim *t;
        char *w = window_looked_at(fd, MAP_SIZE, &t);
        unsigned long before = journal_trim_statm_reads(t);
        if (before == 0) {
                journal_trim_free(t);
                munmap(w, MAP_SIZE);
                close(fd);
                unlink(path);
                print_message("skip: /proc/self/statm cannot be read here\n");
                skip();
        }
        for (int k = 0; k < 16 * 256; k++)
                journal_trim_step(t);
        unsigned long unknown = journal_trim_statm_reads(t) - before;
        before = journal_trim_statm_reads(t);
        for (int k = 0; k < 16 * 256; k++)
                journal_trim_step_at(t, w + (size_t) k * 4096 % MAP_SIZE);
        unsigned long inside = journal_trim_statm_reads(t) - before;
        assert_int_equal(unknown, 16);
        assert_true(inside >= 4);       /* the first, to learn where the data lies; then one in 4 */
        assert_true(inside <= 5);
        journal_trim_free(t);
        munmap(w, MAP_SIZE);
        close(fd);
        unlink(path);
}

/* Entries whose data lies in a window mapped since the last look (the walk moved on):
 * looked at within as many entries as before, the window left dropped and the new one's
 * upper half mapped ahead, untouched. */
static void test_data_in_the_next_window_is_looked_at(void **state) {
        (void) state;
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = ahead_file(path);
        const size_t half = MAP_SIZE / 2;
        struct journal_trim *t;
        char *first = window_looked_at(fd, half, &t);
        unsigned sum = 0;
        for (int k = 0; k < 256; k++)
                journal_trim_step_at(t, first + half / 2);      /* a look learns the walk is in FIRST */
        touch(first, half, &sum);
        char *next = next_window(fd, first, half);
        for (int k = 0; k < 256; k++)
                journal_trim_step_at(t, next + 4096);
        assert_moved_on(first, next, half, sum);
        journal_trim_free(t);
        close(fd);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_journal_pages_dropped_nothing_else),
                cmocka_unit_test(test_long_path_tail_is_no_window),
                cmocka_unit_test(test_new_window_mapped_ahead),
                cmocka_unit_test(test_walk_moves_to_the_next_window),
                cmocka_unit_test(test_reused_window_addresses_stay_whole),
                cmocka_unit_test(test_walk_in_one_window_reads_statm_seldom),
                cmocka_unit_test(test_data_in_the_next_window_is_looked_at),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
