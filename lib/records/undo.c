/* SPDX-License-Identifier: MIT */
/* The undo plan of a run record: its applied actions taken back newest first,
 * each from the state the host is in now, so a second undo plans nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <libmount.h>
#include <systemd/sd-bus.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "plan/plan.h"
#include "records/runrecord.h"
#include "text/sha256.h"
#include "records/undo.h"
#include "records/undo-units.h"
#include "systemd/unitstate.h"

#define UNDO_FILE_MAX (4u << 20)

struct undo {
        struct host *h;
        struct plan *p;
        const struct run_record *run;
        bool force;
        struct strbuf *refused, *blocked, *notes;
        bool files_changed;     /* a file of the run is taken back: systemd reloads */
        bool reloaded;          /* the run reloaded systemd */
        char **units_stopped;   /* units whose files go, stopped and disabled first */
};

static bool strv_has(char *const *v, const char *s) {
        for (; v && *v && s; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

/* PATH's state now in the plan: *ret NULL when missing. -ELOOP symlink, -EEXIST not a file. */
static int current(struct undo *u, const char *path, const char **ret, size_t *ret_len) {
        return plan_get_file(u->p, path, ret, ret_len);
}

/* A change since the run: refused, or with --force noted and taken back. */
static bool changed_since(struct undo *u, const char *path, const char *what) {
        if (!u->force) {
                strbuf_addf(u->refused, "%s: %s since run %s (sha256 differs); undo --force takes it back anyway\n",
                            path, what, u->run->stamp);
                return false;
        }
        strbuf_addf(u->notes, "%s: %s since run %s; taken back (--force)\n", path, what, u->run->stamp);
        return true;
}

static int undo_created(struct undo *u, const struct run_action *a) {
        const char *cur;
        size_t len;
        char hex[SHA256_HEX_SIZE];
        int r = current(u, a->path, &cur, &len);
        if (r == -ELOOP || r == -EEXIST) {
                strbuf_addf(u->refused, "%s: no longer a regular file; not removed\n", a->path);
                return 0;
        }
        if (r < 0)
                return r;
        if (!cur)
                return 0;
        sha256_hex(cur, len, hex);
        if (strcmp(hex, a->sha256) != 0 && !changed_since(u, a->path, "changed"))
                return 0;
        r = plan_add_remove(u->p, a->check, a->path, 0);
        u->files_changed |= r > 0;
        return r < 0 ? r : 0;
}

/* The lines the run appended, found whole at a line start in CUR: removed, and
 * whatever was added or edited since is kept. Needs no backup. */
static int undo_appended(struct undo *u, const struct run_action *a, const char *cur, size_t len) {
        size_t alen = strlen(a->appended);
        const char *hit = NULL;
        for (const char *c = cur; !hit && c && (size_t) (c - cur) + alen <= len; ) {
                if (memcmp(c, a->appended, alen) == 0)
                        hit = c;
                const char *nl = memchr(c, '\n', len - (size_t) (c - cur));
                c = nl ? nl + 1 : NULL;
        }
        if (!hit) {
                /* Restoring the backup would drop what was added since: never without saying, never here. */
                strbuf_addf(u->refused, "%s: the line%s run %s added (%.*s) %s changed or removed since; "
                            "take back by hand what remains of it (undo never drops later lines)\n",
                            a->path, strchr(a->appended, '\n') != a->appended + alen - 1 ? "s" : "", u->run->stamp,
                            (int) strcspn(a->appended, "\n"), a->appended,
                            strchr(a->appended, '\n') != a->appended + alen - 1 ? "were" : "was");
                return 0;
        }
        struct stat st;
        int r = host_stat(u->h, a->path, &st);
        if (r < 0)
                return r;
        _cleanup_free_ char *next = malloc(len - alen + 1);
        if (!next)
                return -ENOMEM;
        size_t off = (size_t) (hit - cur);
        memcpy(next, cur, off);
        memcpy(next + off, hit + alen, len - off - alen);
        if (len - alen > off)
                strbuf_addf(u->notes, "%s: the lines added after run %s are kept\n", a->path, u->run->stamp);
        r = plan_add_restore(u->p, a->check, a->path, next, len - alen, st.st_mode, st.st_uid, st.st_gid);
        u->files_changed |= r > 0;
        return r < 0 ? r : 0;
}

static int undo_replaced(struct undo *u, const struct run_action *a) {
        _cleanup_free_ char *saved = NULL;
        size_t saved_len, len;
        const char *cur;
        struct stat st;
        char hex[SHA256_HEX_SIZE] = "";
        int r = current(u, a->path, &cur, &len);
        if (r == -ELOOP || r == -EEXIST) {
                strbuf_addf(u->refused, "%s: no longer a regular file; not restored\n", a->path);
                return 0;
        }
        if (r < 0)
                return r;
        if (cur) {
                sha256_hex(cur, len, hex);
                if (strcmp(hex, a->old_sha256) == 0)
                        return 0;       /* already what it was (or, pending, never replaced) */
        }
        if (cur && a->appended)
                return undo_appended(u, a, cur, len);
        r = run_backup_read(u->h, u->run->stamp, a->path, UNDO_FILE_MAX, &saved, &saved_len, &st);
        if (r == -ENOENT) {
                /* Only this file waits for its backup: the rest of the run is taken back. */
                strbuf_addf(u->blocked, "%s: its backup %s is gone (pruned?); it cannot be restored\n",
                            a->path, a->backup);
                return 0;
        }
        if (r == -EPERM || r == -ELOOP || r == -EBADMSG) {
                strbuf_addf(u->refused, "%s: its backup %s is not to be trusted (%s)\n", a->path, a->backup,
                            r == -ELOOP ? "a symlink on the way" : r == -EBADMSG ? "not a regular file" :
                            "owned by another user or writable by others");
                return 0;
        }
        if (r < 0)
                return r;
        char bhex[SHA256_HEX_SIZE];
        sha256_hex(saved, saved_len, bhex);
        if (strcmp(bhex, a->old_sha256) != 0) {
                strbuf_addf(u->refused, "%s: its backup %s does not hold what was replaced (sha256 differs)\n",
                            a->path, a->backup);
                return 0;
        }
        if ((!cur || strcmp(hex, a->sha256) != 0) && !changed_since(u, a->path, cur ? "changed" : "removed"))
                return 0;
        r = plan_add_restore(u->p, a->check, a->path, saved, saved_len, st.st_mode, st.st_uid, st.st_gid);
        u->files_changed |= r > 0;
        return r < 0 ? r : 0;
}

static int undo_symlink(struct undo *u, const struct run_action *a) {
        struct stat st;
        int r = host_stat(u->h, a->path, &st);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        if (!S_ISLNK(st.st_mode)) {
                strbuf_addf(u->refused, "%s: no longer a symlink; not removed\n", a->path);
                return 0;
        }
        r = plan_add_remove(u->p, a->check, a->path, 0);
        if (r <= 0)
                return r;
        const struct action *pa = plan_action(u->p, plan_size(u->p) - 1);
        if (a->target && strcmp(pa->target, a->target) != 0 && !u->force) {
                strbuf_addf(u->refused, "%s: now points to %s, not %s; undo --force removes it anyway\n",
                            a->path, pa->target, a->target);
        }
        u->files_changed = true;
        return 0;
}

static bool swap_active(struct undo *u, const char *path) {
        struct libmnt_table *swaps;
        if (!host_is_live(u->h) || host_swaps(u->h, &swaps) < 0)
                return false;
        return mnt_table_find_source(swaps, path, MNT_ITER_FORWARD) != NULL;
}

static bool swapoff_planned(struct undo *u, const char *path) {
        for (size_t i = 0; i < plan_size(u->p); i++) {
                const struct action *a = plan_action(u->p, i);
                if (a->kind == ACTION_SWAPOFF && strcmp(a->path, path) == 0)
                        return true;
        }
        return false;
}

static int undo_swapoff(struct undo *u, const struct run_action *a) {
        if (!swap_active(u, a->path) || swapoff_planned(u, a->path))
                return 0;
        int r = plan_add_swapoff(u->p, a->check, a->path);
        return r < 0 ? r : 0;
}

static int undo_swapfile(struct undo *u, const struct run_action *a) {
        struct stat st;
        int r = undo_swapoff(u, a);
        if (r < 0)
                return r;
        r = host_stat(u->h, a->path, &st);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!S_ISREG(st.st_mode) || ((uint64_t) st.st_size != a->size && !u->force)) {
                strbuf_addf(u->refused, "%s: no longer the swap file of run %s (type or size differs)\n",
                            a->path, u->run->stamp);
                return 0;
        }
        r = plan_add_remove(u->p, a->check, a->path, (uint64_t) st.st_size);
        return r < 0 ? r : 0;
}

static int undo_systemd(struct undo *u, const struct run_action *a) {
        int r = 0;
        /* A unit whose file goes was stopped and disabled before it (undo-units.c). */
        if ((a->op == SYSTEMD_ENABLE || a->op == SYSTEMD_START) && strv_has(u->units_stopped, a->unit))
                return 0;
        switch (a->op) {
        case SYSTEMD_ENABLE: {
                _cleanup_free_ char *state = undo_unit_file_state(u->h, a->unit);
                if (state && strcmp(state, "enabled") == 0)
                        r = plan_add_systemd(u->p, a->check, SYSTEMD_DISABLE, a->unit, NULL);
                break;
        }
        case SYSTEMD_START:
                if (!a->was_active && undo_unit_active(u->h, a->unit))
                        r = plan_add_systemd(u->p, a->check, SYSTEMD_STOP, a->unit, NULL);
                break;
        case SYSTEMD_DAEMON_RELOAD:
                u->reloaded = true;
                break;
        case SYSTEMD_SET_PROPERTY: {
                /* systemd keeps them in /run/systemd/system.control until reboot; say how to lift them now. */
                _cleanup_strbuf_ struct strbuf set = STRBUF_INIT, lift = STRBUF_INIT;
                for (char **p = a->properties; p && *p; p++) {
                        strbuf_addf(&set, " %s", *p);
                        strbuf_addf(&lift, " %.*s=infinity", (int) strcspn(*p, "="), *p);
                }
                return plan_add_manualf(u->p, a->check, "not undoable: %s keeps%s, set at runtime, until the host reboots; "
                                        "systemctl set-property --runtime %s%s lifts it now",
                                        a->unit, strbuf_str(&set), a->unit, strbuf_str(&lift));
        }
        default:
                break;
        }
        return r < 0 ? r : 0;
}

static int undo_action(struct undo *u, const struct run_action *a) {
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return a->created ? undo_created(u, a) : undo_replaced(u, a);
        case ACTION_SYMLINK:
                return undo_symlink(u, a);
        case ACTION_SWAPFILE:
                return undo_swapfile(u, a);
        case ACTION_SWAPON:
                return undo_swapoff(u, a);
        case ACTION_SYSTEMD:
                return undo_systemd(u, a);
        case ACTION_OOM_SCORE_ADJ:
                return plan_add_manualf(u->p, a->check, "not undoable: pid %d (%s) had oom_score_adj %d before run %s "
                                        "(the process may be gone)", (int) a->pid, a->comm ? a->comm : "?", a->from,
                                        u->run->stamp);
        default:
                return 0;
        }
}

/* Every entry of directory PATH is planned for removal. */
static bool dir_emptied(struct undo *u, const char *path) {
        _cleanup_close_ int fd = host_open_file(u->h, path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return false;
        DIR *d = fdopendir(TAKE_FD(fd));
        if (!d)
                return false;
        bool all = true;
        size_t plen = strlen(path);
        for (struct dirent *de; all && (de = readdir(d)); ) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                bool found = false;
                for (size_t i = 0; !found && i < plan_size(u->p); i++) {
                        const struct action *a = plan_action(u->p, i);
                        found = a->kind == ACTION_REMOVE && strncmp(a->path, path, plen) == 0 &&
                                a->path[plen] == '/' && strcmp(a->path + plen + 1, de->d_name) == 0;
                }
                all = found;
        }
        closedir(d);
        return all;
}

static int undo_dirs(struct undo *u) {
        size_t n = 0;
        while (u->run->dirs && u->run->dirs[n])
                n++;
        /* Children before parents: the record keeps parents first. */
        for (size_t i = n; i > 0; i--) {
                const char *d = u->run->dirs[i - 1];
                struct stat st;
                if (host_stat(u->h, d, &st) < 0 || !S_ISDIR(st.st_mode) || !dir_emptied(u, d))
                        continue;
                int r = plan_add_remove(u->p, NULL, d, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A newer fix run, not undone, that touched one of PATH's. */
static void refuse_newer(struct undo *u, struct run_record *const *runs, size_t n, size_t target) {
        for (size_t i = target + 1; i < n; i++) {
                const struct run_record *nr = runs[i];
                if (nr->kind != RUN_FIX || run_records_undone_by(runs, n, nr->stamp))
                        continue;
                for (size_t j = 0; j < u->run->n_actions; j++) {
                        const struct run_action *a = &u->run->actions[j];
                        if ((a->outcome != OUTCOME_APPLIED && a->outcome != OUTCOME_PENDING) || !a->path)
                                continue;
                        for (size_t k = 0; k < nr->n_actions; k++) {
                                const struct run_action *b = &nr->actions[k];
                                if ((b->outcome == OUTCOME_APPLIED || b->outcome == OUTCOME_PENDING) && b->path &&
                                    strcmp(a->path, b->path) == 0) {
                                        strbuf_addf(u->refused, "%s: run %s changed it later; undo %s first\n",
                                                    a->path, nr->stamp, nr->stamp);
                                        break;
                                }
                        }
                }
        }
}

int undo_plan(struct host *h, struct run_record *const *runs, size_t n, size_t target, bool force,
              struct plan *p, struct strbuf *refused, struct strbuf *blocked, struct strbuf *notes) {
        struct undo u = { .h = h, .p = p, .run = runs[target], .force = force, .refused = refused,
                          .blocked = blocked, .notes = notes };
        if (u.run->kind == RUN_UNDO) {
                strbuf_addf(refused, "run %s is an undo (of %s); run hostfit fix to make those changes again\n",
                            u.run->stamp, u.run->undoes);
                return 0;
        }
        refuse_newer(&u, runs, n, target);
        _cleanup_(undo_strv_freep) char **stopped = NULL;
        int k = undo_units_stop(h, p, u.run, refused, &stopped);
        if (k < 0)
                return k;
        u.units_stopped = stopped;
        if (u.units_stopped && u.units_stopped[0])
                u.files_changed = true;
        _cleanup_free_ const char **restart = calloc(u.run->n_actions + 1, sizeof(char *));
        size_t n_restart = 0;
        if (!restart)
                return -ENOMEM;
        for (size_t i = u.run->n_actions; i > 0; i--) {
                const struct run_action *a = &u.run->actions[i - 1];
                /* Pending: the run was stopped before it said; taken back from what the host holds. */
                if (a->outcome != OUTCOME_APPLIED && a->outcome != OUTCOME_DEFERRED && a->outcome != OUTCOME_PENDING)
                        continue;
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_RESTART) {
                        restart[n_restart++] = a->unit;
                        continue;
                }
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_DAEMON_RELOAD)
                        u.reloaded = true;
                if (a->outcome == OUTCOME_DEFERRED)
                        continue;
                /* Pending runtime steps under another root were deferred, never run: nothing to take back. */
                if (a->outcome == OUTCOME_PENDING && !host_is_live(h) &&
                    (a->kind == ACTION_SYSTEMD || a->kind == ACTION_OOM_SCORE_ADJ || a->kind == ACTION_SWAPON))
                        continue;
                int r = undo_action(&u, a);
                if (r < 0)
                        return r;
        }
        int r = undo_dirs(&u);
        if (r < 0)
                return r;
        if (u.files_changed && u.reloaded && (r = plan_add_systemd(p, NULL, SYSTEMD_DAEMON_RELOAD, NULL, NULL)) < 0)
                return r;
        /* A unit whose file goes and that failed (a timer's service) would stay listed as failed. */
        for (size_t i = 0; i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                const char *base = a->kind == ACTION_REMOVE && S_ISREG(a->mode) ? strrchr(a->path, '/') + 1 : NULL;
                if (!base || strncmp(a->path, "/etc/systemd/system/", 20) != 0 || strchr(a->path + 20, '/') ||
                    !undo_unit_failed(h, base))
                        continue;
                if ((r = plan_add_systemd(p, NULL, SYSTEMD_RESET_FAILED, base, NULL)) < 0)
                        return r;
        }
        /* Restarted with the files they read taken back. */
        for (size_t i = 0; u.files_changed && i < n_restart; i++)
                if (undo_unit_active(h, restart[i]) &&
                    (r = plan_add_systemd(p, NULL, SYSTEMD_RESTART, restart[i], NULL)) < 0)
                        return r;
        return 0;
}
