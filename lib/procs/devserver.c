/* SPDX-License-Identifier: MIT */
/* The table of dev servers and dev runtimes, and the argv matcher. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "procs/devserver.h"
#include "procs/proctree.h"

const struct devserver_pattern devserver_patterns[] = {
        { .id = "vite", .framework = "Vite dev server", .tools = "vite",
          .not_subs = "build preview optimize",
          .steps = "build once with `vite build` and serve dist/ with a web server (nginx, caddy) or the app's own production server" },
        { .id = "next-dev", .framework = "Next.js dev server", .tools = "next", .subs = "dev",
          .prod_sub = "start", .drop = "--turbo --turbopack --experimental-https", .prereq = "next build",
          .steps = "run `next build`, then `next start`" },
        { .id = "next-server", .framework = "Next.js dev server", .tools = "next-server",
          .env = "NODE_ENV=development",
          .steps = "run `next build`, then `next start`" },
        { .id = "nuxt-dev", .framework = "Nuxt dev server", .tools = "nuxt nuxi", .subs = "dev",
          .steps = "run `nuxi build`, then `node .output/server/index.mjs`" },
        { .id = "webpack-serve", .framework = "webpack dev server", .tools = "webpack webpack-cli", .subs = "serve server s",
          .steps = "run `webpack --mode production` and serve the output directory with a web server" },
        { .id = "webpack-dev-server", .framework = "webpack dev server", .tools = "webpack-dev-server",
          .steps = "run `webpack --mode production` and serve the output directory with a web server" },
        { .id = "react-scripts", .framework = "Create React App dev server", .tools = "react-scripts", .subs = "start",
          .steps = "run `react-scripts build` and serve build/ with a web server" },
        { .id = "ng-serve", .framework = "Angular dev server", .tools = "ng", .subs = "serve s",
          .steps = "run `ng build` and serve dist/ with a web server (or the SSR server it builds)" },
        { .id = "vue-cli", .framework = "Vue CLI dev server", .tools = "vue-cli-service", .subs = "serve",
          .steps = "run `vue-cli-service build` and serve dist/ with a web server" },
        { .id = "astro-dev", .framework = "Astro dev server", .tools = "astro", .subs = "dev",
          .steps = "run `astro build`, then serve dist/ (static) or run `node dist/server/entry.mjs` (node adapter)" },
        { .id = "tsx", .framework = "tsx (TypeScript compiled on the fly)", .tools = "tsx",
          .steps = "compile with `tsc` (or a bundler) and run the JavaScript output with `node`" },
        { .id = "ts-node", .framework = "ts-node (TypeScript compiled on the fly)", .tools = "ts-node ts-node-dev tsnd ts-node-esm",
          .steps = "compile with `tsc` and run the JavaScript output with `node`" },
        { .id = "node-loader", .framework = "Node with a TypeScript loader", .interp = "node nodejs",
          .loaders = "tsx ts-node @esbuild-kit",
          .steps = "compile with `tsc` and run the JavaScript output with `node`, without the loader" },
        { .id = "nodemon", .framework = "nodemon (restart on file change)", .tools = "nodemon",
          .steps = "run the server with `node` directly, under a systemd unit that restarts it" },
        { .id = "node-watch", .framework = "node --watch", .interp = "node nodejs bun", .flags = "--watch --watch-path --hot",
          .steps = "run the server without --watch, under a systemd unit that restarts it" },
        { .id = "pkg-run-dev", .framework = "package script \"dev\"", .tools = "npm npm-cli pnpm yarn bun",
          .scripts = "dev develop serve watch start:dev dev:server", .wrapper = true,
          .steps = "run the project's build script, then its production start command, without the package runner" },
        { .id = "uvicorn-reload", .framework = "uvicorn --reload", .tools = "uvicorn", .flags = "--reload",
          .steps = "run uvicorn without --reload (e.g. --workers 2) under a systemd unit" },
        { .id = "gunicorn-reload", .framework = "gunicorn --reload", .tools = "gunicorn", .flags = "--reload",
          .steps = "run gunicorn without --reload under a systemd unit" },
        { .id = "flask-debug", .framework = "Flask debug server", .tools = "flask", .subs = "run",
          .valued = "--app -A --env-file -e -h --host -p --port --cert --key --extra-files --exclude-patterns",
          .flags = "--debug --reload", .env = "FLASK_DEBUG=1 FLASK_DEBUG=true FLASK_ENV=development",
          .steps = "serve the app with a WSGI server (gunicorn, waitress), debug off" },
        { .id = "django-runserver", .framework = "Django runserver", .tools = "manage django-admin", .subs = "runserver",
          .steps = "serve the project with a WSGI/ASGI server (gunicorn, uvicorn), DEBUG = False" },
        { .id = "rails-server", .framework = "Rails server in development", .tools = "rails", .subs = "server s",
          .not_flags = "-e=production --environment=production -eproduction -e\tproduction --environment\tproduction",
          .not_env = "RAILS_ENV=production RACK_ENV=production",
          .steps = "run `RAILS_ENV=production bin/rails assets:precompile`, then the server with RAILS_ENV=production" },
        { .id = "artisan-serve", .framework = "php artisan serve", .tools = "artisan", .subs = "serve",
          .steps = "serve the app with php-fpm behind a web server" },
        { .id = "php-builtin", .framework = "PHP built-in server (php -S)", .interp = "php", .flags = "-S",
          .steps = "serve the app with php-fpm behind a web server" },
        { .id = "node-env-development", .framework = "Node with NODE_ENV=development", .interp = "node nodejs",
          .env = "NODE_ENV=development",
          .steps = "run the server with NODE_ENV=production (after the project's production build)" },
        {},
};

static const char *const interpreters = "node nodejs bun python python2 python3 php ruby perl";
/* Interpreter options that take a value in the next word. */
static const char *const interp_valued = "-r --require --import --loader --experimental-loader -m -c -W -X -S -e";
static const char *const loader_opts = "-r --require --import --loader --experimental-loader";
static const char *const extensions[] = { ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".py", ".php", ".rb" };
static const char *const runtimes = "node nodejs bun deno python python3 ruby php java uvicorn gunicorn puma";

/* Whether the N bytes at WORD are one of the space-separated LIST. */
static bool word_in_n(const char *word, size_t n, const char *list) {
        if (!list || n == 0)
                return false;
        for (const char *s = list; *s; ) {
                if (*s == ' ') {
                        s++;
                        continue;
                }
                const char *e = strchrnul(s, ' ');
                if ((size_t) (e - s) == n && memcmp(s, word, n) == 0)
                        return true;
                s = e;
        }
        return false;
}

bool devserver_word_in(const char *word, const char *list) {
        return word_in_n(word, strlen(word), list);
}

bool devserver_env_has(const char *env, size_t len, const char *entries) {
        for (size_t off = 0; env && off < len; ) {
                const char *e = env + off;
                size_t el = strnlen(e, len - off);
                _cleanup_free_ char *copy = strndup(e, el);
                if (copy && devserver_word_in(copy, entries))
                        return true;
                off += el + 1;
        }
        return false;
}

static const char *base_name(const char *s) {
        const char *slash = strrchr(s, '/');
        return slash ? slash + 1 : s;
}

/* The tool's name in WORD: its basename, without a leading '-' or a script's extension; *RET_N bytes. */
static const char *tool_name_n(const char *word, size_t *ret_n) {
        const char *b = base_name(word);
        if (*b == '-')
                b++;
        size_t n = strlen(b);
        for (size_t i = 0; i < ELEMENTSOF(extensions); i++) {
                size_t el = strlen(extensions[i]);
                if (n > el && strcmp(b + n - el, extensions[i]) == 0) {
                        n -= el;
                        break;
                }
        }
        *ret_n = n;
        return b;
}

static char *tool_name(const char *word) {
        size_t n;
        const char *b = tool_name_n(word, &n);
        return strndup(b, n);
}

/* "/usr/lib/node_modules/ts-node/dist/bin.js" is ts-node's: the package under the last node_modules/. */
static char *package_name(const char *word) {
        const char *nm = NULL;
        for (const char *s = word; (s = strstr(s, "node_modules/")); s++)
                nm = s + strlen("node_modules/");
        if (!nm || *nm == '.' || *nm == '@')
                return NULL;
        size_t len = strcspn(nm, "/");
        return nm[len] == '/' ? strndup(nm, len) : NULL;
}

static bool is_interpreter_n(const char *name, size_t n) {
        /* python3.11 is python3 */
        if (n > 6 && strncmp(name, "python", 6) == 0) {
                size_t i = 6;
                while (i < n && ((name[i] >= '0' && name[i] <= '9') || name[i] == '.'))
                        i++;
                if (i == n)
                        return true;
        }
        return word_in_n(name, n, interpreters);
}

static bool is_interpreter(const char *name) {
        return is_interpreter_n(name, strlen(name));
}

void devserver_cmd_done(struct devserver_cmd *c) {
        for (size_t i = 0; c->words && i < c->n; i++)
                free(c->words[i]);
        free(c->words);
        free(c->interp);
        free(c->tool_name);
        free(c->package);
        memset(c, 0, sizeof(*c));
}

static int push_word(struct devserver_cmd *c, const char *s, size_t len) {
        char **nw = reallocarray(c->words, c->n + 2, sizeof(char *));
        if (!nw)
                return -ENOMEM;
        c->words = nw;
        if (!(nw[c->n] = strndup(s, len)))
                return -ENOMEM;
        nw[++c->n] = NULL;
        return 0;
}

static int split_words(const struct proc *p, struct devserver_cmd *c) {
        size_t argc = proc_argc(p);
        /* Trailing empty words are what a rewritten title leaves of the old argv. */
        while (argc > 0 && !*proc_arg(p, argc - 1))
                argc--;
        const char *a0 = argc ? proc_arg(p, 0) : NULL;
        int r = 0;
        if (argc == 1 && strchr(a0, ' ')) {
                c->title = true;
                for (const char *s = a0; *s && r == 0; ) {
                        s += strspn(s, " ");
                        size_t len = strcspn(s, " ");
                        if (len)
                                r = push_word(c, s, len);
                        s += len;
                }
                return r;
        }
        for (size_t i = 0; i < argc && r == 0; i++)
                r = push_word(c, proc_arg(p, i), strlen(proc_arg(p, i)));
        return r;
}

int devserver_cmd_parse(const struct proc *p, struct devserver_cmd *ret) {
        struct devserver_cmd c = {};
        int r = split_words(p, &c);
        if (r < 0 || c.n == 0) {
                devserver_cmd_done(&c);
                return r < 0 ? r : -ENODATA;
        }
        _cleanup_free_ char *first = tool_name(c.words[0]);
        if (!first) {
                devserver_cmd_done(&c);
                return -ENOMEM;
        }
        c.tool = 0;
        if (is_interpreter(first)) {
                c.interp = TAKE_PTR(first);
                size_t i = 1;
                for (; i < c.n && c.words[i][0] == '-'; i++) {
                        if (strcmp(c.words[i], "-m") == 0 && i + 1 < c.n) {
                                i++;
                                break;
                        }
                        if (devserver_word_in(c.words[i], interp_valued) && i + 1 < c.n)
                                i++;
                }
                c.tool = i < c.n ? i : 0;
        }
        c.tool_name = tool_name(c.words[c.tool]);
        c.package = package_name(c.words[c.tool]);
        if (!c.tool_name) {
                devserver_cmd_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

/* The I-th positional argument after the tool; the value of a VALUED option is not one. */
static const char *positional(const struct devserver_cmd *c, size_t i, const char *valued) {
        for (size_t k = c->tool + 1; k < c->n; k++) {
                if (c->words[k][0] == '-') {
                        if (devserver_word_in(c->words[k], valued))
                                k++;
                        continue;
                }
                if (i-- == 0)
                        return c->words[k];
        }
        return NULL;
}

static bool has_option(const struct devserver_cmd *c, const char *list) {
        if (!list)
                return false;
        for (size_t k = 1; k < c->n; k++) {
                const char *w = c->words[k];
                if (w[0] != '-')
                        continue;
                if (devserver_word_in(w, list))
                        return true;
                /* "--watch=src" and "-e production" (written "-e\tproduction" in the list) */
                const char *eq = strchr(w, '=');
                if (eq) {
                        _cleanup_free_ char *name = strndup(w, (size_t) (eq - w));
                        if (name && devserver_word_in(name, list))
                                return true;
                }
                if (k + 1 < c->n) {
                        _cleanup_free_ char *pair = NULL;
                        if (asprintf(&pair, "%s\t%s", w, c->words[k + 1]) >= 0 && devserver_word_in(pair, list))
                                return true;
                }
        }
        return false;
}

static bool has_loader(const struct devserver_cmd *c, const char *loaders) {
        for (size_t k = 1; loaders && k < c->tool; k++) {
                const char *w = c->words[k], *value = NULL;
                const char *eq = strchr(w, '=');
                if (devserver_word_in(w, loader_opts) && k + 1 < c->n)
                        value = c->words[k + 1];
                else if (eq && w[0] == '-')
                        value = eq + 1;
                for (const char *s = loaders; value && *s; ) {
                        s += strspn(s, " ");
                        size_t len = strcspn(s, " ");
                        if (len && memmem(value, strlen(value), s, len))
                                return true;
                        s += len;
                }
        }
        return false;
}

static bool argv_fits(const struct devserver_pattern *pt, const struct devserver_cmd *c) {
        if (pt->interp) {
                if (!c->interp || !devserver_word_in(c->interp, pt->interp))
                        return false;
        } else if ((!devserver_word_in(c->tool_name, pt->tools) &&
                    !(c->package && devserver_word_in(c->package, pt->tools))) || (c->interp && c->tool == 0)) {
                return false;
        }
        const char *p0 = positional(c, 0, pt->valued);
        if (pt->subs && (!p0 || !devserver_word_in(p0, pt->subs)))
                return false;
        if (pt->not_subs)
                for (size_t i = 0; positional(c, i, pt->valued); i++)
                        if (devserver_word_in(positional(c, i, pt->valued), pt->not_subs))
                                return false;
        if (pt->scripts) {
                const char *script = p0 && devserver_word_in(p0, "run run-script") ? positional(c, 1, pt->valued) : p0;
                if (!script || !devserver_word_in(script, pt->scripts))
                        return false;
        }
        if (pt->loaders && !has_loader(c, pt->loaders))
                return false;
        return true;
}

static enum devserver_verdict verdict_for(const struct devserver_pattern *pt, const struct devserver_cmd *c,
                                          const struct proc *p, devserver_env_fn env_fn, void *userdata) {
        const char *env = NULL;
        size_t env_len = 0;
        bool need_env = pt->not_env || (pt->env && !has_option(c, pt->flags));
        bool env_ok = need_env && env_fn && env_fn(userdata, p, &env, &env_len) >= 0;

        if (has_option(c, pt->not_flags))
                return DEVSERVER_NOT_DEV;
        if (pt->not_env) {
                if (!env_ok)
                        return DEVSERVER_UNKNOWN;
                if (devserver_env_has(env, env_len, pt->not_env))
                        return DEVSERVER_NOT_DEV;
        }
        if (pt->flags && has_option(c, pt->flags))
                return DEVSERVER_DEV;
        if (pt->env) {
                if (!env_ok)
                        return DEVSERVER_UNKNOWN;
                return devserver_env_has(env, env_len, pt->env) ? DEVSERVER_DEV : DEVSERVER_NOT_DEV;
        }
        return pt->flags ? DEVSERVER_NOT_DEV : DEVSERVER_DEV;
}

/* Whether the N bytes at W are a tool of a pattern that matches by tool (not by interpreter).
 * Asked of every process: the table's tool names are indexed once, by length and first byte. */
static bool is_tool_n(const char *w, size_t n) {
        static struct { const char *s; size_t n; } v[128];
        static size_t nv;
        static bool built, whole;
        if (!built) {
                built = whole = true;
                for (const struct devserver_pattern *pt = devserver_patterns; pt->id; pt++)
                        for (const char *s = pt->interp ? "" : pt->tools; s && *s; ) {
                                const char *e = strchrnul(s, ' ');
                                if (e > s && nv < ELEMENTSOF(v))
                                        v[nv++] = (typeof(v[0])) { s, (size_t) (e - s) };
                                else if (e > s)
                                        whole = false;
                                s = *e ? e + 1 : e;
                        }
        }
        if (!whole)
                return true;    /* more names than the index holds: the patterns decide */
        for (size_t i = 0; i < nv; i++)
                if (v[i].n == n && v[i].s[0] == w[0] && memcmp(v[i].s, w, n) == 0)
                        return true;
        return false;
}

/* Whether a pattern may fit P, from the first word devserver_cmd_parse() would split its argv
 * into: an interpreter (whose tool comes later), or a tool of the table by name or package.
 * The same answer as the whole parse for what most processes are, without splitting their argv. */
static bool may_fit(const struct proc *p) {
        const char *a0 = p->argv_len ? p->argv : "";
        char buf[PROC_ARGV_MAX + 1];
        if (!*a0)
                return false;   /* words[0] would be empty, or no word at all */
        /* A space in it and only empty words after it: a rewritten title, split at spaces. */
        bool title = strchr(a0, ' ') != NULL;
        for (size_t i = strlen(a0) + 1; title && i < p->argv_len; i++)
                title = p->argv[i] == '\0';
        const char *w = a0;
        if (title) {
                w += strspn(w, " ");
                size_t len = strcspn(w, " ");
                if (!len)
                        return false;
                memcpy(buf, w, len);
                buf[len] = '\0';
                w = buf;
        }
        size_t n;
        const char *name = tool_name_n(w, &n);
        if (is_interpreter_n(name, n))
                return true;
        if (n && is_tool_n(name, n))
                return true;
        _cleanup_free_ char *package = package_name(w);
        return package && *package && is_tool_n(package, strlen(package));
}

enum devserver_verdict devserver_match(const struct proc *p, devserver_env_fn env, void *userdata,
                                       const struct devserver_pattern **ret_pattern) {
        struct devserver_cmd c;
        if (p->kthread || !may_fit(p) || devserver_cmd_parse(p, &c) < 0)
                return DEVSERVER_NONE;
        enum devserver_verdict best = DEVSERVER_NONE;
        const struct devserver_pattern *best_pt = NULL;
        for (const struct devserver_pattern *pt = devserver_patterns; pt->id; pt++) {
                if (!argv_fits(pt, &c))
                        continue;
                enum devserver_verdict v = verdict_for(pt, &c, p, env, userdata);
                if (v > best) {
                        best = v;
                        best_pt = pt;
                }
                if (v == DEVSERVER_DEV)
                        break;
        }
        devserver_cmd_done(&c);
        if (best_pt)
                *ret_pattern = best_pt;
        return best;
}

const struct devserver_pattern *devserver_pattern_find(const char *id) {
        for (const struct devserver_pattern *pt = devserver_patterns; pt->id; pt++)
                if (strcmp(pt->id, id) == 0)
                        return pt;
        return NULL;
}

bool devserver_is_server_name(const char *name) {
        if (devserver_word_in(name, runtimes))
                return true;
        for (const struct devserver_pattern *pt = devserver_patterns; pt->id; pt++)
                if (!pt->wrapper && devserver_word_in(name, pt->tools))
                        return true;
        return false;
}

#define ENVIRON_MAX (128u << 10)

int devserver_read_environ(const struct host *h, pid_t pid, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "environ", O_RDONLY | O_NOCTTY);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EBADF;
        _cleanup_free_ char *buf = malloc(ENVIRON_MAX + 1);
        if (!buf)
                return -ENOMEM;
        size_t len = 0;
        while (len < ENVIRON_MAX) {
                ssize_t n = read(fd, buf + len, ENVIRON_MAX - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int devserver_read_cwd(const struct host *h, pid_t pid, char **ret) {
        _cleanup_close_ int dfd = host_proc_open(h, pid, "", O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return dfd;
        char buf[PATH_MAX];
        ssize_t n = readlinkat(dfd, "cwd", buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        /* "/srv/app (deleted)" is not a directory to run in. */
        if (buf[0] != '/' || strstr(buf, " (deleted)"))
                return -ENOENT;
        char *s = strdup(buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int devserver_describe_place(const struct proc_table *t, const struct proc *p, struct strbuf *out) {
        const struct proc *chain[64];
        size_t n = proc_ancestors(t, p, chain, ELEMENTSOF(chain));
        bool tmux = false, screen = false;
        for (size_t i = 0; i < n; i++) {
                enum proc_kind k = proc_classify(chain[i]);
                tmux = tmux || k == PROC_TMUX_SERVER;
                screen = screen || k == PROC_SCREEN;
        }
        int r = strbuf_adds(out, tmux ? "in tmux (" : screen ? "in screen (" : "under (");
        while (r == 0 && n > 0 && chain[n - 1]->pid == 1)
                n--;
        for (size_t i = n; i > 0 && r == 0; i--)
                r = strbuf_addf(out, "%s → ", proc_classify(chain[i - 1]) == PROC_TMUX_SERVER ?
                                "tmux: server" : proc_name(chain[i - 1]));
        if (r == 0)
                r = strbuf_addf(out, "%s)", proc_name(p));
        _cleanup_free_ char *unit = NULL;
        if (r == 0 && proc_cgroup_unit(p, &unit) == 0)
                r = strbuf_addf(out, ", unit %s", unit);
        else if (r == 0)
                r = strbuf_adds(out, ", no unit");
        return r;
}

