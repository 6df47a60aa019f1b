/* The typed facts the systemd checks hand to their fixes (finding->data). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* unit-memorymax */
struct memorymax_data {
        char *unit;             /* the unit's name */
        char *dropin;           /* where the limit goes: /etc/systemd/system/UNIT.d/50-hostfit-memory.conf */
        uint64_t rss;           /* what its processes use now, bytes */
        uint64_t max;           /* from [unit-memorymax] max = UNIT:SIZE; 0: the default rule */
        bool overridden;        /* a drop-in sorting after any name hostfit would use sets the limit */
};
void memorymax_data_free(void *p);
/* The default MemoryMax= for a unit using RSS bytes on a host with RAM bytes (0: unknown). */
uint64_t memorymax_default(uint64_t rss, uint64_t ram);
/* "UNIT:SIZE …" from the config: the size for UNIT, 0 when not named. */
uint64_t memorymax_config_max(const char *list, const char *unit);

/* unmanaged-service */
struct unit_proc;
struct unmanaged_data {
        pid_t pid;
        struct unit_proc *proc;  /* exe, argv, cwd, user, environment: what its unit is made of (unitgen.h) */
        uint16_t port;          /* first TCP port, 0 when none */
        char *name;             /* proposed unit name */
        const char *owner;      /* the check whose fix owns it (lib/procown.h): another's plans no unit here */
};
void unmanaged_data_free(void *p);

/* healthcheck-missing */
struct healthcheck_data {
        char *unit;
        uint16_t port;
        char *instance;         /* "hostfit-health@nginx.service_8080" without the suffix, escaped */
};
void healthcheck_data_free(void *p);
/* "hostfit-health@UNIT_PORT" with the instance escaped as systemd-escape does. */
int healthcheck_instance(const char *unit, uint16_t port, char **ret);
