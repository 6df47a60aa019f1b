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
#include "host/sockets.h"

static bool is_word_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The next occurrence of WORD in S as a shell word (not inside another word). */
static const char *find_word(const char *s, const char *word) {
        size_t n = strlen(word);
        for (const char *q = s; (q = strstr(q, word)); q += n)
                if ((q == s || !is_word_char(q[-1])) && !is_word_char(q[n]))
                        return q;
        return NULL;
}

/* "while" followed by a condition that never fails. */
static bool while_forever(const char *s) {
        static const char *const conds[] = { "true", ":", "/bin/true", "/usr/bin/true", "[ 1 ]", "[ true ]",
                                             "((1))", "(( 1 ))", "sleep", "[[ 1 ]]", NULL };
        for (const char *q = s; (q = find_word(q, "while")); q += 5) {
                const char *c = q + 5 + strspn(q + 5, " \t\n");
                for (size_t i = 0; conds[i]; i++) {
                        size_t n = strlen(conds[i]);
                        if (strncmp(c, conds[i], n) == 0 && !is_word_char(c[n]) && c[n] != ']')
                                return true;
                }
        }
        return false;
}

bool keepalive_text_loops(const char *s) {
        if (!s || !find_word(s, "do"))
                return false;
        return while_forever(s) || find_word(s, "until") != NULL;
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

static bool name_in(const char *n, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (strcmp(n, list[i]) == 0)
                        return true;
        return false;
}

static bool server_name(const struct proc *c) {
        static const char *const names[] = { "node", "nodejs", "java", "ruby", "php", "deno", "bun", "uvicorn",
                                             "gunicorn", "puma", "dotnet", "perl", NULL };
        const char *n = proc_name(c);
        return name_in(n, names) || strncmp(n, "python", 6) == 0;
}

/* A server: by name, or listening on a socket. */
static bool is_server(struct host *h, const struct proc *c) {
        const struct socket_table *st = NULL;
        if (server_name(c))
                return true;
        return host_sockets(h, &st) == 0 && st && sockets_of_pid(st, c->pid, NULL, 0) > 0;
}

/* Between restarts only the loop's text says what it restarts. */
static bool text_names_server(const char *text) {
        static const char *const words[] = { "node", "nodejs", "npm", "npx", "yarn", "pnpm", "python", "python3",
                                             "java", "ruby", "php", "deno", "bun", "uvicorn", "gunicorn", "puma",
                                             "rails", "dotnet", "serve", "server", NULL };
        for (size_t i = 0; words[i]; i++)
                if (find_word(text, words[i]))
                        return true;
        return strstr(text, "server") != NULL;
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
static int script_text(struct host *h, const struct proc *p, size_t i, char **ret, char **ret_path) {
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
        int r = host_read_file(h, path, KEEPALIVE_SCRIPT_MAX, ret, NULL);
        if (r == 0)
                *ret_path = TAKE_PTR(path);
        return r;
}

static bool is_forever(const struct proc *p) {
        for (size_t i = 0; i < proc_argc(p) && i < 3; i++) {
                const char *a = proc_arg(p, i), *b = strrchr(a, '/');
                if (strstr(a, "forever/bin/monitor") || strcmp(b ? b + 1 : a, "forever") == 0)
                        return true;
        }
        return false;
}

static bool is_pm2_daemon(const struct proc *p) {
        const char *a = proc_argc(p) ? proc_arg(p, 0) : "";
        return strncmp(a, "PM2 v", 5) == 0 && strstr(a, "God Daemon");
}

/* A shell (or script interpreter) that runs a script or -c text: not an interactive one. */
static int shell_loop(struct host *h, const struct proc *p, struct keepalive *k, bool *ret_scripted) {
        *ret_scripted = false;
        if (proc_classify(p) != PROC_SHELL)
                return 0;
        for (size_t i = 1; i < proc_argc(p); i++) {
                const char *a = proc_arg(p, i);
                if (strcmp(a, "-c") == 0 || (a[0] == '-' && a[1] != '-' && strchr(a, 'c'))) {
                        *ret_scripted = true;
                        const char *text = proc_arg(p, i + 1);
                        if (keepalive_text_loops(text)) {
                                set_evidence(k, "loop in its -c text: ", text);
                                return 1;
                        }
                        return 0;
                }
                if (a[0] == '-')
                        continue;
                *ret_scripted = true;
                _cleanup_free_ char *text = NULL, *path = NULL;
                int r = script_text(h, p, i, &text, &path);
                if (r == -ENOMEM)
                        return r;
                if (r == 0 && keepalive_text_loops(text)) {
                        const char *w = find_word(text, "while");
                        const char *u = find_word(text, "until");
                        const char *at = w && while_forever(w) ? w : u ? u : text;
                        char prefix[160];
                        snprintf(prefix, sizeof(prefix), "loop in %.100s: ", path ? path : "");
                        set_evidence(k, prefix, at);
                        return 1;
                }
                return 0;
        }
        return 0;
}

int keepalive_classify(struct host *h, const struct proc_table *t, const struct proc *p,
                       uint64_t min_parent_age, struct keepalive *ret) {
        struct keepalive k = { .loop = p };
        bool scripted = false;
        if (out_of_scope(p))
                return 0;
        if (is_pm2_daemon(p)) {
                k.kind = KEEPALIVE_PM2;
                set_evidence(&k, "pm2 daemon outside a systemd unit: ", proc_arg(p, 0));
        } else if (is_forever(p)) {
                k.kind = KEEPALIVE_FOREVER;
                set_evidence(&k, "forever monitor: ", proc_argc(p) > 1 ? proc_arg(p, 1) : proc_arg(p, 0));
        } else {
                int r = shell_loop(h, p, &k, &scripted);
                if (r < 0)
                        return r;
                if (r > 0) {
                        /* A loop that restarts a server, not one that runs `date; sleep 60`. */
                        const struct proc *c = restarted_child(t, p);
                        if (c ? !is_server(h, c) : !text_names_server(k.evidence))
                                return 0;
                        k.kind = KEEPALIVE_SHELL_LOOP;
                }
                else {
                        /* A script that has run long, whose server child started long after it. */
                        const struct proc *c = scripted ? restarted_child(t, p) : NULL;
                        double age = host_proc_age(h, p);
                        long hz = sysconf(_SC_CLK_TCK);
                        uint64_t gap = (uint64_t) (hz > 0 ? hz : 100) * (min_parent_age / 2);
                        if (!c || age < (double) min_parent_age || c->start_ticks < p->start_ticks + gap ||
                            !server_name(c))
                                return 0;
                        k.kind = KEEPALIVE_YOUNG_CHILD;
                        snprintf(k.evidence, sizeof(k.evidence), "its child pid %d started %.0f min ago, the script %.0f min ago",
                                 (int) c->pid, host_proc_age(h, c) / 60, age / 60);
                }
        }
        k.child = restarted_child(t, p);
        *ret = k;
        return 1;
}

uint64_t keepalive_min_parent_age(const struct host *h) {
        uint64_t v = KEEPALIVE_MIN_PARENT_AGE;
        const char *s = config_get(host_config(h), "keepalive-loop", "min-parent-age");
        if (s)
                (void) parse_duration(s, &v);
        return v;
}

bool keepalive_is_restarted_child(struct host *h, const struct proc_table *t, const struct proc *p) {
        const struct proc *parent = proc_table_find(t, p->ppid);
        struct keepalive k;
        return parent && keepalive_classify(h, t, parent, keepalive_min_parent_age(h), &k) > 0 && k.child == p;
}
