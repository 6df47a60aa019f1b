/* Shared by units.c (finding a unit's files) and unit-file.c (parsing them). */
#pragma once

#include <stddef.h>

#include "units.h"

struct host;

/* Append S (taken over; NULL: -ENOMEM) to the NULL-terminated vector V of N entries. */
int unit_strv_push(char ***v, size_t *n, char *s);

/* Parse the file at PATH (within the root) into U's assignments; an unreadable or
 * malformed file is an issue of U, not a failure. -ENOMEM only. */
int unit_parse_file(struct host *h, struct unit *u, const char *path);
