/* SPDX-License-Identifier: MIT */
/* Unified diff: Myers' O(ND) linear-space line diff (with GNU diff's cap on
 * expensive searches), and hunks printed as GNU diff -u prints them. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/diff.h"

struct line {
        const char *s;
        size_t len;             /* including the '\n', when there is one */
        uint64_t hash;
};

struct side {
        struct line *lines;
        int n;
        bool *changed;
};

struct ctx {
        struct side a, b;
        int *fd, *bd;           /* forward and backward furthest x, by diagonal */
        int too_expensive;
};

static uint64_t hash_bytes(const char *s, size_t len) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char) s[i]) * 1099511628211ULL;
        return h;
}

static int split_lines(const char *s, size_t len, struct side *ret) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += s[i] == '\n';
        if (len > 0 && s[len - 1] != '\n')
                n++;
        if (n > INT_MAX / 2)
                return -EFBIG;
        struct line *l = calloc(n + 1, sizeof(*l));
        /* A false sentinel on each side of changed[]: shift_boundaries() reads them. */
        bool *changed = calloc(n + 2, sizeof(*changed));
        if (!l || !changed) {
                free(l);
                free(changed);
                return -ENOMEM;
        }
        size_t k = 0;
        for (size_t i = 0; i < len; ) {
                const char *nl = memchr(s + i, '\n', len - i);
                size_t end = nl ? (size_t) (nl - s) + 1 : len;
                l[k].s = s + i;
                l[k].len = end - i;
                l[k].hash = hash_bytes(s + i, end - i);
                k++;
                i = end;
        }
        ret->lines = l;
        ret->n = (int) n;
        ret->changed = changed + 1;
        return 0;
}

static bool line_eq(const struct ctx *c, int x, int y) {
        const struct line *p = &c->a.lines[x], *q = &c->b.lines[y];
        return p->hash == q->hash && p->len == q->len && memcmp(p->s, q->s, p->len) == 0;
}

struct split {
        int x, y;
};

/* When the search costs too much, split at the furthest point reached: the
 * diff stays correct, just not minimal. */
static struct split split_best(const struct ctx *c, int xoff, int xlim, int yoff, int ylim,
                               int fmin, int fmax, int bmin, int bmax) {
        int fxybest = -1, fxbest = 0, bxybest = INT_MAX, bxbest = 0;
        for (int d = fmax; d >= fmin; d -= 2) {
                int x = c->fd[d] < xlim ? c->fd[d] : xlim, y = x - d;
                if (ylim < y)
                        x = ylim + d, y = ylim;
                if (fxybest < x + y)
                        fxybest = x + y, fxbest = x;
        }
        for (int d = bmax; d >= bmin; d -= 2) {
                int x = c->bd[d] > xoff ? c->bd[d] : xoff, y = x - d;
                if (y < yoff)
                        x = yoff + d, y = yoff;
                if (x + y < bxybest)
                        bxybest = x + y, bxbest = x;
        }
        if ((xlim + ylim) - bxybest < fxybest - (xoff + yoff))
                return (struct split) { fxbest, fxybest - fxbest };
        return (struct split) { bxbest, bxybest - bxbest };
}

/* The middle snake of the shortest edit script of a[xoff..xlim) and b[yoff..ylim). */
static struct split middle_snake(struct ctx *c, int xoff, int xlim, int yoff, int ylim) {
        int *fd = c->fd, *bd = c->bd;
        int dmin = xoff - ylim, dmax = xlim - yoff;
        int fmid = xoff - yoff, bmid = xlim - ylim;
        int fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
        bool odd = (fmid - bmid) & 1;

        fd[fmid] = xoff;
        bd[bmid] = xlim;
        for (int cost = 1;; cost++) {
                if (fmin > dmin)
                        fd[--fmin - 1] = -1;
                else
                        fmin++;
                if (fmax < dmax)
                        fd[++fmax + 1] = -1;
                else
                        fmax--;
                for (int d = fmax; d >= fmin; d -= 2) {
                        int lo = fd[d - 1], hi = fd[d + 1];
                        int x = lo >= hi ? lo + 1 : hi, y = x - d;
                        while (x < xlim && y < ylim && line_eq(c, x, y))
                                x++, y++;
                        fd[d] = x;
                        if (odd && bmin <= d && d <= bmax && bd[d] <= x)
                                return (struct split) { x, y };
                }
                if (bmin > dmin)
                        bd[--bmin - 1] = INT_MAX;
                else
                        bmin++;
                if (bmax < dmax)
                        bd[++bmax + 1] = INT_MAX;
                else
                        bmax--;
                for (int d = bmax; d >= bmin; d -= 2) {
                        int lo = bd[d - 1], hi = bd[d + 1];
                        int x = lo < hi ? lo : hi - 1, y = x - d;
                        while (xoff < x && yoff < y && line_eq(c, x - 1, y - 1))
                                x--, y--;
                        bd[d] = x;
                        if (!odd && fmin <= d && d <= fmax && x <= fd[d])
                                return (struct split) { x, y };
                }
                if (cost >= c->too_expensive)
                        return split_best(c, xoff, xlim, yoff, ylim, fmin, fmax, bmin, bmax);
        }
}

static void compare(struct ctx *c, int xoff, int xlim, int yoff, int ylim) {
        while (xoff < xlim && yoff < ylim && line_eq(c, xoff, yoff))
                xoff++, yoff++;
        while (xoff < xlim && yoff < ylim && line_eq(c, xlim - 1, ylim - 1))
                xlim--, ylim--;
        if (xoff == xlim) {
                for (int y = yoff; y < ylim; y++)
                        c->b.changed[y] = true;
        } else if (yoff == ylim) {
                for (int x = xoff; x < xlim; x++)
                        c->a.changed[x] = true;
        } else {
                struct split s = middle_snake(c, xoff, xlim, yoff, ylim);
                compare(c, xoff, s.x, yoff, s.y);
                compare(c, s.x, xlim, s.y, ylim);
        }
}

static bool same_line(const struct side *s, int i, int j) {
        const struct line *p = &s->lines[i], *q = &s->lines[j];
        return p->hash == q->hash && p->len == q->len && memcmp(p->s, q->s, p->len) == 0;
}

/* GNU diff's shift_boundaries(): slide each run of changes over equal lines
 * so runs merge, then as far down as they go, then back to a run in the other
 * file. The diff stays the same size; it reads like GNU's. */
static void shift_side(struct side *f, const struct side *other) {
        bool *changed = f->changed, *other_changed = other->changed;
        int i = 0, j = 0, i_end = f->n;
        for (;;) {
                int runlength, start, corresponding;
                while (i < i_end && !changed[i]) {
                        while (other_changed[j++])
                                ;
                        i++;
                }
                if (i == i_end)
                        break;
                start = i;
                while (changed[++i])
                        ;
                while (other_changed[j])
                        j++;
                do {
                        runlength = i - start;
                        while (start && same_line(f, start - 1, i - 1)) {
                                changed[--start] = true;
                                changed[--i] = false;
                                while (changed[start - 1])
                                        start--;
                                while (other_changed[--j])
                                        ;
                        }
                        corresponding = other_changed[j - 1] ? i : i_end;
                        while (i != i_end && same_line(f, start, i)) {
                                changed[start++] = false;
                                changed[i++] = true;
                                while (changed[i])
                                        i++;
                                while (other_changed[++j])
                                        corresponding = i;
                        }
                } while (runlength != i - start);
                while (corresponding < i) {
                        changed[--start] = true;
                        changed[--i] = false;
                        while (other_changed[--j])
                                ;
                }
        }
}

struct change {
        int x, dels, y, ins;
};

static int collect_changes(const struct ctx *c, struct change **ret, size_t *ret_n) {
        struct change *v = NULL;
        size_t n = 0, alloc = 0;
        for (int i = 0, j = 0; i < c->a.n || j < c->b.n; ) {
                if ((i < c->a.n && c->a.changed[i]) || (j < c->b.n && c->b.changed[j])) {
                        struct change ch = { .x = i, .y = j };
                        while (i < c->a.n && c->a.changed[i])
                                i++;
                        while (j < c->b.n && c->b.changed[j])
                                j++;
                        ch.dels = i - ch.x;
                        ch.ins = j - ch.y;
                        if (n == alloc) {
                                alloc = alloc ? alloc * 2 : 16;
                                struct change *nv = reallocarray(v, alloc, sizeof(*v));
                                if (!nv) {
                                        free(v);
                                        return -ENOMEM;
                                }
                                v = nv;
                        }
                        v[n++] = ch;
                } else {
                        i++, j++;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

struct out {
        diff_emit_fn emit;
        void *userdata;
        struct strbuf sb;
};

static int out_line(struct out *o, enum diff_line type, char prefix, const struct line *l) {
        bool nl = l->len > 0 && l->s[l->len - 1] == '\n';
        strbuf_reset(&o->sb);
        int r = strbuf_addch(&o->sb, prefix);
        if (r < 0 || (r = strbuf_add(&o->sb, l->s, l->len - nl)) < 0)
                return r;
        r = o->emit(o->userdata, type, o->sb.buf, o->sb.len);
        if (r < 0 || nl)
                return r;
        static const char marker[] = "\\ No newline at end of file";
        return o->emit(o->userdata, DIFF_NO_NEWLINE, marker, sizeof(marker) - 1);
}

/* GNU's ranges: "l" for one line, "l,n" for more, "l-1,0" for none. */
static int add_range(struct strbuf *sb, int first, int count) {
        if (count == 1)
                return strbuf_addf(sb, "%d", first + 1);
        return strbuf_addf(sb, "%d,%d", count == 0 ? first : first + 1, count);
}

static int out_hunk(struct out *o, const struct ctx *c, const struct change *ch, size_t n) {
        const struct change *last = &ch[n - 1];
        int xs = ch->x > DIFF_CONTEXT ? ch->x - DIFF_CONTEXT : 0;
        int ys = ch->y - (ch->x - xs);
        int tail = c->a.n - (last->x + last->dels);
        if (tail > DIFF_CONTEXT)
                tail = DIFF_CONTEXT;
        int xe = last->x + last->dels + tail, ye = last->y + last->ins + tail;

        strbuf_reset(&o->sb);
        int r = strbuf_adds(&o->sb, "@@ -");
        if (r < 0 || (r = add_range(&o->sb, xs, xe - xs)) < 0 || (r = strbuf_adds(&o->sb, " +")) < 0 ||
            (r = add_range(&o->sb, ys, ye - ys)) < 0 || (r = strbuf_adds(&o->sb, " @@")) < 0)
                return r;
        if ((r = o->emit(o->userdata, DIFF_HUNK, o->sb.buf, o->sb.len)) < 0)
                return r;

        int x = xs, y = ys;
        for (size_t k = 0; k <= n; k++) {
                int until = k < n ? ch[k].x : xe;
                for (; x < until; x++, y++)
                        if ((r = out_line(o, DIFF_CONTEXT_LINE, ' ', &c->a.lines[x])) < 0)
                                return r;
                if (k == n)
                        break;
                for (; x < ch[k].x + ch[k].dels; x++)
                        if ((r = out_line(o, DIFF_DELETE, '-', &c->a.lines[x])) < 0)
                                return r;
                for (; y < ch[k].y + ch[k].ins; y++)
                        if ((r = out_line(o, DIFF_INSERT, '+', &c->b.lines[y])) < 0)
                                return r;
        }
        return 0;
}

static int out_header(struct out *o, enum diff_line type, const char *prefix, const char *label) {
        strbuf_reset(&o->sb);
        int r = strbuf_adds(&o->sb, prefix);
        if (r < 0 || (r = strbuf_adds(&o->sb, label ? label : "/dev/null")) < 0)
                return r;
        return o->emit(o->userdata, type, o->sb.buf, o->sb.len);
}

static int out_all(struct out *o, const struct ctx *c, const char *old_label, const char *new_label) {
        _cleanup_free_ struct change *ch = NULL;
        size_t n;
        int r = collect_changes(c, &ch, &n);
        if (r < 0 || n == 0)
                return r;
        if ((r = out_header(o, DIFF_HEADER_OLD, "--- ", old_label)) < 0 ||
            (r = out_header(o, DIFF_HEADER_NEW, "+++ ", new_label)) < 0)
                return r;
        /* Changes at most 2*context unchanged lines apart share a hunk. */
        for (size_t i = 0, j; i < n; i = j) {
                for (j = i + 1; j < n && ch[j].x - (ch[j - 1].x + ch[j - 1].dels) <= 2 * DIFF_CONTEXT; j++)
                        ;
                if ((r = out_hunk(o, c, ch + i, j - i)) < 0)
                        return r;
        }
        return 0;
}

static void ctx_free(struct ctx *c) {
        free(c->a.lines);
        free(c->a.changed ? c->a.changed - 1 : NULL);
        free(c->b.lines);
        free(c->b.changed ? c->b.changed - 1 : NULL);
        free(c->fd);
        free(c->bd);
}

int diff_emit(const char *old_label, const char *old, size_t old_len,
              const char *new_label, const char *new, size_t new_len,
              diff_emit_fn emit, void *userdata) {
        if (!!old == !!new && old_len == new_len && (old_len == 0 || memcmp(old, new, old_len) == 0))
                return 0;
        _cleanup_(ctx_free) struct ctx c = { 0 };
        int r = split_lines(old ? old : "", old ? old_len : 0, &c.a);
        if (r < 0 || (r = split_lines(new ? new : "", new ? new_len : 0, &c.b)) < 0)
                return r;
        size_t diags = (size_t) c.a.n + (size_t) c.b.n + 3;
        c.fd = calloc(diags, sizeof(int));
        c.bd = calloc(diags, sizeof(int));
        if (!c.fd || !c.bd)
                return -ENOMEM;
        /* Diagonals run from -(b.n+1) to a.n+1. */
        c.fd += c.b.n + 1;
        c.bd += c.b.n + 1;
        c.too_expensive = 1;
        for (size_t d = diags; d != 0; d >>= 2)
                c.too_expensive <<= 1;
        if (c.too_expensive < 4096)
                c.too_expensive = 4096;

        compare(&c, 0, c.a.n, 0, c.b.n);
        shift_side(&c.a, &c.b);
        shift_side(&c.b, &c.a);
        c.fd -= c.b.n + 1;
        c.bd -= c.b.n + 1;

        struct out o = { .emit = emit, .userdata = userdata, .sb = STRBUF_INIT };
        r = out_all(&o, &c, old ? old_label : NULL, new ? new_label : NULL);
        strbuf_release(&o.sb);
        return r;
}

static int emit_to_strbuf(void *userdata, enum diff_line type, const char *s, size_t len) {
        struct strbuf *sb = userdata;
        int r = strbuf_add(sb, s, len);
        return r < 0 ? r : strbuf_addch(sb, '\n');
}

int diff_unified(struct strbuf *out,
                 const char *old_label, const char *old, size_t old_len,
                 const char *new_label, const char *new, size_t new_len) {
        return diff_emit(old_label, old, old_len, new_label, new, new_len, emit_to_strbuf, out);
}
