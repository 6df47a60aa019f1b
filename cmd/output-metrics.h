/* SPDX-License-Identifier: MIT */
/* Reports for monitoring: Prometheus textfile metrics, a Nagios plugin line,
 * and the atomic file write a textfile collector needs. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct report;

/* node_exporter textfile-collector format: hostfit_check_status{check,severity,status}
 * (1 for a check's current status, 0 for the others), hostfit_findings{check},
 * hostfit_checks{status}, hostfit_last_run_timestamp_seconds (NOW),
 * hostfit_build_info{version}, hostfit_last_run_success (1) and, when
 * DURATION >= 0, hostfit_run_duration_seconds. 0 or -errno. */
int report_render_prometheus(const struct report *r, FILE *out, time_t now, double duration);

/* hostfit could not run: PATH keeps the series of the last good run, and its
 * hostfit_last_run_success becomes 0 (a new file holds only that). 0 or -errno. */
int report_write_prometheus_failed(const char *path);

/* The monitoring-plugin output: one status line, "hostfit WARNING - 7 pass,
 * 1 warn, 0 fail (warn: zram-missing) | pass=7;;;0;8 warn=1;0;;0;8 ...", the
 * state word after report_exit_status(); with LONG_OUTPUT one more line a
 * finding ("warn zram-missing: SUBJECT: MESSAGE"). No ';' or '|' in the text.
 * 0 or -errno. */
int report_render_nagios(const struct report *r, FILE *out, bool long_output);

/* The plugin line when there is no report (bad usage, unreadable root or
 * configuration): "hostfit UNKNOWN - REASON", REASON escaped for a terminal
 * and without the perfdata separator '|'. Exit 3 goes with it. 0 or -errno. */
int report_render_nagios_unknown(FILE *out, const char *reason);

/* Write PATH as a whole or not at all: RENDER fills a temporary file in the
 * same directory (a dot name without the .prom suffix, so a collector never
 * reads it half written), which is flushed, fsynced, made 0644 and renamed
 * over PATH; the directory is fsynced after. RENDER returns 0 or -errno.
 * On failure PATH is unchanged and the temporary file removed. */
int output_write_atomic(const char *path, int (*render)(void *userdata, FILE *f), void *userdata);

/* report_render_prometheus() into PATH through output_write_atomic(). */
int report_write_prometheus(const struct report *r, const char *path, time_t now);
