/* SPDX-License-Identifier: MIT */
/* Prometheus textfile metrics, the Nagios plugin line, and atomic output files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "text/escape.h"
#include "journal/incidents.h"
#include "output-metrics.h"
#include "report.h"
#include "text/strbuf.h"
#include "text/strv.h"

/* The order statuses are listed in, the same as the JSON summary. */
static const enum status status_order[] = {
        STATUS_PASS, STATUS_WARN, STATUS_FAIL, STATUS_SKIP, STATUS_ERROR, STATUS_IGNORED,
};

/* A label value as the exposition format wants it: \\, \" and \n escaped, and
 * bytes that are not UTF-8 replaced by U+FFFD, which the format requires. */
static int prom_label_value(struct strbuf *sb, const char *s) {
        const unsigned char *u = (const unsigned char *) (s ? s : "");
        size_t len = strlen((const char *) u);
        int r = 0;
        for (size_t i = 0; i < len && r == 0; ) {
                size_t n = utf8_valid_len(u + i, len - i);
                if (n == 0) {
                        r = strbuf_adds(sb, "\xef\xbf\xbd");
                        n = 1;
                } else if (u[i] == '\\') {
                        r = strbuf_adds(sb, "\\\\");
                } else if (u[i] == '"') {
                        r = strbuf_adds(sb, "\\\"");
                } else if (u[i] == '\n') {
                        r = strbuf_adds(sb, "\\n");
                } else {
                        r = strbuf_add(sb, u + i, n);
                }
                i += n;
        }
        return r;
}

static int prom_header(struct strbuf *sb, const char *name, const char *help) {
        return strbuf_addf(sb, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static int prom_check_status(struct strbuf *sb, const struct report *r) {
        int k = prom_header(sb, "hostfit_check_status",
                            "Status of each hostfit check (impact: how bad its failure is): 1 for its current status, 0 for the others.");
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                for (size_t s = 0; k == 0 && s < ELEMENTSOF(status_order); s++) {
                        k = strbuf_adds(sb, "hostfit_check_status{check=\"");
                        if (k == 0)
                                k = prom_label_value(sb, cr->check->id);
                        if (k == 0)
                                k = strbuf_addf(sb, "\",impact=\"%s\",status=\"%s\"} %d\n",
                                                severity_to_string(cr->check->severity),
                                                status_to_string(status_order[s]),
                                                cr->status == status_order[s]);
                }
        }
        return k;
}

/* Findings that need action (warn, fail, error): what an alert counts; a pass or a skip is none. */
static int prom_findings(struct strbuf *sb, const struct report *r) {
        int k = prom_header(sb, "hostfit_findings",
                            "Number of findings of each hostfit check that need action (warn, fail, error).");
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                unsigned n = 0;
                for (size_t j = 0; j < cr->n_findings; j++)
                        n += cr->findings[j]->status >= STATUS_WARN;
                k = strbuf_adds(sb, "hostfit_findings{check=\"");
                if (k == 0)
                        k = prom_label_value(sb, cr->check->id);
                if (k == 0)
                        k = strbuf_addf(sb, "\"} %u\n", n);
        }
        return k;
}

/* hostfit_ignored{check,reason,until}: the findings hostfit.conf's [ignore] set aside, by the
 * line that did (bounded by the configuration, not by the host); until is "" for no end. */
static int prom_ignored(struct strbuf *sb, const struct report *r) {
        unsigned any = 0;
        for (size_t i = 0; i < report_n_checks(r); i++)
                for (size_t j = 0; j < report_check(r, i)->n_findings; j++)
                        any += report_check(r, i)->findings[j]->ignored != NULL;
        if (!any)
                return 0;       /* no series: the family is absent, as with no [ignore] */
        int k = prom_header(sb, "hostfit_ignored",
                            "Number of findings of each hostfit check ignored by hostfit.conf, by reason.");
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                for (size_t j = 0; k == 0 && j < cr->n_findings; j++) {
                        const struct finding *f = cr->findings[j];
                        bool seen = false;
                        for (size_t p = 0; p < j && !seen; p++)
                                seen = cr->findings[p]->ignored && f->ignored &&
                                       strcmp(cr->findings[p]->ignored, f->ignored) == 0 &&
                                       strcmp(cr->findings[p]->ignored_until, f->ignored_until) == 0;
                        if (!f->ignored || seen)
                                continue;
                        unsigned n = 0;
                        for (size_t q = j; q < cr->n_findings; q++)
                                n += cr->findings[q]->ignored && strcmp(cr->findings[q]->ignored, f->ignored) == 0 &&
                                     strcmp(cr->findings[q]->ignored_until, f->ignored_until) == 0;
                        k = strbuf_adds(sb, "hostfit_ignored{check=\"");
                        if (k == 0)
                                k = prom_label_value(sb, cr->check->id);
                        if (k == 0)
                                k = strbuf_adds(sb, "\",reason=\"");
                        if (k == 0)
                                k = prom_label_value(sb, f->ignored);
                        if (k == 0)
                                k = strbuf_addf(sb, "\",until=\"%s\"} %u\n", f->ignored_until, n);
                }
        }
        return k;
}

static int prom_summary(struct strbuf *sb, const struct report *r, time_t now) {
        unsigned counts[_STATUS_MAX];
        report_counts(r, counts);
        int k = prom_header(sb, "hostfit_checks", "Number of hostfit checks in each status.");
        for (size_t s = 0; k == 0 && s < ELEMENTSOF(status_order); s++)
                k = strbuf_addf(sb, "hostfit_checks{status=\"%s\"} %u\n",
                                status_to_string(status_order[s]), counts[status_order[s]]);
        if (k == 0)
                k = prom_header(sb, "hostfit_last_run_timestamp_seconds",
                                "Unix time at which hostfit last ran its checks.");
        if (k == 0)
                k = strbuf_addf(sb, "hostfit_last_run_timestamp_seconds %lld\n", (long long) now);
        return k;
}

/* A unit as a label with a bound on how many there can be: a scope named for one session or
 * one run folds to its kind (session-4.scope and session-9.scope are "session-*.scope",
 * tmux-spawn-UUID.scope is "tmux-*.scope"), as do user@UID.service and user-UID.slice. */
static char *oom_unit_label(const char *unit) {
        const char *u = unit ? unit : "", *dot = strrchr(u, '.');
        size_t n = strlen(u);
        char *s = NULL;
        int k = 0;
        if (n > 6 && strcmp(u + n - 6, ".scope") == 0 && strchr(u, '-'))
                k = asprintf(&s, "%.*s*.scope", (int) (strchr(u, '-') - u + 1), u);
        else if (strncmp(u, "user@", 5) == 0 && dot)
                k = asprintf(&s, "user@*%s", dot);
        else if (strncmp(u, "user-", 5) == 0 && dot && strcmp(dot, ".slice") == 0)
                k = asprintf(&s, "user-*.slice");
        else
                s = strdup(u);
        return k < 0 ? NULL : s;
}

/* hostfit_oom_kills{unit,killer}: the kills the oom-kills check found in its window
 * (its findings carry the incidents), by folded unit; crash loops are not kills. */
static int prom_oom_kills(struct strbuf *sb, const struct report *r) {
        const struct check_result *cr = NULL;
        for (size_t i = 0; i < report_n_checks(r); i++)
                if (strcmp(report_check(r, i)->check->id, "oom-kills") == 0)
                        cr = report_check(r, i);
        if (!cr || cr->status == STATUS_SKIP)
                return 0;
        char **label = calloc(cr->n_findings + 1, sizeof(*label));
        int k = label ? 0 : -ENOMEM;
        for (size_t i = 0; k == 0 && i < cr->n_findings; i++) {
                const struct incident *a = cr->findings[i]->data;
                if (a && a->killer != KILLER_NONE && !(label[i] = oom_unit_label(a->unit)))
                        k = -ENOMEM;
        }
        if (k == 0)
                k = prom_header(sb, "hostfit_oom_kills",
                                "OOM kills in the journal within [oom-kills] window, by unit (session and tmux scopes folded) and killer.");
        for (size_t i = 0; k == 0 && i < cr->n_findings; i++) {
                const struct incident *a = cr->findings[i]->data;
                bool seen = false;
                if (!label[i])
                        continue;
                for (size_t p = 0; p < i && !seen; p++) {
                        const struct incident *b = cr->findings[p]->data;
                        seen = label[p] && b->killer == a->killer && strcmp(label[p], label[i]) == 0;
                }
                if (seen)
                        continue;
                unsigned n = 0;
                for (size_t q = i; q < cr->n_findings; q++) {
                        const struct incident *b = cr->findings[q]->data;
                        if (label[q] && b->killer == a->killer && strcmp(label[q], label[i]) == 0)
                                n += b->count > 1 ? b->count : 1;       /* a finding may stand for several kills */
                }
                k = strbuf_adds(sb, "hostfit_oom_kills{unit=\"");
                if (k == 0)
                        k = prom_label_value(sb, label[i]);
                if (k == 0)
                        k = strbuf_addf(sb, "\",killer=\"%s\"} %u\n", killer_to_string(a->killer), n);
        }
        strv_free_n(label, cr->n_findings);
        return k;
}

/* What the run itself says: the version, that it worked, how long it took. */
static int prom_run(struct strbuf *sb, double duration) {
        int k = prom_header(sb, "hostfit_build_info", "The hostfit that wrote these metrics; always 1.");
        if (k == 0)
                k = strbuf_adds(sb, "hostfit_build_info{version=\"");
        if (k == 0)
                k = prom_label_value(sb, HOSTFIT_VERSION);
        if (k == 0)
                k = strbuf_adds(sb, "\"} 1\n");
        if (k == 0)
                k = prom_header(sb, "hostfit_last_run_success",
                                "1 when the last run of hostfit check completed, 0 when it could not run.");
        if (k == 0)
                k = strbuf_adds(sb, "hostfit_last_run_success 1\n");
        if (k == 0 && duration >= 0) {
                k = prom_header(sb, "hostfit_run_duration_seconds", "Wall time the checks took, in seconds.");
                if (k == 0)
                        k = strbuf_addf(sb, "hostfit_run_duration_seconds %.6f\n", duration);
        }
        return k;
}

/* Built whole in memory first so that a failure writes nothing to OUT. */
int report_render_prometheus(const struct report *r, FILE *out, time_t now, double duration) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int k = prom_check_status(&sb, r);
        if (k == 0)
                k = prom_findings(&sb, r);
        if (k == 0)
                k = prom_ignored(&sb, r);
        if (k == 0)
                k = prom_oom_kills(&sb, r);
        if (k == 0)
                k = prom_summary(&sb, r, now);
        if (k == 0)
                k = prom_run(&sb, duration);
        if (k < 0)
                return k;
        if (fwrite(strbuf_str(&sb), 1, sb.len, out) != sb.len || fflush(out) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* Nagios reads '|' as the start of performance data and turns ';' into ':':
 * neither may appear in the text a plugin prints. */
static void nagios_text_clean(char *s) {
        for (; *s; s++)
                if (*s == '|')
                        *s = '/';
                else if (*s == ';')
                        *s = ',';
}

static int nagios_add_text(struct strbuf *sb, const char *s) {
        size_t at = sb->len;
        int k = escape_terminal(sb, s ? s : "", s ? strlen(s) : 0);
        if (k == 0)
                nagios_text_clean(sb->buf + at);
        return k;
}

/* The check ids in status S, as " (fail: a, b)" after the counts. */
static int nagios_ids(struct strbuf *sb, const struct report *r, enum status s) {
        bool any = false;
        int k = 0;
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                if (cr->status != s)
                        continue;
                k = strbuf_addf(sb, any ? ", " : " (%s: ", status_to_string(s));
                if (k == 0)
                        k = nagios_add_text(sb, cr->check->id);
                any = true;
        }
        if (k == 0 && any)
                k = strbuf_addch(sb, ')');
        return k;
}

/* Long output: one line a finding that failed, erred or warns, worst first. */
static int nagios_long(struct strbuf *sb, const struct report *r) {
        static const enum status order[] = { STATUS_FAIL, STATUS_ERROR, STATUS_WARN, STATUS_IGNORED };
        int k = 0;
        for (size_t o = 0; k == 0 && o < ELEMENTSOF(order); o++)
                for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                        const struct check_result *cr = report_check(r, i);
                        for (size_t j = 0; k == 0 && j < cr->n_findings; j++) {
                                const struct finding *f = cr->findings[j];
                                                if (f->status != order[o])
                                        continue;
                                k = strbuf_addf(sb, "%s %s: ", status_to_string(f->status), cr->check->id);
                                if (k == 0 && f->subject && *f->subject) {
                                        k = nagios_add_text(sb, f->subject);
                                        if (k == 0)
                                                k = strbuf_adds(sb, ": ");
                                }
                                if (k == 0)
                                        k = nagios_add_text(sb, f->message);
                                if (k == 0 && f->ignored) {
                                        k = strbuf_adds(sb, " (");
                                        if (k == 0)
                                                k = nagios_add_text(sb, f->ignored);
                                        if (k == 0)
                                                k = strbuf_addf(sb, "%s%s)", *f->ignored_until ? ", until " : "",
                                                                f->ignored_until);
                                }
                                if (k == 0)
                                        k = strbuf_addch(sb, '\n');
                        }
                }
        return k;
}

int report_render_nagios(const struct report *r, FILE *out, bool long_output) {
        static const char *const states[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
        static const enum status named[] = { STATUS_FAIL, STATUS_WARN, STATUS_ERROR };
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        unsigned c[_STATUS_MAX];
        int st = report_exit_status(r);
        unsigned n = (unsigned) report_n_checks(r);

        report_counts(r, c);
        int k = strbuf_addf(&sb, "hostfit %s - %u pass, %u warn, %u fail, %u skipped",
                            states[st >= 0 && st <= 3 ? st : 3],
                            c[STATUS_PASS], c[STATUS_WARN], c[STATUS_FAIL], c[STATUS_SKIP]);
        if (k == 0 && c[STATUS_ERROR])
                k = strbuf_addf(&sb, ", %u error", c[STATUS_ERROR]);
        if (k == 0 && c[STATUS_IGNORED])
                k = strbuf_addf(&sb, ", %u ignored", c[STATUS_IGNORED]);
        for (size_t i = 0; k == 0 && i < ELEMENTSOF(named); i++)
                k = nagios_ids(&sb, r, named[i]);
        /* label=value;warn;crit;min;max: one warning check is WARNING, one
         * failed check CRITICAL, as the state word says. */
        if (k == 0)
                k = strbuf_addf(&sb, " | pass=%u;;;0;%u warn=%u;0;;0;%u fail=%u;;0;0;%u skip=%u;;;0;%u error=%u;;;0;%u\n",
                                c[STATUS_PASS], n, c[STATUS_WARN], n, c[STATUS_FAIL], n,
                                c[STATUS_SKIP], n, c[STATUS_ERROR], n);
        if (k == 0 && long_output)
                k = nagios_long(&sb, r);
        if (k < 0)
                return k;
        if (fwrite(strbuf_str(&sb), 1, sb.len, out) != sb.len || fflush(out) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int report_render_nagios_unknown(FILE *out, const char *reason) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int k = strbuf_adds(&sb, "hostfit UNKNOWN - ");
        if (k == 0)
                k = nagios_add_text(&sb, reason);
        if (k == 0)
                k = strbuf_addch(&sb, '\n');
        if (k < 0)
                return k;
        if (fwrite(strbuf_str(&sb), 1, sb.len, out) != sb.len || fflush(out) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

/* Render into the open temp file TMP (fd FD) and make it durable. */
static int write_temp(int fd, int (*render)(void *, FILE *), void *userdata) {
        FILE *f = fdopen(fd, "w");
        if (!f) {
                int k = -errno;
                close(fd);
                return k;
        }
        int k = render(userdata, f);
        if (k == 0 && fflush(f) == EOF)
                k = -errno;
        if (k == 0 && fchmod(fileno(f), 0644) < 0)
                k = -errno;
        if (k == 0 && fsync(fileno(f)) < 0)
                k = -errno;
        if (fclose(f) == EOF && k == 0)
                k = -errno;
        return k < 0 ? k : 0;
}

int output_write_atomic(const char *path, int (*render)(void *userdata, FILE *f), void *userdata) {
        _cleanup_free_ char *d = strdup(path), *b = strdup(path), *tmp = NULL;
        if (!d || !b)
                return -ENOMEM;
        const char *dir = dirname(d), *base = basename(b);
        if (!*base || strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return -EISDIR;
        if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int k = write_temp(fd, render, userdata);
        if (k == 0 && rename(tmp, path) < 0)
                k = -errno;
        if (k < 0) {
                unlink(tmp);
                return k;
        }
        return fsync_dir(dir);
}

struct prom_job {
        const struct report *r;
        time_t now;
};

static int prom_render_cb(void *userdata, FILE *f) {
        const struct prom_job *job = userdata;
        return report_render_prometheus(job->r, f, job->now, -1);
}

/* The lines of the last good file but its run-success series. */
static bool prom_is_success_line(const char *line) {
        static const char name[] = "hostfit_last_run_success";
        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)
                line += 7;
        return strncmp(line, name, sizeof(name) - 1) == 0 &&
               (line[sizeof(name) - 1] == ' ' || line[sizeof(name) - 1] == '{');
}

static int prom_failed_cb(void *userdata, FILE *f) {
        const char *old = userdata;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int k = 0;
        for (const char *l = old; k == 0 && l && *l; ) {
                size_t n = strcspn(l, "\n");
                if (!prom_is_success_line(l))
                        k = strbuf_add(&sb, l, n);
                if (k == 0 && !prom_is_success_line(l))
                        k = strbuf_addch(&sb, '\n');
                l += n + (l[n] == '\n');
        }
        if (k == 0)
                k = prom_header(&sb, "hostfit_last_run_success",
                                "1 when the last run of hostfit check completed, 0 when it could not run.");
        if (k == 0)
                k = strbuf_adds(&sb, "hostfit_last_run_success 0\n");
        if (k < 0)
                return k;
        if (fwrite(strbuf_str(&sb), 1, sb.len, f) != sb.len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int report_write_prometheus_failed(const char *path) {
        _cleanup_free_ char *old = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (4 << 20)) {
                old = calloc(1, (size_t) st.st_size + 1);
                if (!old)
                        return -ENOMEM;
                ssize_t n = read(fd, old, (size_t) st.st_size);
                if (n < 0 || strlen(old) != (size_t) n)
                        { free(old); old = NULL; }     /* unreadable or not text: start over */
        }
        return output_write_atomic(path, prom_failed_cb, old);
}

int report_write_prometheus(const struct report *r, const char *path, time_t now) {
        struct prom_job job = { .r = r, .now = now };
        return output_write_atomic(path, prom_render_cb, &job);
}
