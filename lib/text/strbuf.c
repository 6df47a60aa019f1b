/* SPDX-License-Identifier: MIT */
/* A growable byte string. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/strbuf.h"

int strbuf_grow(struct strbuf *sb, size_t extra) {
        if (extra > SIZE_MAX - sb->len - 1)
                return -ENOMEM;
        size_t need = sb->len + extra + 1;
        if (need <= sb->alloc)
                return 0;
        size_t n = sb->alloc ? sb->alloc : 64;
        while (n < need)
                n = n > SIZE_MAX / 2 ? need : n * 2;
        char *p = realloc(sb->buf, n);
        if (!p)
                return -ENOMEM;
        if (!sb->buf)
                p[0] = '\0';
        sb->buf = p;
        sb->alloc = n;
        return 0;
}

int strbuf_read_fd(struct strbuf *sb, int fd, size_t max) {
        for (;;) {
                int r = strbuf_grow(sb, 4096);
                if (r < 0)
                        return r;
                ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                sb->len += (size_t) n;
                sb->buf[sb->len] = '\0';
                if (sb->len > max)
                        return -EFBIG;
        }
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len) {
        int r = strbuf_grow(sb, len);
        if (r < 0)
                return r;
        if (len)
                memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = '\0';
        return 0;
}

int strbuf_adds(struct strbuf *sb, const char *s) {
        return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, char c) {
        return strbuf_add(sb, &c, 1);
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) {
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0)
                return -EINVAL;
        int r = strbuf_grow(sb, (size_t) n);
        if (r < 0)
                return r;
        vsnprintf(sb->buf + sb->len, (size_t) n + 1, fmt, ap);
        sb->len += (size_t) n;
        return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = strbuf_vaddf(sb, fmt, ap);
        va_end(ap);
        return r;
}

void strbuf_reset(struct strbuf *sb) {
        sb->len = 0;
        if (sb->buf)
                sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb) {
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
}

char *strbuf_detach(struct strbuf *sb, size_t *ret_len) {
        char *p = sb->buf;
        size_t len = sb->len;
        if (!p) {
                p = strdup("");
                len = 0;
        }
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        if (ret_len)
                *ret_len = len;
        return p;
}

const char *strbuf_str(const struct strbuf *sb) {
        return sb->buf ? sb->buf : "";
}

char *strjoin_(const char *a, ...) {
        va_list ap;
        size_t len = 0;
        va_start(ap, a);
        for (const char *s = a; s; s = va_arg(ap, const char *))
                len += strlen(s);
        va_end(ap);
        char *p = malloc(len + 1), *w = p;
        if (!p)
                return NULL;
        va_start(ap, a);
        for (const char *s = a; s; s = va_arg(ap, const char *)) {
                size_t l = strlen(s);
                memcpy(w, s, l);
                w += l;
        }
        va_end(ap);
        *w = 0;
        return p;
}

int str_vformat(char **ret, const char *fmt, va_list ap) {
        const char *arg[8];
        size_t alen[8], n = 0, len = strlen(fmt);
        for (const char *p = fmt; (p = strchr(p, '%')); p += 2, n++)
                if (p[1] != 's' || n == sizeof(arg) / sizeof(arg[0]))
                        return vasprintf(ret, fmt, ap);
        for (size_t i = 0; i < n; i++) {
                const char *s = va_arg(ap, const char *);
                arg[i] = s ? s : "(null)";
                alen[i] = strlen(arg[i]);
                len += alen[i] - 2;
        }
        if (len > INT_MAX)
                return -1;
        char *b = malloc(len + 1), *o = b;
        if (!b)
                return -1;
        const char *p = fmt;
        for (size_t i = 0; i < n; i++) {
                const char *q = strchr(p, '%');
                memcpy(o, p, (size_t) (q - p));
                o += q - p;
                memcpy(o, arg[i], alen[i]);
                o += alen[i];
                p = q + 2;
        }
        strcpy(o, p);
        *ret = b;
        return (int) len;
}
