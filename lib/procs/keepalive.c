/* SPDX-License-Identifier: MIT */
/* Keepalive loops outside systemd: shell loops, scripts, forever and pm2 (see keepalive.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/config.h"
#include "procs/keepalive.h"
#include "procs/proctree.h"
#include "procs/shloop.h"
#include "text/strv.h"

static bool name_in(const char *n, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (n[0] == list[i][0] && strcmp(n, list[i]) == 0)
                        return true;
        return false;
}

static const char *base_name(const char *s) {
        const char *b = strrchr(s, '/');
        return b && b[1] ? b + 1 : s;
}

static bool is_assignment(const char *w) {
        size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        return n > 0 && w[n] == '=' && !(w[0] >= '0' && w[0] <= '9');
}

/* The index of C's program word: past NAME=value words and exec, nohup, command, setsid, env
 * (with its options and assignments) and nice -n N. C->n when there is none. */
static size_t cmd_program(const struct sh_cmd *c) {
        size_t i = 0;
        while (i < c->n) {
                const char *w = c->words[i];
                if (is_assignment(w) || name_in(w, (const char *const[]) { "exec", "nohup", "command", "setsid", NULL })) {
                        i++;
                } else if (strcmp(base_name(w), "env") == 0 || strcmp(base_name(w), "nice") == 0) {
                        bool nice = strcmp(base_name(w), "nice") == 0;
                        for (i++; i < c->n && (c->words[i][0] == '-' || is_assignment(c->words[i])); i++)
                                if (nice && strcmp(c->words[i], "-n") == 0)
                                        i++;
                } else
                        break;
        }
        return i;
}

/* Seconds C sleeps: 0 when it is no sleep; UINT64_MAX when its length is not in the text. */
static uint64_t cmd_sleeps(const struct sh_cmd *c) {
        size_t i = cmd_program(c);
        uint64_t total = 0;
        if (i >= c->n || strcmp(base_name(c->words[i]), "sleep") != 0)
                return 0;
        for (size_t j = i + 1; j < c->n; j++) {
                char *end;
                double v = strtod(c->words[j], &end);
                double unit = *end == 0 || strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60 :
                              strcmp(end, "h") == 0 ? 3600 : strcmp(end, "d") == 0 ? 86400 : -1;
                if (!sh_word_plain(c, j) || end == c->words[j] || unit < 0 || !(v >= 0) || v * unit > 1e12)
                        return UINT64_MAX;
                total += (uint64_t) (v * unit);
        }
        return i + 1 < c->n ? total : UINT64_MAX;
}

/* A condition that never fails (a while's) or never succeeds (an until's). */
static bool cmd_constant(const struct sh_cmd *c, bool value) {
        static const char *const yes[] = { "true", ":", "/bin/true", "/usr/bin/true", "1", NULL };
        static const char *const no[] = { "false", "/bin/false", "/usr/bin/false", NULL };
        size_t i = cmd_program(c);
        if (i >= c->n)
                return false;
        const char *w = c->words[i];
        if (value && cmd_sleeps(c) > 0)
                return true;    /* `while sleep N`: sleep succeeds */
        if (value && (strcmp(w, "[") == 0 || strcmp(w, "[[") == 0 || strcmp(w, "test") == 0))
                return c->n - i >= 2 && (strcmp(c->words[i + 1], "1") == 0 || strcmp(c->words[i + 1], "true") == 0);
        return c->n - i == 1 && name_in(w, value ? yes : no);
}

/* A command that runs until it is stopped: a server, a runtime running a program, a package
 * runner starting one. A job that ends by itself is told apart by the loop's sleep, not here. */
static bool cmd_long_running(const struct sh_cmd *c) {
        static const char *const servers[] = {
                "uvicorn", "gunicorn", "hypercorn", "daphne", "waitress-serve", "puma", "unicorn", "thin", "rails",
                "deno", "bun", "dotnet", "caddy", "beam.smp", "elixir", "next", "nuxt", "npx", NULL,
        };
        static const char *const runtimes[] = { "node", "nodejs", "java", "ruby", "php", NULL };
        static const char *const runners[] = { "npm", "yarn", "pnpm", NULL };
        size_t i = cmd_program(c);
        if (i >= c->n)
                return false;
        const char *b = base_name(c->words[i]);
        bool operand = i + 1 < c->n;
        if (name_in(b, servers) || strstr(b, "server") || strstr(b, "serve"))
                return true;
        if (name_in(b, runtimes) || strncmp(b, "python", 6) == 0)
                return operand;
        return name_in(b, runners) && operand &&
               name_in(c->words[i + 1], (const char *const[]) { "start", "run", "serve", "exec", NULL });
}

/* The command loop L restarts (an index in T->cmds), or -1: a wait loop, a periodic job, a for loop. */
static ssize_t loop_restarts(const struct sh_text *t, const struct sh_loop *l, uint64_t periodic) {
        if (l->kind == SH_FOR || l->cond1 <= l->cond0)
                return -1;
        bool forever = true;
        for (size_t i = l->cond0; i < l->cond1; i++)
                forever = forever && cmd_constant(&t->cmds[i], l->kind == SH_WHILE);
        /* `while true; do CMD; done` re-runs its body; `until CMD; do …; done` its condition,
         * while it fails; `while ! ready; do sleep 1; done` waits, and goes on. */
        size_t from = forever ? l->body0 : l->cond0, to = forever ? l->body1 : l->cond1;
        if (!forever && l->kind == SH_WHILE)
                return -1;
        uint64_t slept = 0;
        for (size_t i = l->cond0; i < l->body1 && i < t->n_cmds; i++) {
                uint64_t s = cmd_sleeps(&t->cmds[i]);
                slept = s == UINT64_MAX || slept + s < slept ? UINT64_MAX : slept + s;
        }
        if (slept >= periodic)
                return -1;
        for (size_t i = from; i < to && i < t->n_cmds; i++)
                if (cmd_long_running(&t->cmds[i]))
                        return (ssize_t) i;
        return -1;
}

static int strv_from(char *const *w, size_t n, char ***ret) {
        char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        *ret = v;
        for (size_t i = 0; i < n; i++)
                if (!(v[i] = strdup(w[i])))
                        return -ENOMEM;
        return 0;
}

void keepalive_cmd_done(struct keepalive_cmd *c) {
        if (!c)
                return;
        strv_free(c->argv);
        strv_free(c->assign);
        free(c->cd);
        *c = (struct keepalive_cmd) {};
}

/* The command at index I of T, as a keepalive_cmd, with the last absolute cd before it. */
static int cmd_fill(const struct sh_text *t, size_t i, const struct sh_loop *l, struct keepalive_cmd *ret) {
        const struct sh_cmd *c = &t->cmds[i];
        size_t p = cmd_program(c), a = 0;
        struct keepalive_cmd k = { .exact = !c->truncated, .loop_offset = l->offset };
        for (size_t j = 0; j < c->n; j++)
                k.exact = k.exact && sh_word_plain(c, j);
        for (size_t j = 0; j < p; j++)
                a += is_assignment(c->words[j]);
        int r = strv_from(c->words + p, c->n - p, &k.argv);
        /* Room for every NAME=value word before the program, and the NULL. */
        if (r == 0 && !(k.assign = calloc(a + 1, sizeof(char *))))
                r = -ENOMEM;
        for (size_t j = 0, n = 0; r == 0 && j < p; j++)
                if (is_assignment(c->words[j]) && n < a && !(k.assign[n++] = strdup(c->words[j])))
                        r = -ENOMEM;
        for (size_t j = 0; r == 0 && j < i; j++) {
                const struct sh_cmd *d = &t->cmds[j];
                if (d->n == 2 && strcmp(d->words[0], "cd") == 0 && sh_word_plain(d, 1) && d->words[1][0] == '/') {
                        free(k.cd);
                        if (!(k.cd = strdup(d->words[1])))
                                r = -ENOMEM;
                }
        }
        k.argc = c->n - p;
        if (r < 0) {
                keepalive_cmd_done(&k);
                return r;
        }
        *ret = k;
        return 1;
}

int keepalive_text_restarts(const char *text, size_t len, uint64_t periodic, struct keepalive_cmd *ret,
                            bool *ret_any_loop) {
        struct sh_text t;
        int r = sh_parse(text, len, &t);
        if (r < 0)
                return r;
        if (ret_any_loop)
                *ret_any_loop = t.n_loops > 0;
        r = 0;
        for (size_t i = 0; i < t.n_loops && r == 0; i++) {
                ssize_t c = loop_restarts(&t, &t.loops[i], periodic);
                if (c >= 0)
                        r = cmd_fill(&t, (size_t) c, &t.loops[i], ret);
        }
        sh_text_done(&t);
        return r;
}

/* Processes of containers belong to their runtime; loops in a service are systemd's business. */
static bool out_of_scope(const struct proc *p) {
        static const char *const runtimes[] = { "/docker-", "/docker/", "/libpod-", "/kubepods", "/lxc", "/machine.slice/", NULL };
        if (p->kthread || p->pid <= 1 || proc_in_service(p))
                return true;
        for (size_t i = 0; p->cgroup && runtimes[i]; i++)
                if (strstr(p->cgroup, runtimes[i]))
                        return true;
        return false;
}

static bool server_name(const struct proc *c) {
        static const char *const names[] = { "node", "nodejs", "java", "ruby", "php", "deno", "bun", "uvicorn",
                                             "gunicorn", "puma", "dotnet", "perl", NULL };
        const char *n = proc_name(c);
        return name_in(n, names) || strncmp(n, "python", 6) == 0;
}

/* The command a loop restarts: any child but the loop's own sleep (or a subshell). */
static bool server_like(const struct proc *c) {
        const char *n = proc_name(c);
        return strcmp(n, "sleep") != 0 && proc_argc(c) >= 1 && proc_classify(c) != PROC_SHELL;
}

/* The loop's youngest child that is not its sleep. */
static const struct proc *restarted_child(const struct proc_table *t, const struct proc *loop) {
        const struct proc *best = NULL;
        for (size_t i = 0; i < t->n; i++) {
                const struct proc *c = &t->procs[i];
                if (c->ppid == loop->pid && !c->kthread && server_like(c) && (!best || c->start_ticks > best->start_ticks))
                        best = c;
        }
        return best;
}

static void set_evidence(struct keepalive *k, const char *prefix, const char *text) {
        size_t n = strnlen(prefix, 150), m = strnlen(text, sizeof(k->evidence) - 1 - n);
        memcpy(k->evidence, prefix, n);
        memcpy(k->evidence + n, text, m);
        k->evidence[n + m] = 0;
        for (char *c = k->evidence; *c; c++)
                if (*c == '\n' || *c == '\t')
                        *c = ' ';
}

/* The script a shell runs: its first operand, resolved against its cwd when relative. */
static int script_text(struct host *h, const struct proc *p, size_t i, char **ret, size_t *ret_len, char **ret_path) {
        const char *arg = proc_arg(p, i);
        _cleanup_free_ char *path = NULL;
        struct stat st;
        if (arg[0] == '/')
                path = strdup(arg);
        else {
                _cleanup_close_ int fd = host_proc_open(h, p->pid, "", O_PATH | O_DIRECTORY);
                char cwd[4096];
                ssize_t n = fd >= 0 ? readlinkat(fd, "cwd", cwd, sizeof(cwd) - 1) : -1;
                if (n <= 0)
                        return -ENOENT;
                cwd[n] = 0;
                if (cwd[0] != '/' || asprintf(&path, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, arg) < 0)
                        return -ENOENT;
        }
        if (!path)
                return -ENOMEM;
        if (host_stat(h, path, &st) < 0 || !S_ISREG(st.st_mode))
                return -ENOENT;
        int r = host_read_file(h, path, KEEPALIVE_SCRIPT_MAX, ret, ret_len);
        if (r == 0)
                *ret_path = TAKE_PTR(path);
        return r;
}

/* Its first three words: asked of every process, so argv is walked once. */
static bool is_forever(const struct proc *p) {
        size_t i = 0;
        for (size_t off = 0; off < p->argv_len && i < 3; off += strlen(p->argv + off) + 1, i++) {
                const char *a = p->argv + off, *b = strrchr(a, '/');
                if (strstr(a, "forever/bin/monitor") || strcmp(b ? b + 1 : a, "forever") == 0)
                        return true;
        }
        return false;
}

static bool is_pm2_daemon(const struct proc *p) {
        const char *a = p->argv_len ? p->argv : "";
        return strncmp(a, "PM2 v", 5) == 0 && strstr(a, "God Daemon");
}

/* Where a shell's commands come from: a -c text or a script (the index of the operand in
 * *RET_ARG), or the terminal or stdin (0). Options that take a value (--init-file FILE, --rcfile
 * FILE, -o OPT, -O OPT) are read with it: an interactive shell's rc file is no script it runs. */
static int shell_source(const struct proc *p, size_t *ret_arg) {
        static const char *const valued[] = { "--init-file", "--rcfile", "-o", "+o", "-O", "+O", NULL };
        bool text = false, interactive = false;
        for (size_t i = 1; i < proc_argc(p); i++) {
                const char *a = proc_arg(p, i);
                if (strcmp(a, "--") == 0 || strcmp(a, "-") == 0) {
                        if (i + 1 >= proc_argc(p))
                                return 0;
                        *ret_arg = i + 1;
                        return text ? 1 : interactive ? 0 : 2;
                }
                if (name_in(a, valued)) {
                        i++;
                        continue;
                }
                if (a[0] == '-' && a[1] == '-')
                        continue;       /* --login, --noprofile, --norc, --posix */
                if ((a[0] == '-' || a[0] == '+') && a[1]) {
                        text = text || (a[0] == '-' && strchr(a, 'c'));
                        interactive = interactive || (a[0] == '-' && (strchr(a, 'i') || strchr(a, 's')));
                        if (strchr("oO", a[strlen(a) - 1]))
                                i++;    /* -eo pipefail */
                        continue;
                }
                *ret_arg = i;
                return text ? 1 : interactive ? 0 : 2;
        }
        return 0;
}

/* A shell that runs a script or -c text whose loop re-runs a long-running command: 1 with K's
 * cmd and evidence; 0 when not, *RET_SCRIPT saying whether it runs a script whose text has no
 * loop at all or could not be read (the young-child rule may judge it). */
static int shell_loop(struct host *h, const struct proc *p, uint64_t periodic, struct keepalive *k,
                      bool *ret_script) {
        size_t i = 0;
        bool any_loop = false;
        *ret_script = false;
        if (proc_classify(p) != PROC_SHELL)
                return 0;
        int src = shell_source(p, &i);
        if (src == 0)
                return 0;
        if (src == 1) {
                const char *text = proc_arg(p, i);
                int r = keepalive_text_restarts(text, strlen(text), periodic, &k->cmd, NULL);
                if (r > 0)
                        set_evidence(k, "loop in its -c text: ", text + k->cmd.loop_offset);
                return r;
        }
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        int r = script_text(h, p, i, &text, &len, &path);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret_script = true;
                return 0;
        }
        r = keepalive_text_restarts(text, len, periodic, &k->cmd, &any_loop);
        if (r > 0) {
                char prefix[160];
                snprintf(prefix, sizeof(prefix), "loop in %.100s: ", path);
                set_evidence(k, prefix, text + k->cmd.loop_offset);
        }
        *ret_script = r == 0 && !any_loop;
        return r;
}

/* An old script whose server child started long after it: 1 with K filled, else 0. */
static int young_child(struct host *h, const struct proc_table *t, const struct proc *p,
                       uint64_t min_parent_age, struct keepalive *k) {
        const struct proc *c = restarted_child(t, p);
        double age = host_proc_age(h, p);
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t gap = (uint64_t) (hz > 0 ? hz : 100) * (min_parent_age / 2);
        if (!c || age < (double) min_parent_age || c->start_ticks < p->start_ticks + gap || !server_name(c))
                return 0;
        k->kind = KEEPALIVE_YOUNG_CHILD;
        snprintf(k->evidence, sizeof(k->evidence), "its child pid %d started %.0f min ago, the script %.0f min ago",
                 (int) c->pid, host_proc_age(h, c) / 60, age / 60);
        return 1;
}

int keepalive_classify(struct host *h, const struct proc_table *t, const struct proc *p,
                       uint64_t min_parent_age, struct keepalive *ret) {
        struct keepalive k = { .loop = p };
        bool script = false;
        if (out_of_scope(p))
                return 0;
        if (is_pm2_daemon(p)) {
                k.kind = KEEPALIVE_PM2;
                set_evidence(&k, "pm2 daemon outside a systemd unit: ", proc_arg(p, 0));
        } else if (is_forever(p)) {
                k.kind = KEEPALIVE_FOREVER;
                set_evidence(&k, "forever monitor: ", proc_argc(p) > 1 ? proc_arg(p, 1) : proc_arg(p, 0));
        } else {
                int r = shell_loop(h, p, keepalive_periodic_sleep(h), &k, &script);
                if (r < 0)
                        return r;
                if (r > 0)
                        k.kind = KEEPALIVE_SHELL_LOOP;
                else if (!script || young_child(h, t, p, min_parent_age, &k) == 0)
                        return 0;
        }
        k.child = restarted_child(t, p);
        *ret = k;
        return 1;
}

void keepalive_done(struct keepalive *k) {
        if (k)
                keepalive_cmd_done(&k->cmd);
}

uint64_t keepalive_min_parent_age(const struct host *h) {
        uint64_t v = KEEPALIVE_MIN_PARENT_AGE;
        const char *s = config_get(host_config(h), "keepalive-loop", "min-parent-age");
        if (s)
                (void) parse_duration(s, &v);
        return v;
}

uint64_t keepalive_periodic_sleep(const struct host *h) {
        uint64_t v = KEEPALIVE_PERIODIC_SLEEP;
        const char *s = config_get(host_config(h), "keepalive-loop", "periodic-sleep");
        if (s)
                (void) parse_duration(s, &v);
        return v;
}

bool keepalive_is_restarted_child(struct host *h, const struct proc_table *t, const struct proc *p) {
        const struct proc *parent = proc_table_find(t, p->ppid);
        struct keepalive k;
        if (!parent || keepalive_classify(h, t, parent, keepalive_min_parent_age(h), &k) <= 0)
                return false;
        bool r = k.child == p;
        keepalive_done(&k);
        return r;
}
