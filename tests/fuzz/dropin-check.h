/* SPDX-License-Identifier: MIT */
/* The round trip of restart-storm's drop-in, shared by the journal and restart harnesses:
 * the path stays inside /etc/systemd/system for a unit name systemd accepts, and the text
 * parses back (with hostfit's own unit-file parser) to exactly the keys intended, each once,
 * in its section, with the intended value, and nothing else. Any failure aborts. */
#pragma once

#include <limits.h>

#include "fuzz.h"
#include "restart-policy.h"
#include "systemd/unitname.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"

#define DROPIN_UNIT_DIR "/etc/systemd/system/"

/* PATH is UNIT_DIR/UNIT.d/50-hostfit-restart.conf for a valid UNIT: one level below the
 * unit directory, no "..", no other "/". */
static inline void assert_dropin_path(const char *unit, const char *path) {
        char *want = NULL;
        size_t dir = strlen(DROPIN_UNIT_DIR);
        if (!unit || !unit_name_is_valid(unit) || strchr(unit, '/') || strcmp(unit, "..") == 0)
                abort();
        if (asprintf(&want, DROPIN_UNIT_DIR "%s.d/" RESTART_DROPIN_NAME, unit) < 0)
                abort();
        if (!path || strcmp(path, want) != 0 || strncmp(path, DROPIN_UNIT_DIR, dir) != 0)
                abort();
        const char *slash = strchr(path + dir, '/');
        if (!slash || strchr(slash + 1, '/') || strcmp(slash + 1, RESTART_DROPIN_NAME) != 0 || strstr(path, "/../") ||
            strstr(path, "/./"))
                abort();
        free(want);
}

/* "5" exactly (no sign, no blank, no leading zero but "0"), within 32 bits, equal to WANT. */
static inline bool uint_text_is(const char *s, uint64_t want) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long) want);
        return want <= UINT_MAX && strcmp(s, buf) == 0;
}

/* A time span systemd reads back to exactly WANT (not 0: 0 fields are not written). */
static inline bool sec_text_is(const char *s, uint64_t want) {
        uint64_t t;
        return want != 0 && unit_parse_sec(s, &t) == 0 && t == want;
}

enum { K_INTERVAL, K_BURST, K_RESTART, K_SEC, K_STEPS, K_MAX_DELAY, K_N };

static inline int dropin_key(const struct unit_assignment *a) {
        static const struct { const char *section, *key; } keys[K_N] = {
                [K_INTERVAL] = { "Unit", "StartLimitIntervalSec" }, [K_BURST] = { "Unit", "StartLimitBurst" },
                [K_RESTART] = { "Service", "Restart" }, [K_SEC] = { "Service", "RestartSec" },
                [K_STEPS] = { "Service", "RestartSteps" }, [K_MAX_DELAY] = { "Service", "RestartMaxDelaySec" },
        };
        for (int k = 0; k < K_N; k++)
                if (strcmp(a->section, keys[k].section) == 0 && strcmp(a->key, keys[k].key) == 0)
                        return k;
        return -1;
}

/* TEXT, written for UNIT, holds exactly D. With AS_UNIT not NULL, its assignments are also
 * appended to that unit (as the drop-in would be read after the admin's files). */
static inline void assert_dropin_text(const char *unit, const char *text, size_t len, const struct restart_dropin *d,
                                      struct unit *as_unit) {
        static const char file[] = DROPIN_UNIT_DIR "x.service.d/" RESTART_DROPIN_NAME;
        bool seen[K_N] = { false };
        for (size_t i = 0; i < len; i++)
                if (((unsigned char) text[i] < 0x20 && text[i] != '\n') || text[i] == 0x7f)
                        abort();        /* a control byte: a name was not what systemd accepts */
        if (len == 0 || text[len - 1] != '\n')
                abort();
        struct unit *u = calloc(1, sizeof(*u));
        if (!u || !(u->name = strdup(unit)) || !(u->id = strdup(unit)))
                abort();
        if (unit_parse_buffer(u, file, text, len) < 0 || u->n_issues || u->bad)
                abort();
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                int k = dropin_key(a);
                if (k < 0 || seen[k])
                        abort();        /* a key not intended (ExecStartPre=, ...), or twice */
                seen[k] = true;
                bool ok = k == K_INTERVAL ? sec_text_is(a->value, d->limit_interval)
                        : k == K_BURST ? uint_text_is(a->value, d->limit_burst) && d->limit_burst
                        : k == K_RESTART ? d->restart && strcmp(a->value, d->restart) == 0
                        : k == K_SEC ? sec_text_is(a->value, d->restart_usec)
                        : k == K_STEPS ? uint_text_is(a->value, d->steps) && d->steps
                        : sec_text_is(a->value, d->max_delay);
                if (!ok)
                        abort();
        }
        if (seen[K_INTERVAL] != !!d->limit_interval || seen[K_BURST] != !!d->limit_burst ||
            seen[K_RESTART] != !!d->restart || seen[K_SEC] != !!d->restart_usec || seen[K_STEPS] != !!d->steps ||
            seen[K_MAX_DELAY] != !!d->max_delay)
                abort();
        if (as_unit && unit_parse_buffer(as_unit, file, text, len) < 0)
                abort();
        unit_free(u);
}
