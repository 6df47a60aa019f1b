/* SPDX-License-Identifier: MIT */
/* One check run on a fixture root the test hands over (with an optional config
 * text), its findings, and the plan of its fix: for swap-missing and zram-missing. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "fixture.h"
#include "host/host.h"
#include "plan/plan.h"
#include "report.h"

struct ctx {
        char *root;
        const char *id;
        struct host *h;
        struct report *r;
        struct plan *p;
};

/* Open c->root with CONF (NULL: none) and run check c->id; also reruns after an apply. */
static inline void ctx_open(struct ctx *c, const char *conf) {
        assert_int_equal(host_open(c->root, &c->h), 0);
        if (conf) {
                struct config *cf;
                char *err = NULL;
                assert_int_equal(config_parse(conf, CONFIG_PATH, &cf, &err), 0);
                host_set_config(c->h, cf);
        }
        assert_int_equal(report_new(&c->r), 0);
        char *ids[] = { (char *) c->id };
        assert_int_equal(report_run_checks(c->r, c->h, ids, 1), 0);
}

/* Run check ID on ROOT (owned by the context from now on). */
static inline struct ctx *ctx_run_check(char *root, const char *id, const char *conf) {
        struct ctx *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->root = root;
        c->id = id;
        ctx_open(c, conf);
        return c;
}

static inline void ctx_free(struct ctx *c) {
        plan_free(c->p);
        report_free(c->r);
        host_free(c->h);
        fixture_remove(c->root);
        free(c);
}

static inline const struct check_result *ctx_result(struct ctx *c) {
        const struct check_result *cr = report_check(c->r, 0);
        assert_non_null(cr);
        assert_string_equal(cr->check->id, c->id);
        return cr;
}

static inline const struct finding *ctx_only_finding(struct ctx *c) {
        const struct check_result *cr = ctx_result(c);
        assert_int_equal(cr->n_findings, 1);
        return cr->findings[0];
}

/* Plan FIX for every warning and failure, as `hostfit fix` does. */
static inline struct plan *ctx_plan_fix(struct ctx *c, const struct fix *fix) {
        const struct check_result *cr = ctx_result(c);
        c->p = plan_free(c->p);
        assert_int_equal(plan_new(c->h, &c->p), 0);
        for (size_t i = 0; i < cr->n_findings; i++)
                if (cr->findings[i]->status == STATUS_WARN || cr->findings[i]->status == STATUS_FAIL)
                        assert_int_equal(fix->plan(c->h, cr->findings[i], c->p), 0);
        return c->p;
}
