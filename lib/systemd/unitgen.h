/* SPDX-License-Identifier: MIT */
/* Generating systemd unit files: quoting by systemd's rules, names, the service template.
 *
 * Nothing read from the host is pasted raw into a unit: every argv word is
 * quoted for ExecStart= (with "%" doubled, "$" escaped, control characters and
 * non-UTF-8 bytes as \xNN escapes), so no argv can add a line or a directive.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "text/strbuf.h"

struct host;

/* Append ARGV (ARGC words) to OUT as an ExecStart= value that systemd parses back to exactly ARGV.
 * -EINVAL when argv[0] cannot be the program as written (not an absolute normalized path or a
 * file name, begins with one of systemd's "-@:+!" flags, holds "$"): use unit_quote_exec_path(). */
int unit_quote_exec_argv(struct strbuf *out, char *const *argv, size_t argc);
/* The same as "@PATH ARGV0 ARGV1 …": PATH (absolute) is run, ARGV[0] may be any text. */
int unit_quote_exec_path(struct strbuf *out, const char *path, char *const *argv, size_t argc);
/* Append S as one quoted ExecStart= argument after the program ("%" and "$" doubled). */
int unit_quote_exec_word(struct strbuf *out, const char *s);
/* Append S as one quoted value for a setting that systemd unquotes, such as Environment= ("%" doubled).
 * (WorkingDirectory=, User= are taken literally: unitgen_service() writes those.) */
int unit_quote_value(struct strbuf *out, const char *s);
/* Parse an ExecStart= value back into words (systemd's rules), for tests and for reading units. */
int unit_split_exec(const char *value, char ***ret_argv, size_t *ret_argc);
/* A valid unit name "hostfit-PREFIX.service" from free text (e.g. "node-3000"): [A-Za-z0-9:_.-] kept, others as systemd escapes them. */
int unit_name_make(const char *prefix, const char *suffix, char **ret);

struct unit_spec {
        const char *name;               /* "hostfit-node-3000.service" */
        const char *description;        /* free text; newlines refused */
        char *const *argv;              /* exact argv of the service */
        const char *exec_path;          /* NULL: argv[0] is the program; else the absolute path run with argv */
        size_t argc;
        const char *working_directory;  /* NULL: none */
        const char *user;               /* NULL: root */
        const char *group;              /* NULL: the user's */
        const char *const *environment; /* NULL-terminated "NAME=value", already allowlisted */
        uint64_t memory_high;           /* bytes, 0: unset */
        uint64_t memory_max;            /* bytes, 0: unset */
        bool has_oom_score_adjust;
        int oom_score_adjust;
        const char *restart;            /* NULL: "on-failure" */
        unsigned restart_sec;           /* 0: 5 */
};

/* Render the "service.service" template for S (override in ROOT/etc/hostfit/templates/). */
int unitgen_service(const struct host *h, const struct unit_spec *s, char **ret, size_t *ret_len, char **ret_error);

/* ---- units for running processes (lib/procs/unitgen-proc.c) ----
 *
 * Every unit hostfit writes for a process it found running comes from here, whichever
 * check asks: the program the kernel runs (/proc/PID/exe: an nvm node is not a bare
 * "node"), the cwd, User=/Group= by name or, without a passwd/group entry, by number
 * (never root for someone else), and the allowlisted environment. */

struct proc;

/* What a unit for a running process needs, read once from ROOT/proc/PID. */
struct unit_proc {
        pid_t pid;
        char **argv;            /* NULL-terminated */
        size_t argc;
        char *exe;              /* the target of /proc/PID/exe; NULL when unreadable or deleted */
        char *cwd;              /* NULL when unreadable or deleted */
        uid_t uid;              /* the real ids, from status Uid:/Gid: (else the owner of /proc/PID) */
        gid_t gid;
        char *user;             /* name from ROOT/etc/passwd (live: or NSS), else the uid as a number; NULL for root */
        char *group;            /* name from ROOT/etc/group, else the gid as a number; NULL for root */
        bool user_known;        /* user is a name (ROOT/etc/passwd, or NSS on the running system), not a number */
        bool user_missing;      /* the running system's NSS knows no such uid either: systemd would refuse it */
        char **env;             /* allowlisted NAME=value, NULL-terminated */
        char **env_dropped;     /* the names (never the values) of the other variables a service could
                                 * need, NULL-terminated; a login session's own (HOME, TERM, SSH_*) left out */
        uint16_t port;          /* first listening TCP port, 0: none */
        uint64_t rss;
        uint64_t hwm;           /* the most it was resident over its life (status VmHWM:), at least rss */
        double age;             /* seconds it has run, 0: unknown */
        bool env_read;          /* env and env_dropped were read (unit_proc_read_env()) */
};

/* The environment a unit may copy from a process: NODE_ENV PORT HOST … (never tokens or passwords). */
bool unitgen_env_allowed(const char *entry);
/* All of P a unit needs: its facts and its environment. */
int unit_proc_read(struct host *h, const struct proc *p, struct unit_proc **ret);
/* The facts a check reports (argv, exe, cwd, ids, port), without the environment, which
 * only a fix needs: unit_proc_read_env() reads it when the fix asks (once; 0 or -ENOMEM). */
int unit_proc_read_facts(struct host *h, const struct proc *p, struct unit_proc **ret);
int unit_proc_read_env(struct host *h, struct unit_proc *u);
struct unit_proc *unit_proc_free(struct unit_proc *u);
void unit_proc_freep(struct unit_proc **u);

/* How a unit departs from the process as it runs; zeroes keep the process's. */
struct unit_proc_spec {
        const char *name;                       /* "hostfit-node-3000.service" (required) */
        const char *description;                /* NULL: the command */
        char *const *argv;                      /* NULL: the process's argv; else this command (e.g. "next start"), */
        size_t argc;                            /*   run with the process's exe when argv[0] names the same program */
        const char *exec_path;                  /* NULL: as above; else the absolute program ARGV runs (a PATH lookup) */
        const char *const *environment;         /* NAME=value entries set over the process's, NULL-terminated */
        uint64_t memory_high, memory_max;       /* bytes, 0: unset */
        bool has_oom_score_adjust;
        int oom_score_adjust;
        const char *restart;                    /* NULL: "on-failure" */
        unsigned restart_sec;                   /* 0: 5 */
};

/* The unit file for U as S says. -EINVAL (with *ret_error) when it cannot be written exactly;
 * -ENOEXEC when the program is not known exactly (no exe and argv[0] is not an absolute path);
 * -ESRCH when U's uid has no user entry at all (systemd refuses User= then, and without it the
 * unit would run as root). */
int unitgen_process(const struct host *h, const struct unit_proc *u, const struct unit_proc_spec *s,
                    char **ret, size_t *ret_len, char **ret_error);
/* The program a unit for U with ARGV runs: U's exe when ARGV[0] names it, else NULL (ARGV[0] is). */
const char *unitgen_exec_path(const struct unit_proc *u, char *const *argv);
