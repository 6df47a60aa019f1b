/* SPDX-License-Identifier: MIT */
/* Undo and the units of a run: what the manager says of them, and stopping
 * and disabling a unit whose file undo removes. Internal to records/. */
#pragma once

#include <stdbool.h>

#include "text/strbuf.h"

struct host;
struct plan;
struct run_record;

/* The unit file state ("enabled", …) from the running systemd; NULL when unknown. */
char *undo_unit_file_state(struct host *h, const char *unit);
bool undo_unit_active(struct host *h, const char *unit);
bool undo_unit_failed(struct host *h, const char *unit);

/* For each unit file RUN created (a whole unit under /etc/systemd/system, not a
 * drop-in or a template) that is still there: on the running system a stop
 * when the unit runs and a disable when it is enabled (the links the hand-over
 * made go with it), planned in P before the file's removal; under another
 * root, the removal of the enable links in ROOT/etc/systemd/system/ *.wants
 * and *.requires. The units are listed in *ret (NULL-terminated, free with
 * undo_strv_free()). A unit that runs where no manager can be asked is
 * refused, with the reason, in REFUSED. */
int undo_units_stop(struct host *h, struct plan *p, const struct run_record *run, struct strbuf *refused,
                    char ***ret);
void undo_strv_free(char **v);
static inline void undo_strv_freep(char ***v) {
        undo_strv_free(*v);
}
