/* Unit files parsed as systemd parses them (sections, continuations, comments,
 * ignored lines kept as issues), and the values in effect read back. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "host.h"
#include "strbuf.h"
#include "units.h"
#include "units-internal.h"

#define UNIT_FILE_MAX (1U << 20)

static const char *keep_file(struct unit *u, const char *path) {
        for (size_t i = 0; i < u->n_files; i++)
                if (strcmp(u->files[i], path) == 0)
                        return u->files[i];
        return unit_strv_push(&u->files, &u->n_files, strdup(path)) < 0 ? NULL : u->files[u->n_files - 1];
}

static int add_issue(struct unit *u, const char *file, unsigned line, const char *msg) {
        struct unit_issue *n = realloc(u->issues, (u->n_issues + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        u->issues = n;
        n[u->n_issues] = (struct unit_issue) { file, line, strdup(msg) };
        if (!n[u->n_issues].message)
                return -ENOMEM;
        u->n_issues++;
        return 0;
}

static char *strip(char *s) {
        while (*s && isspace((unsigned char) *s))
                s++;
        size_t l = strlen(s);
        while (l > 0 && isspace((unsigned char) s[l - 1]))
                s[--l] = 0;
        return s;
}

static int add_assignment(struct unit *u, const char *section, char *line, const char *file, unsigned n) {
        char *eq = strchr(line, '=');
        if (!eq)
                return add_issue(u, file, n, "missing '=', ignoring");
        *eq = 0;
        char *key = strip(line), *value = strip(eq + 1);
        if (!*key)
                return add_issue(u, file, n, "missing key name, ignoring");
        if (!section)
                return add_issue(u, file, n, "assignment outside of a section, ignoring");
        struct unit_assignment *a = realloc(u->a, (u->n_a + 1) * sizeof(*a));
        if (!a)
                return -ENOMEM;
        u->a = a;
        a[u->n_a] = (struct unit_assignment) { strdup(section), strdup(key), strdup(value), file, n };
        if (!a[u->n_a].section || !a[u->n_a].key || !a[u->n_a].value) {
                free(a[u->n_a].section), free(a[u->n_a].key), free(a[u->n_a].value);
                return -ENOMEM;
        }
        u->n_a++;
        return 0;
}

/* One logical line (continuations joined): a comment, a section, or an assignment. */
static int parse_line(struct unit *u, char **section, char *raw, const char *file, unsigned n) {
        char *l = strip(raw);
        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                size_t len = strlen(l);
                if (len < 3 || l[len - 1] != ']' || memchr(l + 1, '[', len - 2) || memchr(l + 1, ']', len - 2)) {
                        free(*section);
                        *section = NULL;
                        return add_issue(u, file, n, "invalid section header, ignoring the section");
                }
                free(*section);
                *section = strndup(l + 1, len - 2);
                return *section ? 0 : -ENOMEM;
        }
        return add_assignment(u, *section, l, file, n);
}

static int parse_text(struct unit *u, const char *file, char *text) {
        _cleanup_strbuf_ struct strbuf joined = STRBUF_INIT;
        _cleanup_free_ char *section = NULL;
        unsigned n = 0, start = 0;
        bool cont = false;
        int r = 0;
        for (char *save = NULL, *p = text; r >= 0 && p; p = save) {
                save = strchr(p, '\n');
                if (save)
                        *save++ = 0;
                n++;
                char *l = p + strspn(p, " \t\r");
                if (cont && (*l == '#' || *l == ';'))
                        continue;       /* comments inside a continuation are dropped, as systemd does */
                if (!cont) {
                        strbuf_reset(&joined);
                        start = n;
                }
                /* The raw line is joined; the backslash becomes a space. */
                size_t len = strlen(p);
                while (len > 0 && strchr(" \t\r", p[len - 1]))
                        len--;
                cont = len > 0 && p[len - 1] == '\\';
                if (cont)
                        p[len - 1] = ' ';
                l = p;
                r = strbuf_adds(&joined, l);
                if (r < 0 || cont)
                        continue;
                r = parse_line(u, &section, joined.buf ? joined.buf : (char *) "", file, start);
        }
        if (r >= 0 && cont)
                r = parse_line(u, &section, joined.buf, file, start);
        return r;
}

int unit_parse_file(struct host *h, struct unit *u, const char *path) {
        const char *file = keep_file(u, path);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (!file)
                return -ENOMEM;
        int r = host_read_file(h, path, UNIT_FILE_MAX, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                char msg[128];
                snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-r));
                return add_issue(u, file, 0, msg);
        }
        if (memchr(text, 0, len))
                return add_issue(u, file, 0, "holds a NUL byte, ignoring");
        return parse_text(u, file, text);
}

const struct unit_assignment *unit_get_assignment(const struct unit *u, const char *section, const char *key) {
        for (size_t i = u->n_a; i > 0; i--) {
                const struct unit_assignment *a = &u->a[i - 1];
                if (strcmp(a->key, key) == 0 && strcmp(a->section, section) == 0)
                        return *a->value ? a : NULL;
        }
        return NULL;
}

const char *unit_get(const struct unit *u, const char *section, const char *key) {
        const struct unit_assignment *a = unit_get_assignment(u, section, key);
        return a ? a->value : NULL;
}

/* systemd's parse_size() with base 1024: "512M", "1.5G", "4096", "1 G". */
static int parse_bytes(const char *s, uint64_t *ret) {
        static const char suffixes[] = "BKMGTPE";
        char *end;
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || v < 0)
                return -EINVAL;
        while (*end == ' ')
                end++;
        const char *sfx = *end ? strchr(suffixes, *end) : NULL;
        if (*end && (!sfx || end[1]))
                return -EINVAL;
        for (const char *c = suffixes; sfx && c < sfx; c++)
                v *= 1024;
        if (v >= 18446744073709551615.0)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

enum unit_limit unit_memory_setting(const struct unit *u, const char *key, uint64_t *ret_value) {
        const char *v = unit_get(u, "Service", key);
        if (!v)
                return UNIT_LIMIT_UNSET;
        if (strcmp(v, "infinity") == 0)
                return UNIT_LIMIT_INFINITY;
        size_t l = strlen(v);
        uint64_t b;
        if (l > 1 && v[l - 1] == '%') {
                char *end;
                double pct = strtod(v, &end);
                if (end != v + l - 1 || pct < 0 || pct > 100)
                        return UNIT_LIMIT_INVALID;
                if (ret_value)
                        *ret_value = (uint64_t) (pct * 10);
                return UNIT_LIMIT_PERCENT;
        }
        if (parse_bytes(v, &b) < 0)
                return UNIT_LIMIT_INVALID;
        if (ret_value)
                *ret_value = b;
        return UNIT_LIMIT_BYTES;
}
