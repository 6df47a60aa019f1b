/* SPDX-License-Identifier: MIT */
/* Shared by units.c (finding a unit's files), unit-file.c (parsing them) and
 * unit-cache.c (keeping each unit once a run). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "systemd/units.h"

struct host;

/* Append S (taken over; NULL: -ENOMEM) to the NULL-terminated vector V of N entries. */

/* Parse the file at PATH (within the root) into U's assignments; an unreadable or
 * malformed file is an issue of U, not a failure. -ENOMEM only; else 0 when the file
 * is empty (a mask, for a unit file), 1 otherwise. */
int unit_parse_file(struct host *h, struct unit *u, const char *path);
/* The same, opening NAME relative to the directory DFD (PATH's directory) when DFD >= 0. */
int unit_parse_file_at(struct host *h, struct unit *u, const char *path, int dfd, const char *name);
/* Parse LEN bytes of unit-file TEXT as if read from FILE into U (a unit from calloc with
 * name and id set, or one loaded): the parser alone, no host, for tests and fuzzing. */
int unit_parse_buffer(struct unit *u, const char *file, const char *text, size_t len);

/* Find and parse NAME's files, every time (unit_load() keeps the result). The unit is
 * the caller's, freed with unit_free(). Errors as unit_load(). */
int unit_load_uncached(struct host *h, const char *name, struct unit **ret);

/* The work the unit model did this process, for tests that assert it is linear in the
 * number of units without timing it: files and directories opened or looked up, and
 * names compared (sorting, binary and hash searches). */
struct unit_counters {
        uint64_t opens;
        uint64_t compares;
};
extern struct unit_counters unit_counters;
