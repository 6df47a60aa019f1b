/* SPDX-License-Identifier: MIT */
/* ExecStart= quoting: argv (the input's NUL-separated words) is quoted as
 * hostfit writes it, parsed back by systemd's rules, and must come back the
 * same; the raw input is also parsed as a value read from a unit. */
#include "fuzz.h"
#include "text/strbuf.h"
#include "systemd/unitgen.h"

static void free_argv(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        char **back = NULL;
        size_t n_back = 0;
        if (unit_split_exec(text, &back, &n_back) == 0)
                free_argv(back, n_back);
        free(text);

        /* Words: the input cut at each NUL (at most 64). */
        char *argv[64];
        size_t argc = 0;
        for (size_t i = 0; i < size && argc < 64;) {
                const uint8_t *nul = memchr(data + i, 0, size - i);
                size_t len = nul ? (size_t) (nul - data) - i : size - i;
                argv[argc++] = fuzz_str(data + i, len);
                i += len + 1;
        }
        if (argc == 0) {
                return 0;
        }
        struct strbuf sb = STRBUF_INIT;
        int r = unit_quote_exec_path(&sb, "/usr/bin/app", argv, argc);
        if (r == 0) {
                back = NULL;
                n_back = 0;
                /* "@/usr/bin/app argv0 argv1 …": the path is not part of argv. */
                if (unit_split_exec(strbuf_str(&sb), &back, &n_back) < 0 || n_back != argc)
                        abort();
                for (size_t i = 0; i < argc; i++)
                        if (strcmp(back[i], argv[i]) != 0)
                                abort();
                free_argv(back, n_back);
        }
        strbuf_reset(&sb);
        if (unit_quote_exec_argv(&sb, argv, argc) == 0) {
                back = NULL;
                n_back = 0;
                if (unit_split_exec(strbuf_str(&sb), &back, &n_back) < 0 || n_back != argc)
                        abort();
                for (size_t i = 0; i < argc; i++)
                        if (strcmp(back[i], argv[i]) != 0)
                                abort();
                free_argv(back, n_back);
        }
        strbuf_release(&sb);
        for (size_t i = 0; i < argc; i++)
                free(argv[i]);
        return 0;
}
