/* SPDX-License-Identifier: MIT */
/* NULL-terminated vectors of strings, each string and the vector owned. */
#pragma once

void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }
