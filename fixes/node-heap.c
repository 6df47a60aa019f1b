/* SPDX-License-Identifier: MIT */
/* Fix for node-heap-limit: NODE_OPTIONS=--max-old-space-size at 75% of the unit's memory limit,
 * in a drop-in, keeping the unit's other NODE_OPTIONS; daemon-reload. The running node keeps its
 * heap until the unit restarts, which stays the admin's call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixes.h"
#include "loop-findings.h"
#include "text/strbuf.h"
#include "systemd/unitgen.h"

/* The [Service] line that sets the heap: one function, so the same line can go into any
 * drop-in of the unit (the memory drop-in of unit-memorymax sets the limit it derives from). */
int node_heap_dropin_line(const struct node_heap_data *d, struct strbuf *out) {
        _cleanup_(strbuf_releasep) struct strbuf v = STRBUF_INIT;
        if (strbuf_addf(&v, "NODE_OPTIONS=%s%s--max-old-space-size=%llu", d->other_options ? d->other_options : "",
                        d->other_options ? " " : "", (unsigned long long) node_heap_for_limit(d->memory_max)) < 0 ||
            strbuf_adds(out, "Environment=") < 0 || unit_quote_value(out, strbuf_str(&v)) < 0 || strbuf_adds(out, "\n") < 0)
                return -ENOMEM;
        return 0;
}

static int node_heap_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct node_heap_data *d = f->data;
        _cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *step = NULL;
        (void) h;
        if (!d)
                return 0;
        if (!d->unit || !d->memory_max) {
                _cleanup_free_ char *where = NULL;
                if ((d->unit ? asprintf(&where, "%s, in a drop-in in /etc/systemd/system/%s.d/", d->unit, d->unit)
                             : asprintf(&where, "`hostfit fix unmanaged-service` writes one in /etc/systemd/system")) < 0)
                        return -ENOMEM;
                if (asprintf(&step, "start node (pid %d) with --max-old-space-size=%llu (75%% of the %llu MiB it may use), "
                             "or better from a unit with MemoryMax= (%s)", (int) d->pid,
                             (unsigned long long) node_heap_for_limit(d->may_use), (unsigned long long) (d->may_use >> 20),
                             where) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
        }
        if (strbuf_addf(&sb, "# Written by hostfit (node-heap-limit): V8's old space of %s at 75%% of its\n"
                        "# memory limit (%llu MiB), so node fails with a heap error instead of a SIGKILL.\n[Service]\n",
                        d->unit, (unsigned long long) (d->memory_max >> 20)) < 0 || node_heap_dropin_line(d, &sb) < 0)
                return -ENOMEM;
        size_t len = 0;
        _cleanup_free_ char *text = strbuf_detach(&sb, &len);
        if (!text)
                return -ENOMEM;
        int r = plan_add_write(p, f->check->id, d->dropin, text, len, 0644);
        if (r > 0)
                r = plan_add_systemd(p, f->check->id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r < 0)
                return r;
        if (d->flag_in_argv) {
                _cleanup_free_ char *argv_step = NULL;
                if (asprintf(&argv_step, "remove --max-old-space-size from the ExecStart= of %s (`systemctl cat %s` "
                             "shows its file): the command line wins over NODE_OPTIONS in %s", d->unit, d->unit,
                             d->dropin) < 0 || plan_add_manual(p, f->check->id, argv_step) < 0)
                        return -ENOMEM;
        }
        if (asprintf(&step, "restart %s when convenient: the running node keeps its heap limit until then, and "
                     "%s applies from its next start", d->unit, d->dropin) < 0)
                return -ENOMEM;
        return plan_add_manual(p, f->check->id, step) < 0 ? -ENOMEM : 0;
}

const struct fix fix_node_heap = {
        .name = "node-heap-dropin",
        .summary = "a drop-in UNIT.d/50-hostfit-node-heap.conf with Environment=NODE_OPTIONS=--max-old-space-size at 75% "
                   "of the unit's MemoryMax= (or of the one unit-memorymax plans), the unit's other NODE_OPTIONS kept, "
                   "daemon-reload; the restart is the admin's; outside a unit, the flag to add",
        .plan = node_heap_plan,
};
