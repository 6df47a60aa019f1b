/* Run records: making them from an applied plan, reading them back, pruning.
 * This is apply-side code: the record and the removal of old ones are the
 * only writes here, made through apply's helpers under the root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply-internal.h"
#include "cleanup.h"
#include "escape.h"
#include "etckeeper.h"
#include "host.h"
#include "json-read.h"
#include "runrecord.h"
#include "sha256.h"
#include "unitstate.h"

#define RECORD_MAX (16u << 20)

static void strv_free_(char **v) {
        for (char **s = v; s && *s; s++)
                free(*s);
        free(v);
}

static void run_action_clear(struct run_action *a) {
        free(a->check);
        free(a->path);
        free(a->message);
        free(a->backup);
        free(a->target);
        free(a->unit);
        free(a->comm);
        strv_free_(a->properties);
}

struct run_record *run_record_free(struct run_record *r) {
        if (!r)
                return NULL;
        free(r->version);
        free(r->root);
        free(r->user);
        strv_free_(r->checks);
        strv_free_(r->dirs);
        for (size_t i = 0; i < r->n_actions; i++)
                run_action_clear(&r->actions[i]);
        free(r->actions);
        free(r);
        return NULL;
}

void run_records_free(struct run_record **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                run_record_free(v[i]);
        free(v);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct run_record *, run_record_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct jv *, jv_free);

static const char *const outcome_names[_OUTCOME_MAX] = {
        [OUTCOME_APPLIED] = "applied", [OUTCOME_FAILED] = "failed", [OUTCOME_SKIPPED] = "skipped",
        [OUTCOME_DEFERRED] = "deferred", [OUTCOME_MANUAL] = "manual",
};

const char *run_outcome_to_string(enum run_outcome o) {
        return o < _OUTCOME_MAX ? outcome_names[o] : "?";
}

/* "YYYYmmddTHHMMSSZ", then optionally ".N". */
bool run_stamp_is_valid(const char *s) {
        static const char shape[] = "ddddddddTddddddZ";
        size_t n = strlen(shape);
        if (!s || strlen(s) < n || strlen(s) >= RUN_STAMP_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
                        return false;
        if (!s[n])
                return true;
        if (s[n] != '.' || !s[n + 1])
                return false;
        return strspn(s + n + 1, "0123456789") == strlen(s + n + 1);
}

long long run_stamp_time(const char *s) {
        struct tm tm = { 0 };
        if (!run_stamp_is_valid(s) || !strptime(s, "%Y%m%dT%H%M%SZ", &tm))
                return -1;
        return (long long) timegm(&tm);
}

/* ---- reading ---- */

static int strv_from_jv(const struct jv *v, char ***ret) {
        size_t n = v && v->type == JV_ARRAY ? v->len : 0;
        char **s = calloc(n + 1, sizeof(char *));
        if (!s)
                return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (v->items[i].type == JV_STRING && !(s[k++] = strdup(v->items[i].s))) {
                        strv_free_(s);
                        return -ENOMEM;
                }
        *ret = s;
        return 0;
}

static int dup_str(const struct jv *o, const char *key, char **ret) {
        const char *s = jv_get_str(o, key);
        *ret = NULL;
        return s && !(*ret = strdup(s)) ? -ENOMEM : 0;
}

static int kind_from_string(const char *s, enum action_kind *ret) {
        for (int k = 0; s && k < _ACTION_MAX; k++)
                if (strcmp(action_kind_to_string((enum action_kind) k), s) == 0) {
                        *ret = (enum action_kind) k;
                        return 0;
                }
        return -EBADMSG;
}

static void hex_from(const struct jv *o, const char *key, char out[65]) {
        const char *s = jv_get_str(o, key);
        snprintf(out, 65, "%s", s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64 ? s : "");
}

static int action_from_jv(const struct jv *o, struct run_action *a) {
        if (!o || o->type != JV_OBJECT || kind_from_string(jv_get_str(o, "kind"), &a->kind) < 0)
                return -EBADMSG;
        const char *out = jv_get_str(o, "outcome");
        a->outcome = _OUTCOME_MAX;
        for (int i = 0; out && i < _OUTCOME_MAX; i++)
                if (strcmp(outcome_names[i], out) == 0)
                        a->outcome = (enum run_outcome) i;
        if (a->outcome == _OUTCOME_MAX)
                return -EBADMSG;
        int r = 0;
        if (dup_str(o, "check", &a->check) < 0 || dup_str(o, "path", &a->path) < 0 ||
            dup_str(o, "message", &a->message) < 0 || dup_str(o, "backup", &a->backup) < 0 ||
            dup_str(o, "target", &a->target) < 0 || dup_str(o, "unit", &a->unit) < 0 ||
            dup_str(o, "comm", &a->comm) < 0)
                r = -ENOMEM;
        if (r == 0 && jv_get(o, "properties") && strv_from_jv(jv_get(o, "properties"), &a->properties) < 0)
                r = -ENOMEM;
        const char *file = jv_get_str(o, "file");
        a->created = file && strcmp(file, "created") == 0;
        hex_from(o, "sha256", a->sha256);
        hex_from(o, "old_sha256", a->old_sha256);
        a->mode = (mode_t) jv_get_int(o, "mode", 0644);
        a->uid = (uid_t) jv_get_int(o, "uid", 0);
        a->gid = (gid_t) jv_get_int(o, "gid", 0);
        long long size = jv_get_int(o, "size", 0);
        a->size = size > 0 ? (uint64_t) size : 0;
        const char *op = jv_get_str(o, "op");
        a->op = _SYSTEMD_OP_MAX;
        for (int i = 0; op && i < _SYSTEMD_OP_MAX; i++)
                if (strcmp(systemd_op_to_string((enum systemd_op) i), op) == 0)
                        a->op = (enum systemd_op) i;
        a->was_active = jv_get_bool(o, "was_active", true);
        a->pid = (pid_t) jv_get_int(o, "pid", 0);
        a->from = (int) jv_get_int(o, "from", 0);
        a->to = (int) jv_get_int(o, "to", 0);
        /* What undo relies on must be there and sane. */
        if (r == 0 && (a->kind == ACTION_WRITE_FILE || a->kind == ACTION_SYMLINK || a->kind == ACTION_SWAPFILE ||
                       a->kind == ACTION_SWAPON || a->kind == ACTION_REMOVE || a->kind == ACTION_SWAPOFF) &&
            (!a->path || a->path[0] != '/'))
                r = -EBADMSG;
        if (r == 0 && a->kind == ACTION_WRITE_FILE && a->outcome == OUTCOME_APPLIED &&
            (!a->sha256[0] || (!a->created && (!a->backup || !a->old_sha256[0]))))
                r = -EBADMSG;
        if (r == 0 && a->kind == ACTION_SYSTEMD && a->op == _SYSTEMD_OP_MAX)
                r = -EBADMSG;
        return r;
}

static int record_from_jv(const struct jv *v, const char *stamp, struct run_record **ret) {
        _cleanup_(run_record_freep) struct run_record *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        if (!v || v->type != JV_OBJECT || jv_get_int(v, "version", 0) != 1)
                return -EBADMSG;
        const char *s = jv_get_str(v, "stamp");
        if (!s || strcmp(s, stamp) != 0)
                return -EBADMSG;
        snprintf(r->stamp, sizeof(r->stamp), "%s", s);
        const char *kind = jv_get_str(v, "kind");
        if (!kind || (strcmp(kind, "fix") != 0 && strcmp(kind, "undo") != 0))
                return -EBADMSG;
        r->kind = strcmp(kind, "undo") == 0 ? RUN_UNDO : RUN_FIX;
        const char *undoes = jv_get_str(v, "undoes");
        if (r->kind == RUN_UNDO && !run_stamp_is_valid(undoes))
                return -EBADMSG;
        snprintf(r->undoes, sizeof(r->undoes), "%s", r->kind == RUN_UNDO ? undoes : "");
        if (dup_str(v, "hostfit", &r->version) < 0 || dup_str(v, "root", &r->root) < 0 ||
            dup_str(v, "user", &r->user) < 0)
                return -ENOMEM;
        r->uid = jv_get_int(v, "uid", -1);
        int k = strv_from_jv(jv_get(v, "checks"), &r->checks);
        if (k < 0)
                return k;
        if ((k = strv_from_jv(jv_get(v, "dirs"), &r->dirs)) < 0)
                return k;
        for (char **d = r->dirs; *d; d++)
                if ((*d)[0] != '/')
                        return -EBADMSG;
        const struct jv *acts = jv_get(v, "actions");
        if (!acts || acts->type != JV_ARRAY)
                return -EBADMSG;
        r->actions = calloc(acts->len ? acts->len : 1, sizeof(*r->actions));
        if (!r->actions)
                return -ENOMEM;
        for (size_t i = 0; i < acts->len; i++) {
                r->n_actions++;
                k = action_from_jv(&acts->items[i], &r->actions[i]);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

int run_record_load(struct host *h, const char *stamp, struct run_record **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_(jv_freep) struct jv *v = NULL;
        size_t len;
        if (!run_stamp_is_valid(stamp))
                return -EINVAL;
        if (asprintf(&path, RUNS_DIR "/%s.json", stamp) < 0)
                return -ENOMEM;
        int r = host_read_file(h, path, RECORD_MAX, &text, &len);
        if (r < 0)
                return r;
        r = jv_parse(text, len, &v);
        if (r < 0)
                return r;
        return record_from_jv(v, stamp, ret);
}

static int cmp_record(const void *a, const void *b) {
        const struct run_record *x = *(struct run_record *const *) a, *y = *(struct run_record *const *) b;
        long long tx = run_stamp_time(x->stamp), ty = run_stamp_time(y->stamp);
        if (tx != ty)
                return tx < ty ? -1 : 1;
        /* The same second: "S" < "S.1" < "S.2" < "S.10". */
        const char *dx = strchr(x->stamp, '.'), *dy = strchr(y->stamp, '.');
        long nx = dx ? strtol(dx + 1, NULL, 10) : 0, ny = dy ? strtol(dy + 1, NULL, 10) : 0;
        return nx < ny ? -1 : nx > ny;
}

int run_records_list(struct host *h, struct run_record ***ret, size_t *ret_n, size_t *ret_bad) {
        struct run_record **v = NULL;
        size_t n = 0, bad = 0;
        int fd = host_open_file(h, RUNS_DIR, O_RDONLY | O_DIRECTORY);
        if (fd == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                *ret_bad = 0;
                return 0;
        }
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; r == 0 && (de = readdir(d)); ) {
                size_t l = strlen(de->d_name);
                char stamp[RUN_STAMP_MAX];
                if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 || l - 5 >= sizeof(stamp))
                        continue;
                memcpy(stamp, de->d_name, l - 5);
                stamp[l - 5] = '\0';
                if (!run_stamp_is_valid(stamp))
                        continue;
                struct run_record *rec;
                int k = run_record_load(h, stamp, &rec);
                if (k == -ENOMEM)
                        r = k;
                else if (k < 0)
                        bad++;
                else {
                        struct run_record **nv = reallocarray(v, n + 1, sizeof(*nv));
                        if (!nv) {
                                run_record_free(rec);
                                r = -ENOMEM;
                        } else {
                                v = nv;
                                v[n++] = rec;
                        }
                }
        }
        closedir(d);
        if (r < 0) {
                run_records_free(v, n);
                return r;
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_record);
        *ret = v;
        *ret_n = n;
        *ret_bad = bad;
        return 0;
}

const struct run_record *run_records_undone_by(struct run_record *const *v, size_t n, const char *stamp) {
        for (size_t i = n; i > 0; i--) {
                const struct run_record *u = v[i - 1];
                if (u->kind != RUN_UNDO || strcmp(u->undoes, stamp) != 0)
                        continue;
                bool complete = true;
                for (size_t j = 0; j < u->n_actions; j++)
                        complete = complete && u->actions[j].outcome != OUTCOME_FAILED &&
                                   u->actions[j].outcome != OUTCOME_SKIPPED;
                if (complete)
                        return u;
        }
        return NULL;
}

/* ---- writing ---- */

static void json_kv_str(struct json *j, const char *k, const char *v) {
        json_key(j, k);
        json_string(j, v);
}

static void json_kv_int(struct json *j, const char *k, long long v) {
        json_key(j, k);
        json_int(j, v);
}

static void action_to_json(struct json *j, const struct run_action *a) {
        json_object_begin(j);
        json_kv_str(j, "check", a->check);
        json_kv_str(j, "kind", action_kind_to_string(a->kind));
        json_kv_str(j, "outcome", run_outcome_to_string(a->outcome));
        json_kv_str(j, "path", a->path);
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                json_kv_str(j, "file", a->created ? "created" : "replaced");
                json_kv_str(j, "backup", a->backup);
                json_kv_str(j, "sha256", a->sha256[0] ? a->sha256 : NULL);
                json_kv_str(j, "old_sha256", a->old_sha256[0] ? a->old_sha256 : NULL);
                json_kv_int(j, "mode", a->mode & 07777);
                json_kv_int(j, "uid", a->uid);
                json_kv_int(j, "gid", a->gid);
                break;
        case ACTION_SYMLINK:
                json_kv_str(j, "target", a->target);
                break;
        case ACTION_SWAPFILE:
                json_kv_int(j, "size", (long long) a->size);
                json_kv_int(j, "mode", a->mode & 07777);
                break;
        case ACTION_REMOVE:
                json_kv_str(j, "target", a->target);
                json_kv_str(j, "backup", a->backup);
                break;
        case ACTION_SYSTEMD:
                json_kv_str(j, "op", systemd_op_to_string(a->op));
                json_kv_str(j, "unit", a->unit);
                if (a->op == SYSTEMD_START) {
                        json_key(j, "was_active");
                        json_bool(j, a->was_active);
                }
                if (a->op == SYSTEMD_SET_PROPERTY) {
                        json_key(j, "properties");
                        json_array_begin(j);
                        for (char **p = a->properties; p && *p; p++)
                                json_string(j, *p);
                        json_array_end(j);
                }
                break;
        case ACTION_OOM_SCORE_ADJ:
                json_kv_int(j, "pid", a->pid);
                json_kv_str(j, "comm", a->comm);
                json_kv_int(j, "from", a->from);
                json_kv_int(j, "to", a->to);
                break;
        default:
                break;
        }
        json_kv_str(j, "message", a->message);
        json_object_end(j);
}

int run_record_to_json(const struct run_record *r, FILE *f) {
        struct json j;
        json_init(&j, f);
        json_object_begin(&j);
        json_kv_int(&j, "version", 1);
        json_kv_str(&j, "stamp", r->stamp);
        json_kv_str(&j, "kind", r->kind == RUN_UNDO ? "undo" : "fix");
        json_kv_str(&j, "undoes", r->kind == RUN_UNDO ? r->undoes : NULL);
        json_kv_str(&j, "hostfit", r->version);
        json_kv_str(&j, "root", r->root);
        json_kv_str(&j, "user", r->user);
        json_kv_int(&j, "uid", r->uid);
        json_key(&j, "checks");
        json_array_begin(&j);
        for (char **c = r->checks; c && *c; c++)
                json_string(&j, *c);
        json_array_end(&j);
        json_key(&j, "dirs");
        json_array_begin(&j);
        for (char **d = r->dirs; d && *d; d++)
                json_string(&j, *d);
        json_array_end(&j);
        json_key(&j, "actions");
        json_array_begin(&j);
        for (size_t i = 0; i < r->n_actions; i++)
                action_to_json(&j, &r->actions[i]);
        json_array_end(&j);
        json_object_end(&j);
        return json_end(&j);
}

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
                        if (o == OUTCOME_APPLIED && asprintf(&ra->backup, BACKUPS_DIR "/%s%s", stamp, a->path) < 0)
                                return -ENOMEM;
                }
        }
        if (a->kind == ACTION_REMOVE && S_ISREG(a->mode) && a->size == 0 && o == OUTCOME_APPLIED &&
            asprintf(&ra->backup, BACKUPS_DIR "/%s%s", stamp, a->path) < 0)
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
};

static void run_log(void *userdata, const struct action *a, int r, const char *msg) {
        struct run_state *st = userdata;
        size_t i = (size_t) (a - plan_action(st->plan, 0));
        if (i < plan_size(st->plan)) {
                st->outcome[i] = r < 0 ? OUTCOME_FAILED : a->kind == ACTION_MANUAL ? OUTCOME_MANUAL :
                                 a->deferred ? OUTCOME_DEFERRED : OUTCOME_APPLIED;
                free(st->msg[i]);
                st->msg[i] = msg ? strdup(msg) : NULL;
                st->applied += st->outcome[i] == OUTCOME_APPLIED;
                st->failed += r < 0;
        }
        if (st->log)
                st->log(st->userdata, a, r, msg);
}

/* The directories above each path the plan writes that do not exist yet. */
static int note_missing_dirs(struct run_state *st, struct host *h) {
        for (size_t i = 0; i < plan_size(st->plan); i++) {
                const struct action *a = plan_action(st->plan, i);
                if ((a->kind != ACTION_WRITE_FILE && a->kind != ACTION_SYMLINK && a->kind != ACTION_SWAPFILE) ||
                    !a->path || a->deferred)
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
                char p1[128], p2[128];
                struct stat sb;
                snprintf(stamp, RUN_STAMP_MAX, i ? "%s.%d" : "%s", t, i);
                snprintf(p1, sizeof(p1), RUNS_DIR "/%s.json", stamp);
                snprintf(p2, sizeof(p2), BACKUPS_DIR "/%s", stamp);
                if (host_stat(h, p1, &sb) == -ENOENT && host_stat(h, p2, &sb) == -ENOENT)
                        return 0;
        }
        return -EEXIST;
}

static int record_build(struct run_state *st, struct host *h, const char *stamp, const char *undoes,
                        struct run_record **ret) {
        _cleanup_(run_record_freep) struct run_record *rec = calloc(1, sizeof(*rec));
        size_t n_checks = 0, n_dirs = 0;
        if (!rec)
                return -ENOMEM;
        snprintf(rec->stamp, sizeof(rec->stamp), "%s", stamp);
        rec->kind = undoes ? RUN_UNDO : RUN_FIX;
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
        for (size_t i = 0; i < st->n_dirs; i++) {
                struct stat sb;
                if (host_stat(h, st->dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
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

void run_result_release(struct run_result *r) {
        strbuf_release(&r->warnings);
}

static void run_state_release(struct run_state *st) {
        for (size_t i = 0; st->msg && i < plan_size(st->plan); i++)
                free(st->msg[i]);
        free(st->msg);
        free(st->outcome);
        free(st->was_active);
        strv_free_(st->dirs);
}

static void etckeeper_step(struct host *h, const char *message, bool only_if_unclean, struct run_result *res) {
        _cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
        int r = etckeeper_commit(h, message, only_if_unclean, &msg);
        if (r < 0)
                strbuf_addf(&res->warnings, "%s\n", strbuf_str(&msg));
}

int run_apply(const struct plan *p, struct host *h, const char *undoes,
              plan_log_fn log, void *userdata, struct run_result *ret) {
        struct run_state st = { .plan = p, .log = log, .userdata = userdata };
        size_t n = plan_size(p);
        _cleanup_strbuf_ struct strbuf msg = STRBUF_INIT;
        _cleanup_strbuf_ struct strbuf text = STRBUF_INIT;
        /* Only manual or deferred steps: nothing changes, nothing to record or commit. */
        if (plan_count_changes(p) == 0)
                return plan_apply(p, h, log, userdata);
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
                st.outcome[i] = OUTCOME_SKIPPED;
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_START && !a->deferred)
                        st.was_active[i] = unit_is_active(h, a->unit);
        }
        r = note_missing_dirs(&st, h);
        if (r < 0) {
                run_state_release(&st);
                return r;
        }

        /* apt's way: what was uncommitted in /etc goes in a commit of its own first. */
        strbuf_addf(&text, undoes ? "hostfit: before undo %s" : "hostfit: before fix %s", ret->stamp);
        etckeeper_step(h, strbuf_str(&text), true, ret);

        plan_apply_run(ret->stamp, undoes);
        r = plan_apply(p, h, run_log, &st);
        plan_apply_run(NULL, NULL);
        ret->applied = st.applied;
        ret->failed = st.failed;

        if (st.applied > 0) {
                _cleanup_(run_record_freep) struct run_record *rec = NULL;
                int k = record_build(&st, h, ret->stamp, undoes, &rec);
                if (k >= 0)
                        k = record_write(h, rec, &msg);
                if (k < 0) {
                        strbuf_addf(&ret->warnings, "cannot write the run record %s/%s.json: %s\n",
                                    RUNS_DIR, ret->stamp, msg.len ? strbuf_str(&msg) : strerror(-k));
                        if (r >= 0)
                                r = k;
                } else
                        ret->recorded = true;
                strbuf_reset(&text);
                if (undoes)
                        strbuf_addf(&text, "hostfit undo %s: took back %s", ret->stamp, undoes);
                else {
                        strbuf_addf(&text, "hostfit fix %s:", ret->stamp);
                        for (char **c = rec ? rec->checks : NULL; c && *c; c++)
                                strbuf_addf(&text, " %s", *c);
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
        if (r >= 0)
                r = prune_dir(h, BACKUPS_DIR, "", cutoff, removed, msg, &n);
        return r < 0 ? r : (int) n;
}
