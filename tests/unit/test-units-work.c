/* SPDX-License-Identifier: MIT */
/* The unit model's work, counted, never timed: a search-path directory sorted in about
 * one comparison a name, and units that share their sections and keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "host/host.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"
#include "units-ctx.h"

/* 2,000 units whose names differ within their first 8 bytes, written out of order, and
 * 100 that share them ("systemd-…", "a-long-n…"): listed in strcmp() order, with the
 * comparisons of the ones sharing a prefix only, not n log n (a merge sort of 2,200
 * names compares about 22,000 times). */
static void test_listing_sorts_in_about_one_comparison_a_name(void **state) {
        struct ctx *c = *state;
        char path[160];
        for (unsigned k = 0; k < 2000; k++) {
                unsigned i = (k * 7919) % 2000;         /* a permutation: 7919 is prime to 2000 */
                snprintf(path, sizeof(path), "/etc/systemd/system/u%05u.service", i);
                fixture_write(c->root, path, "[Service]\nExecStart=/bin/true\n");
        }
        for (unsigned i = 0; i < 50; i++) {
                snprintf(path, sizeof(path), "/etc/systemd/system/systemd-x%02u.service", 49 - i);
                fixture_write(c->root, path, "[Service]\nExecStart=/bin/true\n");
                snprintf(path, sizeof(path), "/etc/systemd/system/a-long-n%c.service", 'z' - (int) (i % 26) - (i >= 26 ? 'a' - 'A' : 0));
                fixture_write(c->root, path, "[Service]\nExecStart=/bin/true\n");
        }
        assert_int_equal(host_open(c->root, &c->h), 0);
        uint64_t before = unit_counters.compares;
        char **v = NULL;
        assert_int_equal(units_list_dir(c->h, "/etc/systemd/system", ".service", &v), 0);
        uint64_t compares = unit_counters.compares - before;
        size_t n = 0;
        for (; v[n]; n++)
                if (n > 0 && strcmp(v[n - 1], v[n]) >= 0)
                        fail_msg("%s listed before %s", v[n - 1], v[n]);
        assert_int_equal(n, 2100);
        assert_string_equal(v[0], "a-long-nC.service");
        assert_string_equal(v[2099], "u01999.service");
        strv_free(v);
        if (compares > 2 * 2100)
                fail_msg("%llu comparisons to list 2100 units", (unsigned long long) compares);
}

/* Two units parsed in turn: their sections and keys are one copy for both, and each
 * unit's file path is kept once (its fragment and its files the same string). */
static void test_units_share_sections_and_keys(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/a.service", "[Service]\nExecStart=/bin/a\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/b.service", "[Unit]\nDescription=b\n[Service]\nExecStart=/bin/b\n");
        fixture_write(c->root, "/etc/systemd/system/b.service.d/10.conf", "[Service]\nMemoryMax=2G\n");
        assert_int_equal(host_open(c->root, &c->h), 0);
        const struct unit *a = NULL, *b = NULL;
        assert_int_equal(unit_load(c->h, "a.service", &a), 0);
        assert_int_equal(unit_load(c->h, "b.service", &b), 0);
        assert_int_equal(a->n_a, 2);
        assert_int_equal(b->n_a, 3);
        assert_ptr_equal(a->a[0].section, b->a[1].section);
        assert_ptr_equal(a->a[0].key, b->a[1].key);
        assert_ptr_equal(a->a[1].key, b->a[2].key);
        assert_string_equal(b->a[2].value, "2G");
        assert_string_equal(b->a[2].file, "/etc/systemd/system/b.service.d/10.conf");
        assert_ptr_equal(b->a[2].file, b->dropins[0]);
        assert_ptr_equal(a->fragment, a->files[0]);
        assert_ptr_equal(a->a[0].file, a->fragment);
        assert_string_equal(a->fragment, "/etc/systemd/system/a.service");
        assert_string_equal(a->name, "a.service");
        assert_ptr_equal(a->id, a->name);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
                T(test_listing_sorts_in_about_one_comparison_a_name),
                T(test_units_share_sections_and_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
