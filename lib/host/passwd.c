/* SPDX-License-Identifier: MIT */
/* ROOT/etc/passwd: name:password:uid:gid:gecos:home:shell, one user a line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text/grow.h"
#include "text/cleanup.h"
#include "host/host.h"
#include "host/passwd.h"

#define PASSWD_MAX (4u << 20)

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

static int parse_id(const char *s, unsigned *ret) {
        char *end;
        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > 0xFFFFFFFEul)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* Split LINE in place at ':' into exactly 7 fields. */
static int parse_line(char *line, struct passwd_entry *e) {
        char *f[7];
        size_t n = 0;
        for (char *s = line, *tok; (tok = strsep(&s, ":")); n++) {
                if (n == 7)
                        return -EINVAL;
                f[n] = tok;
        }
        unsigned uid, gid;
        if (n != 7 || !*f[0] || parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0 || f[5][0] != '/')
                return -EINVAL;
        e->name = strdup(f[0]);
        e->home = strdup(f[5]);
        e->shell = strdup(f[6]);
        e->uid = uid;
        e->gid = gid;
        if (!e->name || !e->home || !e->shell) {
                free(e->name);
                free(e->home);
                free(e->shell);
                return -ENOMEM;
        }
        return 0;
}

int passwd_parse(const char *text, struct passwd_table *ret) {
        struct passwd_table t = {};
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *line = copy, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!*line || *line == '#' || *line == '+' || *line == '-')
                        continue;
                struct passwd_entry e = {};
                int r = parse_line(line, &e);
                if (r == -ENOMEM) {
                        passwd_done(&t);
                        return r;
                }
                if (r < 0)
                        continue;
                struct passwd_entry *ne = grow_due(t.n) ? reallocarray(t.e, grow_cap(t.n), sizeof(*ne)) : t.e;
                if (!ne) {
                        free(e.name);
                        free(e.home);
                        free(e.shell);
                        passwd_done(&t);
                        return -ENOMEM;
                }
                t.e = ne;
                t.e[t.n++] = e;
        }
        *ret = t;
        return 0;
}

int passwd_load(const struct host *h, struct passwd_table *ret) {
        _cleanup_free_ char *text = NULL;
        int r = host_read_file(h, "/etc/passwd", PASSWD_MAX, &text, NULL);
        if (r < 0)
                return r;
        return passwd_parse(text, ret);
}

const struct passwd_entry *passwd_by_uid(const struct passwd_table *t, uid_t uid) {
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].uid == uid)
                        return &t->e[i];
        return NULL;
}
