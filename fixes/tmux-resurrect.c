/* Fix for tmux-resurrect: the tmux.conf lines that stop process restore, as a diff of the
 * user's own file, and the service's unit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "devserver.h"
#include "fixes.h"
#include "proctree.h"
#include "strbuf.h"

#define CHECK_ID "tmux-resurrect"

static int plan_conf(struct plan *p, const struct tmux_finding *d) {
        const char *path = d->conf_path;
        const char *old = NULL;
        size_t len = 0;
        int r = plan_get_file(p, path, &old, &len);
        if (r == -ELOOP || r == -EEXIST) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "%s is not a regular file of its own (a symlink?): add to the file it stands for: "
                             "set -g @resurrect-processes 'false' and set -g @continuum-restore 'off'", path) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, CHECK_ID, text);
        }
        if (r < 0)
                return r;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        r = strbuf_add(&sb, old ? old : "", len);
        if (r == 0 && len > 0 && old[len - 1] != '\n')
                r = strbuf_addch(&sb, '\n');
        if (r == 0)
                r = strbuf_adds(&sb, "\n# hostfit: servers run as systemd units; tmux-resurrect must not restart or kill them\n");
        if (r == 0 && d->set_processes)
                r = strbuf_adds(&sb, "set -g @resurrect-processes 'false'\n");
        if (r == 0 && d->set_restore)
                r = strbuf_adds(&sb, "set -g @continuum-restore 'off'\n");
        if (r < 0)
                return r;
        return plan_add_write_owned(p, CHECK_ID, path, sb.buf, sb.len, 0644, d->uid, d->gid);
}

static int plan_service_unit(struct host *h, struct plan *p, pid_t pid) {
        const struct proc_table *t;
        int r = host_procs(h, &t);
        if (r < 0)
                return r;
        const struct proc *q = proc_table_find(t, pid);
        struct devserver_cmd c;
        if (!q || devserver_cmd_parse(q, &c) < 0)
                return 0;
        _cleanup_free_ char *unit = NULL, *desc = NULL, *text = NULL;
        r = c.title ? -ENOEXEC : 0;
        if (r == 0 && asprintf(&desc, "%s, moved out of tmux", c.tool_name) < 0)
                r = -ENOMEM;
        if (r == 0) {
                struct fix_unit_request req = {
                        .check = CHECK_ID, .prefix = c.tool_name, .proc = q, .argv = c.words, .argc = c.n,
                        .description = desc,
                };
                r = fix_plan_unit(h, p, &req, &unit);
        }
        devserver_cmd_done(&c);
        if (r == -ENOEXEC || r == -EINVAL)
                r = asprintf(&text, "run pid %d from a systemd unit instead of inside tmux (its command line "
                             "cannot be written to a unit as it is)", (int) pid) < 0 ? -ENOMEM : 0;
        else if (r == 0 && asprintf(&text, "%s is written, not started: stop pid %d in its tmux pane, then run "
                                    "`systemctl enable --now %s`", unit, (int) pid, unit) < 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
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
                r = plan_service_unit(h, p, d->pid);
        return r < 0 ? r : 0;
}

const struct fix fix_tmux_resurrect = {
        .name = "tmux-resurrect",
        .summary = "add the tmux.conf lines that stop process save/restore, and write the service's unit",
        .plan = tmux_resurrect_plan,
};
