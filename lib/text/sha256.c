/* SPDX-License-Identifier: MIT */
/* SHA-256 of a buffer, by libmd (libmd-dev). */
#include <sha2.h>

#include "text/sha256.h"

_Static_assert(SHA256_HEX_SIZE == SHA256_DIGEST_STRING_LENGTH, "hex digest size");

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]) {
        (void) SHA256Data((const uint8_t *) data, len, hex);
}
