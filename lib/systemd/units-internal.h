/* SPDX-License-Identifier: MIT */
/* Shared by units.c (finding a unit's files), unit-index.c (the search path listed
 * once, the drop-in lookup), unit-file.c (parsing them) and unit-cache.c (keeping each
 * unit once a run). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "systemd/units.h"

struct host;

/* The hash of the unit cache and of the search path's directories: a name taken 8 bytes
 * at a time (a unit name is 10 to 40 bytes), each word multiplied in, the result mixed so
 * its low bits, which index the tables, depend on every byte. Never stored. */
static inline uint64_t unit_hash_name(const char *s) {
        size_t n = strlen(s);
        uint64_t x = 0x9e3779b97f4a7c15ULL ^ n, w;
        for (; n >= 8; n -= 8, s += 8) {
                memcpy(&w, s, 8);
                x = (x ^ w) * 0xbf58476d1ce4e5b9ULL;
                x ^= x >> 31;
        }
        w = 0;
        memcpy(&w, s, n);
        x = (x ^ w) * 0x94d049bb133111ebULL;
        return x ^ (x >> 29);
}

/* Parse the file at PATH (within the root) into U's assignments; an unreadable or
 * malformed file is an issue of U, not a failure. -ENOMEM only; else 0 when the file
 * is empty (a mask, for a unit file), 1 otherwise. */
int unit_parse_file(struct host *h, struct unit *u, const char *path);
/* The same, opening NAME relative to the directory DFD (PATH's directory) when DFD >= 0. */
int unit_parse_file_at(struct host *h, struct unit *u, const char *path, int dfd, const char *name);
/* The same for a drop-in, read as host_read_file() reads PATH (its errors, the run's read
 * budget), relative to DFD. */
int unit_parse_dropin_at(struct host *h, struct unit *u, const char *path, int dfd, const char *name);
/* Parse LEN bytes of unit-file TEXT as if read from FILE into U (a unit from calloc with
 * name and id set, never one unit_load() returned): the parser alone, no host, for tests
 * and fuzzing. */
int unit_parse_buffer(struct unit *u, const char *file, const char *text, size_t len);

/* The one copy of the word S (a section or a key) a cache keeps; NULL on -ENOMEM. */
typedef const char *unit_word_fn(void *ctx, const char *s);
/* From now on the scratch unit U keeps its sections and keys through WORD (with CTX),
 * not in its text; -ENOMEM. */
int unit_scratch_words(struct unit *u, unit_word_fn *word, void *ctx);
/* Whether P points into U's text. */
bool unit_text_holds(const struct unit *u, const char *p);
/* U's text when it is one block (*RET_USED bytes of it used), else NULL. */
const char *unit_text_only(const struct unit *u, size_t *ret_used);

/* Frees the blocks that hold U's strings (unit_free() does). */
void unit_text_free(struct unit *u);
/* N bytes that live as long as U's text; NULL on -ENOMEM. */
char *unit_text_alloc(struct unit *u, size_t n);
/* The bytes taken from U's text: every string of a scratch unit but its name fits in it. */
size_t unit_text_used(const struct unit *u);
/* A copy of the LEN bytes at S, NUL-terminated, in U's blocks; NULL on -ENOMEM. */
char *unit_text_dup(struct unit *u, const char *s, size_t len);
/* PATH appended to U's drop-ins (a copy in U's blocks); -ENOMEM. */
int unit_add_dropin(struct unit *u, const char *path);

/* The scratch unit the loader parses into, one a cache: emptied between units, its arrays
 * and first block of text kept, so that loading a unit allocates nearly nothing. Its name
 * is borrowed (the one asked for), its id that or a string in its blocks. Released with
 * unit_scratch_release(), never unit_free(). */
void unit_scratch_reset(struct unit *u);
void unit_scratch_release(struct unit *u);

/* Find and parse NAME's files into the scratch unit U, emptied (unit_load() packs and
 * keeps the result). NAME is known valid (unit_name_is_valid()) and outlives U's use.
 * Errors as unit_load(); U holds a part of the unit after one. */
int unit_load_valid(struct host *h, const char *name, struct unit *u);

/* The work the unit model did this process, for tests that assert it is linear in the
 * number of units without timing it: files and directories opened or looked up, names
 * compared (sorting, binary and hash searches), and heap blocks taken for the units being
 * parsed (their text, arrays and read buffers), which the scratch unit makes a few a run. */
struct unit_counters {
        uint64_t opens;
        uint64_t compares;
        uint64_t allocs;
};
extern struct unit_counters unit_counters;
