/* SPDX-License-Identifier: MIT */
/* Taking a recorded run back: the plan that restores what it replaced, removes
 * what it created, and stops what it started; and the reasons to refuse. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "text/strbuf.h"

struct host;
struct plan;
struct run_record;

/* Plan the undo of RUNS[TARGET] (RUNS: every record, oldest first) into P.
 * What stops it is added to REFUSED, one line each ("PATH: why"); what only
 * one action needs and is gone (a pruned backup) to BLOCKED: the rest is
 * planned, and the undo is partial. A unit file it removes whose unit runs
 * now is stopped and disabled first (and its enable links go); with FORCE a
 * file changed since the run is taken back anyway (and said in NOTES), but a
 * missing backup, a newer run on the same path or an undo record never is.
 * What cannot be taken back (oom_score_adj, runtime properties) becomes a
 * manual step. P borrows strings of RUNS[TARGET]: keep RUNS until P is freed.
 * Returns 0 (check REFUSED), or -errno when the host could not be read. */
int undo_plan(struct host *h, struct run_record *const *runs, size_t n, size_t target, bool force,
              struct plan *p, struct strbuf *refused, struct strbuf *blocked, struct strbuf *notes);
