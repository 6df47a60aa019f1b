/* SPDX-License-Identifier: MIT */
/* Rendering a plan: text (diffs and one line an action, escaped for a
 * terminal) and JSON. Rendering never touches the host. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text/cleanup.h"
#include "text/diff.h"
#include "text/escape.h"
#include "plan/plan.h"
#include "text/strbuf.h"
#include "text/strv.h"

#define COLOR_RED   "\033[31m"
#define COLOR_GREEN "\033[32m"
#define COLOR_CYAN  "\033[36m"
#define COLOR_BOLD  "\033[1m"
#define COLOR_RESET "\033[0m"

static int add_size(struct strbuf *sb, uint64_t bytes) {
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
        if (bytes < 1024)
                return strbuf_addf(sb, "%" PRIu64 " B", bytes);
        double v = (double) bytes / 1024;
        size_t u = 0;
        while (v >= 1024 && u + 1 < ELEMENTSOF(units))
                v /= 1024, u++;
        return strbuf_addf(sb, "%.1f %s", v, units[u]);
}

static int describe_systemd(struct strbuf *sb, const struct action *a) {
        if (a->op != SYSTEMD_SET_PROPERTY)
                return strbuf_addf(sb, "systemctl %s%s%s", systemd_op_to_string(a->op),
                                   a->unit ? " " : "", a->unit ? a->unit : "");
        int r = strbuf_addf(sb, "set-property %s", a->unit);
        for (char **p = a->properties; r == 0 && p && *p; p++)
                r = strbuf_addf(sb, " %s", *p);
        return r < 0 ? r : strbuf_adds(sb, " (runtime)");
}

static int describe_remove(struct strbuf *sb, const struct action *a) {
        int r;
        if (S_ISLNK(a->mode))
                return strbuf_addf(sb, "remove symlink %s -> %s", a->path, a->target);
        if (S_ISDIR(a->mode) && a->subvolume)
                return strbuf_addf(sb, "delete btrfs subvolume %s (when empty)", a->path);
        if (S_ISDIR(a->mode))
                return strbuf_addf(sb, "remove directory %s (when empty)", a->path);
        if (a->size > 0) {
                if ((r = strbuf_addf(sb, "remove swap file %s (", a->path)) < 0 || (r = add_size(sb, a->size)) < 0)
                        return r;
                return strbuf_adds(sb, ")");
        }
        return strbuf_addf(sb, "remove %s", a->path);
}

static int describe_body(struct strbuf *sb, const struct action *a) {
        int r;
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return strbuf_addf(sb, "write-file %s: %s, mode %04o, owner %u:%u", a->path,
                                   a->old ? "replace" : "create", (unsigned) a->mode,
                                   (unsigned) a->uid, (unsigned) a->gid);
        case ACTION_SWAPFILE:
                if ((r = strbuf_addf(sb, "swapfile %s: create ", a->path)) < 0 || (r = add_size(sb, a->size)) < 0)
                        return r;
                return strbuf_addf(sb, ", mode %04o, swap signature", (unsigned) (a->mode ? a->mode : 0600));
        case ACTION_SWAPON:
                if (a->priority >= 0)
                        return strbuf_addf(sb, "swapon %s (priority %d)", a->path, a->priority);
                return strbuf_addf(sb, "swapon %s", a->path);
        case ACTION_SYSTEMD:
                return describe_systemd(sb, a);
        case ACTION_OOM_SCORE_ADJ:
                return strbuf_addf(sb, "pid %d (%s) oom_score_adj %d -> %d", (int) a->pid, a->comm, a->from, a->to);
        case ACTION_MANUAL:
                return strbuf_addf(sb, "manual: %s", a->text ? a->text : "");
        case ACTION_SYMLINK:
                return strbuf_addf(sb, "symlink %s -> %s", a->path, a->target);
        case ACTION_SWAPOFF:
                return strbuf_addf(sb, "swapoff %s", a->path);
        case ACTION_REMOVE:
                return describe_remove(sb, a);
        case ACTION_SUBVOLUME:
                return strbuf_addf(sb, "btrfs subvolume create %s: mode %04o (BTRFS_IOC_SUBVOL_CREATE)", a->path,
                                   (unsigned) (a->mode & 07777));
        default:
                return -EINVAL;
        }
}

static int describe(struct strbuf *sb, const struct action *a) {
        int r = describe_body(sb, a);
        if (r < 0)
                return r;
        /* A pid exists only on the running system: its oom_score_adj never waits for a boot. */
        if (a->deferred && a->kind == ACTION_OOM_SCORE_ADJ)
                return strbuf_addf(sb, " (not applied: %s)", a->text ? a->text :
                                   "does not apply offline: the pid exists only on the running system");
        if (a->deferred)
                return strbuf_addf(sb, " (deferred: %s)", a->text ? a->text : "runs at next boot / when systemd runs");
        if (a->text && a->kind != ACTION_MANUAL)
                return strbuf_addf(sb, " (%s)", a->text);
        return 0;
}

int action_describe(const struct action *a, char **ret) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = describe(&sb, a);
        if (r < 0)
                return r;
        char *s = strbuf_detach(&sb, NULL);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static char *concat(const char *a, const char *b) {
        char *s;
        return asprintf(&s, "%s%s", a, b) < 0 ? NULL : s;
}

/* "a/etc/fstab" for "/etc/fstab". */
static char *diff_label(const char *prefix, const char *path) {
        while (*path == '/')
                path++;
        return concat(prefix, path);
}

struct text_out {
        struct strbuf sb;
        bool color;
};

static int emit_text(void *userdata, enum diff_line type, const char *s, size_t len) {
        struct text_out *o = userdata;
        static const char *const colors[] = {
                [DIFF_HEADER_OLD] = COLOR_BOLD, [DIFF_HEADER_NEW] = COLOR_BOLD, [DIFF_HUNK] = COLOR_CYAN,
                [DIFF_DELETE] = COLOR_RED, [DIFF_INSERT] = COLOR_GREEN,
        };
        const char *color = o->color && type < ELEMENTSOF(colors) ? colors[type] : NULL;
        int r = 0;
        if (color)
                r = strbuf_adds(&o->sb, color);
        if (r == 0)
                r = escape_terminal(&o->sb, s, len);
        if (r == 0 && color)
                r = strbuf_adds(&o->sb, COLOR_RESET);
        return r < 0 ? r : strbuf_addch(&o->sb, '\n');
}

/* A file's change as a diff: a write, or the removal of a regular file (to /dev/null). */
static bool action_has_diff(const struct action *a) {
        return a->kind == ACTION_WRITE_FILE ||
               (a->kind == ACTION_REMOVE && S_ISREG(a->mode) && a->size == 0 && a->old);
}

static int render_remove_text(struct text_out *o, const struct action *a) {
        _cleanup_free_ char *la = diff_label("a/", a->path);
        if (!la)
                return -ENOMEM;
        size_t before = o->sb.len;
        int r = diff_emit(la, a->old, a->old_len, "/dev/null", NULL, 0, emit_text, o);
        if (r < 0 || o->sb.len > before)
                return r;
        /* An empty file has no lines to show. */
        _cleanup_free_ char *h1 = concat("--- ", la);
        if (!h1)
                return -ENOMEM;
        r = emit_text(o, DIFF_HEADER_OLD, h1, strlen(h1));
        return r < 0 ? r : emit_text(o, DIFF_HEADER_NEW, "+++ /dev/null", strlen("+++ /dev/null"));
}

static int render_write_text(struct text_out *o, const struct action *a) {
        if (a->kind == ACTION_REMOVE)
                return render_remove_text(o, a);
        _cleanup_free_ char *la = diff_label("a/", a->path), *lb = diff_label("b/", a->path);
        if (!la || !lb)
                return -ENOMEM;
        size_t before = o->sb.len;
        int r = diff_emit(la, a->old, a->old_len, lb, a->content, a->content_len, emit_text, o);
        if (r < 0 || o->sb.len > before)
                return r;
        /* A new empty file has no lines to show, but is still a change. */
        _cleanup_free_ char *h1 = concat("--- ", a->old ? la : "/dev/null"), *h2 = concat("+++ ", lb);
        if (!h1 || !h2)
                return -ENOMEM;
        r = emit_text(o, DIFF_HEADER_OLD, h1, strlen(h1));
        return r < 0 ? r : emit_text(o, DIFF_HEADER_NEW, h2, strlen(h2));
}

#define ALIKE_NAMES_SHOWN 8       /* past these, the names of alike steps are counted */

/* Marks in SEEN the manual steps after I alike to it and says how many there are, with the
 * names they differ in (and how many more names, past ALIKE_NAMES_SHOWN). */
static int manual_group(struct strbuf *sb, const struct plan *p, size_t i, bool *seen) {
        const struct action *a = plan_action(p, i);
        char **names = NULL;
        size_t n = 0, nn = 0;
        int r = 0;
        if (a->kind != ACTION_MANUAL)
                return 0;
        for (size_t j = i + 1; r >= 0 && j < plan_size(p); j++)
                if (!seen[j] && plan_manual_alike(a, plan_action(p, j))) {
                        seen[j] = true, n++;
                        r = plan_manual_names(a->text, plan_action(p, j)->text, &names, &nn);
                }
        if (r >= 0 && n > 0)
                r = strbuf_addf(sb, "  and %zu more like it%s", n, nn ? ", naming " : "");
        for (size_t k = 0; r >= 0 && n > 0 && k < nn && k < ALIKE_NAMES_SHOWN; k++)
                if ((r = strbuf_adds(sb, k ? ", " : "")) >= 0)
                        r = escape_terminal(sb, names[k], strlen(names[k]));
        if (r >= 0 && n > 0 && nn > ALIKE_NAMES_SHOWN)
                r = strbuf_addf(sb, " and %zu more", nn - ALIKE_NAMES_SHOWN);
        if (r >= 0 && n > 0)
                r = strbuf_adds(sb, " (--verbose lists each)\n");
        strv_free_n(names, nn);
        return r < 0 ? r : 0;
}

int plan_render_text_full(const struct plan *p, FILE *out, bool color, bool every) {
        struct text_out o = { .sb = STRBUF_INIT, .color = color };
        _cleanup_free_ bool *seen = calloc(plan_size(p) + 1, sizeof(*seen));
        int r = seen ? 0 : -ENOMEM;
        if (r == 0 && plan_size(p) == 0)
                r = strbuf_adds(&o.sb, "nothing to do\n");
        for (size_t i = 0; r == 0 && i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (seen[i])
                        continue;
                if (action_has_diff(a)) {
                        r = render_write_text(&o, a);
                        continue;
                }
                _cleanup_free_ char *line = NULL;
                r = action_describe(a, &line);
                if (r == 0)
                        r = escape_terminal(&o.sb, line, strlen(line));
                if (r == 0)
                        r = strbuf_addch(&o.sb, '\n');
                if (r == 0 && !every)
                        r = manual_group(&o.sb, p, i, seen);
        }
        if (r == 0 && o.sb.len > 0 && (fwrite(o.sb.buf, 1, o.sb.len, out) != o.sb.len || fflush(out) == EOF))
                r = -EIO;
        strbuf_release(&o.sb);
        return r;
}

int plan_render_text(const struct plan *p, FILE *out, bool color) {
        return plan_render_text_full(p, out, color, false);
}

static void json_write_fields(struct json *j, const struct action *a) {
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                json_key(j, "mode");
                json_int(j, a->mode);
                json_key(j, "uid");
                json_int(j, a->uid);
                json_key(j, "gid");
                json_int(j, a->gid);
                break;
        case ACTION_SYMLINK:
                json_key(j, "target");
                json_string(j, a->target);
                break;
        case ACTION_SWAPFILE:
                json_key(j, "size");
                json_int(j, (long long) a->size);
                break;
        case ACTION_REMOVE:
                json_key(j, "type");
                json_string(j, S_ISLNK(a->mode) ? "symlink" : S_ISDIR(a->mode) && a->subvolume ? "subvolume" :
                               S_ISDIR(a->mode) ? "directory" :
                               a->size > 0 ? "swapfile" : "file");
                if (S_ISLNK(a->mode)) {
                        json_key(j, "target");
                        json_string(j, a->target);
                }
                break;
        case ACTION_SWAPON:
                json_key(j, "priority");
                json_int(j, a->priority);
                break;
        case ACTION_SYSTEMD:
                json_key(j, "op");
                json_string(j, systemd_op_to_string(a->op));
                json_key(j, "unit");
                json_string(j, a->unit);
                json_key(j, "properties");
                json_array_begin(j);
                for (char **s = a->properties; s && *s; s++)
                        json_string(j, *s);
                json_array_end(j);
                break;
        case ACTION_OOM_SCORE_ADJ:
                json_key(j, "pid");
                json_int(j, a->pid);
                json_key(j, "comm");
                json_string(j, a->comm);
                json_key(j, "from");
                json_int(j, a->from);
                json_key(j, "to");
                json_int(j, a->to);
                break;
        default:
                break;
        }
}

static int json_write_diff(struct json *j, const struct action *a) {
        json_key(j, "diff");
        if (!action_has_diff(a)) {
                json_null(j);
                return 0;
        }
        bool rm = a->kind == ACTION_REMOVE;
        _cleanup_strbuf_ struct strbuf d = STRBUF_INIT;
        _cleanup_free_ char *la = diff_label("a/", a->path), *lb = rm ? strdup("/dev/null") : diff_label("b/", a->path);
        if (!la || !lb)
                return -ENOMEM;
        int r = diff_unified(&d, la, a->old, a->old_len, lb, rm ? NULL : a->content, rm ? 0 : a->content_len);
        if (r < 0)
                return r;
        json_string_len(j, strbuf_str(&d), d.len);
        /* The whole file before and after, for tools that show their own
         * diff (Ansible's --diff); before is null for a new file. */
        json_key(j, "before");
        if (a->old)
                json_string_len(j, a->old, a->old_len);
        else
                json_null(j);
        json_key(j, "after");
        json_string_len(j, a->content, a->content_len);
        return 0;
}

static int json_write_action(struct json *j, const struct action *a) {
        json_object_begin(j);
        json_key(j, "check");
        json_string(j, a->check);
        json_key(j, "kind");
        json_string(j, action_kind_to_string(a->kind));
        json_key(j, "path");
        json_string(j, a->path);
        int r = json_write_diff(j, a);
        if (r < 0)
                return r;
        json_write_fields(j, a);
        json_key(j, "text");
        json_string(j, a->text);
        json_key(j, "deferred");
        json_bool(j, a->deferred);
        json_object_end(j);
        return 0;
}

int plan_render_json_actions(const struct plan *p, struct json *j) {
        json_key(j, "actions");
        json_array_begin(j);
        for (size_t i = 0; i < plan_size(p); i++) {
                int r = json_write_action(j, plan_action(p, i));
                if (r < 0)
                        return r;
        }
        json_array_end(j);
        return 0;
}

int plan_render_json(const struct plan *p, FILE *out) {
        struct json j;
        json_init(&j, out);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        int r = plan_render_json_actions(p, &j);
        if (r < 0)
                return r;
        json_object_end(&j);
        return json_end(&j);
}
