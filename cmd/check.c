/* hostfit check: run the checks and report, with an exit status monitoring can read. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cleanup.h"
#include "command.h"
#include "common.h"
#include "config.h"
#include "host.h"
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
                 "\n"
                 "Run every check (or the ones named) and report what is wrong and how to fix it.\n"
                 "\n"
                 "  -r, --root DIR       read the host under DIR instead of / (a mounted image)\n"
                 "  -f, --format FORMAT  text (default), json, prometheus (node_exporter textfile)\n"
                 "                       or nagios (one status line with perfdata)\n"
                 "  -o, --output FILE    write the report to FILE atomically (temp file + rename)\n"
                 "  -p, --profile NAME   production or development (overrides hostfit.conf)\n"
                 "  -q, --quiet          print only the checks that did not pass\n"
                 "  -v, --verbose        print the evidence behind each finding\n"
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
};

static int check_render(void *userdata, FILE *f) {
        const struct check_output *c = userdata;
        switch (c->format) {
        case FORMAT_JSON:
                return output_json(c->r, host_root(c->h), config_profile(host_config(c->h)), f);
        case FORMAT_PROMETHEUS:
                return report_render_prometheus(c->r, f, time(NULL));
        case FORMAT_NAGIOS:
                return report_render_nagios(c->r, f);
        default:
                return output_text(c->r, c->o, f);
        }
}

/* Monitoring reads one line even when hostfit could not run. */
static int check_trouble(enum format format) {
        if (format == FORMAT_NAGIOS)
                (void) report_render_nagios_unknown(stdout, "hostfit could not run; see its error output");
        return EXIT_TROUBLE;
}

static int check_run(int argc, char **argv) {
        static const struct option options[] = {
                { "root",    required_argument, NULL, 'r' },
                { "format",  required_argument, NULL, 'f' },
                { "profile", required_argument, NULL, 'p' },
                { "quiet",   no_argument,       NULL, 'q' },
                { "verbose", no_argument,       NULL, 'v' },
                { "output",  required_argument, NULL, 'o' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *root = "/", *profile = NULL, *output = NULL;
        enum format format = FORMAT_TEXT;
        struct output_options o = { .color = use_color(stdout) };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:f:p:qvo:h", options, NULL)) >= 0)
                switch (c) {
                case 'r': root = optarg; break;
                case 'f':
                        if (parse_format(optarg, &format) < 0)
                                return command_usage_error(&cmd_check);
                        break;
                case 'p':
                        if (check_profile(optarg) < 0)
                                return command_usage_error(&cmd_check);
                        profile = optarg;
                        break;
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
                        return command_bad_option(&cmd_check, argv, c);
                }

        _cleanup_(host_freep) struct host *h = NULL;
        _cleanup_(report_freep) struct report *r = NULL;
        if (command_open_host(root, profile, &h) < 0)
                return check_trouble(format);
        if (command_run_checks(h, argv + optind, (size_t) (argc - optind), &r) < 0)
                return check_trouble(format);

        struct check_output out = { .r = r, .h = h, .o = &o, .format = format };
        int k = output ? output_write_atomic(output, check_render, &out) : check_render(&out, stdout);
        if (k < 0) {
                log_error("cannot write the report%s%s: %s", output ? " to " : "", output ? output : "", strerror(-k));
                return EXIT_TROUBLE;
        }
        return report_exit_status(r);
}
