/* SPDX-License-Identifier: MIT */
/* Fix for node-heap-limit: --max-old-space-size in NODE_OPTIONS where systemd gives it to the
 * unit's node processes: Environment= in a drop-in, or, where an EnvironmentFile= of the admin's
 * sets NODE_OPTIONS (it overrides every Environment=), an environment file of hostfit's that
 * the drop-in adds after the admin's. The unit's other options are kept, and so is the admin's
 * own heap where it fits; daemon-reload. The running node keeps its heap until the unit
 * restarts, which stays the admin's call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "fixes.h"
#include "loop-findings.h"
#include "procs/nodeheap.h"
#include "text/strbuf.h"
#include "systemd/unitgen.h"

static int options_value(const struct node_heap_data *d, struct strbuf *v) {
        return strbuf_addf(v, "%s%s--max-old-space-size=%llu", d->other_options ? d->other_options : "",
                           d->other_options ? " " : "", (unsigned long long) d->target_mib);
}

/* The [Service] line that sets the heap: one function, so the same line can go into any
 * drop-in of the unit. */
int node_heap_dropin_line(const struct node_heap_data *d, struct strbuf *out) {
        _cleanup_(strbuf_releasep) struct strbuf v = STRBUF_INIT;
        /* systemd takes EnvironmentFile= as it stands (no unquoting): the path is hostfit's own,
         * made of a valid unit name, which holds no space, quote or specifier. */
        if (d->env_file)
                return strbuf_addf(out, "EnvironmentFile=%s\n", d->env_file) < 0 ? -ENOMEM : 0;
        if (strbuf_adds(&v, "NODE_OPTIONS=") < 0 || options_value(d, &v) < 0 || strbuf_adds(out, "Environment=") < 0 ||
            unit_quote_value(out, strbuf_str(&v)) < 0 || strbuf_adds(out, "\n") < 0)
                return -ENOMEM;
        return 0;
}

static int write_text(struct plan *p, const char *id, const char *path, struct strbuf *sb) {
        size_t len = 0;
        _cleanup_free_ char *text = strbuf_detach(sb, &len);
        if (!text)
                return -ENOMEM;
        return plan_add_write(p, id, path, text, len, 0644);
}

/* hostfit's environment file: read after the admin's, so its NODE_OPTIONS wins. */
static int plan_env_file(const struct node_heap_data *d, const char *id, struct plan *p) {
        _cleanup_(strbuf_releasep) struct strbuf v = STRBUF_INIT, sb = STRBUF_INIT;
        _cleanup_free_ char *q = NULL;
        if (options_value(d, &v) < 0 || !(q = node_env_file_quote(strbuf_str(&v))) ||
            strbuf_addf(&sb, "# Written by hostfit (node-heap-limit) for %s: read after the unit's own\n"
                        "# EnvironmentFile=, so this NODE_OPTIONS is the one node gets.\nNODE_OPTIONS=%s\n", d->unit, q) < 0)
                return -ENOMEM;
        return write_text(p, id, d->env_file, &sb);
}

static int manual(struct plan *p, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int manual(struct plan *p, const char *id, const char *fmt, ...) {
        _cleanup_free_ char *t = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&t, fmt, ap);
        va_end(ap);
        return r < 0 || plan_add_manual(p, id, t) < 0 ? -ENOMEM : 0;
}

static int node_heap_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct node_heap_data *d = f->data;
        const char *id = f->check->id;
        _cleanup_(strbuf_releasep) struct strbuf sb = STRBUF_INIT;
        (void) h;
        if (!d)
                return 0;
        if (!d->unit)
                return manual(p, id, "start node (pid %d) with --max-old-space-size=%llu (75%% of the %llu MiB it may use), "
                              "or better as a service with MemoryMax=", (int) d->pid, (unsigned long long) d->target_mib,
                              (unsigned long long) (d->may_use >> 20));
        if (!d->memory_max)
                return manual(p, id, "%s has run too short to size the memory its node processes share (a cold start is "
                              "no measure): run hostfit fix again in %.0f s, or set [unit-memorymax] max = %s:SIZE in "
                              "/etc/hostfit/hostfit.conf", d->unit, d->wait + 0.5, d->unit);
        if (d->manual)
                return manual(p, id, "%s", d->manual);
        int r = d->env_file ? plan_env_file(d, id, p) : 0;
        if (r < 0)
                return r;
        if (strbuf_addf(&sb, "# Written by hostfit (node-heap-limit): V8's old space of %s's node %s at %s\n"
                        "# (the %llu MiB %s), so node fails with a heap error instead of a SIGKILL.\n[Service]\n",
                        d->unit, d->workers > 1 ? "processes" : "process",
                        d->kept ? "the admin's own value, which fits" : "75% of its share",
                        (unsigned long long) (d->memory_max >> 20),
                        d->workers > 1 ? "its node processes share" : "it may use") < 0 || node_heap_dropin_line(d, &sb) < 0)
                return -ENOMEM;
        r = write_text(p, id, d->dropin, &sb);
        if (r > 0)
                r = plan_add_systemd(p, id, SYSTEMD_DAEMON_RELOAD, NULL, NULL);
        if (r < 0)
                return r;
        if (d->flag_in_argv && manual(p, id, "remove --max-old-space-size from the ExecStart= of %s: the command line "
                                      "wins over NODE_OPTIONS", d->unit) < 0)
                return -ENOMEM;
        return manual(p, id, "restart %s when convenient: the running node keeps its heap limit until then", d->unit);
}

const struct fix fix_node_heap = {
        .name = "node-heap-dropin",
        .summary = "NODE_OPTIONS with --max-old-space-size at 75% of each node process's share of the unit's memory "
                   "limit (the admin's own value where it fits), where systemd gives it to node: Environment= in "
                   "UNIT.d/50-hostfit-node-heap.conf, or an EnvironmentFile= of hostfit's read after the admin's; the "
                   "other NODE_OPTIONS kept, daemon-reload; the restart is the admin's; outside a unit, the flag to add",
        .plan = node_heap_plan,
};
