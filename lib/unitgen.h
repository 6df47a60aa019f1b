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

#include "strbuf.h"

struct host;

/* Append ARGV (ARGC words) to OUT as an ExecStart= value that systemd parses back to exactly ARGV.
 * -EINVAL when argv[0] cannot be the program as written (not an absolute normalized path or a
 * file name, begins with one of systemd's "-@:+!" flags, holds "$"): use unit_quote_exec_path(). */
int unit_quote_exec_argv(struct strbuf *out, char *const *argv, size_t argc);
/* The same as "@PATH ARGV0 ARGV1 …": PATH (absolute) is run, ARGV[0] may be any text. */
int unit_quote_exec_path(struct strbuf *out, const char *path, char *const *argv, size_t argc);
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
