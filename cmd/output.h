/* SPDX-License-Identifier: MIT */
/* A report as a person reads it (aligned, colored on a terminal) or as JSON. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct report;

struct output_options {
        bool color;
        bool quiet;     /* only the checks that did not pass; no summary */
        bool verbose;   /* every finding's details, and passing findings */
};

/* One line a check, its findings under it, a summary line. Host bytes are escaped. */
int output_text(const struct report *r, const struct output_options *o, FILE *f);
/* Who and when, for the JSON report. */
struct output_meta {
        const char *root;
        const char *profile;
        const char *hostname;   /* NULL when unknown (an image without /etc/hostname) */
        time_t time;
};
/* The JSON object: version, hostfit_version, hostname, time, root, profile,
 * summary, checks[findings[]]. */
int output_json(const struct report *r, const struct output_meta *m, FILE *f);

/* ANSI SGR sequences, or "" without color. */
const char *color_on(bool color, const char *sgr);
const char *color_off(bool color);
/* The SGR for a status: green pass, yellow warn, red fail... */
const char *status_color(int status);
