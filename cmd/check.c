/* SPDX-License-Identifier: MIT */
/* hostfit check: run the checks and report, with an exit status monitoring can read. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "host/config.h"
#include "host/host.h"
#include "output.h"
#include "output-metrics.h"
#include "report.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report *, report_free);

static int check_run(int argc, char **argv);

const struct command cmd_check = {
        .name = "check",
        .summary = "find the settings that let the OOM killer take a service silently",
        .usage = "check [ID...] [--root DIR] [--format text|json|prometheus|nagios] [--output FILE]\n"
                 "                     [--profile production|development] [--quiet] [--verbose]\n"
                 "                     [--timeout DURATION] [--version]\n"
                 "\n"
                 "Run every check (or the ones named) and report what is wrong and how to fix it.\n"
                 "\n"
                 "  -r, --root DIR       read the host under DIR instead of / (a mounted image)\n"
                 "  -f, --format FORMAT  text (default), json, prometheus (node_exporter textfile)\n"
                 "                       or nagios (one status line with perfdata)\n"
                 "  -o, --output FILE    write the report to FILE atomically (temp file + rename)\n"
                 "  -p, --profile NAME   production or development (overrides hostfit.conf)\n"
                 "  -q, --quiet          print only what needs action (warnings, failures, errors)\n"
                 "  -v, --verbose        list every finding of a group with its evidence; with nagios,\n"
                 "                       one more line a finding (long output)\n"
                 "  -t, --timeout TIME   give up after TIME (30, 30s, 5min; exit 3, UNKNOWN for nagios)\n"
                 "  -V, --version        show the version\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 all pass or skip, 1 worst is a warning, 2 a check failed,\n"
                 "3 hostfit could not run (bad usage, unknown check, unreadable root or config,\n"
                 "or a check could not read what it needs).\n",
        .run = check_run,
};

struct check_output {
        const struct report *r;
        struct host *h;
        const struct output_options *o;
        enum format format;
        double duration;
};

static int check_render(void *userdata, FILE *f) {
        const struct check_output *c = userdata;
        switch (c->format) {
        case FORMAT_JSON:
                return output_json(c->r, &(struct output_meta) {
                                .hint = c->o->hint, .root = host_root(c->h), .profile = config_profile(host_config(c->h)),
                                .hostname = command_hostname(c->h), .time = time(NULL) }, f);
        case FORMAT_PROMETHEUS:
                return report_render_prometheus(c->r, f, time(NULL), c->duration);
        case FORMAT_NAGIOS:
                return report_render_nagios(c->r, f, c->o->verbose);
        default:
                return output_text(c->r, c->o, f);
        }
}

/* Monitoring reads one line even when hostfit could not run, and it drops
 * stderr: the reason goes in that line. A metrics file keeps the last good
 * run's series and says that this one failed. */
static int check_trouble(enum format format, const char *output) {
        const char *why = log_last_error();
        if (format == FORMAT_NAGIOS)
                (void) report_render_nagios_unknown(stdout, why ? why : "hostfit could not run");
        if (format == FORMAT_PROMETHEUS && output) {
                int k = report_write_prometheus_failed(output);
                if (k < 0)
                        log_error("cannot write %s: %s", output, strerror(-k));
        }
        return EXIT_TROUBLE;
}

static int check_usage_error(enum format format) {
        (void) command_usage_error(&cmd_check);
        return check_trouble(format, NULL);
}

/* Before the options are parsed: was FORMAT asked for? For nagios even a
 * usage error is then one UNKNOWN line on stdout. */
static bool argv_wants(int argc, char **argv, const char *format) {
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                if (strcmp(a, "--") == 0)
                        break;
                if ((strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) && i + 1 < argc)
                        v = argv[++i];
                else if (strncmp(a, "--format=", 9) == 0)
                        v = a + 9;
                else if (strncmp(a, "-f", 2) == 0)
                        v = a + 2;
                if (v && strcmp(v, format) == 0)
                        return true;
        }
        return false;
}

static char timeout_line[128];
static size_t timeout_len;
static int timeout_fd = STDERR_FILENO;

static void timeout_handler(int sig) {
        (void) sig;
        ssize_t n = write(timeout_fd, timeout_line, timeout_len);
        (void) n;
        _exit(EXIT_TROUBLE);
}

/* -t SECS: a plugin that hangs holds its monitoring engine's worker. */
static int arm_timeout(const char *arg, bool nagios) {
        uint64_t v = 0;
        if (parse_duration(arg, &v) < 0 || v == 0 || v > 86400) {
                log_error("check: --timeout expects a duration from 1s to 1d (30, 30s, 5min), not '%s'", arg);
                return -EINVAL;
        }
        unsigned long secs = (unsigned long) v;
        int n = snprintf(timeout_line, sizeof(timeout_line),
                         nagios ? "hostfit UNKNOWN - timed out after %lu s\n"
                                : "hostfit: check timed out after %lu s\n", secs);
        timeout_len = n > 0 ? (size_t) n : 0;
        timeout_fd = nagios ? STDOUT_FILENO : STDERR_FILENO;
        struct sigaction sa = { .sa_handler = timeout_handler };
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0)
                return -errno;
        alarm((unsigned) secs);
        return 0;
}

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int check_run(int argc, char **argv) {
        static const struct option options[] = {
                { "root",    required_argument, NULL, 'r' },
                { "format",  required_argument, NULL, 'f' },
                { "profile", required_argument, NULL, 'p' },
                { "quiet",   no_argument,       NULL, 'q' },
                { "verbose", no_argument,       NULL, 'v' },
                { "output",  required_argument, NULL, 'o' },
                { "timeout", required_argument, NULL, 't' },
                { "version", no_argument,       NULL, 'V' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *root = "/", *profile = NULL, *output = NULL;
        enum format format = argv_wants(argc, argv, "nagios") ? FORMAT_NAGIOS : FORMAT_TEXT;
        struct output_options o = { .color = use_color(stdout) };
        double t0 = now_seconds();
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:f:p:qvo:t:Vh", options, NULL)) >= 0)
                switch (c) {
                case 'r': root = optarg; break;
                case 'f':
                        if (parse_format(optarg, &format) < 0)
                                return check_usage_error(format);
                        break;
                case 'p':
                        if (check_profile(optarg) < 0)
                                return check_usage_error(format);
                        profile = optarg;
                        break;
                case 't':
                        if (arm_timeout(optarg, format == FORMAT_NAGIOS) < 0)
                                return check_usage_error(format);
                        break;
                case 'V':
                        puts("hostfit " HOSTFIT_VERSION);
                        return EXIT_OK;
                case 'q': o.quiet = true; break;
                case 'v': o.verbose = true; break;
                case 'o':
                        output = optarg;
                        o.color = false;
                        break;
                case 'h':
                        command_help(&cmd_check);
                        return EXIT_OK;
                default:
                        (void) command_bad_option(&cmd_check, argv, c);
                        return check_trouble(format, NULL);
                }

        _cleanup_(host_freep) struct host *h = NULL;
        _cleanup_(report_freep) struct report *r = NULL;
        if (command_open_host(root, profile, &h) < 0)
                return check_trouble(format, output);
        if (command_run_checks(h, argv + optind, (size_t) (argc - optind), &r) < 0)
                return check_trouble(format, output);

        _cleanup_free_ char *hint_global = NULL, *hint_root = NULL;
        if (command_hint_options(root, &hint_global, &hint_root) < 0)
                return check_trouble(format, output);
        struct output_hint hint = { .global = hint_global, .root = hint_root };
        o.hint = &hint;
        struct check_output out = { .r = r, .h = h, .o = &o, .format = format,
                                    .duration = now_seconds() - t0 };
        int k = output ? output_write_atomic(output, check_render, &out) : check_render(&out, stdout);
        if (k < 0) {
                log_error("cannot write the report%s%s: %s", output ? " to " : "", output ? output : "", strerror(-k));
                return EXIT_TROUBLE;
        }
        k = report_exit_status(r);
#if !HAVE_ASAN
        /* The report is written and the process ends: the kernel takes the heap back at once,
         * for less than a free() a finding, a line and a unit (15,000 findings at 20,000 units).
         * Under the sanitizer all is freed, for its leak check to see every allocation. */
        r = NULL, h = NULL;
#endif
        return k;
}
