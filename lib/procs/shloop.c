/* SPDX-License-Identifier: MIT */
/* Shell text: simple commands and the loops around them (see shloop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procs/shloop.h"
#include "text/cleanup.h"
#include "text/strbuf.h"

#define HEREDOC_MAX 8
#define LOOP_DEPTH_MAX 64

struct lexer {
        const char *s;
        size_t len, i;
        char *heredoc[HEREDOC_MAX];     /* delimiters of here-documents whose body starts at the next newline */
        bool strip[HEREDOC_MAX];        /* <<- */
        size_t n_heredoc;
};

enum tok_kind { TOK_EOF, TOK_WORD, TOK_SEP };

struct token {
        enum tok_kind kind;
        struct strbuf word;
        bool quoted;            /* a quote or backslash in it: never a reserved word */
        bool expands;
        size_t offset;
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool is_operator(char c) {
        return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '\n';
}

static int peek(const struct lexer *l, size_t k) {
        return l->i + k < l->len ? (unsigned char) l->s[l->i + k] : -1;
}

/* Past the "`" that closes the one at l->i. */
static void skip_backquote(struct lexer *l) {
        for (l->i++; l->i < l->len; l->i++) {
                if (l->s[l->i] == '\\')
                        l->i++;
                else if (l->s[l->i] == '`') {
                        l->i++;
                        return;
                }
        }
        l->i = l->len;
}

/* Past the ")" that closes the "(" at l->i; quotes inside are skipped whole. */
static void skip_parens(struct lexer *l) {
        size_t depth = 0;
        for (; l->i < l->len; l->i++) {
                char c = l->s[l->i];
                if (c == '\\') {
                        l->i++;
                } else if (c == '\'') {
                        const char *q = memchr(l->s + l->i + 1, '\'', l->len - l->i - 1);
                        if (!q)
                                break;
                        l->i = (size_t) (q - l->s);
                } else if (c == '(') {
                        depth++;
                } else if (c == ')' && --depth == 0) {
                        l->i++;
                        return;
                }
        }
        l->i = l->len;
}

/* An expansion at l->i ("$NAME", "${…}", "$(…)", "`…`"): its raw text onto T's word. */
static int lex_expansion(struct lexer *l, struct token *t) {
        size_t from = l->i;
        t->expands = true;
        if (l->s[l->i] == '`')
                skip_backquote(l);
        else if (peek(l, 1) == '(') {
                l->i++;
                skip_parens(l);
        } else
                l->i++;
        return strbuf_add(&t->word, l->s + from, l->i - from);
}

/* The body of each pending here-document, from just after a newline: skipped line by line. */
static void skip_heredocs(struct lexer *l) {
        for (size_t h = 0; h < l->n_heredoc; h++) {
                const char *d = l->heredoc[h];
                size_t dl = strlen(d);
                while (l->i < l->len) {
                        size_t start = l->i;
                        const char *nl = memchr(l->s + start, '\n', l->len - start);
                        size_t end = nl ? (size_t) (nl - l->s) : l->len;
                        l->i = nl ? end + 1 : l->len;
                        if (l->strip[h])
                                while (start < end && l->s[start] == '\t')
                                        start++;
                        if (end - start == dl && memcmp(l->s + start, d, dl) == 0)
                                break;
                }
                free(l->heredoc[h]);
        }
        l->n_heredoc = 0;
}

static int lex_word(struct lexer *l, struct token *t);

/* A redirection at l->i ("<", ">>", "2>&1", "<<EOF", "&>"): consumed with its target word. */
static int lex_redirect(struct lexer *l) {
        bool heredoc = peek(l, 0) == '<' && peek(l, 1) == '<' && peek(l, 2) != '<';
        bool strip = heredoc && peek(l, 2) == '-';
        while (l->i < l->len && strchr("<>&|-", l->s[l->i]) && !(l->s[l->i] == '-' && !heredoc))
                l->i++;
        if (l->i > 0 && l->s[l->i - 1] == '&') {
                /* >&2, <&-: a descriptor, no word */
                while (l->i < l->len && ((l->s[l->i] >= '0' && l->s[l->i] <= '9') || l->s[l->i] == '-'))
                        l->i++;
                if (l->i < l->len && !is_blank(l->s[l->i]) && !is_operator(l->s[l->i]))
                        goto word;
                return 0;
        }
word:
        while (l->i < l->len && is_blank(l->s[l->i]))
                l->i++;
        if (l->i >= l->len || is_operator(l->s[l->i]) || l->s[l->i] == '<' || l->s[l->i] == '>')
                return 0;       /* no target: a shell error, read no further into it */
        struct token t = { .word = STRBUF_INIT };
        int r = lex_word(l, &t);
        if (r == 0 && heredoc && l->n_heredoc < HEREDOC_MAX && t.kind == TOK_WORD) {
                l->heredoc[l->n_heredoc] = strbuf_detach(&t.word, NULL);
                if (!l->heredoc[l->n_heredoc])
                        r = -ENOMEM;
                else
                        l->strip[l->n_heredoc++] = strip;
        }
        strbuf_release(&t.word);
        return r;
}

/* One word, from l->i (not a blank): quotes removed, the raw text of expansions kept. */
static int lex_word(struct lexer *l, struct token *t) {
        int r = 0;
        t->kind = TOK_WORD;
        t->offset = l->i;
        while (l->i < l->len && r == 0) {
                char c = l->s[l->i];
                if (is_blank(c) || is_operator(c))
                        break;
                if (c == '<' || c == '>') {
                        bool fd = t->word.len > 0 && !t->quoted && strspn(t->word.buf, "0123456789") == t->word.len;
                        if (t->word.len && !fd)
                                break;
                        strbuf_reset(&t->word);
                        r = lex_redirect(l);
                        while (r == 0 && l->i < l->len && is_blank(l->s[l->i]))
                                l->i++;
                        if (t->word.len == 0)
                                t->offset = l->i;
                        continue;
                }
                if (c == '\\') {
                        t->quoted = true;
                        if (peek(l, 1) == '\n') {
                                l->i += 2;
                                continue;
                        }
                        if (l->i + 1 < l->len)
                                r = strbuf_addch(&t->word, l->s[l->i + 1]);
                        l->i += 2;
                } else if (c == '\'') {
                        const char *q = memchr(l->s + l->i + 1, '\'', l->len - l->i - 1);
                        size_t end = q ? (size_t) (q - l->s) : l->len;
                        t->quoted = true;
                        r = strbuf_add(&t->word, l->s + l->i + 1, end - l->i - 1);
                        l->i = end + 1;
                } else if (c == '"') {
                        t->quoted = true;
                        for (l->i++; l->i < l->len && l->s[l->i] != '"' && r == 0; ) {
                                char d = l->s[l->i];
                                if (d == '\\' && l->i + 1 < l->len && strchr("$`\"\\\n", l->s[l->i + 1])) {
                                        if (l->s[l->i + 1] != '\n')
                                                r = strbuf_addch(&t->word, l->s[l->i + 1]);
                                        l->i += 2;
                                } else if (d == '$' || d == '`') {
                                        r = lex_expansion(l, t);
                                } else {
                                        r = strbuf_addch(&t->word, d);
                                        l->i++;
                                }
                        }
                        l->i++;
                } else if (c == '$' || c == '`') {
                        r = lex_expansion(l, t);
                } else {
                        if (c == '*' || c == '?' || (c == '~' && t->word.len == 0) ||
                            (c == '[' && memchr(l->s + l->i, ']', l->len - l->i) && t->word.len > 0))
                                t->expands = true;
                        r = strbuf_addch(&t->word, c);
                        l->i++;
                }
        }
        if (l->i > l->len)
                l->i = l->len;
        if (r == 0 && t->word.len == 0 && !t->quoted)
                t->kind = TOK_EOF;      /* only redirections: no word */
        return r;
}

/* The next token: a word, a separator (";" "&" "|" "&&" "||" "(" ")" newline), or the end. */
static int lex_next(struct lexer *l, struct token *t) {
        strbuf_reset(&t->word);
        t->quoted = t->expands = false;
        for (;;) {
                while (l->i < l->len && is_blank(l->s[l->i]))
                        l->i++;
                if (l->i >= l->len) {
                        t->kind = TOK_EOF;
                        return 0;
                }
                char c = l->s[l->i];
                if (c == '\\' && peek(l, 1) == '\n') {
                        l->i += 2;
                        continue;
                }
                if (c == '#') {
                        const char *nl = memchr(l->s + l->i, '\n', l->len - l->i);
                        l->i = nl ? (size_t) (nl - l->s) : l->len;
                        continue;
                }
                t->offset = l->i;
                if (is_operator(c)) {
                        t->kind = TOK_SEP;
                        l->i++;
                        if (c == '\n')
                                skip_heredocs(l);
                        else if ((c == ';' || c == '&' || c == '|') && peek(l, 0) == c)
                                l->i++;
                        return 0;
                }
                int r = lex_word(l, t);
                if (r < 0 || t->kind == TOK_WORD)
                        return r;
                /* Only redirections: each step moved past at least one byte. */
        }
}

static bool reserved(const struct token *t, const char *w) {
        return t->kind == TOK_WORD && !t->quoted && strcmp(strbuf_str(&t->word), w) == 0;
}

struct parser {
        struct sh_text *out;
        struct sh_cmd cur;
        size_t cur_cap;
        size_t stack[LOOP_DEPTH_MAX];   /* open loops, by index in out->loops */
        size_t depth;
};

static int cmd_end(struct parser *p) {
        if (p->cur.n == 0)
                return 0;
        struct sh_cmd *v = realloc(p->out->cmds, (p->out->n_cmds + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        p->out->cmds = v;
        v[p->out->n_cmds++] = p->cur;
        p->cur = (struct sh_cmd) {};
        p->cur_cap = 0;
        return 0;
}

static int cmd_add(struct parser *p, struct token *t) {
        if (p->cur.n >= SH_WORDS_MAX) {
                p->cur.truncated = true;
                return 0;
        }
        if (p->cur.n + 2 > p->cur_cap) {
                size_t cap = p->cur_cap ? p->cur_cap * 2 : 8;
                char **w = realloc(p->cur.words, cap * sizeof(char *));
                if (!w)
                        return -ENOMEM;
                p->cur.words = w;
                p->cur_cap = cap;
        }
        if (p->cur.n == 0)
                p->cur.offset = t->offset;
        char *s = strdup(strbuf_str(&t->word));
        if (!s)
                return -ENOMEM;
        if (t->expands)
                p->cur.expands |= UINT64_C(1) << p->cur.n;
        p->cur.words[p->cur.n++] = s;
        p->cur.words[p->cur.n] = NULL;
        return 0;
}

static int loop_open(struct parser *p, enum sh_loop_kind kind, size_t offset) {
        if (p->depth >= LOOP_DEPTH_MAX)
                return 0;
        struct sh_loop *v = realloc(p->out->loops, (p->out->n_loops + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        p->out->loops = v;
        v[p->out->n_loops] = (struct sh_loop) { .kind = kind, .offset = offset, .cond0 = p->out->n_cmds,
                                                .cond1 = p->out->n_cmds, .body0 = p->out->n_cmds };
        p->stack[p->depth++] = p->out->n_loops++;
        return 0;
}

/* A reserved word at the start of a command: 1 when T was one (and is used up). */
static int reserved_word(struct parser *p, struct lexer *l, struct token *t) {
        struct sh_loop *top = p->depth ? &p->out->loops[p->stack[p->depth - 1]] : NULL;
        if (reserved(t, "while") || reserved(t, "until"))
                return loop_open(p, reserved(t, "while") ? SH_WHILE : SH_UNTIL, t->offset) < 0 ? -ENOMEM : 1;
        if (reserved(t, "for") || reserved(t, "select")) {
                /* Its words up to "do" after a separator are a list, not commands. */
                int r = loop_open(p, SH_FOR, t->offset);
                bool sep = false;
                while (r == 0 && (r = lex_next(l, t)) == 0 && t->kind != TOK_EOF && !(sep && reserved(t, "do")))
                        sep = t->kind == TOK_SEP;
                if (r == 0 && p->depth) {
                        top = &p->out->loops[p->stack[p->depth - 1]];
                        top->body0 = p->out->n_cmds;
                }
                return r < 0 ? r : 1;
        }
        if (reserved(t, "do")) {
                if (top && top->kind != SH_FOR) {
                        top->cond1 = p->out->n_cmds;
                        top->body0 = p->out->n_cmds;
                }
                return 1;
        }
        if (reserved(t, "done")) {
                if (top) {
                        top->body1 = p->out->n_cmds;
                        top->closed = true;
                        p->depth--;
                }
                return 1;
        }
        if (reserved(t, "case")) {
                /* Its patterns and branches are not read: skip to esac. */
                int r;
                while ((r = lex_next(l, t)) == 0 && t->kind != TOK_EOF && !reserved(t, "esac"))
                        ;
                return r < 0 ? r : 1;
        }
        static const char *const words[] = { "if", "then", "elif", "else", "fi", "{", "}", "!", "time", NULL };
        for (size_t i = 0; words[i]; i++)
                if (reserved(t, words[i]))
                        return 1;
        return 0;
}

int sh_parse(const char *text, size_t len, struct sh_text *ret) {
        struct lexer l = { .s = text, .len = text ? len : 0 };
        struct parser p = { .out = ret };
        struct token t = { .word = STRBUF_INIT };
        int r = 0;
        *ret = (struct sh_text) {};
        while (r == 0 && (r = lex_next(&l, &t)) == 0 && t.kind != TOK_EOF) {
                if (t.kind == TOK_SEP) {
                        r = cmd_end(&p);
                        continue;
                }
                if (p.cur.n == 0 && (r = reserved_word(&p, &l, &t)) != 0) {
                        r = r < 0 ? r : 0;
                        continue;
                }
                r = cmd_add(&p, &t);
        }
        if (r == 0)
                r = cmd_end(&p);
        /* An unclosed loop runs to the end of the text. */
        while (p.depth)
                ret->loops[p.stack[--p.depth]].body1 = ret->n_cmds;
        for (size_t i = 0; i < p.cur.n; i++)
                free(p.cur.words[i]);
        free(p.cur.words);
        for (size_t h = 0; h < l.n_heredoc; h++)
                free(l.heredoc[h]);
        strbuf_release(&t.word);
        if (r < 0)
                sh_text_done(ret);
        return r;
}

void sh_text_done(struct sh_text *t) {
        for (size_t i = 0; t && i < t->n_cmds; i++) {
                for (size_t j = 0; j < t->cmds[i].n; j++)
                        free(t->cmds[i].words[j]);
                free(t->cmds[i].words);
        }
        if (t) {
                free(t->cmds);
                free(t->loops);
                *t = (struct sh_text) {};
        }
}

bool sh_word_plain(const struct sh_cmd *c, size_t i) {
        return i < c->n && !(c->expands & (UINT64_C(1) << i));
}
