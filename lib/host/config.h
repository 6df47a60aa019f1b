/* SPDX-License-Identifier: MIT */
/* hostfit.conf: ROOT/etc/hostfit/hostfit.conf and hostfit.conf.d/NAME.conf, INI files of known keys.
 *
 *   [hostfit]              profile = production|development, skip = ID ...
 *   [swap]                 size = auto|SIZE, path = /swapfile
 *   [zram]                 size = auto|SIZE, priority = 0..32767 (100)
 *   [image]                memory = SIZE (an offline image: the RAM it will boot with)
 *   [metrics]              timer = yes|no (no), path = /var/lib/prometheus/node-exporter/hostfit.prom
 *   [oom-kills]            window = DURATION (7d): how far back the journal is read
 *   [ignore]               CHECK = REASON, CHECK SUBJECT = REASON [until YYYY-MM-DD]
 *
 * Every key is declared in the table in config.c with its type; values are
 * validated at load, so a getter never fails. A malformed line is an error
 * that names the file and the line.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct config;
struct host;

#define CONFIG_PATH "/etc/hostfit/hostfit.conf"
/* Drop-ins: CONFIG_DIR/NAME.conf, read after CONFIG_PATH in strcmp() order of NAME
 * (dot files skipped); a key set again replaces the value read before, so
 * 90-site.conf wins over 10-vendor.conf, and both over hostfit.conf. */
#define CONFIG_DIR "/etc/hostfit/hostfit.conf.d"
#define CONFIG_DIR_MAX 256

/* Which check ids exist, for values that name checks (skip =, units =): the program sets
 * it once from its check table (checks/registry.c), which lib/ does not include. Until
 * then any id is accepted. */
void config_set_check_known(bool (*known)(const char *id));

int config_new_empty(struct config **ret);
struct config *config_free(struct config *c);

/* Load CONFIG_PATH, then CONFIG_DIR's drop-ins, under the host's root (missing =
 * empty). On -EINVAL, *ret_error is "PATH:LINE: what is wrong" (owned by the caller). */
int config_load(const struct host *h, struct config **ret, char **ret_error);
int config_parse(const char *text, const char *filename, struct config **ret, char **ret_error);

/* Set a value as if read from the file (command-line overrides); -EINVAL if invalid. */
int config_set(struct config *c, const char *section, const char *key, const char *value);

/* The raw value, or NULL when unset. */
const char *config_get(const struct config *c, const char *section, const char *key);
/* Typed values; DFLT when unset. A size "auto" reads as DFLT. */
uint64_t config_get_size(const struct config *c, const char *section, const char *key, uint64_t dflt);
long long config_get_int(const struct config *c, const char *section, const char *key, long long dflt);
bool config_get_bool(const struct config *c, const char *section, const char *key, bool dflt);

const char *config_profile(const struct config *c);   /* "production" unless set */
bool config_skips(const struct config *c, const char *check_id);

/* An [ignore] line that matches a finding: REASON_LEN bytes of REASON are the reason, UNTIL
 * (NULL when none) the "YYYY-MM-DD" that ends it; EXPIRED once the host's clock reaches
 * 00:00 UTC of that day. */
struct config_ignore {
        const char *reason;
        size_t reason_len;
        const char *until;
        bool expired;
};
/* The [ignore] line for CHECK_ID's finding about SUBJECT (or the process COMM; either may be
 * NULL): "CHECK SUBJECT" or "CHECK COMM" before "CHECK" alone. False when none matches. */
bool config_ignored(const struct config *c, const char *check_id, const char *subject, const char *comm,
                    uint64_t now_usec, struct config_ignore *ret);

/* "4096", "512K", "2G", "1T" (powers of 1024, optional "iB"/"B"). */
int parse_size(const char *s, uint64_t *ret);
/* "30", "30s", "5min", "2h", "1d" to seconds. */
int parse_duration(const char *s, uint64_t *ret);
/* "yes/no/true/false/1/0/on/off". */
int parse_bool(const char *s, bool *ret);
