/* SPDX-License-Identifier: MIT */
/* The fixes, one a check that has one (see checks/check.h). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "check.h"
#include "systemd/unitgen.h"

extern const struct fix fix_devserver;
extern const struct fix fix_healthcheck;
extern const struct fix fix_keepalive;
extern const struct fix fix_memorymax;
extern const struct fix fix_metrics_timer;
extern const struct fix fix_node_heap;
extern const struct fix fix_restart;
extern const struct fix fix_swapfile;
extern const struct fix fix_tmux_resurrect;
extern const struct fix fix_unit;
extern const struct fix fix_wrapper_oom;
extern const struct fix fix_zram;

/* A service unit for a process found running (fixes/unit.c): the only way a fix writes one.
 * The unit comes from unitgen_process() (real exe, cwd, User=/Group=, allowlisted environment). */
struct fix_unit_request {
        const char *check;                      /* check id (static); must own the process (checks/procown.h) */
        const struct unit_proc *proc;           /* from unit_proc_read() */
        struct unit_proc_spec spec;             /* name (required), and how the unit departs from the process */
};
/* Plan /etc/systemd/system/NAME and a daemon-reload when it changes, and claim its port in the
 * plan. Never enabled here: a unit for a process that runs is enabled in the hand-over
 * (fix_plan_handover()), or a reboot before it would start both. 1 when planned (possibly nothing
 * left to change). 0 when it cannot be planned safely, with *ret_why (the caller's, a sentence)
 * saying why for a manual step: the process already runs under a unit (that unit gets a drop-in),
 * the command is a dev command (no fix ever writes one), the program is not known exactly, or a
 * value cannot be written. -errno when hostfit failed, or the plan refused it (-EEXIST a path
 * another action holds, -EADDRINUSE a port another unit of the plan serves). */
int fix_plan_process_unit(struct host *h, struct plan *p, const struct fix_unit_request *req, char **ret_why);
/* The hand-over of a process to UNIT, a manual step naming the unit and its file, in order: STOP
 * (shell commands that end the old launcher and its process, e.g. "kill 103"), daemon-reload,
 * enable --now UNIT; then EXTRA (a sentence, may be NULL). The variables of U's environment
 * the unit does not carry are named (never their values), with where to set them. */
int fix_plan_handover(struct plan *p, const char *check, const char *unit, const char *stop,
                      const char *extra, const struct unit_proc *u);
/* The service P runs under, validated as systemd validates a unit name: 1 with *ret_unit (the
 * caller's) and *ret_user (a user manager's unit), 0 when P runs under no service. */
int fix_proc_service(const struct proc *p, char **ret_unit, bool *ret_user);
/* MemoryMax= of SPEC (and MemoryHigh= at nine tenths of it, where unit-memorymax writes one) by
 * unit-memorymax's rule, from what U used over its life (VmHWM, the most it was resident) once it
 * has run [unit-memorymax] min-uptime, or [unit-memorymax] max = UNIT:SIZE. 1 when sized; 0 with
 * *ret_why (the caller's; the sentence for the hand-over) when too young or not measured: the unit
 * then carries no limit; -ENOMEM. */
int fix_unit_memory(struct host *h, const struct unit_proc *u, struct unit_proc_spec *spec, char **ret_why);
/* The same for the unit of a shell loop LOOP: from the peak of the loop's cgroup (memory.peak,
 * v1's max_usage_in_bytes) over the loop's life, never from what runs at this moment. */
int fix_loop_memory(struct host *h, const struct unit_proc *loop, struct unit_proc_spec *spec, char **ret_why);
/* The running process PID and the check that owns it (checks/procown.h): 1 with both set; 0 when
 * it is gone, owned by no check or a container's (its runtime runs it); -errno. */
int fix_proc_owner(struct host *h, pid_t pid, const struct proc **ret_proc, const char **ret_owner);
/* A stable name for U's unit: "hostfit-TOOL-PORT.service", else TOOL and its cwd's last component, else its pid. */
int fix_unit_name(const struct unit_proc *u, const char *tool, char **ret);

/* Enable UNIT (its file at UNIT_PATH, whose content is TEXT) in the targets of
 * TEXT's [Install] WantedBy=: see plan_add_enable(). A WantedBy= hostfit cannot
 * read as plain unit names becomes a manual step. Returns how many actions were added. */
int fix_plan_enable(struct plan *p, const char *check, const char *unit, const char *unit_path,
                    const char *text, size_t len);

/* The facts a tmux-resurrect finding hands to its fix. */
struct tmux_finding {
        uid_t uid;              /* the user whose tmux.conf it is */
        gid_t gid;
        char *conf_path;        /* the user's last-loaded tmux.conf, else ~/.tmux.conf (to be made, the user's own) */
        pid_t pid;              /* the service inside tmux, 0 when none runs */
        bool set_processes;     /* @resurrect-processes is not 'false' yet */
        bool set_restore;       /* @continuum-restore is on */
};

/* metrics-timer: hostfit-check.service and .timer in /etc/systemd/system, refreshing [metrics] path. */
#define METRICS_SERVICE "hostfit-check.service"
#define METRICS_TIMER "hostfit-check.timer"
#define METRICS_UNIT_DIR "/etc/systemd/system/"
#define METRICS_TIMER_LINK METRICS_UNIT_DIR "timers.target.wants/" METRICS_TIMER
#define METRICS_PATH_DEFAULT "/var/lib/prometheus/node-exporter/hostfit.prom"

/* The facts a metrics-timer finding about the units hands to its fix. */
struct metrics_timer_facts {
        bool enabled;           /* METRICS_TIMER_LINK exists */
};
/* [metrics] path, or the default. */
const char *metrics_path(const struct host *h);
/* The directory of PATH (the textfile collector's); -EINVAL when PATH names no file ("/", "/dir/"). */
int metrics_path_dir(const char *path, char **ret);
/* The content hostfit writes to METRICS_UNIT_DIR NAME (METRICS_SERVICE or METRICS_TIMER):
 * the template, overridable, with [metrics] path quoted for systemd. On -EINVAL
 * *ret_error (the caller's) may say which template or value is wrong. */
int metrics_timer_render(const struct host *h, const char *name, char **ret, size_t *ret_len, char **ret_error);
