/* SPDX-License-Identifier: MIT */
/* /proc/net/{tcp,tcp6,udp,udp6}: the listening sockets, and their formatting. */
#include "fuzz.h"
#include "host/sockets.h"
#include "text/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        for (int k = 0; k < 4; k++) {
                struct socket_table t = {};
                (void) sockets_parse(&t, text, k & 1, k & 2);
                for (size_t i = 0; i < t.n; i++) {
                        struct strbuf sb = STRBUF_INIT;
                        (void) socket_format(&t.sockets[i], &sb);
                        strbuf_release(&sb);
                }
                free(t.sockets);
        }
        free(text);
        return 0;
}
