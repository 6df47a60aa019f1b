/* SPDX-License-Identifier: MIT */
/* /proc/PID/stat, cgroup, environ and /proc/meminfo as hostfit parses them. */
#include "fuzz.h"
#include "procs/devserver.h"
#include "host/host-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        struct proc p = {};
        if (host_parse_stat(text, &p) == 0 && strlen(p.comm) > 15)
                abort();
        free(host_parse_cgroup(text));
        struct host_meminfo m;
        (void) host_parse_meminfo(text, &m);
        /* environ: NUL-separated, taken with its NULs. */
        (void) devserver_env_has((const char *) data, size, "NODE_ENV=production PORT");
        free(text);
        return 0;
}
