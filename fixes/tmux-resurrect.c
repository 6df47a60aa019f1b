/* SPDX-License-Identifier: MIT */
/* Fix for tmux-resurrect: the tmux.conf lines that stop process save and restore, as a diff of
 * the user's own file; the service's unit is its owner's fix (checks/procown.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "procown.h"
#include "fixes.h"
#include "procs/proctree.h"
#include "text/strbuf.h"

#define CHECK_ID "tmux-resurrect"

/* Where the lines go: above TPM's `run '~/.tmux/plugins/tpm/tpm'` (or run-shell), which must stay
 * last: the plugins read their options while that line runs. The end of TEXT when there is none. */
static size_t insert_at(const char *text, size_t len) {
        size_t at = len;
        for (size_t off = 0; off < len; ) {
                const char *l = text + off;
                size_t n = strcspn(l, "\n");
                if (off + n > len)
                        n = len - off;
                size_t sp = strspn(l, " \t");
                const char *w = l + sp;
                size_t wl = n - sp;
                bool run = (wl > 4 && strncmp(w, "run ", 4) == 0) || (wl > 4 && strncmp(w, "run\t", 4) == 0) ||
                           (wl > 10 && strncmp(w, "run-shell", 9) == 0 && (w[9] == ' ' || w[9] == '\t'));
                if (run && memmem(w, wl, "tpm/tpm", 7) && at == len)
                        at = off;
                off += n + 1;
        }
        return at;
}

static int plan_conf(struct plan *p, const struct tmux_finding *d) {
        const char *path = d->conf_path;
        const char *old = NULL;
        size_t len = 0;
        int r = plan_get_file(p, path, &old, &len);
        if (r == -ELOOP || r == -EEXIST) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "%s is not a regular file of its own (a symlink?): add to the file it stands for, "
                             "above TPM's run line: set -g @resurrect-processes 'false' and set -g @continuum-restore 'off'",
                             path) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, CHECK_ID, text);
        }
        if (r < 0)
                return r;
        if (!old)
                old = "", len = 0;
        size_t at = insert_at(old, len);
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        r = strbuf_add(&sb, old, at);
        if (r == 0 && at == len && len > 0 && old[len - 1] != '\n')
                r = strbuf_addch(&sb, '\n');
        if (r == 0)
                r = strbuf_adds(&sb, at == len ? "\n# hostfit: servers run as systemd units; tmux-resurrect must not restart or kill them\n"
                                               : "# hostfit: servers run as systemd units; tmux-resurrect must not restart or kill them\n");
        if (r == 0 && d->set_processes)
                r = strbuf_adds(&sb, "set -g @resurrect-processes 'false'\n");
        if (r == 0 && d->set_restore)
                r = strbuf_adds(&sb, "set -g @continuum-restore 'off'\n");
        if (r == 0 && at < len)
                r = strbuf_add(&sb, old + at, len - at);
        if (r < 0)
                return r;
        return plan_add_write_owned(p, CHECK_ID, path, sb.buf, sb.len, 0644, d->uid, d->gid);
}

/* The service's unit is its owner's to write (checks/procown.h): one process, one unit. */
static int plan_service_step(struct host *h, struct plan *p, pid_t pid) {
        const struct proc_table *t;
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        const struct proc *q = proc_table_find(t, pid);
        if (!q)
                return 0;
        const char *owner = procown_owner(h, q);
        _cleanup_free_ char *text = NULL;
        if (owner && strcmp(owner, PROCOWN_CONTAINER) == 0)
                return 0;
        if (owner)
                r = asprintf(&text, "move pid %d out of tmux into a systemd unit: `hostfit fix %s` writes it in "
                             "/etc/systemd/system and prints its hand-over", (int) pid, owner);
        else
                r = asprintf(&text, "move pid %d out of tmux into a systemd unit you write in /etc/systemd/system "
                             "(hostfit has no exact unit for it)", (int) pid);
        if (r < 0)
                return -ENOMEM;
        return plan_add_manual(p, CHECK_ID, text);
}

static int tmux_resurrect_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct tmux_finding *d = f->data;
        if (!d || f->status < STATUS_WARN)
                return 0;
        int r = 0;
        if (d->set_processes || d->set_restore) {
                r = plan_conf(p, d);
        }
        if (r >= 0 && d->pid > 0)
                r = plan_service_step(h, p, d->pid);
        return r < 0 ? r : 0;
}

const struct fix fix_tmux_resurrect = {
        .name = "tmux-resurrect",
        .summary = "add the tmux.conf lines that stop process save/restore (above TPM's run line); the service's "
                   "unit comes from the check that owns it (dev-server, wrapper-oom-unprotected or unmanaged-service)",
        .plan = tmux_resurrect_plan,
};
