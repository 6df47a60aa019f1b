/* SPDX-License-Identifier: MIT */
/* Generating systemd unit files: ExecStart=/value quoting by systemd's rules,
 * unit names, and the service template. See systemd.syntax(7), systemd.service(5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/escape.h"
#include "host/host.h"
#include "host/template.h"
#include "systemd/unitgen.h"
#include "text/strv.h"

#define UNIT_NAME_MAX 255
#define WHITESPACE " \t\n\r"

/* Characters systemd reads as flags in front of an ExecStart= path, even inside quotes:
 * config_parse_exec() strips them from the already unquoted first word. */
#define EXEC_PREFIX_CHARS "-@:+!|"

/* One double-quoted word: "\" and "\"" escaped, control characters and bytes that are
 * not valid UTF-8 as \xNN, "%" doubled (specifiers) and, when DOLLAR, "$" doubled
 * (ExecStart= expands $VAR at start). */
static int quote_word(struct strbuf *out, const char *w, bool dollar) {
        const unsigned char *s = (const unsigned char *) w;
        size_t len = strlen(w);
        int r = strbuf_addch(out, '"');
        for (size_t i = 0; i < len && r == 0; ) {
                size_t n = utf8_valid_len(s + i, len - i);
                bool c1 = n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0;
                if (n == 0 || c1 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
                        r = strbuf_addf(out, "\\x%02x", s[i]);
                        i++;
                        continue;
                }
                if (n == 1 && (s[i] == '\\' || s[i] == '"'))
                        r = strbuf_addch(out, '\\');
                else if (n == 1 && s[i] == '%')
                        r = strbuf_addch(out, '%');
                else if (n == 1 && s[i] == '$' && dollar)
                        r = strbuf_addch(out, '$');
                if (r == 0)
                        r = strbuf_add(out, s + i, n);
                i += n;
        }
        return r < 0 ? r : strbuf_addch(out, '"');
}

/* What config_parse_exec() accepts as the program: an absolute, normalized path or a
 * plain file name. */
static bool exec_path_ok(const char *a) {
        if (!a || !*a || strlen(a) >= 4096)
                return false;
        if (a[0] != '/')
                return !strchr(a, '/') && strcmp(a, ".") != 0 && strcmp(a, "..") != 0;
        size_t n = strlen(a);
        return !strstr(a, "//") && !strstr(a, "/./") && !strstr(a, "/../") && a[n - 1] != '/' &&
               !(n >= 2 && strcmp(a + n - 2, "/.") == 0) && !(n >= 3 && strcmp(a + n - 3, "/..") == 0);
}

static int check_argv0(const char *a) {
        /* No quoting stops systemd from reading these as flags or a separator; and the
         * program path is not $-expanded while argv[0] is, so a "$" cannot be both. */
        if (!exec_path_ok(a) || strchr(EXEC_PREFIX_CHARS, a[0]) || strcmp(a, ";") == 0 || strchr(a, '$'))
                return -EINVAL;
        return 0;
}

static int quote_exec(struct strbuf *out, const char *path, char *const *argv, size_t argc) {
        if (argc == 0 || !argv)
                return -EINVAL;
        for (size_t i = 0; i < argc; i++)
                if (!argv[i])
                        return -EINVAL;
        size_t start = out->len;
        int r;
        if (path) {
                /* "@PATH ARGV0 …": ARGV0 is then free text, however it begins. */
                if (path[0] != '/' || !exec_path_ok(path))
                        return -EINVAL;
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "@%s", path) < 0)
                        return -ENOMEM;
                r = quote_word(out, p, false);
        } else {
                r = check_argv0(argv[0]);
                if (r == 0)
                        r = quote_word(out, argv[0], true);
        }
        for (size_t i = path ? 0 : 1; i < argc && r == 0; i++) {
                r = strbuf_addch(out, ' ');
                if (r == 0)
                        r = quote_word(out, argv[i], true);
        }
        if (r < 0) {
                out->len = start;
                if (out->buf)
                        out->buf[start] = 0;
        }
        return r;
}

int unit_quote_exec_argv(struct strbuf *out, char *const *argv, size_t argc) {
        return quote_exec(out, NULL, argv, argc);
}

int unit_quote_exec_path(struct strbuf *out, const char *path, char *const *argv, size_t argc) {
        return quote_exec(out, path, argv, argc);
}

int unit_quote_exec_word(struct strbuf *out, const char *s) {
        if (!s)
                return -EINVAL;
        return quote_word(out, s, true);
}

int unit_quote_value(struct strbuf *out, const char *s) {
        if (!s)
                return -EINVAL;
        return quote_word(out, s, false);
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int add_unichar(struct strbuf *sb, unsigned long u) {
        char b[4];
        size_t n;
        if (u == 0 || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
                return -EINVAL;
        if (u < 0x80)
                b[0] = (char) u, n = 1;
        else if (u < 0x800)
                b[0] = (char) (0xc0 | (u >> 6)), b[1] = (char) (0x80 | (u & 0x3f)), n = 2;
        else if (u < 0x10000)
                b[0] = (char) (0xe0 | (u >> 12)), b[1] = (char) (0x80 | ((u >> 6) & 0x3f)),
                b[2] = (char) (0x80 | (u & 0x3f)), n = 3;
        else
                b[0] = (char) (0xf0 | (u >> 18)), b[1] = (char) (0x80 | ((u >> 12) & 0x3f)),
                b[2] = (char) (0x80 | ((u >> 6) & 0x3f)), b[3] = (char) (0x80 | (u & 0x3f)), n = 4;
        return strbuf_add(sb, b, n);
}

/* systemd's cunescape_one(): P points after the backslash; returns the bytes consumed. */
static int cunescape_one(const char *p, struct strbuf *sb) {
        static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
        const char *m = *p ? strchr(simple, *p) : NULL;
        if (m && (m - simple) % 2 == 0) {
                int r = strbuf_addch(sb, m[1]);
                return r < 0 ? r : 1;
        }
        if (*p == 'x') {
                int a = unhex(p[1]), b = a < 0 ? -1 : unhex(p[2]);
                if (a < 0 || b < 0 || (a == 0 && b == 0))
                        return -EINVAL;
                int r = strbuf_addch(sb, (char) ((a << 4) | b));
                return r < 0 ? r : 3;
        }
        if (*p == 'u' || *p == 'U') {
                int digits = *p == 'u' ? 4 : 8;
                unsigned long u = 0;
                for (int i = 1; i <= digits; i++) {
                        int d = unhex(p[i]);
                        if (d < 0)
                                return -EINVAL;
                        u = (u << 4) | (unsigned) d;
                }
                int r = add_unichar(sb, u);
                return r < 0 ? r : digits + 1;
        }
        if (*p >= '0' && *p <= '7') {
                unsigned v = 0;
                for (int i = 0; i < 3; i++) {
                        if (p[i] < '0' || p[i] > '7')
                                return -EINVAL;
                        v = v * 8 + (unsigned) (p[i] - '0');
                }
                if (v == 0 || v > 0xff)
                        return -EINVAL;
                int r = strbuf_addch(sb, (char) v);
                return r < 0 ? r : 3;
        }
        return -EINVAL;
}

/* systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): 1 and a word, 0 at the end. */
static int extract_word(const char **pp, struct strbuf *sb) {
        const char *p = *pp + strspn(*pp, WHITESPACE);
        char quote = 0;
        int r = 0;
        if (!*p) {
                *pp = p;
                return 0;
        }
        strbuf_reset(sb);
        r = strbuf_grow(sb, 1);
        for (; r >= 0; p++) {
                if (*p == 0) {
                        if (quote)
                                return -EINVAL;
                        break;
                }
                if (*p == '\\') {
                        r = cunescape_one(p + 1, sb);
                        if (r > 0)
                                p += r;
                        continue;
                }
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                        else
                                r = strbuf_addch(sb, *p);
                } else if (*p == '"' || *p == '\'') {
                        quote = *p;
                } else if (strchr(WHITESPACE, *p)) {
                        break;
                } else
                        r = strbuf_addch(sb, *p);
        }
        if (r < 0)
                return r;
        *pp = p;
        return 1;
}

/* What systemd does after unquoting: "%%" is "%" (other specifiers are kept as written,
 * they cannot be resolved here), "$$" is "$" at exec time. */
static char *unescape_specials(const char *w, bool dollar) {
        char *s = strdup(w), *o = s;
        if (!s)
                return NULL;
        for (const char *i = w; *i; i++) {
                *o++ = *i;
                if ((*i == '%' || (*i == '$' && dollar)) && i[1] == *i)
                        i++;
        }
        *o = 0;
        return s;
}

static int append_word(char ***v, size_t *n, const char *w, bool dollar) {
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = unescape_specials(w, dollar);
        if (!nv[*n])
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

/* Strips the flag prefixes of the first word; true when "@" (the next word is argv[0]). */
static bool strip_prefixes(const char **w) {
        bool at = false;
        while (**w && strchr(EXEC_PREFIX_CHARS, **w)) {
                at = at || **w == '@';
                (*w)++;
        }
        return at;
}

int unit_split_exec(const char *value, char ***ret_argv, size_t *ret_argc) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        char **v = NULL;
        size_t n = 0;
        bool at = false;
        const char *p = value;
        int r;
        if (!value)
                return -EINVAL;
        for (size_t i = 0; ; i++) {
                /* An unquoted lone ";" ends the first command line. */
                const char *q = p + strspn(p, WHITESPACE);
                if (i > 0 && q[0] == ';' && (!q[1] || strchr(WHITESPACE, q[1])))
                        break;
                r = extract_word(&p, &sb);
                if (r < 0)
                        goto fail;
                if (r == 0)
                        break;
                const char *w = strbuf_str(&sb);
                if (i == 0) {
                        at = strip_prefixes(&w);
                        if (!*w || strcmp(w, ";") == 0) {
                                r = -EINVAL;
                                goto fail;
                        }
                }
                /* With "@", the path is not part of argv. */
                if (i == 0 && at)
                        continue;
                /* The program path (also argv[0] without "@") is not $-expanded. */
                r = append_word(&v, &n, w, i > 0);
                if (r < 0)
                        goto fail;
        }
        if (n == 0) {
                r = -EINVAL;
                goto fail;
        }
        *ret_argv = v;
        *ret_argc = n;
        return 0;
fail:
        strv_free_n(v, n);
        return r;
}

static bool name_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || c == '.' || c == '-';
}

int unit_name_make(const char *prefix, const char *suffix, char **ret) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (!prefix || !*prefix || !suffix)
                return -EINVAL;
        if (*suffix == '.')
                suffix++;
        if (!*suffix)
                return -EINVAL;
        for (const char *s = suffix; *s; s++)
                if (!(*s >= 'a' && *s <= 'z'))
                        return -EINVAL;
        int r = strbuf_adds(&sb, "hostfit-");
        for (const char *s = prefix; *s && r == 0; s++) {
                if (*s == '/')
                        r = strbuf_addch(&sb, '-');
                else if (name_char_ok(*s))
                        r = strbuf_addch(&sb, *s);
                else
                        r = strbuf_addf(&sb, "\\x%02x", (unsigned char) *s);
        }
        if (r == 0)
                r = strbuf_addf(&sb, ".%s", suffix);
        if (r < 0)
                return r;
        if (sb.len > UNIT_NAME_MAX)
                return -ENAMETOOLONG;
        *ret = strbuf_detach(&sb, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* A setting systemd takes literally (no unquoting): WorkingDirectory=, User=,
 * Description=. Only "%" needs doubling; what cannot be written is refused. */
static int add_literal(struct strbuf *out, const char *key, const char *v) {
        const unsigned char *s = (const unsigned char *) v;
        size_t len = strlen(v);
        if (len == 0 || strchr(WHITESPACE, v[0]) || strchr(WHITESPACE, v[len - 1]) || v[len - 1] == '\\')
                return -EINVAL;
        for (size_t i = 0; i < len; ) {
                size_t n = utf8_valid_len(s + i, len - i);
                if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) || (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0))
                        return -EINVAL;
                i += n;
        }
        int r = strbuf_addf(out, "%s=", key);
        for (size_t i = 0; i < len && r == 0; i++)
                r = v[i] == '%' ? strbuf_adds(out, "%%") : strbuf_addch(out, v[i]);
        return r < 0 ? r : strbuf_addch(out, '\n');
}

static bool user_name_ok(const char *u) {
        if (!u || !*u || strlen(u) > 256 || *u == '-' || *u == '.')
                return false;
        for (const char *c = u; *c; c++)
                if (!name_char_ok(*c) || *c == ':')
                        return false;
        return true;
}

static bool env_ok(const char *e) {
        const char *eq = strchr(e, '=');
        if (!eq || eq == e || (e[0] >= '0' && e[0] <= '9'))
                return false;
        for (const char *c = e; c < eq; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
                        return false;
        /* systemd drops values that are not UTF-8 or hold control characters other than \t \n. */
        const unsigned char *s = (const unsigned char *) eq + 1;
        for (size_t i = 0, len = strlen(eq + 1); i < len; ) {
                size_t n = utf8_valid_len(s + i, len - i);
                if (n == 0 || (n == 1 && ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == 0x7f)))
                        return false;
                i += n;
        }
        return true;
}

static int add_size(struct strbuf *out, const char *key, uint64_t v) {
        static const char units[] = "KMGT";
        int i = -1;
        while (i < 3 && v >= 1024 && v % 1024 == 0)
                v /= 1024, i++;
        if (i < 0)
                return strbuf_addf(out, "%s=%llu\n", key, (unsigned long long) v);
        return strbuf_addf(out, "%s=%llu%c\n", key, (unsigned long long) v, units[i]);
}

/* *ret_error = "SUBJECT: WHY" (escaped: SUBJECT may come from the host). */
static int fail_msg(char **ret_error, int r, const char *subject, const char *why) {
        _cleanup_free_ char *e = escape_terminal_str(subject);
        if (ret_error && asprintf(ret_error, "%s: %s", e ? e : "?", why) < 0)
                *ret_error = NULL;
        return r;
}

static int service_settings(const struct unit_spec *s, struct strbuf *out, char **ret_error) {
        int r = 0;
        if (s->working_directory && (s->working_directory[0] != '/' ||
                                     add_literal(out, "WorkingDirectory", s->working_directory) < 0))
                return fail_msg(ret_error, -EINVAL, s->name, "the working directory cannot be written in a unit");
        if (s->user && !user_name_ok(s->user))
                return fail_msg(ret_error, -EINVAL, s->name, "not a valid user name");
        if (s->group && !user_name_ok(s->group))
                return fail_msg(ret_error, -EINVAL, s->name, "not a valid group name");
        if (s->user)
                r = strbuf_addf(out, "User=%s\n", s->user);
        if (r == 0 && s->group)
                r = strbuf_addf(out, "Group=%s\n", s->group);
        for (size_t i = 0; r == 0 && s->environment && s->environment[i]; i++) {
                if (!env_ok(s->environment[i]))
                        return fail_msg(ret_error, -EINVAL, s->name, "an environment entry systemd would refuse");
                r = strbuf_adds(out, "Environment=");
                if (r == 0)
                        r = unit_quote_value(out, s->environment[i]);
                if (r == 0)
                        r = strbuf_addch(out, '\n');
        }
        return r;
}

static int resource_settings(const struct unit_spec *s, struct strbuf *out) {
        int r = 0;
        if (s->memory_high)
                r = add_size(out, "MemoryHigh", s->memory_high);
        if (r == 0 && s->memory_max)
                r = add_size(out, "MemoryMax", s->memory_max);
        if (r == 0 && s->has_oom_score_adjust) {
                if (s->oom_score_adjust < -1000 || s->oom_score_adjust > 1000)
                        return -EINVAL;
                r = strbuf_addf(out, "OOMScoreAdjust=%d\n", s->oom_score_adjust);
        }
        return r;
}

static bool restart_ok(const char *v) {
        static const char *const ok[] = { "no", "always", "on-success", "on-failure",
                                          "on-abnormal", "on-abort", "on-watchdog" };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (strcmp(v, ok[i]) == 0)
                        return true;
        return false;
}

int unitgen_service(const struct host *h, const struct unit_spec *s, char **ret, size_t *ret_len, char **ret_error) {
        _cleanup_strbuf_ struct strbuf exec = STRBUF_INIT, desc = STRBUF_INIT, svc = STRBUF_INIT, res = STRBUF_INIT;
        char rsec[32];
        int r;
        if (!s || !s->name || !s->argv)
                return -EINVAL;
        for (const char *c = s->name; *c; c++)
                if (!name_char_ok(*c) && *c != '@' && *c != '\\')
                        return fail_msg(ret_error, -EINVAL, s->name, "unit name with characters systemd refuses");
        const char *restart = s->restart ? s->restart : "on-failure";
        if (!restart_ok(restart))
                return fail_msg(ret_error, -EINVAL, restart, "not a Restart= value");
        r = s->exec_path ? unit_quote_exec_path(&exec, s->exec_path, s->argv, s->argc)
                         : unit_quote_exec_argv(&exec, s->argv, s->argc);
        if (r < 0)
                return r == -ENOMEM ? r : fail_msg(ret_error, r, s->name,
                                                   "the command cannot be run as written (argv[0] is not a program path)");
        r = add_literal(&desc, "D", s->description ? s->description : s->name);
        if (r < 0)
                return r == -ENOMEM ? r : fail_msg(ret_error, r, s->name, "a description with control characters");
        desc.buf[--desc.len] = 0;        /* the newline: the template has its own */
        r = service_settings(s, &svc, ret_error);
        if (r < 0)
                return r;
        r = resource_settings(s, &res);
        if (r < 0)
                return r == -ENOMEM ? r : fail_msg(ret_error, r, s->name, "OOMScoreAdjust out of range");
        snprintf(rsec, sizeof(rsec), "%u", s->restart_sec ? s->restart_sec : 5);
        const char *vars[] = {
                "name", s->name,
                "description", strbuf_str(&desc) + 2,
                "exec_start", strbuf_str(&exec),
                "service_settings", strbuf_str(&svc),
                "restart", restart,
                "restart_sec", rsec,
                "resource_settings", strbuf_str(&res),
                NULL,
        };
        return template_render(h, "service.service", vars, ret, ret_len, ret_error);
}
