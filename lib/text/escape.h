/* SPDX-License-Identifier: MIT */
/* Escaping of host bytes for the places they are shown: a terminal, JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "text/strbuf.h"

/* Append S (LEN bytes) to OUT, escaping only what a terminal would act on:
 * control characters (C0 but tab, so ESC and newline; DEL; C1) and bytes that
 * are not valid UTF-8 become \xNN. Everything else passes unchanged, a tab and
 * a backslash included, so a diff shows the file's bytes (and applies with
 * patch) and a unit name reads as systemd spells it ("my\x2dapp.service"). */
int escape_terminal(struct strbuf *out, const char *s, size_t len);
/* The same into a new string (NULL on -ENOMEM). */
char *escape_terminal_str(const char *s);

/* Length of the valid UTF-8 sequence at S (at most LEN bytes), 0 if invalid. */
size_t utf8_valid_len(const unsigned char *s, size_t len);

/* A minimal JSON writer: one object tree, strings always escaped. Errors are
 * sticky and reported by json_end(). */
struct json {
        FILE *f;
        unsigned depth;
        bool need_comma[32];
        bool after_key;
        int error;
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
/* A string of LEN bytes: invalid UTF-8 bytes are written as \u00NN. */
void json_string_len(struct json *j, const char *s, size_t len);
void json_string(struct json *j, const char *s);      /* NULL writes null */
void json_int(struct json *j, long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Finish: newline, flush; 0 or -errno. */
int json_end(struct json *j);
