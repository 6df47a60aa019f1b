/* SPDX-License-Identifier: MIT */
/* Run records read back: the JSON by json-c, the trust in who wrote them, the
 * log of a run that was interrupted, and the backups a run kept. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "host/resolve.h"
#include "records/runrecord.h"
#include "text/strbuf.h"
#include "text/strv.h"

#define RECORD_MAX (16u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct run_record *, run_record_free);

/* ---- reading: json-c, with the trust and the log of an interrupted run ---- */

static int hex_digit(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* hostfit's JSON writer (escape.h) writes valid UTF-8 as it is and a byte that is not UTF-8 as
 * "\u00NN" (NN from 80), which json-c would read as the code point U+00NN, two other bytes.
 * Each such escape is turned back into its byte before parsing, so every string of a record,
 * a path included, reads back as the bytes written. Returns the new length (TEXT shrinks). */
static size_t unescape_bytes(char *text, size_t len) {
        size_t o = 0;
        for (size_t i = 0; i < len; ) {
                if (text[i] != '\\' || i + 1 >= len) {
                        text[o++] = text[i++];
                        continue;
                }
                int hi = i + 5 < len && text[i + 1] == 'u' && text[i + 2] == '0' && text[i + 3] == '0' ?
                         hex_digit(text[i + 4]) : -1, lo = hi >= 8 ? hex_digit(text[i + 5]) : -1;
                if (lo >= 0) {
                        text[o++] = (char) (hi << 4 | lo);
                        i += 6;
                } else {
                        text[o++] = text[i++];  /* the backslash and the character it escapes */
                        text[o++] = text[i++];
                }
        }
        return o;
}

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

/* The string KEY of O, NULL when missing or not a string. */
static const char *get_str(struct json_object *o, const char *key) {
        struct json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static long long get_int(struct json_object *o, const char *key, long long def) {
        struct json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_int) ? (long long) json_object_get_int64(v) : def;
}

static bool get_bool(struct json_object *o, const char *key, bool def) {
        struct json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

/* A string undo acts on (a path, a unit): whole (no NUL). */
static int dup_exact(struct json_object *o, const char *key, char **ret) {
        struct json_object *v = get(o, key);
        *ret = NULL;
        if (!v || !json_object_is_type(v, json_type_string))
                return 0;
        const char *s = json_object_get_string(v);
        size_t len = (size_t) json_object_get_string_len(v);
        if (strlen(s) != len)
                return -EBADMSG;
        return (*ret = strdup(s)) ? 0 : -ENOMEM;
}

static int dup_str(struct json_object *o, const char *key, char **ret) {
        const char *s = get_str(o, key);
        *ret = NULL;
        return s && !(*ret = strdup(s)) ? -ENOMEM : 0;
}

static int strv_from_json(struct json_object *v, char ***ret) {
        size_t n = v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        char **s = calloc(n + 1, sizeof(char *));
        if (!s)
                return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                struct json_object *item = json_object_array_get_idx(v, i);
                if (!json_object_is_type(item, json_type_string))
                        continue;
                const char *str = json_object_get_string(item);
                bool bad = strlen(str) != (size_t) json_object_get_string_len(item);
                if (bad || !(s[k++] = strdup(str))) {
                        strv_free(s);
                        return bad ? -EBADMSG : -ENOMEM;
                }
        }
        *ret = s;
        return 0;
}

static int kind_from_string(const char *s, enum action_kind *ret) {
        for (int k = 0; s && k < _ACTION_MAX; k++)
                if (strcmp(action_kind_to_string((enum action_kind) k), s) == 0) {
                        *ret = (enum action_kind) k;
                        return 0;
                }
        return -EBADMSG;
}

static enum run_outcome outcome_from_string(const char *s) {
        for (int i = 0; s && i < _OUTCOME_MAX; i++)
                if (strcmp(run_outcome_to_string((enum run_outcome) i), s) == 0)
                        return (enum run_outcome) i;
        return _OUTCOME_MAX;
}

static void hex_from(struct json_object *o, const char *key, char out[65]) {
        const char *s = get_str(o, key);
        snprintf(out, 65, "%s", s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64 ? s : "");
}

int run_backup_path(const char *stamp, const char *path, char **ret) {
        return asprintf(ret, BACKUPS_DIR "/%s%s", stamp, path) < 0 ? -ENOMEM : 0;
}

/* Absolute, with no "." or ".." component (a last one included: "/etc/x/.." is /etc). */
static bool path_ok(const char *p) {
        size_t n = p ? strlen(p) : 0;
        return n && p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") &&
               !(n >= 3 && strcmp(p + n - 3, "/..") == 0) && !(n >= 2 && strcmp(p + n - 2, "/.") == 0);
}

/* What undo relies on must be there and sane; a backup only where this run keeps its own. */
static int action_check(const struct run_action *a, const char *stamp) {
        bool maybe = a->outcome == OUTCOME_APPLIED || a->outcome == OUTCOME_PENDING;
        if ((a->kind == ACTION_WRITE_FILE || a->kind == ACTION_SYMLINK || a->kind == ACTION_SWAPFILE ||
             a->kind == ACTION_SWAPON || a->kind == ACTION_REMOVE || a->kind == ACTION_SWAPOFF ||
             a->kind == ACTION_SUBVOLUME) && !path_ok(a->path))
                return -EBADMSG;
        if (a->kind == ACTION_WRITE_FILE && maybe &&
            (!a->sha256[0] || (!a->created && (!a->backup || !a->old_sha256[0]))))
                return -EBADMSG;
        if (a->backup) {
                _cleanup_free_ char *own = NULL;
                if (run_backup_path(stamp, a->path, &own) < 0)
                        return -ENOMEM;
                if (strcmp(own, a->backup) != 0)
                        return -EBADMSG;
        }
        if (a->kind == ACTION_SYSTEMD && a->op == _SYSTEMD_OP_MAX)
                return -EBADMSG;
        return 0;
}

static int action_from_json(struct json_object *o, const char *stamp, struct run_action *a) {
        if (!o || !json_object_is_type(o, json_type_object) || kind_from_string(get_str(o, "kind"), &a->kind) < 0)
                return -EBADMSG;
        if ((a->outcome = outcome_from_string(get_str(o, "outcome"))) == _OUTCOME_MAX)
                return -EBADMSG;
        int r;
        if ((r = dup_exact(o, "path", &a->path)) < 0 || (r = dup_exact(o, "backup", &a->backup)) < 0 ||
            (r = dup_exact(o, "target", &a->target)) < 0 || (r = dup_exact(o, "unit", &a->unit)) < 0 ||
            (r = dup_exact(o, "appended", &a->appended)) < 0)
                return r;
        if (dup_str(o, "check", &a->check) < 0 || dup_str(o, "message", &a->message) < 0 ||
            dup_str(o, "comm", &a->comm) < 0)
                return -ENOMEM;
        if (get(o, "properties") && (r = strv_from_json(get(o, "properties"), &a->properties)) < 0)
                return r;
        const char *file = get_str(o, "file");
        a->created = file && strcmp(file, "created") == 0;
        hex_from(o, "sha256", a->sha256);
        hex_from(o, "old_sha256", a->old_sha256);
        a->mode = (mode_t) get_int(o, "mode", 0644);
        a->uid = (uid_t) get_int(o, "uid", 0);
        a->gid = (gid_t) get_int(o, "gid", 0);
        long long size = get_int(o, "size", 0);
        a->size = size > 0 ? (uint64_t) size : 0;
        const char *op = get_str(o, "op");
        a->op = _SYSTEMD_OP_MAX;
        for (int i = 0; op && i < _SYSTEMD_OP_MAX; i++)
                if (strcmp(systemd_op_to_string((enum systemd_op) i), op) == 0)
                        a->op = (enum systemd_op) i;
        a->was_active = get_bool(o, "was_active", true);
        a->pid = (pid_t) get_int(o, "pid", 0);
        a->from = (int) get_int(o, "from", 0);
        a->to = (int) get_int(o, "to", 0);
        return action_check(a, stamp);
}

static int record_from_json(struct json_object *v, const char *stamp, struct run_record **ret) {
        _cleanup_(run_record_freep) struct run_record *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        if (!v || !json_object_is_type(v, json_type_object) || get_int(v, "version", 0) != 1)
                return -EBADMSG;
        const char *s = get_str(v, "stamp");
        if (!s || strcmp(s, stamp) != 0)
                return -EBADMSG;
        snprintf(r->stamp, sizeof(r->stamp), "%s", s);
        const char *kind = get_str(v, "kind");
        if (!kind || (strcmp(kind, "fix") != 0 && strcmp(kind, "undo") != 0))
                return -EBADMSG;
        r->kind = strcmp(kind, "undo") == 0 ? RUN_UNDO : RUN_FIX;
        const char *undoes = get_str(v, "undoes");
        if (r->kind == RUN_UNDO && !run_stamp_is_valid(undoes))
                return -EBADMSG;
        snprintf(r->undoes, sizeof(r->undoes), "%s", r->kind == RUN_UNDO ? undoes : "");
        if (dup_str(v, "hostfit", &r->version) < 0 || dup_str(v, "root", &r->root) < 0 ||
            dup_str(v, "user", &r->user) < 0)
                return -ENOMEM;
        r->uid = get_int(v, "uid", -1);
        r->partial = get_bool(v, "partial", false);
        int k = strv_from_json(get(v, "checks"), &r->checks);
        if (k < 0)
                return k;
        if ((k = strv_from_json(get(v, "dirs"), &r->dirs)) < 0)
                return k;
        for (char **d = r->dirs; *d; d++)
                if ((*d)[0] != '/' || strstr(*d, "/.."))
                        return -EBADMSG;
        struct json_object *acts = get(v, "actions");
        if (!acts || !json_object_is_type(acts, json_type_array))
                return -EBADMSG;
        size_t n = json_object_array_length(acts);
        r->actions = calloc(n ? n : 1, sizeof(*r->actions));
        if (!r->actions)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r->n_actions++;
                k = action_from_json(json_object_array_get_idx(acts, i), stamp, &r->actions[i]);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

/* PATH (absolute in the root) with no symlink on the way. */
static int open_no_symlinks(struct host *h, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        int fd = resolve_openat2(host_root_fd(h), *path ? path : ".", &how);
        return fd == -EXDEV ? -ELOOP : fd;
}

/* Owned by root (the user hostfit runs as), writable by nobody else. */
static int fd_trusted(int fd, bool dir) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return 0;
}

/* Each directory from FIRST (included) down to DIR (e.g. "/var/lib/hostfit" to RUNS_DIR). */
static int dirs_trusted(struct host *h, const char *first, const char *dir) {
        _cleanup_free_ char *copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        for (char *s = copy + strlen(first); ; s = strchr(s + 1, '/')) {
                char c = s ? *s : '\0';
                if (s)
                        *s = '\0';
                _cleanup_close_ int fd = open_no_symlinks(h, copy, O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        return fd;
                int r = fd_trusted(fd, true);
                if (r < 0)
                        return r;
                if (!s)
                        return 0;
                *s = c;
        }
}

/* The trusted regular file PATH, at most MAX bytes. */
static int read_trusted(struct host *h, const char *path, size_t max, char **ret, size_t *ret_len,
                        struct stat *ret_st) {
        _cleanup_close_ int fd = open_no_symlinks(h, path, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        int r = fd_trusted(fd, false);
        if (r < 0)
                return r;
        if (ret_st && fstat(fd, ret_st) < 0)
                return -errno;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if ((r = strbuf_read_fd(&sb, fd, max)) < 0)
                return r;
        char *p = strbuf_detach(&sb, ret_len);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int run_backup_read(struct host *h, const char *stamp, const char *path, size_t max, char **ret, size_t *ret_len,
                    struct stat *ret_st) {
        _cleanup_free_ char *backup = NULL, *top = NULL;
        if (run_backup_path(stamp, path, &backup) < 0 || asprintf(&top, BACKUPS_DIR "/%s", stamp) < 0)
                return -ENOMEM;
        int r = dirs_trusted(h, BACKUPS_DIR, top);
        if (r < 0)
                return r;
        /* A backup keeps the owner and mode of what it backs up: its directories are the trust. */
        _cleanup_close_ int fd = open_no_symlinks(h, backup, O_RDONLY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (st.st_mode & S_IWOTH)
                return -EPERM;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if ((r = strbuf_read_fd(&sb, fd, max)) < 0)
                return r;
        char *p = strbuf_detach(&sb, ret_len);
        if (!p)
                return -ENOMEM;
        if (ret_st)
                *ret_st = st;
        *ret = p;
        return 0;
}

/* The outcomes an interrupted run appended to STAMP.log, one "INDEX OUTCOME" a line;
 * a torn last line (the run died while writing it) is not read. */
static int record_merge_log(struct host *h, struct run_record *rec) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        if (asprintf(&path, RUNS_DIR "/%s.log", rec->stamp) < 0)
                return -ENOMEM;
        int r = read_trusted(h, path, RECORD_MAX, &text, &len, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *l = text, *e; (e = memchr(l, '\n', len - (size_t) (l - text))); l = e + 1) {
                *e = '\0';
                char *sp = strchr(l, ' ');
                char *end;
                errno = 0;
                unsigned long i = strtoul(l, &end, 10);
                enum run_outcome o = sp ? outcome_from_string(sp + 1) : _OUTCOME_MAX;
                if (!sp || end != sp || errno || i >= rec->n_actions || o == _OUTCOME_MAX || o == OUTCOME_PENDING)
                        return -EBADMSG;
                rec->actions[i].outcome = o;
        }
        return 0;
}

int run_record_load(struct host *h, const char *stamp, struct run_record **ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        if (!run_stamp_is_valid(stamp))
                return -EINVAL;
        if (asprintf(&path, RUNS_DIR "/%s.json", stamp) < 0)
                return -ENOMEM;
        int r = dirs_trusted(h, "/var/lib/hostfit", RUNS_DIR);
        if (r < 0)
                return r;
        if ((r = read_trusted(h, path, RECORD_MAX, &text, &len, NULL)) < 0)
                return r;
        if (memchr(text, '\0', len))
                return -EBADMSG;
        len = unescape_bytes(text, len);
        text[len] = '\0';
        struct json_tokener *tok = json_tokener_new_ex(64);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        struct json_object *v = json_tokener_parse_ex(tok, text, (int) len);
        bool whole = v && json_tokener_get_error(tok) == json_tokener_success &&
                     strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") == len - json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        _cleanup_(run_record_freep) struct run_record *rec = NULL;
        r = whole ? record_from_json(v, stamp, &rec) : -EBADMSG;
        json_object_put(v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rec->n_actions; i++)
                rec->interrupted |= rec->actions[i].outcome == OUTCOME_PENDING;
        if (rec->interrupted && (r = record_merge_log(h, rec)) < 0)
                return r;
        *ret = TAKE_PTR(rec);
        return 0;
}
