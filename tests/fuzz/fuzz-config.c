/* SPDX-License-Identifier: MIT */
/* hostfit.conf, and the size, duration and boolean values in it. */
#include "fuzz.h"
#include "host/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        struct config *c = NULL;
        char *err = NULL;
        if (config_parse(text, "/etc/hostfit/hostfit.conf", &c, &err) == 0) {
                (void) config_profile(c);
                (void) config_skips(c, "swap-missing");
                (void) config_get_bool(c, "metrics", "timer", false);
                const char *v = config_get(c, "swap", "size");
                uint64_t n;
                if (v)
                        (void) parse_size(v, &n);
                config_free(c);
        }
        free(err);
        uint64_t n;
        bool b;
        (void) parse_size(text, &n);
        (void) parse_duration(text, &n);
        (void) parse_bool(text, &b);
        free(text);
        return 0;
}
