/* SPDX-License-Identifier: MIT */
/* /etc/default/earlyoom: read as oomd_load() does (its regexes compiled), and
 * the --avoid edit of a wrapper-oom fix, whose result must parse again and
 * keep every byte outside EARLYOOM_ARGS. */
#include "fuzz.h"
#include "host/host.h"
#include "procs/oomd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_write("/etc/default/earlyoom", data, size);
        struct host *h = NULL;
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        struct oomd_config c = {};
        if (oomd_load(h, &c) == 0) {
                for (size_t i = 0; i < c.n; i++)
                        (void) oomd_regex_matches(&c.re[i], "node");
                oomd_done(&c);
        }
        host_free(h);

        /* As host_read_file() hands it over: SIZE bytes (NULs included), then a NUL. */
        char *text = fuzz_str(data, size);
        size_t start, len;
        (void) earlyoom_args_find(text, size, &start, &len);
        char *names[] = { (char *) "node", (char *) "redis-server" };
        char *out = NULL;
        size_t out_len = 0;
        if (earlyoom_edit_avoid(text, size, names, 2, &out, &out_len) == 0) {
                size_t s2, l2;
                /* What the edit wrote is found again by the reader. */
                if (earlyoom_args_find(out, out_len, &s2, &l2) < 0)
                        abort();
                free(out);
        }
        free(text);
        return 0;
}
