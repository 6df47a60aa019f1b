/* SPDX-License-Identifier: MIT */
/* Symlink actions and plan_add_enable(): planned, rendered, applied, refused;
 * off the running system and, in a mount namespace, with systemd "running". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <glob.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture-check.h"
#include "host/host.h"
#include "plan/plan.h"

#define UNIT_PATH "/etc/systemd/system/x.service"
#define LINK "/etc/systemd/system/multi-user.target.wants/x.service"

struct env {
        char *root;
        struct host *host;
        struct plan *plan;
        int last_r;
        char last_msg[512];
};

static int env_setup(void **state) {
        struct env *e = calloc(1, sizeof(*e));
        e->root = fixture_new();
        fixture_write(e->root, UNIT_PATH, "[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n");
        assert_int_equal(host_open(e->root, &e->host), 0);
        assert_false(host_is_live(e->host));
        assert_int_equal(plan_new(e->host, &e->plan), 0);
        *state = e;
        return 0;
}

static int env_teardown(void **state) {
        struct env *e = *state;
        plan_free(e->plan);
        host_free(e->host);
        fixture_remove(e->root);
        free(e);
        return 0;
}

static struct plan *replan(struct env *e) {
        e->plan = plan_free(e->plan);
        assert_int_equal(plan_new(e->host, &e->plan), 0);
        return e->plan;
}

static void log_last(void *userdata, const struct action *a, int r, const char *msg) {
        struct env *e = userdata;
        e->last_r = r;
        snprintf(e->last_msg, sizeof(e->last_msg), "%s", msg ? msg : "");
}

static char *link_target(const char *root, const char *path) {
        char *p, buf[4096];
        assert_true(asprintf(&p, "%s%s", root, path) > 0);
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        free(p);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return strdup(buf);
}

static char *render(const struct plan *p, bool json) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(json ? plan_render_json(p, f) : plan_render_text(p, f, false), 0);
        fclose(f);
        return buf;
}

static size_t count_glob(const char *root, const char *pattern) {
        char *p;
        glob_t g;
        assert_true(asprintf(&p, "%s%s", root, pattern) > 0);
        size_t n = glob(p, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
        if (n)
                globfree(&g);
        free(p);
        return n;
}

static void test_symlink_planned_rendered_applied_then_nothing_left(void **state) {
        struct env *e = *state;
        char *before = fixture_tree_hash(e->root);
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, UNIT_PATH), 1);
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, UNIT_PATH), 0);   /* planned already */
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, "/elsewhere"), -EEXIST);
        assert_int_equal(plan_size(e->plan), 1);
        assert_int_equal(plan_count_changes(e->plan), 1);

        char *text = render(e->plan, false), *json = render(e->plan, true);
        assert_string_equal(text, "symlink " LINK " -> " UNIT_PATH "\n");
        assert_non_null(strstr(json, "\"kind\":\"symlink\",\"path\":\"" LINK "\",\"diff\":null,"
                                     "\"target\":\"" UNIT_PATH "\""));
        char *after = fixture_tree_hash(e->root);
        assert_string_equal(before, after);     /* planning and rendering wrote nothing */
        free(text), free(json), free(before), free(after);

        assert_int_equal(plan_apply(e->plan, e->host, log_last, e), 0);
        assert_string_equal(e->last_msg, "linked " LINK " -> " UNIT_PATH);
        char *t = link_target(e->root, LINK);
        assert_non_null(t);
        assert_string_equal(t, UNIT_PATH);
        free(t);
        char *dir;
        struct stat st;
        assert_true(asprintf(&dir, "%s/etc/systemd/system/multi-user.target.wants", e->root) > 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        free(dir);
        assert_int_equal(count_glob(e->root, "/etc/systemd/system/multi-user.target.wants/.#*"), 0);

        assert_int_equal(plan_add_symlink(replan(e), "t", LINK, UNIT_PATH), 0);
        assert_int_equal(plan_size(e->plan), 0);
}

static void test_symlink_refused_over_a_file_or_another_link(void **state) {
        struct env *e = *state;
        fixture_write(e->root, LINK, "not a link\n");
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, UNIT_PATH), -EEXIST);
        fixture_symlink(e->root, "/lib/systemd/system/y.service", "/etc/systemd/system/default.target.wants/x.service");
        assert_int_equal(plan_add_symlink(e->plan, "t", "/etc/systemd/system/default.target.wants/x.service",
                                          UNIT_PATH), -EEXIST);
        /* Nor over a file this plan writes. */
        assert_int_equal(plan_add_write(e->plan, "t", "/etc/new", "x\n", 2, 0644), 1);
        assert_int_equal(plan_add_symlink(e->plan, "t", "/etc/new", UNIT_PATH), -EEXIST);
        assert_int_equal(plan_add_symlink(e->plan, "t", "etc/relative", UNIT_PATH), -EINVAL);
        assert_int_equal(plan_add_symlink(e->plan, "t", "/etc/../x", UNIT_PATH), -EINVAL);
        assert_int_equal(plan_add_symlink(e->plan, "t", "/etc/x", ""), -EINVAL);
        assert_int_equal(plan_size(e->plan), 1);
}

static void test_symlink_apply_refuses_a_symlinked_parent(void **state) {
        struct env *e = *state;
        fixture_mkdir(e->root, "/elsewhere");
        fixture_symlink(e->root, "/elsewhere", "/etc/systemd/system/multi-user.target.wants");
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, UNIT_PATH), 1);
        assert_int_equal(plan_apply(e->plan, e->host, log_last, e), -ELOOP);
        assert_int_equal(e->last_r, -ELOOP);
        assert_non_null(strstr(e->last_msg, "a component of the path is a symlink"));
        assert_int_equal(count_glob(e->root, "/elsewhere/*"), 0);
        assert_int_equal(count_glob(e->root, "/elsewhere/.#*"), 0);
}

static void test_symlink_apply_stale_when_path_appeared(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_symlink(e->plan, "t", LINK, UNIT_PATH), 1);
        fixture_write(e->root, LINK, "appeared\n");
        assert_int_equal(plan_apply(e->plan, e->host, log_last, e), -ESTALE);
        assert_non_null(strstr(e->last_msg, "appeared since the plan was made"));
        char *kept = fixture_read(e->root, LINK);
        assert_string_equal(kept, "appeared\n");
        free(kept);
        assert_int_equal(count_glob(e->root, "/etc/systemd/system/multi-user.target.wants/.#*"), 0);
}

static void test_enable_off_the_running_system_makes_links(void **state) {
        struct env *e = *state;
        const char *const wanted_by[] = { "multi-user.target", "graphical.target", NULL };
        char *before = fixture_tree_hash(e->root);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, wanted_by), 2);
        const struct action *a = plan_action(e->plan, 1);
        assert_int_equal(a->kind, ACTION_SYMLINK);
        assert_string_equal(a->path, "/etc/systemd/system/graphical.target.wants/x.service");
        assert_string_equal(a->target, UNIT_PATH);
        assert_false(a->deferred);
        char *after = fixture_tree_hash(e->root);
        assert_string_equal(before, after);
        free(before), free(after);

        assert_int_equal(plan_apply(e->plan, e->host, NULL, NULL), 0);
        assert_systemctl_enabled(e->root, "x.service");
        assert_int_equal(plan_add_enable(replan(e), "t", "x.service", UNIT_PATH, wanted_by), 0);
        assert_int_equal(plan_size(e->plan), 0);
}

static void test_enable_instance_links_the_template(void **state) {
        struct env *e = *state;
        fixture_write(e->root, "/etc/systemd/system/foo@.timer",
                      "[Timer]\nOnUnitActiveSec=30s\n\n[Install]\nWantedBy=timers.target\n");
        fixture_write(e->root, "/etc/systemd/system/foo@.service", "[Service]\nExecStart=/bin/true %I\n");
        const char *const wanted_by[] = { "timers.target", NULL };
        assert_int_equal(plan_add_enable(e->plan, "t", "foo@bar.timer", "/etc/systemd/system/foo@.timer", wanted_by), 1);
        const struct action *a = plan_action(e->plan, 0);
        assert_string_equal(a->path, "/etc/systemd/system/timers.target.wants/foo@bar.timer");
        assert_string_equal(a->target, "/etc/systemd/system/foo@.timer");
        assert_int_equal(plan_apply(e->plan, e->host, NULL, NULL), 0);
        assert_systemctl_enabled(e->root, "foo@bar.timer");
        assert_int_equal(plan_add_enable(replan(e), "t", "foo@bar.timer", "/etc/systemd/system/foo@.timer", wanted_by), 0);
        assert_int_equal(plan_size(e->plan), 0);
}

static void test_enable_counts_any_existing_link_and_refuses_a_file(void **state) {
        struct env *e = *state;
        const char *const wanted_by[] = { "multi-user.target", NULL };
        fixture_symlink(e->root, "../x.service", LINK);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, wanted_by), 0);
        const char *const other[] = { "default.target", NULL };
        fixture_write(e->root, "/etc/systemd/system/default.target.wants/x.service", "");
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, other), -EEXIST);
        assert_int_equal(plan_size(e->plan), 0);
}

static void test_enable_rejects_what_is_not_a_unit(void **state) {
        struct env *e = *state;
        const char *const ok[] = { "multi-user.target", NULL };
        const char *const dotdot[] = { "../../../tmp/x.target", NULL };
        const char *const templ[] = { "foo@.target", NULL };
        const char *const none[] = { NULL };
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", "/etc/systemd/system/y.service", ok), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", "etc/systemd/system/x.service", ok), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "foo@.timer", "/etc/systemd/system/foo@.timer", ok), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "foo@bar.timer", "/etc/systemd/system/foo@.service", ok), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "x/y.service", UNIT_PATH, ok), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, dotdot), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, templ), -EINVAL);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, none), 0);
        assert_int_equal(plan_add_enable(e->plan, "t", "x.service", UNIT_PATH, NULL), 0);
        assert_int_equal(plan_size(e->plan), 0);
}

/* In a child of its own mount namespace: tmpfs over /run (with /run/systemd/system,
 * as systemd makes it) and over /etc/systemd/system. 0: as expected, 77: cannot set up. */
static int live_with_systemd_child(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0 ||
            mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/system", 0755) < 0 ||
            mount("tmpfs", "/etc/systemd/system", "tmpfs", 0, "mode=0755") < 0)
                return 77;
        struct host *h;
        struct plan *p;
        const char *const wanted_by[] = { "multi-user.target", NULL };
        if (host_open("/", &h) < 0 || !host_is_live(h) || plan_new(h, &p) < 0)
                return 1;
        if (plan_add_enable(p, "t", "x.service", UNIT_PATH, wanted_by) != 1 || plan_size(p) != 1)
                return 2;
        const struct action *a = plan_action(p, 0);
        if (a->kind != ACTION_SYSTEMD || a->op != SYSTEMD_ENABLE || a->deferred || strcmp(a->unit, "x.service") != 0)
                return 3;
        plan_free(p);
        /* Enabled already (systemctl made the link): nothing to plan. */
        if (mkdir("/etc/systemd/system/multi-user.target.wants", 0755) < 0 || symlink(UNIT_PATH, LINK) < 0)
                return 77;
        if (plan_new(h, &p) < 0 || plan_add_enable(p, "t", "x.service", UNIT_PATH, wanted_by) != 0 || plan_size(p) != 0)
                return 4;
        plan_free(p);
        host_free(h);
        return 0;
}

static void test_enable_with_systemd_running_asks_systemd_once(void **state) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(live_with_systemd_child());
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_second_action_on_a_path_is_refused(void **state) {
        struct env *e = *state;
        const char *path = "/etc/systemd/system/hostfit-next-shop.service";
        assert_int_equal(plan_add_write(e->plan, "dev-server", path, "A\n", 2, 0644), 1);
        /* The same check refines its own action: still one action. */
        assert_int_equal(plan_add_write(e->plan, "dev-server", path, "B\n", 2, 0644), 1);
        assert_int_equal(plan_size(e->plan), 1);
        /* Another check on the same path: refused, the first content kept. */
        assert_int_equal(plan_add_write(e->plan, "tmux-resurrect", path, "C\n", 2, 0644), -EEXIST);
        assert_int_equal(plan_add_symlink(e->plan, "unmanaged-service", path, "/dev/null"), -EEXIST);
        assert_int_equal(plan_add_swapfile(e->plan, "swap-missing", path, 1 << 20), -EEXIST);
        assert_int_equal(plan_size(e->plan), 1);
        assert_string_equal(plan_action(e->plan, 0)->content, "B\n");
        /* A link planned twice the same way is one link; another target is refused. */
        assert_int_equal(plan_add_symlink(e->plan, "unmanaged-service", LINK, UNIT_PATH), 1);
        assert_int_equal(plan_add_symlink(e->plan, "unmanaged-service", LINK, UNIT_PATH), 0);
        assert_int_equal(plan_add_symlink(e->plan, "wrapper-oom-unprotected", LINK, "/etc/x"), -EEXIST);
        assert_int_equal(plan_add_write(e->plan, "unmanaged-service", LINK, "x", 1, 0644), -EEXIST);
        assert_int_equal(plan_size(e->plan), 2);
}

static void test_second_unit_on_a_port_is_refused(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_claim_port(e->plan, "hostfit-node-3000.service", 3000), 0);
        assert_int_equal(plan_claim_port(e->plan, "hostfit-node-3000.service", 3000), 0);
        assert_int_equal(plan_claim_port(e->plan, "hostfit-next-shop.service", 3000), -EADDRINUSE);
        assert_int_equal(plan_claim_port(e->plan, "hostfit-next-shop.service", 3001), 0);
        assert_int_equal(plan_claim_port(e->plan, "hostfit-x.service", 0), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_symlink_planned_rendered_applied_then_nothing_left, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_second_action_on_a_path_is_refused, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_second_unit_on_a_port_is_refused, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_symlink_refused_over_a_file_or_another_link, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_symlink_apply_refuses_a_symlinked_parent, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_symlink_apply_stale_when_path_appeared, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_enable_off_the_running_system_makes_links, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_enable_instance_links_the_template, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_enable_counts_any_existing_link_and_refuses_a_file, env_setup, env_teardown),
                cmocka_unit_test_setup_teardown(test_enable_rejects_what_is_not_a_unit, env_setup, env_teardown),
                cmocka_unit_test(test_enable_with_systemd_running_asks_systemd_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
