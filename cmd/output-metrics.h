/* Reports for monitoring: Prometheus textfile metrics, a Nagios plugin line,
 * and the atomic file write a textfile collector needs. */
#pragma once

#include <stdio.h>
#include <time.h>

struct report;

/* node_exporter textfile-collector format: hostfit_check_status{check,status}
 * (1 for a check's current status, 0 for the others), hostfit_checks{status},
 * hostfit_last_run_timestamp_seconds (NOW). 0 or -errno. */
int report_render_prometheus(const struct report *r, FILE *out, time_t now);

/* One monitoring-plugin line: "hostfit OK - 7 pass, 0 warn, 0 fail | pass=7 ...";
 * the state word follows report_exit_status(). 0 or -errno. */
int report_render_nagios(const struct report *r, FILE *out);

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
