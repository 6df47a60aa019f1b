/* SPDX-License-Identifier: MIT */
/* tmux.conf reading: the commands that load tmux-resurrect/continuum and their settings. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "procs/devserver.h"
#include "host/host.h"
#include "procs/oomd.h"
#include "procs/tmuxconf.h"

#define TMUXCONF_MAX (1u << 20)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* Entries of one directory a source-file glob looks at: a bound, as on the files it loads. */
#define TMUXCONF_GLOB_DIR_MAX 4096

void tmuxconf_done(struct tmux_conf *c) {
        free(c->processes);
        free(c->save_interval);
        free(c->main_path);
        free(c->problem);
        free(c->seen);
        memset(c, 0, sizeof(*c));
}

static void set_problem(struct tmux_conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_problem(struct tmux_conf *c, const char *fmt, ...) {
        if (c->problem)
                return;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&c->problem, fmt, ap) < 0)
                c->problem = NULL;
        va_end(ap);
}

/* Remember ST's file; false when it was read already. */
static int seen_add(struct tmux_conf *c, const struct stat *st) {
        for (size_t i = 0; i < c->n_seen; i++)
                if (c->seen[i].dev == st->st_dev && c->seen[i].ino == st->st_ino)
                        return 0;
        if (c->n_seen == c->alloc_seen) {
                size_t na = c->alloc_seen ? c->alloc_seen * 2 : 8;
                struct tmux_seen *n = reallocarray(c->seen, na, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->seen = n;
                c->alloc_seen = na;
        }
        c->seen[c->n_seen++] = (struct tmux_seen) { st->st_dev, st->st_ino };
        return 1;
}

static int set_str(char **dst, const char *v) {
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static bool is_on(const char *v) {
        return strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0;
}

static int apply_option(struct tmux_conf *c, const char *name, const char *value) {
        if (strcmp(name, "@plugin") == 0 || strcmp(name, "@tpm_plugins") == 0) {
                c->resurrect = c->resurrect || strstr(value, "tmux-resurrect");
                c->continuum = c->continuum || strstr(value, "tmux-continuum");
        } else if (strcmp(name, "@resurrect-processes") == 0) {
                return set_str(&c->processes, value);
        } else if (strcmp(name, "@continuum-restore") == 0) {
                c->continuum_restore = is_on(value);
        } else if (strcmp(name, "@continuum-boot") == 0) {
                c->continuum_boot = is_on(value);
        } else if (strcmp(name, "@continuum-save-interval") == 0) {
                return set_str(&c->save_interval, value);
        } else if (strncmp(name, "@resurrect-strategy-", 20) == 0) {
                c->strategy = true;
        }
        return 0;
}

/* "~/x", "$HOME/x", "${HOME}/x"; a relative path is taken from the including file's directory. */
static char *expand_path(const char *home, const char *from, const char *p) {
        char *out = NULL;
        int r;
        if (p[0] == '~' && (p[1] == '/' || !p[1]))
                r = asprintf(&out, "%s%s", home, p + 1);
        else if (strncmp(p, "$HOME", 5) == 0 && (p[5] == '/' || !p[5]))
                r = asprintf(&out, "%s%s", home, p + 5);
        else if (strncmp(p, "${HOME}", 7) == 0 && (p[7] == '/' || !p[7]))
                r = asprintf(&out, "%s%s", home, p + 7);
        else if (p[0] == '/')
                r = asprintf(&out, "%s", p);
        else {
                const char *slash = strrchr(from, '/');
                r = asprintf(&out, "%.*s/%s", slash ? (int) (slash - from) : 0, from, p);
        }
        return r < 0 ? NULL : out;
}

static int load_file(const struct host *h, const char *home, const char *path, unsigned depth, struct tmux_conf *c);

static bool has_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

struct glob_walk {
        const struct host *h;
        const char *home;
        unsigned depth;
        struct tmux_conf *c;
};

/* source-file expands its path with glob(3) (tmux 3.0 and later): the same here, within the root.
 * DIR is a directory already resolved (no pattern), REST what is left of the pattern. The
 * matches of a component are taken in sorted order, as glob(3) sorts them, and loaded as found;
 * hidden names match only a pattern that starts with a dot. */
static int glob_load(struct glob_walk *g, const char *dir, const char *rest) {
        rest += strspn(rest, "/");
        size_t len = strcspn(rest, "/");
        if (len == 0)
                return load_file(g->h, g->home, *dir ? dir : "/", g->depth, g->c);
        _cleanup_free_ char *comp = strndup(rest, len);
        if (!comp)
                return -ENOMEM;
        if (!has_glob(comp)) {
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s/%s", dir, comp) < 0)
                        return -ENOMEM;
                return glob_load(g, next, rest + len);
        }
        _cleanup_(closedirp) DIR *d = NULL;
        int r = host_opendir(g->h, *dir ? dir : "/", &d);
        if (r < 0)
                return r == -ENOMEM ? r : 0;    /* no such directory: no match */
        char **names = NULL;
        size_t n = 0, seen = 0;
        struct dirent *de;
        while ((de = readdir(d)) && r == 0) {
                if (++seen > TMUXCONF_GLOB_DIR_MAX) {
                        set_problem(g->c, "%s: more than %u entries to match %s against; the rest is not read",
                                    *dir ? dir : "/", TMUXCONF_GLOB_DIR_MAX, comp);
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    fnmatch(comp, de->d_name, FNM_PERIOD) != 0)
                        continue;
                char **nn = reallocarray(names, n + 1, sizeof(*nn));
                if (!nn || !(nn[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        names = nn ? nn : names;
                        break;
                }
                names = nn;
                n++;
        }
        if (n)
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n && r != -ENOMEM && r != -E2BIG; i++) {
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s/%s", dir, names[i]) < 0)
                        r = -ENOMEM;
                else
                        r = glob_load(g, next, rest + len);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r == -ENOMEM || r == -E2BIG ? r : 0;
}

static int do_command(const struct host *h, const char *home, const char *path, unsigned depth,
                      struct shell_word *w, size_t n, struct tmux_conf *c) {
        const char *cmd = w[0].word;
        size_t i = 1;
        if (strcmp(cmd, "set") == 0 || strcmp(cmd, "set-option") == 0 || strcmp(cmd, "setw") == 0) {
                bool unset = false;
                for (; i < n && w[i].word[0] == '-'; i++)
                        unset = unset || strchr(w[i].word, 'u');
                if (i + 1 < n && !unset)
                        return apply_option(c, w[i].word, w[i + 1].word);
        } else if (strcmp(cmd, "run") == 0 || strcmp(cmd, "run-shell") == 0) {
                for (; i < n && w[i].word[0] == '-'; i++)
                        if (strcmp(w[i].word, "-d") == 0 || strcmp(w[i].word, "-t") == 0)
                                i++;
                if (i < n) {
                        c->resurrect = c->resurrect || strstr(w[i].word, "resurrect.tmux");
                        c->continuum = c->continuum || strstr(w[i].word, "continuum.tmux");
                }
        } else if ((strcmp(cmd, "source-file") == 0 || strcmp(cmd, "source") == 0) && depth < TMUXCONF_DEPTH_MAX) {
                for (; i < n && w[i].word[0] == '-'; i++)
                        ;
                for (; i < n; i++) {
                        _cleanup_free_ char *p = expand_path(home, path, w[i].word);
                        if (!p)
                                return -ENOMEM;
                        struct glob_walk g = { h, home, depth + 1, c };
                        int r = has_glob(p) ? glob_load(&g, "", p) : load_file(h, home, p, depth + 1, c);
                        if (r == -ENOMEM)
                                return r;
                }
        }
        return 0;
}

int tmuxconf_parse(const struct host *h, const char *home, const char *path, const char *text,
                   unsigned depth, struct tmux_conf *c) {
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *line = copy, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line += strspn(line, " \t");
                if (!*line || *line == '#' || *line == '%')
                        continue;
                struct shell_word *w = NULL;
                size_t n = 0;
                /* A malformed line (unbalanced quotes) is one tmux refuses too: skip it. */
                if (shell_split(line, strlen(line), &w, &n) < 0)
                        continue;
                size_t end = 0;
                while (end < n && line[w[end].start] != '#')
                        end++;
                int r = end > 0 ? do_command(h, home, path, h ? depth : TMUXCONF_DEPTH_MAX, w, end, c) : 0;
                shell_words_free(w, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_file(const struct host *h, const char *home, const char *path, unsigned depth, struct tmux_conf *c) {
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;
        if (c->n_files >= TMUXCONF_FILES_MAX || c->n_bytes >= TMUXCONF_BYTES_MAX) {
                set_problem(c, "%s: more than %u files or %u MiB of tmux configuration; the rest is not read",
                            path, TMUXCONF_FILES_MAX, TMUXCONF_BYTES_MAX >> 20);
                return -E2BIG;
        }
        /* Resolved in the root: an absolute symlink cannot lead out of it. Opened without
         * blocking and read only as a regular file: a FIFO a user left cannot hang hostfit. */
        int r = host_read_file_stat(h, path, TMUXCONF_MAX, &text, &len, &st);
        if (r == -ENOMEM || r == -ENOENT || r == -ENOTDIR)
                return r;
        if (r < 0) {
                char buf[128];
                set_problem(c, "cannot read %s: %s", path, host_read_error(h, path, r, buf, sizeof(buf)));
                return r;
        }
        r = seen_add(c, &st);
        if (r <= 0)
                return r == 0 ? -ELOOP : r;
        c->n_files++;
        c->n_bytes += len;
        return tmuxconf_parse(h, home, path, text, depth, c);
}

int tmuxconf_load(const struct host *h, const char *home, struct tmux_conf *ret) {
        struct tmux_conf c = {};
        const char *user_files[] = { "/.tmux.conf", "/.config/tmux/tmux.conf" };
        int r = load_file(h, home, "/etc/tmux.conf", 0, &c);
        if (r == -ENOMEM)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(user_files); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s%s", strcmp(home, "/") == 0 ? "" : home, user_files[i]) < 0) {
                        tmuxconf_done(&c);
                        return -ENOMEM;
                }
                r = load_file(h, home, p, 0, &c);
                if (r == -ENOMEM) {
                        tmuxconf_done(&c);
                        return r;
                }
                if (r == 0) {
                        free(c.main_path);
                        c.main_path = TAKE_PTR(p);
                }
        }
        *ret = c;
        return 0;
}

bool tmuxconf_touches_processes(const struct tmux_conf *c) {
        if (!c->resurrect && !c->continuum)
                return false;
        bool no_processes = c->processes && strcmp(c->processes, "false") == 0;
        return !no_processes || c->continuum_restore;
}

bool tmuxconf_restores_servers(const struct tmux_conf *c) {
        if (!c->resurrect || !c->processes || strcmp(c->processes, "false") == 0)
                return false;
        /* "vim ~rails 'npm run dev' \"~node->node server.js\"" */
        struct shell_word *w = NULL;
        size_t n = 0;
        if (shell_split(c->processes, strlen(c->processes), &w, &n) < 0)
                return strstr(c->processes, ":all:") != NULL;
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
                char *e = w[i].word;
                char *arrow = strstr(e, "->");
                if (arrow)
                        *arrow = '\0';
                e += *e == '~';
                e[strcspn(e, " ")] = '\0';
                const char *base = strrchr(e, '/') ? strrchr(e, '/') + 1 : e;
                found = strcmp(e, ":all:") == 0 || devserver_is_server_name(base) ||
                        strcmp(base, "npm") == 0 || strcmp(base, "yarn") == 0 || strcmp(base, "pnpm") == 0;
        }
        shell_words_free(w, n);
        return found;
}
