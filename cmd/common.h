/* SPDX-License-Identifier: MIT */
/* What the subcommands share: option errors, usage, color, opening the host, the apply prompt. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct command;
struct host;
struct report;
struct run_record;

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS, FORMAT_NAGIOS };

/* Color on F. --color=auto (the default): a terminal, NO_COLOR unset or
 * empty and TERM not "dumb"; never on a pipe. --color=always|never force it. */
bool use_color(FILE *f);
/* "auto", "always" or "never"; logs and returns -EINVAL otherwise. */
int set_color_mode(const char *s);
/* --config FILE: a configuration file read as given (not under the root)
 * instead of /etc/hostfit/hostfit.conf under the root; NULL when not given. */
extern const char *command_config_path;

/* "text", "json", "prometheus" or "nagios"; logs and returns -EINVAL otherwise. */
int parse_format(const char *s, enum format *ret);
/* The same for a command that writes text or json only; logs and returns -EINVAL otherwise. */
int parse_format_text_json(const char *s, enum format *ret);
/* "production" or "development"; logs and returns -EINVAL otherwise. */
int check_profile(const char *s);

/* The full usage of C on stdout (for -h/--help). */
void command_help(const struct command *c);
/* The synopsis of C on stderr, after a usage error; returns EXIT_TROUBLE. */
int command_usage_error(const struct command *c);
/* Say what getopt found wrong at ARGV[OPTIND - 1] and print the synopsis; returns EXIT_TROUBLE. */
int command_bad_option(const struct command *c, char **argv, int opt);

/* host_open(ROOT), load its hostfit.conf, apply PROFILE (may be NULL).
 * Logs why on failure and returns -errno. */
int command_open_host(const char *root, const char *profile, struct host **ret);
/* The host's name: this system's for the live root, else the first line of
 * ROOT/etc/hostname; NULL when there is none. Valid until the next call. */
const char *command_hostname(struct host *h);
/* The fix/undo lock on H's root (lib/apply/lock.h), waiting at most WAIT_MS; says
 * why when it cannot be had. The lock's fd, held until it is closed or the
 * process ends, or -errno. */
int command_take_lock(struct host *h, unsigned wait_ms);
/* "Apply N changes? [y/N]" on stdout; true when stdin answers y or yes. */
bool command_ask_yes(size_t n);
/* STAMP, the argument of C (NULL when none was given), is a run stamp (lib/records/runrecord.h);
 * else logs "C: 'STAMP' is not a run stamp" and HINT, and returns -EINVAL. */
int command_check_stamp(const struct command *c, const char *stamp, const char *hint);
/* The run records of H, oldest first (lib/records/runrecord.h); warns of those that cannot
 * be read. Logs why on failure and returns -errno. */
int command_list_runs(struct host *h, struct run_record ***ret, size_t *ret_n);
/* Run the checks named in IDS (all when none) on H. An unknown id is logged
 * ("unknown check 'x' (see hostfit list)") and returns -ENOENT. */
int command_run_checks(struct host *h, char *const *ids, size_t n_ids, struct report **ret);

/* The options a hint must carry to act on what a run on ROOT checked: " --config
 * FILE" (the global option, when given) in *RET_GLOBAL and " --root DIR" (when not
 * "/") in *RET_ROOT, each shell-quoted and absolute; "" for none. New strings. */
int command_hint_options(const char *root, char **ret_global, char **ret_root);
