/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for the run records: the digest of what a run wrote. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE    65   /* 64 hex digits and the NUL */

struct sha256 {
        uint32_t h[8];
        uint64_t len;           /* bytes so far */
        uint8_t buf[64];
        size_t n;               /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE]);
/* The digest of DATA as 64 lowercase hex digits in HEX. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);
