/* SPDX-License-Identifier: MIT */
/* hostfit undo: take a recorded run back, shown and confirmed like fix. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "text/escape.h"
#include "host/host.h"
#include "plan/plan.h"
#include "records/runrecord.h"
#include "records/undo.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free);

static int undo_run(int argc, char **argv);

const struct command cmd_undo = {
        .name = "undo",
        .summary = "take back a run of fix (the last one, or STAMP)",
        .usage = "undo [STAMP] [--dry-run] [--yes] [--force] [--root DIR]\n"
                 "\n"
                 "Take back the last run of hostfit fix that is not undone yet, or the run STAMP\n"
                 "(see hostfit history), as a plan shown like fix: files it replaced come back\n"
                 "from their backups, files and links it created are removed, its swap file is\n"
                 "swapped off and deleted, units it started are stopped and those it enabled are\n"
                 "disabled. oom_score_adj values and runtime properties are not undoable.\n"
                 "A file changed since the run is refused unless --force; runs are taken back\n"
                 "newest first.\n"
                 "\n"
                 "  -n, --dry-run        show every change and write nothing\n"
                 "  -y, --yes            apply without asking\n"
                 "      --force          take back files changed since the run as well\n"
                 "  -r, --root DIR       the host under DIR (an image); runtime steps are deferred\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 done (or nothing to do), 3 refused or failed.\n",
        .run = undo_run,
};

struct undo_options {
        const char *root, *stamp;
        bool dry_run, yes, force;
};

/* The fix/undo lock: one writer at a time; held until hostfit exits. */
static int undo_take_lock(struct host *h) {
        return command_take_lock(h, 30 * 1000);
}

static void undo_log(void *userdata, const struct action *a, int r, const char *msg) {
        unsigned *failed = userdata;
        _cleanup_free_ char *desc = NULL;
        if (a->kind == ACTION_MANUAL)
                desc = strdup(a->text ? a->text : "");
        else if (action_describe(a, &desc) < 0)
                desc = NULL;
        if (r < 0) {
                (*failed)++;
                _cleanup_free_ char *esc = escape_terminal_str(msg ? msg : strerror(-r));
                log_error("failed: %s", esc ? esc : "?");
                return;
        }
        const char *result = a->kind == ACTION_MANUAL ? "manual" : a->deferred ? "deferred" : "applied";
        _cleanup_free_ char *esc = escape_terminal_str(a->kind == ACTION_MANUAL || a->deferred || !msg || !*msg ?
                                                       (desc ? desc : "?") : msg);
        printf("%s: %s\n", result, esc ? esc : "?");
}

static void print_lines(const struct strbuf *sb, bool error) {
        _cleanup_free_ char *copy = strdup(strbuf_str(sb));
        for (char *save = NULL, *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *esc = escape_terminal_str(l);
                if (error)
                        log_error("%s", esc ? esc : "?");
                else
                        log_warning("%s", esc ? esc : "?");
        }
}

/* RUNS[*ret]: the run STAMP, or the newest fix run not taken back yet. */
static int undo_select(struct run_record *const *runs, size_t n, const char *stamp, size_t *ret) {
        for (size_t i = n; i > 0; i--) {
                const struct run_record *r = runs[i - 1];
                if (stamp ? strcmp(r->stamp, stamp) == 0
                          : r->kind == RUN_FIX && !run_records_undone_by(runs, n, r->stamp)) {
                        *ret = i - 1;
                        return 0;
                }
        }
        return -ENOENT;
}

/* What a hostfit that died left: temps by the files undo writes, and in the records and backups. */
static unsigned undo_sweep(const struct plan *p, struct host *h) {
        unsigned swept = 0;
        int k = plan_sweep_stale_temps(p, h, &swept);
        if (k < 0)
                log_warning("cannot look for temp files an earlier run left: %s, ignoring", strerror(-k));
        else if (swept > 0)
                printf("removed %u temp file%s an earlier hostfit run left\n", swept, swept == 1 ? "" : "s");
        return swept;
}

static int undo_apply(struct plan *p, struct host *h, const char *stamp, bool partial, bool always_record) {
        unsigned failed = 0;
        struct run_result res = { .warnings = STRBUF_INIT, .partial = partial, .always_record = always_record };
        int r = run_apply(p, h, stamp, undo_log, &failed, NULL, &res);
        print_lines(&res.warnings, false);
        if (r >= 0 && partial)
                printf("%u applied; run %s taken back but for what is said above (recorded as %s)\n",
                       res.applied, stamp, res.stamp);
        else if (r >= 0)
                printf("%u applied; run %s taken back (recorded as %s)\n", res.applied, stamp, res.stamp);
        run_result_release(&res);
        if (r == -ENOTRECOVERABLE) {
                log_error("refusing to undo without a run record of the undo (see above); nothing changed");
                return EXIT_TROUBLE;
        }
        if (r < 0) {
                if (failed == 0)
                        log_error("cannot apply the plan: %s", strerror(-r));
                log_error("stopped; run hostfit undo %s again once the cause is gone", stamp);
                return EXIT_TROUBLE;
        }
        return partial ? EXIT_TROUBLE : EXIT_OK;
}

static int undo_execute(struct host *h, struct run_record *const *runs, size_t n, size_t target,
                        const struct undo_options *o) {
        _cleanup_(plan_freep) struct plan *p = NULL;
        _cleanup_strbuf_ struct strbuf refused = STRBUF_INIT, blocked = STRBUF_INIT, notes = STRBUF_INIT;
        const struct run_record *run = runs[target];
        const struct run_record *by = run->kind == RUN_FIX ? run_records_undone_by(runs, n, run->stamp) : NULL;
        if (by) {
                printf("run %s was taken back by %s; nothing to do\n", run->stamp, by->stamp);
                return EXIT_OK;
        }
        int k = 0;
        /* Temps a killed fix or undo left go first; then the plan sees the directories they held as they are. */
        for (int pass = 0; pass < 2 && k >= 0; pass++) {
                p = plan_free(p);
                strbuf_reset(&refused), strbuf_reset(&blocked), strbuf_reset(&notes);
                k = plan_new(h, &p);
                if (k >= 0)
                        k = undo_plan(h, runs, n, target, o->force, p, &refused, &blocked, &notes);
                if (k < 0 || o->dry_run || pass > 0 || undo_sweep(p, h) == 0)
                        break;
        }
        if (k < 0) {
                log_error("cannot plan the undo of %s: %s", run->stamp, strerror(-k));
                return EXIT_TROUBLE;
        }
        if (refused.len > 0) {
                print_lines(&refused, true);
                log_error("refusing to undo run %s; nothing changed", run->stamp);
                return EXIT_TROUBLE;
        }
        print_lines(&notes, false);
        /* What only one action needs is gone: the rest is taken back, and that is said. */
        print_lines(&blocked, true);
        if (o->dry_run || (!o->yes && plan_size(p) > 0)) {
                printf("undo of run %s:\n", run->stamp);
                k = plan_render_text(p, stdout, use_color(stdout));
                if (k < 0) {
                        log_error("cannot show the plan: %s", strerror(-k));
                        return EXIT_TROUBLE;
                }
                if (o->dry_run)
                        return EXIT_OK;
        }
        /* An undo of this run was interrupted, or the run itself was and did nothing left to take back:
         * recorded all the same, so history says undone and the run blocks no older undo. */
        bool began = run->interrupted;
        for (size_t i = 0; i < n; i++)
                began |= runs[i]->kind == RUN_UNDO && strcmp(runs[i]->undoes, run->stamp) == 0;
        if (plan_count_changes(p) == 0 && began && !blocked.len && !o->dry_run)
                return undo_apply(p, h, run->stamp, false, true);
        if (plan_size(p) == 0) {
                puts(blocked.len ? "nothing else to do" : "nothing to do");
                return blocked.len ? EXIT_TROUBLE : EXIT_OK;
        }
        if (!o->yes && !command_ask_yes(plan_count_changes(p))) {
                log_error("nothing changed");
                return EXIT_TROUBLE;
        }
        return undo_apply(p, h, run->stamp, blocked.len > 0, false);
}

static int undo_parse(int argc, char **argv, struct undo_options *o) {
        static const struct option options[] = {
                { "dry-run", no_argument,       NULL, 'n' },
                { "yes",     no_argument,       NULL, 'y' },
                { "force",   no_argument,       NULL, 'F' },
                { "root",    required_argument, NULL, 'r' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        int c;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":nyr:h", options, NULL)) >= 0)
                switch (c) {
                case 'n': o->dry_run = true; break;
                case 'y': o->yes = true; break;
                case 'F': o->force = true; break;
                case 'r': o->root = optarg; break;
                case 'h':
                        command_help(&cmd_undo);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_undo, argv, c);
                }
        if (argc - optind > 1) {
                log_error("undo: expected at most one STAMP");
                return command_usage_error(&cmd_undo);
        }
        o->stamp = optind < argc ? argv[optind] : NULL;
        if (command_check_stamp(&cmd_undo, o->stamp, " (see hostfit history)") < 0)
                return command_usage_error(&cmd_undo);
        return -1;
}

static int undo_run(int argc, char **argv) {
        struct undo_options o = { .root = "/" };
        int st = undo_parse(argc, argv, &o);
        if (st >= 0)
                return st;
        if (!o.dry_run && !o.yes && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
                log_error("refusing to change the host without --yes; preview with --dry-run");
                return EXIT_TROUBLE;
        }
        _cleanup_(host_freep) struct host *h = NULL;
        if (command_open_host(o.root, NULL, &h) < 0)
                return EXIT_TROUBLE;
        if (!o.dry_run && undo_take_lock(h) < 0)
                return EXIT_TROUBLE;
        /* What a killed fix or undo left in the records and backups goes, whatever is undone. */
        if (!o.dry_run)
                (void) undo_sweep(NULL, h);
        struct run_record **runs = NULL;
        size_t n = 0, target;
        if (command_list_runs(h, &runs, &n) < 0)
                return EXIT_TROUBLE;
        if (undo_select(runs, n, o.stamp, &target) < 0) {
                struct run_record *rec = NULL;
                int k = o.stamp ? run_record_load(h, o.stamp, &rec) : -ENOENT;
                run_record_free(rec);
                if (o.stamp && (k == -EPERM || k == -ELOOP))
                        log_error("refusing run %s: its record or %s is owned by another user, writable by others "
                                  "or reached through a symlink", o.stamp, RUNS_DIR);
                else if (o.stamp && k == -EBADMSG)
                        log_error("refusing run %s: its record is malformed or names a backup outside %s/%s",
                                  o.stamp, BACKUPS_DIR, o.stamp);
                if (o.stamp && (k == -EPERM || k == -ELOOP || k == -EBADMSG))
                        st = EXIT_TROUBLE;
                else if (o.stamp) {
                        log_error("no run %s in %s (see hostfit history)", o.stamp, RUNS_DIR);
                        st = EXIT_TROUBLE;
                } else {
                        puts("no run to undo");
                        st = EXIT_OK;
                }
        } else
                st = undo_execute(h, runs, n, target, &o);
        run_records_free(runs, n);
        return st;
}
