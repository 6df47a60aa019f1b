/* SPDX-License-Identifier: MIT */
/* The process tree: ancestry, what kind of process a parent is, and the unit a
 * process runs in. Pure functions of the process table (lib/host/host.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host/host.h"
#include "text/strbuf.h"

enum proc_kind {
        PROC_OTHER,
        PROC_INIT,              /* PID 1 */
        PROC_SHELL,             /* sh, bash, dash, zsh, fish, ksh, … */
        PROC_TMUX_SERVER,       /* "tmux: server" (tmux renames its server) */
        PROC_TMUX_CLIENT,
        PROC_SCREEN,
        PROC_PKG_RUNNER,        /* npm, npx, pnpm, yarn, bun run (also as node .../npm-cli.js) */
        PROC_PRIV,              /* sudo, su, doas, runuser, setpriv */
        _PROC_KIND_MAX,
};

const char *proc_kind_to_string(enum proc_kind k);      /* "shell", "tmux server", … */
enum proc_kind proc_classify(const struct proc *p);

/* The last component of argv[0] (or the comm when argv is empty); borrowed. */
const char *proc_name(const struct proc *p);

/* The unit P runs in, from its cgroup: the innermost component ending in
 * ".service" or ".scope" ("nginx.service", "session-3.scope"); -ENOENT when none. */
int proc_cgroup_unit(const struct proc *p, char **ret_unit);
/* True when the innermost unit is a .service (system or user manager). */
bool proc_in_service(const struct proc *p);

/* The container runtime P belongs to, from its cgroup: docker ("docker-ID.scope",
 * "/docker/ID"), kubernetes ("kubepods…", "cri-containerd-ID.scope", "crio-ID.scope"),
 * podman ("libpod-ID.scope"), nspawn and libvirt ("machine.slice"), lxc ("lxc.payload.NAME",
 * "/lxc/NAME"). *ret_name (may be NULL) says which: "docker 0123456789ab". false: a host process. */
bool proc_in_container(const struct proc *p, char **ret_name);

/* P's ancestors, parent first, up to and including PID 1, at most MAX;
 * stops at a PID missing from the table or at a loop. Returns how many. */
size_t proc_ancestors(const struct proc_table *t, const struct proc *p, const struct proc **out, size_t max);

/* "tmux: server → zsh → bash → node": ancestors below PID 1, outermost first,
 * then P; names escaped for a terminal. */
int proc_describe_chain(const struct proc_table *t, const struct proc *p, struct strbuf *out);
