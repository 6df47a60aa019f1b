/* SPDX-License-Identifier: MIT */
/* The search-path index (unit-index.c), shared by units.c alone: the directories of
 * unit_search_path listed once a run, the lookups over them, and the drop-in lookup.
 * The index belongs to the host's cache; what it hands out is borrowed from it. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text/strbuf.h"

struct host;
struct unit;

#define N_SEARCH 13     /* the entries of unit_search_path */

/* A search-path directory listed once: every entry's name and type, sorted for listing,
 * and hashed, so finding a unit's file or its drop-in directories is a lookup, not a
 * probe per name. */
struct dent {
        const char *name;       /* in the directory's arena */
        uint64_t key;           /* its first 8 bytes, big-endian, zero after its end: most
                                 * comparisons in sorting end here, without strcmp() */
        unsigned char type;     /* DT_* from readdir */
};

struct search_dir {
        bool ok;                /* exists, and is not the same directory as an earlier one (/lib -> usr/lib) */
        int same_as;            /* that earlier one's position, else -1 */
        int fd;                 /* the directory, open: unit files are opened relative to it */
        char *arena;
        struct dent *v;
        size_t n;
        size_t n_dirs;          /* entries named *.d: drop-in directories are looked for only where some are */
        uint32_t *slots;        /* open addressing over v: 1 + position, 0 empty; a power of two */
        size_t cap;
};

struct alias;            /* a link to a unit of another name (unit-index.c) */

struct unit_index {
        struct search_dir dirs[N_SEARCH];
        struct alias *aliases;  /* sorted by target */
        size_t n_aliases;
        char **enabled;         /* names linked from .wants/ .requires/ .upholds/, sorted */
        size_t n_enabled;
        unsigned char with_dirs[N_SEARCH];      /* the directories where n_dirs > 0, in order */
        size_t n_with_dirs;
        struct strbuf dir_names;        /* scratch of unit_index_load_dropins(), kept between units: no
                                         * part of what the index says, so written through a const index */
};

static inline bool unit_is_dev_null(const char *p) {
        return strcmp(p, "/dev/null") == 0;
}

/* The index of H's search path, built on first use and kept with the host. */
int unit_index_get(struct host *h, const struct unit_index **ret);
/* NAME in S, HASH its unit_hash_name(); NULL when S does not list it. */
const struct dent *unit_index_find(const struct search_dir *s, const char *name, uint64_t hash);
/* Whether NAME is linked from a .wants/, .requires/ or .upholds/ directory of the path. */
bool unit_index_enabled(const struct unit_index *x, const char *name);
/* U's drop-ins along the search path (its names, its aliases', its type's), parsed into U. */
int unit_index_load_dropins(struct host *h, const struct unit_index *x, struct unit *u);

/* True when PATH lies in a directory of the search path: a link there is an alias. */
bool unit_in_search_path(const char *path);
/* NAME's type suffix (".service"), NULL when it has none systemd knows. */
const char *unit_type_of(const char *name);
/* "foo@bar.service" -> "foo@.service"; NULL when NAME is not an instance (or on -ENOMEM). */
char *unit_template_of(const char *name);
/* DIR "/" NAME; NULL on -ENOMEM. */
char *unit_path_join(const char *dir, const char *name);
/* A link in a unit directory: "/dev/null" masks; otherwise the path it names, within the root. */
int unit_read_link(struct host *h, const char *dir, const char *name, char **ret);
/* readdir(), but a failed read sets *R to -errno instead of looking like the end. */
struct dirent *unit_dir_next(DIR *d, int *r);
/* strcmp() of two char * for qsort() and bsearch(), counted in unit_counters. */
int unit_cmp_str(const void *a, const void *b);
