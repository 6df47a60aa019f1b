/* The one table of checks. Keep it sorted by id; one line a check. */
#include <string.h>

#include "check.h"
#include "registry.h"

extern const struct check check_swap_missing;
extern const struct check check_zram_missing;

const struct check *const checks[] = {
        &check_swap_missing,
        &check_zram_missing,
        NULL,
};

const struct check *check_find(const char *id) {
        for (size_t i = 0; checks[i]; i++)
                if (strcmp(checks[i]->id, id) == 0)
                        return checks[i];
        return NULL;
}
