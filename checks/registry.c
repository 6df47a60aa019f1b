/* SPDX-License-Identifier: MIT */
/* The one table of checks. Keep it sorted by id; one line a check. */
#include <string.h>

#include "check.h"
#include "registry.h"

extern const struct check check_dev_server;
extern const struct check check_healthcheck_missing;
extern const struct check check_keepalive_loop;
extern const struct check check_metrics_timer;
extern const struct check check_node_heap_limit;
extern const struct check check_oom_kills;
extern const struct check check_restart_storm;
extern const struct check check_swap_missing;
extern const struct check check_tmux_resurrect;
extern const struct check check_unit_memorymax;
extern const struct check check_unmanaged_service;
extern const struct check check_wrapper_oom;
extern const struct check check_zram_missing;

const struct check *const checks[] = {
        &check_dev_server,
        &check_healthcheck_missing,
        &check_keepalive_loop,
        &check_metrics_timer,
        &check_node_heap_limit,
        &check_oom_kills,
        &check_restart_storm,
        &check_swap_missing,
        &check_tmux_resurrect,
        &check_unit_memorymax,
        &check_unmanaged_service,
        &check_wrapper_oom,
        &check_zram_missing,
        NULL,
};

const struct check *check_find(const char *id) {
        for (size_t i = 0; checks[i]; i++)
                if (strcmp(checks[i]->id, id) == 0)
                        return checks[i];
        return NULL;
}
