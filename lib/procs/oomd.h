/* SPDX-License-Identifier: MIT */
/* What the OOM daemons spare and prefer: earlyoom's --avoid/--prefer regexes
 * (ROOT/etc/default/earlyoom) and nohang's @BADNESS_ADJ_RE_NAME lines.
 * systemd-oomd's units (ManagedOOM*=kill) are the unit model's to read. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct host;

#define EARLYOOM_DEFAULTS "/etc/default/earlyoom"
#define NOHANG_CONF "/etc/nohang/nohang.conf"

/* One name regex of a daemon; matched, as the daemons do, against the 15-byte comm. */
struct oomd_regex {
        const char *daemon;      /* "earlyoom", "nohang" (static) */
        const char *option;      /* "--avoid", "--prefer", "@BADNESS_ADJ_RE_NAME" (static) */
        bool avoid;              /* true: spares what it matches */
        char *pattern;
        regex_t re;
};

struct oomd_config {
        struct oomd_regex *re;
        size_t n;
        char **problems;         /* "PATH: what is wrong" for regexes that do not compile; NULL-terminated or NULL */
};

/* Read every daemon's configuration that exists; a missing file is not an error. */
int oomd_load(const struct host *h, struct oomd_config *ret);
void oomd_done(struct oomd_config *c);

/* Whether PATTERN (from a host file) is safe to compile and match: at most 512 bytes, no
 * repeated repetition ("a++"), counts up to 32 and not nested ("(a{9}){9}"), groups at most
 * 8 deep, no backreference. 0, or -errno with *RET_WHY (static) saying what it holds. */
#define OOMD_REGEX_MAX_LEN 512
#define OOMD_REGEX_MAX_REPEAT 32
#define OOMD_REGEX_MAX_DEPTH 8
int oomd_regex_check(const char *pattern, const char **ret_why);

/* POSIX extended regex on NAME, as earlyoom does (REG_EXTENDED|REG_NOSUB). */
bool oomd_regex_matches(const struct oomd_regex *r, const char *name);

/* The words of an EARLYOOM_ARGS value, quotes removed, with each word's raw span in VALUE. */
struct shell_word {
        char *word;
        size_t start, end;
};
int shell_split(const char *value, size_t len, struct shell_word **ret, size_t *ret_n);
void shell_words_free(struct shell_word *w, size_t n);

/* Locate the EARLYOOM_ARGS value in TEXT (the last assignment): its offset and length, quotes excluded. */
int earlyoom_args_find(const char *text, size_t len, size_t *ret_start, size_t *ret_len);
/* TEXT with EARLYOOM_ARGS's --avoid regex extended so that it also matches each of NAMES
 * exactly (names it already matches are left out; TEXT unchanged when none is left); every
 * other byte kept, and quoted to fit the value's own quotes, so a second edit changes nothing.
 * -ENOENT when there is no --avoid; -EINVAL when a name cannot be written safely, the old
 * regex cannot be used (invalid, or refused by oomd_regex_check()), or TEXT holds a NUL.
 * Pure: no host access. */
int earlyoom_edit_avoid(const char *text, size_t len, char *const *names, size_t n_names,
                        char **ret, size_t *ret_len);

/* Whether NAME may go into an --avoid regex: not a shell, tmux, screen, sudo or another
 * name every login has, and not a 15-byte name with a space (a process title cut short). */
bool oomd_avoid_name_ok(const char *name);

/* The facts a wrapper-oom-unprotected finding hands to its fix. */
#define WRAPPER_MAX 16
struct wrapper_oom_finding {
        bool daemon;                    /* a daemon's regex, not oom_score_adj */
        pid_t pid;                      /* the shielded (or spared) process */
        char comm[16];
        int adj;
        size_t n;                       /* exposed wrappers, parent first */
        struct wrapper_oom_proc {
                pid_t pid;
                char comm[16];
                int adj;
        } wrappers[WRAPPER_MAX];
        bool earlyoom;                  /* daemon: the regex is earlyoom's --avoid */
        size_t n_names;                 /* daemon: process names the regex must also match */
        char names[WRAPPER_MAX + 1][16];
};
