/* SPDX-License-Identifier: MIT */
/* Unit files and their drop-ins, as unit_load() reads them, and the memory
 * settings read from them. The input is split at the first "\n--\n": a unit
 * file, then one drop-in. */
#include <sanitizer/allocator_interface.h>

#include "fuzz.h"
#include "host/host.h"
#include "systemd/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *sep = memmem(data, size, "\n--\n", 4);
        size_t unit_len = sep ? (size_t) (sep - data) + 1 : size;
        fuzz_write("/etc/systemd/system/app.service", data, unit_len);
        if (sep)
                fuzz_write("/etc/systemd/system/app.service.d/override.conf", sep + 4, size - unit_len - 3);
        else
                fuzz_write("/etc/systemd/system/app.service.d/override.conf", (const uint8_t *) "", 0);
        struct host *h = NULL;
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        const struct unit *u = NULL;
        if (unit_load(h, "app.service", &u) == 0) {
                /* An allocation of its own under the sanitizer, for it to see a write past the copy. */
                if (!__sanitizer_get_ownership(u))
                        abort();
                uint64_t v;
                (void) unit_memory_setting(u, "MemoryMax", &v);
                (void) unit_memory_setting(u, "MemoryHigh", &v);
                (void) unit_memory_setting(u, "MemorySwapMax", &v);
                (void) unit_get(u, "Service", "ExecStart");
                (void) unit_get(u, "Install", "WantedBy");
        }
        host_free(h);
        return 0;
}
