/* SPDX-License-Identifier: MIT */
/* A plan applied as one recorded run: its stamp, the directories it makes,
 * etckeeper commits around it on the live system, the run record written
 * through apply's atomic writer, and the pruning of old records and backups.
 * Apply-side code: the record and the pruning are its only writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"
#include "apply/etckeeper.h"
#include "host/host.h"
#include "records/runrecord.h"
#include "text/sha256.h"
#include "systemd/unitstate.h"
#include "text/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct run_record *, run_record_free);

static int strv_add(char ***v, size_t *n, const char *s) {
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*v)[i], s) == 0)
                        return 0;
        char **nv = reallocarray(*v, *n + 2, sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strdup(s)))
                return -ENOMEM;
        nv[++*n] = NULL;
        return 1;
}

/* The action as the record keeps it. */
static int action_from_plan(const struct action *a, enum run_outcome o, const char *msg,
                            const char *stamp, struct run_action *ra) {
        ra->kind = a->kind;
        ra->outcome = o;
        ra->mode = a->mode;
        ra->uid = a->uid;
        ra->gid = a->gid;
        ra->size = a->size;
        ra->op = a->op;
        ra->pid = a->pid;
        ra->from = a->from;
        ra->to = a->to;
        if ((a->check && !(ra->check = strdup(a->check))) || (a->path && !(ra->path = strdup(a->path))) ||
            (msg && !(ra->message = strdup(msg))) || (a->target && !(ra->target = strdup(a->target))) ||
            (a->unit && !(ra->unit = strdup(a->unit))) ||
            (a->kind == ACTION_OOM_SCORE_ADJ && !(ra->comm = strdup(a->comm))))
                return -ENOMEM;
        size_t np = 0;
        while (a->properties && a->properties[np])
                np++;
        if (np) {
                if (!(ra->properties = calloc(np + 1, sizeof(char *))))
                        return -ENOMEM;
                for (size_t i = 0; i < np; i++)
                        if (!(ra->properties[i] = strdup(a->properties[i])))
                                return -ENOMEM;
        }
        if (a->kind == ACTION_WRITE_FILE) {
                ra->created = !a->old;
                sha256_hex(a->content, a->content_len, ra->sha256);
                if (a->old) {
                        sha256_hex(a->old, a->old_len, ra->old_sha256);
                        if ((o == OUTCOME_APPLIED || o == OUTCOME_PENDING) && run_backup_path(stamp, a->path, &ra->backup) < 0)
                                return -ENOMEM;
                }
                /* Only lines added at the end (fstab): undo takes back those lines and keeps later edits. */
                if (a->old && a->content_len > a->old_len && a->old_len > 0 && a->old[a->old_len - 1] == '\n' &&
                    memcmp(a->content, a->old, a->old_len) == 0 &&
                    !memchr(a->content + a->old_len, '\0', a->content_len - a->old_len) &&
                    !(ra->appended = strndup(a->content + a->old_len, a->content_len - a->old_len)))
                        return -ENOMEM;
        }
        if (a->kind == ACTION_REMOVE && S_ISREG(a->mode) && a->size == 0 &&
            (o == OUTCOME_APPLIED || o == OUTCOME_PENDING) && run_backup_path(stamp, a->path, &ra->backup) < 0)
                return -ENOMEM;
        return 0;
}

/* What run_apply() collects while the plan runs. */
struct run_state {
        const struct plan *plan;
        enum run_outcome *outcome;
        char **msg;
        bool *was_active;
        char **dirs;            /* missing before the run, parents first */
        size_t n_dirs;
        plan_log_fn log;
        void *userdata;
        unsigned applied, failed;
        bool intent;            /* the record written before the first action */
        int journal_fd;         /* STAMP.log: one "INDEX OUTCOME" line after each action */
        int journal_err;        /* the first append that failed */
};

/* After each action, before the next: what became of it, on disk. */
static void journal_append(struct run_state *st, size_t i) {
        char line[64];
        int n = snprintf(line, sizeof(line), "%zu %s\n", i, run_outcome_to_string(st->outcome[i]));
        if (st->journal_fd < 0 || st->journal_err)
                return;
        ssize_t w = write(st->journal_fd, line, (size_t) n);
        if (w != n)
                st->journal_err = w < 0 ? -errno : -EIO;
        else if (fdatasync(st->journal_fd) < 0)
                st->journal_err = -errno;
}

static void run_log(void *userdata, const struct action *a, int r, const char *msg) {
        struct run_state *st = userdata;
        size_t i = (size_t) (a - plan_action(st->plan, 0));
        if (i < plan_size(st->plan)) {
                /* -ECANCELED: not run, an earlier action of its check failed. */
                st->outcome[i] = r == -ECANCELED ? OUTCOME_SKIPPED : r < 0 ? OUTCOME_FAILED :
                                 a->kind == ACTION_MANUAL ? OUTCOME_MANUAL :
                                 a->deferred ? OUTCOME_DEFERRED : OUTCOME_APPLIED;
                free(st->msg[i]);
                st->msg[i] = msg ? strdup(msg) : NULL;
                st->applied += st->outcome[i] == OUTCOME_APPLIED;
                st->failed += st->outcome[i] == OUTCOME_FAILED;
                journal_append(st, i);
        }
        if (st->log)
                st->log(st->userdata, a, r, msg);
}

/* The directories above each path the plan writes that do not exist yet. */
static int note_missing_dirs(struct run_state *st, struct host *h) {
        for (size_t i = 0; i < plan_size(st->plan); i++) {
                const struct action *a = plan_action(st->plan, i);
                if ((a->kind != ACTION_WRITE_FILE && a->kind != ACTION_SYMLINK && a->kind != ACTION_SWAPFILE &&
                     a->kind != ACTION_SUBVOLUME) || !a->path || a->deferred)
                        continue;
                _cleanup_free_ char *dir = strdup(a->path);
                if (!dir)
                        return -ENOMEM;
                for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
                        struct stat sb;
                        *s = '\0';
                        int r = host_stat(h, dir, &sb);
                        if (r == -ENOENT && strv_add(&st->dirs, &st->n_dirs, dir) < 0)
                                return -ENOMEM;
                        *s = '/';
                }
        }
        return 0;
}

static bool unit_is_active(struct host *h, const char *unit) {
        struct unit_state us;
        if (unit_state_get(h, unit, &us) < 0)
                return false;
        bool active = us.active_state && (strcmp(us.active_state, "active") == 0 ||
                                          strcmp(us.active_state, "activating") == 0 ||
                                          strcmp(us.active_state, "reloading") == 0);
        unit_state_clear(&us);
        return active;
}

/* A stamp no run and no backup directory has yet. */
static int make_stamp(struct host *h, char stamp[RUN_STAMP_MAX]) {
        time_t now = time(NULL);
        struct tm tm;
        char t[20];
        if (!gmtime_r(&now, &tm) || strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        for (int i = 0; i < 1000; i++) {
                char p1[128], p2[128], p3[128];
                struct stat sb;
                snprintf(stamp, RUN_STAMP_MAX, i ? "%s.%d" : "%s", t, i);
                snprintf(p1, sizeof(p1), RUNS_DIR "/%s.json", stamp);
                snprintf(p2, sizeof(p2), BACKUPS_DIR "/%s", stamp);
                snprintf(p3, sizeof(p3), RUNS_DIR "/%s.log", stamp);
                if (host_stat(h, p1, &sb) == -ENOENT && host_stat(h, p2, &sb) == -ENOENT &&
                    host_stat(h, p3, &sb) == -ENOENT)
                        return 0;
        }
        return -EEXIST;
}

static int record_build(struct run_state *st, struct host *h, const char *stamp, const char *undoes,
                        bool partial, struct run_record **ret) {
        _cleanup_(run_record_freep) struct run_record *rec = calloc(1, sizeof(*rec));
        size_t n_checks = 0, n_dirs = 0;
        if (!rec)
                return -ENOMEM;
        snprintf(rec->stamp, sizeof(rec->stamp), "%s", stamp);
        rec->kind = undoes ? RUN_UNDO : RUN_FIX;
        rec->partial = partial;
        snprintf(rec->undoes, sizeof(rec->undoes), "%s", undoes ? undoes : "");
        const char *user = getenv("SUDO_USER");
        rec->root = realpath(host_root(h), NULL);
        if (!rec->version && !(rec->version = strdup(HOSTFIT_VERSION)))
                return -ENOMEM;
        if (!rec->root && !(rec->root = strdup(host_root(h))))
                return -ENOMEM;
        if (user && *user && !(rec->user = strdup(user)))
                return -ENOMEM;
        rec->uid = (long long) getuid();
        if (!(rec->checks = calloc(1, sizeof(char *))) || !(rec->dirs = calloc(1, sizeof(char *))))
                return -ENOMEM;
        /* Before the run (every action pending) each directory it may make; after, those it made. */
        bool before = st->intent;
        for (size_t i = 0; i < st->n_dirs; i++) {
                struct stat sb;
                if ((before || (host_stat(h, st->dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode))) &&
                    strv_add(&rec->dirs, &n_dirs, st->dirs[i]) < 0)
                        return -ENOMEM;
        }
        size_t n = plan_size(st->plan);
        rec->actions = calloc(n ? n : 1, sizeof(*rec->actions));
        if (!rec->actions)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct action *a = plan_action(st->plan, i);
                struct run_action *ra = &rec->actions[rec->n_actions++];
                if (action_from_plan(a, st->outcome[i], st->msg[i], stamp, ra) < 0)
                        return -ENOMEM;
                ra->was_active = st->was_active[i];
                if (a->check && strv_add(&rec->checks, &n_checks, a->check) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(rec);
        return 0;
}

static int record_write(struct host *h, const struct run_record *rec, struct strbuf *msg) {
        _cleanup_free_ char *buf = NULL, *path = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        int r = run_record_to_json(rec, f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        if (asprintf(&path, RUNS_DIR "/%s.json", rec->stamp) < 0)
                return -ENOMEM;
        return apply_write_own_file(host_root_fd(h), path, buf, len, 0644, 0755, msg);
}

/* Build and write the record of the run as it stands. */
static int record_save(struct run_state *st, struct host *h, const char *stamp, const char *undoes, bool partial,
                       struct strbuf *msg) {
        _cleanup_(run_record_freep) struct run_record *rec = NULL;
        int r = record_build(st, h, stamp, undoes, partial, &rec);
        return r < 0 ? r : record_write(h, rec, msg);
}

/* The runs directory, made 0700 and checked as the reader will (root's, no one else may write). */
static int runs_dir_open(struct host *h, struct strbuf *msg) {
        int dfd = apply_open_dir(host_root_fd(h), RUNS_DIR, true, 0755, msg);
        if (dfd < 0)
                return dfd;
        struct stat sb;
        if (fstat(dfd, &sb) < 0 || sb.st_uid != geteuid() || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
                strbuf_addf(msg, "refusing %s: owned by another user or writable by others", RUNS_DIR);
                close(dfd);
                return -EPERM;
        }
        return dfd;
}

/* The journal of this run, STAMP.log: made new, appended after each action. */
static int journal_open(struct host *h, const char *stamp, struct strbuf *msg) {
        _cleanup_close_ int dfd = runs_dir_open(h, msg);
        char name[RUN_STAMP_MAX + 8];
        if (dfd < 0)
                return dfd;
        snprintf(name, sizeof(name), "%s.log", stamp);
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || fsync(dfd) < 0) {
                int r = -errno;
                strbuf_addf(msg, "cannot create %s/%s: %s", RUNS_DIR, name, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        return fd;
}

static void journal_remove(struct host *h, const char *stamp, const char *ext) {
        struct strbuf msg = STRBUF_INIT;
        int dfd = apply_open_dir(host_root_fd(h), RUNS_DIR, false, 0, &msg);
        strbuf_release(&msg);
        if (dfd < 0)
                return;
        char name[RUN_STAMP_MAX + 8];
        snprintf(name, sizeof(name), "%s%s", stamp, ext);
        (void) unlinkat(dfd, name, 0);
        (void) fsync(dfd);
        close(dfd);
}

void run_result_release(struct run_result *r) {
        strbuf_release(&r->warnings);
}

static void run_state_release(struct run_state *st) {
        for (size_t i = 0; st->msg && i < plan_size(st->plan); i++)
                free(st->msg[i]);
        free(st->msg);
        free(st->outcome);
        free(st->was_active);
        strv_free(st->dirs);
        if (st->journal_fd >= 0)
                close(st->journal_fd);
}

static void etckeeper_step(struct host *h, const char *message, bool only_if_unclean, struct run_result *res) {
        _cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
        int r = etckeeper_commit(h, message, only_if_unclean, &msg);
        if (r < 0)
                strbuf_addf(&res->warnings, "%s\n", strbuf_str(&msg));
}

/* Before the first change: the journal and the record with every action pending. */
static int run_begin(struct run_state *st, struct host *h, const char *undoes, struct run_result *ret) {
        _cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
        /* The record first: killed before the journal exists, its actions read as pending. */
        st->intent = true;
        int r = record_save(st, h, ret->stamp, undoes, ret->partial, &msg);
        st->intent = false;
        if (r >= 0 && (st->journal_fd = journal_open(h, ret->stamp, &msg)) < 0) {
                r = st->journal_fd;
                journal_remove(h, ret->stamp, ".json");
        }
        if (r < 0) {
                strbuf_addf(&ret->warnings, "cannot write the run record %s/%s.json: %s; nothing was changed\n",
                            RUNS_DIR, ret->stamp, msg.len ? strbuf_str(&msg) : strerror(-r));
                return -ENOTRECOVERABLE;
        }
        return 0;
}

/* After the last action: the final record, then the journal goes (or, when nothing changed, both). */
static int run_end(struct run_state *st, struct host *h, const char *undoes, struct run_result *ret) {
        _cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
        /* Not reached: a signal stopped the run between actions. */
        for (size_t i = 0; i < plan_size(st->plan); i++)
                if (st->outcome[i] == OUTCOME_PENDING)
                        st->outcome[i] = OUTCOME_SKIPPED;
        if (st->applied == 0 && !ret->always_record) {
                journal_remove(h, ret->stamp, ".json");
                journal_remove(h, ret->stamp, ".log");
                return 0;
        }
        /* The whole record again: it stands whatever became of the journal. */
        int r = record_save(st, h, ret->stamp, undoes, ret->partial, &msg);
        if (r < 0 && st->journal_err < 0)
                strbuf_addf(&msg, " (and appending to %s/%s.log failed: %s)", RUNS_DIR, ret->stamp,
                            strerror(-st->journal_err));
        if (r < 0) {
                /* The pending record stands (with what the journal holds): undo takes back what it finds. */
                strbuf_addf(&ret->warnings, "cannot write the run record %s/%s.json: %s; it lists every action of "
                            "the run as pending, and hostfit undo takes back what it finds of them\n",
                            RUNS_DIR, ret->stamp, msg.len ? strbuf_str(&msg) : strerror(-r));
                ret->journal_only = true;
                ret->recorded = true;
                return r;
        }
        ret->recorded = true;
        journal_remove(h, ret->stamp, ".log");
        return 0;
}

int run_apply(const struct plan *p, struct host *h, const char *undoes,
              plan_log_fn log, void *userdata, enum action_outcome *outcomes, struct run_result *ret) {
        struct run_state st = { .plan = p, .log = log, .userdata = userdata, .journal_fd = -1 };
        size_t n = plan_size(p);
        _cleanup_strbuf_ struct strbuf text = STRBUF_INIT;
        /* Only manual or deferred steps: nothing changes, nothing to record or commit. */
        if (plan_count_changes(p) == 0 && !ret->always_record)
                return plan_apply_outcomes(p, h, log, userdata, outcomes);
        int r = make_stamp(h, ret->stamp);
        if (r < 0)
                return r;
        st.outcome = calloc(n ? n : 1, sizeof(*st.outcome));
        st.msg = calloc(n ? n : 1, sizeof(*st.msg));
        st.was_active = calloc(n ? n : 1, sizeof(*st.was_active));
        if (!st.outcome || !st.msg || !st.was_active) {
                run_state_release(&st);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const struct action *a = plan_action(p, i);
                st.outcome[i] = OUTCOME_PENDING;
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_START && !a->deferred)
                        st.was_active[i] = unit_is_active(h, a->unit);
        }
        r = note_missing_dirs(&st, h);
        if (r >= 0)
                r = run_begin(&st, h, undoes, ret);
        if (r < 0) {
                run_state_release(&st);
                return r;
        }

        /* apt's way: what was uncommitted in /etc goes in a commit of its own first. */
        strbuf_addf(&text, undoes ? "hostfit: before undo %s" : "hostfit: before fix %s", ret->stamp);
        etckeeper_step(h, strbuf_str(&text), true, ret);

        plan_apply_run(ret->stamp, undoes);
        r = plan_apply_outcomes(p, h, run_log, &st, outcomes);
        plan_apply_run(NULL, NULL);
        ret->applied = st.applied;
        ret->failed = st.failed;

        int k = run_end(&st, h, undoes, ret);
        if (k < 0 && r >= 0)
                r = k;
        if (st.applied > 0) {
                strbuf_reset(&text);
                if (undoes)
                        strbuf_addf(&text, "hostfit undo %s: took back %s", ret->stamp, undoes);
                else {
                        strbuf_addf(&text, "hostfit fix %s:", ret->stamp);
                        char **checks = NULL;
                        size_t n_checks = 0;
                        for (size_t i = 0; i < n; i++) {
                                const char *c = plan_action(p, i)->check;
                                if (c && strv_add(&checks, &n_checks, c) > 0)
                                        strbuf_addf(&text, " %s", c);
                        }
                        strv_free(checks);
                }
                etckeeper_step(h, strbuf_str(&text), true, ret);
        }
        run_state_release(&st);
        return r;
}

/* ---- pruning ---- */

/* rm -r NAME in DFD, never following a symlink. */
static int remove_tree(int dfd, const char *name) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOTDIR || errno == ELOOP)
                        return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
                return errno == ENOENT ? 0 : -errno;
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(d)); ) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int k = remove_tree(dirfd(d), de->d_name);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

static int prune_dir(struct host *h, const char *dir, const char *suffix, long long cutoff,
                     struct strbuf *removed, struct strbuf *msg, unsigned *n) {
        _cleanup_close_ int dfd = apply_open_dir(host_root_fd(h), dir, false, 0, msg);
        if (dfd == -ENOENT) {
                strbuf_reset(msg);
                return 0;
        }
        if (dfd < 0)
                return dfd;
        int fd = dup(dfd);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; r == 0 && (de = readdir(d)); ) {
                char stamp[RUN_STAMP_MAX];
                size_t l = strlen(de->d_name), sl = strlen(suffix);
                if (l <= sl || l - sl >= sizeof(stamp) || strcmp(de->d_name + l - sl, suffix) != 0)
                        continue;
                memcpy(stamp, de->d_name, l - sl);
                stamp[l - sl] = '\0';
                long long t = run_stamp_time(stamp);
                if (t < 0 || t > cutoff)
                        continue;
                r = remove_tree(dfd, de->d_name);
                if (r < 0)
                        strbuf_addf(msg, "cannot remove %s/%s: %s", dir, de->d_name, strerror(-r));
                else {
                        strbuf_addf(removed, "%s/%s\n", dir, de->d_name);
                        (*n)++;
                }
        }
        closedir(d);
        if (r == 0 && fsync(dfd) < 0)
                r = -errno;
        return r;
}

int run_records_prune(struct host *h, unsigned days, struct strbuf *removed, struct strbuf *msg) {
        long long cutoff = (long long) time(NULL) - (long long) days * 86400;
        unsigned n = 0;
        int r = prune_dir(h, RUNS_DIR, ".json", cutoff, removed, msg, &n);
        unsigned logs = 0;
        if (r >= 0)
                r = prune_dir(h, RUNS_DIR, ".log", cutoff, removed, msg, &logs);
        if (r >= 0)
                r = prune_dir(h, BACKUPS_DIR, "", cutoff, removed, msg, &n);
        return r < 0 ? r : (int) n;
}
