/* SPDX-License-Identifier: MIT */
/* The [Install] section of a unit file's text: what enabling it links. */
#pragma once

#include <stddef.h>

/* The targets of TEXT's [Install] WantedBy= (every assignment, each a list;
 * an empty one resets it), in order, duplicates dropped: NULL-terminated, free
 * with strv_free(). -EINVAL when one is not a plain unit name (a specifier such
 * as %i, a path): hostfit does not guess what systemd would expand it to. */
int unit_text_wanted_by(const char *text, size_t len, char ***ret);
