/* SPDX-License-Identifier: MIT */
/* The live state of a unit, asked of the running systemd over sd-bus. Only when
 * the root is the running system and it was booted with systemd; otherwise
 * hostfit works from the unit files alone. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
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

/* One loaded service as the manager sees it (ListUnits, then NRestarts and Result). */
struct unit_live {
        char *name;             /* "nginx.service" */
        char *active_state;     /* "active", "failed", "activating" */
        char *sub_state;        /* "running", "auto-restart", "failed" */
        char *result;           /* of a failed unit: "exit-code", "oom-kill", "start-limit-hit"; else NULL */
        uint32_t n_restarts;    /* automatic restarts since the unit was last started by hand */
};
/* Every loaded service, on one bus connection. -EOPNOTSUPP when not available. */
int unit_state_list_services(const struct host *h, struct unit_live **ret, size_t *ret_n);
void unit_live_free(struct unit_live *v, size_t n);

/* The systemd version (252): the running manager's Version over sd-bus, else, for
 * another root or no systemd running, the name of the tree's libsystemd-shared-NNN.so.
 * -ENOENT when neither says. */
int unit_state_systemd_version(const struct host *h, unsigned *ret);
int systemd_version_parse(const char *s, unsigned *ret);

/* Tests only: answer the two calls above from a fixture (NULL: the real ones). */
void unit_state_set_hooks(int (*list)(const struct host *, struct unit_live **, size_t *),
                          int (*version)(const struct host *, unsigned *));
