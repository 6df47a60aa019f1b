/* The unit model: find a unit's file along systemd's search path under the root,
 * follow masks and aliases, and collect drop-ins; unit-file.c parses them. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "host.h"
#include "strbuf.h"
#include "units.h"
#include "units-internal.h"

const char *const unit_search_path[] = {
        "/etc/systemd/system.control",
        "/run/systemd/system.control",
        "/run/systemd/transient",
        "/etc/systemd/system",
        "/run/systemd/system",
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
        NULL,
};
#define N_SEARCH 8

void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

int unit_strv_push(char ***v, size_t *n, char *s) {
        if (!s)
                return -ENOMEM;
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* ---- names ---- */

static const char *const unit_types[] = {
        ".service", ".socket", ".target", ".timer", ".mount", ".automount", ".swap",
        ".path", ".slice", ".scope", ".device", NULL,
};

static const char *unit_type_of(const char *name) {
        const char *dot = strrchr(name, '.');
        for (size_t i = 0; dot && unit_types[i]; i++)
                if (strcmp(dot, unit_types[i]) == 0)
                        return dot;
        return NULL;
}

bool unit_name_is_valid(const char *name) {
        const char *type = name ? unit_type_of(name) : NULL;
        if (!type || type == name || strlen(name) > 255)
                return false;
        for (const char *c = name; c < type; c++)
                if (!isalnum((unsigned char) *c) && !strchr(":_.\\-@", *c))
                        return false;
        const char *at = memchr(name, '@', (size_t) (type - name));
        return !at || (at != name && !memchr(at + 1, '@', (size_t) (type - at - 1)));
}

bool unit_name_is_template(const char *name) {
        const char *at = name ? strchr(name, '@') : NULL;
        return unit_name_is_valid(name) && at && at + 1 == unit_type_of(name);
}

int unit_instance_escape(const char *s, char **ret) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = 0;
        for (const char *c = s; *c && r == 0; c++) {
                if (*c == '/')
                        r = strbuf_addch(&sb, '-');
                else if ((isalnum((unsigned char) *c) || strchr(":_.", *c)) && !(c == s && *c == '.'))
                        r = strbuf_addch(&sb, *c);
                else
                        r = strbuf_addf(&sb, "\\x%02x", (unsigned char) *c);
        }
        if (r < 0)
                return r;
        *ret = strbuf_detach(&sb, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* "foo@bar.service" -> "foo@.service"; NULL when NAME is not an instance. */
static char *template_of(const char *name) {
        const char *at = strchr(name, '@'), *type = unit_type_of(name);
        if (!at || !type || at + 1 == type)
                return NULL;
        char *t;
        return asprintf(&t, "%.*s%s", (int) (at + 1 - name), name, type) < 0 ? NULL : t;
}

/* ---- the search path, once a run ---- */

struct unit_index {
        bool dir_ok[N_SEARCH];  /* exists, and is not the same directory as an earlier one (/lib -> usr/lib) */
        char **enabled;         /* names linked from .wants/ .requires/ .upholds/, sorted */
        size_t n_enabled;
};

static void unit_index_free(void *p) {
        struct unit_index *x = p;
        if (x)
                strv_free(x->enabled);
        free(x);
}

static bool is_dep_dir(const char *n) {
        size_t l = strlen(n);
        return (l > 6 && strcmp(n + l - 6, ".wants") == 0) || (l > 9 && strcmp(n + l - 9, ".requires") == 0) ||
               (l > 8 && strcmp(n + l - 8, ".upholds") == 0);
}

static int index_dep_dir(int dfd, const char *sub, struct unit_index *x) {
        int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        for (struct dirent *e; r == 0 && (e = readdir(d)); )
                if (unit_name_is_valid(e->d_name))
                        r = unit_strv_push(&x->enabled, &x->n_enabled, strdup(e->d_name));
        closedir(d);
        return r;
}

static int unit_index_build(struct host *h, struct unit_index **ret) {
        struct unit_index *x = calloc(1, sizeof(*x));
        struct stat seen[N_SEARCH];
        int r = 0;
        if (!x)
                return -ENOMEM;
        for (size_t i = 0; i < N_SEARCH && r == 0; i++) {
                _cleanup_close_ int fd = host_open_file(h, unit_search_path[i], O_RDONLY | O_DIRECTORY);
                if (fd < 0 || fstat(fd, &seen[i]) < 0)
                        continue;
                x->dir_ok[i] = true;
                for (size_t j = 0; j < i; j++)
                        if (x->dir_ok[j] && seen[j].st_dev == seen[i].st_dev && seen[j].st_ino == seen[i].st_ino)
                                x->dir_ok[i] = false;
                if (!x->dir_ok[i])
                        continue;
                DIR *d = fdopendir(TAKE_FD(fd));
                if (!d)
                        continue;
                int dfd = dirfd(d);
                for (struct dirent *e; r == 0 && (e = readdir(d)); )
                        if (is_dep_dir(e->d_name))
                                r = index_dep_dir(dfd, e->d_name, x);
                closedir(d);
        }
        if (r < 0) {
                unit_index_free(x);
                return r;
        }
        if (x->n_enabled)
                qsort(x->enabled, x->n_enabled, sizeof(char *), cmp_str);
        *ret = x;
        return 0;
}

static int unit_index_get(struct host *h, const struct unit_index **ret) {
        struct unit_index *x = host_cache_get(h, "units");
        if (!x) {
                int r = unit_index_build(h, &x);
                if (r < 0)
                        return r;
                r = host_cache_put(h, "units", x, unit_index_free);
                if (r < 0)
                        return r;
        }
        *ret = x;
        return 0;
}

static bool index_enabled(const struct unit_index *x, const char *name) {
        return x->n_enabled && bsearch(&name, x->enabled, x->n_enabled, sizeof(char *), cmp_str);
}

/* ---- finding the files ---- */

static char *path_join(const char *dir, const char *name) {
        char *p;
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* A link in a unit directory: "/dev/null" masks; otherwise the path it names, within the root. */
static int read_link(struct host *h, const char *dir, const char *name, char **ret) {
        _cleanup_close_ int fd = host_open_file(h, dir, O_PATH | O_DIRECTORY);
        char buf[4096];
        if (fd < 0)
                return fd;
        ssize_t n = readlinkat(fd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = buf[0] == '/' ? strdup(buf) : path_join(dir, buf);
        return *ret ? 0 : -ENOMEM;
}

static bool is_dev_null(const char *p) {
        return strcmp(p, "/dev/null") == 0;
}

/* The first file named NAME along the search path; 1 when found, 0 when not. */
static int find_fragment(struct host *h, const struct unit_index *x, const char *name, struct unit *u) {
        for (size_t i = 0; i < N_SEARCH; i++) {
                struct stat st;
                if (!x->dir_ok[i])
                        continue;
                _cleanup_free_ char *path = path_join(unit_search_path[i], name), *target = NULL;
                if (!path)
                        return -ENOMEM;
                if (host_stat(h, path, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        int r = read_link(h, unit_search_path[i], name, &target);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || is_dev_null(target)) {
                                u->masked = r == 0;
                                u->fragment = TAKE_PTR(path);
                                return 1;
                        }
                        const char *base = strrchr(target, '/') + 1;
                        _cleanup_free_ char *tmpl = template_of(name);
                        if (unit_name_is_valid(base) && strcmp(base, name) != 0 && !(tmpl && strcmp(base, tmpl) == 0) &&
                            unit_type_of(base) && strcmp(unit_type_of(base), unit_type_of(name)) == 0) {
                                free(u->id);
                                u->id = strdup(base);           /* an alias */
                                if (!u->id)
                                        return -ENOMEM;
                        }
                        u->fragment = TAKE_PTR(target);
                        if (host_stat(h, u->fragment, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
                                u->masked = true;
                        return 1;
                }
                u->masked = S_ISREG(st.st_mode) && st.st_size == 0;
                u->fragment = TAKE_PTR(path);
                return 1;
        }
        return 0;
}

struct dropin { char *base, *path; };

static int cmp_dropin(const void *a, const void *b) {
        return strcmp(((const struct dropin *) a)->base, ((const struct dropin *) b)->base);
}

static int collect_dir(struct host *h, const char *dir, struct dropin **v, size_t *n) {
        _cleanup_close_ int fd = host_open_file(h, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *e; r == 0 && (e = readdir(d)); ) {
                size_t l = strlen(e->d_name);
                bool seen = false;
                if (l <= 5 || strcmp(e->d_name + l - 5, ".conf") != 0 || e->d_name[0] == '.')
                        continue;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = strcmp((*v)[i].base, e->d_name) == 0;
                if (seen)
                        continue;       /* a higher-priority directory has this name */
                struct dropin *nv = realloc(*v, (*n + 1) * sizeof(*nv));
                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                *v = nv;
                _cleanup_free_ char *target = NULL;
                char *path = path_join(dir, e->d_name);
                struct stat st;
                if (path && host_stat(h, path, &st) == 0 && S_ISLNK(st.st_mode) &&
                    read_link(h, dir, e->d_name, &target) == 0 && is_dev_null(target)) {
                        free(path);
                        path = strdup("");      /* masked drop-in: takes the name, adds nothing */
                }
                nv[*n] = (struct dropin) { strdup(e->d_name), path };
                if (!nv[*n].base || !nv[*n].path) {
                        free(nv[*n].base), free(nv[*n].path);
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
        }
        closedir(d);
        return r;
}

static char *concat(const char *a, const char *b) {
        char *p;
        return asprintf(&p, "%s%s", a, b) < 0 ? NULL : p;
}

/* "NAME.d" for each name, then prefix drop-ins ("a-.service.d", "a-b-.service.d"), then "service.d". */
static int dropin_dirnames(char *const *names, char ***ret, size_t *ret_n) {
        int r = 0;
        for (size_t i = 0; names[i] && r == 0; i++)
                r = unit_strv_push(ret, ret_n, concat(names[i], ".d"));
        const char *type = unit_type_of(names[0]);
        for (const char *dash = names[0]; r == 0 && (dash = strchr(dash, '-')); dash++)
                if (dash + 1 < type)
                        r = unit_strv_push(ret, ret_n, strndup(names[0], (size_t) (dash + 1 - names[0])));
        for (size_t i = 0; r == 0 && i < *ret_n; i++) {
                size_t l = strlen((*ret)[i]);
                if ((*ret)[i][l - 1] == '-') {
                        _cleanup_free_ char *t = concat(type, ".d");
                        char *full = t ? concat((*ret)[i], t) : NULL;
                        if (!full)
                                return -ENOMEM;
                        free((*ret)[i]);
                        (*ret)[i] = full;
                }
        }
        return r < 0 ? r : unit_strv_push(ret, ret_n, concat(type + 1, ".d"));
}

static int load_dropins(struct host *h, const struct unit_index *x, struct unit *u, char *const *names) {
        char **dirs = NULL;
        size_t n_dirs = 0, n = 0;
        struct dropin *v = NULL;
        int r = dropin_dirnames(names, &dirs, &n_dirs);
        for (size_t i = 0; r == 0 && i < N_SEARCH; i++)
                for (size_t j = 0; r == 0 && x->dir_ok[i] && j < n_dirs; j++) {
                        _cleanup_free_ char *dir = path_join(unit_search_path[i], dirs[j]);
                        r = dir ? collect_dir(h, dir, &v, &n) : -ENOMEM;
                }
        if (r == 0 && n)
                qsort(v, n, sizeof(*v), cmp_dropin);
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (!*v[i].path)
                        continue;
                r = unit_strv_push(&u->dropins, &u->n_dropins, strdup(v[i].path));
                if (r == 0)
                        r = unit_parse_file(h, u, v[i].path);
        }
        for (size_t i = 0; i < n; i++)
                free(v[i].base), free(v[i].path);
        free(v);
        strv_free(dirs);
        return r;
}

struct unit *unit_free(struct unit *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->id);
        free(u->fragment);
        strv_free(u->dropins);
        for (size_t i = 0; i < u->n_a; i++)
                free(u->a[i].section), free(u->a[i].key), free(u->a[i].value);
        free(u->a);
        for (size_t i = 0; i < u->n_issues; i++)
                free(u->issues[i].message);
        free(u->issues);
        strv_free(u->files);
        free(u);
        return NULL;
}


static int unit_names(const struct unit *u, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        const char *cand[] = { u->name, u->id, NULL, NULL, NULL };
        _cleanup_free_ char *t1 = template_of(u->name), *t2 = template_of(u->id);
        cand[2] = t1, cand[3] = t2;
        for (size_t i = 0; i < 4; i++) {
                bool dup = !cand[i];
                for (size_t j = 0; j < n && !dup; j++)
                        dup = strcmp(v[j], cand[i]) == 0;
                if (!dup && unit_strv_push(&v, &n, strdup(cand[i])) < 0) {
                        strv_free(v);
                        return -ENOMEM;
                }
        }
        *ret = v;
        return 0;
}

int unit_load(struct host *h, const char *name, struct unit **ret) {
        _cleanup_(unit_freep) struct unit *u = NULL;
        const struct unit_index *x;
        if (!unit_name_is_valid(name))
                return -EINVAL;
        int r = unit_index_get(h, &x);
        if (r < 0)
                return r;
        u = calloc(1, sizeof(*u));
        if (!u || !(u->name = strdup(name)) || !(u->id = strdup(name)))
                return -ENOMEM;
        r = find_fragment(h, x, name, u);
        _cleanup_free_ char *tmpl = r == 0 ? template_of(name) : NULL;
        if (r == 0 && tmpl)
                r = find_fragment(h, x, tmpl, u);
        if (r < 0)
                return r;
        u->enabled = index_enabled(x, name) || (strcmp(u->id, name) != 0 && index_enabled(x, u->id));
        if (u->masked) {
                *ret = TAKE_PTR(u);
                return 0;
        }
        if (u->fragment) {
                r = unit_parse_file(h, u, u->fragment);
                if (r < 0)
                        return r;
        }
        _cleanup_(strv_freep) char **names = NULL;
        r = unit_names(u, &names);
        if (r == 0)
                r = load_dropins(h, x, u, names);
        if (r < 0)
                return r;
        if (!u->fragment && u->n_dropins == 0)
                return -ENOENT;
        *ret = TAKE_PTR(u);
        return 0;
}

int units_list_dir(struct host *h, const char *dir, const char *type, char ***ret) {
        _cleanup_close_ int fd = host_open_file(h, dir, O_RDONLY | O_DIRECTORY);
        char **v = NULL;
        size_t n = 0;
        int r = 0;
        if (fd == -ENOENT || fd == -ENOTDIR) {
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        for (struct dirent *e; r == 0 && (e = readdir(d)); ) {
                struct stat st;
                const char *t = unit_type_of(e->d_name);
                if (!t || strcmp(t, type) != 0 || !unit_name_is_valid(e->d_name) || unit_name_is_template(e->d_name))
                        continue;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = unit_strv_push(&v, &n, strdup(e->d_name));
        }
        closedir(d);
        if (r == 0 && !v)
                v = calloc(1, sizeof(char *));
        if (r < 0 || !v) {
                strv_free(v);
                return r < 0 ? r : -ENOMEM;
        }
        qsort(v, n, sizeof(char *), cmp_str);
        *ret = v;
        return 0;
}
