/* SPDX-License-Identifier: MIT */
/* A string-keyed map to an index, for the correlation of journal events: each
 * lookup is O(1), so correlating N events is linear in N. Keys are copied. */
#pragma once

#include <stddef.h>

struct keymap {
        struct keymap_slot *slots;
        size_t n, alloc;        /* alloc: a power of two, or 0 */
};

/* VALUE for KEY (of LEN bytes, may hold NULs), or 0 when absent. */
size_t keymap_get(const struct keymap *m, const char *key, size_t len);
/* Set KEY to VALUE (0 removes it, keeping the slot); -ENOMEM. */
int keymap_set(struct keymap *m, const char *key, size_t len, size_t value);
void keymap_release(struct keymap *m);
