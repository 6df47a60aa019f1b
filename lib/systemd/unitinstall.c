/* SPDX-License-Identifier: MIT */
/* Reading [Install] WantedBy= from a unit file's text, as systemd parses it. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/strbuf.h"
#include "systemd/unitinstall.h"
#include "systemd/units.h"

static const char *const blanks = " \t\r";

static bool strv_has(char *const *v, size_t n, const char *s, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(v[i]) == len && strncmp(v[i], s, len) == 0)
                        return true;
        return false;
}

/* Add each word of VALUE to V; an empty VALUE empties V. */
static int add_words(char ***v, size_t *n, const char *value) {
        if (!value[strspn(value, blanks)]) {
                for (size_t i = 0; i < *n; i++)
                        free((*v)[i]);
                *n = 0;
                return 0;
        }
        for (const char *s = value; *(s += strspn(s, blanks)); ) {
                size_t len = strcspn(s, blanks);
                _cleanup_free_ char *w = strndup(s, len);
                s += len;
                if (!w)
                        return -ENOMEM;
                if (!unit_name_is_valid(w) || unit_name_is_template(w))
                        return -EINVAL;
                if (strv_has(*v, *n, w, len))
                        continue;
                char **nv = reallocarray(*v, *n + 2, sizeof(char *));
                if (!nv)
                        return -ENOMEM;
                *v = nv;
                nv[(*n)++] = TAKE_PTR(w);
                nv[*n] = NULL;
        }
        return 0;
}

/* One logical line: a section header, or WantedBy= within [Install]. */
static int parse_line(char *l, bool *in_install, char ***v, size_t *n) {
        l += strspn(l, blanks);
        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                size_t len = strcspn(l, blanks);
                *in_install = strncmp(l, "[Install]", len) == 0 && len == 9;
                return 0;
        }
        char *eq = strchr(l, '=');
        if (!*in_install || !eq)
                return 0;
        size_t klen = (size_t) (eq - l);
        while (klen > 0 && strchr(blanks, l[klen - 1]))
                klen--;
        if (klen != 8 || strncmp(l, "WantedBy", 8) != 0)
                return 0;
        return add_words(v, n, eq + 1);
}

static int parse(const char *text, size_t len, char ***v, size_t *n) {
        _cleanup_strbuf_ struct strbuf line = STRBUF_INIT;
        bool in_install = false, cont = false;
        const char *end = text + len;
        int r;
        for (const char *p = text; p < end; ) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = nl ? (size_t) (nl - p) : (size_t) (end - p), skip = 0;
                const char *start = p;
                p += l + (nl ? 1 : 0);
                while (skip < l && strchr(blanks, start[skip]))
                        skip++;
                if (cont && skip < l && (start[skip] == '#' || start[skip] == ';'))
                        continue;       /* comments inside a continuation are dropped, as systemd does */
                if (!cont)
                        strbuf_reset(&line);
                if ((r = strbuf_add(&line, start, l)) < 0)
                        return r;
                while (line.len > 0 && strchr(blanks, line.buf[line.len - 1]))
                        line.buf[--line.len] = '\0';
                /* The backslash joins the next line, as a space. */
                cont = line.len > 0 && line.buf[line.len - 1] == '\\';
                if (cont) {
                        line.buf[line.len - 1] = ' ';
                        continue;
                }
                if (line.len > 0 && (r = parse_line(line.buf, &in_install, v, n)) < 0)
                        return r;
        }
        return cont ? parse_line(line.buf, &in_install, v, n) : 0;
}

int unit_text_wanted_by(const char *text, size_t len, char ***ret) {
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        if (!v)
                return -ENOMEM;
        if (memchr(text, '\0', len)) {
                free(v);
                return -EINVAL;
        }
        int r = parse(text, len, &v, &n);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(v[i]);
                free(v);
                return r;
        }
        v[n] = NULL;
        *ret = v;
        return 0;
}
