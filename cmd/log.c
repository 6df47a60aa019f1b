/* SPDX-License-Identifier: MIT */
/* Diagnostics: "hostfit: MESSAGE" on stderr, the one place they are written. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "text/cleanup.h"
#include "command.h"
#include "text/escape.h"

/* Messages may quote host bytes (a config value, a path in an image): escape
 * the whole line so nothing in it can drive the terminal. */
static char last_error[512];

static void log_line(const char *prefix, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL, *esc = NULL;
        if (vasprintf(&msg, fmt, ap) < 0) {
                fputs("hostfit: out of memory\n", stderr);
                return;
        }
        esc = escape_terminal_str(msg);
        /* What stdout holds so far comes first, also when both go to one file. */
        fflush(stdout);
        fprintf(stderr, "hostfit: %s%s\n", prefix, esc ? esc : "out of memory");
        if (!*prefix)
                snprintf(last_error, sizeof(last_error), "%s", esc ? esc : "out of memory");
}

const char *log_last_error(void) {
        return last_error[0] ? last_error : NULL;
}

void log_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_line("", fmt, ap);
        va_end(ap);
}

void log_warning(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_line("warning: ", fmt, ap);
        va_end(ap);
}
