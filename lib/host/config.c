/* SPDX-License-Identifier: MIT */
/* hostfit.conf: parse, validate, and look up. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "host/config.h"
#include "host/host.h"
#include "text/strbuf.h"

static bool (*check_known)(const char *id);

void config_set_check_known(bool (*known)(const char *id)) {
        check_known = known;
}

enum key_type { KEY_STRING, KEY_PATH, KEY_SIZE, KEY_INT, KEY_BOOL, KEY_DURATION, KEY_PROFILE, KEY_CHECK_IDS, KEY_UNIT_PATHS };

/* Every key hostfit reads. Add a row when a check grows a setting, and a line to the README. */
static const struct key {
        const char *section;
        const char *key;
        enum key_type type;
} known_keys[] = {
        { "healthcheck", "failures",     KEY_INT },
        { "healthcheck", "grace",        KEY_DURATION },
        { "healthcheck", "hostfit-path", KEY_PATH },
        { "healthcheck", "http-path",    KEY_UNIT_PATHS },
        { "healthcheck", "interval",     KEY_DURATION },
        { "healthcheck", "max-restarts", KEY_INT },
        { "healthcheck", "timeout",      KEY_DURATION },
        { "healthcheck", "units",        KEY_STRING },
        { "hostfit", "hostfit-path", KEY_PATH },
        { "hostfit", "profile", KEY_PROFILE },
        { "image",   "memory",  KEY_SIZE },
        { "hostfit", "skip",    KEY_CHECK_IDS },
        { "dev-server", "allow", KEY_STRING },
        { "keepalive-loop", "min-parent-age", KEY_DURATION },
        { "keepalive-loop", "periodic-sleep", KEY_DURATION },
        { "metrics", "path",  KEY_PATH },
        { "oom-kills", "window", KEY_DURATION },
        { "metrics", "timer", KEY_BOOL },
        { "restart-storm", "max-restarts", KEY_INT },
        { "restart-storm", "units",        KEY_STRING },
        { "restart-storm", "window",       KEY_DURATION },
        { "swap",    "size",    KEY_SIZE },
        { "swap",    "path",    KEY_PATH },
        { "unit-memorymax", "max",           KEY_STRING },
        { "unit-memorymax", "min-uptime",    KEY_DURATION },
        { "unit-memorymax", "rss-threshold", KEY_SIZE },
        { "unit-memorymax", "units",         KEY_STRING },
        { "unmanaged-service", "min-age", KEY_DURATION },
        { "zram",    "size",    KEY_SIZE },
        { "zram",    "priority", KEY_INT },
        { "wrapper-oom", "shielded-below", KEY_INT },
};

struct entry {
        char *section;
        char *key;
        char *value;
};

struct config {
        struct entry *e;
        size_t n;
};

int config_new_empty(struct config **ret) {
        struct config *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

struct config *config_free(struct config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->e[i].section);
                free(c->e[i].key);
                free(c->e[i].value);
        }
        free(c->e);
        free(c);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free);

int parse_size(const char *s, uint64_t *ret) {
        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -ERANGE;
        unsigned shift = 0;
        switch (*end) {
        case 'K': case 'k': shift = 10; end++; break;
        case 'M': case 'm': shift = 20; end++; break;
        case 'G': case 'g': shift = 30; end++; break;
        case 'T': case 't': shift = 40; end++; break;
        }
        if (shift && strcmp(end, "iB") == 0)
                end += 2;
        else if (*end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

int parse_duration(const char *s, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t mult; } units[] = {
                { "", 1 }, { "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 },
                { "h", 3600 }, { "d", 86400 },
        };
        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -ERANGE;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].suffix) == 0) {
                        if (v > UINT64_MAX / units[i].mult)
                                return -ERANGE;
                        *ret = v * units[i].mult;
                        return 0;
                }
        return -EINVAL;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static const struct key *key_find(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(known_keys); i++)
                if (strcmp(known_keys[i].section, section) == 0 && strcmp(known_keys[i].key, key) == 0)
                        return &known_keys[i];
        return NULL;
}

/* "UNIT:/PATH …" ([healthcheck] http-path): each path for the units it is for. A path alone
 * (the old form) would GET it from every probed service, plain TCP ones too: refused. */
static const char *unit_paths_invalid(const char *value) {
        for (const char *w = value; *w; ) {
                w += strspn(w, " \t,");
                size_t n = strcspn(w, " \t,");
                const char *colon = memchr(w, ':', n);
                if (n && w[0] == '/')
                        return "takes the units it is for: http-path = UNIT:/PATH … (a path alone would be "
                               "asked of every probed service, plain TCP ones too)";
                if (n && (!colon || colon == w || colon[1] != '/'))
                        return "expected UNIT:/PATH, e.g. http-path = web.service:/health";
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) w[i] < 0x21 || w[i] == 0x7f)
                                return "expected UNIT:/PATH without control characters";
                w += n;
        }
        return NULL;
}

/* NULL when VALUE is valid for K, else what is wrong with it. */
static const char *value_invalid(const struct key *k, const char *value) {
        uint64_t u;
        bool b;
        switch (k->type) {
        case KEY_STRING:
                return NULL;
        case KEY_PATH:
                return value[0] == '/' ? NULL : "expected an absolute path";
        case KEY_SIZE:
                return strcmp(value, "auto") == 0 || parse_size(value, &u) == 0 ? NULL
                       : "expected a size such as 512M, 2G or auto";
        case KEY_INT: {
                char *end;
                errno = 0;
                (void) strtoll(value, &end, 10);
                return *value && !*end && !errno ? NULL : "expected an integer";
        }
        case KEY_BOOL:
                return parse_bool(value, &b) == 0 ? NULL : "expected yes or no";
        case KEY_DURATION:
                return parse_duration(value, &u) == 0 ? NULL : "expected a duration such as 30s, 5min or 1h";
        case KEY_PROFILE:
                return strcmp(value, "production") == 0 || strcmp(value, "development") == 0 ? NULL
                       : "expected production or development";
        case KEY_CHECK_IDS: {
                _cleanup_free_ char *copy = strdup(value);
                if (!copy)
                        return "out of memory";
                for (char *save = NULL, *id = strtok_r(copy, " \t,", &save); id; id = strtok_r(NULL, " \t,", &save))
                        if (check_known && !check_known(id))
                                return "unknown check id (see hostfit list)";
                return NULL;
        }
        case KEY_UNIT_PATHS:
                return unit_paths_invalid(value);
        }
        return "unknown key type";
}

static int config_put(struct config *c, const char *section, const char *key, const char *value) {
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0) {
                        char *v = strdup(value);
                        if (!v)
                                return -ENOMEM;
                        free(c->e[i].value);
                        c->e[i].value = v;
                        return 0;
                }
        struct entry *ne = reallocarray(c->e, c->n + 1, sizeof(*ne));
        if (!ne)
                return -ENOMEM;
        c->e = ne;
        struct entry *e = &c->e[c->n];
        e->section = strdup(section);
        e->key = strdup(key);
        e->value = strdup(value);
        if (!e->section || !e->key || !e->value) {
                free(e->section);
                free(e->key);
                free(e->value);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

int config_set(struct config *c, const char *section, const char *key, const char *value) {
        const struct key *k = key_find(section, key);
        if (!k || value_invalid(k, value))
                return -EINVAL;
        return config_put(c, section, key, value);
}

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

/* "YYYY-MM-DD", a real day, to its 00:00 UTC in seconds since the epoch. */
static int parse_day(const char *s, size_t n, int64_t *ret) {
        static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (n != 10 || s[4] != '-' || s[7] != '-')
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (i != 4 && i != 7 && !isdigit((unsigned char) s[i]))
                        return -EINVAL;
        unsigned y = (unsigned) atoi(s), m = (unsigned) atoi(s + 5), d = (unsigned) atoi(s + 8);
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
                return -EINVAL;
        *ret = days_from_civil(y, m, d) * 86400;
        return 0;
}

/* Split an [ignore] VALUE into its reason and the "until YYYY-MM-DD" that may end it.
 * NULL when valid, else what is wrong. */
static const char *ignore_value_parse(const char *value, size_t *ret_reason_len, const char **ret_until,
                                      int64_t *ret_until_sec) {
        size_t n = strlen(value);
        const char *last = value + n;
        while (last > value && !isspace((unsigned char) last[-1]))
                last--;
        const char *w = last;
        while (w > value && isspace((unsigned char) w[-1]))
                w--;
        const char *prev = w;
        while (prev > value && !isspace((unsigned char) prev[-1]))
                prev--;
        *ret_until = NULL;
        *ret_reason_len = n;
        if (strcmp(last, "until") == 0)
                return "expected a date after until: REASON until YYYY-MM-DD";
        if (w - prev == 5 && strncmp(prev, "until", 5) == 0) {
                if (parse_day(last, strlen(last), ret_until_sec) < 0)
                        return "expected REASON until YYYY-MM-DD (a real day, in UTC), got a bad date";
                *ret_until = last;
                while (prev > value && isspace((unsigned char) prev[-1]))
                        prev--;
                *ret_reason_len = (size_t) (prev - value);
        }
        if (*ret_reason_len == 0)
                return "expected CHECK [SUBJECT] = REASON [until YYYY-MM-DD]: the reason is missing";
        return NULL;
}

/* An [ignore] line's key "CHECK" or "CHECK SUBJECT" into "CHECK" or "CHECK SUBJECT" (one space)
 * in *RET; NULL when valid, else what is wrong. */
static const char *ignore_key_parse(const char *key, char **ret) {
        size_t idn = strcspn(key, " \t");
        const char *subject = key + idn + strspn(key + idn, " \t");
        _cleanup_free_ char *id = strndup(key, idn);
        if (!id)
                return "out of memory";
        if (check_known && !check_known(id))
                return "unknown check id (see hostfit list)";
        if (asprintf(ret, "%s%s%s", id, *subject ? " " : "", subject) < 0) {
                *ret = NULL;
                return "out of memory";
        }
        return NULL;
}

static int ignore_put(struct config *c, const char *key, const char *value, const char **ret_bad) {
        size_t rlen;
        const char *until;
        int64_t sec;
        _cleanup_free_ char *norm = NULL;
        *ret_bad = ignore_key_parse(key, &norm);
        if (!*ret_bad)
                *ret_bad = ignore_value_parse(value, &rlen, &until, &sec);
        if (*ret_bad)
                return -EINVAL;
        return config_put(c, "ignore", norm, value);
}

bool config_ignored(const struct config *c, const char *check_id, const char *subject, const char *comm,
                    uint64_t now_usec, struct config_ignore *ret) {
        const struct entry *best = NULL;
        size_t idn = strlen(check_id);
        for (size_t i = 0; c && i < c->n; i++) {
                const struct entry *e = &c->e[i];
                if (strcmp(e->section, "ignore") != 0 || strncmp(e->key, check_id, idn) != 0)
                        continue;
                const char *s = e->key + idn;
                if (*s == '\0' && !best)
                        best = e;
                else if (*s == ' ' && ((subject && strcmp(s + 1, subject) == 0) || (comm && strcmp(s + 1, comm) == 0)))
                        best = e, i = c->n;
        }
        if (!best)
                return false;
        int64_t sec = 0;
        *ret = (struct config_ignore) { .reason = best->value };
        (void) ignore_value_parse(best->value, &ret->reason_len, &ret->until, &sec);
        ret->expired = ret->until && (int64_t) (now_usec / 1000000) >= sec;
        return true;
}

static char *strip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

static int fail(char **ret_error, const char *filename, unsigned line, const char *what, const char *arg) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = strbuf_addf(&sb, "%s:%u: %s", filename, line, what);
        if (r == 0 && arg)
                r = strbuf_addf(&sb, " '%s'", arg);
        if (r < 0)
                return r;
        *ret_error = strbuf_detach(&sb, NULL);
        return -EINVAL;
}

/* Parse TEXT into C: a key already in C takes the new value, as a later line would. */
static int config_parse_into(struct config *c, const char *text, const char *filename, char **ret_error) {
        int r;
        _cleanup_free_ char *copy = strdup(text);
        _cleanup_free_ char *section = strdup("");
        if (!copy || !section)
                return -ENOMEM;
        unsigned lineno = 0;
        for (char *line = copy, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                lineno++;
                char *s = strip(line);
                if (!*s || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        char *end = strchr(s, ']');
                        if (!end || end[1])
                                return fail(ret_error, filename, lineno, "malformed section header", NULL);
                        *end = '\0';
                        bool known = strcmp(s + 1, "ignore") == 0;
                        for (size_t i = 0; i < ELEMENTSOF(known_keys); i++)
                                known = known || strcmp(known_keys[i].section, s + 1) == 0;
                        if (!known)
                                return fail(ret_error, filename, lineno, "unknown section", s + 1);
                        free(section);
                        section = strdup(s + 1);
                        if (!section)
                                return -ENOMEM;
                        continue;
                }
                char *eq = strchr(s, '=');
                if (!eq)
                        return fail(ret_error, filename, lineno, "expected KEY = VALUE", NULL);
                *eq = '\0';
                char *key = strip(s), *value = strip(eq + 1);
                if (!*section)
                        return fail(ret_error, filename, lineno, "key outside of a [section]:", key);
                if (strcmp(section, "ignore") == 0) {
                        const char *bad = NULL;
                        r = ignore_put(c, key, value, &bad);
                        if (r == -EINVAL && bad) {
                                _cleanup_free_ char *what = NULL;
                                if (asprintf(&what, "[ignore] %s: %s, in", key, bad) < 0)
                                        return -ENOMEM;
                                return fail(ret_error, filename, lineno, what, value);
                        }
                        if (r < 0)
                                return r;
                        continue;
                }
                const struct key *k = key_find(section, key);
                if (!k) {
                        _cleanup_free_ char *what = NULL;
                        if (asprintf(&what, "unknown key in [%s]:", section) < 0)
                                return -ENOMEM;
                        return fail(ret_error, filename, lineno, what, key);
                }
                const char *bad = value_invalid(k, value);
                if (bad) {
                        _cleanup_free_ char *what = NULL;
                        if (asprintf(&what, "%s.%s: %s, got", section, key, bad) < 0)
                                return -ENOMEM;
                        return fail(ret_error, filename, lineno, what, value);
                }
                r = config_put(c, section, key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_parse(const char *text, const char *filename, struct config **ret, char **ret_error) {
        _cleanup_(config_freep) struct config *c = NULL;
        int r = config_new_empty(&c);
        if (r < 0)
                return r;
        r = config_parse_into(c, text, filename, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* PATH under the root into C; a missing file adds nothing. */
static int config_load_file(const struct host *h, const char *path, struct config *c, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = host_read_file(h, path, 1 << 20, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        return -ENOMEM;
                return r;
        }
        if (strlen(text) != len)
                return fail(ret_error, path, 0, "contains a NUL byte", NULL);
        return config_parse_into(c, text, path, ret_error);
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static void names_free(char **names, size_t n) {
        while (n > 0)
                free(names[--n]);
        free(names);
}

/* The names of CONFIG_DIR's "*.conf" files in strcmp() order, at most CONFIG_DIR_MAX;
 * dot files (an editor's or apply's temporary file) are not read. */
static int config_dir_names(const struct host *h, char ***ret, size_t *ret_n, char **ret_error) {
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(h, CONFIG_DIR, &d);
        if (r == -ENOENT) {
                *ret = NULL, *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return asprintf(ret_error, "%s: %s", CONFIG_DIR, strerror(-r)) < 0 ? -ENOMEM : r;
        char **names = NULL;
        size_t n = 0;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                if (n == CONFIG_DIR_MAX) {
                        names_free(names, n);
                        return asprintf(ret_error, "%s: more than %d files", CONFIG_DIR, CONFIG_DIR_MAX) < 0
                               ? -ENOMEM : -E2BIG;
                }
                char **nn = reallocarray(names, n + 1, sizeof(*nn));
                if (nn)
                        names = nn;
                if (!nn || !(names[n] = strdup(de->d_name))) {
                        names_free(names, n);
                        return -ENOMEM;
                }
                n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(*names), name_cmp);
        *ret = names, *ret_n = n;
        return 0;
}

int config_load(const struct host *h, struct config **ret, char **ret_error) {
        _cleanup_(config_freep) struct config *c = NULL;
        int r = config_new_empty(&c);
        if (r < 0)
                return r;
        r = config_load_file(h, CONFIG_PATH, c, ret_error);
        if (r < 0)
                return r;
        char **names = NULL;
        size_t n = 0;
        r = config_dir_names(h, &names, &n, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (r >= 0 && asprintf(&path, "%s/%s", CONFIG_DIR, names[i]) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = config_load_file(h, path, c, ret_error);
        }
        names_free(names, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

const char *config_get(const struct config *c, const char *section, const char *key) {
        for (size_t i = 0; c && i < c->n; i++)
                if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0)
                        return c->e[i].value;
        return NULL;
}

uint64_t config_get_size(const struct config *c, const char *section, const char *key, uint64_t dflt) {
        const char *v = config_get(c, section, key);
        uint64_t u;
        return v && strcmp(v, "auto") != 0 && parse_size(v, &u) == 0 ? u : dflt;
}

long long config_get_int(const struct config *c, const char *section, const char *key, long long dflt) {
        const char *v = config_get(c, section, key);
        return v ? strtoll(v, NULL, 10) : dflt;
}

bool config_get_bool(const struct config *c, const char *section, const char *key, bool dflt) {
        const char *v = config_get(c, section, key);
        bool b;
        return v && parse_bool(v, &b) == 0 ? b : dflt;
}

const char *config_profile(const struct config *c) {
        const char *v = config_get(c, "hostfit", "profile");
        return v ? v : "production";
}

bool config_skips(const struct config *c, const char *check_id) {
        const char *v = config_get(c, "hostfit", "skip");
        if (!v)
                return false;
        size_t n = strlen(check_id);
        for (const char *s = v; *s; ) {
                s += strspn(s, " \t,");
                size_t len = strcspn(s, " \t,");
                if (len == n && strncmp(s, check_id, n) == 0)
                        return true;
                s += len;
        }
        return false;
}
