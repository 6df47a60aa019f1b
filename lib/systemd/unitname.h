/* SPDX-License-Identifier: MIT */
/* Unit names as systemd checks them (src/basic/unit-name.c unit_name_is_valid),
 * for every unit name read from the host (journal, cgroup path, /proc, a file
 * name) before it reaches a report, a path or a file; and the guard that keeps
 * a path hostfit writes for a unit inside the unit directory it is meant for.
 * Pure functions of their arguments: no allocation except the escape, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define UNIT_NAME_MAX 255       /* systemd's UNIT_NAME_MAX (256) less its NUL */

enum unit_name_form {
        UNIT_NAME_PLAIN = 1 << 0,       /* "foo.service" */
        UNIT_NAME_INSTANCE = 1 << 1,    /* "foo@bar.service" */
        UNIT_NAME_TEMPLATE = 1 << 2,    /* "foo@.service" */
        UNIT_NAME_ANY = UNIT_NAME_PLAIN | UNIT_NAME_INSTANCE | UNIT_NAME_TEMPLATE,
};

/* NAME is a unit name of one of FORMS: at most UNIT_NAME_MAX bytes, only
 * [A-Za-z0-9:_.\\-] before the type (and one '@', not first), a known type
 * suffix (".service" … ".scope"). No '/', no control byte, no space: a valid
 * name is always one path component and never "." or "..". Stricter than
 * systemd in one place: a second '@' is refused. */
bool unit_name_is_valid_form(const char *name, unsigned forms);
/* Any form. */
bool unit_name_is_valid(const char *name);
/* The first N bytes of P (not NUL-terminated, may hold NULs) are a valid name of any form. */
bool unit_name_is_valid_len(const char *p, size_t n);
/* True for "foo@.service". */
bool unit_name_is_template(const char *name);
/* ".service" for a valid "foo.service", NULL for anything not a valid name. */
const char *unit_name_type(const char *name);
/* systemd-escape of free text as an instance name ("a-b/c" -> "a\x2db-c"). */
int unit_instance_escape(const char *s, char **ret);

/* PATH, absolute, lies in a unit directory (".../systemd/system/", ".../systemd/user/",
 * the generator, transient, control and attached directories) only as a unit
 * file, "UNIT.d/NAME.conf", or a "UNIT.{wants,requires,upholds}/UNIT" link,
 * UNIT a valid name, and has no ".", ".." or empty component. Paths outside
 * any unit directory only need the last of those. */
bool unit_path_is_confined(const char *path);
