/* SPDX-License-Identifier: MIT */
/* The incidents as text (one line each, host bytes escaped) and as JSON (docs/hostfit-incidents.schema.json). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "journal/incidents.h"
#include "text/strbuf.h"

/* One incident on one line, without the newline. */
int incident_format_line(const struct incident *i, struct strbuf *sb);
/* VERBOSE: also the count of the entries ignored as forged. */
int incidents_render_text(const struct incident_list *l, bool verbose, FILE *f);
int incidents_render_json(const struct incident_list *l, FILE *f);
