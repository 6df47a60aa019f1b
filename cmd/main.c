/* SPDX-License-Identifier: MIT */
/* hostfit: the command table; main() parses the global options and dispatches (after git.c). */
#include <stdio.h>
#include <string.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "host/config.h"
#include "registry.h"

extern const struct command cmd_check, cmd_explain, cmd_fix, cmd_incidents, cmd_list, cmd_probe;
extern const struct command cmd_history, cmd_undo;
static const struct command cmd_help;

static const struct command *const commands[] = {
        &cmd_check,
        &cmd_fix,
        &cmd_incidents,
        &cmd_history,
        &cmd_undo,
        &cmd_list,
        &cmd_explain,
        &cmd_probe,
        &cmd_help,
};

static const char usage_synopsis[] =
        "usage: hostfit [-h|--help] [-V|--version] [--config FILE] [--color auto|always|never] COMMAND [ARGS...]\n";

static void usage_full(void) {
        fputs(usage_synopsis, stdout);
        puts("\nFind the host settings that let the kernel or an OOM daemon kill a service\n"
             "silently, and fix them.\n\nCommands:");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
        puts("\nOptions:\n"
             "  -h, --help           show this help\n"
             "  -V, --version        show the version\n"
             "  -c, --config FILE    read FILE instead of /etc/hostfit/hostfit.conf under the root\n"
             "      --color WHEN     auto (default: on a terminal, unless NO_COLOR is set or\n"
             "                       TERM=dumb), always or never");
        puts("\nExit status: 0 all checks pass, 1 a warning, 2 a failure, 3 hostfit could not run\n"
             "(bad usage, unreadable root or config). fix: 0 done, 3 refused or failed.\n"
             "\nSee 'hostfit help COMMAND' for the options of a command.");
}

static int usage_error(void) {
        fputs(usage_synopsis, stderr);
        fputs("Try 'hostfit --help' for the commands.\n", stderr);
        return EXIT_TROUBLE;
}

static const struct command *command_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i]->name, name) == 0)
                        return commands[i];
        return NULL;
}

static int help_run(int argc, char **argv) {
        if (argc < 2) {
                usage_full();
                return EXIT_OK;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                command_help(&cmd_help);
                return EXIT_OK;
        }
        if (argv[1][0] == '-') {
                log_error("help: unknown option '%s'", argv[1]);
                return usage_error();
        }
        if (argc > 2) {
                log_error("help: expected at most one command");
                return usage_error();
        }
        const struct command *c = command_find(argv[1]);
        if (!c) {
                log_error("unknown command '%s'", argv[1]);
                return usage_error();
        }
        if (c == &cmd_help)
                usage_full();
        else
                command_help(c);
        return EXIT_OK;
}

static const struct command cmd_help = {
        .name = "help",
        .summary = "show the usage of hostfit or of a command",
        .usage = "help [COMMAND]\n"
                 "\n"
                 "Show the commands of hostfit, or the usage and options of COMMAND.\n",
        .run = help_run,
};

static bool check_known(const char *id) {
        return check_find(id) != NULL;
}

int main(int argc, char **argv) {
        int i = 1;
        config_set_check_known(check_known);
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage_full();
                        return EXIT_OK;
                }
                if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
                        puts("hostfit " HOSTFIT_VERSION);
                        return EXIT_OK;
                }
                const char *v = NULL;
                if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
                    strcmp(a, "--color") == 0) {
                        if (i + 1 >= argc) {
                                log_error("option '%s' needs a value", a);
                                return usage_error();
                        }
                        v = argv[++i];
                } else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--color=", 8) == 0)
                        v = strchr(a, '=') + 1;
                if (v && strncmp(a, "--color", 7) == 0) {
                        if (set_color_mode(v) < 0)
                                return usage_error();
                        continue;
                }
                if (v) {
                        if (!*v) {
                                log_error("option --config needs a file name");
                                return usage_error();
                        }
                        command_config_path = v;
                        continue;
                }
                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                log_error("unknown option '%s'", a);
                return usage_error();
        }
        if (i >= argc) {
                log_error("no command given");
                return usage_error();
        }
        const struct command *c = command_find(argv[i]);
        if (!c) {
                log_error("unknown command '%s'", argv[i]);
                return usage_error();
        }
        int st = c->run(argc - i, argv + i);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                log_error("cannot write to standard output");
                return EXIT_TROUBLE;
        }
        return st;
}
