/* SPDX-License-Identifier: MIT */
/* Systemd actions over sd-bus: reload, enable, start, restart, and runtime
 * unit properties with typed values. Called by apply only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"
#include "host/config.h"

#define SD_DEST  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

/* Properties hostfit sets at runtime, all sizes in bytes ("t"). */
static const char *const size_properties[] = {
        "MemoryMax", "MemoryHigh", "MemorySwapMax", "MemoryLow", "MemoryMin",
};

int systemd_property_parse(const char *assignment, char **ret_name, uint64_t *ret_value) {
        const char *eq = strchr(assignment, '=');
        if (!eq || eq == assignment)
                return -EINVAL;
        size_t n = (size_t) (eq - assignment);
        if (n == strlen("OOMScoreAdjust") && strncmp(assignment, "OOMScoreAdjust", n) == 0)
                return -EOPNOTSUPP;
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(size_properties); i++)
                known = known || (strlen(size_properties[i]) == n && strncmp(assignment, size_properties[i], n) == 0);
        if (!known)
                return -EINVAL;
        uint64_t v;
        if (strcmp(eq + 1, "infinity") == 0)
                v = UINT64_MAX;
        else if (parse_size(eq + 1, &v) < 0)
                return -EINVAL;
        char *name = strndup(assignment, n);
        if (!name)
                return -ENOMEM;
        *ret_name = name;
        *ret_value = v;
        return 0;
}

int systemd_append_properties(sd_bus_message *m, char *const *props, struct strbuf *msg) {
        int r = sd_bus_message_open_container(m, 'a', "(sv)");
        for (char *const *p = props; r >= 0 && p && *p; p++) {
                _cleanup_free_ char *name = NULL;
                uint64_t v;
                r = systemd_property_parse(*p, &name, &v);
                if (r == -EOPNOTSUPP) {
                        strbuf_addf(msg, "%s cannot be set at runtime; it takes effect from the unit file on the next start", *p);
                        return r;
                }
                if (r < 0) {
                        strbuf_addf(msg, "unsupported property assignment: %s", *p);
                        return r;
                }
                r = sd_bus_message_append(m, "(sv)", name, "t", v);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0 && msg->len == 0)
                strbuf_addf(msg, "cannot build the D-Bus message: %s", strerror(-r));
        return r < 0 ? r : 0;
}

#define JOB_TIMEOUT_USEC (UINT64_C(120) * 1000000)
/* A reload re-reads every unit file: on a loaded or slow host it takes longer than
 * sd-bus's default 25 s. systemctl daemon-reload waits 6 minutes; so does hostfit. */
#define RELOAD_TIMEOUT_USEC (UINT64_C(360) * 1000000)

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int new_call(sd_bus *bus, const char *method, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(bus, ret, SD_DEST, SD_PATH, SD_IFACE, method);
}

/* Build the call for A; the unit name and its arguments. */
static int build_call(sd_bus *bus, const struct action *a, sd_bus_message **ret, struct strbuf *msg) {
        sd_bus_message *m = NULL;
        int r;
        switch (a->op) {
        case SYSTEMD_DAEMON_RELOAD:
                r = new_call(bus, "Reload", &m);
                break;
        case SYSTEMD_ENABLE:
                r = new_call(bus, "EnableUnitFiles", &m);
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, (char *[]) { a->unit, NULL });
                if (r >= 0)
                        r = sd_bus_message_append(m, "bb", false, false);
                break;
        case SYSTEMD_START:
        case SYSTEMD_RESTART:
                r = new_call(bus, a->op == SYSTEMD_START ? "StartUnit" : "RestartUnit", &m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", a->unit, "replace");
                break;
        case SYSTEMD_DISABLE:
                r = new_call(bus, "DisableUnitFiles", &m);
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, (char *[]) { a->unit, NULL });
                if (r >= 0)
                        r = sd_bus_message_append(m, "b", false);
                break;
        case SYSTEMD_RESET_FAILED:
                r = new_call(bus, "ResetFailedUnit", &m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", a->unit);
                break;
        case SYSTEMD_STOP:
                r = new_call(bus, "StopUnit", &m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", a->unit, "replace");
                break;
        case SYSTEMD_SET_PROPERTY:
                r = new_call(bus, "SetUnitProperties", &m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "sb", a->unit, true);
                if (r >= 0)
                        r = systemd_append_properties(m, a->properties, msg);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                if (msg->len == 0)
                        strbuf_addf(msg, "cannot build the D-Bus call: %s", strerror(-r));
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct job_wait {
        const char *path;       /* the job to wait for */
        char *result;           /* its result once removed: "done", "failed", … */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct job_wait *w = userdata;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && strcmp(path, w->path) == 0 && !w->result)
                w->result = strdup(result);
        return 0;
}

/* Like systemctl start: the unit is up (or failed) when the job is gone. */
static int wait_for_job(sd_bus *bus, sd_bus_message *reply, struct job_wait *w, const struct action *a,
                        struct strbuf *msg) {
        int r = sd_bus_message_read(reply, "o", &w->path);
        if (r < 0)
                return r;
        uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
        while (!w->result) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                uint64_t t = now_usec();
                if (t >= deadline) {
                        strbuf_addf(msg, "systemd %s %s: still running after %u s, not waiting longer",
                                    systemd_op_to_string(a->op), a->unit, (unsigned) (JOB_TIMEOUT_USEC / 1000000));
                        return -ETIME;
                }
                r = sd_bus_wait(bus, deadline - t);
                if (r < 0)
                        return r;
        }
        if (strcmp(w->result, "done") != 0) {
                strbuf_addf(msg, "systemd %s %s: job %s (see systemctl status %s)",
                            systemd_op_to_string(a->op), a->unit, w->result, a->unit);
                return -EIO;
        }
        return 0;
}

int systemd_apply(const struct action *a, struct strbuf *msg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        /* Validate before connecting: a property that cannot be set is the same error with or without a bus. */
        for (char **p = a->op == SYSTEMD_SET_PROPERTY ? a->properties : NULL; p && *p; p++) {
                _cleanup_free_ char *name = NULL;
                uint64_t v;
                int r = systemd_property_parse(*p, &name, &v);
                if (r == -EOPNOTSUPP) {
                        strbuf_addf(msg, "%s cannot be set at runtime; it takes effect from the unit file on the next start", *p);
                        return r;
                }
                if (r < 0) {
                        strbuf_addf(msg, "unsupported property assignment: %s", *p);
                        return r;
                }
        }
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                strbuf_addf(msg, "cannot connect to the system bus: %s", strerror(-r));
                return r;
        }
        bool wait = a->op == SYSTEMD_START || a->op == SYSTEMD_RESTART || a->op == SYSTEMD_STOP;
        _cleanup_free_ char *result = NULL;
        struct job_wait w = { 0 };
        if (wait) {
                /* Match before the call, so the job cannot finish unseen. */
                r = sd_bus_match_signal(bus, NULL, SD_DEST, SD_PATH, SD_IFACE, "JobRemoved", on_job_removed, &w);
                if (r >= 0)
                        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_IFACE, "Subscribe", &error, NULL, NULL);
                if (r < 0) {
                        strbuf_addf(msg, "cannot follow systemd's jobs: %s", error.message ? error.message : strerror(-r));
                        return r;
                }
        }
        r = build_call(bus, a, &m, msg);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, a->op == SYSTEMD_DAEMON_RELOAD ? RELOAD_TIMEOUT_USEC : 0, &error, &reply);
        if (r < 0) {
                strbuf_addf(msg, "systemd %s%s%s failed: %s", systemd_op_to_string(a->op),
                            a->unit ? " " : "", a->unit ? a->unit : "",
                            error.message ? error.message : strerror(-r));
                return r;
        }
        if (wait) {
                r = wait_for_job(bus, reply, &w, a, msg);
                result = w.result;
                if (r < 0 && msg->len == 0)
                        strbuf_addf(msg, "systemd %s %s: %s", systemd_op_to_string(a->op), a->unit, strerror(-r));
                return r;
        }
        return 0;
}
