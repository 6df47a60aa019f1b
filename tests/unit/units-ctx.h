/* SPDX-License-Identifier: MIT */
/* The unit model's tests (test-units.c, test-units-work.c): an empty fixture root for each
 * test, and the host opened on it once the test has written its units. */
#pragma once

#include <stdlib.h>

#include "fixture.h"
#include "host/host.h"

struct ctx {
        char *root;
        struct host *h;
};

static int setup(void **state) {
        struct ctx *c = calloc(1, sizeof(*c));
        c->root = fixture_new();
        *state = c;
        return 0;
}

static int teardown(void **state) {
        struct ctx *c = *state;
        host_free(c->h);
        fixture_remove(c->root);
        free(c);
        return 0;
}
