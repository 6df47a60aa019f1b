/* SPDX-License-Identifier: MIT */
/* A growable byte string (after git's strbuf): always NUL-terminated, may hold NULs. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
        char *buf;      /* owned; NULL until the first add */
        size_t len;
        size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

/* All return 0, or -ENOMEM (the buffer is then unchanged). */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append all FD reads until end of file (EINTR retried). -EFBIG once the buffer
 * holds more than MAX bytes, -errno of read(), or -ENOMEM. */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t max);

void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Returns the buffer (never NULL: "" when empty, or NULL on -ENOMEM) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *ret_len);
/* The contents as a C string ("" when empty); valid until the next change. */
const char *strbuf_str(const struct strbuf *sb);

/* A and the strings after it up to a NULL, joined in one allocation without printf;
 * NULL on -ENOMEM (systemd's strjoin()). */
char *strjoin_(const char *a, ...) __attribute__((sentinel));
#define strjoin(...) strjoin_(__VA_ARGS__, NULL)

/* vasprintf(), the same bytes and the same return (the length, or -1 with *RET undefined),
 * without printf's machinery for a format whose only conversions are "%s" (a line of
 * text around paths and names, most of what a report says); any other goes to vasprintf(). */
int str_vformat(char **ret, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static inline void strbuf_releasep(struct strbuf *sb) { strbuf_release(sb); }
#define _cleanup_strbuf_ __attribute__((cleanup(strbuf_releasep)))
