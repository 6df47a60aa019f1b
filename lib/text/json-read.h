/* SPDX-License-Identifier: MIT */
/* A small JSON reader for hostfit's own files (the run records): the whole text
 * to a tree of values. Strings may hold any byte: "\u00NN" below 0x100 is the
 * raw byte NN, as hostfit's writer (escape.h) encodes bytes that are not UTF-8. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_INT, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
        enum jv_type type;
        bool b;
        long long i;
        char *s;                /* JV_STRING: NUL-terminated, may hold NULs (len) */
        size_t len;             /* string length, or number of items/members */
        struct jv *items;       /* array items, or object values */
        char **keys;            /* object keys */
};

/* Parse TEXT (LEN bytes). Floats are refused (hostfit writes none); nesting
 * stops at 64 levels. -EBADMSG on malformed input. Free with jv_free(). */
int jv_parse(const char *text, size_t len, struct jv **ret);
struct jv *jv_free(struct jv *v);

/* The member KEY of object V, or NULL (also when V is not an object). */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Typed lookups: DEF when missing or of another type. */
const char *jv_get_str(const struct jv *v, const char *key);     /* NULL when missing */
long long jv_get_int(const struct jv *v, const char *key, long long def);
bool jv_get_bool(const struct jv *v, const char *key, bool def);
