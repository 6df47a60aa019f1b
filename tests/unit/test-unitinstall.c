/* SPDX-License-Identifier: MIT */
/* unit_text_wanted_by(): the [Install] WantedBy= of a unit file's text, as systemd reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "systemd/unitinstall.h"
#include "systemd/units.h"

/* TEXT's WantedBy= joined with spaces, or NULL on error (*ret_r says which). */
static char *wanted(const char *text, int *ret_r) {
        char **v = NULL;
        *ret_r = unit_text_wanted_by(text, strlen(text), &v);
        if (*ret_r < 0)
                return NULL;
        size_t n = 1;
        for (char **s = v; *s; s++)
                n += strlen(*s) + 1;
        char *out = calloc(1, n);
        for (char **s = v; *s; s++) {
                if (s != v)
                        strcat(out, " ");
                strcat(out, *s);
        }
        strv_free(v);
        return out;
}

static void test_wanted_by_comes_from_the_install_section_only(void **state) {
        static const struct {
                const char *text;
                const char *want;
        } table[] = {
                { "[Unit]\nWantedBy=no.target\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n",
                  "multi-user.target" },
                { "[Install]\nWantedBy = a.target  b.target\nWantedBy=a.target c.target\n", "a.target b.target c.target" },
                { "[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=b.target\n", "b.target" },
                { "[Install]\n# WantedBy=a.target\n; WantedBy=b.target\nRequiredBy=c.target\n", "" },
                { "[Install]\nWantedBy=a.target \\\n  b.target\n", "a.target b.target" },
                { "[Install]\nWantedBy=a.target \\\n# a comment inside\n  b.target\n", "a.target b.target" },
                { "[Install]\r\nWantedBy=timers.target\r\n", "timers.target" },
                { "[Install]\nWantedBy=timers.target", "timers.target" },
                { "[Install]\nWantedBy=a.target\n[X-Other]\nWantedBy=b.target\n", "a.target" },
                { "[Service]\nExecStart=/bin/true\n", "" },
                { "", "" },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                int r;
                char *got = wanted(table[i].text, &r);
                assert_int_equal(r, 0);
                if (strcmp(got, table[i].want) != 0)
                        fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, table[i].want);
                free(got);
        }
}

static void test_wanted_by_refuses_what_it_cannot_link(void **state) {
        static const char *const bad[] = {
                "[Install]\nWantedBy=%i.target\n",              /* a specifier: systemd would expand it */
                "[Install]\nWantedBy=../../etc/x.target\n",
                "[Install]\nWantedBy=foo@.target\n",
                "[Install]\nWantedBy=no-type\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r;
                assert_null(wanted(bad[i], &r));
                assert_int_equal(r, -EINVAL);
        }
        char **v = NULL;
        assert_int_equal(unit_text_wanted_by("[Install]\nWantedBy=a.target\0b", 30, &v), -EINVAL);
        assert_null(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wanted_by_comes_from_the_install_section_only),
                cmocka_unit_test(test_wanted_by_refuses_what_it_cannot_link),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
