/* SPDX-License-Identifier: MIT */
/* Users and their home directories, from ROOT/etc/passwd; group names from ROOT/etc/group. */
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

/* Parse ROOT/etc/passwd with libc's fgetpwent_r on a bounded copy read under the root
 * (host_fopen()). Lines libc refuses (too few fields, a uid that is not a number) and
 * NIS "+"/"-" lines, entries without a name or with a relative home are skipped.
 * -ENOENT when the file is missing; -ENXIO for a FIFO or a device. */
int passwd_load(const struct host *h, struct passwd_table *ret);
int passwd_parse(const char *text, struct passwd_table *ret);
void passwd_done(struct passwd_table *t);
const struct passwd_entry *passwd_by_uid(const struct passwd_table *t, uid_t uid);
/* The name of group GID in ROOT/etc/group (fgetgrent_r on a bounded copy); -ENOENT when
 * no line has it. *ret is the caller's. */
int passwd_group_name(const struct host *h, gid_t gid, char **ret);
