/* SPDX-License-Identifier: MIT */
/* NULL-terminated vectors of strings. */
#include <stdlib.h>

#include "text/strv.h"

void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}
