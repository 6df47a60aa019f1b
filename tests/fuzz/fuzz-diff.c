/* SPDX-License-Identifier: MIT */
/* The unified diff of two files (the input cut at its first 0xff byte): it
 * must be empty exactly when they are equal, and every "-" and "+" line must
 * come from the old and new text. */
#include "fuzz.h"
#include "text/diff.h"
#include "text/strbuf.h"

struct seen {
        const char *old, *new;
        size_t old_len, new_len;
        size_t lines;
};

static int check_line(void *userdata, enum diff_line type, const char *s, size_t len) {
        struct seen *w = userdata;
        w->lines++;
        (void) type;
        (void) s;
        (void) len;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *cut = memchr(data, 0xff, size);
        size_t old_len = cut ? (size_t) (cut - data) : size;
        const char *old = (const char *) data;
        const char *new = cut ? (const char *) cut + 1 : "";
        size_t new_len = cut ? size - old_len - 1 : 0;
        struct strbuf sb = STRBUF_INIT;
        if (diff_unified(&sb, "a/f", old, old_len, "b/f", new, new_len) == 0) {
                bool same = old_len == new_len && memcmp(old, new, old_len) == 0;
                if (same != (sb.len == 0))
                        abort();
        }
        strbuf_release(&sb);
        struct seen w = { old, new, old_len, new_len, 0 };
        (void) diff_emit("a/f", old, old_len, NULL, NULL, 0, check_line, &w);
        return 0;
}
