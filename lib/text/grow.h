/* SPDX-License-Identifier: MIT */
/* Arrays that grow one row at a time (a line of /proc/net/tcp, of /proc/swaps):
 * reallocate only when the count N is 0 or a power of two, to twice N, so
 * 100,000 rows cost 17 reallocations, not 100,000.
 *
 *     if (grow_due(t->n)) { x = reallocarray(t->v, grow_cap(t->n), sizeof(*x)); … }
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

static inline bool grow_due(size_t n) {
        return (n & (n - 1)) == 0;
}

static inline size_t grow_cap(size_t n) {
        return n ? 2 * n : 1;
}
