/* The fixes, one a file in fixes/; checks point at them. */
#pragma once

#include "check.h"

extern const struct fix fix_healthcheck;
extern const struct fix fix_memorymax;
extern const struct fix fix_unit;
