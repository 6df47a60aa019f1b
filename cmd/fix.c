/* SPDX-License-Identifier: MIT */
/* hostfit fix: plan the fixes for what check finds, preview them, or apply them. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "text/cleanup.h"
#include "command.h"
#include "common.h"
#include "text/escape.h"
#include "host/host.h"
#include "apply/lock.h"
#include "plan/plan.h"
#include "report.h"
#include "records/runrecord.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct host *, host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report *, report_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free);

static int fix_run(int argc, char **argv);

const struct command cmd_fix = {
        .name = "fix",
        .summary = "plan the fixes, show them as diffs, or apply them",
        .usage = "fix [ID...] [--dry-run] [--yes] [--root DIR] [--format text|json]\n"
                 "                   [--profile production|development] [--wait SECONDS] [--verbose]\n"
                 "\n"
                 "Run the checks (or the ones named) and plan a fix for each warning and failure.\n"
                 "On a terminal the plan is shown and confirmed; from a script (or with --format json)\n"
                 "pass --yes or --dry-run.\n"
                 "A second run on a fixed host plans nothing.\n"
                 "\n"
                 "  -n, --dry-run        show every change (files as diffs) and write nothing\n"
                 "  -y, --yes            apply without asking\n"
                 "  -r, --root DIR       fix the host under DIR (an image); runtime steps are deferred\n"
                 "  -f, --format FORMAT  text (default) or json\n"
                 "  -p, --profile NAME   production or development (overrides hostfit.conf)\n"
                 "  -w, --wait SECONDS   wait this long for another hostfit fix to end (default 30)\n"
                 "  -v, --verbose        list each manual step (alike ones are counted otherwise)\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "Exit status: 0 the whole plan was shown or applied (or there was nothing to do),\n"
                 "3 hostfit refused (no --yes off a terminal, the answer was no), another hostfit fix\n"
                 "held the lock past --wait, a check could not read what it needed or a fix could\n"
                 "not be planned (those are left out, the others planned), or an action failed\n"
                 "(the other checks' fixes still run; the host is left in a state a rerun completes).\n",
        .run = fix_run,
};

struct fix_options {
        const char *root, *profile;
        enum format format;
        bool dry_run, yes, verbose;
        unsigned wait_ms;
};

/* A finding the plan does not cover: its check could not read the host, or its
 * fix could not be planned. Any of them makes fix exit 3, and JSON lists them. */
struct left_out {
        const char *check;      /* static */
        const char *subject;    /* borrowed from the report */
        char *reason;
};

struct left_outs {
        struct left_out *v;
        size_t n;
};

static void left_outs_release(struct left_outs *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].reason);
        free(l->v);
}

static int left_out_add(struct left_outs *l, const char *check, const char *subject, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int left_out_add(struct left_outs *l, const char *check, const char *subject, const char *fmt, ...) {
        struct left_out *nv = reallocarray(l->v, l->n + 1, sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        l->v = nv;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&nv[l->n].reason, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        nv[l->n].check = check;
        nv[l->n].subject = subject;
        l->n++;
        return 0;
}

/* Plan the fix of every warn or fail finding whose check has one. A finding
 * whose check could not read the host, or whose fix cannot be planned, is
 * said, added to LEFT, and skipped: the other fixes are planned all the same. */
static int fix_build_plan(struct host *h, const struct report *r, struct plan **ret, struct left_outs *left) {
        _cleanup_(plan_freep) struct plan *p = NULL;
        int k = plan_new(h, &p);
        if (k < 0) {
                log_error("cannot make a plan: %s", strerror(-k));
                return k;
        }
        for (size_t i = 0; i < report_n_checks(r); i++) {
                const struct check_result *cr = report_check(r, i);
                for (size_t j = 0; j < cr->n_findings && cr->check->fix; j++) {
                        const struct finding *f = cr->findings[j];
                        if (f->status == STATUS_ERROR) {
                                log_error("%s: %s; its fix is left out", cr->check->id, f->message);
                                if (left_out_add(left, cr->check->id, f->subject, "%s", f->message) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (f->status == STATUS_IGNORED)
                                log_error("%s%s%s: ignored by hostfit.conf (%s%s%s); nothing planned", cr->check->id,
                                          f->subject && *f->subject ? " " : "", f->subject ? f->subject : "",
                                          f->ignored, *f->ignored_until ? " until " : "", f->ignored_until);
                        if (f->status != STATUS_WARN && f->status != STATUS_FAIL)
                                continue;
                        size_t before = plan_size(p);
                        k = cr->check->fix->plan(h, f, p);
                        if (k == -ENOMEM) {
                                log_error("cannot plan: %s", strerror(-k));
                                return k;
                        }
                        if (k < 0) {
                                /* Take back what this fix added before it failed. */
                                plan_truncate(p, before);
                                log_error("%s: cannot plan the fix for %s: %s; left out",
                                          cr->check->id, f->subject ? f->subject : "?", strerror(-k));
                                if (left_out_add(left, cr->check->id, f->subject, "cannot plan the fix: %s",
                                                 strerror(-k)) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        /* One daemon-reload, after the last unit file, however many fixes asked for one. */
        if ((k = plan_merge_reloads(p)) < 0) {
                log_error("cannot plan: %s", strerror(-k));
                return k;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static void json_left_out(struct json *j, const struct left_outs *left) {
        if (left->n == 0)
                return;
        json_key(j, "left_out");
        json_array_begin(j);
        for (size_t i = 0; i < left->n; i++) {
                json_object_begin(j);
                json_key(j, "check");
                json_string(j, left->v[i].check);
                json_key(j, "subject");
                json_string(j, left->v[i].subject);
                json_key(j, "reason");
                json_string(j, left->v[i].reason);
                json_object_end(j);
        }
        json_array_end(j);
}

/* One line for an action, raw: the caller escapes it. */
static char *fix_describe(const struct action *a) {
        char *s = NULL;
        if (a->kind == ACTION_WRITE_FILE) {
                if (asprintf(&s, "write %s", a->path) < 0)
                        return NULL;
                return s;
        }
        if (a->kind == ACTION_MANUAL)
                return strdup(a->text ? a->text : "");
        if (action_describe(a, &s) < 0)
                return NULL;
        return s;
}

struct apply_state {
        struct json *json;      /* NULL: text */
        unsigned applied, deferred, manual, failed, skipped;
};

static const char *apply_result(const struct action *a, int r) {
        if (r == -ECANCELED)
                return "skipped";
        if (r < 0)
                return "failed";
        if (a->kind == ACTION_MANUAL)
                return "manual";
        return a->deferred ? "deferred" : "applied";
}

static void apply_log(void *userdata, const struct action *a, int r, const char *msg) {
        struct apply_state *st = userdata;
        _cleanup_free_ char *desc = fix_describe(a);
        const char *result = apply_result(a, r);
        const char *why = r < 0 ? (msg ? msg : strerror(-r)) : NULL;

        if (r == -ECANCELED)
                st->skipped++;
        else if (r < 0)
                st->failed++;
        else if (a->kind == ACTION_MANUAL)
                st->manual++;
        else if (a->deferred)
                st->deferred++;
        else
                st->applied++;
        if (st->json) {
                json_object_begin(st->json);
                json_key(st->json, "check");
                json_string(st->json, a->check);
                json_key(st->json, "kind");
                json_string(st->json, action_kind_to_string(a->kind));
                json_key(st->json, "path");
                json_string(st->json, a->path);
                json_key(st->json, "action");
                json_string(st->json, desc ? desc : "");
                json_key(st->json, "result");
                json_string(st->json, result);
                json_key(st->json, "error");
                json_string(st->json, why);
                json_object_end(st->json);
                return;
        }
        if (r == -ECANCELED) {
                _cleanup_free_ char *e = escape_terminal_str(desc ? desc : "?");
                printf("skipped: %s (%s)\n", e ? e : "?", why);
                return;
        }
        if (r < 0) {
                log_error("failed: %s: %s", desc ? desc : "?", why);
                return;
        }
        /* action_describe() already says why a deferred action waits. */
        _cleanup_free_ char *esc = escape_terminal_str(desc ? desc : "?");
        printf("%s: %s\n", result, esc ? esc : "?");
}

/* One line on the terminal, rewritten in place, while a swap file is zero-filled. */
static void apply_progress(void *userdata, const char *path, uint64_t done, uint64_t total) {
        _cleanup_free_ char *esc = escape_terminal_str(path);
        fprintf(stderr, "\rhostfit: writing %s: %3u%% (%llu of %llu MiB)%s", esc ? esc : "?",
                (unsigned) (total ? done * 100 / total : 100), (unsigned long long) (done >> 20),
                (unsigned long long) (total >> 20), done >= total ? "\n" : "");
        fflush(stderr);
}

/* What a run that died left (a temp file, a half-made swap file's temp). */
static void fix_sweep(const struct plan *p, struct host *h, enum format format) {
        unsigned swept = 0;
        int k = plan_sweep_stale_temps(p, h, &swept);
        if (k < 0)
                log_warning("cannot look for temp files an earlier run left: %s, ignoring", strerror(-k));
        else if (swept > 0 && format != FORMAT_JSON)
                printf("removed %u temp file%s an earlier hostfit run left\n", swept, swept == 1 ? "" : "s");
}

static int fix_apply(const struct plan *p, struct host *h, enum format format, const struct left_outs *left) {
        struct json j;
        struct apply_state st = {};
        /* What became of each action, in plan order: a run record takes it from here. */
        _cleanup_free_ enum action_outcome *outcomes = calloc(plan_size(p) + 1, sizeof(*outcomes));
        if (!outcomes) {
                log_error("cannot apply the plan: %s", strerror(ENOMEM));
                return EXIT_TROUBLE;
        }
        fix_sweep(p, h, format);
        if (format == FORMAT_JSON) {
                json_init(&j, stdout);
                json_object_begin(&j);
                json_key(&j, "version");
                json_int(&j, 1);
                json_key(&j, "results");
                json_array_begin(&j);
                st.json = &j;
        }
        plan_apply_progress(isatty(STDERR_FILENO) ? apply_progress : NULL, NULL);
        struct run_result run = { .warnings = STRBUF_INIT };
        /* The run record and etckeeper's commits; each action's outcome in OUTCOMES. */
        int r = run_apply(p, h, NULL, apply_log, &st, outcomes, &run);
        for (char *l = run.warnings.buf, *e; l && *l; l = *e ? e + 1 : e) {
                e = l + strcspn(l, "\n");
                log_warning("%.*s", (int) (e - l), l);
        }
        run_result_release(&run);
        plan_apply_progress(NULL, NULL);
        if (format == FORMAT_JSON) {
                json_array_end(&j);
                json_left_out(&j, left);
                json_key(&j, "complete");
                json_bool(&j, r >= 0 && left->n == 0);
                json_object_end(&j);
                if (json_end(&j) < 0 && r >= 0)
                        r = -EIO;
        } else {
                printf("%u applied, %u deferred, %u manual", st.applied, st.deferred, st.manual);
                if (st.failed || st.skipped)
                        printf(", %u failed, %u skipped", st.failed, st.skipped);
                if (left->n)
                        printf(", %zu left out", left->n);
                putchar('\n');
                fflush(stdout);
        }
        if (r == -ENOTRECOVERABLE) {
                /* No record, no change: undo could not take back what it does not know. */
                log_error("refusing to change the host without a run record (see above); nothing changed");
                return EXIT_TROUBLE;
        } else if (r < 0 && st.failed == 0 && st.applied > 0 && run.journal_only) {
                log_error("every change was made, but the run record could not be finished (see above): "
                          "hostfit history lists run %s as interrupted, and hostfit undo takes it back", run.stamp);
                return EXIT_TROUBLE;
        } else if (r < 0) {
                /* The log line already said which action and why, unless it never ran. */
                if (st.failed == 0)
                        log_error("cannot apply the plan: %s", strerror(-r));
                log_error("not every fix was applied; run hostfit fix again once the cause is gone");
                return EXIT_TROUBLE;
        }
        if (left->n) {
                log_error("%zu finding%s left out (see above); the host is not fully fixed",
                          left->n, left->n == 1 ? " was" : "s were");
                return EXIT_TROUBLE;
        }
        return EXIT_OK;
}

static int render_json(const struct plan *p, const struct left_outs *left) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "version");
        json_int(&j, 1);
        int k = plan_render_json_actions(p, &j);
        if (k < 0)
                return k;
        json_left_out(&j, left);
        json_object_end(&j);
        return json_end(&j);
}

static int fix_execute(struct host *h, const struct plan *p, const struct fix_options *o, const struct left_outs *left) {
        bool color = use_color(stdout);
        int k;
        if (o->dry_run) {
                if (o->format == FORMAT_JSON)
                        k = render_json(p, left);
                else if (plan_size(p) == 0)
                        k = puts(left->n ? "nothing to do for what could be planned" : "nothing to do") < 0 ? -EIO : 0;
                else
                        k = plan_render_text_full(p, stdout, color, o->verbose);
                if (k < 0) {
                        log_error("cannot show the plan: %s", strerror(-k));
                        return EXIT_TROUBLE;
                }
                if (left->n) {
                        fflush(stdout);
                        log_error("%zu finding%s left out of the plan (see above)", left->n,
                                  left->n == 1 ? " is" : "s are");
                        return EXIT_TROUBLE;
                }
                return EXIT_OK;
        }
        if (plan_size(p) == 0 && o->format != FORMAT_JSON) {
                fix_sweep(p, h, o->format);
                puts(left->n ? "nothing to do for what could be planned" : "nothing to do");
                if (left->n) {
                        fflush(stdout);
                        log_error("%zu finding%s left out (see above); the host is not fully fixed",
                                  left->n, left->n == 1 ? " was" : "s were");
                        return EXIT_TROUBLE;
                }
                return EXIT_OK;
        }
        if (plan_size(p) == 0)
                return fix_apply(p, h, o->format, left);
        if (!o->yes) {
                k = plan_render_text_full(p, stdout, color, o->verbose);
                if (k < 0) {
                        log_error("cannot show the plan: %s", strerror(-k));
                        return EXIT_TROUBLE;
                }
                if (!command_ask_yes(plan_count_changes(p))) {
                        log_error("nothing changed");
                        return EXIT_TROUBLE;
                }
        }
        return fix_apply(p, h, o->format, left);
}

static int fix_parse(int argc, char **argv, struct fix_options *o) {
        static const struct option options[] = {
                { "dry-run", no_argument,       NULL, 'n' },
                { "yes",     no_argument,       NULL, 'y' },
                { "root",    required_argument, NULL, 'r' },
                { "format",  required_argument, NULL, 'f' },
                { "profile", required_argument, NULL, 'p' },
                { "wait",    required_argument, NULL, 'w' },
                { "verbose", no_argument,       NULL, 'v' },
                { "help",    no_argument,       NULL, 'h' },
                {}
        };
        int c;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":nyr:f:p:w:vh", options, NULL)) >= 0)
                switch (c) {
                case 'n': o->dry_run = true; break;
                case 'v': o->verbose = true; break;
                case 'y': o->yes = true; break;
                case 'r': o->root = optarg; break;
                case 'f':
                        if (parse_format_text_json(optarg, &o->format) < 0)
                                return command_usage_error(&cmd_fix);
                        break;
                case 'p':
                        if (check_profile(optarg) < 0)
                                return command_usage_error(&cmd_fix);
                        o->profile = optarg;
                        break;
                case 'w': {
                        char *e;
                        errno = 0;
                        unsigned long s = strtoul(optarg, &e, 10);
                        if (errno || e == optarg || *e || optarg[0] == '-' || s > 86400) {
                                log_error("--wait needs a number of seconds (0 to 86400), not '%s'", optarg);
                                return command_usage_error(&cmd_fix);
                        }
                        o->wait_ms = (unsigned) s * 1000;
                        break;
                }
                case 'h':
                        command_help(&cmd_fix);
                        return EXIT_OK;
                default:
                        return command_bad_option(&cmd_fix, argv, c);
                }
        return -1;
}

static int fix_run(int argc, char **argv) {
        struct fix_options o = { .root = "/", .format = FORMAT_TEXT, .wait_ms = 30 * 1000 };
        int st = fix_parse(argc, argv, &o);
        if (st >= 0)
                return st;
        /* Refuse before reading anything: a script must say --yes or --dry-run. */
        if (!o.dry_run && !o.yes &&
            (o.format == FORMAT_JSON || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
                log_error("refusing to change the host without --yes; preview with --dry-run");
                return EXIT_TROUBLE;
        }

        _cleanup_(host_freep) struct host *h = NULL;
        _cleanup_(report_freep) struct report *r = NULL;
        _cleanup_(plan_freep) struct plan *p = NULL;
        _cleanup_close_ int lock_fd = -1;
        _cleanup_(left_outs_release) struct left_outs left = {};
        if (command_open_host(o.root, o.profile, &h) < 0)
                return EXIT_TROUBLE;
        /* One fix at a time, from before the plan is made until it is applied. */
        if (!o.dry_run && (lock_fd = command_take_lock(h, o.wait_ms)) < 0)
                return EXIT_TROUBLE;
        if (command_run_checks(h, argv + optind, (size_t) (argc - optind), &r) < 0 ||
            fix_build_plan(h, r, &p, &left) < 0)
                return EXIT_TROUBLE;
        return fix_execute(h, p, &o, &left);
}
