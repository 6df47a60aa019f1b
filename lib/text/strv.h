/* SPDX-License-Identifier: MIT */
/* NULL-terminated vectors of strings, each string and the vector owned. */
#pragma once

#include <stddef.h>

void strv_free(char **v);
/* Frees the first N strings of V (NULL entries allowed) and V. */
void strv_free_n(char **v, size_t n);
/* Appends S (taken over, freed on failure; NULL is -ENOMEM) to *V of *N strings, keeping it NULL-terminated. */
int strv_push(char ***v, size_t *n, char *s);
static inline void strv_freep(char ***v) { strv_free(*v); }
