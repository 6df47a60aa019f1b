/* SPDX-License-Identifier: MIT */
/* OOM daemon configurations: earlyoom's name regexes (read and edited), nohang's, systemd-oomd's units. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "procs/oomd.h"
#include "text/strbuf.h"

#define CONF_MAX (1u << 20)

void shell_words_free(struct shell_word *w, size_t n) {
        for (size_t i = 0; w && i < n; i++)
                free(w[i].word);
        free(w);
}

/* Shell-like words: '…' literal, "…" with \" and \\, \x outside quotes. */
int shell_split(const char *value, size_t len, struct shell_word **ret, size_t *ret_n) {
        struct shell_word *w = NULL;
        size_t n = 0, i = 0;
        for (;;) {
                while (i < len && (value[i] == ' ' || value[i] == '\t'))
                        i++;
                if (i >= len)
                        break;
                _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
                size_t start = i;
                int r = strbuf_grow(&sb, 1);
                while (r == 0 && i < len && value[i] != ' ' && value[i] != '\t') {
                        char c = value[i++];
                        if (c == '\'') {
                                const char *q = memchr(value + i, '\'', len - i);
                                if (!q)
                                        r = -EINVAL;
                                else {
                                        r = strbuf_add(&sb, value + i, (size_t) (q - value - i));
                                        i = (size_t) (q - value) + 1;
                                }
                        } else if (c == '"') {
                                while (r == 0 && i < len && value[i] != '"') {
                                        if (value[i] == '\\' && i + 1 < len && strchr("\"\\$`", value[i + 1]))
                                                i++;
                                        r = strbuf_addch(&sb, value[i++]);
                                }
                                if (r == 0 && i >= len)
                                        r = -EINVAL;
                                i++;
                        } else if (c == '\\' && i < len) {
                                r = strbuf_addch(&sb, value[i++]);
                        } else {
                                r = strbuf_addch(&sb, c);
                        }
                }
                struct shell_word *nw = r == 0 ? reallocarray(w, n + 1, sizeof(*nw)) : NULL;
                if (!nw) {
                        shell_words_free(w, n);
                        return r < 0 ? r : -ENOMEM;
                }
                w = nw;
                w[n++] = (struct shell_word) { .word = strbuf_detach(&sb, NULL), .start = start, .end = i };
                if (!w[n - 1].word) {
                        shell_words_free(w, n);
                        return -ENOMEM;
                }
        }
        *ret = w;
        *ret_n = n;
        return 0;
}

int earlyoom_args_find(const char *text, size_t len, size_t *ret_start, size_t *ret_len) {
        bool found = false;
        size_t vs = 0, vl = 0;
        for (size_t off = 0; off < len; ) {
                const char *line = text + off;
                const char *eol = memchr(line, '\n', len - off);
                size_t ll = eol ? (size_t) (eol - line) : len - off;
                size_t i = strspn(line, " \t");
                if (ll >= i + 7 && strncmp(line + i, "export ", 7) == 0)
                        i += 7;
                if (ll > i + 14 && strncmp(line + i, "EARLYOOM_ARGS=", 14) == 0) {
                        i += 14;
                        char q = line[i];
                        if (q == '"' || q == '\'') {
                                size_t j = i + 1;
                                while (j < ll && line[j] != q)
                                        j += q == '"' && line[j] == '\\' ? 2 : 1;
                                if (j >= ll)
                                        return -EINVAL;
                                vs = off + i + 1;
                                vl = j - i - 1;
                        } else {
                                size_t j = ll;
                                while (j > i && (line[j - 1] == ' ' || line[j - 1] == '\t'))
                                        j--;
                                vs = off + i;
                                vl = j - i;
                        }
                        found = true;
                }
                off += ll + 1;
        }
        if (!found)
                return -ENOENT;
        *ret_start = vs;
        *ret_len = vl;
        return 0;
}

/* Whether PATTERN is safe to hand to regcomp(): glibc builds its automaton by copying
 * each repeated subexpression, so "a++++++++++++++++" or "(a{100}){100}" take memory
 * and time without bound, and a backreference makes matching exponential. A daemon's
 * name regex needs none of that: refuse it, saying why, and never compile it. */
int oomd_regex_check(const char *pattern, const char **ret_why) {
        size_t len = strlen(pattern);
        bool counted[OOMD_REGEX_MAX_DEPTH + 1] = { false };    /* group level i holds a {n} */
        bool after_repeat = false, closed_counted = false;
        unsigned depth = 0;
        if (len > OOMD_REGEX_MAX_LEN) {
                *ret_why = "it is longer than 512 bytes";
                return -E2BIG;
        }
        for (size_t i = 0; i < len; i++) {
                char c = pattern[i];
                bool after_group = i > 0 && pattern[i - 1] == ')';
                if ((c == '*' || c == '+' || c == '?' || c == '{') && after_repeat) {
                        *ret_why = "it repeats a repetition (as in a++), which makes regcomp() blow up";
                        return -ELOOP;
                }
                if (c == '*' || c == '+' || c == '?') {
                        after_repeat = true;
                        continue;
                }
                if (c == '{') {
                        char *end;
                        unsigned long m = strtoul(pattern + i + 1, &end, 10), n = m;
                        if (*end == ',' && end[1] != '}')
                                n = strtoul(end + 1, &end, 10);
                        else if (*end == ',')
                                end++;
                        if (*end != '}' || !isdigit((unsigned char) pattern[i + 1])) {
                                after_repeat = false;   /* not a count: regcomp() judges it */
                                continue;
                        }
                        if (m > OOMD_REGEX_MAX_REPEAT || n > OOMD_REGEX_MAX_REPEAT) {
                                *ret_why = "it counts a repetition above 32, which makes regcomp() blow up";
                                return -E2BIG;
                        }
                        if (after_group && closed_counted) {
                                *ret_why = "it nests counted repetitions, which makes regcomp() blow up";
                                return -E2BIG;
                        }
                        counted[depth] = true;
                        i = (size_t) (end - pattern);
                        after_repeat = true;
                        continue;
                }
                after_repeat = false;
                if (c == '\\') {
                        if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
                                *ret_why = "it holds a backreference, whose matching takes exponential time";
                                return -EINVAL;
                        }
                        i += pattern[i + 1] != '\0';
                } else if (c == '[') {
                        /* A bracket expression: "]" first is literal; "[:alpha:]" and the like inside. */
                        size_t j = i + 1;
                        j += pattern[j] == '^';
                        j += pattern[j] == ']';
                        for (; j < len && pattern[j] != ']'; j++)
                                if (pattern[j] == '[' && pattern[j + 1] && strchr(":.=", pattern[j + 1])) {
                                        const char *close = strchr(pattern + j + 2, pattern[j + 1]);
                                        if (close && close[1] == ']')
                                                j = (size_t) (close - pattern) + 1;
                                }
                        i = j;
                } else if (c == '(') {
                        if (depth == OOMD_REGEX_MAX_DEPTH) {
                                *ret_why = "it nests groups more than 8 deep";
                                return -E2BIG;
                        }
                        counted[++depth] = false;
                } else if (c == ')' && depth > 0) {
                        closed_counted = counted[depth--];
                        counted[depth] |= closed_counted;
                }
        }
        return 0;
}

/* Append NAME as an exact ERE alternative; only characters that need no backslash. */
static int add_name_re(struct strbuf *sb, const char *name) {
        for (const char *s = name; *s; s++) {
                unsigned char c = (unsigned char) *s;
                int r;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(" :-_/@%,=", c))
                        r = strbuf_addch(sb, (char) c);
                else if (strchr(".+*?(){}|", c))
                        r = strbuf_addf(sb, "[%c]", c);
                else
                        return -EINVAL;
                if (r < 0)
                        return r;
        }
        return 0;
}

bool oomd_avoid_name_ok(const char *name) {
        static const char *const generic[] = {
                "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "ash", "csh", "tcsh", "busybox",
                "tmux", "tmux: server", "tmux: client", "screen", "SCREEN", "sudo", "su", "doas", "login",
        };
        size_t n = strlen(name);
        if (n == 0 || (n >= 15 && strchr(name, ' ')))
                return false;           /* a name cut at 15 bytes (a process title): not a name */
        for (size_t i = 0; i < ELEMENTSOF(generic); i++)
                if (strcmp(name, generic[i]) == 0)
                        return false;
        return true;
}

int earlyoom_edit_avoid(const char *text, size_t len, char *const *names, size_t n_names,
                        char **ret, size_t *ret_len) {
        size_t vs, vl, nw = 0;
        struct shell_word *w = NULL;
        /* A NUL has no place in a shell file, and would cut every string read from it. */
        if (memchr(text, '\0', len))
                return -EINVAL;
        int r = earlyoom_args_find(text, len, &vs, &vl);
        if (r < 0)
                return r;
        r = shell_split(text + vs, vl, &w, &nw);
        if (r < 0)
                return r;
        size_t at = SIZE_MAX;
        for (size_t i = 0; i < nw && at == SIZE_MAX; i++) {
                if (strcmp(w[i].word, "--avoid") == 0 && i + 1 < nw)
                        at = i + 1;
                else if (strncmp(w[i].word, "--avoid=", 8) == 0)
                        at = i;
        }
        if (at == SIZE_MAX) {
                shell_words_free(w, nw);
                return -ENOENT;
        }
        /* Append "|^(a|b)$", quoted, right after the old word's raw text: old bytes stay as
         * they are. Inside a single-quoted value the quotes are double, else single. */
        size_t cut = vs + w[at].end;
        char outer = vs > 0 ? text[vs - 1] : 0, q = outer == '\'' ? '"' : '\'';
        const char *old = strncmp(w[at].word, "--avoid=", 8) == 0 ? w[at].word + 8 : w[at].word;
        const char *why;
        regex_t re;
        /* An old regex that cannot be used (invalid, or one that blows up) is the admin's to mend. */
        if (oomd_regex_check(old, &why) < 0 || regcomp(&re, old, REG_EXTENDED | REG_NOSUB) != 0) {
                shell_words_free(w, nw);
                return -EINVAL;
        }
        shell_words_free(w, nw);
        _cleanup_free_ bool *skip = calloc(n_names + 1, sizeof(bool));
        size_t todo = 0;
        for (size_t i = 0; skip && i < n_names; i++) {
                skip[i] = !oomd_avoid_name_ok(names[i]) || regexec(&re, names[i], 0, NULL, 0) == 0;
                for (size_t j = 0; j < i && !skip[i]; j++)
                        skip[i] = strcmp(names[i], names[j]) == 0;
                todo += !skip[i];
        }
        regfree(&re);
        if (!skip)
                return -ENOMEM;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (todo == 0) {
                r = strbuf_add(&sb, text, len);
                if (r < 0)
                        return r;
                *ret = strbuf_detach(&sb, ret_len);
                return *ret ? 0 : -ENOMEM;
        }
        r = strbuf_add(&sb, text, cut);
        if (r == 0)
                r = strbuf_addf(&sb, "%c|^(", q);
        for (size_t i = 0, k = 0; i < n_names && r == 0; i++) {
                if (skip[i])
                        continue;
                if (k++)
                        r = strbuf_addch(&sb, '|');
                if (r == 0)
                        r = add_name_re(&sb, names[i]);
        }
        if (r == 0)
                r = strbuf_addf(&sb, ")$%c", q);
        if (r == 0)
                r = strbuf_add(&sb, text + cut, len - cut);
        if (r < 0)
                return r;
        *ret = strbuf_detach(&sb, ret_len);
        return *ret ? 0 : -ENOMEM;
}

static int add_problem(struct oomd_config *c, const char *path, const char *option, const char *what) {
        size_t n = 0;
        while (c->problems && c->problems[n])
                n++;
        char **np = reallocarray(c->problems, n + 2, sizeof(char *));
        if (!np)
                return -ENOMEM;
        c->problems = np;
        if (asprintf(&np[n], "%s: %s %s", path, option, what) < 0)
                np[n] = NULL;
        np[n + 1] = NULL;
        return np[n] ? 0 : -ENOMEM;
}

static int add_regex(struct oomd_config *c, const char *daemon, const char *option, bool avoid,
                     const char *pattern, const char *path) {
        struct oomd_regex x = { .daemon = daemon, .option = option, .avoid = avoid };
        const char *why = NULL;
        if (oomd_regex_check(pattern, &why) < 0 || regcomp(&x.re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
                _cleanup_free_ char *what = NULL;
                if (asprintf(&what, "'%s' could not be used: %s", pattern,
                             why ? why : "it is not a valid extended regex") < 0)
                        return -ENOMEM;
                return add_problem(c, path, option, what);
        }
        x.pattern = strdup(pattern);
        struct oomd_regex *nr = x.pattern ? reallocarray(c->re, c->n + 1, sizeof(*nr)) : NULL;
        if (!nr) {
                regfree(&x.re);
                free(x.pattern);
                return -ENOMEM;
        }
        c->re = nr;
        c->re[c->n++] = x;
        return 0;
}

static int load_earlyoom(const struct host *h, struct oomd_config *c) {
        _cleanup_free_ char *text = NULL;
        size_t len, vs, vl, nw = 0;
        struct shell_word *w = NULL;
        int r = host_read_file(h, EARLYOOM_DEFAULTS, CONF_MAX, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r == 0 && memchr(text, '\0', len))
                return add_problem(c, EARLYOOM_DEFAULTS, "EARLYOOM_ARGS", "could not be used: the file holds a NUL byte");
        if (r == 0)
                r = earlyoom_args_find(text, len, &vs, &vl);
        if (r == -ENOENT)
                return 0;
        if (r == 0)
                r = shell_split(text + vs, vl, &w, &nw);
        for (size_t i = 0; r == 0 && i < nw; i++) {
                const char *opt = NULL, *val = NULL;
                if ((strcmp(w[i].word, "--avoid") == 0 || strcmp(w[i].word, "--prefer") == 0) && i + 1 < nw) {
                        opt = w[i].word;
                        val = w[++i].word;
                } else if (strncmp(w[i].word, "--avoid=", 8) == 0 || strncmp(w[i].word, "--prefer=", 9) == 0) {
                        opt = w[i].word;
                        val = strchr(w[i].word, '=') + 1;
                }
                if (opt)
                        r = add_regex(c, "earlyoom", strncmp(opt, "--avoid", 7) == 0 ? "--avoid" : "--prefer",
                                      strncmp(opt, "--avoid", 7) == 0, val, EARLYOOM_DEFAULTS);
        }
        shell_words_free(w, nw);
        if (r == -EINVAL)
                return add_problem(c, EARLYOOM_DEFAULTS, "EARLYOOM_ARGS", "has unbalanced quotes");
        if (r < 0 && r != -ENOMEM)
                return add_problem(c, EARLYOOM_DEFAULTS, "cannot be read:", strerror(-r));
        return r;
}

/* "@BADNESS_ADJ_RE_NAME  -500  ///  ^vite$" */
static int load_nohang(const struct host *h, struct oomd_config *c) {
        _cleanup_free_ char *text = NULL;
        int r = host_read_file(h, NOHANG_CONF, CONF_MAX, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0 && r != -ENOMEM)
                return add_problem(c, NOHANG_CONF, "cannot be read:", strerror(-r));
        if (r < 0)
                return r;
        for (char *line = text, *next; line && r == 0; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line += strspn(line, " \t");
                if (strncmp(line, "@BADNESS_ADJ_RE_NAME", 20) != 0)
                        continue;
                char *sep = strstr(line, "///");
                if (!sep)
                        continue;
                long adj = strtol(line + 20, NULL, 10);
                char *re = sep + 3;
                re += strspn(re, " \t");
                size_t n = strlen(re);
                while (n > 0 && (re[n - 1] == ' ' || re[n - 1] == '\t'))
                        re[--n] = '\0';
                if (adj != 0 && n > 0)
                        r = add_regex(c, "nohang", "@BADNESS_ADJ_RE_NAME", adj < 0, re, NOHANG_CONF);
        }
        return r;
}

void oomd_done(struct oomd_config *c) {
        for (size_t i = 0; i < c->n; i++) {
                regfree(&c->re[i].re);
                free(c->re[i].pattern);
        }
        free(c->re);
        for (char **s = c->problems; s && *s; s++)
                free(*s);
        free(c->problems);
        memset(c, 0, sizeof(*c));
}

int oomd_load(const struct host *h, struct oomd_config *ret) {
        struct oomd_config c = {};
        int r = load_earlyoom(h, &c);
        if (r == 0)
                r = load_nohang(h, &c);
        if (r < 0) {
                oomd_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

bool oomd_regex_matches(const struct oomd_regex *r, const char *name) {
        return regexec(&r->re, name, 0, NULL, 0) == 0;
}
