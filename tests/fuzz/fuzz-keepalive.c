/* SPDX-License-Identifier: MIT */
/* Keepalive scripts as keepalive-loop reads them: the input is a shell script (or sh -c text).
 * Asserted: the shell reader's commands and loops stay within the text and each other; the
 * command a loop restarts is a non-empty argv of the text's words; and, where the text says
 * exactly what runs, the unit hostfit writes for it (the one generator, as the fix calls it)
 * parses back with hostfit's unit-file parser to the same keys as for a plain command, with
 * ExecStart= splitting back (systemd's rules) to exactly that argv and the unit name valid. */
#include "fuzz.h"
#include "host/host.h"
#include "procs/keepalive.h"
#include "procs/shloop.h"
#include "systemd/unitgen.h"
#include "systemd/unitname.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"

static void assert_sh(const char *text, size_t len) {
        struct sh_text t;
        if (sh_parse(text, len, &t) < 0)
                abort();
        for (size_t i = 0; i < t.n_cmds; i++) {
                const struct sh_cmd *c = &t.cmds[i];
                if (c->n == 0 || c->n > SH_WORDS_MAX || c->words[c->n] || c->offset >= len || (c->truncated && c->n != SH_WORDS_MAX))
                        abort();
                for (size_t w = 0; w < c->n; w++)
                        if (!c->words[w])
                                abort();
                if (i && c->offset < t.cmds[i - 1].offset)
                        abort();        /* commands in the order of the text */
        }
        for (size_t i = 0; i < t.n_loops; i++) {
                const struct sh_loop *l = &t.loops[i];
                if (l->offset >= len || l->cond0 > l->cond1 || l->body0 > l->body1 || l->body1 > t.n_cmds ||
                    l->cond1 > l->body0 || (l->kind == SH_FOR && l->cond0 != l->cond1))
                        abort();
        }
        sh_text_done(&t);
}

/* As fixes/keepalive.c names the unit: "a/b" → "b", "a/" → "a/". */
static const char *base(const char *s) {
        const char *b = strrchr(s, '/');
        return b && b[1] ? b + 1 : s;
}

struct keys {
        char *v[64];
        size_t n;
};

static void keys_of(const char *text, size_t len, const char *name, struct keys *k, char ***exec, size_t *n_exec) {
        struct unit *u = calloc(1, sizeof(*u));
        if (!u || !(u->name = strdup(name)) || !(u->id = strdup(name)))
                abort();
        if (unit_parse_buffer(u, "/etc/systemd/system/x.service", text, len) < 0 || u->n_issues || u->bad)
                abort();
        k->n = 0;
        *exec = NULL;
        for (size_t i = 0; i < u->n_a; i++) {
                if (k->n == 64 || asprintf(&k->v[k->n++], "%s/%s", u->a[i].section, u->a[i].key) < 0)
                        abort();
                if (strcmp(u->a[i].key, "ExecStart") == 0 &&
                    (*exec || unit_split_exec(u->a[i].value, exec, n_exec) < 0))
                        abort();        /* one ExecStart=, one that splits */
        }
        unit_free(u);
}

static void keys_free(struct keys *k) {
        for (size_t i = 0; i < k->n; i++)
                free(k->v[i]);
}

/* The unit as fixes/keepalive.c asks for it; its keys, and ExecStart='s words. */
static bool render(struct host *h, const char *name, char *const *argv, size_t argc, const char *const *env,
                   struct keys *k, char ***exec, size_t *n_exec) {
        char *desc = NULL, *text = NULL, *err = NULL;
        size_t len = 0;
        if (asprintf(&desc, "%s%s%s (hostfit, was restarted by a shell loop)", base(argv[0]), argc > 1 ? " " : "",
                     argc > 1 ? argv[1] : "") < 0)
                abort();
        for (char *s = desc; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f || *s == '%' || *s == '\\')
                        *s = '_';
        struct unit_spec spec = {
                .name = name, .description = desc, .argv = argv, .argc = argc, .exec_path = "/usr/bin/app",
                .environment = env, .has_oom_score_adjust = true, .restart = "on-failure", .restart_sec = 10,
        };
        int r = unitgen_service(h, &spec, &text, &len, &err);
        if (r < 0 && (r != -EINVAL || !err))
                abort();        /* refused without saying why */
        if (r == 0)
                keys_of(text, len, name, k, exec, n_exec);
        free(desc), free(text), free(err);
        return r == 0;
}

static void free_argv(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void assert_unit_round_trip(const struct keepalive_cmd *c) {
        char *name = NULL, **exec = NULL, **ref_exec = NULL;
        size_t n_exec = 0, n_ref = 0;
        const char *env[9] = { NULL };
        size_t n_env = 0;
        struct keys got, want;
        struct host *h = NULL;
        char *plain[] = { (char *) "app", NULL };
        int r = unit_name_make(base(c->argv[0]), "service", &name);
        if (r == -ENAMETOOLONG)
                return;         /* the fix's manual step: no unit name */
        if (r < 0 || !unit_name_is_valid(name))
                abort();
        for (size_t i = 0; c->assign && c->assign[i] && n_env < 8; i++)
                if (unitgen_env_allowed(c->assign[i]))
                        env[n_env++] = c->assign[i];
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        if (!render(h, name, plain, 1, n_env ? env : NULL, &want, &ref_exec, &n_ref)) {
                /* An environment value the generator refuses (the fix says so as a manual step). */
                if (render(h, name, c->argv, c->argc, n_env ? env : NULL, &got, &exec, &n_exec))
                        abort();
                host_free(h), free(name);
                return;
        }
        if (!render(h, name, c->argv, c->argc, n_env ? env : NULL, &got, &exec, &n_exec)) {
                /* The fix says so as a manual step: the generator refused this argv. */
                keys_free(&want), free_argv(ref_exec, n_ref), host_free(h), free(name);
                return;
        }
        if (got.n != want.n || !exec || n_exec != c->argc)
                abort();
        for (size_t i = 0; i < got.n; i++)
                if (strcmp(got.v[i], want.v[i]) != 0)
                        abort();        /* a key the text smuggled in, or one missing */
        for (size_t i = 0; i < n_exec; i++)
                if (strcmp(exec[i], c->argv[i]) != 0)
                        abort();
        keys_free(&got), keys_free(&want);
        free_argv(exec, n_exec), free_argv(ref_exec, n_ref);
        host_free(h);
        free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        size_t len = strlen(text);
        struct keepalive_cmd c = { 0 };
        bool any = false;
        assert_sh(text, len);
        int r = keepalive_text_restarts(text, len, KEEPALIVE_PERIODIC_SLEEP, &c, &any);
        if (r < 0 || r > 1)
                abort();
        if (r == 1) {
                if (!any || c.argc == 0 || !c.argv || c.argv[c.argc] || !c.argv[0][0] || c.loop_offset >= len ||
                    (c.cd && c.cd[0] != '/'))
                        abort();
                for (size_t i = 0; i < c.argc; i++)
                        if (!c.argv[i])
                                abort();
                if (c.exact)
                        assert_unit_round_trip(&c);
                keepalive_cmd_done(&c);
        }
        free(text);
        return 0;
}
