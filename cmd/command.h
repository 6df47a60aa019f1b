/* SPDX-License-Identifier: MIT */
/* Subcommands: one file a command in cmd/, one table in cmd/main.c (after git's builtin.h). */
#pragma once

#include <stdbool.h>

/* Exit statuses shared by all commands. check: 0 pass/skip, 1 warn, 2 fail, 3 could not run. */
enum {
        EXIT_OK = 0,
        EXIT_WARN = 1,
        EXIT_FAIL = 2,
        EXIT_TROUBLE = 3,       /* bad usage, unreadable root, internal failure */
};

struct command {
        const char *name;
        const char *usage;      /* the synopsis after "hostfit NAME" */
        const char *summary;    /* one line for hostfit --help */
        /* argv[0] is the command name; returns the exit status. */
        int (*run)(int argc, char **argv);
};

/* Print "hostfit: MESSAGE" to stderr. The one place diagnostics are written. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last error logged, escaped and cut to a line (for a monitoring plugin's
 * one status line, since Nagios drops stderr); NULL when none was. */
const char *log_last_error(void);
