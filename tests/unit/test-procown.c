/* SPDX-License-Identifier: MIT */
/* One subject, one fix: which check owns a running process, on fixture roots; the plans of
 * every process check together hold one unit a process, none running a dev command, and a
 * second plan after applying the first is empty. Containers' processes are their runtime's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "fixture-plan.h"
#include "fixture-proc.h"
#include "plan/plan.h"
#include "procown.h"
#include "procs/proctree.h"
#include "report.h"
#include "systemd/unitgen.h"

#define T(sec) ((unsigned long long) (sec) * (unsigned long long) sysconf(_SC_CLK_TCK))
#define SESSION "/user.slice/user-1000.slice/session-3.scope"
#define DOCKER_SCOPE "/system.slice/docker-4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.scope"
#define PASSWD "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000:Dev:/home/dev:/bin/zsh\n"
#define CONF "[unmanaged-service]\nmin-age = 1min\n"
#define ALL_CONF "set -g @plugin 'tmux-plugins/tmux-resurrect'\nset -g @resurrect-processes ':all:'\n" \
                 "run '~/.tmux/plugins/tpm/tpm'\n"

static const char tcp[] = NET_TCP_HEADER
        "   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7001 1 00000000242928c5 100 0 0 10 0                    \n"
        "   1: 00000000:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7002 1 00000000242928c6 100 0 0 10 0                    \n"
        "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  4242        0 7003 1 00000000242928c7 100 0 0 10 0                    \n"
        "   3: 00000000:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7004 1 00000000242928c8 100 0 0 10 0                    \n";

static char *make_root(void) {
        const struct fproc procs[] = {
                { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = T(1) },
                { .pid = 100, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", NULL }, .cgroup = SESSION, .start = T(100), .uid = 1000, .oom = 0 },
                { .pid = 101, .ppid = 100, .comm = "zsh", .argv = { "-zsh", NULL }, .cgroup = SESSION, .start = T(100), .uid = 1000 },
                /* `next dev` by hand in tmux: dev-server's */
                { .pid = 102, .ppid = 101, .comm = "node", .cwd = "/srv/shop", .uid = 1000, .start = T(200), .rss_pages = 90000,
                  .argv = { "node", "/srv/shop/node_modules/.bin/next", "dev", "-p", "3000", NULL }, .cgroup = SESSION,
                  .environ = "PORT=3000\nAWS_SECRET_ACCESS_KEY=x" },
                { .pid = 103, .ppid = 102, .comm = "next-server (v1", .uid = 1000, .start = T(210), .rss_pages = 100000,
                  .argv = { "next-server (v14.2.3)", "", "", NULL }, .cgroup = SESSION, .environ = "NODE_ENV=development" },
                /* a production server shielded from the OOM killer, under a shell that is not: wrapper-oom's */
                { .pid = 110, .ppid = 100, .comm = "bash", .argv = { "bash", NULL }, .cgroup = SESSION, .start = T(300), .uid = 1000, .oom = 0 },
                { .pid = 111, .ppid = 110, .comm = "node", .cwd = "/srv/api", .uid = 1000, .start = T(300), .oom = -500,
                  .argv = { "node", "dist/server.js", NULL }, .cgroup = SESSION, .environ = "NODE_ENV=production\nPORT=3001" },
                /* a uid with no passwd entry (LDAP, sssd): unmanaged-service's */
                { .pid = 120, .ppid = 1, .comm = "python3", .cwd = "/srv/tool", .uid = 4242, .start = T(400),
                  .argv = { "python3", "-m", "http.server", "8080", NULL }, .cgroup = "/user.slice/user-4242.slice/session-9.scope" },
                /* a container's server, seen from the host */
                { .pid = 130, .ppid = 1, .comm = "java", .uid = 0, .start = T(400), .cwd = "/app",
                  .argv = { "/opt/java/openjdk/bin/java", "-jar", "/app/app.jar", NULL }, .cgroup = DOCKER_SCOPE },
        };
        char *root = fproc_root(procs, ELEMENTSOF(procs));
        fixture_write(root, "proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "proc/net/tcp", tcp);
        fixture_write(root, "etc/passwd", PASSWD);
        fixture_write(root, "etc/group", "root:x:0:\ndev:x:1000:\n");
        fixture_write(root, "etc/hostfit/hostfit.conf", CONF);
        fixture_write(root, "home/dev/.tmux.conf", ALL_CONF);
        fproc_socket(root, 102, 20, 7001);
        fproc_socket(root, 111, 20, 7002);
        fproc_socket(root, 120, 3, 7003);
        fproc_socket(root, 130, 3, 7004);
        /* nvm's node: the unit must run this one, not whatever "node" systemd finds */
        fixture_symlink(root, "/home/dev/.nvm/versions/node/v20.11.0/bin/node", "proc/102/exe");
        fixture_symlink(root, "/home/dev/.nvm/versions/node/v20.11.0/bin/node", "proc/111/exe");
        fixture_symlink(root, "/usr/bin/python3.11", "proc/120/exe");
        fixture_symlink(root, "/opt/java/openjdk/bin/java", "proc/130/exe");
        char *cmd;
        assert_true(asprintf(&cmd, "chown -R 1000:1000 '%s/home/dev'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        return root;
}

static const char *const process_checks[] = {
        "dev-server", "tmux-resurrect", "unmanaged-service", "wrapper-oom-unprotected",
};

struct all {
        struct host *h;
        struct report *r;
        struct plan *p;
};

/* Run IDS (NULL: every process check) on ROOT as `hostfit fix` does, and plan every warn/fail finding. */
static void run_all(struct all *a, const char *root, const char *const *ids, size_t n) {
        struct config *c = NULL;
        char *err = NULL;
        if (!ids)
                ids = process_checks, n = ELEMENTSOF(process_checks);
        assert_int_equal(host_open(root, &a->h), 0);
        assert_int_equal(config_load(a->h, &c, &err), 0);
        host_set_config(a->h, c);
        assert_int_equal(report_new(&a->r), 0);
        assert_int_equal(report_run_checks(a->r, a->h, (char *const *) ids, n), 0);
        assert_int_equal(plan_new(a->h, &a->p), 0);
        for (size_t i = 0; i < report_n_checks(a->r); i++) {
                const struct check_result *cr = report_check(a->r, i);
                for (size_t j = 0; j < cr->n_findings && cr->check->fix; j++)
                        if (cr->findings[j]->status == STATUS_WARN || cr->findings[j]->status == STATUS_FAIL)
                                assert_int_equal(cr->check->fix->plan(a->h, cr->findings[j], a->p), 0);
        }
}

static void all_free(struct all *a) {
        plan_free(a->p);
        report_free(a->r);
        host_free(a->h);
        memset(a, 0, sizeof(*a));
}

static const struct proc *find(struct host *h, pid_t pid) {
        const struct proc_table *t;
        assert_int_equal(host_procs(h, &t), 0);
        const struct proc *p = proc_table_find(t, pid);
        assert_non_null(p);
        return p;
}

static const struct action *unit_write(const struct plan *p, const char *path) {
        for (size_t i = 0; i < plan_size(p); i++)
                if (plan_action(p, i)->kind == ACTION_WRITE_FILE && strcmp(plan_action(p, i)->path, path) == 0)
                        return plan_action(p, i);
        return NULL;
}

static const struct finding *finding_of(const struct report *r, const char *id, const char *subject) {
        for (size_t i = 0; i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                for (size_t j = 0; strcmp(cr->check->id, id) == 0 && j < cr->n_findings; j++)
                        if (strcmp(cr->findings[j]->subject, subject) == 0)
                                return cr->findings[j];
        }
        return NULL;
}

static void test_owner_is_fixed_whatever_checks_run(void **state) {
        char *root = make_root();
        const char *const alone[][1] = { { "unmanaged-service" }, { "tmux-resurrect" }, { "wrapper-oom-unprotected" }, { "dev-server" } };
        for (size_t i = 0; i <= ELEMENTSOF(alone); i++) {
                struct all a = { 0 };
                run_all(&a, root, i < ELEMENTSOF(alone) ? alone[i] : NULL, 1);
                assert_string_equal(procown_owner(a.h, find(a.h, 102)), "dev-server");
                assert_string_equal(procown_owner(a.h, find(a.h, 103)), "dev-server");      /* its worker */
                assert_string_equal(procown_owner(a.h, find(a.h, 111)), "wrapper-oom-unprotected");
                assert_string_equal(procown_owner(a.h, find(a.h, 120)), "unmanaged-service");
                assert_string_equal(procown_owner(a.h, find(a.h, 130)), PROCOWN_CONTAINER);
                assert_null(procown_owner(a.h, find(a.h, 101)));                            /* a shell */
                all_free(&a);
        }
        fixture_remove(root);
}

static void test_one_unit_a_process_and_none_runs_a_dev_command(void **state) {
        char *root = make_root();
        struct all a = { 0 };
        run_all(&a, root, NULL, 0);
        size_t units = 0;
        for (size_t i = 0; i < plan_size(a.p); i++) {
                const struct action *x = plan_action(a.p, i);
                if (x->kind == ACTION_WRITE_FILE && strstr(x->path, ".service")) {
                        units++;
                        assert_null(strstr(x->content, "\"dev\""));
                        assert_null(strstr(x->content, "NODE_ENV=development"));
                        assert_null(strstr(x->content, "java"));
                        assert_null(strstr(x->content, "SECRET"));
                }
                /* a kill only in a printed hand-over, never an action; nothing for the container's pid */
                assert_int_not_equal(x->kind, ACTION_SYMLINK);
                if (x->kind == ACTION_SYSTEMD)
                        assert_int_equal(x->op, SYSTEMD_DAEMON_RELOAD);
                if (x->kind == ACTION_MANUAL) {
                        if (strstr(x->text, "kill "))
                                assert_non_null(strstr(x->text, "hand over to hostfit-"));
                        assert_null(strstr(x->text, "pid 130"));
                }
        }
        assert_int_equal(units, 3);

        /* dev-server's: `next start`, with the real node, the project's cwd and user, NODE_ENV=production */
        const struct action *w = unit_write(a.p, "/etc/systemd/system/hostfit-next-shop.service");
        assert_non_null(w);
        assert_string_equal(w->check, "dev-server");
        assert_non_null(strstr(w->content, "\nExecStart=\"@/home/dev/.nvm/versions/node/v20.11.0/bin/node\" \"node\" "
                                           "\"/srv/shop/node_modules/.bin/next\" \"start\" \"-p\" \"3000\"\n"));
        assert_non_null(strstr(w->content, "\nWorkingDirectory=/srv/shop\nUser=dev\nGroup=dev\n"));
        assert_non_null(strstr(w->content, "Environment=\"PORT=3000\"\nEnvironment=\"NODE_ENV=production\"\n"));

        /* wrapper-oom's: one unit with OOMScoreAdjust=, the same generator */
        w = unit_write(a.p, "/etc/systemd/system/hostfit-node-3001.service");
        assert_non_null(w);
        assert_string_equal(w->check, "wrapper-oom-unprotected");
        assert_non_null(strstr(w->content, "\nExecStart=\"@/home/dev/.nvm/versions/node/v20.11.0/bin/node\" \"node\" \"dist/server.js\"\n"));
        assert_non_null(strstr(w->content, "\nOOMScoreAdjust=-500\n"));
        assert_non_null(strstr(w->content, "Environment=\"NODE_ENV=production\"\nEnvironment=\"PORT=3001\"\n"));

        /* unmanaged-service's: a uid without a passwd entry runs as that uid, never as root */
        w = unit_write(a.p, "/etc/systemd/system/hostfit-python3-8080.service");
        assert_non_null(w);
        assert_non_null(strstr(w->content, "\nUser=4242\nGroup=4242\n"));
        assert_non_null(strstr(w->content, "\nExecStart=\"@/usr/bin/python3.11\" \"python3\" \"-m\" \"http.server\" \"8080\"\n"));

        /* unmanaged-service still reports the others, and names the owner's fix */
        const struct finding *f = finding_of(a.r, "unmanaged-service", "pid 102");
        assert_non_null(f);
        assert_string_equal(f->fix, "hostfit fix dev-server");
        f = finding_of(a.r, "unmanaged-service", "pid 111");
        assert_non_null(f);
        assert_string_equal(f->fix, "hostfit fix wrapper-oom-unprotected");
        /* the container's java is not an unmanaged host service */
        assert_null(finding_of(a.r, "unmanaged-service", "pid 130"));
        all_free(&a);

        /* Apply on a copy; a second fix of every check plans nothing. */
        char *copy = fixture_clone(root);
        run_all(&a, copy, NULL, 0);
        plan_apply_ok(a.h, a.p);
        all_free(&a);
        run_all(&a, copy, NULL, 0);
        assert_int_equal(plan_count_changes(a.p), 0);
        /* Manual steps only (and the wrappers' oom_score_adj, which a fixture's pids never take). */
        for (size_t i = 0; i < plan_size(a.p); i++)
                if (plan_action(a.p, i)->kind != ACTION_OOM_SCORE_ADJ)
                        assert_int_equal(plan_action(a.p, i)->kind, ACTION_MANUAL);
        all_free(&a);
        fixture_remove(copy);
        fixture_remove(root);
}

static void test_container_cgroups(void **state) {
        static const struct {
                const char *cgroup;
                const char *name;       /* NULL: a host process */
        } cases[] = {
                { DOCKER_SCOPE, "docker 4f3c2a1b0e9d" },
                { "/docker/4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b", "docker 4f3c2a1b0e9d" },
                { "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0d1e.slice/"
                  "cri-containerd-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b.scope", "containerd 9a8b7c6d5e4f" },
                { "/kubepods/burstable/pod1234/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  "kubernetes burstable" },
                { "/machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope/container",
                  "podman 0123456789ab" },
                { "/machine.slice/systemd-nspawn@web.service/payload/system.slice/nginx.service", "machine systemd-nspawn@web" },
                { "/lxc.payload.web1/system.slice/nginx.service", "lxc web1" },
                { "/system.slice/docker.service", NULL },
                { "/system.slice/containerd.service", NULL },
                { "/system.slice/docker-cleanup.service", NULL },
                { "/user.slice/user-1000.slice/session-3.scope", NULL },
                { "/system.slice/nginx.service", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct proc p = { .pid = 5, .cgroup = (char *) cases[i].cgroup };
                char *name = NULL;
                bool in = proc_in_container(&p, &name);
                if (in != (cases[i].name != NULL))
                        fail_msg("%s: %s", cases[i].cgroup, in ? "a container" : "a host process");
                if (in && (!name || strcmp(name, cases[i].name) != 0))
                        fail_msg("%s: named '%s', expected '%s'", cases[i].cgroup, name ? name : "", cases[i].name);
                free(name);
        }
}

static void test_generator_refuses_dev_commands_and_unknown_programs(void **state) {
        char *root = make_root();
        struct host *h;
        struct plan *p;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        char *vite[] = { "node", "/app/node_modules/.bin/vite", "--host", NULL };
        char *server[] = { "node", "dist/server.js", NULL };
        char *env_dev[] = { "NODE_ENV=development", NULL };
        struct unit_proc u = { .pid = 500, .argv = vite, .argc = 3, .exe = "/usr/bin/node", .cwd = "/app",
                               .uid = 1000, .gid = 1000, .user = "dev", .group = "dev", .port = 5173 };
        struct fix_unit_request req = { .check = "unmanaged-service", .proc = &u,
                                        .spec = { .name = "hostfit-x.service" } };
        char *why = NULL;
        /* A dev server: no unit, and the reason for the manual step. */
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), 0);
        assert_non_null(strstr(why, "dev"));
        free(why), why = NULL;
        /* A production command made a dev one by its environment: the same. */
        u.argv = server, u.argc = 2, u.env = env_dev;
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), 0);
        free(why), why = NULL;
        /* A bare "node" whose /proc/PID/exe cannot be read: not a guess at which node. */
        u.env = NULL, u.exe = NULL;
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), 0);
        assert_non_null(strstr(why, "exe"));
        free(why), why = NULL;
        assert_int_equal(plan_size(p), 0);
        /* Known exactly: written; a second unit for the same port is refused by the plan. */
        u.exe = "/usr/bin/node";
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), 1);
        req.spec.name = "hostfit-y.service";
        assert_int_equal(fix_plan_process_unit(h, p, &req, &why), -EADDRINUSE);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_owner_is_fixed_whatever_checks_run),
                cmocka_unit_test(test_one_unit_a_process_and_none_runs_a_dev_command),
                cmocka_unit_test(test_container_cgroups),
                cmocka_unit_test(test_generator_refuses_dev_commands_and_unknown_programs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
