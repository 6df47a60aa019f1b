/* SPDX-License-Identifier: MIT */
/* Findings and the report: collect, count, and run the checks. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/grow.h"
#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "host/host.h"
#include "registry.h"
#include "report.h"
#include "text/strbuf.h"

struct report {
        struct check_result *results;
        size_t n;
};

const char *status_to_string(enum status s) {
        static const char *const names[_STATUS_MAX] = {
                [STATUS_PASS] = "pass", [STATUS_SKIP] = "skip", [STATUS_IGNORED] = "ignored", [STATUS_WARN] = "warn",
                [STATUS_ERROR] = "error", [STATUS_FAIL] = "fail",
        };
        return s < _STATUS_MAX ? names[s] : "?";
}

const char *severity_to_string(enum severity s) {
        static const char *const names[_SEVERITY_MAX] = {
                [SEVERITY_LOW] = "low", [SEVERITY_MEDIUM] = "medium", [SEVERITY_HIGH] = "high",
        };
        return s < _SEVERITY_MAX ? names[s] : "?";
}

int report_new(struct report **ret) {
        struct report *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        *ret = r;
        return 0;
}

/* A finding's details in one allocation: this head, the pointers (CAP of them, room for
 * the NULL at the end included), then the lines' bytes (SIZE, USED of them). f->details
 * points at the pointers; when it grows, they are moved with the bytes. */
struct details {
        size_t cap, used, size;
};

static void finding_free(struct finding *f) {
        if (!f)
                return;
        free(f->comm);          /* subject lives in F's allocation, and a fix_inline fix */
        free(f->message);
        if (!f->fix_inline)
                free(f->fix);
        free(f->ignored);
        if (f->details)
                free((struct details *) (void *) f->details - 1);       /* the lines live in it */
        if (f->data_free)
                f->data_free(f->data);
        free(f);
}

struct report *report_free(struct report *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n; i++) {
                for (size_t j = 0; j < r->results[i].n_findings; j++)
                        finding_free(r->results[i].findings[j]);
                free(r->results[i].findings);
        }
        free(r->results);
        free(r);
        return NULL;
}

int report_begin(struct report *r, const struct check *c) {
        struct check_result *n = reallocarray(r->results, r->n + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        r->results = n;
        r->results[r->n++] = (struct check_result) { .check = c, .status = STATUS_PASS };
        return 0;
}

/* An error only a privilege caused (EACCES, EPERM), in a run as another user than root. */
static bool for_want_of_root(const char *message) {
        return geteuid() != 0 && message &&
               (strstr(message, strerror(EACCES)) || strstr(message, strerror(EPERM)));
}

/* What cannot be judged without root is one "needs root" skip a check: F becomes it (1), or,
 * when the check has it already, F is a line of its details and is freed (0); -ENOMEM. */
static int needs_root(struct check_result *cr, struct finding *f) {
        static const char prefix[] = "needs root: ";
        for (size_t i = 0; i < cr->n_findings; i++) {
                struct finding *s = cr->findings[i];
                if (s->status != STATUS_SKIP || strncmp(s->message, prefix, sizeof(prefix) - 1) != 0)
                        continue;
                int k = finding_add_detail(s, "%s%s%s", f->subject, *f->subject ? ": " : "", f->message);
                finding_free(f);
                return k;
        }
        char *m;
        if (asprintf(&m, "%s%s", prefix, f->message) < 0)
                return -ENOMEM;
        free(f->message);
        f->message = m;
        f->status = STATUS_SKIP;
        finding_set_fix(f, NULL);
        return 1;
}

__attribute__((format(printf, 7, 0)))
static int report_vadd(struct report *r, enum status st, const char *subject, const char *comm,
                       void *data, void (*data_free)(void *), const char *fmt, va_list ap) {
        if (r->n == 0) {
                if (data_free)
                        data_free(data);
                return -EINVAL;
        }
        struct check_result *cr = &r->results[r->n - 1];
        /* The finding, its subject and its default fix line in one allocation. */
        static const char fix_cmd[] = "hostfit fix ";
        bool want_fix = (st == STATUS_WARN || st == STATUS_FAIL) && cr->check->fix;
        size_t ls = strlen(subject ? subject : ""), lid = want_fix ? strlen(cr->check->id) : 0;
        struct finding *f = calloc(1, sizeof(*f) + ls + 1 + (want_fix ? sizeof(fix_cmd) + lid : 0));
        if (!f) {
                if (data_free)
                        data_free(data);
                return -ENOMEM;
        }
        f->check = cr->check;
        f->status = st;
        f->data = data;
        f->data_free = data_free;
        f->subject = memcpy((char *) (f + 1), subject ? subject : "", ls + 1);
        if (want_fix) {
                f->fix = f->subject + ls + 1;
                memcpy(f->fix, fix_cmd, sizeof(fix_cmd) - 1);
                memcpy(f->fix + sizeof(fix_cmd) - 1, cr->check->id, lid + 1);
                f->fix_inline = true;
        }
        int n = str_vformat(&f->message, fmt, ap);
        if (n < 0)
                f->message = NULL;
        if (comm && !(f->comm = strdup(comm)))
                n = -1;
        if (n >= 0 && st == STATUS_ERROR && for_want_of_root(f->message)) {
                int k = needs_root(cr, f);
                if (k <= 0)
                        return k;       /* folded into the check's "needs root" skip */
                st = f->status;
        }
        struct finding **nf = grow_due(cr->n_findings) ?
                reallocarray(cr->findings, grow_cap(cr->n_findings), sizeof(*nf)) : cr->findings;
        if (n < 0 || !nf) {
                if (nf)
                        cr->findings = nf;
                finding_free(f);
                return -ENOMEM;
        }
        cr->findings = nf;
        cr->findings[cr->n_findings++] = f;
        if (st > cr->status)
                cr->status = st;
        return 0;
}

int report_add(struct report *r, enum status st, const char *subject,
               void *data, void (*data_free)(void *), const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = report_vadd(r, st, subject, NULL, data, data_free, fmt, ap);
        va_end(ap);
        return k;
}

int report_add_process(struct report *r, enum status st, int pid, const char *comm,
                       void *data, void (*data_free)(void *), const char *fmt, ...) {
        char subject[32];
        snprintf(subject, sizeof(subject), "pid %d", pid);
        va_list ap;
        va_start(ap, fmt);
        int k = report_vadd(r, st, subject, comm, data, data_free, fmt, ap);
        va_end(ap);
        return k;
}

struct finding *report_last(struct report *r) {
        if (r->n == 0 || r->results[r->n - 1].n_findings == 0)
                return NULL;
        struct check_result *cr = &r->results[r->n - 1];
        return cr->findings[cr->n_findings - 1];
}

/* *SLOT becomes a copy of V (NULL: none); on -ENOMEM it is left as it was. */
static int set_string(char **slot, const char *v) {
        char *s = NULL;
        if (v && !(s = strdup(v)))
                return -ENOMEM;
        free(*slot);
        *slot = s;
        return 0;
}

int finding_set_fix(struct finding *f, const char *fix) {
        char *s = NULL;
        if (fix && !(s = strdup(fix)))
                return -ENOMEM;
        if (!f->fix_inline)
                free(f->fix);
        f->fix = s;
        f->fix_inline = false;
        return 0;
}

int finding_set_comm(struct finding *f, const char *comm) {
        return set_string(&f->comm, comm);
}

/* Room for a line of LEN bytes (and its NUL) appended to F's details, for the caller to
 * write; NULL on -ENOMEM. */
static char *details_reserve(struct finding *f, size_t len) {
        struct details *d = f->details ? (struct details *) (void *) f->details - 1 : NULL;
        size_t n = 0;
        while (f->details && f->details[n])
                n++;
        if (!d || n + 2 > d->cap || d->used + len + 1 > d->size) {
                size_t cap = d ? d->cap : 4, size = d ? d->size : 128, used = d ? d->used : 0;
                while (cap < n + 2)
                        cap *= 2;
                while (size < used + len + 1)
                        size *= 2;
                struct details *nd = malloc(sizeof(*nd) + cap * sizeof(char *) + size);
                if (!nd)
                        return NULL;
                char **np = (char **) (void *) (nd + 1), *bytes = (char *) (np + cap);
                if (d) {
                        const char *old = (const char *) (f->details + d->cap);
                        memcpy(bytes, old, used);
                        for (size_t i = 0; i < n; i++)
                                np[i] = bytes + (f->details[i] - old);
                }
                *nd = (struct details) { cap, used, size };
                free(d);
                f->details = np;
                d = nd;
        }
        char *bytes = (char *) (f->details + d->cap), *line = bytes + d->used;
        f->details[n] = line;
        f->details[n + 1] = NULL;
        d->used += len + 1;
        return line;
}

/* Whether S lies in F's details (a line of them, which a reserve may move). */
static bool in_details(const struct finding *f, const char *s) {
        if (!f->details)
                return false;
        const struct details *d = (const struct details *) (const void *) f->details - 1;
        const char *bytes = (const char *) (f->details + d->cap);
        return (uintptr_t) s >= (uintptr_t) bytes && (uintptr_t) s < (uintptr_t) (bytes + d->size);
}

/* The line S (LEN bytes) appended to F's details; -ENOMEM. */
static int details_add(struct finding *f, const char *s, size_t len) {
        char *line = details_reserve(f, len);
        if (!line)
                return -ENOMEM;
        memcpy(line, s, len + 1);
        return 0;
}

/* FMT with only "%s" conversions (most details' formats) written straight into F's
 * details, not formatted apart and copied: 0, -ENOMEM, or 1 when FMT holds another
 * conversion or an argument is one of F's own lines (which a reserve may move). */
static int details_add_plain(struct finding *f, const char *fmt, va_list ap) {
        const char *arg[4];
        size_t alen[4], n = 0, len = strlen(fmt);
        for (const char *p = fmt; (p = strchr(p, '%')); p += 2, n++)
                if (p[1] != 's' || n == ELEMENTSOF(arg))
                        return 1;
        for (size_t i = 0; i < n; i++) {
                const char *a = va_arg(ap, const char *);
                arg[i] = a ? a : "(null)";
                if (in_details(f, arg[i]))
                        return 1;
                alen[i] = strlen(arg[i]);
                len += alen[i] - 2;
        }
        if (len > INT_MAX)
                return -ENOMEM;         /* as str_vformat() refuses it */
        char *o = details_reserve(f, len);
        if (!o)
                return -ENOMEM;
        const char *p = fmt;
        for (size_t i = 0; i < n; i++) {
                const char *q = strchr(p, '%');
                o = (char *) memcpy(o, p, (size_t) (q - p)) + (q - p);
                o = (char *) memcpy(o, arg[i], alen[i]) + alen[i];
                p = q + 2;
        }
        strcpy(o, p);
        return 0;
}

int finding_add_detail(struct finding *f, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int r = details_add_plain(f, fmt, ap);
        va_end(ap);
        if (r <= 0)
                return r;
        va_start(ap, fmt);
        int n = str_vformat(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        r = details_add(f, s, (size_t) n);
        free(s);
        return r;
}

size_t report_n_checks(const struct report *r) { return r->n; }

const struct check_result *report_check(const struct report *r, size_t i) {
        return i < r->n ? &r->results[i] : NULL;
}

void report_counts(const struct report *r, unsigned counts[_STATUS_MAX]) {
        memset(counts, 0, sizeof(unsigned) * _STATUS_MAX);
        for (size_t i = 0; i < r->n; i++)
                counts[r->results[i].status]++;
}

int report_exit_status(const struct report *r) {
        unsigned c[_STATUS_MAX];
        report_counts(r, c);
        if (c[STATUS_FAIL])
                return 2;
        if (c[STATUS_ERROR])
                return 3;
        if (c[STATUS_WARN])
                return 1;
        return 0;
}

static int apply_ignore(struct finding *f, const struct config_ignore *ig) {
        if (ig->expired)
                return finding_add_detail(f, "its [ignore] in hostfit.conf expired on %s: %.*s", ig->until,
                                          (int) ig->reason_len, ig->reason);
        char *why = strndup(ig->reason, ig->reason_len);
        if (!why)
                return -ENOMEM;
        free(f->ignored);
        f->ignored = why;
        snprintf(f->ignored_until, sizeof(f->ignored_until), "%s", ig->until ? ig->until : "");
        f->status = STATUS_IGNORED;
        finding_set_fix(f, NULL);
        return 0;
}

int report_apply_ignores(struct report *r, struct host *h) {
        if (r->n == 0)
                return 0;
        struct check_result *cr = &r->results[r->n - 1];
        enum status worst = STATUS_PASS;
        for (size_t i = 0; i < cr->n_findings; i++) {
                struct finding *f = cr->findings[i];
                struct config_ignore ig;
                if (f->status > STATUS_IGNORED &&
                    config_ignored(host_config(h), cr->check->id, f->subject, f->comm,
                                   host_now_usec(h), &ig)) {
                        int k = apply_ignore(f, &ig);
                        if (k < 0)
                                return k;
                }
                if (f->status > worst)
                        worst = f->status;
        }
        cr->status = worst;
        return 0;
}

static int run_one(struct report *r, struct host *h, const struct check *c) {
        int k = report_begin(r, c);
        if (k < 0)
                return k;
        if (config_skips(host_config(h), c->id))
                return report_add(r, STATUS_SKIP, "", NULL, NULL, "skipped by %s", CONFIG_PATH);
        k = c->run(h, r);
        return k < 0 ? k : report_apply_ignores(r, h);
}

int report_run_checks(struct report *r, struct host *h, char *const *ids, size_t n_ids) {
        for (size_t i = 0; i < n_ids; i++)
                if (!check_find(ids[i]))
                        return -ENOENT;
        for (size_t i = 0; checks[i]; i++) {
                bool wanted = n_ids == 0;
                for (size_t j = 0; j < n_ids && !wanted; j++)
                        wanted = strcmp(ids[j], checks[i]->id) == 0;
                if (!wanted)
                        continue;
                int k = run_one(r, h, checks[i]);
                if (k < 0)
                        return k;
        }
        return 0;
}
