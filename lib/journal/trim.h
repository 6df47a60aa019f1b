/* SPDX-License-Identifier: MIT */
/* Memory that follows the incidents, not the entries read: the pages of the
 * journal files sd-journal mapped are let go as the walk moves on, and the
 * window it just entered is mapped ahead in one call (lib/journal/trim.c). */
#pragma once

struct journal_trim;

/* From now on: the journal pages mapped so far are let go, and the RSS then is
 * the base. NULL on -ENOMEM. */
struct journal_trim *journal_trim_new(void);
struct journal_trim *journal_trim_free(struct journal_trim *t);
/* One entry read: now and then, when sd-journal mapped a window or RSS grew past
 * the slack, the windows the walk left are let go and a new one is mapped ahead. */
void journal_trim_step(struct journal_trim *t);
/* The same, AT being where the entry's data lay: a pointer sd-journal gave into a window
 * it mapped (NULL: not known; data it decompressed lies elsewhere and counts as not known).
 * Compared, never read. While AT stays in the window it lay in at the last look at
 * /proc/self/statm, statm is read 4 times less often: the walk is taken to be where it was.
 * That is a guess, not a proof: a message that repeats is one data object while its entries
 * move on into new windows. The cost of a wrong guess is a look up to 1024 entries late,
 * within the RSS slack; what is reported does not depend on it. */
void journal_trim_step_at(struct journal_trim *t, const void *at);
/* How often /proc/self/statm was read: tests count it. */
unsigned long journal_trim_statm_reads(const struct journal_trim *t);
