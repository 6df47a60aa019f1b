/* hostfit probe: one health probe of a port; restarts the unit after N failures in a row. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe_opts {
        const char *unit;
        const char *host;               /* numeric address; "127.0.0.1" */
        uint16_t port;
        const char *http_path;          /* NULL: a TCP connect is enough */
        unsigned timeout_ms;
        unsigned failures;              /* restart after this many in a row */
        const char *state_dir;
};

/* One probe: 0 when healthy, else -errno with WHY saying what failed. */
int probe_once(const struct probe_opts *o, char *why, size_t why_size);
/* Count OK/failure in STATE_DIR/UNIT.failures; the new count of failures in a row. */
int probe_state_update(const struct probe_opts *o, bool ok, unsigned *ret_count);
