/* SPDX-License-Identifier: MIT */
/* The journal's pages let go during a walk (lib/journal/trim.c): a journal
 * file's read-only mapping is dropped from this process once RSS grew past the
 * slack, again and again as it is touched again, and nothing else is: not an
 * anonymous mapping, not a writable one. Measured in resident pages of each
 * mapping (/proc/self/smaps), not in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static void test_journal_pages_dropped_nothing_else(void **state) {
        char path[] = "/tmp/hostfit-trim-XXXXXX.journal";
        int fd = mkstemps(path, 8);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, MAP_SIZE), 0);
        for (size_t off = 0; off < MAP_SIZE; off += 4096)
                assert_int_equal(pwrite(fd, "j", 1, (off_t) off), 1);
        char *anon = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *rw = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(anon != MAP_FAILED && rw != MAP_FAILED);
        memset(anon, 'a', MAP_SIZE);
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_journal_pages_dropped_nothing_else),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
