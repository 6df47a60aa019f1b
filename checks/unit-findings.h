/* SPDX-License-Identifier: MIT */
/* The typed facts the systemd checks hand to their fixes (finding->data). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct host;

/* unit-memorymax */
/* hostfit's memory drop-in of a unit: /etc/systemd/system/UNIT.d/NAME. It sorts before
 * "50-MemoryMax.conf" (systemctl set-property), so the admin's later limit wins. The
 * old name is still recognised (and rewritten in place) so an upgrade never leaves two. */
#define MEMORY_DROPIN_NAME "49-hostfit-memory.conf"
#define MEMORY_DROPIN_OLD_NAME "50-hostfit-memory.conf"
#define MEMORY_MIN_UPTIME_DEFAULT 600     /* seconds */
struct memorymax_data {
        char *unit;             /* the unit's name */
        char *dropin;           /* where the limit goes: /etc/systemd/system/UNIT.d/49-hostfit-memory.conf */
        bool running;           /* has processes now; when not, nothing was measured */
        uint64_t rss;           /* resident memory summed over its processes, bytes */
        uint64_t current;       /* its cgroup's memory.current, 0 when unreadable */
        uint64_t peak;          /* its cgroup's memory.peak, 0 when unreadable or absent */
        uint64_t max;           /* from [unit-memorymax] max = UNIT:SIZE; 0: the default rule */
        bool overridden;        /* a drop-in sorting after hostfit's sets the limit */
        char *overrider;        /* when overridden: that drop-in's path */
        double age;             /* seconds its oldest process has run; 0: unknown or none */
        uint64_t heap_floor;    /* the heap its node processes were given (sum of their flags), bytes */
};
struct host;
struct plan;
/* True when the host has swap (now, or at boot from fstab), or plan P (may be NULL) already
 * adds it: only then is MemoryHigh= written. */
int memorymax_swap_planned(struct host *h, const struct plan *p);   /* 1, 0, or -errno when it cannot tell */
/* The content of hostfit's memory drop-in of UNIT: MemoryMax=MAX, MemoryHigh=HIGH unless 0,
 * then EXTRA (more [Service] lines, each ending in a newline, e.g. an Environment= line;
 * NULL for none). Rendered from the template memory-dropin.conf. */
int memorymax_dropin_render(struct host *h, const char *unit, uint64_t max, uint64_t high, const char *extra,
                            char **ret, size_t *ret_len);
/* What the unit was measured to use (the largest of rss, current and peak); 0: not measured. */
uint64_t memorymax_usage(const struct memorymax_data *d);
/* D's running, current, peak, rss and age from the processes in cgroup CG (a unit's), its
 * peak from memory.peak (v2) or memory.max_usage_in_bytes (v1), read once a run. */
int memorymax_measure(struct host *h, struct memorymax_data *d, const char *cg);
/* The one rule for the MemoryMax= hostfit writes for D's unit: [unit-memorymax] max, else
 * memorymax_default() of what it used over time (memory.peak, else the largest use seen),
 * at least what its node processes' heap flags need; only after it has run
 * [unit-memorymax] min-uptime (default 10 minutes). 0 with *ret; -ENODATA when nothing of it
 * runs, -EAGAIN when it is too young to size (*ret_wait: seconds left). */
int memorymax_size(struct host *h, const struct memorymax_data *d, uint64_t *ret, double *ret_wait);
/* Whether hostfit writes MemoryHigh= (everywhere: drop-ins and generated units; the check
 * judges its own drop-ins by it too): the host has swap now or at boot, or plan P (may be
 * NULL) adds it. 1, 0, -errno. */
int memorymax_high_wanted(struct host *h, const struct plan *p);
void memorymax_data_free(void *p);
/* The default MemoryMax= for a unit using RSS bytes on a host with RAM bytes (0: unknown). */
uint64_t memorymax_default(uint64_t rss, uint64_t ram);
/* "UNIT:SIZE …" from the config: the size for UNIT, 0 when not named. */
uint64_t memorymax_config_max(const char *list, const char *unit);

/* unmanaged-service */
struct unit_proc;
struct unmanaged_data {
        pid_t pid;
        struct unit_proc *proc;  /* exe, argv, cwd, user: what its unit is made of (unitgen.h); its
                                  * environment is read by the fix (unit_proc_read_env()) */
        uint16_t port;          /* first TCP port, 0 when none */
        char *name;             /* proposed unit name */
        const char *owner;      /* the check whose fix owns it (checks/procown.h): another's plans no unit here */
};
void unmanaged_data_free(void *p);
struct socket_table;
struct proc;
/* The facts of P for its unit (argv, exe, cwd, user, port, name); not its environment. */
int unmanaged_collect_facts(struct host *h, const struct socket_table *st, const struct proc *p, struct unmanaged_data *d);

/* healthcheck-missing */
enum healthcheck_kind {
        HEALTHCHECK_ADD,        /* install the probe templates and enable INSTANCE's timer */
        HEALTHCHECK_STALE,      /* INSTANCE probes a port its unit no longer listens on: stop it, remove its link */
        HEALTHCHECK_SETTINGS,   /* the templates differ from [healthcheck]: rewrite them */
};
struct healthcheck_data {
        enum healthcheck_kind kind;
        char *unit;             /* NULL for SETTINGS */
        uint16_t port;
        char *instance;         /* "hostfit-health@nginx.service_8080" without the suffix, escaped; NULL for SETTINGS */
};
void healthcheck_data_free(void *p);
/* "hostfit-health@UNIT_PORT" with the instance escaped as systemd-escape does. */
int healthcheck_instance(const char *unit, uint16_t port, char **ret);
/* The inverse: UNIT and PORT of the timer or service NAME "hostfit-health@….timer"; -EINVAL when not one. */
int healthcheck_instance_parse(const char *name, char **ret_unit, uint16_t *ret_port);
/* The probe templates as [healthcheck] renders them now (fixes/healthcheck.c). */
int healthcheck_render(struct host *h, const char *template, char **ret, size_t *ret_len);
