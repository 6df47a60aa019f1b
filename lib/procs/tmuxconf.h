/* SPDX-License-Identifier: MIT */
/* A user's tmux configuration as tmux-resurrect and tmux-continuum see it:
 * /etc/tmux.conf, ~/.tmux.conf and ~/.config/tmux/tmux.conf, following source-file
 * (its glob patterns too, as tmux 3 expands them, within the root and bounded). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct host;

#define TMUXCONF_DEPTH_MAX 8
/* A user can write any number of source-file lines: the walk reads each file
 * once and stops at these totals, whatever the depth. */
#define TMUXCONF_FILES_MAX 64
#define TMUXCONF_BYTES_MAX (4u << 20)

struct tmux_conf {
        bool resurrect;          /* @plugin 'tmux-plugins/tmux-resurrect' or run-shell …/resurrect.tmux */
        bool continuum;
        char *processes;         /* @resurrect-processes, NULL when unset (the plugin's short default list) */
        bool continuum_restore;  /* @continuum-restore 'on' */
        bool continuum_boot;     /* @continuum-boot 'on' */
        char *save_interval;     /* @continuum-save-interval, NULL when unset (15 minutes) */
        bool strategy;           /* some @resurrect-strategy-* is set */
        char *main_path;         /* the user's last-loaded file of their own, where settings go last; NULL: none */
        size_t n_files;          /* files read */
        size_t n_bytes;          /* their total size */
        char *problem;           /* the first file that exists but could not be read, and why; NULL: none */
        struct tmux_seen { dev_t dev; ino_t ino; } *seen;   /* files read, each once */
        size_t n_seen, alloc_seen;
};

/* Read the configuration for the user with home HOME (absolute within the root). */
int tmuxconf_load(const struct host *h, const char *home, struct tmux_conf *ret);
/* Parse TEXT as if read from PATH (source-file lines are followed through H when not NULL). */
int tmuxconf_parse(const struct host *h, const char *home, const char *path, const char *text,
                   unsigned depth, struct tmux_conf *c);
void tmuxconf_done(struct tmux_conf *c);

/* The plugin may stop and start processes: loaded, and not (@resurrect-processes 'false' and
 * @continuum-restore off). */
bool tmuxconf_touches_processes(const struct tmux_conf *c);
/* The configuration would restart a server on restore: ':all:', or a list naming one. */
bool tmuxconf_restores_servers(const struct tmux_conf *c);
