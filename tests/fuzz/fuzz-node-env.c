/* SPDX-License-Identifier: MIT */
/* node-heap-limit's reading of what systemd gives node: the input as an environment file
 * (systemd's syntax) and as NODE_OPTIONS; and the value hostfit writes into its own
 * environment file, which must parse back to exactly that value. */
#include "fuzz.h"
#include "procs/nodeheap.h"
#include "systemd/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        char *v = NULL, **w = NULL;
        size_t n = 0;
        uint64_t mib = 0;
        double pct = 0;
        if (node_env_file_get(text, "NODE_OPTIONS", &v) == 0)
                free(v);
        if (node_options_split(text, &w, &n) == 0) {
                (void) node_heap_flag(w, n, false, &mib, &pct);
                (void) node_heap_flag(w, n, true, &mib, &pct);
                strv_free(w);
        }
        /* A value with no newline or NUL round-trips through hostfit's quoting. */
        if (!strchr(text, '\n') && !strchr(text, '\r')) {
                char *q = node_env_file_quote(text), *line = NULL;
                if (!q || asprintf(&line, "NODE_OPTIONS=%s\n", q) < 0)
                        abort();
                v = NULL;
                if (node_env_file_get(line, "NODE_OPTIONS", &v) < 0 || !v || strcmp(v, text) != 0)
                        abort();
                free(v), free(q), free(line);
        }
        free(text);
        return 0;
}
