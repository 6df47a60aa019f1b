/* SPDX-License-Identifier: MIT */
/* Live unit state over sd-bus (ActiveState, MainPID, MemoryCurrent, NRestarts), every
 * loaded service at once, and the version of the systemd that runs or would boot. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "text/cleanup.h"
#include "host/host.h"
#include "systemd/unitstate.h"

#define SD_DEST "org.freedesktop.systemd1"

bool unit_state_available(const struct host *h) {
        return host_is_live(h) && sd_booted() > 0;
}

void unit_state_clear(struct unit_state *s) {
        free(s->active_state);
        memset(s, 0, sizeof(*s));
}

static int get_u32(sd_bus *bus, const char *path, const char *iface, const char *prop, uint32_t *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_trivial(bus, SD_DEST, path, iface, prop, &e, 'u', ret);
        sd_bus_error_free(&e);
        return r;
}

int unit_state_get(const struct host *h, const char *unit, struct unit_state *ret) {
        if (!unit_state_available(h))
                return -EOPNOTSUPP;
        sd_bus *bus = NULL;
        _cleanup_free_ char *path = NULL;
        struct unit_state s = { .memory_current = UINT64_MAX };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, SD_DEST, path, SD_DEST ".Unit", "ActiveState", &e, &s.active_state);
        sd_bus_error_free(&e);
        if (r >= 0 && strstr(unit, ".service")) {
                uint32_t pid = 0;
                /* Properties a unit may lack (not a service, no accounting) stay at their defaults. */
                if (get_u32(bus, path, SD_DEST ".Service", "MainPID", &pid) >= 0)
                        s.main_pid = (pid_t) pid;
                (void) get_u32(bus, path, SD_DEST ".Service", "NRestarts", &s.n_restarts);
                if (sd_bus_get_property_trivial(bus, SD_DEST, path, SD_DEST ".Service", "MemoryCurrent",
                                                &e, 't', &s.memory_current) < 0)
                        s.memory_current = UINT64_MAX;
                sd_bus_error_free(&e);
        }
        sd_bus_flush_close_unref(bus);
        if (r < 0) {
                unit_state_clear(&s);
                return r;
        }
        *ret = s;
        return 0;
}

/* ---- every loaded service at once, for checks that judge live state ---- */

static int (*list_hook)(const struct host *, struct unit_live **, size_t *);
static int (*version_hook)(const struct host *, unsigned *);

void unit_state_set_hooks(int (*list)(const struct host *, struct unit_live **, size_t *),
                          int (*version)(const struct host *, unsigned *)) {
        list_hook = list;
        version_hook = version;
}

void unit_live_free(struct unit_live *v, size_t n) {
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
                free(v[i].active_state);
                free(v[i].sub_state);
                free(v[i].result);
        }
        free(v);
}

static int live_append(struct unit_live **v, size_t *n, const char *name, const char *active, const char *sub) {
        struct unit_live *nv = realloc(*v, (*n + 1) * sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = (struct unit_live) { .name = strdup(name), .active_state = strdup(active), .sub_state = strdup(sub) };
        (*n)++;
        if (!nv[*n - 1].name || !nv[*n - 1].active_state || !nv[*n - 1].sub_state)
                return -ENOMEM;
        return 0;
}

/* One property answer for v[i]: NRestarts ('u') or Result ('s'). */
struct pending {
        struct unit_live *u;
        unsigned *left;
};

static int got_property(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct pending *p = userdata;
        const char *sig = NULL;
        (void) ret_error;
        (*p->left)--;
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_peek_type(m, NULL, &sig) < 0 || !sig)
                return 0;
        if (strcmp(sig, "u") == 0)
                (void) sd_bus_message_read(m, "v", "u", &p->u->n_restarts);
        else if (strcmp(sig, "s") == 0) {
                const char *s = NULL;
                if (sd_bus_message_read(m, "v", "s", &s) >= 0 && s && !p->u->result)
                        p->u->result = strdup(s);
        }
        return 0;
}

static int ask_async(sd_bus *bus, const char *path, const char *prop, struct pending *p) {
        return sd_bus_call_method_async(bus, NULL, SD_DEST, path, "org.freedesktop.DBus.Properties", "Get",
                                        got_property, p, "ss", SD_DEST ".Service", prop);
}

/* ListUnits, then NRestarts of every service (and Result of the failed ones) sent at once
 * on the same connection: one wait for all the answers, not one round trip each. */
static int live_list(sd_bus *bus, struct unit_live **ret, size_t *ret_n) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        struct unit_live *v = NULL;
        char **paths = NULL;
        struct pending *pend = NULL;
        size_t n = 0;
        unsigned left = 0;
        const char *name, *active, *sub, *path;
        int r = sd_bus_call_method(bus, SD_DEST, "/org/freedesktop/systemd1", SD_DEST ".Manager", "ListUnits",
                                   &e, &reply, "");
        sd_bus_error_free(&e);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, &sub,
                                                   NULL, &path, NULL, NULL, NULL)) > 0) {
                size_t len = strlen(name);
                if (len < 8 || strcmp(name + len - 8, ".service") != 0)
                        continue;
                char **np = realloc(paths, (n + 1) * sizeof(char *));
                if (!np) {
                        r = -ENOMEM;
                        break;
                }
                paths = np;
                paths[n] = strdup(path);
                r = live_append(&v, &n, name, active, sub);
                if (r >= 0 && !paths[n - 1])
                        r = -ENOMEM;
                if (r < 0)
                        break;
        }
        if (r >= 0 && n && !(pend = calloc(2 * n, sizeof(*pend))))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                pend[2 * i] = (struct pending) { &v[i], &left };
                if (ask_async(bus, paths[i], "NRestarts", &pend[2 * i]) >= 0)
                        left++;
                if (strcmp(v[i].active_state, "failed") != 0)
                        continue;       /* why it stopped matters only for a unit that is down */
                pend[2 * i + 1] = (struct pending) { &v[i], &left };
                if (ask_async(bus, paths[i], "Result", &pend[2 * i + 1]) >= 0)
                        left++;
        }
        while (r >= 0 && left > 0) {
                int k = sd_bus_process(bus, NULL);
                if (k < 0)
                        r = k;
                else if (k == 0 && (k = sd_bus_wait(bus, 5 * 1000000ULL)) <= 0)
                        r = k < 0 ? k : -ETIMEDOUT;
        }
        sd_bus_message_unref(reply);
        for (size_t i = 0; paths && i < n; i++)
                free(paths[i]);
        free(paths);
        if (r < 0) {
                /* Drop the callbacks still pending before their userdata goes. */
                sd_bus_flush_close_unref(bus);
                free(pend);
                unit_live_free(v, n);
                return r;
        }
        free(pend);
        *ret = v;
        *ret_n = n;
        return 0;
}

int unit_state_list_services(const struct host *h, struct unit_live **ret, size_t *ret_n) {
        if (list_hook)
                return list_hook(h, ret, ret_n);
        if (!unit_state_available(h))
                return -EOPNOTSUPP;
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = live_list(bus, ret, ret_n);
        if (r >= 0)
                sd_bus_flush_close_unref(bus);  /* on failure live_list closed it */
        return r;
}

/* "252.38-1~deb12u1" -> 252 */
int systemd_version_parse(const char *s, unsigned *ret) {
        char *end;
        while (s && *s && (*s < '0' || *s > '9'))
                s++;
        if (!s || !*s)
                return -EINVAL;
        unsigned long v = strtoul(s, &end, 10);
        if (v < 1 || v > 100000)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* The newest libsystemd-shared-NNN in DIR within the root; 0: none. */
static unsigned shared_in(const struct host *h, const char *dir) {
        DIR *d = NULL;
        if (host_opendir(h, dir, &d) < 0)
                return 0;
        unsigned best = 0;
        for (struct dirent *de; (de = readdir(d)); ) {
                unsigned v;
                if (strncmp(de->d_name, "libsystemd-shared-", 18) == 0 && strstr(de->d_name, ".so") &&
                    systemd_version_parse(de->d_name + 18, &v) == 0 && v > best)
                        best = v;
        }
        closedir(d);
        return best;
}

/* Whether NAME is a multiarch tuple as Debian names its library folders:
 * x86_64-linux-gnu, aarch64-linux-gnu, arm-linux-gnueabihf, i386-linux-gnu, ... */
static bool multiarch_tuple(const char *name) {
        const char *p = strstr(name, "-linux-gnu");
        return p && p > name && !strchr(name, '/') && name[0] != '.';
}

/* The file name of the shared library every systemd build ships: libsystemd-shared-NNN.so
 * (Debian appends "-NNN.38-1", Fedora "-NNN.so"), in /usr/lib/systemd, a multiarch folder's
 * systemd (/usr/lib/aarch64-linux-gnu/systemd, /usr/lib/arm-linux-gnueabihf/systemd, any
 * /usr/lib/TUPLE/systemd of the image, whatever the architecture hostfit runs on), lib64's,
 * or /lib/systemd. */
static int version_from_tree(const struct host *h, unsigned *ret) {
        unsigned v = shared_in(h, "/usr/lib/systemd");
        DIR *d = NULL;
        if (!v && host_opendir(h, "/usr/lib", &d) >= 0) {
                for (struct dirent *de; (de = readdir(d)); ) {
                        char path[300];
                        if (!multiarch_tuple(de->d_name) ||
                            snprintf(path, sizeof(path), "/usr/lib/%s/systemd", de->d_name) >= (int) sizeof(path))
                                continue;
                        unsigned m = shared_in(h, path);
                        if (m > v)
                                v = m;
                }
                closedir(d);
        }
        if (!v)
                v = shared_in(h, "/usr/lib64/systemd");
        if (!v)
                v = shared_in(h, "/lib/systemd");
        if (!v)
                return -ENOENT;
        *ret = v;
        return 0;
}

int unit_state_systemd_version(const struct host *h, unsigned *ret) {
        if (version_hook)
                return version_hook(h, ret);
        if (unit_state_available(h)) {
                sd_bus *bus = NULL;
                _cleanup_free_ char *s = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = sd_bus_open_system(&bus);
                if (r >= 0)
                        r = sd_bus_get_property_string(bus, SD_DEST, "/org/freedesktop/systemd1", SD_DEST ".Manager",
                                                       "Version", &e, &s);
                sd_bus_error_free(&e);
                sd_bus_flush_close_unref(bus);
                if (r >= 0 && systemd_version_parse(s, ret) == 0)
                        return 0;
        }
        return version_from_tree(h, ret);
}
