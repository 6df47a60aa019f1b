/* SPDX-License-Identifier: MIT */
/* Alike manual steps: fix --dry-run shows one step of each shape with a count of the others
 * and the names (units, files) they differ in, so that no step stands for another's unit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "text/strv.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A byte of a name (a unit, a path): any but blanks and the punctuation around names in a
 * step's text; ':' and '=' end one too, so that "app1.service:SIZE" and "MemoryMax=512M" are two
 * names each. Control bytes stay in the name they are in (escaped when shown). */
static bool is_atom(char c) {
        return c && c != ' ' && c != '\t' && c != '\n' && !strchr("(){},;:='\"<>|&*$`", c);
}

/* X and Y differ only in their runs of digits. */
static bool text_alike(const char *x, const char *y) {
        while (*x && *y) {
                bool dx = is_digit(*x), dy = is_digit(*y);
                if (dx != dy)
                        return false;
                if (dx) {
                        while (is_digit(*x))
                                x++;
                        while (is_digit(*y))
                                y++;
                } else if (*x++ != *y++)
                        return false;
        }
        return *x == *y;
}

bool plan_manual_alike(const struct action *a, const struct action *b) {
        return a->kind == ACTION_MANUAL && b->kind == ACTION_MANUAL && a->text && b->text &&
               !a->check == !b->check && (!a->check || strcmp(a->check, b->check) == 0) && text_alike(a->text, b->text);
}

/* Adds the LEN bytes at S to *NAMES unless they are there already; -ENOMEM. */
static int names_add(char ***names, size_t *n, const char *s, size_t len) {
        for (size_t i = 0; i < *n; i++)
                if (strlen((*names)[i]) == len && memcmp((*names)[i], s, len) == 0)
                        return 0;
        char *c = strndup(s, len);
        return c ? strv_push(names, n, c) : -ENOMEM;
}

/* Only digits and dots: a number (a pid, a size), counted, never listed. */
static bool is_number(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (!is_digit(s[i]) && s[i] != '.')
                        return false;
        return true;
}

/* A path whose last component is another of NAMES says nothing more than that name. */
static bool path_of_another(char *const *names, size_t n, const char *s) {
        size_t len = strlen(s);
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(names[i]);
                if (len > l && s[len - l - 1] == '/' && strcmp(s + len - l, names[i]) == 0)
                        return true;
        }
        return false;
}

/* The names in OTHER where it differs from SHOWN, into *RET (N): -EINVAL when not alike. */
static int names_differing(const char *shown, const char *other, char ***ret, size_t *n) {
        const char *x = shown, *y = other;
        if (!text_alike(x, y))
                return -EINVAL;
        /* Alike texts have their names at the same places: walk both a name or a byte at a time. */
        while (*x && *y) {
                if (!is_atom(*x) || !is_atom(*y)) {
                        x++, y++;
                        continue;
                }
                const char *xs = x, *ys = y;
                while (is_atom(*x))
                        x++;
                while (is_atom(*y))
                        y++;
                size_t xl = (size_t) (x - xs), yl = (size_t) (y - ys);
                if (xl == yl && memcmp(xs, ys, xl) == 0)
                        continue;
                while (yl > 1 && ys[yl - 1] == '.')
                        yl--;   /* the end of a sentence */
                if (is_number(ys, yl))
                        continue;
                int r = names_add(ret, n, ys, yl);
                if (r < 0)
                        return r;
        }
        return 0;
}

int plan_manual_names(const char *shown, const char *other, char ***names, size_t *n) {
        char **mine = NULL;
        size_t m = 0;
        int r = names_differing(shown, other, &mine, &m);
        for (size_t i = 0; r >= 0 && i < m; i++)
                if (!path_of_another(mine, m, mine[i]))
                        r = names_add(names, n, mine[i], strlen(mine[i]));
        strv_free_n(mine, m);
        return r < 0 ? r : 0;
}
