/* SPDX-License-Identifier: MIT */
/* Templates: unit, drop-in, timer and config files with {{name}} placeholders.
 *
 * The files in templates/ are compiled into the binary; a file of the same name
 * in ROOT/etc/hostfit/templates/ overrides the built-in one. Values are pasted
 * as given: the caller escapes them for the file's syntax (see lib/unitquote.h).
 */
#pragma once

#include <stddef.h>

struct host;

struct template_file {
        const char *name;
        size_t len;
        const char *text;
};

extern const struct template_file template_builtins[];  /* NULL-name-terminated */

#define TEMPLATE_OVERRIDE_DIR "/etc/hostfit/templates"

/* The built-in template NAME, or NULL. */
const struct template_file *template_builtin(const char *name);

/* Render NAME with VARS, a NULL-terminated list of name, value pairs.
 * -ENOENT when there is no such template; -EINVAL when it uses a placeholder
 * VARS does not give, and then *ret_error (owned by the caller) names the
 * template and the placeholder. */
int template_render(const struct host *h, const char *name, const char *const *vars,
                    char **ret, size_t *ret_len, char **ret_error);
/* The same on a template text already in memory (tests, overrides). */
int template_expand(const char *name, const char *text, size_t len, const char *const *vars,
                    char **ret, size_t *ret_len, char **ret_error);
