/* SPDX-License-Identifier: MIT */
/* Run records: what one `hostfit fix --yes` (or undo) changed, written to
 * /var/lib/hostfit/runs/STAMP.json under the root, and the one source of
 * `hostfit history` and `hostfit undo`.
 *
 * Journal-style: before its first change a run writes its record with every
 * action "pending" (so a run that cannot record changes nothing), then appends
 * "INDEX OUTCOME" to STAMP.log after each action, and at the end rewrites the
 * record with the outcomes and removes the log. A run killed in between leaves
 * the pending record and its log: reading merges them, and undo takes a pending
 * action back as if applied, judged from what the host holds now.
 *
 * Trusted only when the record, its log, /var/lib/hostfit and its runs/ are
 * owned by root (the user hostfit runs as) and not writable by group or others,
 * with no symlink on the way; a backup only at BACKUPS_DIR/STAMP/PATH, in
 * directories of the same trust. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "plan/plan.h"
#include "text/strbuf.h"

#define RUNS_DIR   "/var/lib/hostfit/runs"
#define BACKUPS_DIR "/var/backups/hostfit"
#define RUN_STAMP_MAX 32

struct host;

enum run_kind { RUN_FIX, RUN_UNDO };

enum run_outcome {
        OUTCOME_APPLIED,
        OUTCOME_FAILED,
        OUTCOME_SKIPPED,        /* not reached: an earlier action failed */
        OUTCOME_DEFERRED,
        OUTCOME_MANUAL,
        OUTCOME_PENDING,        /* the run stopped before it said: maybe applied */
        _OUTCOME_MAX,
};

struct run_action {
        enum action_kind kind;
        enum run_outcome outcome;
        char *check;
        char *path;             /* write-file, symlink, swapfile, swapon, swapoff, remove */
        char *message;          /* what apply said, or why it failed */
        /* write-file */
        bool created;           /* no file was there before */
        char *backup;           /* replaced: where the old file was kept (within the root) */
        char sha256[65];        /* of the new content */
        char old_sha256[65];    /* replaced: of the old content (and of the backup) */
        char *appended;         /* replaced: the lines added at the end, when that is all it did (fstab) */
        mode_t mode;
        uid_t uid;
        gid_t gid;
        char *target;           /* symlink */
        uint64_t size;          /* swapfile */
        enum systemd_op op;     /* systemd */
        char *unit;
        char **properties;      /* set-property: "Name=value", NULL-terminated (or NULL) */
        bool was_active;        /* start: the unit was active before the run */
        pid_t pid;              /* oom-score-adj */
        char *comm;
        int from, to;
};

struct run_record {
        char stamp[RUN_STAMP_MAX];
        enum run_kind kind;
        char undoes[RUN_STAMP_MAX];     /* undo: the run it took back */
        char *version, *root, *user;    /* user: SUDO_USER, or NULL */
        long long uid;
        char **checks;                  /* the checks whose actions ran, NULL-terminated */
        char **dirs;                    /* directories the run made, parents first; NULL-terminated */
        struct run_action *actions;
        size_t n_actions;
        bool partial;                   /* undo: some actions of its run were left (a pruned backup) */
        bool interrupted;               /* the run ended before its final record: outcomes from its log */
};

struct run_record *run_record_free(struct run_record *r);
/* STAMP: a stamp as hostfit makes them ("20261126T101500Z", ".N" when taken). */
bool run_stamp_is_valid(const char *stamp);
/* Seconds since the epoch of STAMP, -1 when invalid. */
long long run_stamp_time(const char *stamp);

/* The record STAMP under H's root, merged with its log when the run was
 * interrupted: -ENOENT when there is none, -EBADMSG when malformed or naming
 * a backup other than its own, -EPERM when not trusted (see above). */
int run_record_load(struct host *h, const char *stamp, struct run_record **ret);
/* Every record, oldest first (malformed and untrusted ones are skipped and counted in *ret_bad). */
int run_records_list(struct host *h, struct run_record ***ret, size_t *ret_n, size_t *ret_bad);
void run_records_free(struct run_record **v, size_t n);
/* The record of R as JSON (the file's format). */
int run_record_to_json(const struct run_record *r, FILE *f);

const char *run_outcome_to_string(enum run_outcome o);
/* The backup BACKUPS_DIR/STAMP/PATH as it must be named in STAMP's record. */
int run_backup_path(const char *stamp, const char *path, char **ret);
/* Read the backup of PATH that run STAMP kept: -ENOENT when gone (pruned),
 * -EPERM when it or its directories are not trusted, -ELOOP through a symlink. */
int run_backup_read(struct host *h, const char *stamp, const char *path, size_t max, char **ret, size_t *ret_len,
                    struct stat *ret_st);
/* The undo record in V[0..N) that took back the fix run STAMP completely, or NULL. */
const struct run_record *run_records_undone_by(struct run_record *const *v, size_t n, const char *stamp);

/* ---- applying a plan as a recorded run (apply-run.c, apply side: writes) ---- */

struct run_result {
        bool partial;           /* in: an undo that leaves some of its run's actions (said in the record) */
        bool always_record;     /* in: record the run even when nothing changes (an undo that completes
                                 * what an interrupted one began) */
        char stamp[RUN_STAMP_MAX];
        bool recorded;          /* at least one action applied: the record was written */
        bool journal_only;      /* the final record could not be written: the pending one and its log stand */
        unsigned applied, failed;
        struct strbuf warnings; /* one line each: etckeeper, …; the caller prints them */
};
void run_result_release(struct run_result *r);

/* Apply P as plan_apply_outcomes() does (LOG sees every action, OUTCOMES, when
 * not NULL, gets each action's outcome), as one run: a stamp, the directories
 * the run makes noted beforehand, the pending record and its log written
 * before the first change (-ENOTRECOVERABLE with MSG in ret->warnings, and
 * nothing changed, when they cannot be), etckeeper commits of /etc before and
 * after on the running system, and the final record (removed again when no
 * action was applied). UNDOES: the stamp of the run this one takes back, or
 * NULL for a fix. Returns plan_apply()'s result, or the record's failure. */
int run_apply(const struct plan *p, struct host *h, const char *undoes,
              plan_log_fn log, void *userdata, enum action_outcome *outcomes, struct run_result *ret);

/* Remove the records and backups of runs older than DAYS days; their stamps
 * are added to REMOVED (one a line). Returns how many runs were pruned. */
int run_records_prune(struct host *h, unsigned days, struct strbuf *removed, struct strbuf *msg);
