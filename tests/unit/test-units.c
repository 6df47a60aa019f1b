/* SPDX-License-Identifier: MIT */
/* The unit model on fixture unit trees: precedence, masks, aliases, templates, drop-ins. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "fixture.h"
#include "host/host.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"
#include "units-ctx.h"

static const struct unit *load(struct ctx *c, const char *name) {
        if (!c->h)
                assert_int_equal(host_open(c->root, &c->h), 0);
        const struct unit *u = NULL;
        assert_int_equal(unit_load(c->h, name, &u), 0);
        return u;
}

static void test_etc_overrides_vendor_unit(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/a.service", "[Service]\nExecStart=/bin/vendor\n");
        fixture_write(c->root, "/etc/systemd/system/a.service", "[Service]\nExecStart=/bin/admin\n");
        const struct unit *u = load(c, "a.service");
        assert_string_equal(u->fragment, "/etc/systemd/system/a.service");
        assert_string_equal(unit_get(u, "Service", "ExecStart"), "/bin/admin");
        assert_false(u->masked);
}

static void test_merged_usr_file_read_once(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/usr/lib/systemd/system/b.service", "[Service]\nExecStart=/bin/b\n");
        fixture_write(c->root, "/usr/lib/systemd/system/b.service.d/10-x.conf", "[Service]\nMemoryMax=1G\n");
        fixture_symlink(c->root, "usr/lib", "/lib");
        const struct unit *u = load(c, "b.service");
        assert_string_equal(u->fragment, "/usr/lib/systemd/system/b.service");
        assert_int_equal(u->n_dropins, 1);
        assert_int_equal(u->n_a, 2);
}

static void test_mask_symlink_to_dev_null(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/m.service", "[Service]\nExecStart=/bin/m\n");
        fixture_symlink(c->root, "/dev/null", "/etc/systemd/system/m.service");
        const struct unit *u = load(c, "m.service");
        assert_true(u->masked);
        assert_int_equal(u->n_a, 0);
}

static void test_alias_resolves_to_target_and_enablement(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n");
        fixture_symlink(c->root, "/lib/systemd/system/ssh.service", "/etc/systemd/system/sshd.service");
        fixture_symlink(c->root, "/lib/systemd/system/ssh.service",
                        "/etc/systemd/system/multi-user.target.wants/ssh.service");
        const struct unit *u = load(c, "sshd.service");
        assert_string_equal(u->id, "ssh.service");
        assert_string_equal(u->fragment, "/lib/systemd/system/ssh.service");
        assert_true(u->enabled);
        assert_string_equal(unit_get(u, "Service", "ExecStart"), "/usr/sbin/sshd -D");
        u = load(c, "ssh.service");
        assert_true(u->enabled);
}

static void test_template_instance_uses_template_and_dropins(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/getty@.service", "[Service]\nExecStart=/sbin/agetty %I\n");
        fixture_write(c->root, "/etc/systemd/system/getty@.service.d/a.conf", "[Service]\nMemoryMax=64M\n");
        fixture_write(c->root, "/etc/systemd/system/getty@tty1.service.d/b.conf", "[Service]\nMemoryMax=32M\n");
        const struct unit *u = load(c, "getty@tty1.service");
        assert_string_equal(u->id, "getty@tty1.service");
        assert_string_equal(u->fragment, "/lib/systemd/system/getty@.service");
        uint64_t v = 0;
        assert_int_equal(unit_memory_setting(u, "MemoryMax", &v), UNIT_LIMIT_BYTES);
        assert_int_equal(v, 32ULL << 20);
}

static void test_dropins_lexical_order_across_dirs(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/d.service", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/lib/systemd/system/d.service.d/20-b.conf", "[Service]\nMemoryMax=2G\n");
        fixture_write(c->root, "/etc/systemd/system/d.service.d/10-a.conf", "[Service]\nMemoryMax=3G\n");
        /* Same name in /etc shadows the vendor one. */
        fixture_write(c->root, "/lib/systemd/system/d.service.d/30-c.conf", "[Service]\nMemoryMax=4G\n");
        fixture_write(c->root, "/etc/systemd/system/d.service.d/30-c.conf", "[Service]\nMemoryMax=5G\n");
        fixture_write(c->root, "/etc/systemd/system/d-.service.d/05-prefix.conf", "[Service]\nMemoryHigh=1G\n");
        fixture_write(c->root, "/etc/systemd/system/service.d/01-type.conf", "[Service]\nMemoryHigh=2G\n");
        const struct unit *u = load(c, "d-web.service");
        u = load(c, "d.service");
        assert_int_equal(u->n_dropins, 4);
        assert_string_equal(u->dropins[0], "/etc/systemd/system/service.d/01-type.conf");
        assert_string_equal(u->dropins[1], "/etc/systemd/system/d.service.d/10-a.conf");
        assert_string_equal(u->dropins[2], "/lib/systemd/system/d.service.d/20-b.conf");
        assert_string_equal(u->dropins[3], "/etc/systemd/system/d.service.d/30-c.conf");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "5G");
        const struct unit_assignment *a = unit_get_assignment(u, "Service", "MemoryMax");
        assert_string_equal(a->file, "/etc/systemd/system/d.service.d/30-c.conf");
        assert_int_equal(a->line, 2);
}

static void test_prefix_dropin_applies(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/lib/systemd/system/app-web-1.service", "[Service]\nExecStart=/bin/x\n");
        fixture_write(c->root, "/etc/systemd/system/app-.service.d/50.conf", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/app-web-.service.d/60.conf", "[Service]\nMemoryHigh=1G\n");
        fixture_write(c->root, "/etc/systemd/system/other-.service.d/70.conf", "[Service]\nMemoryMax=9G\n");
        const struct unit *u = load(c, "app-web-1.service");
        assert_int_equal(u->n_dropins, 2);
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "1G");
        assert_string_equal(unit_get(u, "Service", "MemoryHigh"), "1G");
}

static void test_dropin_infinity_clears_limit(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/i.service", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/i.service.d/z.conf", "[Service]\nMemoryMax=infinity\n");
        const struct unit *u = load(c, "i.service");
        assert_int_equal(unit_memory_setting(u, "MemoryMax", NULL), UNIT_LIMIT_INFINITY);
}

static void test_empty_assignment_resets(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/r.service", "[Service]\nMemoryMax=1G\nMemoryLimit=2G\n");
        fixture_write(c->root, "/etc/systemd/system/r.service.d/z.conf", "[Service]\nMemoryMax=\n");
        const struct unit *u = load(c, "r.service");
        assert_int_equal(unit_memory_setting(u, "MemoryMax", NULL), UNIT_LIMIT_UNSET);
        assert_int_equal(unit_memory_setting(u, "MemoryLimit", NULL), UNIT_LIMIT_BYTES);
}

static void test_continuations_comments_and_percent(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/k.service",
                      "# comment\n; other\n[Unit]\nDescription=a \\\n# dropped comment\n  b \\\n c\n"
                      "[Service]\n  MemoryMax = 50%  \nExecStart=/bin/x \"a b\" \\\n  c\n");
        const struct unit *u = load(c, "k.service");
        assert_string_equal(unit_get(u, "Unit", "Description"), "a    b   c");
        uint64_t v = 0;
        assert_int_equal(unit_memory_setting(u, "MemoryMax", &v), UNIT_LIMIT_PERCENT);
        assert_int_equal(v, 5000);      /* parts per 10000 */
        assert_string_equal(unit_get(u, "Service", "ExecStart"), "/bin/x \"a b\"    c");
        assert_int_equal(unit_get_assignment(u, "Service", "ExecStart")->line, 10);
        assert_int_equal(u->n_issues, 0);
}

static void test_malformed_lines_reported_with_file_and_line(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/bad.service",
                      "Orphan=1\n[Se]rv]\nMemoryMax=1G\n[Service]\nno equals here\n=value\nMemoryMax=lots\n"
                      "MemoryHigh=1G\\");
        const struct unit *u = load(c, "bad.service");
        assert_int_equal(u->n_issues, 3);
        assert_string_equal(u->issues[0].file, "/etc/systemd/system/bad.service");
        assert_int_equal(u->issues[0].line, 1);     /* before any section */
        assert_int_equal(u->issues[1].line, 5);
        assert_int_equal(u->issues[2].line, 6);     /* "=value": no key */
        assert_false(u->bad);
        /* "lots" is ignored and the 1G before it is in a section systemd does not know. */
        struct unit_memory m;
        unit_memory_get(u, "MemoryMax", &m);
        assert_int_equal(m.kind, UNIT_LIMIT_UNSET);
        assert_non_null(m.ignored);
        assert_int_equal(m.ignored->line, 7);
        assert_string_equal(unit_get(u, "Service", "MemoryHigh"), "1G");
}

static void test_missing_and_unreadable(void **state) {
        struct ctx *c = *state;
        fixture_mkdir(c->root, "/etc/systemd/system/dir.service");     /* a directory where a file is expected */
        assert_int_equal(host_open(c->root, &c->h), 0);
        const struct unit *u = NULL;
        assert_int_equal(unit_load(c->h, "nothing.service", &u), -ENOENT);
        assert_int_equal(unit_load(c->h, "bad name.service", &u), -EINVAL);
        assert_int_equal(unit_load(c->h, "dir.service", &u), 0);
        assert_int_equal(u->n_issues, 1);
        assert_int_equal(u->n_a, 0);
}

static void test_list_dir_skips_links_and_templates(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/z.service", "[Service]\n");
        fixture_write(c->root, "/etc/systemd/system/a.service", "[Service]\n");
        fixture_write(c->root, "/etc/systemd/system/t@.service", "[Service]\n");
        fixture_write(c->root, "/etc/systemd/system/x.timer", "[Timer]\n");
        fixture_symlink(c->root, "/lib/systemd/system/ssh.service", "/etc/systemd/system/sshd.service");
        assert_int_equal(host_open(c->root, &c->h), 0);
        char **v = NULL;
        assert_int_equal(units_list_dir(c->h, "/etc/systemd/system", ".service", &v), 0);
        assert_string_equal(v[0], "a.service");
        assert_string_equal(v[1], "z.service");
        assert_null(v[2]);
        strv_free(v);
        assert_int_equal(units_list_dir(c->h, "/usr/local/lib/systemd/system", ".service", &v), 0);
        assert_null(v[0]);
        strv_free(v);
}

static void test_instance_escape(void **state) {
        char *e = NULL;
        assert_int_equal(unit_instance_escape("my-app.service:8080", &e), 0);
        assert_string_equal(e, "my\\x2dapp.service:8080");
        free(e);
        assert_int_equal(unit_instance_escape(".a/b c", &e), 0);
        assert_string_equal(e, "\\x2ea-b\\x20c");
        free(e);
        assert_true(unit_name_is_valid("hostfit-health@my\\x2dapp.service_8080.timer"));
        assert_true(unit_name_is_template("foo@.service"));
        assert_false(unit_name_is_valid("foo.bar"));
        assert_false(unit_name_is_valid("a@b@c.service"));
}

struct size_case {
        const char *s;
        int r;                  /* 0, or < 0 for "systemd refuses it" */
        uint64_t v;
};

static void test_parse_size_as_systemd(void **state) {
        (void) state;
        static const struct size_case cases[] = {
                { "4096", 0, 4096 }, { "512M", 0, 512ULL << 20 }, { "1.5G", 0, 3ULL << 29 },
                { "1 G", 0, 1ULL << 30 }, { "1G 512M", 0, 3ULL << 29 }, { "1G512M", 0, 3ULL << 29 },
                { "10.M", 0, 10ULL << 20 }, { "1.", 0, 1 }, { "+5K", 0, 5120 }, { "1E", 0, 1ULL << 60 },
                { "0.5K", 0, 512 }, { "1.0000000000000000000001K", 0, 1024 }, { "18446744073709551614", 0, UINT64_MAX - 1 },
                { "0", 0, 0 }, { "7B", 0, 7 }, { "15E", 0, 15ULL << 60 }, { "17179869183G", 0, 17179869183ULL << 30 },
                { "999999999999999999", 0, 999999999999999999ULL }, { "1000000000000000000", 0, 1000000000000000000ULL },
                { "17179869184G", -1, 0 }, { "1G ", -1, 0 }, { " 1G", 0, 1ULL << 30 }, { "1GB", -1, 0 },
                { "0x40000000", -1, 0 }, { "1e3", -1, 0 }, { "nan", -1, 0 }, { "inf", -1, 0 }, { "infinity", -1, 0 },
                { "-1", -1, 0 }, { "16E", -1, 0 }, { "1M 1G", -1, 0 }, { "1G 1G", -1, 0 }, { "1k", -1, 0 },
                { "1MB", -1, 0 }, { ".5G", -1, 0 }, { "", -1, 0 }, { "1 2", -1, 0 }, { "1.99999999999999999999G", -1, 0 },
                { "99999999999999999999", -1, 0 }, { "1%", -1, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 0;
                int r = unit_parse_size(cases[i].s, &v);
                if ((r == 0) != (cases[i].r == 0) || (r == 0 && v != cases[i].v))
                        fail_msg("parse_size(\"%s\") = %d, %llu", cases[i].s, r, (unsigned long long) v);
        }
}

static void test_parse_permyriad_as_systemd(void **state) {
        (void) state;
        static const struct { const char *s; int v; } cases[] = {
                { "50%", 5000 }, { "5.5%", 550 }, { "5.55%", 555 }, { "100%", 10000 }, { "0%", 0 }, { "+5%", 500 },
                { "0x10%", 1600 }, { "010%", 800 }, { "0b11%", 300 }, { "0o7%", 700 }, { " 5%", 500 },
                { "1\u2030", 10 }, { "1.5\u2030", 15 }, { "15\u2031", 15 },
                { "5.555%", -1 }, { "101%", -1 }, { "nan%", -1 }, { "1e400%", -1 }, { "inf%", -1 }, { "5 %", -1 },
                { "5.%", -1 }, { ".5%", -1 }, { "-1%", -1 }, { "%", -1 }, { "5", -1 }, { "1.5\u2031", -1 },
                { "99999999999%", -1 }, { "1e2%", -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int v = unit_parse_permyriad(cases[i].s);
                if ((v >= 0) != (cases[i].v >= 0) || (v >= 0 && v != cases[i].v))
                        fail_msg("parse_permyriad(\"%s\") = %d, want %d", cases[i].s, v, cases[i].v);
        }
}

static void test_invalid_value_keeps_the_one_before(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/v.service", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/v.service.d/10-hex.conf", "[Service]\nMemoryMax=0x40000000\n");
        fixture_write(c->root, "/etc/systemd/system/v.service.d/20-nan.conf", "[Service]\nMemoryMax=nan%\nMemoryMax=1e400%\n");
        fixture_write(c->root, "/etc/systemd/system/v.service.d/30-zero.conf", "[Service]\nMemoryMax=0\nMemoryMax=0%\n");
        fixture_write(c->root, "/etc/systemd/system/v.service.d/40-unit.conf", "[Unit]\nMemoryMax=2G\n");
        const struct unit *u = load(c, "v.service");
        struct unit_memory m;
        unit_memory_get(u, "MemoryMax", &m);
        assert_int_equal(m.kind, UNIT_LIMIT_BYTES);
        assert_int_equal(m.value, 1ULL << 30);
        assert_string_equal(m.set->file, "/etc/systemd/system/v.service");
        assert_string_equal(m.ignored->file, "/etc/systemd/system/v.service.d/30-zero.conf");
        assert_int_equal(m.ignored->line, 3);
}

static void test_empty_resets_then_invalid_stays_unset(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/e.service", "[Service]\nMemoryMax=1G\nMemoryMax=\nMemoryMax=1e3\n");
        const struct unit *u = load(c, "e.service");
        struct unit_memory m;
        unit_memory_get(u, "MemoryMax", &m);
        assert_int_equal(m.kind, UNIT_LIMIT_UNSET);
        assert_null(m.set);
        assert_int_equal(m.ignored->line, 4);
}

/* Same file name in a name drop-in directory and in the generic "service.d": the unit's
 * own directory comes first on systemd's list, whatever the search path says. */
static void test_type_dropin_is_shadowed_by_name_dropin(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/usr/lib/systemd/system/n.service", "[Service]\nExecStart=/bin/n\n");
        fixture_write(c->root, "/usr/lib/systemd/system/n.service.d/10-x.conf", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/service.d/10-x.conf", "[Service]\nMemoryMax=2G\n");
        const struct unit *u = load(c, "n.service");
        assert_int_equal(u->n_dropins, 1);
        assert_string_equal(u->dropins[0], "/usr/lib/systemd/system/n.service.d/10-x.conf");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "1G");
}

/* Within one search directory the longest prefix comes first; an earlier directory
 * beats a longer prefix in a later one. */
static void test_prefix_dropins_shadow_in_systemd_order(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/usr/lib/systemd/system/a-b-c.service", "[Service]\nExecStart=/bin/x\n");
        fixture_write(c->root, "/usr/lib/systemd/system/a-.service.d/10.conf", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/usr/lib/systemd/system/a-b-.service.d/10.conf", "[Service]\nMemoryMax=2G\n");
        fixture_write(c->root, "/usr/lib/systemd/system/a-b-.service.d/20.conf", "[Service]\nMemoryHigh=3G\n");
        fixture_write(c->root, "/run/systemd/system/a-.service.d/20.conf", "[Service]\nMemoryHigh=4G\n");
        const struct unit *u = load(c, "a-b-c.service");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "2G");
        assert_string_equal(unit_get(u, "Service", "MemoryHigh"), "4G");
        assert_int_equal(u->n_dropins, 2);
}

/* An instance: its own directory, the template's, then the prefixes of both. */
static void test_instance_prefix_dropins(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/usr/lib/systemd/system/w-x@.service", "[Service]\nExecStart=/bin/x %i\n");
        fixture_write(c->root, "/etc/systemd/system/w-@.service.d/10.conf", "[Service]\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/w-@1.service.d/20.conf", "[Service]\nMemoryHigh=1G\n");
        fixture_write(c->root, "/etc/systemd/system/w-.service.d/30.conf", "[Service]\nMemoryLow=1M\n");
        fixture_write(c->root, "/etc/systemd/system/w-x@.service.d/10.conf", "[Service]\nMemoryMax=2G\n");
        const struct unit *u = load(c, "w-x@1.service");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "2G");
        assert_string_equal(unit_get(u, "Service", "MemoryHigh"), "1G");
        assert_string_equal(unit_get(u, "Service", "MemoryLow"), "1M");
        assert_int_equal(u->n_dropins, 3);
}

/* The work of loading N units (one in four with a drop-in), counted, not timed: files
 * opened and names compared, for the first pass and for a second pass asking for the
 * same units again (as a second check does). */
struct work {
        uint64_t opens, compares, allocs, again_opens, again_compares;
};

static struct work load_all(struct ctx *c, unsigned n) {
        char path[160];
        for (unsigned i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "/etc/systemd/system/u%05u.service", i);
                fixture_write(c->root, path, "[Service]\nExecStart=/bin/true\n");
                if (i % 4 == 0) {
                        snprintf(path, sizeof(path), "/etc/systemd/system/u%05u.service.d/10-limit.conf", i);
                        fixture_write(c->root, path, "[Service]\nMemoryMax=1G\n");
                }
        }
        struct host *h = NULL;
        struct work w;
        assert_int_equal(host_open(c->root, &h), 0);
        struct unit_counters before = unit_counters;
        for (int pass = 0; pass < 2; pass++) {
                char **v = NULL;
                assert_int_equal(units_list_dir(h, "/etc/systemd/system", ".service", &v), 0);
                for (unsigned i = 0; i < n; i++) {
                        const struct unit *u = NULL;
                        assert_non_null(v[i]);
                        assert_int_equal(unit_load(h, v[i], &u), 0);
                        assert_int_equal(u->n_dropins, i % 4 == 0);
                }
                assert_null(v[n]);
                strv_free(v);
                if (pass == 0) {
                        w.opens = unit_counters.opens - before.opens;
                        w.compares = unit_counters.compares - before.compares;
                        w.allocs = unit_counters.allocs - before.allocs;
                        before = unit_counters;
                }
        }
        w.again_opens = unit_counters.opens - before.opens;
        w.again_compares = unit_counters.compares - before.compares;
        host_free(h);
        return w;
}

/* 8,000 units cost four times 2,000, give or take the logarithm of sorting and binary
 * search: the search path is listed once, not probed per unit; each file is read once,
 * and asking again reads nothing. */
static void test_loading_is_linear_in_units(void **state) {
        struct ctx *c = *state;
        struct work a = load_all(c, 2000);
        struct work b = load_all(c, 8000);     /* the same root grown fourfold */
        /* Each unit file once, each drop-in directory and drop-in once, the search path once. */
        assert_true(a.opens >= 2000 + 2 * 500);
        assert_true(a.opens <= 2000 + 2 * 500 + 2 * 13);
        assert_true(b.opens <= 4 * a.opens);
        assert_true(b.opens >= 8000 + 2 * 2000);
        /* Sorting and searching: n log n, far from n squared (16x). */
        if (b.compares * 10 > a.compares * 4 * 13)
                fail_msg("2000 units: %llu comparisons, 8000 units: %llu", (unsigned long long) a.compares,
                         (unsigned long long) b.compares);
        /* The units are parsed into one scratch unit, then packed: its text and arrays are
         * taken from the heap a few times a run, not once or more a unit. */
        if (a.allocs > 32 || b.allocs > 32)
                fail_msg("heap blocks for the units parsed: %llu for 2000 units, %llu for 8000",
                         (unsigned long long) a.allocs, (unsigned long long) b.allocs);
        /* A second check asking for the same units: no file opened, a hash lookup each. */
        assert_int_equal(a.again_opens, 0);
        assert_int_equal(b.again_opens, 0);
        assert_true(b.again_compares <= 4 * 8000);
}

/* config_parse()'s continuations: an odd run of trailing backslashes continues the line,
 * "\\" is an escaped backslash, "\ " is no continuation; CRLF ends a line; a BOM is skipped. */
static void test_continuation_rules_as_systemd(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/c.service",
                      "\xef\xbb\xbf[Service]\r\nMemoryMax=100K\\\\\r\nMemoryMax=1.5G\r\n"
                      "MemoryHigh=1G\nMemoryHigh=+5K \\ \nMemoryLow=1\\\n# dropped\n  G\n"
                      "MemorySwapMax=2\\\n\nMemoryMin=3M\\");
        const struct unit *u = load(c, "c.service");
        uint64_t v = 0;
        assert_int_equal(unit_memory_setting(u, "MemoryMax", &v), UNIT_LIMIT_BYTES);
        assert_int_equal(v, 3ULL << 29);
        assert_int_equal(unit_memory_setting(u, "MemoryHigh", &v), UNIT_LIMIT_BYTES);
        assert_int_equal(v, 1ULL << 30);        /* "+5K \" is not a size: the 1G stays */
        assert_string_equal(unit_get(u, "Service", "MemoryLow"), "1   G");
        assert_string_equal(unit_get(u, "Service", "MemorySwapMax"), "2");
        assert_string_equal(unit_get(u, "Service", "MemoryMin"), "3M");
}

/* A section header without "]" in the unit file: systemd refuses the unit ("Bad message").
 * In a drop-in it only stops reading that drop-in. */
static void test_broken_section_header(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/b1.service", "[Service]\nExecStart=/bin/x\n[Service\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/b2.service", "[Service]\nExecStart=/bin/x\nMemoryMax=1G\n");
        fixture_write(c->root, "/etc/systemd/system/b2.service.d/a.conf", "[Service]\nMemoryMax=2G\n[Service\nMemoryMax=3G\n");
        fixture_write(c->root, "/etc/systemd/system/b2.service.d/b.conf", "[]\nMemoryMax=4G\n[Se]rv]\nMemoryMax=5G\n");
        const struct unit *u = load(c, "b1.service");
        assert_true(u->bad);
        assert_string_equal(u->bad_file, "/etc/systemd/system/b1.service");
        assert_int_equal(u->bad_line, 3);
        u = load(c, "b2.service");
        assert_false(u->bad);
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "2G");
}

/* Generator output is on systemd's path: /run/systemd/generator between /run and /usr/local. */
static void test_generator_dirs_on_the_path(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/usr/lib/systemd/system/g.service", "[Service]\nExecStart=/bin/vendor\n");
        fixture_write(c->root, "/run/systemd/generator/g.service", "[Service]\nExecStart=/bin/generated\n");
        fixture_write(c->root, "/run/systemd/generator.late/g.service.d/x.conf", "[Service]\nMemoryMax=1G\n");
        const struct unit *u = load(c, "g.service");
        assert_string_equal(u->fragment, "/run/systemd/generator/g.service");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "1G");
}

/* An alias in the search path names a unit: its file is the first of that name on the
 * path (not the link's target), and the alias's drop-ins apply to the unit by either name. */
static void test_alias_by_name_and_alias_dropins(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/real.service", "[Service]\nExecStart=/bin/etc\n");
        fixture_write(c->root, "/usr/lib/systemd/system/real.service", "[Service]\nExecStart=/bin/vendor\n");
        fixture_symlink(c->root, "/usr/lib/systemd/system/real.service", "/etc/systemd/system/other.service");
        fixture_write(c->root, "/run/systemd/system/other.service.d/10.conf", "[Service]\nMemoryMax=1K\n");
        const struct unit *u = load(c, "other.service");
        assert_string_equal(u->id, "real.service");
        assert_string_equal(u->fragment, "/etc/systemd/system/real.service");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "1K");
        u = load(c, "real.service");
        assert_string_equal(unit_get(u, "Service", "ExecStart"), "/bin/etc");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "1K");
}

/* A link to a file outside the search path is a linked unit, not an alias. */
static void test_linked_unit_file(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/opt/app/app.service", "[Service]\nExecStart=/opt/app/run\nMemoryMax=2G\n");
        fixture_symlink(c->root, "/opt/app/app.service", "/etc/systemd/system/app.service");
        const struct unit *u = load(c, "app.service");
        assert_string_equal(u->id, "app.service");
        assert_string_equal(u->fragment, "/opt/app/app.service");
        assert_string_equal(unit_get(u, "Service", "MemoryMax"), "2G");
}

static void test_parse_sec_as_systemd(void **state) {
        (void) state;
        static const struct { const char *s; int ok; uint64_t v; } cases[] = {
                { "5", 1, 5000000 }, { "5s", 1, 5000000 }, { "100ms", 1, 100000 }, { "1min 30s", 1, 90000000 },
                { "1min30s", 1, 90000000 }, { "1.5", 1, 1500000 }, { "1.5min", 1, 90000000 }, { "2 min", 1, 120000000 },
                { "0", 1, 0 }, { "5us", 1, 5 }, { "5\u00b5s", 1, 5 }, { "1M", 1, 2629800000000ULL }, { "1m", 1, 60000000 },
                { "1w 2d", 1, 777600000000ULL }, { "infinity", 1, UNIT_USEC_INFINITY },
                { "", 0, 0 }, { "-1", 0, 0 }, { "-0", 0, 0 }, { "1e3", 0, 0 }, { "abc", 0, 0 }, { "1.2.3", 0, 0 },
                { "3.", 0, 0 }, { "3.sec", 0, 0 }, { ".5", 1, 500000 }, { "infinity s", 0, 0 }, { "18446744073709551615", 0, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t v = 0;
                int r = unit_parse_sec(cases[i].s, &v);
                if ((r == 0) != cases[i].ok || (r == 0 && v != cases[i].v))
                        fail_msg("parse_sec(\"%s\") = %d, %llu", cases[i].s, r, (unsigned long long) v);
        }
}

/* Restart= and RestartSec= as systemd keeps them: an invalid or empty value is ignored. */
static void test_restart_settings(void **state) {
        struct ctx *c = *state;
        fixture_write(c->root, "/etc/systemd/system/r.service",
                      "[Service]\nExecStart=/bin/x\nRestart=on-failure\nRestartSec=5s\n");
        fixture_write(c->root, "/etc/systemd/system/r.service.d/z.conf",
                      "[Service]\nRestart=\nRestart=On-failure\nRestartSec=\nRestartSec=1e3\n");
        fixture_write(c->root, "/etc/systemd/system/d.service", "[Service]\nExecStart=/bin/x\n");
        const struct unit *u = load(c, "r.service");
        assert_string_equal(unit_service_restart(u), "on-failure");
        assert_int_equal(unit_service_restart_usec(u), 5000000);
        u = load(c, "d.service");
        assert_string_equal(unit_service_restart(u), "no");
        assert_int_equal(unit_service_restart_usec(u), 100000);
}

/* The parser alone, on hostile bytes: NULs, a lone CR, a header without "]", huge sizes. */
static void test_parse_buffer_hostile(void **state) {
        (void) state;
        static const char nul[] = "[Service]\nMemoryMax=1G\0\nMemoryMax=2G\n";
        struct unit *u = calloc(1, sizeof(*u));
        u->name = strdup("h.service"), u->id = strdup("h.service");
        assert_int_equal(unit_parse_buffer(u, "/x/nul.conf", nul, sizeof(nul) - 1), 0);
        assert_int_equal(u->n_a, 0);
        assert_int_equal(u->n_issues, 1);
        const char *t = "[Service]\rMemoryMax=nan%\r\nMemoryMax=1e400%\nMemoryMax=99999999999999999999%\n"
                        "MemoryHigh=18446744073709551615\nMemoryLow=16E\n[Service\nMemoryMax=1G\n";
        assert_int_equal(unit_parse_buffer(u, "/x/h.service", t, strlen(t)), 0);
        struct unit_memory m;
        unit_memory_get(u, "MemoryMax", &m);
        assert_int_equal(m.kind, UNIT_LIMIT_UNSET);     /* nan%, 1e400% and the rest: all refused */
        assert_non_null(m.ignored);
        assert_int_equal(unit_memory_setting(u, "MemoryHigh", NULL), UNIT_LIMIT_UNSET);
        assert_int_equal(unit_memory_setting(u, "MemoryLow", NULL), UNIT_LIMIT_UNSET);
        unit_free(u);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
                T(test_etc_overrides_vendor_unit),
                T(test_merged_usr_file_read_once),
                T(test_mask_symlink_to_dev_null),
                T(test_alias_resolves_to_target_and_enablement),
                T(test_template_instance_uses_template_and_dropins),
                T(test_dropins_lexical_order_across_dirs),
                T(test_prefix_dropin_applies),
                T(test_dropin_infinity_clears_limit),
                T(test_empty_assignment_resets),
                T(test_continuations_comments_and_percent),
                T(test_malformed_lines_reported_with_file_and_line),
                T(test_missing_and_unreadable),
                T(test_list_dir_skips_links_and_templates),
                T(test_instance_escape),
                T(test_parse_size_as_systemd),
                T(test_parse_permyriad_as_systemd),
                T(test_invalid_value_keeps_the_one_before),
                T(test_empty_resets_then_invalid_stays_unset),
                T(test_type_dropin_is_shadowed_by_name_dropin),
                T(test_prefix_dropins_shadow_in_systemd_order),
                T(test_instance_prefix_dropins),
                T(test_loading_is_linear_in_units),
                T(test_continuation_rules_as_systemd),
                T(test_broken_section_header),
                T(test_generator_dirs_on_the_path),
                T(test_alias_by_name_and_alias_dropins),
                T(test_linked_unit_file),
                T(test_parse_sec_as_systemd),
                T(test_restart_settings),
                T(test_parse_buffer_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
