/* SPDX-License-Identifier: MIT */
/* The unit model: unit files read under the root as systemd reads them.
 *
 * The system search path in systemd's order (the first file of a name wins),
 * masks, aliases, template instances, drop-ins (NAME.d/, prefix and type
 * drop-ins) merged in lexical order. A unit is loaded by name, on demand, once
 * a run: the search path is listed once (the index, with enablement links and
 * aliases), each unit file and drop-in is read once, and every check shares
 * what was read (unit-cache.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/cleanup.h"
#include "text/strv.h"
#include "systemd/unitname.h"

struct host;

/* Where the unit files live, highest priority first. */
extern const char *const unit_search_path[];

struct unit_assignment {
        char *section;          /* "Service" */
        char *key;              /* "MemoryMax" */
        char *value;            /* whitespace-trimmed, continuations joined; "" resets */
        const char *file;       /* borrowed from struct unit's files */
        unsigned line;
};

/* A line systemd would ignore with a warning: kept so a check can name it. */
struct unit_issue {
        const char *file;
        unsigned line;
        char *message;
};

struct unit {
        char *name;             /* as asked: "nginx.service" */
        char *id;               /* the name of the file that defines it (differs for an alias or instance) */
        char *fragment;         /* path within the root of the defining file, NULL when none */
        bool masked;            /* the first file of the name is a link to /dev/null (or empty file) */
        bool enabled;           /* linked from a .wants/ or .requires/ directory */
        char **dropins;         /* paths in the order applied, NULL-terminated */
        size_t n_dropins, alloc_dropins;
        struct unit_assignment *a;      /* every assignment, fragment first then drop-ins */
        size_t n_a, alloc_a;
        struct unit_issue *issues;
        size_t n_issues, alloc_issues;
        bool bad;               /* a file has a line systemd refuses the unit for (a section header without "]") */
        const char *bad_file;   /* where, borrowed like the other paths */
        unsigned bad_line;
        char **files;           /* every file read, NULL-terminated: the paths above are these */
        size_t n_files, alloc_files;
        struct unit_text *text; /* while parsing, owner of every string but name and id (NULL in a unit unit_load() gave) */
};

/* NAME, read and parsed the first time any check asks for it, then kept with the host
 * and shared: the unit is borrowed, valid until host_free(), and never freed by the
 * caller. -ENOENT when no file defines it (and no drop-in exists), -EINVAL on a bad name
 * (both remembered as well). Unreadable or malformed files are issues, not failures. */
int unit_load(struct host *h, const char *name, const struct unit **ret);
/* Frees a unit of one's own (from unit_parse_buffer() on a calloc'd unit whose name and
 * id are the caller's strdup()s), never one unit_load() returned. */
struct unit *unit_free(struct unit *u);
/* Drops U's assignments from the Nth on: a drop-in parsed to try it, taken out again. */
void unit_drop_assignments(struct unit *u, size_t n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct unit *, unit_free);

/* The value in effect: the last assignment of SECTION/KEY; NULL when unset or reset by "". */
const char *unit_get(const struct unit *u, const char *section, const char *key);
/* The assignment in effect (for its file and line), NULL as above. */
const struct unit_assignment *unit_get_assignment(const struct unit *u, const char *section, const char *key);

enum unit_limit {
        UNIT_LIMIT_UNSET,       /* no MemoryMax=, or reset by an empty one */
        UNIT_LIMIT_INFINITY,    /* MemoryMax=infinity */
        UNIT_LIMIT_BYTES,
        UNIT_LIMIT_PERCENT,     /* of physical memory; the value is in parts per 10000 */
};

/* A memory setting (MemoryMax, MemoryHigh, MemoryLimit, …) as systemd 252 reads it from
 * the unit's section ([Service] of a .service): assignments in order, an invalid value
 * (systemd logs "ignoring") leaves the one before in effect, an empty one resets. */
struct unit_memory {
        enum unit_limit kind;
        uint64_t value;                         /* bytes, or parts per 10000 for PERCENT */
        const struct unit_assignment *set;      /* the assignment in effect; NULL when UNSET */
        const struct unit_assignment *ignored;  /* the last assignment systemd ignored, or NULL */
};
void unit_memory_get(const struct unit *u, const char *key, struct unit_memory *ret);
/* The kind of unit_memory_get(), and its value in *ret_value when not NULL. */
enum unit_limit unit_memory_setting(const struct unit *u, const char *key, uint64_t *ret_value);
/* A PERCENT value in bytes as systemd computes it: whole pages of PHYSICAL memory. */
uint64_t unit_memory_scale(uint64_t permyriad, uint64_t physical, uint64_t page_size);

/* systemd's parse_size(S, 1024): 0 and the bytes in *ret, or -EINVAL/-ERANGE. */
int unit_parse_size(const char *s, uint64_t *ret);
/* systemd's parse_permyriad(): 0..10000, or -EINVAL/-ERANGE. */
int unit_parse_permyriad(const char *s);

/* Service settings as systemd 252 reads them from [Service]: an invalid value, the
 * empty one included, is ignored and leaves the one before in effect. */
#define UNIT_USEC_INFINITY UINT64_MAX
/* Restart=: "no" (the default), "on-success", "on-failure", "on-abnormal",
 * "on-watchdog", "on-abort" or "always"; a static string. */
const char *unit_service_restart(const struct unit *u);
/* RestartSec= in microseconds (default 100ms), UNIT_USEC_INFINITY for "infinity". */
uint64_t unit_service_restart_usec(const struct unit *u);
/* systemd's parse_sec(): "1min 30s", "1.5", "100ms", "infinity"; -EINVAL/-ERANGE. */
int unit_parse_sec(const char *s, uint64_t *ret);

/* Names of the units of TYPE (".service") whose file lies in DIR (one of the
 * search path): NULL-terminated, sorted; templates and links left out. A DIR
 * that does not exist lists nothing; one that cannot be read is -errno. */
int units_list_dir(struct host *h, const char *dir, const char *type, char ***ret);
/* Names of the units of TYPE (".service") with an entry NAME.d (a drop-in directory) in DIR,
 * one of the search path, as the index listed it: no second listing. NULL-terminated,
 * sorted. A DIR that does not exist lists nothing; -EINVAL for a DIR not on the search
 * path, else the index's error. */
int units_list_dropin_dirs(struct host *h, const char *dir, const char *type, char ***ret);
