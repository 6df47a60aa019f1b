/* SPDX-License-Identifier: MIT */
/* The values in effect in a parsed unit, read back as systemd reads them: memory limits,
 * sizes, percentages, time spans and the restart settings (unit-file.c parses). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "systemd/units.h"

#define WS " \t\n\r"

const struct unit_assignment *unit_get_assignment(const struct unit *u, const char *section, const char *key) {
        for (size_t i = u->n_a; i > 0; i--) {
                const struct unit_assignment *a = &u->a[i - 1];
                if (a->key[0] == key[0] && strcmp(a->key, key) == 0 && strcmp(a->section, section) == 0)
                        return *a->value ? a : NULL;
        }
        return NULL;
}

const char *unit_get(const struct unit *u, const char *section, const char *key) {
        const struct unit_assignment *a = unit_get_assignment(u, section, key);
        return a ? a->value : NULL;
}

/* systemd's parse_size(T, 1024): decimal integers with an optional fraction and the
 * suffixes B K M G T P E (case-sensitive, each at most once, largest first: "1G 512M"),
 * whitespace allowed around them. No hex, no exponent, no nan or inf. The fraction is
 * applied as systemd applies it, in binary floating point from integer digits. */
int unit_parse_size(const char *t, uint64_t *ret) {
        static const struct { const char *suffix; unsigned long long factor; } table[] = {
                { "E", 1ULL << 60 }, { "P", 1ULL << 50 }, { "T", 1ULL << 40 }, { "G", 1ULL << 30 },
                { "M", 1ULL << 20 }, { "K", 1ULL << 10 }, { "B", 1 }, { "", 1 },
        };
        unsigned long long r = 0;
        size_t start = 0;
        const char *p = t;
        /* The usual value, digits and at most one suffix ("1G", "536870912"): what the loop
         * below makes of it, without strtoull() and the table's walk. */
        size_t nd = 0;
        while (nd < 19 && t[nd] >= '0' && t[nd] <= '9')
                r = r * 10 + (unsigned) (t[nd++] - '0');
        if (nd > 0 && nd < 19) {
                static const char suffixes[] = "EPTGMKB";
                const char *sfx = t[nd] ? strchr(suffixes, t[nd]) : NULL;
                if (!t[nd] || (sfx && !t[nd + 1])) {
                        unsigned long long factor = sfx ? table[sfx - suffixes].factor : 1;
                        if (r > ULLONG_MAX / factor)
                                return -ERANGE;
                        *ret = r * factor;
                        return 0;
                }
        }
        r = 0;
        do {
                unsigned long long l, tmp;
                double frac = 0;
                char *e;
                size_t i;
                p += strspn(p, WS);
                errno = 0;
                l = strtoull(p, &e, 10);
                if (errno > 0)
                        return -errno;
                if (e == p)
                        return -EINVAL;
                if (*p == '-')
                        return -ERANGE;
                if (*e == '.') {
                        e++;
                        if (*e >= '0' && *e <= '9') {
                                char *e2;
                                unsigned long long l2 = strtoull(e, &e2, 10);
                                if (errno > 0)
                                        return -errno;
                                frac = (double) l2;
                                for (; e < e2; e++)
                                        frac /= 10;
                        }
                }
                e += strspn(e, WS);
                for (i = start; i < ELEMENTSOF(table); i++)
                        if (strncmp(e, table[i].suffix, strlen(table[i].suffix)) == 0)
                                break;
                if (i >= ELEMENTSOF(table))
                        return -EINVAL;
                if (l + (frac > 0) > ULLONG_MAX / table[i].factor)
                        return -ERANGE;
                /* 0 <= frac < 1, so the product stays below the factor (at most 2^60). */
                tmp = l * table[i].factor + (unsigned long long) (frac * (double) table[i].factor);
                if (tmp > ULLONG_MAX - r)
                        return -ERANGE;
                r += tmp;
                p = e + strlen(table[i].suffix);
                start = i + 1;
        } while (*p);
        *ret = r;
        return 0;
}

/* systemd's safe_atoi(): C's base 0 (so "0x10" and "010" are hex and octal) plus "0b" and
 * "0o" prefixes, leading whitespace and a sign allowed, nothing after the digits. */
static int parse_int(const char *s, int *ret) {
        int base = 0;
        char *x = NULL;
        s += strspn(s, WS);
        if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
                base = 2, s += 2;
        else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
                base = 8, s += 2;
        errno = 0;
        long l = strtol(s, &x, base);
        if (errno > 0)
                return -errno;
        if (!x || x == s || *x)
                return -EINVAL;
        if ((long) (int) l != l)
                return -ERANGE;
        *ret = (int) l;
        return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
        size_t l = strlen(suffix);
        return len >= l && memcmp(s + len - l, suffix, l) == 0;
}

/* "N<symbol>" or "N.D…<symbol>" with at most PLACES digits after the dot: N scaled by 10^PLACES. */
static int parse_parts(const char *p, size_t len, const char *symbol, int places) {
        size_t end = len - strlen(symbol);
        const char *dot = memchr(p, '.', end);
        int q = 0, v, scale = places == 2 ? 100 : places == 1 ? 10 : 1;
        if (dot) {
                size_t digits = (size_t) (p + end - dot - 1);
                if (digits < 1 || (int) digits > places)
                        return -EINVAL;
                for (size_t i = 1; i <= digits; i++) {
                        if (dot[i] < '0' || dot[i] > '9')
                                return -EINVAL;
                        q = q * 10 + (dot[i] - '0');
                }
                if (digits == 1 && places == 2)
                        q *= 10;
                end = (size_t) (dot - p);
        }
        _cleanup_free_ char *n = strndup(p, end);
        if (!n)
                return -ENOMEM;
        int r = parse_int(n, &v);
        if (r < 0)
                return r;
        if (v < 0)
                return -ERANGE;
        if (v > (INT_MAX - q) / scale)
                return -ERANGE;
        return v * scale + q;
}

/* systemd's parse_permyriad(): "N%" with up to two decimals, "N‰" with one, "N‱";
 * parts per 10000, at most 10000. */
int unit_parse_permyriad(const char *p) {
        size_t len = strlen(p);
        int v;
        if (ends_with(p, len, "\u2031"))
                v = parse_parts(p, len, "\u2031", 0);
        else if (ends_with(p, len, "\u2030"))
                v = parse_parts(p, len, "\u2030", 1);
        else if (ends_with(p, len, "%"))
                v = parse_parts(p, len, "%", 2);
        else
                return -EINVAL;
        return v > 10000 ? -ERANGE : v;
}

static const char *memory_section(const struct unit *u) {
        static const char *const map[][2] = {
                { ".service", "Service" }, { ".socket", "Socket" }, { ".slice", "Slice" },
                { ".scope", "Scope" }, { ".mount", "Mount" }, { ".swap", "Swap" },
        };
        const char *dot = strrchr(u->id, '.');
        for (size_t i = 0; dot && i < ELEMENTSOF(map); i++)
                if (strcmp(dot, map[i][0]) == 0)
                        return map[i][1];
        return NULL;
}

/* Keys for which 0 is a value systemd accepts, and "" means 0 rather than no limit. */
static bool zero_allowed(const char *key) {
        return strcmp(key, "MemorySwapMax") == 0 || strcmp(key, "MemoryLow") == 0 || strcmp(key, "MemoryMin") == 0;
}

/* One assignment as config_parse_memory_limit() takes it; false when systemd ignores it. */
static bool memory_value(const char *key, const char *v, enum unit_limit *ret_kind, uint64_t *ret_value) {
        uint64_t bytes;
        if (!*v) {
                bool zero = strcmp(key, "MemoryLow") == 0 || strcmp(key, "MemoryMin") == 0;
                *ret_kind = zero ? UNIT_LIMIT_BYTES : UNIT_LIMIT_UNSET;
                *ret_value = 0;
                return true;
        }
        if (strcmp(v, "infinity") == 0) {
                *ret_kind = UNIT_LIMIT_INFINITY, *ret_value = UINT64_MAX;
                return true;
        }
        int pm = unit_parse_permyriad(v);
        if (pm >= 0) {
                if (pm == 0 && !zero_allowed(key))
                        return false;
                *ret_kind = UNIT_LIMIT_PERCENT, *ret_value = (uint64_t) pm;
                return true;
        }
        if (unit_parse_size(v, &bytes) < 0 || bytes == UINT64_MAX || (bytes == 0 && !zero_allowed(key)))
                return false;
        *ret_kind = UNIT_LIMIT_BYTES, *ret_value = bytes;
        return true;
}

void unit_memory_get(const struct unit *u, const char *key, struct unit_memory *ret) {
        const char *section = memory_section(u);
        *ret = (struct unit_memory) { .kind = UNIT_LIMIT_UNSET };
        for (size_t i = 0; section && i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                enum unit_limit kind;
                uint64_t v;
                if (a->key[0] != key[0] || strcmp(a->key, key) != 0 || strcmp(a->section, section) != 0)
                        continue;
                if (!memory_value(key, a->value, &kind, &v)) {
                        ret->ignored = a;
                        continue;
                }
                ret->kind = kind;
                ret->value = v;
                ret->set = kind == UNIT_LIMIT_UNSET ? NULL : a;
        }
}

enum unit_limit unit_memory_setting(const struct unit *u, const char *key, uint64_t *ret_value) {
        struct unit_memory m;
        unit_memory_get(u, key, &m);
        if (ret_value)
                *ret_value = m.value;
        return m.kind;
}

uint64_t unit_memory_scale(uint64_t permyriad, uint64_t physical, uint64_t page_size) {
        uint64_t p = physical / page_size, m;
        if (p == 0)
                return 0;
        if (__builtin_mul_overflow(p, permyriad, &m))
                return UINT64_MAX;
        m /= 10000;
        if (__builtin_mul_overflow(m, page_size, &m))
                return UINT64_MAX;
        return m;
}

/* ---- service settings other checks read ---- */

static const char *const restart_values[] = {
        "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always", NULL,
};

const char *unit_service_restart(const struct unit *u) {
        const char *v = "no";
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                if (strcmp(a->key, "Restart") != 0 || strcmp(a->section, "Service") != 0)
                        continue;
                for (size_t k = 0; restart_values[k]; k++)
                        if (strcmp(a->value, restart_values[k]) == 0)
                                v = restart_values[k];  /* anything else, "" too, is ignored */
        }
        return v;
}

/* systemd's extract_multiplier(): the first suffix of the table that P starts with. */
static const char *time_multiplier(const char *p, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t usec; } table[] = {
                { "seconds", 1000000ULL }, { "second", 1000000ULL }, { "sec", 1000000ULL }, { "s", 1000000ULL },
                { "minutes", 60000000ULL }, { "minute", 60000000ULL }, { "min", 60000000ULL },
                { "months", 2629800000000ULL }, { "month", 2629800000000ULL }, { "M", 2629800000000ULL },
                { "msec", 1000ULL }, { "ms", 1000ULL }, { "m", 60000000ULL },
                { "hours", 3600000000ULL }, { "hour", 3600000000ULL }, { "hr", 3600000000ULL }, { "h", 3600000000ULL },
                { "days", 86400000000ULL }, { "day", 86400000000ULL }, { "d", 86400000000ULL },
                { "weeks", 604800000000ULL }, { "week", 604800000000ULL }, { "w", 604800000000ULL },
                { "years", 31557600000000ULL }, { "year", 31557600000000ULL }, { "y", 31557600000000ULL },
                { "usec", 1 }, { "us", 1 }, { "\u03bcs", 1 }, { "\u00b5s", 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strncmp(p, table[i].suffix, strlen(table[i].suffix)) == 0) {
                        *ret = table[i].usec;
                        return p + strlen(table[i].suffix);
                }
        return p;
}

int unit_parse_sec(const char *t, uint64_t *ret) {
        const char *p = t + strspn(t, WS);
        uint64_t usec = 0;
        bool something = false;
        if (strncmp(p, "infinity", 8) == 0) {
                if (p[8 + strspn(p + 8, WS)])
                        return -EINVAL;
                *ret = UNIT_USEC_INFINITY;
                return 0;
        }
        for (;;) {
                uint64_t multiplier = 1000000ULL, k;
                char *e;
                p += strspn(p, WS);
                if (!*p) {
                        if (!something)
                                return -EINVAL;
                        break;
                }
                if (*p == '-')
                        return -ERANGE;
                errno = 0;
                long long l = strtoll(p, &e, 10);
                if (errno > 0)
                        return -errno;
                if (l < 0)
                        return -ERANGE;
                if (*e == '.')
                        p = e + 1 + strspn(e + 1, "0123456789");
                else if (e == p)
                        return -EINVAL;
                else
                        p = e;
                const char *s = time_multiplier(p + strspn(p, WS), &multiplier);
                if (s == p && *s)
                        return -EINVAL;
                p = s;
                if ((uint64_t) l >= UNIT_USEC_INFINITY / multiplier)
                        return -ERANGE;
                k = (uint64_t) l * multiplier;
                if (k >= UNIT_USEC_INFINITY - usec)
                        return -ERANGE;
                usec += k;
                something = true;
                if (*e == '.') {
                        uint64_t m = multiplier / 10;
                        const char *b;
                        for (b = e + 1; *b >= '0' && *b <= '9'; b++, m /= 10) {
                                k = (uint64_t) (*b - '0') * m;
                                if (k >= UNIT_USEC_INFINITY - usec)
                                        return -ERANGE;
                                usec += k;
                        }
                        if (b == e + 1)
                                return -EINVAL;
                }
        }
        *ret = usec;
        return 0;
}

uint64_t unit_service_restart_usec(const struct unit *u) {
        uint64_t v = 100000;    /* systemd's default RestartSec=, 100ms */
        for (size_t i = 0; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                uint64_t t;
                if (strcmp(a->key, "RestartSec") == 0 && strcmp(a->section, "Service") == 0 &&
                    unit_parse_sec(a->value, &t) == 0)
                        v = t;          /* an invalid value, "" too, is ignored */
        }
        return v;
}
