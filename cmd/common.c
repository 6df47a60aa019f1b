/* SPDX-License-Identifier: MIT */
/* What the subcommands share: option errors, usage, color, opening the host, the apply prompt. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "host/config.h"
#include "text/escape.h"
#include "host/host.h"
#include "apply/lock.h"
#include "registry.h"
#include "plan/report.h"
#include "records/runrecord.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report *, report_free);

static enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } color_mode = COLOR_AUTO;
const char *command_config_path = NULL;

int set_color_mode(const char *s) {
        if (strcmp(s, "auto") == 0)
                color_mode = COLOR_AUTO;
        else if (strcmp(s, "always") == 0)
                color_mode = COLOR_ALWAYS;
        else if (strcmp(s, "never") == 0)
                color_mode = COLOR_NEVER;
        else {
                log_error("unknown --color '%s' (expected auto, always or never)", s);
                return -EINVAL;
        }
        return 0;
}

bool use_color(FILE *f) {
        if (color_mode != COLOR_AUTO)
                return color_mode == COLOR_ALWAYS;
        const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
        if ((nc && *nc) || (term && strcmp(term, "dumb") == 0))
                return false;
        return isatty(fileno(f)) == 1;
}

/* --config FILE: the admin's own file, so it is read as given; still only a
 * regular file of at most 1 MiB (never a FIFO that would hang a timer). */
static int config_load_path(const char *path, struct config **ret, char **ret_error) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return asprintf(ret_error, "%s: %s", path, strerror(errno)) < 0 ? -ENOMEM : -errno;
        if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20))
                return asprintf(ret_error, "%s: not a regular file of at most 1 MiB", path) < 0 ? -ENOMEM : -EINVAL;
        _cleanup_free_ char *text = calloc(1, (size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        ssize_t n = read(fd, text, (size_t) st.st_size);
        if (n < 0)
                return asprintf(ret_error, "%s: %s", path, strerror(errno)) < 0 ? -ENOMEM : -EIO;
        if (strlen(text) != (size_t) n)
                return asprintf(ret_error, "%s: contains a NUL byte", path) < 0 ? -ENOMEM : -EINVAL;
        return config_parse(text, path, ret, ret_error);
}

int parse_format(const char *s, enum format *ret) {
        if (strcmp(s, "text") == 0)
                *ret = FORMAT_TEXT;
        else if (strcmp(s, "json") == 0)
                *ret = FORMAT_JSON;
        else if (strcmp(s, "prometheus") == 0)
                *ret = FORMAT_PROMETHEUS;
        else if (strcmp(s, "nagios") == 0)
                *ret = FORMAT_NAGIOS;
        else {
                log_error("unknown format '%s' (expected text, json, prometheus or nagios)", s);
                return -EINVAL;
        }
        return 0;
}

int parse_format_text_json(const char *s, enum format *ret) {
        enum format f;
        int r = parse_format(s, &f);
        if (r < 0)
                return r;
        if (f != FORMAT_TEXT && f != FORMAT_JSON) {
                log_error("--format %s is for hostfit check only", s);
                return -EINVAL;
        }
        *ret = f;
        return 0;
}

int check_profile(const char *s) {
        if (strcmp(s, "production") == 0 || strcmp(s, "development") == 0)
                return 0;
        log_error("unknown profile '%s' (expected production or development)", s);
        return -EINVAL;
}

void command_help(const struct command *c) {
        size_t n = strlen(c->usage);
        printf("usage: hostfit %s%s", c->usage, n && c->usage[n - 1] == '\n' ? "" : "\n");
}

int command_usage_error(const struct command *c) {
        size_t n = strcspn(c->usage, "\n");
        fprintf(stderr, "usage: hostfit %.*s\n", (int) n, c->usage);
        fprintf(stderr, "Try 'hostfit %s --help' for more.\n", c->name);
        return EXIT_TROUBLE;
}

int command_bad_option(const struct command *c, char **argv, int opt) {
        const char *arg = argv[optind - 1];
        if (opt == ':')
                log_error("%s: option '%s' needs a value", c->name, arg);
        else if (optopt && strncmp(arg, "--", 2) != 0)
                log_error("%s: unknown option '-%c'", c->name, optopt);
        else
                log_error("%s: unknown option '%s'", c->name, arg);
        return command_usage_error(c);
}

int command_open_host(const char *root, const char *profile, struct host **ret) {
        _cleanup_(host_freep) struct host *h = NULL;
        _cleanup_(config_freep) struct config *c = NULL;
        _cleanup_free_ char *error = NULL;
        int r = host_open(root, &h);
        if (r < 0) {
                log_error("cannot open root %s: %s", root, strerror(-r));
                return r;
        }
        r = command_config_path ? config_load_path(command_config_path, &c, &error)
                                : config_load(h, &c, &error);
        if (r < 0) {
                if (error)
                        log_error("%s", error);
                else
                        log_error("cannot load %s: %s", command_config_path ? command_config_path : CONFIG_PATH,
                                  strerror(-r));
                return r;
        }
        if (profile) {
                r = config_set(c, "hostfit", "profile", profile);
                if (r < 0) {
                        log_error("cannot set profile '%s': %s", profile, strerror(-r));
                        return r;
                }
        }
        host_set_config(h, TAKE_PTR(c));
        *ret = TAKE_PTR(h);
        return 0;
}

const char *command_hostname(struct host *h) {
        static char name[256];
        if (host_is_live(h))
                return gethostname(name, sizeof(name) - 1) == 0 && name[0] ? name : NULL;
        _cleanup_free_ char *text = NULL;
        if (host_read_file(h, "/etc/hostname", 4096, &text, NULL) < 0)
                return NULL;
        size_t n = strcspn(text, "\n");
        if (n == 0 || n >= sizeof(name) || memchr(text, '\0', n))
                return NULL;
        memcpy(name, text, n);
        name[n] = '\0';
        return name;
}

bool command_ask_yes(size_t n) {
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        printf("Apply %zu change%s? [y/N] ", n, n == 1 ? "" : "s");
        fflush(stdout);
        if (getline(&line, &len, stdin) < 0)
                return false;
        line[strcspn(line, "\n")] = '\0';
        return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

int command_check_stamp(const struct command *c, const char *stamp, const char *hint) {
        if (!stamp || run_stamp_is_valid(stamp))
                return 0;
        _cleanup_free_ char *esc = escape_terminal_str(stamp);
        log_error("%s: '%s' is not a run stamp%s", c->name, esc ? esc : "?", hint);
        return -EINVAL;
}

int command_list_runs(struct host *h, struct run_record ***ret, size_t *ret_n) {
        size_t bad = 0;
        int k = run_records_list(h, ret, ret_n, &bad);
        if (k < 0) {
                log_error("cannot read the run records in %s: %s", RUNS_DIR, strerror(-k));
                return k;
        }
        if (bad > 0)
                log_warning("%zu run record%s in %s could not be read, ignoring", bad, bad == 1 ? "" : "s", RUNS_DIR);
        return 0;
}

int command_run_checks(struct host *h, char *const *ids, size_t n_ids, struct report **ret) {
        _cleanup_(report_freep) struct report *r = NULL;
        for (size_t i = 0; i < n_ids; i++)
                if (!check_find(ids[i])) {
                        log_error("unknown check '%s' (see hostfit list)", ids[i]);
                        return -ENOENT;
                }
        int k = report_new(&r);
        if (k >= 0)
                k = report_run_checks(r, h, ids, n_ids);
        if (k < 0) {
                log_error("cannot run the checks: %s", strerror(-k));
                return k;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

static void lock_waiting(void *userdata, pid_t holder) {
        if (holder > 0)
                log_error("waiting for another hostfit fix or undo (pid %d)", (int) holder);
        else
                log_error("waiting for another hostfit fix or undo");
}

int command_take_lock(struct host *h, unsigned wait_ms) {
        pid_t holder = 0;
        int fd = lock_take(host_root_fd(h), wait_ms, lock_waiting, NULL, &holder);
        if (fd == -EWOULDBLOCK) {
                if (holder > 0)
                        log_error("another hostfit fix or undo is running (pid %d)", (int) holder);
                else
                        log_error("another hostfit fix or undo is running");
        } else if (fd == -ELOOP)
                log_error("refusing %s: a component of the path is a symlink", LOCK_PATH);
        else if (fd == -EPERM)
                log_error("refusing %s: it or %s is owned by another user or writable by others", LOCK_PATH, LOCK_DIR);
        else if (fd == -EEXIST)
                log_error("refusing %s: not a regular file in a directory", LOCK_PATH);
        else if (fd < 0)
                log_error("cannot take the lock %s: %s", LOCK_PATH, strerror(-fd));
        return fd;
}

/* S as one shell word: bare when every byte is safe, else in single quotes. */
static int add_shell_word(struct strbuf *sb, const char *s) {
        if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-+:@%,=") == strlen(s))
                return strbuf_adds(sb, s);
        int r = strbuf_addch(sb, '\'');
        for (const char *p = s; r == 0 && *p; p++)
                r = *p == '\'' ? strbuf_adds(sb, "'\\''") : strbuf_addch(sb, *p);
        return r == 0 ? strbuf_addch(sb, '\'') : r;
}

int command_hint_options(const char *root, char **ret_global, char **ret_root) {
        _cleanup_strbuf_ struct strbuf g = STRBUF_INIT, rt = STRBUF_INIT;
        _cleanup_free_ char *abs_root = NULL, *abs_config = NULL;
        int r = strbuf_adds(&g, "");
        if (r == 0)
                r = strbuf_adds(&rt, "");
        if (r == 0 && command_config_path) {
                abs_config = realpath(command_config_path, NULL);
                r = strbuf_adds(&g, " --config ");
                if (r == 0)
                        r = add_shell_word(&g, abs_config ? abs_config : command_config_path);
        }
        if (r == 0 && root) {
                abs_root = realpath(root, NULL);
                const char *a = abs_root ? abs_root : root;
                if (strcmp(a, "/") != 0) {
                        r = strbuf_adds(&rt, " --root ");
                        if (r == 0)
                                r = add_shell_word(&rt, a);
                }
        }
        if (r < 0)
                return r;
        char *gs = strbuf_detach(&g, NULL), *rs = strbuf_detach(&rt, NULL);
        if (!gs || !rs) {
                free(gs), free(rs);
                return -ENOMEM;
        }
        *ret_global = gs, *ret_root = rs;
        return 0;
}
