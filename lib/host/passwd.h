/* SPDX-License-Identifier: MIT */
/* Users and their home directories, from ROOT/etc/passwd. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct host;

struct passwd_entry {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;             /* absolute within the root */
        char *shell;
};

struct passwd_table {
        struct passwd_entry *e;
        size_t n;
};

/* Parse ROOT/etc/passwd. Malformed lines (too few fields, a uid that is not a
 * number, a relative home) are skipped. -ENOENT when the file is missing. */
int passwd_load(const struct host *h, struct passwd_table *ret);
int passwd_parse(const char *text, struct passwd_table *ret);
void passwd_done(struct passwd_table *t);
const struct passwd_entry *passwd_by_uid(const struct passwd_table *t, uid_t uid);
