/* SPDX-License-Identifier: MIT */
/* Running one check and its fix on a fixture root, for the check tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "host/config.h"
#include "fixture.h"
#include "fixture-plan.h"
#include "host/host.h"
#include "plan/plan.h"
#include "registry.h"
#include "report.h"

struct run {
        struct host *h;
        struct report *r;
        const struct check_result *cr;
};

/* The wall clock every check run here sees (host_set_now()); 0: the real one. */
static uint64_t fixture_now_usec;

static inline void run_check(struct run *x, const char *root, const char *id) {
        struct config *c = NULL;
        char *err = NULL;
        assert_int_equal(host_open(root, &x->h), 0);
        host_set_now(x->h, fixture_now_usec);
        assert_int_equal(config_load(x->h, &c, &err), 0);
        host_set_config(x->h, c);
        assert_int_equal(report_new(&x->r), 0);
        char *ids[] = { (char *) id };
        assert_int_equal(report_run_checks(x->r, x->h, ids, 1), 0);
        x->cr = report_check(x->r, 0);
}

static inline void run_free(struct run *x) {
        report_free(x->r);
        host_free(x->h);
        memset(x, 0, sizeof(*x));
}

/* The finding whose message contains NEEDLE, or NULL. */
static inline const struct finding *run_find(const struct run *x, const char *needle) {
        for (size_t i = 0; i < x->cr->n_findings; i++)
                if (strstr(x->cr->findings[i]->message, needle))
                        return x->cr->findings[i];
        return NULL;
}

static inline size_t run_count(const struct run *x, enum status st) {
        size_t n = 0;
        for (size_t i = 0; i < x->cr->n_findings; i++)
                n += x->cr->findings[i]->status == st;
        return n;
}

/* The plan of every warn/fail finding's fix. */
static inline struct plan *run_plan(struct run *x) {
        struct plan *p = NULL;
        assert_int_equal(plan_new(x->h, &p), 0);
        for (size_t i = 0; i < x->cr->n_findings; i++) {
                const struct finding *f = x->cr->findings[i];
                if (f->status == STATUS_WARN || f->status == STATUS_FAIL)
                        assert_int_equal(x->cr->check->fix->plan(x->h, f, p), 0);
        }
        return p;
}

static inline const struct action *plan_find_path(const struct plan *p, const char *path) {
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->path && strcmp(plan_action(p, i)->path, path) == 0)
                        return plan_action(p, i);
        return NULL;
}

/* Plan on ROOT (writes nothing: the tree hash is unchanged), apply it on a copy,
 * and plan again there: nothing left to change. Returns the copy (caller removes it). */
static inline char *plan_apply_replan(const char *root, const char *id, size_t *ret_changes) {
        struct run x = { 0 };
        char *before = fixture_tree_hash(root);
        run_check(&x, root, id);
        struct plan *p = run_plan(&x);
        *ret_changes = plan_count_changes(p);
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);     /* planning (dry-run) wrote nothing */
        free(before), free(after);
        plan_free(p);
        run_free(&x);

        char *copy = fixture_clone(root);
        run_check(&x, copy, id);
        p = run_plan(&x);
        assert_int_equal(plan_apply(p, x.h, NULL, NULL), 0);
        plan_free(p);
        run_free(&x);

        run_check(&x, copy, id);
        p = run_plan(&x);
        assert_int_equal(plan_count_changes(p), 0);
        /* Not even a deferred step: what boot needs is on disk. */
        for (size_t i = 0; i < plan_size(p); i++)
                assert_int_equal(plan_action(p, i)->kind, ACTION_MANUAL);
        plan_free(p);
        run_free(&x);
        return copy;
}

/* systemctl --root=ROOT is-enabled UNIT says "enabled" (when systemctl is installed:
 * it reads the links offline, as boot will). */
static inline void assert_systemctl_enabled(const char *root, const char *unit) {
        if (access("/usr/bin/systemctl", X_OK) != 0 && access("/bin/systemctl", X_OK) != 0)
                return;
        char *out_dir = fixture_new(), *cmd = NULL;
        assert_true(asprintf(&cmd, "systemctl --root='%s' is-enabled '%s' >'%s/out' 2>&1", root, unit, out_dir) > 0);
        int st = system(cmd);
        char *out = fixture_read(out_dir, "/out");
        if (st != 0 || !out || strcmp(out, "enabled\n") != 0)
                fail_msg("systemctl --root is-enabled %s: %s", unit, out ? out : "");
        free(out);
        free(cmd);
        fixture_remove(out_dir);
}
