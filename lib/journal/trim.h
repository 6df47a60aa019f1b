/* SPDX-License-Identifier: MIT */
/* Memory that follows the incidents, not the entries read: the pages of the
 * journal files sd-journal mapped are let go as the walk moves on
 * (lib/journal/trim.c). */
#pragma once

struct journal_trim;

/* From now on (the RSS now is the base): NULL on -ENOMEM. */
struct journal_trim *journal_trim_new(void);
struct journal_trim *journal_trim_free(struct journal_trim *t);
/* One entry read: now and then, the journal's pages are let go when RSS grew past the slack. */
void journal_trim_step(struct journal_trim *t);
