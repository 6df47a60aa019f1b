/* SPDX-License-Identifier: MIT */
/* hostfit incidents: who was killed, by whom, why, did it come back, and which
 * check prevents the next one; from the journal. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "text/escape.h"
#include "host/host.h"
#include "journal/incidents.h"
#include "incidents-output.h"
#include "text/strbuf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);

static int incidents_run(int argc, char **argv);

const struct command cmd_incidents = {
        .name = "incidents",
        .summary = "show the OOM kills and crash loops the journal recorded",
        .usage = "incidents [--since WHEN] [--until WHEN] [--boot] [--unit UNIT] [--root DIR]\n"
                 "                         [--format text|json] [--verbose]\n"
                 "\n"
                 "The post-mortem of OOM kills and crash loops, from the journal: the time, the\n"
                 "killer (kernel, memory-limit, earlyoom, systemd-oomd, nohang), the victim, its\n"
                 "memory and the limit it hit, whether it came back, and the check whose fix\n"
                 "prevents the next one.\n"
                 "\n"
                 "  -S, --since WHEN     from WHEN: YYYY-MM-DD [HH:MM[:SS]] (UTC, as the times\n"
                 "                       printed), -2h, -7d, today, yesterday (UTC days);\n"
                 "                       default: the whole journal\n"
                 "  -U, --until WHEN     up to WHEN, in the same forms; default: now\n"
                 "  -b, --boot           only the current boot\n"
                 "  -u, --unit UNIT      only the incidents of UNIT (e.g. app.service)\n"
                 "  -r, --root DIR       read DIR's journal (DIR/var/log/journal) as an OS tree\n"
                 "  -f, --format FORMAT  text (default) or json\n"
                 "  -v, --verbose        also say how many journal entries were read, and how many\n"
                 "                       ignored: those that claim to come from systemd, the kernel\n"
                 "                       or an OOM daemon and that journald's own fields do not\n"
                 "                       bear out\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 no incident, 1 some, 3 the journal could not be read (hostfit\n"
                 "says which journal and why) or bad usage.\n",
        .run = incidents_run,
};

static void format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / 1000000ULL);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, 32, "@%llu", (unsigned long long) (usec / 1000000ULL));
}

static int add_size(struct strbuf *sb, uint64_t bytes) {
        if (!bytes)
                return strbuf_adds(sb, "-");
        if (bytes >= (1ULL << 30))
                return strbuf_addf(sb, "%.1fG", (double) bytes / (1ULL << 30));
        return strbuf_addf(sb, "%.1fM", (double) bytes / (1ULL << 20));
}

static int add_escaped(struct strbuf *sb, const char *s) {
        return s ? escape_terminal(sb, s, strlen(s)) : strbuf_adds(sb, "-");
}

/* One incident as one line; host bytes escaped. */
int incident_format_line(const struct incident *i, struct strbuf *sb) {
        char t[32];
        format_time(i->time_usec, t);
        int r = strbuf_addf(sb, "%s  %-12s  ", t, i->killer ? killer_to_string(i->killer) : "crash-loop");
        if (r == 0)
                r = add_escaped(sb, i->unit);
        if (r == 0 && i->pid)
                r = strbuf_addf(sb, "  pid %d", (int) i->pid);
        if (r == 0 && i->comm) {
                r = strbuf_adds(sb, " (");
                if (r == 0)
                        r = add_escaped(sb, i->comm);
                if (r == 0)
                        r = strbuf_adds(sb, ")");
        }
        if (r == 0 && i->uid >= 0)
                r = strbuf_addf(sb, " uid %lld", i->uid);
        if (r == 0 && i->killer != KILLER_NONE) {
                r = strbuf_adds(sb, "  rss ");
                if (r == 0)
                        r = add_size(sb, i->rss_bytes);
        }
        if (r == 0 && (i->limit_bytes || i->limit)) {
                r = strbuf_adds(sb, "  limit ");
                if (r == 0 && i->limit_bytes)
                        r = add_size(sb, i->limit_bytes);
                if (r == 0 && i->limit_bytes && i->limit)
                        r = strbuf_adds(sb, " of ");
                if (r == 0 && i->limit)
                        r = add_escaped(sb, i->limit);
        }
        if (r == 0 && i->killer == KILLER_NONE) {
                char last[32];
                format_time(i->last_usec, last);
                r = strbuf_addf(sb, "  %lld restarts until %s", i->restarts, last);
        }
        if (r == 0)
                r = strbuf_addf(sb, "  -> %s", outcome_to_string(i->outcome));
        if (r == 0 && i->killer != KILLER_NONE && i->outcome == OUTCOME_RESTARTED && i->restarts >= 0)
                r = strbuf_addf(sb, " (counter %lld)", i->restarts);
        if (r == 0 && i->prevent)
                r = strbuf_addf(sb, "  prevent: hostfit fix %s", i->prevent);
        else if (r == 0 && i->advice) {
                r = strbuf_addf(sb, "  prevent: %s", i->advice);
                if (r == 0 && i->peak_bytes) {
                        r = strbuf_adds(sb, " (peak since its last start ");
                        if (r == 0)
                                r = add_size(sb, i->peak_bytes);
                        if (r == 0)
                                r = strbuf_adds(sb, ")");
                }
        }
        return r;
}

int incidents_render_text(const struct incident_list *l, bool verbose, FILE *f) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = l->n ? strbuf_addf(&sb, "%zu incident%s (OOM kills and crash loops), oldest first:\n",
                                   l->n, l->n == 1 ? "" : "s")
                     : strbuf_adds(&sb, "0 incidents: no OOM kill or crash loop in the journal\n");
        if (r == 0 && l->n)
                r = strbuf_adds(&sb, "TIME (UTC)            KILLER        UNIT  VICTIM  MEMORY  LIMIT  -> OUTCOME  PREVENT\n");
        for (size_t i = 0; r == 0 && i < l->n; i++) {
                r = incident_format_line(&l->items[i], &sb);
                if (r == 0)
                        r = strbuf_addch(&sb, '\n');
        }
        if (r == 0 && verbose)
                r = strbuf_addf(&sb, "read %zu journal entr%s: the kernel's, systemd's and the OOM daemons'\n",
                                l->read, l->read == 1 ? "y" : "ies");
        if (r == 0 && verbose && l->ignored)
                r = strbuf_addf(&sb, "ignored %zu journal entr%s claiming to be from systemd, the kernel or an OOM "
                                "daemon that journald's own fields (_PID, _UID, _SYSTEMD_UNIT, _COMM) do not bear out\n",
                                l->ignored, l->ignored == 1 ? "y" : "ies");
        if (r < 0)
                return r;
        if (fwrite(strbuf_str(&sb), 1, sb.len, f) != sb.len || fflush(f) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

/* The window read, on the last line: the default (the whole journal) said as such; times in UTC. */
static int print_window(const struct incident_options *o) {
        char since[32], until[32];
        format_time(o->since_usec, since);
        format_time(o->until_usec, until);
        bool whole = !o->since_usec && !o->until_usec && !o->this_boot;
        int n = printf("window: %s%s%s, up to %s%s; times in UTC\n",
                       o->this_boot ? "the current boot, " : "",
                       o->since_usec ? "from " : "the whole journal",
                       o->since_usec ? since : "",
                       o->until_usec ? until : "now",
                       whole ? " (the default)" : "");
        return n < 0 || fflush(stdout) == EOF ? -EIO : 0;
}

static void json_opt_string(struct json *j, const char *key, const char *s) {
        json_key(j, key);
        json_string(j, s);
}

static void json_opt_int(struct json *j, const char *key, long long v, bool known) {
        json_key(j, key);
        if (known)
                json_int(j, v);
        else
                json_null(j);
}

int incidents_render_json(const struct incident_list *l, FILE *f) {
        struct json j;
        json_init(&j, f);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        json_key(&j, "incidents");
        json_array_begin(&j);
        for (size_t n = 0; n < l->n; n++) {
                const struct incident *i = &l->items[n];
                char t[32], last[32];
                format_time(i->time_usec, t);
                format_time(i->last_usec, last);
                json_object_begin(&j);
                json_opt_string(&j, "kind", i->killer == KILLER_NONE ? "crash-loop" : "kill");
                json_opt_string(&j, "time", t);
                json_opt_string(&j, "last_time", last);
                json_opt_string(&j, "killer", killer_to_string(i->killer));
                json_opt_int(&j, "pid", i->pid, i->pid > 0);
                json_opt_string(&j, "comm", i->comm);
                json_opt_int(&j, "uid", i->uid, i->uid >= 0);
                json_opt_string(&j, "unit", i->unit);
                json_opt_string(&j, "cgroup", i->cgroup);
                json_opt_int(&j, "rss_bytes", (long long) i->rss_bytes, i->rss_bytes > 0);
                json_opt_int(&j, "limit_bytes", (long long) i->limit_bytes, i->limit_bytes > 0);
                json_opt_string(&j, "limit", i->limit);
                json_opt_int(&j, "restarts", i->restarts, i->restarts >= 0);
                json_opt_string(&j, "outcome", outcome_to_string(i->outcome));
                json_opt_string(&j, "prevent", i->prevent);
                json_opt_string(&j, "advice", i->advice);
                json_opt_int(&j, "peak_bytes", (long long) i->peak_bytes, i->peak_bytes > 0);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "ignored_entries");
        json_int(&j, (long long) l->ignored);
        json_object_end(&j);
        return json_end(&j);
}

static int incidents_run(int argc, char **argv) {
        static const struct option options[] = {
                { "since",  required_argument, NULL, 'S' },
                { "until",  required_argument, NULL, 'U' },
                { "boot",   no_argument,       NULL, 'b' },
                { "unit",   required_argument, NULL, 'u' },
                { "root",   required_argument, NULL, 'r' },
                { "format", required_argument, NULL, 'f' },
                { "verbose", no_argument,      NULL, 'v' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        struct incident_options o = {};
        const char *root = "/";
        enum format format = FORMAT_TEXT;
        bool verbose = false;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":S:U:bu:r:f:vh", options, NULL)) >= 0)
                switch (c) {
                case 'S':
                case 'U':
                        if (parse_journal_time(optarg, now, c == 'S' ? &o.since_usec : &o.until_usec) < 0) {
                                log_error("incidents: cannot parse time '%s' (YYYY-MM-DD [HH:MM[:SS]], -2h, -7d)", optarg);
                                return command_usage_error(&cmd_incidents);
                        }
                        break;
                case 'b': o.this_boot = true; break;
                case 'v': verbose = true; break;
                case 'u': o.unit = optarg; break;
                case 'r': root = optarg; break;
                case 'f':
                        if (parse_format(optarg, &format) < 0)
                                return command_usage_error(&cmd_incidents);
                        if (format != FORMAT_TEXT && format != FORMAT_JSON) {
                                log_error("incidents: --format takes text or json");
                                return command_usage_error(&cmd_incidents);
                        }
                        break;
                case 'h':
                        command_help(&cmd_incidents);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_incidents, argv, c);
                }
        if (optind < argc) {
                log_error("incidents: unexpected argument '%s'", argv[optind]);
                return command_usage_error(&cmd_incidents);
        }
        if (o.since_usec && o.until_usec && o.until_usec < o.since_usec) {
                log_error("incidents: --until is before --since");
                return command_usage_error(&cmd_incidents);
        }

        _cleanup_(host_freep) struct host *h = NULL;
        if (command_open_host(root, NULL, &h) < 0)
                return EXIT_TROUBLE;
        struct incident_list l = {};
        struct journal_error err;
        int r = incidents_load(h, &o, &l, &err);
        if (r < 0) {
                _cleanup_free_ char *path = escape_terminal_str(err.path);
                log_error("cannot read the journal %s: %s (%s)", path ? path : "?",
                          err.reason ? err.reason : "error", strerror(-r));
                return EXIT_TROUBLE;
        }
        r = format == FORMAT_JSON ? incidents_render_json(&l, stdout) : incidents_render_text(&l, verbose, stdout);
        if (r == 0 && format != FORMAT_JSON)
                r = print_window(&o);
        size_t n = l.n;
        incident_list_release(&l);
        if (r < 0) {
                log_error("cannot write the incidents: %s", strerror(-r));
                return EXIT_TROUBLE;
        }
        return n > 0 ? 1 : EXIT_OK;
}
