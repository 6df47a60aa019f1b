/* The fixes, one a check that has one (see checks/check.h). */
#pragma once

#include "check.h"

extern const struct fix fix_swapfile;
extern const struct fix fix_zram;
