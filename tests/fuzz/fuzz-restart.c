/* SPDX-License-Identifier: MIT */
/* restart-storm's rule over any restart settings: a unit file (then, after a "\n--\n" line,
 * one admin drop-in) read as systemd reads it, the rule's numbers from an optional first
 * line "# version=254 max-restarts=10 interval=10s burst=5". Asserted:
 * - the settings are those the unit model reads (Restart=, RestartSec=), the burst within 32 bits;
 * - the Restart= hostfit may give after a kill is one that restarts after a kill;
 * - the drop-in the rule gives parses back to exactly its keys, values systemd reads back
 *   to the same numbers (no overflow, no value it rejects), and with it read after the
 *   admin's files the unit ends or backs off (the rule holds), Restart= is the one intended,
 *   and the admin's StartLimit*=, RestartSteps= and RestartMaxDelaySec= are kept;
 * - where no drop-in helps, a manual step is said instead. */
#include "dropin-check.h"

#define UNIT "app.service"

static void rule_from(const char *text, struct restart_rule *rule) {
        *rule = (struct restart_rule) { .version = 252, .max_per_hour = 10, .default_interval = 10000000,
                                        .default_burst = 5 };
        if (strncmp(text, "# ", 2) != 0)
                return;
        size_t n = strcspn(text, "\n");
        char *line = strndup(text + 2, n - 2), *save = NULL;
        if (!line)
                abort();
        for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                char *eq = strchr(w, '=');
                unsigned long long v;
                uint64_t t;
                if (!eq)
                        continue;
                *eq++ = '\0';
                v = strtoull(eq, NULL, 10);
                if (strcmp(w, "version") == 0)
                        rule->version = v > 10000 ? 10000 : (unsigned) v;
                else if (strcmp(w, "max-restarts") == 0)    /* as rule_load() bounds it */
                        rule->max_per_hour = v < 1 ? 1 : v > 100000 ? 100000 : (unsigned) v;
                else if (strcmp(w, "burst") == 0)
                        rule->default_burst = v > UINT_MAX ? UINT_MAX : (unsigned) v;
                else if (strcmp(w, "interval") == 0 && unit_parse_sec(eq, &t) == 0)
                        rule->default_interval = t;
        }
        free(line);
}

static void check_desired(struct unit *u, const struct restart_settings *a, const char *policy,
                          const struct restart_rule *rule) {
        struct restart_dropin d;
        char *manual = NULL, *text = NULL;
        size_t len = 0;
        int r = restart_desired(UNIT, a, policy, rule, &d, &manual);
        if (r == 1) {
                if (!manual || !strstr(manual, UNIT))
                        abort();
                free(manual);
                return;
        }
        if (r != 0 || manual)
                abort();
        if (policy && d.restart != policy)
                abort();
        if (restart_dropin_empty(&d))
                return;         /* nothing to write: the admin's settings already end */
        if (restart_dropin_render(UNIT, &d, &text, &len) < 0)
                abort();
        size_t before = u->n_a;
        assert_dropin_text(UNIT, text, len, &d, u);
        struct restart_settings e;
        restart_settings_read(u, rule, true, &e);
        if (!restart_course_ok(&e, rule) || strcmp(e.restart, policy ? policy : a->restart) != 0)
                abort();
        if ((a->interval_at && e.limit_interval != a->limit_interval) || (a->burst_at && e.limit_burst != a->limit_burst) ||
            (a->steps_at && e.steps != a->steps) || (a->max_delay_at && e.max_delay != a->max_delay))
                abort();        /* the admin's own limit overridden */
        if (d.max_delay && d.max_delay <= e.restart_usec)
                abort();        /* systemd ignores a RestartMaxDelaySec= below RestartSec= */
        /* Take the drop-in out again for the next policy. */
        unit_drop_assignments(u, before);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        size_t len = strlen(text);
        const char *sep = strstr(text, "\n--\n");
        size_t unit_len = sep ? (size_t) (sep - text) + 1 : len;
        struct restart_rule rule;
        struct restart_settings a;
        rule_from(text, &rule);
        struct unit *u = calloc(1, sizeof(*u));
        if (!u || !(u->name = strdup(UNIT)) || !(u->id = strdup(UNIT)))
                abort();
        if (unit_parse_buffer(u, DROPIN_UNIT_DIR UNIT, text, unit_len) < 0 ||
            (sep && unit_parse_buffer(u, DROPIN_UNIT_DIR UNIT ".d/override.conf", sep + 4, len - unit_len - 3) < 0))
                abort();
        restart_settings_read(u, &rule, false, &a);
        if (strcmp(a.restart, unit_service_restart(u)) != 0 || a.restart_usec != unit_service_restart_usec(u) ||
            a.limit_burst > UINT_MAX)
                abort();
        (void) restart_course_ok(&a, &rule);
        const char *policy = NULL;
        char *manual = NULL;
        if (restart_policy_after_kill(UNIT, &a, &policy, &manual) < 0 || (policy && manual) ||
            (policy && !restart_after_kill(policy)) || (restart_after_kill(a.restart) && (policy || manual)))
                abort();
        free(manual);
        check_desired(u, &a, NULL, &rule);
        if (policy)
                check_desired(u, &a, policy, &rule);
        unit_free(u);
        free(text);
        return 0;
}
