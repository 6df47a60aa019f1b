/* The live state of a unit, asked of the running systemd over sd-bus. Only when
 * the root is the running system and it was booted with systemd; otherwise
 * hostfit works from the unit files alone. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct host;

struct unit_state {
        char *active_state;     /* "active", "failed", …; owned */
        pid_t main_pid;         /* 0: none */
        uint64_t memory_current;/* bytes; UINT64_MAX when not accounted */
        uint32_t n_restarts;
};

/* True when there is a live systemd to ask. */
bool unit_state_available(const struct host *h);
/* -EOPNOTSUPP when not available; -errno from the bus otherwise. */
int unit_state_get(const struct host *h, const char *unit, struct unit_state *ret);
void unit_state_clear(struct unit_state *s);
