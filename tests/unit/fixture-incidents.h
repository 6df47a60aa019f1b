/* SPDX-License-Identifier: MIT */
/* Test helper: looking up an incident by unit, and parsing one kernel line as
 * journald files it. Header-only: each test binary includes it once. */
#pragma once

#include <string.h>

#include "journal/incidents.h"

static inline const struct incident *find_unit(const struct incident_list *l, const char *unit) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].unit && strcmp(l->items[i].unit, unit) == 0)
                        return &l->items[i];
        return NULL;
}

/* MSG as the kernel's transport files it. */
static inline int parse_kernel(const char *msg, struct event *ev) {
        struct journal_entry e = { .realtime_usec = 1, .transport = "kernel", .message = msg, .message_len = strlen(msg) };
        return incident_parse_entry(&e, ev);
}
