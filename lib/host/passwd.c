/* SPDX-License-Identifier: MIT */
/* ROOT/etc/passwd and ROOT/etc/group, parsed by libc (fgetpwent_r, fgetgrent_r) from a
 * bounded copy opened safely under the root: never the host's NSS, never a FIFO. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/grow.h"
#include "text/cleanup.h"
#include "host/host.h"
#include "host/passwd.h"

#define ENTRY_MAX (1u << 20)    /* one line's strings, at most: libc asks for more with ERANGE */

void passwd_done(struct passwd_table *t) {
        for (size_t i = 0; i < t->n; i++) {
                free(t->e[i].name);
                free(t->e[i].home);
                free(t->e[i].shell);
        }
        free(t->e);
        t->e = NULL;
        t->n = 0;
}

/* libc's entry as ours; 0 when kept, 1 when skipped (NIS "+"/"-" lines, no name, a relative
 * home, an id libc read from "-1"), -ENOMEM. */
static int take_entry(const struct passwd *pw, struct passwd_entry *e) {
        if (!pw->pw_name[0] || pw->pw_name[0] == '+' || pw->pw_name[0] == '-' || !pw->pw_dir ||
            pw->pw_dir[0] != '/' || pw->pw_uid == (uid_t) -1 || pw->pw_gid == (gid_t) -1)
                return 1;
        e->name = strdup(pw->pw_name);
        e->home = strdup(pw->pw_dir);
        e->shell = strdup(pw->pw_shell ? pw->pw_shell : "");
        e->uid = pw->pw_uid;
        e->gid = pw->pw_gid;
        if (!e->name || !e->home || !e->shell) {
                free(e->name);
                free(e->home);
                free(e->shell);
                return -ENOMEM;
        }
        return 0;
}

/* The next entry of F into PW with its strings in *BUF (grown on ERANGE); 0, 1 at the end, -errno. */
static int next_pw(FILE *f, struct passwd *pw, char **buf, size_t *size) {
        for (;;) {
                struct passwd *res = NULL;
                int r = fgetpwent_r(f, pw, *buf, *size, &res);
                if (r == 0 && res)
                        return 0;
                if (r == ENOENT || (r == 0 && !res))
                        return 1;
                if (r != ERANGE || *size >= ENTRY_MAX)
                        return r == ERANGE ? 1 : -r;
                char *nb = realloc(*buf, *size * 4);
                if (!nb)
                        return -ENOMEM;
                *buf = nb;
                *size *= 4;
        }
}

static int parse_stream(FILE *f, struct passwd_table *ret) {
        struct passwd_table t = {};
        size_t size = 4096;
        _cleanup_free_ char *buf = malloc(size);
        struct passwd pw;
        int r;
        if (!buf)
                return -ENOMEM;
        while ((r = next_pw(f, &pw, &buf, &size)) == 0) {
                struct passwd_entry e = {};
                int k = take_entry(&pw, &e);
                if (k > 0)
                        continue;
                struct passwd_entry *ne = k < 0 ? NULL : grow_due(t.n) ? reallocarray(t.e, grow_cap(t.n), sizeof(*ne)) : t.e;
                if (!ne) {
                        if (k == 0) {
                                free(e.name);
                                free(e.home);
                                free(e.shell);
                        }
                        passwd_done(&t);
                        return -ENOMEM;
                }
                t.e = ne;
                t.e[t.n++] = e;
        }
        if (r < 0) {
                passwd_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

int passwd_parse(const char *text, struct passwd_table *ret) {
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return strlen(text) ? -errno : (*ret = (struct passwd_table) {}, 0);
        return parse_stream(f, ret);
}

int passwd_load(const struct host *h, struct passwd_table *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        int r = host_fopen(h, "/etc/passwd", &f);
        if (r < 0)
                return r;
        return parse_stream(f, ret);
}

const struct passwd_entry *passwd_by_uid(const struct passwd_table *t, uid_t uid) {
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].uid == uid)
                        return &t->e[i];
        return NULL;
}

int passwd_group_name(const struct host *h, gid_t gid, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        int r = host_fopen(h, "/etc/group", &f);
        if (r < 0)
                return r;
        size_t size = 4096;
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                struct group gr, *res = NULL;
                r = fgetgrent_r(f, &gr, buf, size, &res);
                if (r == ERANGE && size < ENTRY_MAX) {
                        char *nb = realloc(buf, size * 4);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        size *= 4;
                        continue;
                }
                if (r != 0 || !res)
                        return r == 0 || r == ENOENT || r == ERANGE ? -ENOENT : -r;
                if (gr.gr_gid != gid || !gr.gr_name[0] || gr.gr_name[0] == '+' || gr.gr_name[0] == '-')
                        continue;
                char *s = strdup(gr.gr_name);
                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
}
