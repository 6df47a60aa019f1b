/* SPDX-License-Identifier: MIT */
/* hostfit history: the run records, one line a run, one run in full, or pruned. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "text/escape.h"
#include "host/host.h"
#include "plan/plan.h"
#include "records/runrecord.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);

static int history_run(int argc, char **argv);

const struct command cmd_history = {
        .name = "history",
        .summary = "list the runs of fix and undo, or show one",
        .usage = "history [STAMP] [--root DIR] [--format text|json] [--prune DAYS]\n"
                 "\n"
                 "One line a run that changed the host: its stamp (UTC), fix or undo, who ran it\n"
                 "and the changes by check. With STAMP, that run's actions and their outcomes.\n"
                 "Records are kept in " RUNS_DIR ", backups in " BACKUPS_DIR ".\n"
                 "\n"
                 "  -r, --root DIR       the host under DIR (an image)\n"
                 "  -f, --format FORMAT  text (default) or json\n"
                 "      --prune DAYS     remove the records and backups of runs older than DAYS days\n"
                 "  -h, --help           show this help\n",
        .run = history_run,
};

struct history_options {
        const char *root, *stamp;
        enum format format;
        long prune;             /* -1: no */
};

static char *run_time(const char *stamp) {
        long long t = run_stamp_time(stamp);
        struct tm tm;
        char buf[32];
        time_t tt = (time_t) t;
        if (t < 0 || !gmtime_r(&tt, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                return strdup("?");
        return strdup(buf);
}

static char *run_who(const struct run_record *r) {
        char *s;
        if (asprintf(&s, "%s (uid %lld)", r->user ? r->user : "-", r->uid) < 0)
                return NULL;
        return s;
}

/* "swap-missing 3, zram-missing 2": applied actions by check. */
static int run_counts(const struct run_record *r, struct strbuf *sb, struct json *j) {
        for (char **c = r->checks; c && *c; c++) {
                unsigned n = 0;
                for (size_t i = 0; i < r->n_actions; i++)
                        n += r->actions[i].outcome == OUTCOME_APPLIED && r->actions[i].check &&
                             strcmp(r->actions[i].check, *c) == 0;
                if (j) {
                        json_key(j, *c);
                        json_int(j, n);
                } else if (strbuf_addf(sb, "%s%s %u", sb->len ? ", " : "", *c, n) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void list_text(struct run_record *const *runs, size_t n) {
        if (n == 0) {
                puts("no runs recorded");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                const struct run_record *r = runs[i];
                _cleanup_free_ char *who = run_who(r), *when = run_time(r->stamp);
                _cleanup_strbuf_ struct strbuf line = STRBUF_INIT, counts = STRBUF_INIT;
                (void) run_counts(r, &counts, NULL);
                const struct run_record *by = r->kind == RUN_FIX ? run_records_undone_by(runs, n, r->stamp) : NULL;
                strbuf_addf(&line, "%-20s %s  %-4s  %s  %s", r->stamp, when ? when : "?",
                            r->kind == RUN_UNDO ? "undo" : "fix", who ? who : "?",
                            r->kind == RUN_UNDO ? "" : strbuf_str(&counts));
                if (r->kind == RUN_UNDO)
                        strbuf_addf(&line, "took back %s", r->undoes);
                if (by)
                        strbuf_addf(&line, "  (undone by %s)", by->stamp);
                unsigned pending = 0;
                for (size_t k = 0; k < r->n_actions; k++)
                        pending += r->actions[k].outcome == OUTCOME_PENDING;
                if (r->interrupted)
                        strbuf_addf(&line, "  (interrupted, %u pending)", pending);
                if (r->partial)
                        strbuf_addf(&line, "  (partial)");
                _cleanup_free_ char *esc = escape_terminal_str(strbuf_str(&line));
                puts(esc ? esc : "?");
        }
}

static int list_json(struct run_record *const *runs, size_t n) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        json_key(&j, "runs");
        json_array_begin(&j);
        for (size_t i = 0; i < n; i++) {
                const struct run_record *r = runs[i];
                const struct run_record *by = r->kind == RUN_FIX ? run_records_undone_by(runs, n, r->stamp) : NULL;
                unsigned applied = 0, failed = 0;
                for (size_t k = 0; k < r->n_actions; k++) {
                        applied += r->actions[k].outcome == OUTCOME_APPLIED;
                        failed += r->actions[k].outcome == OUTCOME_FAILED;
                }
                json_object_begin(&j);
                json_key(&j, "stamp");
                json_string(&j, r->stamp);
                json_key(&j, "kind");
                json_string(&j, r->kind == RUN_UNDO ? "undo" : "fix");
                json_key(&j, "undoes");
                json_string(&j, r->kind == RUN_UNDO ? r->undoes : NULL);
                json_key(&j, "user");
                json_string(&j, r->user);
                json_key(&j, "uid");
                json_int(&j, r->uid);
                json_key(&j, "root");
                json_string(&j, r->root);
                json_key(&j, "applied");
                json_int(&j, applied);
                json_key(&j, "failed");
                json_int(&j, failed);
                json_key(&j, "checks");
                json_object_begin(&j);
                (void) run_counts(r, NULL, &j);
                json_object_end(&j);
                json_key(&j, "undone_by");
                json_string(&j, by ? by->stamp : NULL);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        return json_end(&j);
}

static void show_action(const struct run_action *a) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "%-8s %-14s ", run_outcome_to_string(a->outcome), a->check ? a->check : "-");
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                strbuf_addf(&sb, "%s %s, mode %04o, owner %u:%u, sha256 %.12s", a->created ? "created" : "replaced",
                            a->path, (unsigned) (a->mode & 07777), (unsigned) a->uid, (unsigned) a->gid, a->sha256);
                if (a->backup)
                        strbuf_addf(&sb, ", backup %s", a->backup);
                break;
        case ACTION_SYMLINK:
                strbuf_addf(&sb, "linked %s -> %s", a->path, a->target ? a->target : "?");
                break;
        case ACTION_SWAPFILE:
                strbuf_addf(&sb, "swap file %s, %llu bytes", a->path, (unsigned long long) a->size);
                break;
        case ACTION_SYSTEMD:
                strbuf_addf(&sb, "systemctl %s%s%s", systemd_op_to_string(a->op), a->unit ? " " : "",
                            a->unit ? a->unit : "");
                break;
        case ACTION_OOM_SCORE_ADJ:
                strbuf_addf(&sb, "pid %d (%s) oom_score_adj %d -> %d", (int) a->pid, a->comm ? a->comm : "?",
                            a->from, a->to);
                break;
        default:
                strbuf_addf(&sb, "%s%s%s", action_kind_to_string(a->kind), a->path ? " " : "", a->path ? a->path : "");
                if (a->kind == ACTION_REMOVE && a->backup)
                        strbuf_addf(&sb, " (backup %s)", a->backup);
                break;
        }
        if (a->outcome == OUTCOME_FAILED && a->message)
                strbuf_addf(&sb, ": %s", a->message);
        _cleanup_free_ char *esc = escape_terminal_str(strbuf_str(&sb));
        puts(esc ? esc : "?");
}

static void show_text(struct run_record *const *runs, size_t n, const struct run_record *r) {
        _cleanup_free_ char *who = run_who(r), *when = run_time(r->stamp);
        _cleanup_strbuf_ struct strbuf head = STRBUF_INIT;
        const struct run_record *by = r->kind == RUN_FIX ? run_records_undone_by(runs, n, r->stamp) : NULL;
        strbuf_addf(&head, "run %s (%s): %s by %s, hostfit %s, root %s", r->stamp, when ? when : "?",
                    r->kind == RUN_UNDO ? "undo" : "fix", who ? who : "?", r->version ? r->version : "?",
                    r->root ? r->root : "?");
        if (r->kind == RUN_UNDO)
                strbuf_addf(&head, ", took back %s", r->undoes);
        if (by)
                strbuf_addf(&head, ", undone by %s", by->stamp);
        if (r->interrupted)
                strbuf_addf(&head, ", interrupted (pending: not known whether it was done; undo takes it back if it was)");
        if (r->partial)
                strbuf_addf(&head, ", partial (some actions could not be taken back)");
        _cleanup_free_ char *esc = escape_terminal_str(strbuf_str(&head));
        puts(esc ? esc : "?");
        for (size_t i = 0; i < r->n_actions; i++)
                show_action(&r->actions[i]);
}

static int history_prune(struct host *h, long days) {
        _cleanup_strbuf_ struct strbuf removed = STRBUF_INIT, msg = STRBUF_INIT;
        int r = run_records_prune(h, (unsigned) days, &removed, &msg);
        _cleanup_free_ char *esc = escape_terminal_str(strbuf_str(&removed));
        fputs(esc ? esc : "", stdout);
        if (r < 0) {
                log_error("%s", msg.len ? strbuf_str(&msg) : strerror(-r));
                return EXIT_TROUBLE;
        }
        printf("%d removed\n", r);
        return EXIT_OK;
}

static int history_parse(int argc, char **argv, struct history_options *o) {
        static const struct option options[] = {
                { "root",   required_argument, NULL, 'r' },
                { "format", required_argument, NULL, 'f' },
                { "prune",  required_argument, NULL, 'P' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        int c;
        char *e;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:f:h", options, NULL)) >= 0)
                switch (c) {
                case 'r': o->root = optarg; break;
                case 'f':
                        if (parse_format_text_json(optarg, &o->format) < 0)
                                return command_usage_error(&cmd_history);
                        break;
                case 'P':
                        errno = 0;
                        o->prune = strtol(optarg, &e, 10);
                        if (errno || e == optarg || *e || o->prune < 0 || o->prune > 100000) {
                                log_error("--prune: expected a number of days, not '%s'", optarg);
                                return command_usage_error(&cmd_history);
                        }
                        break;
                case 'h':
                        command_help(&cmd_history);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_history, argv, c);
                }
        if (argc - optind > 1 || (o->prune >= 0 && argc - optind > 0)) {
                log_error("history: expected at most one STAMP, and none with --prune");
                return command_usage_error(&cmd_history);
        }
        o->stamp = optind < argc ? argv[optind] : NULL;
        if (command_check_stamp(&cmd_history, o->stamp, "") < 0)
                return command_usage_error(&cmd_history);
        return -1;
}

static int history_run(int argc, char **argv) {
        struct history_options o = { .root = "/", .format = FORMAT_TEXT, .prune = -1 };
        int st = history_parse(argc, argv, &o);
        if (st >= 0)
                return st;
        _cleanup_(host_freep) struct host *h = NULL;
        if (command_open_host(o.root, NULL, &h) < 0)
                return EXIT_TROUBLE;
        if (o.prune >= 0)
                return history_prune(h, o.prune);
        struct run_record **runs = NULL;
        size_t n = 0;
        if (command_list_runs(h, &runs, &n) < 0)
                return EXIT_TROUBLE;
        st = EXIT_OK;
        if (o.stamp) {
                const struct run_record *r = NULL;
                for (size_t i = 0; i < n && !r; i++)
                        if (strcmp(runs[i]->stamp, o.stamp) == 0)
                                r = runs[i];
                if (!r) {
                        log_error("no run %s in %s", o.stamp, RUNS_DIR);
                        st = EXIT_TROUBLE;
                } else if (o.format == FORMAT_JSON)
                        st = run_record_to_json(r, stdout) < 0 ? EXIT_TROUBLE : EXIT_OK;
                else
                        show_text(runs, n, r);
        } else if (o.format == FORMAT_JSON)
                st = list_json(runs, n) < 0 ? EXIT_TROUBLE : EXIT_OK;
        else
                list_text(runs, n);
        run_records_free(runs, n);
        return st;
}
