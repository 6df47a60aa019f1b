/* SPDX-License-Identifier: MIT */
/* The one table of checks, in a fixed, sorted order. */
#pragma once

#include <stddef.h>

struct check;

extern const struct check *const checks[];      /* NULL-terminated */

/* Exact match on the id; NULL when there is none. */
const struct check *check_find(const char *id);
