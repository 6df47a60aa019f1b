/* SPDX-License-Identifier: MIT */
/* Findings and the report that collects them, one result per check run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct check;
struct host;

/* Ordered by how bad: the worst status of a check's findings is the check's status. An
 * ignored finding (hostfit.conf's [ignore]) is one that needs no action: below warn. */
enum status { STATUS_PASS, STATUS_SKIP, STATUS_IGNORED, STATUS_WARN, STATUS_ERROR, STATUS_FAIL, _STATUS_MAX };
enum severity { SEVERITY_LOW, SEVERITY_MEDIUM, SEVERITY_HIGH, _SEVERITY_MAX };

const char *status_to_string(enum status s);       /* "pass", "skip", "warn", "error", "fail", "ignored" */
const char *severity_to_string(enum severity s);   /* "low", "medium", "high" */

struct finding {
        const struct check *check;
        enum status status;
        char *subject;          /* a path, a unit, "pid 902": may hold raw host bytes; escape to print */
        char *comm;             /* the name of the process it is about, as the evidence gave it (a live process's
                                 * stat, a kill's log line); NULL: none. [ignore]'s process names match this */
        char *message;          /* one line a person can act on; may hold host bytes */
        char *fix;              /* what fixes it ("hostfit fix swap-missing", or manual steps); NULL when nothing to do */
        bool fix_inline;        /* fix is the default line, in the finding's own allocation (as subject is):
                                 * changed with finding_set_fix(), never freed alone */
        char **details;         /* evidence lines for --verbose, NULL-terminated, may be NULL */
        char *ignored;          /* why it is ignored ([ignore] in hostfit.conf), status "ignored"; else NULL */
        char ignored_until[11]; /* "YYYY-MM-DD" the ignore ends, or "" */
        void *data;             /* typed facts for the check's fix; owned */
        void (*data_free)(void *data);
};

struct check_result {
        const struct check *check;
        enum status status;
        struct finding **findings;
        size_t n_findings;
};

struct report;

int report_new(struct report **ret);
struct report *report_free(struct report *r);

/* Start the result of check C; findings added next belong to it. */
int report_begin(struct report *r, const struct check *c);
/* Add a finding to the current check. Takes DATA (freed with DATA_FREE even on failure).
 * The fix line defaults to "hostfit fix ID" for warn and fail when the check has a fix. */
int report_add(struct report *r, enum status st, const char *subject,
               void *data, void (*data_free)(void *), const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));
/* report_add for a finding about the live process PID named COMM (subject "pid PID"). */
int report_add_process(struct report *r, enum status st, int pid, const char *comm,
                       void *data, void (*data_free)(void *), const char *fmt, ...)
        __attribute__((format(printf, 7, 8)));
/* The finding added last, to set its fix or details; NULL when none. */
struct finding *report_last(struct report *r);
int finding_set_fix(struct finding *f, const char *fix);
int finding_set_comm(struct finding *f, const char *comm);      /* NULL: about no one process */
int finding_add_detail(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t report_n_checks(const struct report *r);
const struct check_result *report_check(const struct report *r, size_t i);
/* How many checks ended in each status. */
void report_counts(const struct report *r, unsigned counts[_STATUS_MAX]);
/* 0 all pass/skip, 1 worst warn, 2 any fail, 3 an error (no fail). */
int report_exit_status(const struct report *r);

/* Apply the configuration's [ignore] lines to the findings of the check begun last: a warn,
 * error or fail finding that one matches by its subject or its comm, not expired on H's clock,
 * becomes "ignored" with its reason and no fix; an expired one keeps its status and says so in
 * its details. A finding's comm is the one its check set: never looked up again by pid, which
 * may belong to another process by now. */
int report_apply_ignores(struct report *r, struct host *h);

/* Run the checks named in IDS (NULL or empty: all, in table order) against H.
 * A check skipped by the configuration reports "skip". -ENOENT on an unknown id. */
int report_run_checks(struct report *r, struct host *h, char *const *ids, size_t n_ids);
