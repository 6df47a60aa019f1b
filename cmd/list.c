/* SPDX-License-Identifier: MIT */
/* hostfit list: the check table (id, severity, title), or the ids alone for completions. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "command.h"
#include "common.h"
#include "text/escape.h"
#include "registry.h"

static int list_run(int argc, char **argv);

const struct command cmd_list = {
        .name = "list",
        .summary = "list the checks",
        .usage = "list [--ids] [--format text|json]\n"
                 "\n"
                 "Print every check hostfit knows: id, severity and what passing means.\n"
                 "\n"
                 "      --ids            print the ids only, one a line\n"
                 "  -f, --format FORMAT  text (default) or json\n"
                 "  -h, --help           show this help\n",
        .run = list_run,
};

static int list_json(void) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        json_key(&j, "checks");
        json_array_begin(&j);
        for (size_t i = 0; checks[i]; i++) {
                json_object_begin(&j);
                json_key(&j, "id");
                json_string(&j, checks[i]->id);
                json_key(&j, "severity");
                json_string(&j, severity_to_string(checks[i]->severity));
                json_key(&j, "title");
                json_string(&j, checks[i]->title);
                json_key(&j, "fix");
                json_string(&j, checks[i]->fix ? checks[i]->fix->summary : NULL);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        return json_end(&j);
}

static int list_text(bool ids_only) {
        int w = 0;
        for (size_t i = 0; checks[i]; i++)
                if ((int) strlen(checks[i]->id) > w)
                        w = (int) strlen(checks[i]->id);
        for (size_t i = 0; checks[i]; i++)
                if (ids_only)
                        printf("%s\n", checks[i]->id);
                else
                        printf("%-*s  %-6s  %s\n", w, checks[i]->id,
                               severity_to_string(checks[i]->severity), checks[i]->title);
        return fflush(stdout) == 0 ? 0 : -1;
}

static int list_run(int argc, char **argv) {
        static const struct option options[] = {
                { "ids",    no_argument,       NULL, 'i' },
                { "format", required_argument, NULL, 'f' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        enum format format = FORMAT_TEXT;
        bool ids_only = false;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":f:h", options, NULL)) >= 0)
                switch (c) {
                case 'i': ids_only = true; break;
                case 'f':
                        if (parse_format(optarg, &format) < 0)
                                return command_usage_error(&cmd_list);
                        break;
                case 'h':
                        command_help(&cmd_list);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_list, argv, c);
                }
        if (optind < argc) {
                log_error("list: unexpected argument '%s'", argv[optind]);
                return command_usage_error(&cmd_list);
        }
        int r = format == FORMAT_JSON && !ids_only ? list_json() : list_text(ids_only);
        if (r < 0) {
                log_error("cannot write the list");
                return EXIT_TROUBLE;
        }
        return EXIT_OK;
}
