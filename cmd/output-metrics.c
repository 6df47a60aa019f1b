/* Prometheus textfile metrics, the Nagios plugin line, and atomic output files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "escape.h"
#include "incidents.h"
#include "output-metrics.h"
#include "report.h"
#include "strbuf.h"

/* The order statuses are listed in, the same as the JSON summary. */
static const enum status status_order[] = {
        STATUS_PASS, STATUS_WARN, STATUS_FAIL, STATUS_SKIP, STATUS_ERROR,
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
                            "Status of each hostfit check: 1 for its current status, 0 for the others.");
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                for (size_t s = 0; k == 0 && s < ELEMENTSOF(status_order); s++) {
                        k = strbuf_adds(sb, "hostfit_check_status{check=\"");
                        if (k == 0)
                                k = prom_label_value(sb, cr->check->id);
                        if (k == 0)
                                k = strbuf_addf(sb, "\",status=\"%s\"} %d\n",
                                                status_to_string(status_order[s]),
                                                cr->status == status_order[s]);
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

/* hostfit_oom_kills{unit,killer}: the kills the oom-kills check found in its window
 * (its findings carry the incidents); crash loops are not kills. */
static int prom_oom_kills(struct strbuf *sb, const struct report *r) {
        const struct check_result *cr = NULL;
        for (size_t i = 0; i < report_n_checks(r); i++)
                if (strcmp(report_check(r, i)->check->id, "oom-kills") == 0)
                        cr = report_check(r, i);
        if (!cr || cr->status == STATUS_SKIP)
                return 0;
        int k = prom_header(sb, "hostfit_oom_kills",
                            "OOM kills in the journal within [oom-kills] window, by unit and killer.");
        for (size_t i = 0; k == 0 && i < cr->n_findings; i++) {
                const struct incident *a = cr->findings[i]->data;
                bool seen = false;
                if (!a || a->killer == KILLER_NONE)
                        continue;
                for (size_t p = 0; p < i && !seen; p++) {
                        const struct incident *b = cr->findings[p]->data;
                        seen = b && b->killer == a->killer && strcmp(b->unit ? b->unit : "", a->unit ? a->unit : "") == 0;
                }
                if (seen)
                        continue;
                unsigned n = 0;
                for (size_t q = i; q < cr->n_findings; q++) {
                        const struct incident *b = cr->findings[q]->data;
                        n += b && b->killer == a->killer && strcmp(b->unit ? b->unit : "", a->unit ? a->unit : "") == 0;
                }
                k = strbuf_adds(sb, "hostfit_oom_kills{unit=\"");
                if (k == 0)
                        k = prom_label_value(sb, a->unit);
                if (k == 0)
                        k = strbuf_addf(sb, "\",killer=\"%s\"} %u\n", killer_to_string(a->killer), n);
        }
        return k;
}

/* Built whole in memory first so that a failure writes nothing to OUT. */
int report_render_prometheus(const struct report *r, FILE *out, time_t now) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int k = prom_check_status(&sb, r);
        if (k == 0)
                k = prom_oom_kills(&sb, r);
        if (k == 0)
                k = prom_summary(&sb, r, now);
        if (k < 0)
                return k;
        if (fwrite(strbuf_str(&sb), 1, sb.len, out) != sb.len || fflush(out) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* The check ids in status S, as " (fail: a, b)" after the counts. */
static int nagios_ids(struct strbuf *sb, const struct report *r, enum status s, bool *first) {
        bool any = false;
        int k = 0;
        for (size_t i = 0; k == 0 && i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                if (cr->status != s)
                        continue;
                if (!any)
                        k = strbuf_addf(sb, "%s%s: ", *first ? " (" : "; ", status_to_string(s));
                else
                        k = strbuf_adds(sb, ", ");
                if (k == 0)
                        k = escape_terminal(sb, cr->check->id, strlen(cr->check->id));
                any = true;
                *first = false;
        }
        return k;
}

int report_render_nagios(const struct report *r, FILE *out) {
        static const char *const states[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
        static const enum status named[] = { STATUS_FAIL, STATUS_WARN, STATUS_ERROR };
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        unsigned c[_STATUS_MAX];
        bool first = true;
        int st = report_exit_status(r);

        report_counts(r, c);
        int k = strbuf_addf(&sb, "hostfit %s - %u pass, %u warn, %u fail",
                            states[st >= 0 && st <= 3 ? st : 3],
                            c[STATUS_PASS], c[STATUS_WARN], c[STATUS_FAIL]);
        if (k == 0 && c[STATUS_ERROR])
                k = strbuf_addf(&sb, ", %u error", c[STATUS_ERROR]);
        for (size_t i = 0; k == 0 && i < ELEMENTSOF(named); i++)
                k = nagios_ids(&sb, r, named[i], &first);
        if (k == 0 && !first)
                k = strbuf_adds(&sb, ")");
        if (k == 0)
                k = strbuf_addf(&sb, " | pass=%u warn=%u fail=%u skip=%u error=%u\n",
                                c[STATUS_PASS], c[STATUS_WARN], c[STATUS_FAIL],
                                c[STATUS_SKIP], c[STATUS_ERROR]);
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
                k = escape_terminal(&sb, reason, strlen(reason));
        if (k == 0)
                k = strbuf_addch(&sb, '\n');
        if (k < 0)
                return k;
        /* What follows '|' would be read as performance data. */
        for (char *s = sb.buf; (s = strchr(s, '|')); s++)
                *s = '/';
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
        return report_render_prometheus(job->r, f, job->now);
}

int report_write_prometheus(const struct report *r, const char *path, time_t now) {
        struct prom_job job = { .r = r, .now = now };
        return output_write_atomic(path, prom_render_cb, &job);
}
