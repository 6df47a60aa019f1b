/* SPDX-License-Identifier: MIT */
/* A report as a person reads it (aligned, colored on a terminal) or as JSON. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct report;

/* What a hint ("hostfit fix ID", "hostfit incidents --unit U") needs so that a
 * pasted copy acts on what was checked: GLOBAL goes after "hostfit" (" --config
 * FILE"), ROOT after the command (" --root DIR"), each shell-quoted; NULL for none. */
struct output_hint {
        const char *global;
        const char *root;
};

struct output_options {
        const struct output_hint *hint; /* NULL: hints as the checks wrote them */
        bool color;
        bool quiet;     /* only what needs action (warn, fail, error): no pass, no skip, no summary */
        bool verbose;   /* every finding (not a count past the first few of a group), its details, passing ones */
};

/* One line a check, its findings under it, a summary line. Host bytes are escaped. */
int output_text(const struct report *r, const struct output_options *o, FILE *f);
/* Who and when, for the JSON report. */
struct output_meta {
        const struct output_hint *hint; /* as in output_options */
        const char *root;
        const char *profile;
        const char *hostname;   /* NULL when unknown (an image without /etc/hostname) */
        time_t time;
};
/* The JSON object: version, hostfit_version, hostname, time, root, profile,
 * summary, checks[findings[]]. */
int output_json(const struct report *r, const struct output_meta *m, FILE *f);

/* FIX with each hostfit command in it (fix, incidents, undo, history) given the
 * options of H. New string in *RET (NULL for a NULL FIX). */
int output_fix_hint(const char *fix, const struct output_hint *h, char **ret);

/* ANSI SGR sequences, or "" without color. */
const char *color_on(bool color, const char *sgr);
const char *color_off(bool color);
/* The SGR for a status: green pass, yellow warn, red fail... */
const char *status_color(int status);
