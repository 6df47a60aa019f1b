/* SPDX-License-Identifier: MIT */
/* A recursive-descent JSON reader (RFC 8259, integers only), for run records. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/json-read.h"
#include "text/strbuf.h"

#define JV_DEPTH_MAX 64

struct parser {
        const char *p, *end;
        unsigned depth;
};

static void jv_clear(struct jv *v) {
        free(v->s);
        if (v->type == JV_ARRAY || v->type == JV_OBJECT)
                for (size_t i = 0; i < v->len; i++) {
                        jv_clear(&v->items[i]);
                        if (v->keys)
                                free(v->keys[i]);
                }
        free(v->items);
        free(v->keys);
}

struct jv *jv_free(struct jv *v) {
        if (v) {
                jv_clear(v);
                free(v);
        }
        return NULL;
}

static void skip_ws(struct parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                ps->p++;
}

static int hex4(const char *s, unsigned *ret) {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
                char c = s[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EBADMSG;
        }
        *ret = v;
        return 0;
}

static int add_utf8(struct strbuf *sb, unsigned cp) {
        char b[4];
        size_t n;
        if (cp < 0x80)
                b[0] = (char) cp, n = 1;
        else if (cp < 0x800)
                b[0] = (char) (0xc0 | cp >> 6), b[1] = (char) (0x80 | (cp & 0x3f)), n = 2;
        else if (cp < 0x10000)
                b[0] = (char) (0xe0 | cp >> 12), b[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
                b[2] = (char) (0x80 | (cp & 0x3f)), n = 3;
        else
                b[0] = (char) (0xf0 | cp >> 18), b[1] = (char) (0x80 | ((cp >> 12) & 0x3f)),
                b[2] = (char) (0x80 | ((cp >> 6) & 0x3f)), b[3] = (char) (0x80 | (cp & 0x3f)), n = 4;
        return strbuf_add(sb, b, n);
}

static int parse_escape(struct parser *ps, struct strbuf *sb) {
        if (ps->p >= ps->end)
                return -EBADMSG;
        char c = *ps->p++;
        switch (c) {
        case '"': case '\\': case '/':
                return strbuf_addch(sb, c);
        case 'b': return strbuf_addch(sb, '\b');
        case 'f': return strbuf_addch(sb, '\f');
        case 'n': return strbuf_addch(sb, '\n');
        case 'r': return strbuf_addch(sb, '\r');
        case 't': return strbuf_addch(sb, '\t');
        case 'u': break;
        default: return -EBADMSG;
        }
        unsigned cp, lo;
        if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
                return -EBADMSG;
        ps->p += 4;
        /* Below 0x100: the raw byte, as hostfit's writer means it. */
        if (cp < 0x100)
                return strbuf_addch(sb, (char) cp);
        if (cp >= 0xdc00 && cp <= 0xdfff)
                return -EBADMSG;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
                    lo < 0xdc00 || lo > 0xdfff)
                        return -EBADMSG;
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        return add_utf8(sb, cp);
}

static int parse_string(struct parser *ps, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (ps->p >= ps->end || *ps->p != '"')
                return -EBADMSG;
        ps->p++;
        for (;;) {
                if (ps->p >= ps->end)
                        return -EBADMSG;
                unsigned char c = (unsigned char) *ps->p;
                int r;
                if (c == '"') {
                        ps->p++;
                        break;
                }
                if (c < 0x20)
                        return -EBADMSG;
                if (c == '\\') {
                        ps->p++;
                        r = parse_escape(ps, &sb);
                } else {
                        r = strbuf_addch(&sb, (char) c);
                        ps->p++;
                }
                if (r < 0)
                        return r;
        }
        if (strbuf_grow(&sb, 1) < 0)
                return -ENOMEM;
        char *s = strbuf_detach(&sb, ret_len);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int parse_value(struct parser *ps, struct jv *v);

static int parse_int(struct parser *ps, struct jv *v) {
        const char *s = ps->p;
        if (s < ps->end && *s == '-')
                s++;
        if (s >= ps->end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < ps->end && s[1] >= '0' && s[1] <= '9'))
                return -EBADMSG;
        long long n = 0;
        bool neg = *ps->p == '-';
        for (; s < ps->end && *s >= '0' && *s <= '9'; s++) {
                int d = *s - '0';
                if (n > (LLONG_MAX - d) / 10)
                        return -ERANGE;
                n = n * 10 + d;
        }
        if (s < ps->end && (*s == '.' || *s == 'e' || *s == 'E'))
                return -EBADMSG;
        v->type = JV_INT;
        v->i = neg ? -n : n;
        ps->p = s;
        return 0;
}

static int parse_word(struct parser *ps, const char *w) {
        size_t n = strlen(w);
        if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
                return -EBADMSG;
        ps->p += n;
        return 0;
}

/* Items of an array or members of an object, until CLOSE. */
static int parse_list(struct parser *ps, struct jv *v, char close) {
        bool object = close == '}';
        size_t alloc = 0;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return 0;
        }
        for (;;) {
                if (v->len == alloc) {
                        size_t na = alloc ? alloc * 2 : 8;
                        struct jv *ni = reallocarray(v->items, na, sizeof(*ni));
                        if (!ni)
                                return -ENOMEM;
                        v->items = ni;
                        if (object) {
                                char **nk = reallocarray(v->keys, na, sizeof(*nk));
                                if (!nk)
                                        return -ENOMEM;
                                v->keys = nk;
                        }
                        alloc = na;
                }
                struct jv *item = &v->items[v->len];
                memset(item, 0, sizeof(*item));
                skip_ws(ps);
                if (object) {
                        size_t kl;
                        int r = parse_string(ps, &v->keys[v->len], &kl);
                        if (r < 0)
                                return r;
                        v->len++;       /* owned from here: jv_clear frees key and value */
                        skip_ws(ps);
                        if (ps->p >= ps->end || *ps->p != ':')
                                return -EBADMSG;
                        ps->p++;
                } else
                        v->len++;
                int r = parse_value(ps, item);
                if (r < 0)
                        return r;
                skip_ws(ps);
                if (ps->p >= ps->end)
                        return -EBADMSG;
                if (*ps->p == close) {
                        ps->p++;
                        return 0;
                }
                if (*ps->p != ',')
                        return -EBADMSG;
                ps->p++;
        }
}

static int parse_value(struct parser *ps, struct jv *v) {
        skip_ws(ps);
        if (ps->p >= ps->end)
                return -EBADMSG;
        switch (*ps->p) {
        case '{':
        case '[': {
                if (++ps->depth > JV_DEPTH_MAX)
                        return -EBADMSG;
                v->type = *ps->p == '{' ? JV_OBJECT : JV_ARRAY;
                int r = parse_list(ps, v, *ps->p == '{' ? '}' : ']');
                ps->depth--;
                return r;
        }
        case '"':
                v->type = JV_STRING;
                return parse_string(ps, &v->s, &v->len);
        case 't':
                v->type = JV_BOOL, v->b = true;
                return parse_word(ps, "true");
        case 'f':
                v->type = JV_BOOL;
                return parse_word(ps, "false");
        case 'n':
                v->type = JV_NULL;
                return parse_word(ps, "null");
        default:
                return parse_int(ps, v);
        }
}

int jv_parse(const char *text, size_t len, struct jv **ret) {
        struct parser ps = { .p = text, .end = text + len };
        struct jv *v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        int r = parse_value(&ps, v);
        if (r == 0) {
                skip_ws(&ps);
                if (ps.p != ps.end)
                        r = -EBADMSG;
        }
        if (r < 0) {
                jv_free(v);
                return r == -ENOMEM ? r : -EBADMSG;
        }
        *ret = v;
        return 0;
}

const struct jv *jv_get(const struct jv *v, const char *key) {
        if (!v || v->type != JV_OBJECT)
                return NULL;
        for (size_t i = 0; i < v->len; i++)
                if (strcmp(v->keys[i], key) == 0)
                        return &v->items[i];
        return NULL;
}

const char *jv_get_str(const struct jv *v, const char *key) {
        const struct jv *m = jv_get(v, key);
        return m && m->type == JV_STRING ? m->s : NULL;
}

long long jv_get_int(const struct jv *v, const char *key, long long def) {
        const struct jv *m = jv_get(v, key);
        return m && m->type == JV_INT ? m->i : def;
}

bool jv_get_bool(const struct jv *v, const char *key, bool def) {
        const struct jv *m = jv_get(v, key);
        return m && m->type == JV_BOOL ? m->b : def;
}
