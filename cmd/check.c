/* hostfit check: run the checks and report, with an exit status monitoring can read. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cleanup.h"
#include "command.h"
#include "common.h"
#include "config.h"
#include "host.h"
#include "output.h"
#include "report.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report *, report_free);

static int check_run(int argc, char **argv);

const struct command cmd_check = {
        .name = "check",
        .summary = "find the settings that let the OOM killer take a service silently",
        .usage = "check [ID...] [--root DIR] [--format text|json] [--profile production|development]\n"
                 "                     [--quiet] [--verbose]\n"
                 "\n"
                 "Run every check (or the ones named) and report what is wrong and how to fix it.\n"
                 "\n"
                 "  -r, --root DIR       read the host under DIR instead of / (a mounted image)\n"
                 "  -f, --format FORMAT  text (default) or json\n"
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

static int check_run(int argc, char **argv) {
        static const struct option options[] = {
                { "root",    required_argument, NULL, 'r' },
                { "format",  required_argument, NULL, 'f' },
                { "profile", required_argument, NULL, 'p' },
                { "quiet",   no_argument,       NULL, 'q' },
                { "verbose", no_argument,       NULL, 'v' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        const char *root = "/", *profile = NULL;
        enum format format = FORMAT_TEXT;
        struct output_options o = { .color = use_color(stdout) };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:f:p:qvh", options, NULL)) >= 0)
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
                case 'h':
                        command_help(&cmd_check);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_check, argv, c);
                }

        _cleanup_(host_freep) struct host *h = NULL;
        _cleanup_(report_freep) struct report *r = NULL;
        if (command_open_host(root, profile, &h) < 0)
                return EXIT_TROUBLE;
        if (command_run_checks(h, argv + optind, (size_t) (argc - optind), &r) < 0)
                return EXIT_TROUBLE;

        int k = format == FORMAT_JSON
                ? output_json(r, host_root(h), config_profile(host_config(h)), stdout)
                : output_text(r, &o, stdout);
        if (k < 0) {
                log_error("cannot write the report: %s", strerror(-k));
                return EXIT_TROUBLE;
        }
        return report_exit_status(r);
}
