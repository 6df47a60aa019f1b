/* SPDX-License-Identifier: MIT */
/* Units for running processes: the facts read from ROOT/proc/PID, and the one
 * place that turns them into a service unit (see unitgen.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "host/passwd.h"
#include "procs/proctree.h"
#include "host/sockets.h"
#include "text/strbuf.h"
#include "text/strv.h"
#include "systemd/unitgen.h"

#define ENVIRON_MAX (128U << 10)
#define STATUS_MAX (16U << 10)

struct unit_proc *unit_proc_free(struct unit_proc *u) {
        if (!u)
                return NULL;
        strv_free(u->argv);
        strv_free(u->env);
        strv_free(u->env_dropped);
        free(u->exe);
        free(u->cwd);
        free(u->user);
        free(u->group);
        free(u);
        return NULL;
}

void unit_proc_freep(struct unit_proc **u) {
        unit_proc_free(*u);
}

bool unitgen_env_allowed(const char *e) {
        static const char *const allow[] = {
                "NODE_ENV", "PORT", "HOST", "PYTHONPATH", "PYTHONUNBUFFERED", "PATH", "LANG", "LC_ALL", "TZ",
                "RAILS_ENV", "RACK_ENV", "APP_ENV", "DJANGO_SETTINGS_MODULE", "NODE_OPTIONS", "JAVA_HOME", NULL,
        };
        size_t n = strcspn(e, "=");
        for (size_t i = 0; allow[i]; i++)
                if (strlen(allow[i]) == n && strncmp(e, allow[i], n) == 0 && e[n] == '=')
                        return true;
        return false;
}

static char *read_link_at(struct host *h, pid_t pid, const char *name) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "", O_PATH | O_DIRECTORY);
        char buf[4096];
        if (fd < 0)
                return NULL;
        ssize_t n = readlinkat(fd, name, buf, sizeof(buf) - 1);
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        if (buf[0] != '/' || strstr(buf, " (deleted)"))
                return NULL;
        return strdup(buf);
}

/* The real uid and gid from ROOT/proc/PID/status ("Uid:\tR\tE\tS\tF"), and its peak resident
 * memory ("VmHWM:\tN kB", left alone when absent); true when Gid: was read. */
static bool read_ids(struct host *h, pid_t pid, uid_t *uid, gid_t *gid, uint64_t *hwm) {
        bool got_gid = false;
        _cleanup_close_ int fd = host_proc_open(h, pid, "status", O_RDONLY);
        _cleanup_free_ char *buf = malloc(STATUS_MAX);
        size_t len = 0;
        if (fd < 0 || !buf)
                return false;
        for (ssize_t k; len < STATUS_MAX - 1 && (k = read(fd, buf + len, STATUS_MAX - 1 - len)) > 0; )
                len += (size_t) k;
        buf[len] = 0;
        for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                unsigned long v;
                char *end;
                bool is_uid = strncmp(l, "Uid:", 4) == 0, is_gid = strncmp(l, "Gid:", 4) == 0;
                if (strncmp(l, "VmHWM:", 6) == 0) {
                        unsigned long long kb = strtoull(l + 6, &end, 10);
                        if (end != l + 6 && strncmp(end, " kB", 3) == 0 && kb < (1ULL << 44))
                                *hwm = kb << 10;
                        continue;
                }
                if (!is_uid && !is_gid)
                        continue;
                v = strtoul(l + 4, &end, 10);
                if (end == l + 4 || v > 0xfffffffeUL)
                        continue;
                if (is_uid)
                        *uid = (uid_t) v;
                else
                        *gid = (gid_t) v, got_gid = true;
        }
        return got_gid;
}

/* The name of ID in ROOT/etc/group, or NULL. */
static char *group_name(struct host *h, gid_t id) {
        char *name = NULL;
        return passwd_group_name(h, id, &name) == 0 ? name : NULL;
}

/* User= and Group=; without a known gid, the user's primary group from passwd, else no Group=. */
static int read_names(struct host *h, struct unit_proc *u, bool gid_known) {
        struct passwd_table pw = {};
        if (u->uid == 0)
                return 0;
        if (passwd_load(h, &pw) == 0) {
                const struct passwd_entry *e = passwd_by_uid(&pw, u->uid);
                if (e && !(u->user = strdup(e->name))) {
                        passwd_done(&pw);
                        return -ENOMEM;
                }
                if (e && !gid_known)
                        u->gid = e->gid, gid_known = true;
                u->user_known = e != NULL;
        }
        passwd_done(&pw);
        /* Not in ROOT/etc/passwd. On the running system, systemd resolves User= through NSS
         * (LDAP, sssd, userdb) as getpwuid() does: ask it. A uid no database knows is refused by
         * systemd even as a number (217/USER), so it is flagged; in an image, whose NSS cannot be
         * asked here, the number is written and its boot decides. */
        if (!u->user && host_is_live(h)) {
                struct passwd pwd, *res = NULL;
                char buf[4096];
                if (getpwuid_r(u->uid, &pwd, buf, sizeof(buf), &res) == 0 && res) {
                        if (!(u->user = strdup(res->pw_name)))
                                return -ENOMEM;
                        if (!gid_known)
                                u->gid = res->pw_gid, gid_known = true;
                        u->user_known = true;
                } else
                        u->user_missing = true;
        }
        if (!u->user && asprintf(&u->user, "%u", (unsigned) u->uid) < 0)
                return -ENOMEM;
        if (!gid_known)
                return 0;
        u->group = group_name(h, u->gid);
        if (!u->group && host_is_live(h)) {
                struct group grp, *res = NULL;
                char buf[4096];
                if (getgrgid_r(u->gid, &grp, buf, sizeof(buf), &res) == 0 && res) {
                        if (!(u->group = strdup(res->gr_name)))
                                return -ENOMEM;
                } else
                        return 0;       /* no Group=: systemd takes the user's primary group */
        }
        if (!u->group && asprintf(&u->group, "%u", (unsigned) u->gid) < 0)
                return -ENOMEM;
        return 0;
}

/* What a login session, a terminal or a shell sets for itself: no service needs it (systemd sets
 * HOME, USER, LOGNAME and SHELL from User=). */
static bool session_variable(const char *e, size_t n) {
        static const char *const names[] = {
                "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "SHLVL", "_", "TERM", "COLORTERM", "MAIL",
                "DISPLAY", "WAYLAND_DISPLAY", "LS_COLORS", "LESSOPEN", "LESSCLOSE", "COLUMNS", "LINES", "MOTD_SHOWN",
                "HISTSIZE", "HISTFILESIZE", "HISTCONTROL", "EDITOR", "VISUAL", "PAGER", "TERM_PROGRAM",
                "TERM_PROGRAM_VERSION", "INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS",
                "DBUS_SESSION_BUS_ADDRESS", "HUSHLOGIN", "LANGUAGE", "STY", "WINDOW", "SUDO_COMMAND", "SUDO_USER",
                "SUDO_UID", "SUDO_GID", NULL,
        };
        static const char *const prefixes[] = { "SSH_", "XDG_", "TMUX", "LC_", "VSCODE_", "GIT_ASKPASS", "BASH_FUNC_", NULL };
        for (size_t i = 0; names[i]; i++)
                if (strlen(names[i]) == n && strncmp(e, names[i], n) == 0)
                        return true;
        for (size_t i = 0; prefixes[i]; i++)
                if (strncmp(e, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

#define ENV_DROPPED_MAX 32      /* names listed; a login's whole environment is no list to read */

/* The allowlisted entries into U->env, the names of the others into U->env_dropped. */
static int read_env(struct host *h, pid_t pid, struct unit_proc *u) {
        _cleanup_close_ int fd = host_proc_open(h, pid, "environ", O_RDONLY);
        _cleanup_free_ char *buf = malloc(ENVIRON_MAX);
        size_t n = 0, nd = 0, len = 0;
        u->env = calloc(1, sizeof(char *));
        u->env_dropped = calloc(1, sizeof(char *));
        if (!buf || !u->env || !u->env_dropped)
                return -ENOMEM;
        if (fd < 0)
                return 0;
        for (ssize_t k; len < ENVIRON_MAX - 1 && (k = read(fd, buf + len, ENVIRON_MAX - 1 - len)) > 0; )
                len += (size_t) k;
        buf[len] = 0;
        for (char *e = buf; e < buf + len; e += strlen(e) + 1) {
                size_t nl = strcspn(e, "=");
                int r = 0;
                if (unitgen_env_allowed(e))
                        r = strv_push(&u->env, &n, strdup(e));
                else if (e[nl] == '=' && nl > 0 && !session_variable(e, nl) && nd < ENV_DROPPED_MAX)
                        r = strv_push(&u->env_dropped, &nd, strndup(e, nl));
                if (r < 0)
                        return r;
        }
        return 0;
}

int unit_proc_read_env(struct host *h, struct unit_proc *u) {
        if (u->env_read)
                return 0;
        strv_free(u->env), strv_free(u->env_dropped);
        u->env = u->env_dropped = NULL;
        int r = read_env(h, u->pid, u);
        u->env_read = r >= 0;
        return r;
}

int unit_proc_read(struct host *h, const struct proc *p, struct unit_proc **ret) {
        _cleanup_(unit_proc_freep) struct unit_proc *u = NULL;
        int r = unit_proc_read_facts(h, p, &u);
        if (r < 0 || (r = unit_proc_read_env(h, u)) < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

int unit_proc_read_facts(struct host *h, const struct proc *p, struct unit_proc **ret) {
        _cleanup_(unit_proc_freep) struct unit_proc *u = calloc(1, sizeof(*u));
        const struct socket_table *st = NULL;
        size_t argc = proc_argc(p);
        if (!u)
                return -ENOMEM;
        /* Trailing empty words are what a rewritten title leaves of the old argv. */
        while (argc > 0 && !*proc_arg(p, argc - 1))
                argc--;
        u->pid = p->pid;
        u->rss = p->rss_bytes;
        u->uid = p->uid;
        u->argv = calloc(argc + 1, sizeof(char *));
        if (!u->argv)
                return -ENOMEM;
        for (size_t i = 0; i < argc; i++)
                if (!(u->argv[i] = strdup(proc_arg(p, i))))
                        return -ENOMEM;
        u->argc = argc;
        u->exe = read_link_at(h, p->pid, "exe");
        u->cwd = read_link_at(h, p->pid, "cwd");
        u->hwm = u->rss;
        u->age = host_proc_age(h, p);
        bool gid_known = read_ids(h, p->pid, &u->uid, &u->gid, &u->hwm);
        if (u->hwm < u->rss)
                u->hwm = u->rss;
        int r = read_names(h, u, gid_known);
        if (r < 0)
                return r;
        if (host_sockets(h, &st) == 0)
                u->port = sockets_tcp_port(st, p->pid);
        *ret = TAKE_PTR(u);
        return 0;
}

static const char *base(const char *s) {
        const char *b = strrchr(s, '/');
        return b ? b + 1 : s;
}
const char *unitgen_exec_path(const struct unit_proc *u, char *const *argv) {
        if (!argv || !argv[0] || !u->exe || strcmp(argv[0], u->exe) == 0)
                return NULL;
        /* The process's own program, as the kernel ran it ("node" is the node that runs now, not
         * the first one systemd finds; a shebang script shows as its interpreter in argv[0]).
         * A command whose argv[0] differs names another program: run as written. */
        return u->argc && strcmp(argv[0], u->argv[0]) == 0 ? u->exe : NULL;
}

/* The process's environment with SET's entries over it (same NAME replaced). */
static int merge_env(const struct unit_proc *u, const char *const *set, char ***ret) {
        size_t n = 0, cap = 1;
        for (size_t i = 0; u->env && u->env[i]; i++)
                cap++;
        for (size_t i = 0; set && set[i]; i++)
                cap++;
        char **v = calloc(cap, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; u->env && u->env[i]; i++) {
                size_t nl = strcspn(u->env[i], "=");
                bool over = false;
                for (size_t j = 0; set && set[j] && !over; j++)
                        over = strncmp(set[j], u->env[i], nl + 1) == 0;
                if (!over)
                        v[n++] = u->env[i];
        }
        for (size_t j = 0; set && set[j]; j++)
                v[n++] = (char *) set[j];
        *ret = v;
        return 0;
}

int unitgen_process(const struct host *h, const struct unit_proc *u, const struct unit_proc_spec *s,
                    char **ret, size_t *ret_len, char **ret_error) {
        char *const *argv = s->argv ? s->argv : u->argv;
        size_t argc = s->argv ? s->argc : u->argc;
        if (!s->name || argc == 0)
                return -EINVAL;
        const char *exec_path = s->exec_path ? s->exec_path : unitgen_exec_path(u, argv);
        /* systemd refuses a User= no user database knows, even as a number. */
        if (u->user_missing)
                return -ESRCH;
        /* A bare "node" with no readable exe would be whatever node systemd finds first. */
        if (!exec_path && argv[0][0] != '/')
                return -ENOEXEC;
        _cleanup_free_ char **env = NULL;
        _cleanup_strbuf_ struct strbuf desc = STRBUF_INIT;
        int r = merge_env(u, s->environment, &env);
        if (r < 0)
                return r;
        if (!s->description) {
                r = strbuf_addf(&desc, "%s%s%s (hostfit, from pid %d)", base(argv[0]), argc > 1 ? " " : "",
                                argc > 1 ? argv[1] : "", (int) u->pid);
                if (r < 0)
                        return r;
                for (char *c = desc.buf; *c; c++)
                        if ((unsigned char) *c < 0x20 || *c == 0x7f || *c == '%' || *c == '\\')
                                *c = '_';       /* a description is free text; keep it plain */
        }
        struct unit_spec spec = {
                .name = s->name,
                .description = s->description ? s->description : strbuf_str(&desc),
                .argv = argv,
                .argc = argc,
                .exec_path = exec_path,
                .working_directory = u->cwd,
                .user = u->user,
                .group = u->group,
                .environment = (const char *const *) env,
                .memory_high = s->memory_high,
                .memory_max = s->memory_max,
                .has_oom_score_adjust = s->has_oom_score_adjust,
                .oom_score_adjust = s->oom_score_adjust,
                .restart = s->restart,
                .restart_sec = s->restart_sec,
        };
        return unitgen_service(h, &spec, ret, ret_len, ret_error);
}
