/* SPDX-License-Identifier: MIT */
/* Unified diffs of two byte buffers, line by line, as GNU diff -u prints them. */
#pragma once

#include <stddef.h>

#include "text/strbuf.h"

#define DIFF_CONTEXT 3

enum diff_line {
        DIFF_HEADER_OLD,        /* "--- a/etc/fstab" or "--- /dev/null" */
        DIFF_HEADER_NEW,        /* "+++ b/etc/fstab" */
        DIFF_HUNK,              /* "@@ -1,3 +1,4 @@" */
        DIFF_CONTEXT_LINE,      /* " text" */
        DIFF_DELETE,            /* "-text" */
        DIFF_INSERT,            /* "+text" */
        DIFF_NO_NEWLINE,        /* "\ No newline at end of file" */
};

/* Called once per output line; S is the whole line without its newline (it
 * holds raw host bytes). A negative return stops the diff and is returned. */
typedef int (*diff_emit_fn)(void *userdata, enum diff_line type, const char *s, size_t len);

/* Compare OLD and NEW. OLD (or NEW) NULL means the file does not exist and
 * labels it /dev/null. Labels are printed as given ("a/etc/fstab"). Nothing is
 * emitted when the contents are identical. 0 or -errno. */
int diff_emit(const char *old_label, const char *old, size_t old_len,
              const char *new_label, const char *new, size_t new_len,
              diff_emit_fn emit, void *userdata);

/* The same appended to OUT as text, each line ending in "\n". */
int diff_unified(struct strbuf *out,
                 const char *old_label, const char *old, size_t old_len,
                 const char *new_label, const char *new, size_t new_len);
