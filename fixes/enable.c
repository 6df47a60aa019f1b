/* SPDX-License-Identifier: MIT */
/* Enabling a unit hostfit wrote, in the targets its own [Install] section names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "text/cleanup.h"
#include "fixes.h"
#include "plan/plan.h"
#include "systemd/unitinstall.h"
#include "systemd/units.h"

int fix_plan_enable(struct plan *p, const char *check, const char *unit, const char *unit_path,
                    const char *text, size_t len) {
        _cleanup_(strv_freep) char **wanted_by = NULL;
        int r = unit_text_wanted_by(text, len, &wanted_by);
        if (r == -EINVAL) {
                _cleanup_free_ char *step = NULL;
                if (asprintf(&step, "enable %s by hand (systemctl enable %s): the [Install] WantedBy= of %s "
                             "is not a plain list of unit names", unit, unit, unit_path) < 0)
                        return -ENOMEM;
                r = plan_add_manual(p, check, step);
                return r < 0 ? r : 0;
        }
        if (r < 0)
                return r;
        return plan_add_enable(p, check, unit, unit_path, (const char *const *) wanted_by);
}
