/* SPDX-License-Identifier: MIT */
/* The fix tests' two steps: plan every finding of a check's report, apply the plan. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "host/host.h"
#include "plan/plan.h"
#include "report.h"

/* Open ROOT (with CONF as its hostfit.conf text, when given) and run check ID alone. */
static inline struct report *fixture_run_check(const char *root, const char *conf, const char *id,
                                               struct host **ret_h) {
        struct host *h;
        struct report *r;
        assert_int_equal(host_open(root, &h), 0);
        if (conf) {
                struct config *c;
                char *err = NULL;
                assert_int_equal(config_parse(conf, "test.conf", &c, &err), 0);
                host_set_config(h, c);
        }
        char *ids[] = { (char *) id };
        assert_int_equal(report_new(&r), 0);
        assert_int_equal(report_run_checks(r, h, ids, 1), 0);
        *ret_h = h;
        return r;
}

/* The plan of every finding of the first check in R, whatever its status, as the
 * fix tests want it; then plan_apply_ok() applies it and must succeed. */
static inline struct plan *report_plan_all(struct host *h, const struct report *r) {
        struct plan *p;
        const struct check_result *cr = report_check(r, 0);
        assert_int_equal(plan_new(h, &p), 0);
        for (size_t i = 0; i < cr->n_findings; i++)
                assert_int_equal(cr->check->fix->plan(h, cr->findings[i], p), 0);
        return p;
}

static inline void plan_apply_ok(struct host *h, const struct plan *p) {
        assert_int_equal(plan_apply(p, h, NULL, NULL), 0);
}
