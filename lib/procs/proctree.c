/* SPDX-License-Identifier: MIT */
/* The process tree: ancestry, parent kinds, and the unit a process runs in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "text/escape.h"
#include "systemd/unitname.h"
#include "procs/proctree.h"

const char *proc_kind_to_string(enum proc_kind k) {
        static const char *const names[_PROC_KIND_MAX] = {
                [PROC_OTHER] = "process", [PROC_INIT] = "init", [PROC_SHELL] = "shell",
                [PROC_TMUX_SERVER] = "tmux server", [PROC_TMUX_CLIENT] = "tmux client",
                [PROC_SCREEN] = "screen", [PROC_PKG_RUNNER] = "package runner",
                [PROC_PRIV] = "privilege wrapper",
        };
        return k < _PROC_KIND_MAX ? names[k] : "?";
}

const char *proc_name(const struct proc *p) {
        const char *a0 = p->argv_len ? p->argv : NULL;
        if (!a0 || !*a0)
                return p->comm;
        /* A rewritten title ("tmux: server", "npm run dev") has spaces: keep it whole. */
        const char *sp = strchr(a0, ' ');
        const char *slash = strrchr(a0, '/');
        if (slash && (!sp || slash < sp))
                return slash + 1;
        return a0;
}

static bool name_in(const char *name, const char *const *list) {
        for (; *list; list++)
                if (name[0] == (*list)[0] && strcmp(name, *list) == 0)
                        return true;
        return false;
}

/* "node /usr/lib/node_modules/npm/bin/npm-cli.js run dev" runs npm under node's name. */
static bool is_node_pkg_runner(const struct proc *p) {
        static const char *const scripts[] = { "npm-cli.js", "npx-cli.js", "pnpm.cjs", "pnpm.js", "yarn.js", "yarn.cjs", NULL };
        const char *a1 = proc_arg(p, 1);
        if (!a1 || strcmp(proc_name(p), "node") != 0)
                return false;
        const char *base = strrchr(a1, '/');
        base = base ? base + 1 : a1;
        return name_in(base, scripts) || strcmp(base, "npm") == 0 || strcmp(base, "npx") == 0 ||
               strcmp(base, "pnpm") == 0 || strcmp(base, "yarn") == 0;
}

enum proc_kind proc_classify(const struct proc *p) {
        static const char *const shells[] = { "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "ksh93",
                                              "tcsh", "csh", "ash", "busybox", NULL };
        static const char *const runners[] = { "npm", "npx", "pnpm", "yarn", "bun", NULL };
        static const char *const priv[] = { "sudo", "su", "doas", "runuser", "setpriv", NULL };
        if (p->pid == 1)
                return PROC_INIT;
        const char *name = proc_name(p);
        /* A login shell's argv[0] is "-bash". */
        const char *bare = name[0] == '-' ? name + 1 : name;
        if (strncmp(p->comm, "tmux", 4) == 0 || strncmp(bare, "tmux", 4) == 0) {
                if (strcmp(p->comm, "tmux: server") == 0 || strncmp(bare, "tmux: server", 12) == 0)
                        return PROC_TMUX_SERVER;
                if (strcmp(p->comm, "tmux: client") == 0 || strcmp(bare, "tmux") == 0)
                        return PROC_TMUX_CLIENT;
        }
        if (strcmp(p->comm, "screen") == 0 || strcmp(p->comm, "SCREEN") == 0)
                return PROC_SCREEN;
        if (name_in(bare, shells) || name_in(p->comm, shells))
                return PROC_SHELL;
        if (name_in(bare, runners) || strncmp(p->comm, "npm ", 4) == 0 || is_node_pkg_runner(p))
                return PROC_PKG_RUNNER;
        if (name_in(bare, priv) || name_in(p->comm, priv))
                return PROC_PRIV;
        return PROC_OTHER;
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
        size_t n = strlen(suffix);
        return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The innermost unit component of P's cgroup, *RET_LEN bytes of it; NULL when none. */
static const char *cgroup_unit(const struct proc *p, size_t *ret_len) {
        const char *best = NULL;
        size_t best_len = 0;
        for (const char *s = p->cgroup; s && *s; ) {
                s += strspn(s, "/");
                size_t len = strcspn(s, "/");
                /* A cgroup name is the host's: only one systemd would take as a unit's. */
                if (len && (ends_with(s, len, ".service") || ends_with(s, len, ".scope")) &&
                    unit_name_is_valid_len(s, len)) {
                        best = s;
                        best_len = len;
                }
                s += len;
        }
        *ret_len = best_len;
        return best;
}

int proc_cgroup_unit(const struct proc *p, char **ret_unit) {
        size_t len;
        const char *unit = cgroup_unit(p, &len);
        if (!unit)
                return -ENOENT;
        char *u = strndup(unit, len);
        if (!u)
                return -ENOMEM;
        *ret_unit = u;
        return 0;
}

/* Asked of every process by several checks: the unit is looked at where it is, not copied. */
bool proc_in_service(const struct proc *p) {
        size_t len;
        const char *unit = cgroup_unit(p, &len);
        return unit && ends_with(unit, len, ".service");
}

size_t proc_ancestors(const struct proc_table *t, const struct proc *p, const struct proc **out, size_t max) {
        size_t n = 0;
        pid_t pid = p->ppid;
        while (n < max && pid > 0) {
                const struct proc *a = proc_table_find(t, pid);
                if (!a)
                        break;
                for (size_t i = 0; i < n; i++)
                        if (out[i] == a)
                                return n;
                if (a == p)
                        return n;
                out[n++] = a;
                if (a->pid == 1)
                        break;
                pid = a->ppid;
        }
        return n;
}

int proc_describe_chain(const struct proc_table *t, const struct proc *p, struct strbuf *out) {
        const struct proc *chain[64];
        size_t n = proc_ancestors(t, p, chain, ELEMENTSOF(chain));
        int r = 0;
        while (n > 0 && chain[n - 1]->pid == 1)
                n--;
        for (size_t i = n; i > 0 && r == 0; i--) {
                const char *name = proc_classify(chain[i - 1]) == PROC_TMUX_SERVER ? "tmux: server" : proc_name(chain[i - 1]);
                r = escape_terminal(out, name, strlen(name));
                if (r == 0)
                        r = strbuf_adds(out, " → ");
        }
        if (r == 0)
                r = escape_terminal(out, proc_name(p), strlen(proc_name(p)));
        return r;
}

static bool starts_with(const char *s, size_t len, const char *prefix) {
        size_t n = strlen(prefix);
        return len >= n && memcmp(s, prefix, n) == 0;
}

/* "docker-0123…cdef.scope" → "docker 0123456789ab": the runtime and the id, a long hex id in its short form. */
static char *container_name(const char *runtime, const char *id, size_t len) {
        char *s = NULL;
        for (const char *const *x = (const char *const[]) { ".scope", ".service", ".slice", NULL }; *x; x++)
                if (len > strlen(*x) && memcmp(id + len - strlen(*x), *x, strlen(*x)) == 0)
                        len -= strlen(*x);
        bool hex = len >= 32;
        for (size_t i = 0; i < len && hex; i++)
                hex = strchr("0123456789abcdef", id[i]) != NULL;
        if (hex)
                len = 12;
        if (asprintf(&s, "%s %.*s", runtime, (int) len, id) < 0)
                return NULL;
        return s;
}

bool proc_in_container(const struct proc *p, char **ret_name) {
        static const struct {
                const char *prefix;     /* a cgroup path component that begins so */
                const char *runtime;
                bool id_next;           /* the id is the next component ("/docker/ID") */
                bool scope;             /* the component is a scope: "docker-ID.scope" */
        } runtimes[] = {
                { "docker-", "docker", false, true }, { "docker", "docker", true, false },
                { "cri-containerd-", "containerd", false, true }, { "crio-", "cri-o", false, true },
                { "libpod-", "podman", false, true }, { "kubepods", "kubernetes", true, false },
                { "kubepods", "kubernetes", false, false },
                { "machine.slice", "machine", true, false }, { "machine-", "machine", false, true },
                { "lxc.payload.", "lxc", false, false }, { "lxc", "lxc", true, false },
        };
        if (!p->cgroup)
                return false;
        /* The innermost match names it: "kubepods…/cri-containerd-ID.scope" is that container. */
        const char *best = NULL;
        size_t best_i = 0, best_len = 0;
        for (const char *s = p->cgroup; *s; ) {
                s += strspn(s, "/");
                size_t len = strcspn(s, "/");
                for (size_t i = 0; len && i < ELEMENTSOF(runtimes); i++) {
                        size_t pl = strlen(runtimes[i].prefix);
                        if (runtimes[i].id_next ? !(len == pl && memcmp(s, runtimes[i].prefix, pl) == 0)
                                                : !starts_with(s, len, runtimes[i].prefix) || len == pl)
                                continue;
                        if (runtimes[i].scope && !ends_with(s, len, ".scope"))
                                continue;
                        /* "docker.service" is the daemon, on the host: not a container. */
                        if (runtimes[i].id_next && (!s[len] || !s[len + 1]))
                                continue;
                        best = s, best_i = i, best_len = len;
                        break;
                }
                s += len;
        }
        if (!best)
                return false;
        if (ret_name) {
                size_t pl = strlen(runtimes[best_i].prefix);
                const char *id = runtimes[best_i].id_next ? best + best_len + 1 : best + pl;
                size_t idl = runtimes[best_i].id_next ? strcspn(id, "/") : best_len - pl;
                *ret_name = container_name(runtimes[best_i].runtime, id, idl);
        }
        return true;
}
