/* SPDX-License-Identifier: MIT */
/* tmux.conf as tmux-resurrect and continuum see it, and the process list in it. */
#include "fuzz.h"
#include "procs/tmuxconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        struct tmux_conf c = {};
        if (tmuxconf_parse(NULL, "/home/dev", "/home/dev/.tmux.conf", text, 0, &c) == 0) {
                (void) tmuxconf_touches_processes(&c);
                (void) tmuxconf_restores_servers(&c);
        }
        tmuxconf_done(&c);
        free(text);
        return 0;
}
