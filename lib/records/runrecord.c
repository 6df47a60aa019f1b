/* SPDX-License-Identifier: MIT */
/* Run records: the model, reading them back, and their JSON. Making them
 * (apply side: it writes) is in apply-run.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "text/escape.h"
#include "host/host.h"
#include "text/json-read.h"
#include "records/runrecord.h"

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
