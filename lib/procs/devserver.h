/* SPDX-License-Identifier: MIT */
/* Dev servers and dev runtimes: the one table of their command lines, and the
 * matcher that reads a process's argv (and, when a pattern needs it, its environ). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "host/host.h"
#include "text/strbuf.h"

/* Lists are space-separated words. */
struct devserver_pattern {
        const char *id;          /* stable, for [dev-server] allow: "vite", "next-dev" */
        const char *framework;   /* shown: "Vite dev server" */
        const char *tools;       /* the tool's name: argv[0]'s, or the script's under an interpreter */
        const char *interp;      /* match the interpreter itself (node, php) instead of the tool */
        const char *subs;        /* the first positional argument must be one of these; NULL: any */
        const char *valued;      /* options that take the next word as their value (not a positional) */
        const char *not_subs;    /* positional arguments that mean a build or a production server */
        const char *scripts;     /* package runners: the script run ("npm run dev") */
        const char *flags;       /* one of these options makes it a dev server */
        const char *not_flags;   /* options (or "opt value" pairs) that mean production */
        const char *loaders;     /* an interpreter --import/--loader/-r value holding one of these */
        const char *env;         /* environment entries that make it a dev server (when flags do not) */
        const char *not_env;     /* environment entries that mean production */
        bool wrapper;            /* runs another tool: a more specific match names the group */
        const char *prod_sub;    /* the exact production subcommand replacing the dev one */
        const char *drop;        /* options that exist only in dev mode, dropped from the production argv */
        const char *prereq;      /* what must run before the production command */
        const char *steps;       /* what to do instead, when there is no exact production command */
};

extern const struct devserver_pattern devserver_patterns[];     /* NULL-id-terminated */

enum devserver_verdict {
        DEVSERVER_NONE,          /* not a tool of the table */
        DEVSERVER_NOT_DEV,       /* the tool, run for production (next start, vite build) */
        DEVSERVER_UNKNOWN,       /* the answer is in an environ that cannot be read */
        DEVSERVER_DEV,
};

/* Reads P's environ (NUL-separated) on demand: 0, or -errno when unreadable. */
typedef int (*devserver_env_fn)(void *userdata, const struct proc *p, const char **ret_env, size_t *ret_len);

/* The verdict for P and the pattern it fits (set unless NONE). ENV may be NULL (environ unknown). */
enum devserver_verdict devserver_match(const struct proc *p, devserver_env_fn env, void *userdata,
                                       const struct devserver_pattern **ret_pattern);

/* The pattern with this id, or NULL. */
const struct devserver_pattern *devserver_pattern_find(const char *id);

/* True when NAME (a process or tool name) is a server runtime or a tool of the table. */
bool devserver_is_server_name(const char *name);

/* P's argv as words, a rewritten title ("npm run dev") split at spaces.
 * ret_tool: index of the tool's word (after an interpreter and its options). */
struct devserver_cmd {
        char **words;            /* owned, NULL-terminated */
        size_t n;
        size_t tool;             /* index of the tool's word */
        char *interp;            /* the interpreter's name, or NULL */
        char *tool_name;         /* basename of the tool, extension stripped */
        char *package;           /* the npm package the tool's script is in, or NULL */
        bool title;              /* argv was a rewritten process title */
};
int devserver_cmd_parse(const struct proc *p, struct devserver_cmd *ret);
void devserver_cmd_done(struct devserver_cmd *c);

/* Whether ENV (NUL-separated NAME=value entries) holds one of the space-separated ENTRIES. */
bool devserver_env_has(const char *env, size_t len, const char *entries);
/* Whether WORD is one of the space-separated LIST. */
bool devserver_word_in(const char *word, const char *list);

/* P's environ (NUL-separated, at most 128 KiB, truncated beyond): 0 or -errno
 * (-EISDIR, -EACCES, -ENOENT when it cannot be read). */
int devserver_read_environ(const struct host *h, pid_t pid, char **ret, size_t *ret_len);
/* P's working directory, the target of ROOT/proc/PID/cwd as the kernel shows it. */
int devserver_read_cwd(const struct host *h, pid_t pid, char **ret);

/* "in tmux (tmux: server → bash → node), unit session-3.scope": where P runs, raw host bytes. */
int devserver_describe_place(const struct proc_table *t, const struct proc *p, struct strbuf *out);

/* The facts a dev-server finding hands to its fix. */
struct devserver_finding {
        pid_t pid;                                /* the outermost process of the dev server */
        pid_t launcher;                           /* the process whose argv has an exact production command, or 0 */
        const struct devserver_pattern *pattern;  /* the framework */
        uint64_t rss;                             /* bytes, all its processes */
        char container[64];                       /* "docker 0123456789ab": a container's, no host fix; "" on the host */
        char unit[256];                           /* the .service it already runs in, "" when none */
        bool user_unit;                           /* that unit is a user manager's (systemctl --user) */
};
