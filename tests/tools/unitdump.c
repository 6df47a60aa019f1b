/* SPDX-License-Identifier: MIT */
/* unitdump: hostfit's reading of units, one line each, for the differential system test
 * against systemd (tests/system/scenarios/21-unit-oracle.sh). Internal: not installed.
 *
 *   unitdump ROOT UNIT...   prints "UNIT MemoryMax=V MemoryHigh=V MemoryLimit=V Restart=R RestartUSec=USEC"
 *
 * V is a byte count, "infinity", "pct:N" (parts per 10000 of physical memory, which
 * systemd turns into bytes when it loads the unit) or "error:ERRNO" when the unit
 * could not be loaded; "masked", or "bad:FILE:LINE" when systemd refuses to load it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/host.h"
#include "systemd/units.h"

static void show(const struct unit *u, const char *key) {
        uint64_t v = 0;
        switch (unit_memory_setting(u, key, &v)) {
        case UNIT_LIMIT_UNSET:
        case UNIT_LIMIT_INFINITY:
                printf(" %s=infinity", key);
                break;
        case UNIT_LIMIT_BYTES:
                printf(" %s=%llu", key, (unsigned long long) v);
                break;
        case UNIT_LIMIT_PERCENT:
                printf(" %s=pct:%llu", key, (unsigned long long) v);
                break;
        }
}

int main(int argc, char **argv) {
        struct host *h = NULL;
        if (argc < 2) {
                fprintf(stderr, "usage: unitdump ROOT UNIT...\n");
                return 2;
        }
        int r = host_open(argv[1], &h);
        if (r < 0) {
                fprintf(stderr, "unitdump: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        for (int i = 2; i < argc; i++) {
                const struct unit *u = NULL;
                r = unit_load(h, argv[i], &u);
                printf("%s", argv[i]);
                if (r < 0)
                        printf(" error:%d\n", -r);
                else if (u->masked)
                        printf(" masked\n");
                else if (u->bad)
                        printf(" bad:%s:%u\n", u->bad_file, u->bad_line);
                else {
                        show(u, "MemoryMax");
                        show(u, "MemoryHigh");
                        show(u, "MemoryLimit");
                        uint64_t us = unit_service_restart_usec(u);
                        printf(" Restart=%s", unit_service_restart(u));
                        if (us == UNIT_USEC_INFINITY)
                                printf(" RestartUSec=infinity\n");
                        else
                                printf(" RestartUSec=%llu\n", (unsigned long long) us);
                }
        }
        host_free(h);
        return 0;
}
