/* SPDX-License-Identifier: MIT */
/* Templates: look up (override, then built-in) and expand {{name}} placeholders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "text/strbuf.h"
#include "host/template.h"

const struct template_file *template_builtin(const char *name) {
        for (const struct template_file *t = template_builtins; t->name; t++)
                if (strcmp(t->name, name) == 0)
                        return t;
        return NULL;
}

static const char *var_lookup(const char *const *vars, const char *name, size_t len) {
        for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
                if (strlen(vars[i]) == len && strncmp(vars[i], name, len) == 0)
                        return vars[i + 1];
        return NULL;
}

int template_expand(const char *name, const char *text, size_t len, const char *const *vars,
                    char **ret, size_t *ret_len, char **ret_error) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        const char *end = text + len;
        int r;
        for (const char *s = text; s < end; ) {
                const char *open = memmem(s, (size_t) (end - s), "{{", 2);
                if (!open) {
                        r = strbuf_add(&sb, s, (size_t) (end - s));
                        if (r < 0)
                                return r;
                        break;
                }
                r = strbuf_add(&sb, s, (size_t) (open - s));
                if (r < 0)
                        return r;
                const char *close = memmem(open + 2, (size_t) (end - open - 2), "}}", 2);
                if (!close) {
                        if (ret_error && asprintf(ret_error, "template %s: unclosed {{", name) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                const char *v = var_lookup(vars, open + 2, (size_t) (close - open - 2));
                if (!v) {
                        if (ret_error && asprintf(ret_error, "template %s: unknown placeholder {{%.*s}}",
                                                  name, (int) (close - open - 2), open + 2) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                r = strbuf_adds(&sb, v);
                if (r < 0)
                        return r;
                s = close + 2;
        }
        char *out = strbuf_detach(&sb, ret_len);
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}

int template_render(const struct host *h, const char *name, const char *const *vars,
                    char **ret, size_t *ret_len, char **ret_error) {
        if (!name || !*name || strchr(name, '/'))
                return -EINVAL;
        char path[512];
        if (snprintf(path, sizeof(path), "%s/%s", TEMPLATE_OVERRIDE_DIR, name) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = h ? host_read_file(h, path, 1 << 20, &text, &len) : -ENOENT;
        if (r == 0)
                return template_expand(path, text, len, vars, ret, ret_len, ret_error);
        if (r != -ENOENT) {
                if (ret_error && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        const struct template_file *t = template_builtin(name);
        if (!t)
                return -ENOENT;
        return template_expand(name, t->text, t->len, vars, ret, ret_len, ret_error);
}
