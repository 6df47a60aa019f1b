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
