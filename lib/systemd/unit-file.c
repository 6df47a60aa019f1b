/* SPDX-License-Identifier: MIT */
/* Unit files parsed as systemd parses them (sections, continuations, comments,
 * ignored lines kept as issues); unit-values.c reads the values in effect back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "text/strbuf.h"
#include "text/strv.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"

#define UNIT_FILE_MAX (1U << 20)
#define WS " \t\n\r"

/* Room for one more of U's array *V (N used, *CAP allocated, one spare for a NULL at the
 * end): grown by doubling and kept across loads of the scratch unit; -ENOMEM. */
static int unit_grow(void **v, size_t n, size_t *cap, size_t size) {
        if (n + 2 <= *cap)
                return 0;
        size_t nc = *cap ? 2 * *cap : 8;
        void *nv = reallocarray(*v, nc, size);
        unit_counters.allocs++;
        if (!nv)
                return -ENOMEM;
        *v = nv, *cap = nc;
        return 0;
}

static const char *keep_file(struct unit *u, const char *path) {
        for (size_t i = 0; i < u->n_files; i++)
                if (strcmp(u->files[i], path) == 0)
                        return u->files[i];
        /* A path already in U's text (its fragment, a drop-in just added) is kept as it is. */
        char *s = unit_text_holds(u, path) ? (char *) path : unit_text_dup(u, path, strlen(path));
        if (!s || unit_grow((void **) &u->files, u->n_files, &u->alloc_files, sizeof(char *)) < 0)
                return NULL;
        u->files[u->n_files++] = s;
        u->files[u->n_files] = NULL;
        return s;
}

int unit_add_dropin(struct unit *u, const char *path) {
        char *s = unit_text_dup(u, path, strlen(path));
        if (!s || unit_grow((void **) &u->dropins, u->n_dropins, &u->alloc_dropins, sizeof(char *)) < 0)
                return -ENOMEM;
        u->dropins[u->n_dropins++] = s;
        u->dropins[u->n_dropins] = NULL;
        return 0;
}

static int add_issue(struct unit *u, const char *file, unsigned line, const char *msg) {
        char *m = unit_text_dup(u, msg, strlen(msg));
        if (!m || unit_grow((void **) &u->issues, u->n_issues, &u->alloc_issues, sizeof(*u->issues)) < 0)
                return -ENOMEM;
        u->issues[u->n_issues++] = (struct unit_issue) { file, line, m };
        return 0;
}

/* isspace() of the C locale, which hostfit runs in, without a call a byte. */
static bool is_space(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* S of *LEN bytes without the spaces around it, NUL-terminated; *LEN its new length. */
static char *strip(char *s, size_t *len) {
        size_t l = *len;
        while (l > 0 && is_space(*s))
                s++, l--;
        while (l > 0 && is_space(s[l - 1]))
                l--;
        s[l] = 0;
        *len = l;
        return s;
}

/* The assignments' strings, in blocks that only grow (a dropped assignment's stay until
 * unit_free()): one allocation for many assignments, not one each. */
struct unit_text {
        struct unit_text *next;
        size_t used, size;
        unit_word_fn *word;     /* where sections and keys are kept once (the cache's scratch unit), else NULL */
        void *word_ctx;
        char bytes[];
};

char *unit_text_alloc(struct unit *u, size_t n) {
        struct unit_text *t = u->text;
        if (!t || t->size - t->used < n) {
                size_t size = n > 1024 - sizeof(*t) ? n : 1024 - sizeof(*t);
                t = malloc(sizeof(*t) + size);
                unit_counters.allocs++;
                if (!t)
                        return NULL;
                *t = (struct unit_text) { u->text, 0, size, u->text ? u->text->word : NULL,
                                          u->text ? u->text->word_ctx : NULL };
                u->text = t;
        }
        char *p = t->bytes + t->used;
        t->used += n;
        return p;
}

void unit_text_free(struct unit *u) {
        for (struct unit_text *t = u->text, *n; t; t = n) {
                n = t->next;
                free(t);
        }
        u->text = NULL;
}

bool unit_text_holds(const struct unit *u, const char *p) {
        for (const struct unit_text *t = u->text; t; t = t->next)
                if ((uintptr_t) p >= (uintptr_t) t->bytes && (uintptr_t) p < (uintptr_t) (t->bytes + t->used))
                        return true;
        return false;
}

const char *unit_text_only(const struct unit *u, size_t *ret_used) {
        *ret_used = u->text ? u->text->used : 0;
        return u->text && !u->text->next ? u->text->bytes : NULL;
}

int unit_scratch_words(struct unit *u, unit_word_fn *word, void *ctx) {
        if (!u->text && !unit_text_alloc(u, 0))
                return -ENOMEM;
        u->text->word = word;
        u->text->word_ctx = ctx;
        return 0;
}

size_t unit_text_used(const struct unit *u) {
        size_t n = 0;
        for (const struct unit_text *t = u->text; t; t = t->next)
                n += t->used;
        return n;
}

char *unit_text_dup(struct unit *u, const char *s, size_t len) {
        char *p = unit_text_alloc(u, len + 1);
        if (p) {
                memcpy(p, s, len);
                p[len] = 0;
        }
        return p;
}

void unit_scratch_reset(struct unit *u) {
        struct unit_text *t = u->text;
        if (t) {
                for (struct unit_text *o = t->next, *n; o; o = n) {
                        n = o->next;
                        free(o);
                }
                t->next = NULL;
                t->used = 0;
        }
        *u = (struct unit) { .a = u->a, .alloc_a = u->alloc_a, .issues = u->issues, .alloc_issues = u->alloc_issues,
                             .files = u->files, .alloc_files = u->alloc_files, .dropins = u->dropins,
                             .alloc_dropins = u->alloc_dropins, .text = t };
}

void unit_scratch_release(struct unit *u) {
        unit_text_free(u);
        free(u->a), free(u->issues), free(u->files), free(u->dropins);
        *u = (struct unit) { 0 };
}

/* The section, key and value of an assignment side by side, in U's text; the vector
 * grows by doubling. LINE is LEN bytes. */
static int add_assignment(struct unit *u, const char *section, char *line, size_t len, const char *file, unsigned n) {
        char *eq = memchr(line, '=', len);
        if (!eq)
                return add_issue(u, file, n, "missing '=', ignoring");
        *eq = 0;
        size_t lk = (size_t) (eq - line), lv = len - lk - 1;
        char *key = strip(line, &lk), *value = strip(eq + 1, &lv);
        if (!lk)
                return add_issue(u, file, n, "missing key name, ignoring");
        if (!section)
                return add_issue(u, file, n, "assignment outside of a section, ignoring");
        if (u->n_a == u->alloc_a) {
                size_t na = u->alloc_a ? 2 * u->alloc_a : 8;
                struct unit_assignment *a = realloc(u->a, na * sizeof(*a));
                unit_counters.allocs++;
                if (!a)
                        return -ENOMEM;
                u->a = a, u->alloc_a = na;
        }
        struct unit_text *t = u->text;
        if (t && t->word) {
                /* The scratch unit of the cache: its section and key are the cache's words,
                 * only the value is in its text. */
                const char *sw = section, *kw = t->word(t->word_ctx, key);      /* the section is a word already */
                char *v = sw && kw ? unit_text_dup(u, value, lv) : NULL;
                if (!v)
                        return -ENOMEM;
                u->a[u->n_a++] = (struct unit_assignment) { (char *) sw, (char *) kw, v, file, n };
                return 0;
        }
        size_t ls = strlen(section) + 1;
        char *s = unit_text_alloc(u, ls + lk + 1 + lv + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, section, ls);
        memcpy(s + ls, key, lk + 1);
        memcpy(s + ls + lk + 1, value, lv + 1);
        u->a[u->n_a++] = (struct unit_assignment) { s, s + ls, s + ls + lk + 1, file, n };
        return 0;
}

/* One logical line of LEN bytes (continuations joined): a comment, a section, or an
 * assignment. *SECTION is the section's name (in SEC), NULL outside of one. */
static int parse_line(struct unit *u, struct strbuf *sec, const char **section, char *raw, size_t len, const char *file,
                      unsigned n, bool in_place) {
        char *l = strip(raw, &len);
        if (!len || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                if (l[len - 1] != ']') {
                        /* systemd stops reading the file there; in the unit file itself it
                         * refuses the whole unit ("Bad message"), in a drop-in only the rest. */
                        bool fragment = u->fragment && strcmp(file, u->fragment) == 0;
                        if (fragment && !u->bad) {
                                u->bad = true;
                                u->bad_file = file;
                                u->bad_line = n;
                        }
                        *section = NULL;
                        int r = add_issue(u, file, n, fragment ? "invalid section header: systemd refuses to load the unit"
                                                               : "invalid section header: systemd ignores the rest of the file");
                        return r < 0 ? r : 1;
                }
                /* "[]" or "[a]b]" name sections systemd does not know: their lines are ignored. */
                struct unit_text *t = u->text;
                if (t && t->word) {
                        l[len - 1] = 0;         /* the cache's word, once a section, not once an assignment */
                        *section = t->word(t->word_ctx, l + 1);
                        return *section ? 0 : -ENOMEM;
                }
                if (in_place) {
                        l[len - 1] = 0;         /* the file's text outlives the section */
                        *section = l + 1;
                        return 0;
                }
                strbuf_reset(sec);
                int r = strbuf_add(sec, l + 1, len - 2);
                *section = r < 0 ? NULL : strbuf_str(sec);
                return r;
        }
        return add_assignment(u, *section, l, len, file, n);
}

/* The next line of *P, as systemd's read_line() ends one ("\n", "\r\n" or "\r"), its length
 * in *RET_LEN; NULL at the end. */
static char *next_line(char **p, size_t *ret_len, bool cr) {
        char *l = *p, *e;
        if (!l || !*l)
                return NULL;
        e = cr ? l + strcspn(l, "\r\n") : strchrnul(l, '\n');     /* a text without "\r" ends its lines at "\n" */
        *ret_len = (size_t) (e - l);
        if (*e == '\r' && e[1] == '\n')
                *e++ = 0;
        *p = *e ? e + 1 : NULL;
        *e = 0;
        return l;
}

/* systemd's config_parse(): comment lines are dropped (inside a continuation too), a line
 * whose trailing run of backslashes is odd continues on the next with that backslash
 * turned into a space; "\\" at the end is an escaped backslash, and "\ " is no continuation. */
static int parse_text(struct unit *u, const char *file, char *text) {
        _cleanup_strbuf_ struct strbuf joined = STRBUF_INIT, sec = STRBUF_INIT;
        const char *section = NULL;
        unsigned n = 0, start = 0;
        bool cont = false;
        int r = 0;
        size_t len;
        if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
                text += 3;      /* a UTF-8 byte order mark */
        bool cr = strchr(text, '\r');
        for (char *p = text, *l; r == 0 && (l = next_line(&p, &len, cr)); ) {
                n++;
                const char *t = l;
                while (*t == ' ' || *t == '\t')
                        t++;    /* of WS, the only ones a line holds */
                if (*t == '#' || *t == ';')
                        continue;
                size_t run = 0;
                while (run < len && l[len - 1 - run] == '\\')
                        run++;
                bool more = run % 2 == 1;
                if (more)
                        l[len - 1] = ' ';
                if (!cont && !more) {
                        r = parse_line(u, &sec, &section, l, len, file, n, true);       /* a line of its own, parsed in place */
                        continue;
                }
                if (!cont) {
                        strbuf_reset(&joined);
                        start = n;
                }
                cont = more;
                r = strbuf_add(&joined, l, len);
                if (r == 0 && !cont)
                        r = parse_line(u, &sec, &section, joined.buf, joined.len, file, start, false);
        }
        if (r == 0 && cont)
                r = parse_line(u, &sec, &section, joined.buf, joined.len, file, start, false);
        return r < 0 ? r : 0;   /* 1: the file stopped at a fatal line */
}

/* NAME in the directory DFD opened for reading if it is a regular file (never a FIFO a
 * user left there: opened non-blocking, checked with fstat); -EISDIR for a directory,
 * NOT_REGULAR for anything else. */
static int open_regular_at(int dfd, const char *name, int not_regular, struct stat *st) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        unit_counters.opens++;
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                return -errno;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return not_regular;
        return TAKE_FD(fd);
}

/* Where a unit file is read: a buffer of the caller's (on its stack) when the file fits,
 * else the heap. */
struct text_buf {
        char *stack;
        size_t stack_size;
        char *heap;             /* owned, freed by the caller */
};

/* FD (STAT'd as ST), a regular file, at most UNIT_FILE_MAX bytes, into B. */
static int read_fd(int fd, const struct stat *st, struct text_buf *b, char **ret, size_t *ret_len) {
        if (st->st_size > (off_t) UNIT_FILE_MAX)
                return -EFBIG;  /* its size says so: not a byte of it is read */
        /* Sized by fstat, one byte more: a regular file that fills less than asked has
         * ended, so a unit file costs one read, not a second one to see the end. */
        size_t cap = st->st_size >= 0 ? (size_t) st->st_size + 1 : UNIT_FILE_MAX + 1;
        size_t len = 0;
        char *buf = b->stack;
        if (cap + 1 > b->stack_size) {
                unit_counters.allocs++;
                if (!(b->heap = malloc(cap + 1)))
                        return -ENOMEM;
                buf = b->heap;
        }
        for (;;) {
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                len += (size_t) n;
                if (len > UNIT_FILE_MAX)
                        return -EFBIG;
                if (n == 0 || len < cap)
                        break;
                /* It grew since fstat: read on, in bigger steps, up to the bound. */
                size_t ncap = cap * 2 < UNIT_FILE_MAX + 1 ? cap * 2 : UNIT_FILE_MAX + 1;
                char *nb = realloc(b->heap, ncap + 1);
                unit_counters.allocs++;
                if (!nb)
                        return -ENOMEM;
                if (!b->heap)
                        memcpy(nb, buf, len);
                buf = b->heap = nb, cap = ncap;
        }
        buf[len] = 0;
        *ret_len = len;
        *ret = buf;
        return 0;
}

/* NAME in the directory DFD, a regular file, at most UNIT_FILE_MAX bytes, into B. */
static int read_at(int dfd, const char *name, struct text_buf *b, char **ret, size_t *ret_len) {
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(dfd, name, -EBADFD, &st);
        if (fd < 0)
                return fd;
        return read_fd(fd, &st, b, ret, ret_len);
}

/* NAME in the directory DFD as host_read_file() reads a file (a drop-in): errors and the
 * run's read budget the same, with no lookup from the root. */
static int read_host_at(struct host *h, int dfd, const char *name, struct text_buf *b, char **ret, size_t *ret_len) {
        struct stat st;
        _cleanup_close_ int fd = open_regular_at(dfd, name, -ENXIO, &st);
        if (fd < 0)
                return fd;
        if (!host_read_budget_below(h, UNIT_FILE_MAX)) {
                /* The budget cannot end within this file: read it as a unit file, then charge it. */
                int r = read_fd(fd, &st, b, ret, ret_len);
                return r < 0 ? r : host_read_charge(h, *ret_len);
        }
        int r = host_read_fd(h, fd, UNIT_FILE_MAX, &b->heap, ret_len);
        if (r == 0)
                *ret = b->heap;
        return r;
}

/* PATH read as the unit file (FRAGMENT) or a drop-in, relative to DFD when DFD >= 0. */
static int parse_file(struct host *h, struct unit *u, const char *path, int dfd, const char *name, bool fragment) {
        const char *file = keep_file(u, path);
        char stack[4096], *text = NULL;
        _cleanup_free_ char *heap = NULL;
        struct text_buf b = { stack, sizeof(stack), NULL };
        size_t len = 0;
        int r;
        if (!file)
                return -ENOMEM;
        bool at = dfd >= 0 && name;
        if (!at)
                unit_counters.opens++;
        if (!at)
                r = host_read_file(h, path, UNIT_FILE_MAX, &b.heap, &len), text = b.heap;
        else
                r = fragment ? read_at(dfd, name, &b, &text, &len) : read_host_at(h, dfd, name, &b, &text, &len);
        heap = TAKE_PTR(b.heap);
        if (r == -ELOOP && at) {        /* a link: followed within the root */
                unit_counters.opens++;
                r = host_read_file(h, path, UNIT_FILE_MAX, &heap, &len);
                text = heap;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                char msg[128];
                snprintf(msg, sizeof(msg), "cannot read: %s", strerror(-r));
                r = add_issue(u, file, 0, msg);
                return r < 0 ? r : 1;
        }
        if (len == 0)
                return 0;
        if (memchr(text, 0, len)) {
                r = add_issue(u, file, 0, "holds a NUL byte, ignoring");
                return r < 0 ? r : 1;
        }
        r = parse_text(u, file, text);
        return r < 0 ? r : 1;
}

int unit_parse_file_at(struct host *h, struct unit *u, const char *path, int dfd, const char *name) {
        return parse_file(h, u, path, dfd, name, true);
}

int unit_parse_dropin_at(struct host *h, struct unit *u, const char *path, int dfd, const char *name) {
        return parse_file(h, u, path, dfd, name, false);
}

int unit_parse_file(struct host *h, struct unit *u, const char *path) {
        return unit_parse_file_at(h, u, path, -1, NULL);
}

int unit_parse_buffer(struct unit *u, const char *file, const char *text, size_t len) {
        const char *f = keep_file(u, file);
        _cleanup_free_ char *copy = NULL;
        if (!f)
                return -ENOMEM;
        if (memchr(text, 0, len))
                return add_issue(u, f, 0, "holds a NUL byte, ignoring");
        copy = strndup(text, len);
        if (!copy)
                return -ENOMEM;
        return parse_text(u, f, copy);
}
