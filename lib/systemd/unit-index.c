/* SPDX-License-Identifier: MIT */
/* The unit model's search-path index: each directory of systemd's search path listed
 * once a run (names sorted by their first 8 bytes, then hashed), the enablement links and
 * aliases found there, and the drop-in lookup over it (load_dropins). Owns the index
 * (kept with the host as "units") and the small name and path helpers both halves of the
 * model use. May use: the host (opening under the root, its cache), text/ and the
 * parser's entry points in units-internal.h; units.c finds a unit's file through it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "text/grow.h"
#include "host/host.h"
#include "text/strbuf.h"
#include "text/strv.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"
#include "systemd/unit-index.h"

/* systemd 252's system search path (lookup_paths_init), generators included: their
 * units and drop-ins are as real to systemd as the admin's. */
const char *const unit_search_path[] = {
        "/etc/systemd/system.control",
        "/run/systemd/system.control",
        "/run/systemd/transient",
        "/run/systemd/generator.early",
        "/etc/systemd/system",
        "/etc/systemd/system.attached",
        "/run/systemd/system",
        "/run/systemd/system.attached",
        "/run/systemd/generator",
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
        "/run/systemd/generator.late",
        NULL,
};

int unit_cmp_str(const void *a, const void *b) {
        unit_counters.compares++;
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* ---- names ---- */

static const char *const unit_types[] = {
        ".service", ".socket", ".target", ".timer", ".mount", ".automount", ".swap",
        ".path", ".slice", ".scope", ".device", NULL,
};

const char *unit_type_of(const char *name) {
        const char *dot = strrchr(name, '.');
        for (size_t i = 0; dot && unit_types[i]; i++)
                if (strcmp(dot, unit_types[i]) == 0)
                        return dot;
        return NULL;
}

/* The first LA bytes of A, then B and C: a path or a name built without printf; NULL on -ENOMEM. */
static char *join(const char *a, size_t la, const char *b, const char *c) {
        size_t lb = strlen(b), lc = strlen(c);
        char *p = malloc(la + lb + lc + 1);
        if (p) {
                memcpy(p, a, la);
                memcpy(p + la, b, lb);
                memcpy(p + la + lb, c, lc + 1);
        }
        return p;
}

/* "foo@bar.service" -> "foo@.service"; NULL when NAME is not an instance. */
char *unit_template_of(const char *name) {
        const char *at = strchr(name, '@'), *type = unit_type_of(name);
        if (!at || !type || at + 1 == type)
                return NULL;
        return join(name, (size_t) (at + 1 - name), type, "");
}

char *unit_path_join(const char *dir, const char *name) {
        return join(dir, strlen(dir), "/", name);
}

/* A link in a unit directory: "/dev/null" masks; otherwise the path it names, within the root. */
int unit_read_link(struct host *h, const char *dir, const char *name, char **ret) {
        _cleanup_close_ int fd = host_open_file(h, dir, O_PATH | O_DIRECTORY);
        char buf[4096];
        unit_counters.opens++;
        if (fd < 0)
                return fd;
        ssize_t n = readlinkat(fd, name, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = buf[0] == '/' ? strdup(buf) : unit_path_join(dir, buf);
        return *ret ? 0 : -ENOMEM;
}

/* ---- the search path, once a run ---- */

/* A link in the search path to a unit file of another name in the search path. */
struct alias {
        char *alias;            /* the link's name */
        char *target;           /* the name it aliases */
};

static void unit_index_free(void *p) {
        struct unit_index *x = p;
        if (!x)
                return;
        for (size_t i = 0; i < N_SEARCH; i++) {
                free(x->dirs[i].arena), free(x->dirs[i].v), free(x->dirs[i].slots);
                if (x->dirs[i].fd >= 0)
                        close(x->dirs[i].fd);
        }
        strv_free(x->enabled);
        strbuf_release(&x->dir_names);
        for (size_t i = 0; i < x->n_aliases; i++)
                free(x->aliases[i].alias), free(x->aliases[i].target);
        free(x->aliases);
        free(x);
}

static bool is_dep_dir(const char *n, size_t l) {
        if (l < 7 || n[l - 1] != 's')
                return false;   /* "wants", "requires" and "upholds" end so; most names do not */
        return (l > 6 && strcmp(n + l - 6, ".wants") == 0) || (l > 9 && strcmp(n + l - 9, ".requires") == 0) ||
               (l > 8 && strcmp(n + l - 8, ".upholds") == 0);
}

/* readdir(), but a failed read sets *R to -errno instead of looking like the end. */
struct dirent *unit_dir_next(DIR *d, int *r) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e && errno)
                *r = -errno;
        return e;
}

static int index_dep_dir(int dfd, const char *sub, struct unit_index *x) {
        int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        unit_counters.opens++;
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        for (struct dirent *e; r == 0 && (e = unit_dir_next(d, &r)); )
                if (unit_name_is_valid(e->d_name))
                        r = strv_push(&x->enabled, &x->n_enabled, strdup(e->d_name));
        closedir(d);
        return r;
}

/* True when PATH lies in a directory of the search path: a link there is an alias. */
bool unit_in_search_path(const char *path) {
        for (size_t i = 0; i < N_SEARCH; i++) {
                size_t l = strlen(unit_search_path[i]);
                if (strncmp(path, unit_search_path[i], l) == 0 && path[l] == '/')
                        return true;
        }
        return false;
}

/* NAME, a link in the search directory DIRPATH (open as DFD): record it when it aliases
 * a unit of another name, as systemd's unit name map does. */
static int index_alias(int dfd, const char *dirpath, const char *name, struct unit_index *x) {
        char buf[4096];
        ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        _cleanup_free_ char *abs = NULL, *tmpl = unit_template_of(name);
        if (buf[0] != '/' && asprintf(&abs, "%s/%s", dirpath, buf) < 0)
                return -ENOMEM;
        const char *target = abs ? abs : buf, *base = strrchr(target, '/') + 1;
        if (!unit_in_search_path(target) || !unit_name_is_valid(base) || strcmp(base, name) == 0 ||
            (tmpl && strcmp(base, tmpl) == 0) || strcmp(unit_type_of(base), unit_type_of(name)) != 0)
                return 0;
        struct alias *nv = realloc(x->aliases, (x->n_aliases + 1) * sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        x->aliases = nv;
        nv[x->n_aliases] = (struct alias) { strdup(name), strdup(base) };
        if (!nv[x->n_aliases].alias || !nv[x->n_aliases].target) {
                free(nv[x->n_aliases].alias), free(nv[x->n_aliases].target);
                return -ENOMEM;
        }
        x->n_aliases++;
        return 0;
}

static int cmp_alias(const void *a, const void *b) {
        const struct alias *p = a, *q = b;
        unit_counters.compares++;
        int c = strcmp(p->target, q->target);
        return c ? c : strcmp(p->alias, q->alias);
}

static int cmp_target(const void *a, const void *b) {
        unit_counters.compares++;
        return strcmp(((const struct alias *) a)->target, ((const struct alias *) b)->target);
}

/* V[0..N) sorted by name, stably, with TMP (N entries) to merge through: qsort()'s own
 * merge sort without a call and a copy through a void pointer a comparison, which a
 * directory of 50,000 units pays 800,000 times. */
static uint64_t dent_key(const char *s) {
        uint64_t k = 0;
        for (size_t i = 0; i < 8; i++) {
                k = k << 8 | (unsigned char) s[i];
                if (!s[i])
                        return k << 8 * (7 - i);
        }
        return k;
}

/* strcmp() of A's and B's names: bytes compare unsigned, as in the keys. */
static int dent_cmp(const struct dent *a, const struct dent *b) {
        unit_counters.compares++;
        if (a->key != b->key)
                return a->key < b->key ? -1 : 1;
        return a->key & 0xff ? strcmp(a->name + 8, b->name + 8) : 0;    /* else both end within the key */
}

static void merge_dents(struct dent *v, struct dent *tmp, size_t n) {
        if (n < 2)
                return;
        size_t h = n / 2;
        merge_dents(v, tmp, h);
        merge_dents(v + h, tmp, n - h);
        if (dent_cmp(&v[h - 1], &v[h]) <= 0)
                return;         /* already in order: a directory listed in order costs n */
        size_t i = 0, j = h, o = 0;
        while (i < h && j < n)
                tmp[o++] = dent_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
        while (i < h)
                tmp[o++] = v[i++];
        memcpy(v, tmp, o * sizeof(*v));         /* what is left of the right half is in place */
}

/* V[0..N) sorted by name, through TMP (N entries): by their keys first, a byte a pass
 * from the last (counting sort; a pass is skipped where every key has the same byte, as
 * the prefix most names share), then each run of one key whose names go on past it by
 * merge_dents(). Linear in N where names differ within 8 bytes, as unit names mostly do:
 * a merge sort alone compares 50,000 names 800,000 times. */
static void sort_dents(struct dent *v, struct dent *tmp, size_t n) {
        struct dent *from = v, *to = tmp, *t;
        size_t count[256];
        if (n < 2)
                return;
        for (unsigned shift = 0; shift < 64; shift += 8) {
                memset(count, 0, sizeof(count));
                for (size_t i = 0; i < n; i++)
                        count[(from[i].key >> shift) & 0xff]++;
                if (count[(from[0].key >> shift) & 0xff] == n)
                        continue;       /* the same byte in every key */
                for (size_t b = 0, sum = 0, c; b < 256; b++)
                        c = count[b], count[b] = sum, sum += c;
                for (size_t i = 0; i < n; i++)
                        to[count[(from[i].key >> shift) & 0xff]++] = from[i];
                t = from, from = to, to = t;
        }
        if (from != v)
                memcpy(v, from, n * sizeof(*v));
        for (size_t i = 0, j; i < n; i = j) {
                for (j = i + 1; j < n && v[j].key == v[i].key; j++)
                        ;
                if (j - i > 1 && (v[i].key & 0xff))
                        merge_dents(v + i, tmp, j - i);        /* names longer than the key */
        }
}

/* S's names hashed, for unit_index_find(). */
static int dir_hash(struct search_dir *s) {
        if (s->n > UINT32_MAX / 4)
                return -ENOMEM;
        for (s->cap = 64; s->cap < 2 * s->n; s->cap *= 2)
                ;
        s->slots = calloc(s->cap, sizeof(*s->slots));
        if (!s->slots)
                return -ENOMEM;
        for (size_t j = 0; j < s->n; j++) {
                size_t k = unit_hash_name(s->v[j].name) & (s->cap - 1);
                while (s->slots[k])
                        k = (k + 1) & (s->cap - 1);
                s->slots[k] = (uint32_t) j + 1;
        }
        return 0;
}

/* Read the directory D into S (names sorted), and the enablement links below it into X. */
static int index_dir(DIR *d, const char *dirpath, struct search_dir *s, struct unit_index *x) {
        _cleanup_strbuf_ struct strbuf names = STRBUF_INIT;
        size_t *off = NULL, n = 0, alloc = 0;
        unsigned char *types = NULL;
        int r = 0;
        for (struct dirent *e; r == 0 && (e = unit_dir_next(d, &r)); ) {
                if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                        continue;       /* "." and ".." */
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 64;
                        size_t *no = realloc(off, alloc * sizeof(*no));
                        unsigned char *nt = no ? realloc(types, alloc) : NULL;
                        if (no)
                                off = no;
                        if (nt)
                                types = nt;
                        if (!no || !nt) {
                                r = -ENOMEM;
                                break;
                        }
                }
                size_t l = strlen(e->d_name);
                off[n] = names.len;
                types[n++] = e->d_type;
                s->n_dirs += l > 2 && e->d_name[l - 2] == '.' && e->d_name[l - 1] == 'd';
                r = strbuf_add(&names, e->d_name, l + 1);
                if (r == 0 && is_dep_dir(e->d_name, l))
                        r = index_dep_dir(dirfd(d), e->d_name, x);
                if (r == 0 && e->d_type == DT_LNK && unit_name_is_valid(e->d_name))
                        r = index_alias(dirfd(d), dirpath, e->d_name, x);
        }
        if (r == 0 && n) {
                s->v = calloc(n, sizeof(*s->v));
                if (!s->v)
                        r = -ENOMEM;
        }
        if (r == 0) {
                s->arena = strbuf_detach(&names, NULL);
                for (size_t i = 0; i < n; i++)
                        s->v[i] = (struct dent) { s->arena + off[i], dent_key(s->arena + off[i]), types[i] };
                s->n = n;
                struct dent *tmp = n > 1 ? malloc(n * sizeof(*tmp)) : NULL;
                if (n > 1 && !tmp)
                        r = -ENOMEM;
                else
                        sort_dents(s->v, tmp, n);
                free(tmp);
                if (r == 0)
                        r = dir_hash(s);
        }
        free(off);
        free(types);
        return r;
}

static int unit_index_build(struct host *h, struct unit_index **ret) {
        struct unit_index *x = calloc(1, sizeof(*x));
        struct stat seen[N_SEARCH];
        int r = 0;
        if (!x)
                return -ENOMEM;
        for (size_t i = 0; i < N_SEARCH; i++)
                x->dirs[i].fd = -1, x->dirs[i].same_as = -1;
        for (size_t i = 0; i < N_SEARCH && r == 0; i++) {
                struct search_dir *s = &x->dirs[i];
                _cleanup_close_ int fd = host_open_file(h, unit_search_path[i], O_RDONLY | O_DIRECTORY);
                unit_counters.opens++;
                if (fd < 0 && fd != -ENOENT && fd != -ENOTDIR) {
                        r = fd;         /* a directory that cannot be read: no unit is judged without it */
                        break;
                }
                if (fd < 0)
                        continue;
                if (fstat(fd, &seen[i]) < 0) {
                        r = -errno;
                        break;
                }
                s->ok = true;
                for (size_t j = 0; j < i; j++)
                        if (x->dirs[j].ok && seen[j].st_dev == seen[i].st_dev && seen[j].st_ino == seen[i].st_ino)
                                s->ok = false, s->same_as = (int) j;
                if (!s->ok)
                        continue;
                int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
                if (!d) {
                        r = -errno;
                        if (dfd >= 0)
                                close(dfd);
                        s->ok = false;
                        break;
                }
                r = index_dir(d, unit_search_path[i], s, x);
                closedir(d);
                s->fd = TAKE_FD(fd);
        }
        if (r < 0) {
                unit_index_free(x);
                return r;
        }
        if (x->n_enabled)
                qsort(x->enabled, x->n_enabled, sizeof(char *), unit_cmp_str);
        if (x->n_aliases)
                qsort(x->aliases, x->n_aliases, sizeof(*x->aliases), cmp_alias);
        for (size_t i = 0; i < N_SEARCH; i++)
                if (x->dirs[i].n_dirs)
                        x->with_dirs[x->n_with_dirs++] = (unsigned char) i;
        *ret = x;
        return 0;
}

int unit_index_get(struct host *h, const struct unit_index **ret) {
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

/* NAME in S, HASH its unit_hash_name(). */
const struct dent *unit_index_find(const struct search_dir *s, const char *name, uint64_t hash) {
        if (!s->ok || !s->n)
                return NULL;
        for (size_t k = hash & (s->cap - 1); s->slots[k]; k = (k + 1) & (s->cap - 1)) {
                unit_counters.compares++;
                if (strcmp(s->v[s->slots[k] - 1].name, name) == 0)
                        return &s->v[s->slots[k] - 1];
        }
        return NULL;
}

bool unit_index_enabled(const struct unit_index *x, const char *name) {
        return x->n_enabled && bsearch(&name, x->enabled, x->n_enabled, sizeof(char *), unit_cmp_str);
}

/* ---- drop-ins ---- */

struct dropin {
        char *base, *path;      /* path "" for a drop-in masked by a link to /dev/null */
        size_t order;           /* position of its directory: the first one of a name wins */
        int dfd;                /* its directory, open: the file is read relative to it */
};

static int cmp_dropin(const void *a, const void *b) {
        const struct dropin *x = a, *y = b;
        int c = strcmp(x->base, y->base);
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

struct dropins {
        struct dropin *v;
        size_t n;
        size_t n_dirs;          /* directories looked at so far */
        int *open;              /* the directories listed, kept open until their files are read */
        size_t n_open;
};

/* One entry of a drop-in directory DIR (open as FD): kept when it is a *.conf file as
 * systemd's conf_files_list() takes them, hidden files left out. */
static int collect_entry(struct host *h, int fd, const char *dir, const char *name, unsigned char type, size_t order,
                         struct dropins *ds) {
        size_t l = strlen(name);
        if (l <= 5 || strcmp(name + l - 5, ".conf") != 0 || name[0] == '.')
                return 0;
        if (grow_due(ds->n)) {
                struct dropin *nv = reallocarray(ds->v, grow_cap(ds->n), sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                ds->v = nv;
        }
        _cleanup_free_ char *target = NULL;
        char *path = unit_path_join(dir, name);
        if (path && (type == DT_LNK || type == DT_UNKNOWN) && unit_read_link(h, dir, name, &target) == 0 && unit_is_dev_null(target)) {
                free(path);
                path = strdup("");      /* masked drop-in: takes the name, adds nothing */
        }
        ds->v[ds->n] = (struct dropin) { strdup(name), path, order, fd };
        if (!ds->v[ds->n].base || !ds->v[ds->n].path) {
                free(ds->v[ds->n].base), free(ds->v[ds->n].path);
                return -ENOMEM;
        }
        ds->n++;
        return 0;
}

/* The *.conf files of the drop-in directory DIR, open as FD (taken), the first directory
 * of a name winning (sorted out later). Read with getdents64() into a buffer on the stack:
 * a drop-in directory holds a few files, and a DIR stream would cost an allocation and
 * two system calls more a directory. */
static int collect_dir_fd(struct host *h, int fd, const char *dir, struct dropins *ds) {
        size_t order = ds->n_dirs++;
        int *no = realloc(ds->open, (ds->n_open + 1) * sizeof(*no));
        if (!no) {
                close(fd);
                return -ENOMEM;
        }
        ds->open = no;
        ds->open[ds->n_open++] = fd;
        _Alignas(struct dirent64) char buf[4096];
        for (;;) {
                ssize_t n = getdents64(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                for (ssize_t off = 0; off < n; ) {
                        const struct dirent64 *e = (const struct dirent64 *) (void *) (buf + off);
                        off += e->d_reclen;
                        int r = collect_entry(h, fd, dir, e->d_name, e->d_type, order, ds);
                        if (r < 0)
                                return r;
                }
        }
}

static int collect_dir(struct host *h, const char *dir, struct dropins *ds) {
        int fd = host_open_file(h, dir, O_RDONLY | O_DIRECTORY);
        unit_counters.opens++;
        if (fd < 0) {
                ds->n_dirs++;
                return 0;
        }
        return collect_dir_fd(h, fd, dir, ds);
}

/* The drop-in directory DNAME ("NAME.d", HASH its unit_hash_name()) in search directory I,
 * when listed there. */
static int add_dir_if_present(struct host *h, const struct unit_index *x, size_t i, const char *dname, uint64_t hash,
                              struct dropins *ds) {
        const struct dent *e = unit_index_find(&x->dirs[i], dname, hash);
        if (!e || (e->type != DT_DIR && e->type != DT_LNK && e->type != DT_UNKNOWN))
                return 0;
        _cleanup_free_ char *path = unit_path_join(unit_search_path[i], dname);
        if (!path)
                return -ENOMEM;
        if (e->type == DT_DIR) {
                int fd = openat(x->dirs[i].fd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                unit_counters.opens++;
                return fd < 0 ? 0 : collect_dir_fd(h, fd, path, ds);
        }
        return collect_dir(h, path, ds);
}

/* systemd's unit_file_find_dirs(), the names only (the same in every search directory):
 * NAME.d, then for an instance the template's, then one level up the dashes
 * ("a-b-c.service" -> "a-b-.service" -> "a-.service"), each with its own template and
 * prefixes in turn. Each name is appended to OUT with its NUL; *N counts them. Built on
 * the stack: every name derived is shorter than NAME, at most UNIT_NAME_MAX bytes. */
static int dir_names(const char *name, struct strbuf *out, size_t *n, unsigned depth) {
        const char *type = unit_type_of(name), *at = strchr(name, '@');
        bool instance = at && at + 1 != type;
        size_t len = strlen(name), plen = (size_t) ((at ? at : type) - name);
        char buf[UNIT_NAME_MAX + 1];
        int r = strbuf_add(out, name, len);
        if (r == 0)
                r = strbuf_add(out, ".d", 3);
        if (r < 0)
                return r;
        (*n)++;
        if (depth > 64 || len > UNIT_NAME_MAX)
                return 0;
        if (instance) {
                size_t tl = (size_t) (at + 1 - name);
                memcpy(buf, name, tl);
                strcpy(buf + tl, type);
                r = dir_names(buf, out, n, depth + 1);
                if (r < 0)
                        return r;
        }
        bool chopped = false;
        memcpy(buf, name, plen);
        buf[plen] = 0;
        for (;;) {
                char *dash = strrchr(buf, '-');
                if (!dash || dash == buf)
                        return 0;
                if (dash[1] || chopped) {
                        dash[1] = 0;
                        break;
                }
                *dash = 0;
                chopped = true;
        }
        size_t p = strlen(buf);
        if (instance) {
                buf[p] = '@';
                strcpy(buf + p + 1, at + 1);
        } else
                strcpy(buf + p, type);
        return dir_names(buf, out, n, depth + 1);
}

/* systemd's unit_file_find_dropin_paths(): the unit's own name along the whole search
 * path, then its other names, then the type ("service.d"), which is the most generic and
 * comes last; the files of one name shadow each other by that order, and all apply
 * sorted by file name. */
int unit_index_load_dropins(struct host *h, const struct unit_index *x, struct unit *u) {
        struct dropins ds = { 0 };
        const char *type = unit_type_of(u->id) + 1, *small[8], **names = small;
        char type_dir[16];      /* "service.d": the longest type is "automount" */
        _cleanup_free_ const char **heap = NULL;
        size_t n_names = 0, n_alias = 0;
        int r = 0;
        memcpy(type_dir, type, strlen(type));
        memcpy(type_dir + strlen(type), ".d", 3);
        /* Its own name, then the other names it has: the one asked for and every alias
         * of it in the search path. */
        struct alias key = { NULL, u->id }, *lo = x->n_aliases ? bsearch(&key, x->aliases, x->n_aliases, sizeof(key), cmp_target) : NULL;
        while (lo && lo > x->aliases && strcmp(lo[-1].target, u->id) == 0)
                lo--;
        while (lo && lo + n_alias < x->aliases + x->n_aliases && strcmp(lo[n_alias].target, u->id) == 0)
                n_alias++;
        if (n_alias + 2 > ELEMENTSOF(small) && !(names = heap = calloc(n_alias + 2, sizeof(*names))))
                return -ENOMEM;
        names[n_names++] = u->id;
        if (strcmp(u->name, u->id) != 0)
                names[n_names++] = u->name;
        for (size_t k = 0; k < n_alias; k++)
                if (strcmp(lo[k].alias, u->name) != 0)
                        names[n_names++] = lo[k].alias;
        struct strbuf *dn = (struct strbuf *) &x->dir_names;
        for (size_t k = 0; k < n_names && r == 0; k++) {
                uint64_t hash_small[16], *hash = hash_small;
                _cleanup_free_ uint64_t *hash_heap = NULL;
                size_t n_dirs = 0, j;
                const char *d;
                strbuf_reset(dn);       /* its room kept */
                if (!strpbrk(names[k], "-@")) {
                        /* No instance, no dash: its own directory is the only name. */
                        r = strbuf_adds(dn, names[k]);
                        if (r == 0)
                                r = strbuf_add(dn, ".d", 3);
                        n_dirs = 1;
                } else
                        r = dir_names(names[k], dn, &n_dirs, 0);
                if (r == 0 && n_dirs > ELEMENTSOF(hash_small) && !(hash = hash_heap = malloc(n_dirs * sizeof(*hash))))
                        r = -ENOMEM;
                for (j = 0, d = dn->buf; j < n_dirs && r == 0; j++, d += strlen(d) + 1)
                        hash[j] = unit_hash_name(d);
                for (size_t w = 0; w < x->n_with_dirs && r == 0; w++)
                        for (j = 0, d = dn->buf; j < n_dirs && r == 0; j++, d += strlen(d) + 1)
                                r = add_dir_if_present(h, x, x->with_dirs[w], d, hash[j], &ds);
        }
        uint64_t type_hash = r == 0 ? unit_hash_name(type_dir) : 0;
        for (size_t w = 0; w < x->n_with_dirs && r == 0; w++)
                r = add_dir_if_present(h, x, x->with_dirs[w], type_dir, type_hash, &ds);
        if (r == 0 && ds.n)
                qsort(ds.v, ds.n, sizeof(*ds.v), cmp_dropin);
        for (size_t i = 0; r == 0 && i < ds.n; i++) {
                if (!*ds.v[i].path || (i > 0 && strcmp(ds.v[i].base, ds.v[i - 1].base) == 0))
                        continue;       /* masked, or shadowed by the same name earlier on the path */
                r = unit_add_dropin(u, ds.v[i].path);
                if (r == 0)
                        r = unit_parse_dropin_at(h, u, u->dropins[u->n_dropins - 1], ds.v[i].dfd, ds.v[i].base);
                if (r > 0)
                        r = 0;
        }
        for (size_t i = 0; i < ds.n; i++)
                free(ds.v[i].base), free(ds.v[i].path);
        for (size_t i = 0; i < ds.n_open; i++)
                close(ds.open[i]);
        free(ds.v);
        free(ds.open);
        return r;
}
