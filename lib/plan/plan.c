/* SPDX-License-Identifier: MIT */
/* The plan: building it. Rendering is in plan-render.c, applying in apply.c. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "plan/plan.h"
#include "systemd/units.h"

#define PLAN_FILE_MAX (4u << 20)

struct plan {
        struct host *host;
        struct action *a;
        size_t n;
        /* Files read at plan time that no action writes yet: plan_get_file() returns them borrowed. */
        struct cached {
                char *path;
                char *content;  /* NULL: does not exist */
                size_t len;
                mode_t mode;
                uid_t uid;
                gid_t gid;
        } *cache;
        size_t n_cache;
        /* The port each unit this plan writes serves: one unit a port. */
        struct port_claim {
                uint16_t port;
                char *unit;
        } *ports;
        size_t n_ports;
};

int plan_new(struct host *h, struct plan **ret) {
        struct plan *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->host = h;
        *ret = p;
        return 0;
}

static void action_clear(struct action *a) {
        free(a->path);
        free(a->content);
        free(a->target);
        free(a->old);
        free(a->unit);
        for (char **s = a->properties; s && *s; s++)
                free(*s);
        free(a->properties);
        free(a->text);
}

struct plan *plan_free(struct plan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++)
                action_clear(&p->a[i]);
        free(p->a);
        for (size_t i = 0; i < p->n_cache; i++) {
                free(p->cache[i].path);
                free(p->cache[i].content);
        }
        free(p->cache);
        for (size_t i = 0; i < p->n_ports; i++)
                free(p->ports[i].unit);
        free(p->ports);
        free(p);
        return NULL;
}

size_t plan_size(const struct plan *p) { return p->n; }
const struct action *plan_action(const struct plan *p, size_t i) { return i < p->n ? &p->a[i] : NULL; }

size_t plan_count_changes(const struct plan *p) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++)
                n += p->a[i].kind != ACTION_MANUAL && !p->a[i].deferred;
        return n;
}

const char *action_kind_to_string(enum action_kind k) {
        static const char *const names[_ACTION_MAX] = {
                [ACTION_WRITE_FILE] = "write-file", [ACTION_SWAPFILE] = "swapfile",
                [ACTION_SWAPON] = "swapon", [ACTION_SYSTEMD] = "systemd",
                [ACTION_OOM_SCORE_ADJ] = "oom-score-adj", [ACTION_MANUAL] = "manual",
                [ACTION_SYMLINK] = "symlink", [ACTION_SWAPOFF] = "swapoff",
                [ACTION_REMOVE] = "remove", [ACTION_SUBVOLUME] = "subvolume",
        };
        return k < _ACTION_MAX ? names[k] : "?";
}

const char *systemd_op_to_string(enum systemd_op op) {
        static const char *const names[_SYSTEMD_OP_MAX] = {
                [SYSTEMD_DAEMON_RELOAD] = "daemon-reload", [SYSTEMD_ENABLE] = "enable",
                [SYSTEMD_START] = "start", [SYSTEMD_RESTART] = "restart",
                [SYSTEMD_SET_PROPERTY] = "set-property", [SYSTEMD_DISABLE] = "disable",
                [SYSTEMD_STOP] = "stop", [SYSTEMD_RESET_FAILED] = "reset-failed",
        };
        return op < _SYSTEMD_OP_MAX ? names[op] : "?";
}

static struct action *plan_push(struct plan *p, enum action_kind kind, const char *check) {
        struct action *na = reallocarray(p->a, p->n + 1, sizeof(*na));
        if (!na)
                return NULL;
        p->a = na;
        struct action *a = &p->a[p->n++];
        memset(a, 0, sizeof(*a));
        a->kind = kind;
        a->check = check;
        a->priority = -1;
        return a;
}

static void plan_pop(struct plan *p) {
        action_clear(&p->a[--p->n]);
}

static struct action *find_write(struct plan *p, const char *path) {
        for (size_t i = p->n; i > 0; i--)
                if (p->a[i - 1].kind == ACTION_WRITE_FILE && strcmp(p->a[i - 1].path, path) == 0)
                        return &p->a[i - 1];
        return NULL;
}

/* An action that puts something at PATH (a file, a link, a swap file). */
static struct action *find_path(struct plan *p, const char *path) {
        for (size_t i = p->n; i > 0; i--) {
                enum action_kind k = p->a[i - 1].kind;
                if ((k == ACTION_WRITE_FILE || k == ACTION_SYMLINK || k == ACTION_SWAPFILE ||
                     k == ACTION_SUBVOLUME) && p->a[i - 1].path && strcmp(p->a[i - 1].path, path) == 0)
                        return &p->a[i - 1];
        }
        return NULL;
}

int plan_claim_port(struct plan *p, const char *unit, uint16_t port) {
        if (!unit || !*unit || port == 0)
                return -EINVAL;
        for (size_t i = 0; i < p->n_ports; i++)
                if (p->ports[i].port == port)
                        return strcmp(p->ports[i].unit, unit) == 0 ? 0 : -EADDRINUSE;
        struct port_claim *np = reallocarray(p->ports, p->n_ports + 1, sizeof(*np));
        if (!np)
                return -ENOMEM;
        p->ports = np;
        if (!(np[p->n_ports].unit = strdup(unit)))
                return -ENOMEM;
        np[p->n_ports++].port = port;
        return 0;
}

/* Read PATH from the host once per plan. */
static int cache_get(struct plan *p, const char *path, struct cached **ret) {
        for (size_t i = 0; i < p->n_cache; i++)
                if (strcmp(p->cache[i].path, path) == 0) {
                        *ret = &p->cache[i];
                        return 0;
                }
        struct stat st;
        struct cached c = { 0 };
        int r = host_stat(p->host, path, &st);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0) {
                if (S_ISLNK(st.st_mode))
                        return -ELOOP;
                if (!S_ISREG(st.st_mode))
                        return -EEXIST;
                r = host_read_file(p->host, path, PLAN_FILE_MAX, &c.content, &c.len);
                if (r < 0)
                        return r;
                c.mode = st.st_mode & 07777;
                c.uid = st.st_uid;
                c.gid = st.st_gid;
        }
        struct cached *nc = reallocarray(p->cache, p->n_cache + 1, sizeof(*nc));
        c.path = strdup(path);
        if (!nc || !c.path) {
                if (nc)
                        p->cache = nc;
                free(c.path);
                free(c.content);
                return -ENOMEM;
        }
        p->cache = nc;
        p->cache[p->n_cache] = c;
        *ret = &p->cache[p->n_cache++];
        return 0;
}

int plan_get_file(struct plan *p, const char *path, const char **ret, size_t *ret_len) {
        struct action *w = find_write(p, path);
        if (w) {
                *ret = w->content;
                *ret_len = w->content_len;
                return 0;
        }
        struct cached *c;
        int r = cache_get(p, path, &c);
        if (r < 0)
                return r;
        *ret = c->content;
        *ret_len = c->len;
        return 0;
}

static char *memdup0(const char *s, size_t len) {
        char *d = malloc(len + 1);
        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

int plan_add_write_owned(struct plan *p, const char *check, const char *path,
                         const char *content, size_t len, mode_t mode, uid_t uid, gid_t gid) {
        /* A path made from a host's unit name stays inside the unit directory it names. */
        if (!path || path[0] != '/' || !unit_path_is_confined(path))
                return -EINVAL;
        _cleanup_free_ char *copy = memdup0(content, len);
        if (!copy)
                return -ENOMEM;
        /* One path, one action: what another check (or another kind of action) put
         * there is not silently replaced. */
        struct action *other = find_path(p, path);
        if (other && (other->kind != ACTION_WRITE_FILE || strcmp(other->check, check) != 0))
                return -EEXIST;
        struct action *w = find_write(p, path);
        if (w) {
                if (w->content_len == len && memcmp(w->content, content, len) == 0)
                        return 0;
                free(w->content);
                w->content = TAKE_PTR(copy);
                w->content_len = len;
                return 1;
        }
        struct cached *c;
        int r = cache_get(p, path, &c);
        if (r < 0)
                return r;
        if (c->content && c->len == len && memcmp(c->content, content, len) == 0)
                return 0;
        _cleanup_free_ char *old = c->content ? memdup0(c->content, c->len) : NULL;
        if (c->content && !old)
                return -ENOMEM;
        struct action *a = plan_push(p, ACTION_WRITE_FILE, check);
        if (!a)
                return -ENOMEM;
        a->path = strdup(path);
        if (!a->path) {
                plan_pop(p);
                return -ENOMEM;
        }
        a->content = TAKE_PTR(copy);
        a->content_len = len;
        a->old_len = c->len;
        a->old = TAKE_PTR(old);
        a->mode = c->content ? c->mode : mode;
        a->uid = c->content ? c->uid : uid;
        a->gid = c->content ? c->gid : gid;
        return 1;
}

int plan_add_write(struct plan *p, const char *check, const char *path,
                   const char *content, size_t len, mode_t mode) {
        return plan_add_write_owned(p, check, path, content, len, mode, 0, 0);
}

static int push_path(struct plan *p, enum action_kind kind, const char *check, const char *path,
                     struct action **ret) {
        struct action *a = plan_push(p, kind, check);
        if (!a)
                return -ENOMEM;
        if (path && !(a->path = strdup(path))) {
                plan_pop(p);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

int plan_add_swapfile(struct plan *p, const char *check, const char *path, uint64_t size) {
        struct action *a;
        if (!path || path[0] != '/' || size == 0)
                return -EINVAL;
        if (find_path(p, path))
                return -EEXIST;
        int r = push_path(p, ACTION_SWAPFILE, check, path, &a);
        if (r < 0)
                return r;
        a->size = size;
        a->mode = 0600;
        return 1;
}

int plan_add_swapon(struct plan *p, const char *check, const char *path, int priority) {
        struct action *a;
        int r = push_path(p, ACTION_SWAPON, check, path, &a);
        if (r < 0)
                return r;
        a->priority = priority;
        a->deferred = !host_is_live(p->host);
        return 1;
}

static bool systemd_running(struct host *h) {
        struct stat st;
        return host_is_live(h) && host_stat(h, "/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

int plan_add_systemd(struct plan *p, const char *check, enum systemd_op op, const char *unit,
                     const char *const *props) {
        struct action *a;
        if (op >= _SYSTEMD_OP_MAX || (op != SYSTEMD_DAEMON_RELOAD && !unit))
                return -EINVAL;
        /* One daemon-reload is enough until another unit file is written, linked or removed. */
        if (op == SYSTEMD_DAEMON_RELOAD)
                for (size_t i = p->n; i > 0 && p->a[i - 1].kind != ACTION_WRITE_FILE &&
                                      p->a[i - 1].kind != ACTION_SYMLINK && p->a[i - 1].kind != ACTION_REMOVE; i--)
                        if (p->a[i - 1].kind == ACTION_SYSTEMD && p->a[i - 1].op == SYSTEMD_DAEMON_RELOAD)
                                return 0;
        int r = push_path(p, ACTION_SYSTEMD, check, NULL, &a);
        if (r < 0)
                return r;
        a->op = op;
        a->deferred = !systemd_running(p->host);
        if (unit && !(a->unit = strdup(unit))) {
                plan_pop(p);
                return -ENOMEM;
        }
        size_t n = 0;
        while (props && props[n])
                n++;
        if (n) {
                a->properties = calloc(n + 1, sizeof(char *));
                if (!a->properties) {
                        plan_pop(p);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++)
                        if (!(a->properties[i] = strdup(props[i]))) {
                                plan_pop(p);
                                return -ENOMEM;
                        }
        }
        return 1;
}

int plan_add_oom_score_adj(struct plan *p, const char *check, pid_t pid, const char *comm, int from, int to) {
        struct action *a;
        if (from == to)
                return 0;
        int r = push_path(p, ACTION_OOM_SCORE_ADJ, check, NULL, &a);
        if (r < 0)
                return r;
        a->pid = pid;
        snprintf(a->comm, sizeof(a->comm), "%s", comm ? comm : "");
        a->from = from;
        a->to = to;
        a->deferred = !host_is_live(p->host);
        return 1;
}

int plan_add_manual(struct plan *p, const char *check, const char *text) {
        struct action *a;
        int r = push_path(p, ACTION_MANUAL, check, NULL, &a);
        if (r < 0)
                return r;
        if (!(a->text = strdup(text))) {
                plan_pop(p);
                return -ENOMEM;
        }
        return 1;
}

int plan_add_manualf(struct plan *p, const char *check, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = plan_add_manual(p, check, s);
        return r < 0 ? r : 0;
}

int plan_note(struct plan *p, const char *fmt, ...) {
        if (p->n == 0)
                return -EINVAL;
        struct action *a = &p->a[p->n - 1];
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(a->text);
        a->text = s;
        return 0;
}

/* An absolute path with no empty, "." or ".." component: what apply walks. */
static bool path_is_normal(const char *path) {
        if (!path || path[0] != '/' || strlen(path) >= PATH_MAX)
                return false;
        for (const char *c = path; *c; ) {
                c += strspn(c, "/");
                size_t n = strcspn(c, "/");
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (c[n] == '/' && c[n + 1] == '\0')
                        return false;
                c += n;
        }
        return strcmp(path, "/") != 0;
}

/* 1 when PATH is a symlink to TARGET, 0 when it does not exist, -EEXIST when it is anything else. */
static int symlink_state(struct plan *p, const char *path, const char *target) {
        for (size_t i = p->n; i > 0; i--) {
                const struct action *a = &p->a[i - 1];
                if ((a->kind == ACTION_SYMLINK || a->kind == ACTION_WRITE_FILE) && strcmp(a->path, path) == 0)
                        return a->kind == ACTION_SYMLINK && strcmp(a->target, target) == 0 ? 1 : -EEXIST;
        }
        struct stat st;
        int r = host_stat(p->host, path, &st);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!S_ISLNK(st.st_mode))
                return -EEXIST;
        _cleanup_free_ char *now = NULL;
        r = host_readlink(p->host, path, &now);
        if (r < 0)
                return r;
        return strcmp(now, target) == 0 ? 1 : -EEXIST;
}

int plan_add_symlink(struct plan *p, const char *check, const char *path, const char *target) {
        struct action *a;
        if (!path_is_normal(path) || !unit_path_is_confined(path) || !target || !*target || strlen(target) >= PATH_MAX)
                return -EINVAL;
        struct action *other = find_path(p, path);
        if (other)
                return other->kind == ACTION_SYMLINK && strcmp(other->target, target) == 0 ? 0 : -EEXIST;
        int r = symlink_state(p, path, target);
        if (r != 0)
                return r > 0 ? 0 : r;
        r = push_path(p, ACTION_SYMLINK, check, path, &a);
        if (r < 0)
                return r;
        if (!(a->target = strdup(target))) {
                plan_pop(p);
                return -ENOMEM;
        }
        return 1;
}

/* UNIT_PATH names UNIT's file: UNIT itself, or for an instance its template "foo@.timer". */
static bool unit_path_matches(const char *unit, const char *unit_path) {
        const char *base = strrchr(unit_path, '/') + 1;
        const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');
        if (strcmp(base, unit) == 0)
                return true;
        if (!at || !dot || at > dot || at + 1 == dot)
                return false;
        size_t n = (size_t) (at + 1 - unit);
        return strncmp(base, unit, n) == 0 && strcmp(base + n, dot) == 0;
}

static char *wants_link(const char *target, const char *unit) {
        char *s;
        return asprintf(&s, "/etc/systemd/system/%s.wants/%s", target, unit) < 0 ? NULL : s;
}

/* Every link exists (or is planned): any symlink of UNIT's name, as systemd counts it. */
static int enable_links_exist(struct plan *p, const char *unit, const char *const *wanted_by) {
        for (size_t i = 0; wanted_by[i]; i++) {
                _cleanup_free_ char *link = wants_link(wanted_by[i], unit);
                struct stat st;
                if (!link)
                        return -ENOMEM;
                int r = host_stat(p->host, link, &st);
                if (r == -ENOENT || r == -ENOTDIR)
                        return 0;
                if (r < 0)
                        return r;
                if (!S_ISLNK(st.st_mode))
                        return 0;
        }
        return 1;
}

int plan_add_enable(struct plan *p, const char *check, const char *unit, const char *unit_path,
                    const char *const *wanted_by) {
        if (!unit_name_is_valid(unit) || unit_name_is_template(unit) || !path_is_normal(unit_path) ||
            !unit_path_matches(unit, unit_path))
                return -EINVAL;
        for (size_t i = 0; wanted_by && wanted_by[i]; i++)
                if (!unit_name_is_valid(wanted_by[i]) || unit_name_is_template(wanted_by[i]))
                        return -EINVAL;
        if (!wanted_by || !wanted_by[0])
                return 0;       /* no [Install] WantedBy=: nothing to link */
        if (systemd_running(p->host)) {
                int r = enable_links_exist(p, unit, wanted_by);
                if (r != 0)
                        return r > 0 ? 0 : r;
                return plan_add_systemd(p, check, SYSTEMD_ENABLE, unit, NULL);
        }
        int added = 0;
        for (size_t i = 0; wanted_by[i]; i++) {
                _cleanup_free_ char *link = wants_link(wanted_by[i], unit);
                struct stat st;
                if (!link)
                        return -ENOMEM;
                /* A link of the unit's name already enables it, whatever path it names. */
                if (host_stat(p->host, link, &st) == 0 && S_ISLNK(st.st_mode))
                        continue;
                int r = plan_add_symlink(p, check, link, unit_path);
                if (r < 0)
                        return r;
                added += r;
        }
        return added;
}

/* ---- taking a run back ---- */

int plan_add_restore(struct plan *p, const char *check, const char *path,
                     const char *content, size_t len, mode_t mode, uid_t uid, gid_t gid) {
        int r = plan_add_write_owned(p, check, path, content, len, mode, uid, gid);
        if (r <= 0)
                return r;
        struct action *a = find_write(p, path);
        a->mode = mode & 07777;
        a->uid = uid;
        a->gid = gid;
        return 1;
}

int plan_add_remove(struct plan *p, const char *check, const char *path, uint64_t size) {
        struct action *a;
        struct stat st;
        if (!path_is_normal(path))
                return -EINVAL;
        int r = host_stat(p->host, path, &st);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (size > 0 && !S_ISREG(st.st_mode))
                return -EEXIST;
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))
                return -EEXIST;
        _cleanup_free_ char *target = NULL, *old = NULL;
        size_t old_len = 0;
        if (S_ISLNK(st.st_mode) && (r = host_readlink(p->host, path, &target)) < 0)
                return r;
        if (S_ISREG(st.st_mode) && size == 0) {
                const char *c;
                if ((r = plan_get_file(p, path, &c, &old_len)) < 0)
                        return r;
                if (!c)
                        return 0;
                if (!(old = memdup0(c, old_len)))
                        return -ENOMEM;
        }
        struct statfs sf;
        bool subvolume = S_ISDIR(st.st_mode) && st.st_ino == BTRFS_FIRST_FREE_OBJECTID &&
                         host_statfs(p->host, path, &sf) == 0 &&
                         ((unsigned long) sf.f_type & 0xffffffffUL) == BTRFS_SUPER_MAGIC;
        r = push_path(p, ACTION_REMOVE, check, path, &a);
        if (r < 0)
                return r;
        a->subvolume = subvolume;
        a->mode = st.st_mode;
        a->uid = st.st_uid;
        a->gid = st.st_gid;
        a->size = size;
        a->target = TAKE_PTR(target);
        a->old = TAKE_PTR(old);
        a->old_len = old_len;
        return 1;
}

int plan_add_swapoff(struct plan *p, const char *check, const char *path) {
        struct action *a;
        if (!path_is_normal(path))
                return -EINVAL;
        int r = push_path(p, ACTION_SWAPOFF, check, path, &a);
        if (r < 0)
                return r;
        a->deferred = !host_is_live(p->host);
        return 1;
}

int plan_add_subvolume(struct plan *p, const char *check, const char *path) {
        struct action *a;
        struct stat st;
        if (!path_is_normal(path) || strcmp(path, "/") == 0)
                return -EINVAL;
        if (find_path(p, path))
                return -EEXIST;
        int r = host_stat(p->host, path, &st);
        if (r != -ENOENT)
                return r < 0 ? r : -EEXIST;
        r = push_path(p, ACTION_SUBVOLUME, check, path, &a);
        if (r < 0)
                return r;
        a->mode = S_IFDIR | 0700;
        return 1;
}

void plan_truncate(struct plan *p, size_t n) {
        while (p->n > n)
                plan_pop(p);
}

/* A file systemd reads at daemon-reload: units, drop-ins, generator configs. */
static bool action_needs_reload(const struct action *a) {
        return (a->kind == ACTION_WRITE_FILE || a->kind == ACTION_SYMLINK || a->kind == ACTION_REMOVE) &&
               a->path && strstr(a->path, "/systemd/");
}

static bool action_is_reload(const struct action *a) {
        return a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_DAEMON_RELOAD;
}

int plan_merge_reloads(struct plan *p) {
        size_t first = p->n, n_reloads = 0;
        for (size_t i = 0; i < p->n; i++)
                if (action_is_reload(&p->a[i])) {
                        if (first == p->n)
                                first = i;
                        n_reloads++;
                }
        if (n_reloads < 2)
                return 0;
        /* From the first reload on: the files systemd reads, one reload, then the rest, each in order. */
        size_t m = p->n - first, k = 0;
        _cleanup_free_ struct action *tail = malloc(m * sizeof(*tail));
        if (!tail)
                return -ENOMEM;
        for (size_t i = first; i < p->n; i++)
                if (action_needs_reload(&p->a[i]))
                        tail[k++] = p->a[i];
        tail[k++] = p->a[first];
        for (size_t i = first + 1; i < p->n; i++)
                if (action_is_reload(&p->a[i]))
                        action_clear(&p->a[i]);
                else if (!action_needs_reload(&p->a[i]))
                        tail[k++] = p->a[i];
        memcpy(p->a + first, tail, k * sizeof(*tail));
        p->n = first + k;
        return (int) (n_reloads - 1);
}
