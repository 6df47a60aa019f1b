/* SPDX-License-Identifier: MIT */
/* The unit model: find a unit's file along systemd's search path under the root,
 * follow masks and aliases, load it with its drop-ins, and list unit directories, all
 * through the search-path index (unit-index.c); unit-file.c parses the files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "text/strbuf.h"
#include "text/strv.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"
#include "systemd/unit-index.h"

/* ---- finding the files ---- */

/* DIR/NAME in U's text; NULL on -ENOMEM. */
static char *text_path(struct unit *u, const char *dir, const char *name) {
        size_t ld = strlen(dir), ln = strlen(name);
        char *p = unit_text_alloc(u, ld + 1 + ln + 1);
        if (p) {
                memcpy(p, dir, ld);
                p[ld] = '/';
                memcpy(p + ld + 1, name, ln + 1);
        }
        return p;
}

/* U's fragment (or id) becomes a copy of S in U's text; -ENOMEM. */
static int text_set(struct unit *u, char **slot, const char *s) {
        *slot = unit_text_dup(u, s, strlen(s));
        return *slot ? 0 : -ENOMEM;
}

/* The first file named NAME along the search path; 1 when found, 0 when not. */
static int find_fragment(struct host *h, const struct unit_index *x, const char *name, struct unit *u, int *ret_dir,
                         unsigned depth) {
        uint64_t hash = unit_hash_name(name);
        for (size_t i = 0; i < N_SEARCH; i++) {
                struct stat st;
                const struct dent *e = unit_index_find(&x->dirs[i], name, hash);
                if (!e)
                        continue;
                if (e->type == DT_REG) {
                        /* The common case: read relative to the listed directory, no lookup
                         * from the root; an empty file masks, as unit_load() sees. */
                        u->fragment = text_path(u, unit_search_path[i], name);
                        *ret_dir = (int) i;
                        return u->fragment ? 1 : -ENOMEM;
                }
                _cleanup_free_ char *path = unit_path_join(unit_search_path[i], name), *target = NULL;
                if (!path)
                        return -ENOMEM;
                unit_counters.opens++;
                if (host_stat(h, path, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        int r = unit_read_link(h, unit_search_path[i], name, &target);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || unit_is_dev_null(target)) {
                                u->masked = r == 0;
                                return text_set(u, &u->fragment, path) < 0 ? -ENOMEM : 1;
                        }
                        const char *base = strrchr(target, '/') + 1;
                        _cleanup_free_ char *tmpl = unit_template_of(name);
                        if (unit_name_is_valid(base) && strcmp(base, name) != 0 && !(tmpl && strcmp(base, tmpl) == 0) &&
                            unit_type_of(base) && strcmp(unit_type_of(base), unit_type_of(name)) == 0) {
                                if (text_set(u, &u->id, base) < 0)      /* an alias */
                                        return -ENOMEM;
                                /* Within the search path the link names a unit, which is found by
                                 * name (the first file of it on the path), not by the link's target. */
                                if (unit_in_search_path(target) && depth < 8)
                                        return find_fragment(h, x, base, u, ret_dir, depth + 1);
                        }
                        if (text_set(u, &u->fragment, target) < 0)
                                return -ENOMEM;
                        if (host_stat(h, u->fragment, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
                                u->masked = true;
                        return 1;
                }
                u->masked = S_ISREG(st.st_mode) && st.st_size == 0;
                return text_set(u, &u->fragment, path) < 0 ? -ENOMEM : 1;
        }
        return 0;
}

void unit_drop_assignments(struct unit *u, size_t n) {
        if (n < u->n_a)
                u->n_a = n;     /* their strings stay in u->text until unit_free() */
}

struct unit *unit_free(struct unit *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->id);
        unit_scratch_release(u);
        free(u);
        return NULL;
}

int unit_load_valid(struct host *h, const char *name, struct unit *u) {
        const struct unit_index *x;
        int r = unit_index_get(h, &x);
        if (r < 0)
                return r;
        u->name = u->id = (char *) name;        /* borrowed; an alias's id goes in U's text */
        int fdir = -1;
        r = find_fragment(h, x, name, u, &fdir, 0);
        _cleanup_free_ char *tmpl = r == 0 ? unit_template_of(name) : NULL;
        if (r == 0 && tmpl)
                r = find_fragment(h, x, tmpl, u, &fdir, 0);
        if (r < 0)
                return r;
        u->enabled = unit_index_enabled(x, name) || (strcmp(u->id, name) != 0 && unit_index_enabled(x, u->id));
        if (u->masked)
                return 0;
        if (u->fragment) {
                r = fdir >= 0 ? unit_parse_file_at(h, u, u->fragment, x->dirs[fdir].fd, strrchr(u->fragment, '/') + 1)
                              : unit_parse_file(h, u, u->fragment);
                if (r < 0)
                        return r;
                if (r == 0 && fdir >= 0) {
                        u->masked = true;       /* an empty unit file masks */
                        return 0;
                }
        }
        r = unit_index_load_dropins(h, x, u);
        if (r < 0)
                return r;
        if (!u->fragment && u->n_dropins == 0)
                return -ENOENT;
        return 0;
}

static bool listed_unit(int dfd, const char *name, unsigned char type, const char *want) {
        struct stat st;
        const char *t = strrchr(name, '.');     /* WANT is a type: the same suffix is one */
        if (!t || strcmp(t, want) != 0 || !unit_name_is_valid_form(name, UNIT_NAME_PLAIN | UNIT_NAME_INSTANCE))
                return false;       /* not a unit name, or a template's */
        return type != DT_UNKNOWN ? type == DT_REG
                                  : fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* The search directory I as the index listed it (already sorted): no second listing. */
static int list_indexed(const struct unit_index *x, size_t i, const char *type, char ***ret) {
        const struct search_dir *s = x->dirs[i].same_as >= 0 ? &x->dirs[x->dirs[i].same_as] : &x->dirs[i];
        char **v = calloc((s->ok ? s->n : 0) + 1, sizeof(char *));
        size_t n = 0;
        if (!v)
                return -ENOMEM;
        for (size_t j = 0; s->ok && j < s->n; j++)
                if (listed_unit(s->fd, s->v[j].name, s->v[j].type, type) && !(v[n++] = strdup(s->v[j].name))) {
                        strv_free(v);
                        return -ENOMEM;
                }
        *ret = v;
        return 0;
}

int units_list_dropin_dirs(struct host *h, const char *dir, const char *type, char ***ret) {
        const struct unit_index *x;
        size_t lt = strlen(type);
        for (size_t i = 0; i < N_SEARCH; i++) {
                if (strcmp(dir, unit_search_path[i]) != 0)
                        continue;
                int r = unit_index_get(h, &x);
                if (r < 0)
                        return r;
                const struct search_dir *s = x->dirs[i].same_as >= 0 ? &x->dirs[x->dirs[i].same_as] : &x->dirs[i];
                char **v = NULL;
                size_t n = 0;
                for (size_t j = 0; s->ok && j < s->n && r == 0; j++) {
                        const char *e = s->v[j].name;
                        size_t l = strlen(e);
                        if (l > lt + 2 && strcmp(e + l - 2, ".d") == 0 && memcmp(e + l - 2 - lt, type, lt) == 0)
                                r = strv_push(&v, &n, strndup(e, l - 2));
                }
                if (r == 0 && !v && !(v = calloc(1, sizeof(char *))))
                        r = -ENOMEM;
                if (r < 0) {
                        strv_free(v);
                        return r;
                }
                *ret = v;
                return 0;
        }
        return -EINVAL;
}

int units_list_dir(struct host *h, const char *dir, const char *type, char ***ret) {
        const struct unit_index *x;
        for (size_t i = 0; i < N_SEARCH; i++)
                if (strcmp(dir, unit_search_path[i]) == 0 && unit_index_get(h, &x) == 0)
                        return list_indexed(x, i, type, ret);
        /* Not a search directory, or the index could not be built: list DIR itself,
         * so that what fails is said of DIR. */
        _cleanup_close_ int fd = host_open_file(h, dir, O_RDONLY | O_DIRECTORY);
        char **v = NULL;
        size_t n = 0;
        int r = 0;
        unit_counters.opens++;
        if (fd == -ENOENT || fd == -ENOTDIR) {
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        for (struct dirent *e; r == 0 && (e = unit_dir_next(d, &r)); )
                if (listed_unit(dirfd(d), e->d_name, e->d_type, type))
                        r = strv_push(&v, &n, strdup(e->d_name));
        closedir(d);
        if (r == 0 && !v)
                v = calloc(1, sizeof(char *));
        if (r < 0 || !v) {
                strv_free(v);
                return r < 0 ? r : -ENOMEM;
        }
        qsort(v, n, sizeof(char *), unit_cmp_str);
        *ret = v;
        return 0;
}
