/* SPDX-License-Identifier: MIT */
/* Shell text read as far as keepalive-loop needs it: simple commands (words with their quotes
 * removed, nothing expanded) and the while/until/for loops around them. Comments, here-documents
 * and redirections are skipped; `case` bodies and $(…) are not looked into. Text from the host
 * is hostile: every bound is checked, nothing is run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SH_WORDS_MAX 64         /* words kept a command; the rest only counted */

struct sh_cmd {
        char **words;           /* NULL-terminated, quotes removed */
        size_t n;
        uint64_t expands;       /* bit i: word i holds $, `, ~ or an unquoted glob: its value is not the text */
        bool truncated;         /* more than SH_WORDS_MAX words */
        size_t offset;          /* of its first word in the text */
};

enum sh_loop_kind { SH_WHILE, SH_UNTIL, SH_FOR };

struct sh_loop {
        enum sh_loop_kind kind;
        size_t offset;          /* of the keyword in the text */
        size_t cond0, cond1;    /* its condition: commands [cond0, cond1) (none for `for`) */
        size_t body0, body1;    /* its body, nested commands included */
        bool closed;            /* its `done` was seen */
};

struct sh_text {
        struct sh_cmd *cmds;
        size_t n_cmds;
        struct sh_loop *loops;
        size_t n_loops;
};

/* Parse LEN bytes of TEXT. 0, or -ENOMEM; text a shell would refuse is read as far as it goes. */
int sh_parse(const char *text, size_t len, struct sh_text *ret);
void sh_text_done(struct sh_text *t);
/* Whether word I of C is exactly its text (no expansion). */
bool sh_word_plain(const struct sh_cmd *c, size_t i);
