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
#include "records/runrecord.h"
#include "text/strv.h"

static void run_action_clear(struct run_action *a) {
        free(a->check);
        free(a->path);
        free(a->message);
        free(a->backup);
        free(a->target);
        free(a->unit);
        free(a->comm);
        free(a->appended);
        strv_free(a->properties);
}

struct run_record *run_record_free(struct run_record *r) {
        if (!r)
                return NULL;
        free(r->version);
        free(r->root);
        free(r->user);
        strv_free(r->checks);
        strv_free(r->dirs);
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


static const char *const outcome_names[_OUTCOME_MAX] = {
        [OUTCOME_APPLIED] = "applied", [OUTCOME_FAILED] = "failed", [OUTCOME_SKIPPED] = "skipped",
        [OUTCOME_DEFERRED] = "deferred", [OUTCOME_MANUAL] = "manual", [OUTCOME_PENDING] = "pending",
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
                bool complete = !u->partial;
                for (size_t j = 0; j < u->n_actions; j++)
                        complete = complete && u->actions[j].outcome != OUTCOME_FAILED &&
                                   u->actions[j].outcome != OUTCOME_SKIPPED &&
                                   u->actions[j].outcome != OUTCOME_PENDING;
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
                if (a->appended)
                        json_kv_str(j, "appended", a->appended);
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
        if (r->kind == RUN_UNDO) {
                json_key(&j, "partial");
                json_bool(&j, r->partial);
        }
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
