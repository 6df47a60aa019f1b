/* SPDX-License-Identifier: MIT */
/* Undo and the units of a run: never a running unit left without its file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "plan/plan.h"
#include "records/runrecord.h"
#include "records/undo-units.h"
#include "systemd/unitstate.h"

#define UNIT_DIR "/etc/systemd/system/"

/* The unit file state ("enabled", …) from the running systemd; NULL when unknown. */
char *undo_unit_file_state(struct host *h, const char *unit) {
        if (!unit_state_available(h))
                return NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *s;
        char *ret = NULL;
        if (sd_bus_open_system(&bus) >= 0 &&
            sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnitFileState", &e, &reply, "s", unit) >= 0 &&
            sd_bus_message_read(reply, "s", &s) >= 0)
                ret = strdup(s);
        sd_bus_error_free(&e);
        return ret;
}

bool undo_unit_active(struct host *h, const char *unit) {
        struct unit_state us;
        if (unit_state_get(h, unit, &us) < 0)
                return false;
        bool active = us.active_state && strcmp(us.active_state, "inactive") != 0 &&
                      strcmp(us.active_state, "failed") != 0;
        unit_state_clear(&us);
        return active;
}

bool undo_unit_failed(struct host *h, const char *unit) {
        struct unit_state us;
        if (unit_state_get(h, unit, &us) < 0)
                return false;
        bool failed = us.active_state && strcmp(us.active_state, "failed") == 0;
        unit_state_clear(&us);
        return failed;
}

void undo_strv_free(char **v) {
        for (char **s = v; s && *s; s++)
                free(*s);
        free(v);
}

static int strv_push(char ***v, size_t *n, const char *s) {
        char **nv = reallocarray(*v, *n + 2, sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strdup(s)))
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

/* The unit NAME a file the run created is, or NULL (a drop-in, a template, elsewhere). */
static const char *created_unit(const struct run_action *a) {
        if (a->kind != ACTION_WRITE_FILE || !a->created || !a->path ||
            (a->outcome != OUTCOME_APPLIED && a->outcome != OUTCOME_PENDING) ||
            strncmp(a->path, UNIT_DIR, strlen(UNIT_DIR)) != 0)
                return NULL;
        const char *name = a->path + strlen(UNIT_DIR);
        const char *dot = strrchr(name, '.');
        if (!*name || strchr(name, '/') || !dot || dot[-1] == '@')
                return NULL;
        static const char *const types[] = { ".service", ".timer", ".socket", ".path", ".swap", ".mount", ".target" };
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(dot, types[i]) == 0)
                        return name;
        return NULL;
}

static bool run_linked(const struct run_record *run, const char *path) {
        for (size_t i = 0; i < run->n_actions; i++)
                if (run->actions[i].kind == ACTION_SYMLINK && run->actions[i].path &&
                    strcmp(run->actions[i].path, path) == 0)
                        return true;
        return false;
}

/* Under another root: the enable links of UNIT in ROOT/etc/systemd/system/X.wants|X.requires
 * (those the run made itself are undone as its own actions). */
static int unlink_enable_links(struct host *h, struct plan *p, const struct run_record *run, const char *check,
                               const char *unit) {
        _cleanup_close_ int fd = host_open_file(h, UNIT_DIR, O_RDONLY | O_DIRECTORY);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        int r = 0;
        for (struct dirent *de; r >= 0 && (de = readdir(d)); ) {
                size_t l = strlen(de->d_name);
                if (!((l > 6 && strcmp(de->d_name + l - 6, ".wants") == 0) ||
                      (l > 9 && strcmp(de->d_name + l - 9, ".requires") == 0)))
                        continue;
                _cleanup_free_ char *link = NULL;
                struct stat st;
                if (asprintf(&link, UNIT_DIR "%s/%s", de->d_name, unit) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (host_stat(h, link, &st) == 0 && S_ISLNK(st.st_mode) && !run_linked(run, link))
                        r = plan_add_remove(p, check, link, 0);
        }
        closedir(d);
        return r < 0 ? r : 0;
}

int undo_units_stop(struct host *h, struct plan *p, const struct run_record *run, struct strbuf *refused,
                    char ***ret) {
        char **units = NULL;
        size_t n = 0;
        int r = 0;
        for (size_t i = run->n_actions; r >= 0 && i > 0; i--) {
                const struct run_action *a = &run->actions[i - 1];
                const char *unit = created_unit(a);
                struct stat st;
                if (!unit || host_stat(h, a->path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (!host_is_live(h)) {
                        r = unlink_enable_links(h, p, run, a->check, unit);
                        continue;
                }
                struct stat sd;
                if (!unit_state_available(h)) {
                        /* A manager runs, but cannot be asked whether this unit does. */
                        if (host_stat(h, "/run/systemd/system", &sd) == 0)
                                strbuf_addf(refused, "%s: cannot ask systemd whether %s runs; not removed while "
                                            "it might (stop and disable it, then undo again)\n", a->path, unit);
                        continue;
                }
                if (undo_unit_active(h, unit) && (r = plan_add_systemd(p, a->check, SYSTEMD_STOP, unit, NULL)) < 0)
                        break;
                _cleanup_free_ char *state = undo_unit_file_state(h, unit);
                if (state && (strcmp(state, "enabled") == 0 || strcmp(state, "enabled-runtime") == 0 ||
                              strcmp(state, "linked") == 0) &&
                    (r = plan_add_systemd(p, a->check, SYSTEMD_DISABLE, unit, NULL)) < 0)
                        break;
                r = strv_push(&units, &n, unit);
        }
        if (r < 0) {
                undo_strv_free(units);
                return r;
        }
        *ret = units;
        return 0;
}
