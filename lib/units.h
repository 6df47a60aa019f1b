/* The unit model: unit files read under the root as systemd reads them.
 *
 * The system search path in systemd's order (the first file of a name wins),
 * masks, aliases, template instances, drop-ins (NAME.d/, prefix and type
 * drop-ins) merged in lexical order. A unit is loaded by name, on demand;
 * the enablement index is built once a run and kept with the host.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

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
        size_t n_dropins;
        struct unit_assignment *a;      /* every assignment, fragment first then drop-ins */
        size_t n_a;
        struct unit_issue *issues;
        size_t n_issues;
        char **files;           /* owner of the path strings above */
        size_t n_files;
};

/* Load NAME. -ENOENT when no file defines it (and no drop-in exists), -EINVAL on a bad name.
 * Unreadable or malformed files are issues, not failures. */
int unit_load(struct host *h, const char *name, struct unit **ret);
struct unit *unit_free(struct unit *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct unit *, unit_free);

/* The value in effect: the last assignment of SECTION/KEY; NULL when unset or reset by "". */
const char *unit_get(const struct unit *u, const char *section, const char *key);
/* The assignment in effect (for its file and line), NULL as above. */
const struct unit_assignment *unit_get_assignment(const struct unit *u, const char *section, const char *key);

enum unit_limit {
        UNIT_LIMIT_UNSET,       /* no MemoryMax=, or reset */
        UNIT_LIMIT_INFINITY,    /* MemoryMax=infinity */
        UNIT_LIMIT_BYTES,
        UNIT_LIMIT_PERCENT,     /* of physical memory; *ret_value is per mille */
        UNIT_LIMIT_INVALID,     /* a value systemd would refuse (then it is unset) */
};
/* The effective value of a memory setting such as "MemoryMax". */
enum unit_limit unit_memory_setting(const struct unit *u, const char *key, uint64_t *ret_value);

/* A valid unit name of a known type ("foo.service", "foo@bar.service", "foo@.service"). */
bool unit_name_is_valid(const char *name);
/* True for "foo@.service". */
bool unit_name_is_template(const char *name);
/* systemd-escape of free text as an instance name ("a-b/c" -> "a\x2db-c"). */
int unit_instance_escape(const char *s, char **ret);

/* Names of the units of TYPE (".service") whose file lies in DIR (one of the
 * search path): NULL-terminated, sorted; templates and links left out. */
int units_list_dir(struct host *h, const char *dir, const char *type, char ***ret);
void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }
