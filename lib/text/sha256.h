/* SPDX-License-Identifier: MIT */
/* SHA-256 for the run records (the digest of what a run wrote): libmd's
 * SHA256Data(), one call, lowercase hex as sha256sum prints it. */
#pragma once

#include <stddef.h>

#define SHA256_HEX_SIZE    65   /* 64 hex digits and the NUL */

/* The digest of DATA as 64 lowercase hex digits in HEX. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);
