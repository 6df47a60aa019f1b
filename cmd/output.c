/* SPDX-License-Identifier: MIT */
/* Rendering a report: aligned text with escaped host bytes, or JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "text/escape.h"
#include "output.h"
#include "report.h"
#include "text/strbuf.h"

#define SGR_RESET "\033[0m"
#define INDENT "      "

const char *color_on(bool color, const char *sgr) { return color ? sgr : ""; }
const char *color_off(bool color) { return color ? SGR_RESET : ""; }

const char *status_color(int status) {
        switch (status) {
        case STATUS_PASS:  return "\033[32m";
        case STATUS_SKIP:  return "\033[2m";
        case STATUS_IGNORED: return "\033[2m";
        case STATUS_WARN:  return "\033[33m";
        case STATUS_ERROR: return "\033[35m";
        case STATUS_FAIL:  return "\033[1;31m";
        }
        return "";
}

static int add_escaped(struct strbuf *sb, const char *s) {
        return s ? escape_terminal(sb, s, strlen(s)) : 0;
}

static int write_buf(FILE *f, const struct strbuf *sb) {
        return fwrite(strbuf_str(sb), 1, sb->len, f) == sb->len ? 0 : -EIO;
}

int output_fix_hint(const char *fix, const struct output_hint *h, char **ret) {
        static const char *const commands[] = { "fix", "incidents", "undo", "history" };
        static const char word[] = "hostfit ";
        if (!fix) {
                *ret = NULL;
                return 0;
        }
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = 0;
        const char *p = fix;
        for (const char *q = strstr(p, word); r == 0 && q && h; q = strstr(q, word)) {
                const char *c = q + sizeof(word) - 1, *end = NULL;
                size_t k;
                for (k = 0; k < ELEMENTSOF(commands) && !end; k++) {
                        size_t n = strlen(commands[k]);
                        /* Only the command itself: it ends there or before a space or quote. */
                        if (strncmp(c, commands[k], n) == 0 && strchr(" `')", c[n]))
                                end = c + n;
                }
                if (!end) {
                        q = c;
                        continue;
                }
                r = strbuf_add(&sb, p, (size_t) (q - p));
                if (r == 0)
                        r = strbuf_addf(&sb, "hostfit%s %.*s%s", h->global ? h->global : "",
                                        (int) (end - c), c, h->root ? h->root : "");
                p = q = end;
        }
        if (r == 0)
                r = strbuf_adds(&sb, p);
        if (r < 0)
                return r;
        *ret = strbuf_detach(&sb, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* Without --verbose, a group shows this many of its findings and counts the rest. */
#define GROUP_SHOWN 3

static int add_line(struct strbuf *sb, const char *indent, const char *s) {
        int r = strbuf_adds(sb, indent);
        if (r == 0)
                r = add_escaped(sb, s);
        return r < 0 ? r : strbuf_addch(sb, '\n');
}

/* A finding under its check: "subject: message", and with --verbose its details. */
static int output_finding(struct strbuf *sb, const struct finding *f, const struct output_options *o) {
        int r = strbuf_adds(sb, INDENT);
        if (r == 0 && f->subject && *f->subject) {
                r = add_escaped(sb, f->subject);
                if (r == 0)
                        r = strbuf_adds(sb, ": ");
        }
        if (r == 0)
                r = add_escaped(sb, f->message);
        if (r == 0)
                r = strbuf_addch(sb, '\n');
        if (r == 0 && f->ignored)
                r = strbuf_addf(sb, INDENT "  ignored (hostfit.conf [ignore])%s%s: ",
                                *f->ignored_until ? " until " : "", f->ignored_until);
        if (r == 0 && f->ignored)
                r = add_line(sb, "", f->ignored);
        for (char **d = f->details; o->verbose && d && *d && r == 0; d++)
                r = add_line(sb, INDENT "  ", *d);
        return r;
}

static bool finding_shown(const struct finding *f, const struct output_options *o) {
        if (o->quiet)
                return f->status >= STATUS_WARN;
        if (f->status == STATUS_IGNORED)
                return o->verbose;
        return o->verbose || f->status != STATUS_PASS;
}

static bool same_group(const struct finding *a, const struct finding *b) {
        if (a->status != b->status)
                return false;
        if (!a->fix || !b->fix)
                return !a->fix && !b->fix;
        return strcmp(a->fix, b->fix) == 0;
}

/* The findings of one status and one fix, from the first at index I on: the first few (all with
 * --verbose), a count of the rest, and the fix line once. Marks them in DONE. */
static int output_group(struct strbuf *sb, const struct check_result *cr, size_t i, bool *done,
                        const struct output_options *o) {
        const struct finding *first = cr->findings[i];
        size_t shown = 0, more = 0;
        int r = 0;
        for (size_t j = i; j < cr->n_findings && r == 0; j++) {
                const struct finding *f = cr->findings[j];
                if (done[j] || !finding_shown(f, o) || !same_group(first, f))
                        continue;
                done[j] = true;
                if (o->verbose || shown < GROUP_SHOWN) {
                        shown++;
                        r = output_finding(sb, f, o);
                } else
                        more++;
        }
        if (r == 0 && more > 0)
                r = strbuf_addf(sb, INDENT "and %zu more like %s (--verbose lists them)\n",
                                more, shown + more == 2 ? "it" : "these");
        _cleanup_free_ char *fix = NULL;
        if (r == 0)
                r = output_fix_hint(first->fix, o->hint, &fix);
        if (r == 0 && fix) {
                r = strbuf_addf(sb, "%s%sfix:%s ", INDENT, color_on(o->color, "\033[1m"), color_off(o->color));
                if (r == 0)
                        r = add_line(sb, "", fix);
        }
        return r;
}

/* The line of a check reads right for its status: what passing means, or what is wrong. */
static const char *check_headline(const struct check *c, enum status s) {
        return (s == STATUS_WARN || s == STATUS_FAIL || s == STATUS_IGNORED) && c->problem ? c->problem : c->title;
}

static int output_result(const struct check_result *cr, int st_width, int id_width, const struct output_options *o,
                         FILE *out) {
        fprintf(out, "%s%-*s%s %-*s %s\n",
                color_on(o->color, status_color(cr->status)), st_width, status_to_string(cr->status),
                color_off(o->color), id_width, cr->check->id, check_headline(cr->check, cr->status));
        _cleanup_free_ bool *done = calloc(cr->n_findings + 1, sizeof(*done));
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = done ? 0 : -ENOMEM;
        for (size_t j = 0; j < cr->n_findings && r == 0; j++)
                if (!done[j] && finding_shown(cr->findings[j], o))
                        r = output_group(&sb, cr, j, done, o);
        size_t ignored = 0;
        for (size_t j = 0; j < cr->n_findings; j++)
                ignored += cr->findings[j]->status == STATUS_IGNORED && !finding_shown(cr->findings[j], o);
        if (r == 0 && ignored && !o->quiet)
                r = strbuf_addf(&sb, INDENT "%zu ignored by hostfit.conf (--verbose says why)\n", ignored);
        if (r < 0)
                return r;
        return write_buf(out, &sb);
}

int output_text(const struct report *r, const struct output_options *o, FILE *out) {
        size_t n = report_n_checks(r);
        int id_width = 0, st_width = 5;         /* "error"; "ignored" widens the column where one shows */
        for (size_t i = 0; i < n; i++) {
                const struct check_result *cr = report_check(r, i);
                int w = (int) strlen(cr->check->id);
                if (w > id_width)
                        id_width = w;
                if (cr->status == STATUS_IGNORED && !o->quiet)
                        st_width = (int) strlen(status_to_string(STATUS_IGNORED));
        }
        for (size_t i = 0; i < n; i++) {
                const struct check_result *cr = report_check(r, i);
                if (o->quiet && cr->status < STATUS_WARN)
                        continue;
                int k = output_result(cr, st_width, id_width, o, out);
                if (k < 0)
                        return k;
        }
        if (!o->quiet) {
                unsigned c[_STATUS_MAX];
                report_counts(r, c);
                fprintf(out, "%zu check%s: %u pass, %u warn, %u fail, %u skip, %u error",
                        n, n == 1 ? "" : "s", c[STATUS_PASS], c[STATUS_WARN], c[STATUS_FAIL],
                        c[STATUS_SKIP], c[STATUS_ERROR]);
                if (c[STATUS_IGNORED])
                        fprintf(out, ", %u ignored", c[STATUS_IGNORED]);
                fputc('\n', out);
        }
        return fflush(out) == 0 ? 0 : -errno;
}

static void json_finding(struct json *j, const struct finding *f, const struct output_hint *hint) {
        _cleanup_free_ char *fix = NULL;
        if (output_fix_hint(f->fix, hint, &fix) < 0 && j->error == 0)
                j->error = -ENOMEM;
        json_object_begin(j);
        json_key(j, "subject");
        json_string(j, f->subject ? f->subject : "");
        json_key(j, "status");
        json_string(j, status_to_string(f->status));
        json_key(j, "message");
        json_string(j, f->message ? f->message : "");
        json_key(j, "fix");
        json_string(j, fix);
        if (f->ignored) {
                json_key(j, "ignored");
                json_object_begin(j);
                json_key(j, "reason");
                json_string(j, f->ignored);
                json_key(j, "until");
                if (*f->ignored_until)
                        json_string(j, f->ignored_until);
                else
                        json_null(j);
                json_object_end(j);
        }
        json_key(j, "details");
        json_array_begin(j);
        for (char **d = f->details; d && *d; d++)
                json_string(j, *d);
        json_array_end(j);
        json_object_end(j);
}

static void json_result(struct json *j, const struct check_result *cr, const struct output_hint *hint) {
        json_object_begin(j);
        json_key(j, "id");
        json_string(j, cr->check->id);
        json_key(j, "status");
        json_string(j, status_to_string(cr->status));
        json_key(j, "severity");
        json_string(j, severity_to_string(cr->check->severity));
        json_key(j, "title");
        json_string(j, cr->check->title);
        json_key(j, "findings");
        json_array_begin(j);
        for (size_t k = 0; k < cr->n_findings; k++)
                json_finding(j, cr->findings[k], hint);
        json_array_end(j);
        json_object_end(j);
}

int output_json(const struct report *r, const struct output_meta *m, FILE *out) {
        static const enum status order[] = { STATUS_PASS, STATUS_WARN, STATUS_FAIL, STATUS_SKIP, STATUS_ERROR,
                                             STATUS_IGNORED };
        unsigned c[_STATUS_MAX];
        struct json j;

        report_counts(r, c);
        json_init(&j, out);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        json_key(&j, "hostfit_version");
        json_string(&j, HOSTFIT_VERSION);
        json_key(&j, "hostname");
        if (m->hostname)
                json_string(&j, m->hostname);
        else
                json_null(&j);
        json_key(&j, "time");
        char t[sizeof("1970-01-01T00:00:00Z") + 8];
        struct tm tm;
        if (gmtime_r(&m->time, &tm) && strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
                json_string(&j, t);
        else
                json_null(&j);
        json_key(&j, "root");
        json_string(&j, m->root);
        json_key(&j, "profile");
        json_string(&j, m->profile);
        json_key(&j, "summary");
        json_object_begin(&j);
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                json_key(&j, status_to_string(order[i]));
                json_int(&j, c[order[i]]);
        }
        json_object_end(&j);
        json_key(&j, "checks");
        json_array_begin(&j);
        for (size_t i = 0; i < report_n_checks(r); i++)
                json_result(&j, report_check(r, i), m->hint);
        json_array_end(&j);
        json_object_end(&j);
        return json_end(&j);
}
