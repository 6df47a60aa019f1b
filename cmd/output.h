/* A report as a person reads it (aligned, colored on a terminal) or as JSON. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct report;

struct output_options {
        bool color;
        bool quiet;     /* only the checks that did not pass; no summary */
        bool verbose;   /* every finding's details, and passing findings */
};

/* One line a check, its findings under it, a summary line. Host bytes are escaped. */
int output_text(const struct report *r, const struct output_options *o, FILE *f);
/* The JSON object: version, root, profile, summary, checks[findings[]]. */
int output_json(const struct report *r, const char *root, const char *profile, FILE *f);

/* ANSI SGR sequences, or "" without color. */
const char *color_on(bool color, const char *sgr);
const char *color_off(bool color);
/* The SGR for a status: green pass, yellow warn, red fail... */
const char *status_color(int status);
