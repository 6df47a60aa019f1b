/* SPDX-License-Identifier: MIT */
/* Unit names checked as systemd 252 checks them (unit_name_is_valid), and the
 * path guard for what hostfit writes into unit directories. */
#include <errno.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/strbuf.h"
#include "systemd/unitname.h"

static const struct { const char *s; size_t len; } unit_types[] = {
#define T(s) { s, sizeof(s) - 1 }
        T(".service"), T(".socket"), T(".target"), T(".timer"), T(".mount"), T(".automount"), T(".swap"),
        T(".path"), T(".slice"), T(".scope"), T(".device"),
#undef T
};

/* ASCII only: isalnum() would follow the locale. */
static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The bytes a unit name is made of (but '@'), looked up: a name is checked on every
 * load and listing, a byte at a time. */
static const bool name_chars[256] = {
        ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
        [':'] = true, ['_'] = true, ['.'] = true, ['\\'] = true, ['-'] = true,
};

static bool is_name_char(char c) {
        return name_chars[(unsigned char) c];
}

/* The type suffix of [P, P+N): the last '.' to the end, one of the known types. */
static const char *type_of(const char *p, size_t n) {
        const char *dot = NULL;
        for (size_t i = n; i-- > 0; )
                if (p[i] == '.') {
                        dot = p + i;
                        break;
                }
        if (!dot)
                return NULL;
        size_t k = n - (size_t) (dot - p);
        for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
                if (unit_types[i].len == k && memcmp(dot, unit_types[i].s, k) == 0)
                        return dot;
        return NULL;
}

static bool valid_len_form(const char *p, size_t n, unsigned forms) {
        if (!p || n == 0 || n > UNIT_NAME_MAX)
                return false;
        const char *type = type_of(p, n);
        if (!type || type == p)
                return false;
        const char *at = NULL;
        for (const char *c = p; c < type; c++) {
                if (*c == '@') {
                        if (at)
                                return false;
                        at = c;
                } else if (!is_name_char(*c))
                        return false;
        }
        if (at == p)
                return false;
        if (!at)
                return forms & UNIT_NAME_PLAIN;
        if (at + 1 == type)
                return forms & UNIT_NAME_TEMPLATE;
        return forms & UNIT_NAME_INSTANCE;
}

bool unit_name_is_valid_form(const char *name, unsigned forms) {
        return name && valid_len_form(name, strnlen(name, UNIT_NAME_MAX + 1), forms);
}

bool unit_name_is_valid(const char *name) {
        return unit_name_is_valid_form(name, UNIT_NAME_ANY);
}

bool unit_name_is_valid_len(const char *p, size_t n) {
        return valid_len_form(p, n, UNIT_NAME_ANY);
}

bool unit_name_is_template(const char *name) {
        return unit_name_is_valid_form(name, UNIT_NAME_TEMPLATE);
}

const char *unit_name_type(const char *name) {
        return unit_name_is_valid(name) ? type_of(name, strlen(name)) : NULL;
}

int unit_instance_escape(const char *s, char **ret) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = 0;
        for (const char *c = s; *c && r == 0; c++) {
                if (*c == '/')
                        r = strbuf_addch(&sb, '-');
                else if ((is_alnum(*c) || strchr(":_.", *c)) && !(c == s && *c == '.'))
                        r = strbuf_addch(&sb, *c);
                else
                        r = strbuf_addf(&sb, "\\x%02x", (unsigned char) *c);
        }
        if (r < 0)
                return r;
        *ret = strbuf_detach(&sb, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* ---- the path guard ---- */

struct comp {
        const char *p;
        size_t n;
};

static bool comp_is(struct comp c, const char *s) {
        return c.n == strlen(s) && memcmp(c.p, s, c.n) == 0;
}

/* The directories systemd loads units from, as the component after ".../systemd/". */
static bool is_unit_dir(struct comp c) {
        static const char *const dirs[] = {
                "system", "user", "system.control", "user.control", "system.attached", "transient",
                "generator", "generator.early", "generator.late",
        };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (comp_is(c, dirs[i]))
                        return true;
        return false;
}

static bool has_suffix(struct comp c, const char *suffix, struct comp *ret_stem) {
        size_t k = strlen(suffix);
        if (c.n <= k || memcmp(c.p + c.n - k, suffix, k) != 0)
                return false;
        *ret_stem = (struct comp) { c.p, c.n - k };
        return true;
}

/* What may lie below a unit directory: C[0] and C[1] when N is 2. */
static bool unit_dir_entry_ok(const struct comp *c, size_t n) {
        struct comp stem;
        if (n == 1)
                return unit_name_is_valid_len(c[0].p, c[0].n);
        if (n != 2)
                return false;
        if (has_suffix(c[0], ".d", &stem))
                return unit_name_is_valid_len(stem.p, stem.n) && c[1].n > 5 &&
                       memcmp(c[1].p + c[1].n - 5, ".conf", 5) == 0 && memchr(c[1].p, '\n', c[1].n) == NULL;
        if (has_suffix(c[0], ".wants", &stem) || has_suffix(c[0], ".requires", &stem) ||
            has_suffix(c[0], ".upholds", &stem))
                return unit_name_is_valid_len(stem.p, stem.n) && unit_name_is_valid_len(c[1].p, c[1].n);
        return false;
}

#define PATH_COMPONENTS_MAX 64

bool unit_path_is_confined(const char *path) {
        struct comp c[PATH_COMPONENTS_MAX];
        size_t n = 0;
        if (!path || path[0] != '/')
                return false;
        for (const char *p = path; *p; ) {
                p += strspn(p, "/");
                size_t k = strcspn(p, "/");
                if (k == 0)
                        break;
                if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.') || n == PATH_COMPONENTS_MAX)
                        return false;
                for (size_t i = 0; i < k; i++)
                        if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f)
                                return false;
                c[n++] = (struct comp) { p, k };
                p += k;
        }
        if (n == 0)
                return false;
        for (size_t i = 0; i + 1 < n; i++)
                if (comp_is(c[i], "systemd") && is_unit_dir(c[i + 1]))
                        return unit_dir_entry_ok(c + i + 2, n - i - 2);
        return true;
}
