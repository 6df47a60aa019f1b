/* SPDX-License-Identifier: MIT */
/* The plan: an ordered list of actions that fixes compute and apply runs.
 *
 * A fix adds only what differs from the host, so on a fixed host the plan is
 * empty. plan_add_write() reads the old content at plan time (and the content
 * an earlier action in this plan will write), and adds nothing when the new
 * content is the same. Under a root that is not the running system, runtime
 * actions (swapon, systemd, oom-score-adj) are kept but marked deferred, and
 * what boot does instead is planned as files (enabling a unit: its symlinks).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct host;

enum action_kind {
        ACTION_WRITE_FILE,
        ACTION_SWAPFILE,
        ACTION_SWAPON,
        ACTION_SYSTEMD,
        ACTION_OOM_SCORE_ADJ,
        ACTION_MANUAL,
        ACTION_SYMLINK,
        ACTION_SWAPOFF,         /* undo: path */
        ACTION_REMOVE,          /* undo: path; mode's type says what (see plan_add_remove) */
        ACTION_SUBVOLUME,       /* path: a new btrfs subvolume (BTRFS_IOC_SUBVOL_CREATE), mode 0700 */
        _ACTION_MAX,
};

enum systemd_op {
        SYSTEMD_DAEMON_RELOAD,
        SYSTEMD_ENABLE,         /* unit file enable: the [Install] links, over sd-bus */
        SYSTEMD_START,
        SYSTEMD_RESTART,
        SYSTEMD_SET_PROPERTY,   /* runtime SetUnitProperties */
        SYSTEMD_DISABLE,        /* unit file disable: its [Install] links, over sd-bus */
        SYSTEMD_STOP,
        SYSTEMD_RESET_FAILED,   /* forget the failed state of a unit whose file is gone */
        _SYSTEMD_OP_MAX,
};

struct action {
        enum action_kind kind;
        const char *check;      /* check id (static string) */
        char *path;             /* write-file, swapfile, swapon, symlink: absolute within the root */

        /* write-file */
        char *content;
        size_t content_len;
        char *old;              /* content at plan time, NULL when the file did not exist */
        size_t old_len;
        mode_t mode;            /* the old file's mode when it existed, else the one asked for */
        uid_t uid;
        gid_t gid;

        /* symlink: what PATH will point to (as stored in the link, not resolved) */
        char *target;

        /* swapfile */
        uint64_t size;

        /* swapon */
        int priority;           /* -1: the kernel's default */

        /* systemd */
        enum systemd_op op;
        char *unit;
        char **properties;      /* set-property: NULL-terminated "Name=value" */

        /* oom-score-adj */
        pid_t pid;
        char comm[16];
        int from, to;

        /* remove: PATH is a btrfs subvolume of its own, destroyed (BTRFS_IOC_SNAP_DESTROY) when empty */
        bool subvolume;

        /* manual: the steps; for other kinds an optional note */
        char *text;

        bool deferred;          /* not run now: --root, or systemd not running; text says what boot does instead */
};

struct plan;

int plan_new(struct host *h, struct plan **ret);
struct plan *plan_free(struct plan *p);

size_t plan_size(const struct plan *p);
const struct action *plan_action(const struct plan *p, size_t i);
/* Actions that would change the host (everything but manual and deferred ones). */
size_t plan_count_changes(const struct plan *p);

/* The content PATH will have when the actions so far are applied: the planned
 * content, else the host's. *ret is NULL (and 0 returned) when it does not exist.
 * -ELOOP when PATH is a symlink, -EFBIG beyond 4 MiB. ret is borrowed until the plan changes. */
int plan_get_file(struct plan *p, const char *path, const char **ret, size_t *ret_len);

/* Plan PATH to hold CONTENT. Mode and owner: the existing file's, else MODE and root.
 * 0 when nothing changes (nothing added), 1 when an action was added or updated. */
int plan_add_write(struct plan *p, const char *check, const char *path,
                   const char *content, size_t len, mode_t mode);
/* Writes, symlinks and swap files refuse a path another action already holds (-EEXIST),
 * except a write of the same check, which updates its own action. */
/* The same with the owner of a new file given (a user's own dotfile). */
int plan_add_write_owned(struct plan *p, const char *check, const char *path,
                         const char *content, size_t len, mode_t mode, uid_t uid, gid_t gid);
/* Plan PATH to be a symlink to TARGET. 0 when it already is one (nothing added),
 * 1 when added, -EEXIST when PATH exists as anything else. */
int plan_add_symlink(struct plan *p, const char *check, const char *path, const char *target);
int plan_add_swapfile(struct plan *p, const char *check, const char *path, uint64_t size);
/* Plan directory PATH, absent now, to be made a btrfs subvolume of its own (where a
 * swapfile goes: btrfs(5) "Swapfile support"). 1 when added, -EEXIST when PATH exists
 * or another action holds it. Undo destroys it when it is empty again. */
int plan_add_subvolume(struct plan *p, const char *check, const char *path);
int plan_add_swapon(struct plan *p, const char *check, const char *path, int priority);
/* PROPS: NULL-terminated "Name=value" list for set-property, else NULL. */
int plan_add_systemd(struct plan *p, const char *check, enum systemd_op op, const char *unit,
                     const char *const *props);
/* Enable UNIT (its file at UNIT_PATH; for an instance "foo@bar.timer", the
 * template's) in each of WANTED_BY (NULL-terminated target names, from its
 * [Install] WantedBy=). With systemd running on this host: one systemd enable,
 * unless every link already exists. Else (another root, no systemd): the links
 * systemctl enable makes, /etc/systemd/system/TARGET.wants/UNIT -> UNIT_PATH,
 * as symlink actions. Returns how many actions were added. */
int plan_add_enable(struct plan *p, const char *check, const char *unit, const char *unit_path,
                    const char *const *wanted_by);
int plan_add_oom_score_adj(struct plan *p, const char *check, pid_t pid, const char *comm, int from, int to);
/* UNIT, written by this plan, serves PORT. -EADDRINUSE when another unit of this plan
 * already serves it: two units must not fight for one port. 0 when claimed (or already UNIT's). */
int plan_claim_port(struct plan *p, const char *unit, uint16_t port);
int plan_add_manual(struct plan *p, const char *check, const char *text);
/* The same with the text formatted; 0 or -errno. */
int plan_add_manualf(struct plan *p, const char *check, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Attach a note to the last action added (e.g. what boot does instead of a deferred step). */
int plan_note(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- taking a run back (hostfit undo) ---- */

/* Plan PATH to hold CONTENT again, with exactly MODE and owner (a backup's):
 * like plan_add_write(), but the mode and owner are not the current file's. */
int plan_add_restore(struct plan *p, const char *check, const char *path,
                     const char *content, size_t len, mode_t mode, uid_t uid, gid_t gid);
/* Plan the removal of PATH as it is now: a regular file (its content kept in
 * old, checked again before unlinking, shown as a diff to /dev/null), a symlink
 * (its target, checked again), or a directory (removed only when empty then;
 * a btrfs subvolume root is marked subvolume and destroyed as one).
 * With SIZE > 0, PATH is a swap file: a regular file of SIZE bytes, not read.
 * 0 when PATH does not exist (nothing added), 1 when added. */
int plan_add_remove(struct plan *p, const char *check, const char *path, uint64_t size);
/* Plan swapoff PATH: deferred off the running system. */
int plan_add_swapoff(struct plan *p, const char *check, const char *path);

const char *action_kind_to_string(enum action_kind k);   /* "write-file", "swapfile", ... */
const char *systemd_op_to_string(enum systemd_op op);     /* "daemon-reload", "enable", ... */

/* ---- rendering (lib/plan/plan-render.c) ---- */

/* Every write-file as a unified diff ("--- a/etc/fstab", "+++ b/etc/fstab",
 * 3 lines of context, "--- /dev/null" for a new file), every other action as
 * one line. Host bytes are escaped for a terminal. Manual steps of one check
 * that differ only in their digits show once, with a count of the others and
 * the names (units, files) those others differ in. */
int plan_render_text(const struct plan *p, FILE *out, bool color);
/* The same; with EVERY, each manual step on its own line. */
int plan_render_text_full(const struct plan *p, FILE *out, bool color, bool every);
/* {"version":1,"actions":[{"check":…,"kind":…,"path":…,"diff":…}, …]} */
int plan_render_json(const struct plan *p, FILE *out);
struct json;
/* The "actions" key and array alone, into an object J has open. */
int plan_render_json_actions(const struct plan *p, struct json *j);
/* ---- alike manual steps (lib/plan/plan-alike.c) ---- */

/* Manual steps of one check whose texts differ only in their runs of digits. */
bool plan_manual_alike(const struct action *a, const struct action *b);
/* Adds to *NAMES (N strings, NULL-terminated, each owned) the names OTHER's text holds where
 * SHOWN's, alike to it, has another: a word of letters, digits and ._-@/\+~% that is not a
 * number (digits and dots only, as a pid or a size), once each; a path whose last component is
 * such a name of the same text is left out. -EINVAL when the texts are not alike, -ENOMEM. */
int plan_manual_names(const char *shown, const char *other, char ***names, size_t *n);

/* One line describing a non-file action, e.g. "swapon /swapfile" (raw, unescaped). */
int action_describe(const struct action *a, char **ret);

/* ---- apply (lib/apply/apply.c): the only code that writes ---- */

/* Called after each action: R is 0 on success, else -errno and MSG says why. */
typedef void (*plan_log_fn)(void *userdata, const struct action *a, int r, const char *msg);

/* Progress of a long step (zero-filling a swap file where the filesystem cannot
 * preallocate): DONE of TOTAL bytes of PATH. Called every 64 MiB and at the end. */
typedef void (*plan_progress_fn)(void *userdata, const char *path, uint64_t done, uint64_t total);
/* Set (or clear, with NULL) the progress callback of later plan_apply() calls. */
void plan_apply_progress(plan_progress_fn fn, void *userdata);

/* The run the later plan_apply() calls belong to: backups go to
 * /var/backups/hostfit/STAMP, and the journal entries of applied actions carry
 * HOSTFIT_RUN=STAMP (and HOSTFIT_UNDO=UNDOES when the run takes another back).
 * NULL: a stamp is made from the time when the first backup is needed. */
void plan_apply_run(const char *stamp, const char *undoes);

/* What became of each action of an applied plan. */
enum action_outcome {
        ACTION_OUTCOME_PENDING,        /* not reached */
        ACTION_OUTCOME_APPLIED,
        ACTION_OUTCOME_DEFERRED,       /* not run now: boot (or a running systemd) does it */
        ACTION_OUTCOME_MANUAL,         /* steps for a person, logged */
        ACTION_OUTCOME_FAILED,
        ACTION_OUTCOME_SKIPPED,        /* an earlier action of the same check failed */
        _ACTION_OUTCOME_MAX,
};
const char *action_outcome_to_string(enum action_outcome o);   /* "applied", "failed", ... */

/* Run P's actions in order. The fixes of different checks are independent: a
 * failed action stops only the later actions of its own check, which are
 * logged with R = -ECANCELED and skipped; the others run. Returns 0, or the
 * first failure as -errno (-ESTALE when a file changed since it was planned).
 * Deferred and manual actions are logged, not run. With OUTCOMES (plan_size(P)
 * entries, the caller's), each action's outcome is stored there. */
int plan_apply_outcomes(const struct plan *p, struct host *h, plan_log_fn log, void *userdata,
                        enum action_outcome *outcomes);
int plan_apply(const struct plan *p, struct host *h, plan_log_fn log, void *userdata);

/* Remove the temp files (".#NAME.XXXXXX", marked with the pid that made them)
 * that a hostfit run which died left, in the directories P's actions write and
 * in /, /etc, /etc/systemd/system and its subdirectories, the run records and the
 * whole backup tree; only those whose
 * maker is gone. *ret_removed says how many. */
int plan_sweep_stale_temps(const struct plan *p, struct host *h, unsigned *ret_removed);

/* One daemon-reload for the whole plan, after the last file systemd reads
 * (units, drop-ins, generator configs): the files from the first reload on
 * move before it, in order, and every action that followed a reload stays
 * after it, in order. Call once every fix is planned (plan_truncate() counts
 * on insertion order). Returns how many reloads were dropped. */
int plan_merge_reloads(struct plan *p);

/* Drop the actions from N on (a fix that failed half way takes back what it
 * added). An action an earlier one updated in place keeps the update. */
void plan_truncate(struct plan *p, size_t n);
