/* SPDX-License-Identifier: MIT */
/* hostfit probe: one health probe of a port; restarts the unit after N failures in a row. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct socket_table;

struct probe_opts {
        const char *unit;
        const char *host;               /* numeric address ("10.0.0.5", "::1", "[::1]"); NULL: where UNIT listens */
        uint16_t port;
        const char *http_path;          /* NULL: a TCP connect is enough */
        unsigned timeout_ms;
        unsigned failures;              /* restart after this many in a row */
        const char *state_dir;
        uint64_t grace_usec;            /* --grace: at least this, and at least the unit's start timeout */
        unsigned max_restarts;          /* --max-restarts: an hour */
};

/* One probe of O->host (which must be set): 0 when healthy, else -errno with WHY saying what failed. */
int probe_once(const struct probe_opts *o, char *why, size_t why_size);

/* The address to probe for a service listening on TCP PORT in T: the address it is bound
 * to; for a wildcard, the loopback of its family (0.0.0.0: 127.0.0.1, [::]: ::1). A
 * wildcard wins over a specific address, IPv4 over IPv6, loopback over another address.
 * -ENOENT when nothing listens on PORT. */
int probe_pick_host(const struct socket_table *t, uint16_t port, char *buf, size_t size);

/* The same among the sockets UNIT's processes hold (a unit's cgroup under H's /proc), so
 * another service on the same port is never probed instead; by the port alone when none of
 * them is seen. */
int probe_pick_host_of_unit(struct host *h, const char *unit, uint16_t port, char *buf, size_t size);

/* 1 when UNIT's processes listen on TCP PORT, 0 when they listen on TCP but not on PORT (the
 * service moved), -ENOENT when none of their sockets is seen. */
int probe_unit_listens(struct host *h, const char *unit, uint16_t port);

/* The path to GET for UNIT from "[healthcheck] http-path = UNIT:/PATH …", NULL: a TCP connect. */
const char *probe_http_path_for(const char *list, const char *unit, char *buf, size_t size);

/* What the last probes found, kept in STATE_DIR/UNIT.failures as
 * "COUNT STATE START ANSWERED RESTART,RESTART,…\n" (older files hold "COUNT STATE" or "COUNT"). */
enum probe_health {
        PROBE_UNKNOWN,                  /* no state yet */
        PROBE_UP,                       /* the last probe answered */
        PROBE_DOWN,                     /* the last COUNT probes failed */
        PROBE_STOPPED,                  /* the unit was not running: not probed */
        PROBE_STARTING,                 /* failing, but not answered yet since its start, within the grace */
        PROBE_MOVED,                    /* failing, and the unit listens elsewhere now: never restarted */
        PROBE_CAPPED,                   /* failing, and restarted max-restarts times in the last hour */
        _PROBE_HEALTH_MAX,
};

#define PROBE_RESTARTS_KEPT 16
#define PROBE_USEC_INFINITY UINT64_MAX

struct probe_state {
        unsigned failures;
        enum probe_health health;
        uint64_t start_usec;            /* the unit's start (ActiveEnterTimestampMonotonic) the rest is about */
        bool answered;                  /* it answered since that start */
        uint64_t restarts[PROBE_RESTARTS_KEPT];  /* monotonic µs of the probe's restarts, newest first; 0: none */
};

/* One run's findings. */
struct probe_input {
        bool running;                   /* the unit is active (else OK is ignored) */
        bool ok;                        /* the probe answered */
        bool moved;                     /* its processes listen on TCP, not on the probed port */
        uint64_t start_usec;            /* when it last became active, monotonic µs; 0 unknown */
        uint64_t now_usec;              /* monotonic µs */
};

struct probe_limits {
        unsigned failures;              /* restart after this many in a row */
        uint64_t grace_usec;            /* no restart this long after a start until it answered once; INFINITY: until it answers */
        unsigned max_restarts;          /* restarts an hour, then it stops restarting and says so */
};

/* What one probe means; each event is one journal line, NONE is silence. */
enum probe_event {
        PROBE_EVENT_NONE,
        PROBE_EVENT_UP,                 /* answers (first probe, or again after failures or a stop) */
        PROBE_EVENT_DOWN,               /* the first failure after answering */
        PROBE_EVENT_RESTART,            /* FAILURES failures in a row: try-restart now */
        PROBE_EVENT_STOPPED,            /* the unit stopped running: no probe, no start */
        PROBE_EVENT_STARTING,           /* not answering yet, within its start-up grace: no restart */
        PROBE_EVENT_MOVED,              /* it listens elsewhere now: no restart, the timer is stale */
        PROBE_EVENT_CAPPED,             /* the restart cap is reached: no restart until the hour passes */
};

/* The next state from OLD and this run's IN. Pure: the unit tests drive it through long sequences. */
enum probe_event probe_step(const struct probe_state *old, const struct probe_input *in,
                            const struct probe_limits *lim, struct probe_state *ret);

/* STATE_DIR/UNIT.failures: a missing or unreadable file is PROBE_UNKNOWN with no failures. */
int probe_state_load(const struct probe_opts *o, struct probe_state *ret);
int probe_state_save(const struct probe_opts *o, const struct probe_state *s);
