/* SPDX-License-Identifier: MIT */
/* hostfit explain ID: what a check looks for, why it matters, and what its fix does. */
#include <getopt.h>
#include <stdio.h>

#include "check.h"
#include "command.h"
#include "common.h"
#include "registry.h"

static int explain_run(int argc, char **argv);

const struct command cmd_explain = {
        .name = "explain",
        .summary = "say what a check looks for and what its fix does",
        .usage = "explain ID\n"
                 "\n"
                 "Print a check's id, title, severity, why it matters, and what its fix changes.\n"
                 "IDs are matched exactly; see hostfit list.\n"
                 "\n"
                 "  -h, --help           show this help\n",
        .run = explain_run,
};

static int explain_run(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        command_help(&cmd_explain);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_explain, argv, c);
                }
        if (argc - optind != 1) {
                log_error("explain: expected one check id");
                return command_usage_error(&cmd_explain);
        }
        const struct check *ch = check_find(argv[optind]);
        if (!ch) {
                log_error("unknown check '%s' (see hostfit list)", argv[optind]);
                return EXIT_TROUBLE;
        }
        printf("%s: %s\n", ch->id, ch->title);
        printf("severity: %s\n", severity_to_string(ch->severity));
        printf("why: %s\n", ch->why);
        if (ch->fix)
                printf("fix: %s (hostfit fix %s)\n", ch->fix->summary, ch->id);
        else
                printf("fix: no automatic fix\n");
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_TROUBLE;
}
