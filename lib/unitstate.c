/* Live unit state over sd-bus (ActiveState, MainPID, MemoryCurrent, NRestarts). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "host.h"
#include "unitstate.h"

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
