/* SPDX-License-Identifier: MIT */
/* Escaping for terminals and JSON. */
#include <errno.h>
#include <string.h>

#include "text/escape.h"

size_t utf8_valid_len(const unsigned char *s, size_t len) {
        if (len == 0)
                return 0;
        unsigned char c = s[0];
        size_t n;
        unsigned cp;
        if (c < 0x80)
                return 1;
        else if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        return n;
}

static int add_hex(struct strbuf *out, unsigned char c) {
        static const char digits[] = "0123456789abcdef";
        char x[4] = { '\\', 'x', digits[c >> 4], digits[c & 15] };
        return strbuf_add(out, x, sizeof(x));
}

/* Runs of printable bytes are copied whole; each control byte, C1 control or byte of no
 * valid UTF-8 sequence becomes \xNN. */
int escape_terminal(struct strbuf *out, const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *) str;
        size_t run = 0, i = 0;
        int r = 0;
        while (i < len && r == 0) {
                unsigned char c = s[i];
                size_t n = c >= 0x20 && c < 0x7f ? 1 : utf8_valid_len(s + i, len - i);
                /* C1 controls (U+0080..U+009F) are two bytes: 0xc2 0x80..0x9f. */
                bool c1 = n == 2 && c == 0xc2 && s[i + 1] < 0xa0;
                if ((n == 1 && (c < 0x20 || c == 0x7f) && c != '\t') || n == 0 || c1) {
                        r = strbuf_add(out, s + run, i - run);
                        if (r == 0)
                                r = add_hex(out, c);
                        if (c1 && r == 0)
                                r = add_hex(out, s[i + 1]);
                        n = c1 ? 2 : 1;
                        run = i + n;
                }
                i += n;
        }
        return r == 0 ? strbuf_add(out, s + run, len - run) : r;
}

char *escape_terminal_str(const char *s) {
        struct strbuf sb = STRBUF_INIT;
        if (escape_terminal(&sb, s ? s : "", s ? strlen(s) : 0) < 0) {
                strbuf_release(&sb);
                return NULL;
        }
        return strbuf_detach(&sb, NULL);
}

void json_init(struct json *j, FILE *f) {
        memset(j, 0, sizeof(*j));
        j->f = f;
}

static void json_put(struct json *j, const char *s) {
        if (!j->error && fputs(s, j->f) == EOF)
                j->error = -EIO;
}

/* Before a value: a comma after a sibling, nothing after a key. */
static void json_value_prefix(struct json *j) {
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->need_comma[j->depth])
                json_put(j, ",");
        j->need_comma[j->depth] = true;
}

static void json_open(struct json *j, const char *c) {
        json_value_prefix(j);
        json_put(j, c);
        if (j->depth + 1 >= sizeof(j->need_comma)) {
                j->error = -E2BIG;
                return;
        }
        j->need_comma[++j->depth] = false;
}

static void json_close(struct json *j, const char *c) {
        if (j->depth > 0)
                j->depth--;
        json_put(j, c);
}

void json_object_begin(struct json *j) { json_open(j, "{"); }
void json_object_end(struct json *j) { json_close(j, "}"); }
void json_array_begin(struct json *j) { json_open(j, "["); }
void json_array_end(struct json *j) { json_close(j, "]"); }

static void json_raw_string(struct json *j, const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *) str;
        json_put(j, "\"");
        for (size_t i = 0; i < len; ) {
                char buf[16];
                size_t n = utf8_valid_len(s + i, len - i);
                if (n == 1 && (s[i] == '"' || s[i] == '\\')) {
                        buf[0] = '\\', buf[1] = (char) s[i], buf[2] = '\0';
                        json_put(j, buf);
                } else if (n == 1 && s[i] == '\n') {
                        json_put(j, "\\n");
                } else if (n == 1 && s[i] == '\t') {
                        json_put(j, "\\t");
                } else if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
                        snprintf(buf, sizeof(buf), "\\u%04x", s[i]);
                        json_put(j, buf);
                        n = 1;
                } else {
                        memcpy(buf, s + i, n);
                        buf[n] = '\0';
                        json_put(j, buf);
                }
                i += n;
        }
        json_put(j, "\"");
}

void json_key(struct json *j, const char *key) {
        json_value_prefix(j);
        json_raw_string(j, key, strlen(key));
        json_put(j, ":");
        j->after_key = true;
}

void json_string_len(struct json *j, const char *s, size_t len) {
        json_value_prefix(j);
        json_raw_string(j, s, len);
}

void json_string(struct json *j, const char *s) {
        if (!s) {
                json_null(j);
                return;
        }
        json_string_len(j, s, strlen(s));
}

void json_int(struct json *j, long long v) {
        char buf[32];
        json_value_prefix(j);
        snprintf(buf, sizeof(buf), "%lld", v);
        json_put(j, buf);
}

void json_bool(struct json *j, bool v) {
        json_value_prefix(j);
        json_put(j, v ? "true" : "false");
}

void json_null(struct json *j) {
        json_value_prefix(j);
        json_put(j, "null");
}

int json_end(struct json *j) {
        json_put(j, "\n");
        if (!j->error && fflush(j->f) == EOF)
                j->error = -errno;
        return j->error;
}
