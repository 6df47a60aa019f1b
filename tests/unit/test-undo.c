/* SPDX-License-Identifier: MIT */
/* Run records and undo: sha256 against FIPS vectors, the JSON reader on hostile
 * input, and for every fix that writes, fix then undo gives back the same tree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixture.h"
#include "fixture-proc.h"
#include "host/host.h"
#include "host/resolve.h"
#include "plan/plan.h"
#include "registry.h"
#include "report.h"
#include "records/runrecord.h"
#include "text/sha256.h"
#include "records/undo.h"

/* ---- sha256 ---- */

static void test_sha256_fips_vectors(void **state) {
        char hex[SHA256_HEX_SIZE];
        sha256_hex("", 0, hex);
        assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_hex("abc", 3, hex);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        sha256_hex(m, strlen(m), hex);
        assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        /* A million 'a'. */
        _cleanup_free_ char *million = malloc(1000000);
        assert_non_null(million);
        memset(million, 'a', 1000000);
        sha256_hex(million, 1000000, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        char chunk[64];
        /* 55 and 56 bytes: the edges of the padding, as sha256sum computes them. */
        memset(chunk, 'x', 64);
        sha256_hex(chunk, 55, hex);
        assert_string_equal(hex, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
        sha256_hex(chunk, 56, hex);
        assert_string_equal(hex, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
}

/* ---- the JSON of the records (json-c) ---- */

static int load_text(const char *text, struct run_record **ret) {
        char *root = fixture_new();
        fixture_write(root, RUNS_DIR "/20261126T101500Z.json", text);
        struct host *h;
        assert_int_equal(host_open(root, &h), 0);
        int r = run_record_load(h, "20261126T101500Z", ret);
        host_free(h);
        fixture_remove(root);
        return r;
}

#define RECORD_HEAD "{\"version\":1,\"stamp\":\"20261126T101500Z\",\"kind\":\"fix\",\"checks\":[],\"dirs\":[],"

static void test_record_json_round_trips_paths_and_raw_bytes(void **state) {
        struct run_record *r = NULL;
        /* UTF-8 in a path comes back byte for byte, and a message's control byte (\u001b). */
        assert_int_equal(load_text(RECORD_HEAD "\"actions\":[{\"kind\":\"write-file\",\"outcome\":\"applied\","
                                   "\"path\":\"/etc/caf\xc3\xa9\",\"file\":\"created\",\"sha256\":\""
                                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
                                   "\"message\":\"x\\u001by\"}]}", &r), 0);
        assert_string_equal(r->actions[0].path, "/etc/caf\xc3\xa9");
        assert_string_equal(r->actions[0].message, "x\x1by");
        r = run_record_free(r);
        /* A path that held a byte that is not UTF-8, as hostfit writes it (\u00ff), comes back as
         * that byte, not as the code point U+00FF; an escaped backslash before "u00ff" stays text. */
        assert_int_equal(load_text(RECORD_HEAD "\"actions\":[{\"kind\":\"write-file\",\"outcome\":\"applied\","
                                   "\"path\":\"/etc/x\\u00ffy\",\"file\":\"created\",\"sha256\":\""
                                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
                                   "\"message\":\"a\\\\u00ffb \\u00e9\"}]}", &r), 0);
        assert_string_equal(r->actions[0].path, "/etc/x\xffy");
        assert_string_equal(r->actions[0].message, "a\\u00ffb \xe9");
        /* And what hostfit writes for it reads back the same. */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        assert_int_equal(run_record_to_json(r, f), 0);
        fclose(f);
        struct run_record *again = NULL;
        assert_int_equal(load_text(text, &again), 0);
        assert_string_equal(again->actions[0].path, "/etc/x\xffy");
        assert_string_equal(again->actions[0].message, "a\\u00ffb \xe9");
        free(text);
        again = run_record_free(again);
        r = run_record_free(r);
        static const char *const bad[] = { "", "{", RECORD_HEAD "\"actions\":[]}x", RECORD_HEAD "\"actions\":[],}",
                                           "[1]", RECORD_HEAD "\"actions\":{}}",
                                           /* a path whose last component is ".." or ".": not the file it names */
                                           RECORD_HEAD "\"actions\":[{\"kind\":\"swapon\",\"outcome\":\"applied\",\"path\":\"/swap/..\"}]}",
                                           RECORD_HEAD "\"actions\":[{\"kind\":\"swapon\",\"outcome\":\"applied\",\"path\":\"/etc/.\"}]}" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(load_text(bad[i], &r), -EBADMSG);
}

static void test_stamps(void **state) {
        assert_true(run_stamp_is_valid("20261126T101500Z"));
        assert_true(run_stamp_is_valid("20261126T101500Z.3"));
        assert_false(run_stamp_is_valid("20261126T101500Z."));
        assert_false(run_stamp_is_valid("../../etc/passwd"));
        assert_false(run_stamp_is_valid("20261126T101500Z/x"));
        assert_false(run_stamp_is_valid("2026112T101500Z"));
        assert_int_equal(run_stamp_time("19700101T000100Z"), 60);
}

/* ---- fix, then undo ---- */

/* Run CHECK on ROOT and apply its fix as a recorded run, as `hostfit fix --yes` does. */
static void fix_run(const char *root, const char *check, const char *conf, char stamp[RUN_STAMP_MAX]) {
        struct host *h;
        struct report *r;
        struct plan *p;
        assert_int_equal(host_open(root, &h), 0);
        struct config *c = NULL;
        char *err = NULL;
        if (conf)
                assert_int_equal(config_parse(conf, CONFIG_PATH, &c, &err), 0);
        else
                assert_int_equal(config_load(h, &c, &err), 0);
        host_set_config(h, c);
        assert_int_equal(report_new(&r), 0);
        char *ids[] = { (char *) check };
        assert_int_equal(report_run_checks(r, h, ids, 1), 0);
        assert_int_equal(plan_new(h, &p), 0);
        const struct check_result *cr = report_check(r, 0);
        for (size_t i = 0; i < cr->n_findings; i++)
                if (cr->findings[i]->status == STATUS_WARN || cr->findings[i]->status == STATUS_FAIL)
                        assert_int_equal(cr->check->fix->plan(h, cr->findings[i], p), 0);
        assert_true(plan_count_changes(p) > 0);
        struct run_result res = { .warnings = STRBUF_INIT };
        assert_int_equal(run_apply(p, h, NULL, NULL, NULL, NULL, &res), 0);
        assert_true(res.recorded);
        memcpy(stamp, res.stamp, RUN_STAMP_MAX);
        run_result_release(&res);
        plan_free(p);
        report_free(r);
        host_free(h);
}

/* Plan the undo of STAMP (NULL: the newest run not undone); the refusals in REFUSED. */
static struct plan *undo_plan_of(const char *root, const char *stamp, bool force, struct host **ret_h,
                                 struct run_record ***ret_runs, size_t *ret_n, char **ret_refused) {
        struct run_record **runs;
        size_t n, bad, t = SIZE_MAX;
        struct plan *p;
        struct strbuf refused = STRBUF_INIT, notes = STRBUF_INIT, blocked = STRBUF_INIT;
        assert_int_equal(host_open(root, ret_h), 0);
        assert_int_equal(run_records_list(*ret_h, &runs, &n, &bad), 0);
        assert_int_equal(bad, 0);
        for (size_t i = n; i > 0 && t == SIZE_MAX; i--)
                if (stamp ? strcmp(runs[i - 1]->stamp, stamp) == 0
                          : runs[i - 1]->kind == RUN_FIX && !run_records_undone_by(runs, n, runs[i - 1]->stamp))
                        t = i - 1;
        assert_true(t != SIZE_MAX);
        assert_int_equal(plan_new(*ret_h, &p), 0);
        assert_int_equal(undo_plan(*ret_h, runs, n, t, force, p, &refused, &blocked, &notes), 0);
        *ret_runs = runs;
        *ret_n = n;
        /* What blocks one action only, marked: the rest is planned. */
        if (blocked.len)
                strbuf_addf(&refused, "blocked: %s", strbuf_str(&blocked));
        *ret_refused = strbuf_detach(&refused, NULL);
        strbuf_release(&notes);
        strbuf_release(&blocked);
        return p;
}

/* Undo STAMP and expect it to apply. Returns how many changes it made. */
static size_t undo_run(const char *root, const char *stamp, bool force) {
        struct host *h;
        struct run_record **runs;
        size_t n;
        char *refused;
        struct plan *p = undo_plan_of(root, stamp, force, &h, &runs, &n, &refused);
        assert_string_equal(refused, "");
        size_t changes = plan_count_changes(p);
        struct run_result res = { .warnings = STRBUF_INIT };
        const char *undoes = NULL;
        for (size_t i = 0; i < n; i++)
                if (!stamp ? runs[i]->kind == RUN_FIX && !run_records_undone_by(runs, n, runs[i]->stamp)
                           : strcmp(runs[i]->stamp, stamp) == 0)
                        undoes = runs[i]->stamp;
        assert_int_equal(run_apply(p, h, undoes, NULL, NULL, NULL, &res), 0);
        run_result_release(&res);
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);
        return changes;
}

/* The tree apart from hostfit's own records and backups. */
static char *tree_hash_without_records(const char *root) {
        char *cmd;
        char *copy = fixture_clone(root);
        assert_true(asprintf(&cmd, "rm -rf '%s/var/lib/hostfit' '%s/var/backups/hostfit'", copy, copy) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        char *hash = fixture_tree_hash(copy);
        fixture_remove(copy);
        return hash;
}

/* Fix CHECK on ROOT, undo it: the tree is back, the check fails again, a second undo plans nothing. */
static void round_trip(char *root, const char *check, const char *conf) {
        char stamp[RUN_STAMP_MAX];
        fixture_mkdir(root, "/var/lib");
        fixture_mkdir(root, "/var/backups");
        char *before = tree_hash_without_records(root);
        fix_run(root, check, conf, stamp);
        char *fixed = tree_hash_without_records(root);
        assert_string_not_equal(before, fixed);
        assert_true(undo_run(root, stamp, false) > 0);
        char *after = tree_hash_without_records(root);
        assert_string_equal(before, after);
        /* The record and a backup are still there; a second undo plans nothing. */
        char path[128];
        snprintf(path, sizeof(path), RUNS_DIR "/%s.json", stamp);
        assert_true(fixture_exists(root, path));
        struct host *h;
        struct run_record **runs;
        size_t n;
        char *refused;
        struct plan *p = undo_plan_of(root, stamp, false, &h, &runs, &n, &refused);
        assert_string_equal(refused, "");
        assert_int_equal(plan_count_changes(p), 0);
        assert_int_equal(n, 2);
        assert_non_null(run_records_undone_by(runs, n, stamp));
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);
        free(before);
        free(fixed);
        free(after);
        fixture_remove(root);
}

static void test_round_trip_swapfile_fstab_and_zram_unit(void **state) {
        /* No zram generator: the swap file, its fstab line, hostfit-zram.service and its link. */
        round_trip(fixture_copy("swap-none"), "swap-missing", "[swap]\nsize = 16M\n");
        round_trip(fixture_copy("swap-none"), "zram-missing", NULL);
}

static void test_round_trip_zram_generator_config(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_write(root, "/usr/lib/systemd/system-generators/zram-generator", "\x7f" "ELF");
        round_trip(root, "zram-missing", NULL);
}

#define MEMINFO "MemTotal:        2014580 kB\nMemFree:          101232 kB\nMemAvailable:     812340 kB\n" \
        "SwapTotal:             0 kB\nSwapFree:              0 kB\n"

static void test_round_trip_memory_dropins(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/proc/meminfo", MEMINFO);
        fixture_write(root, "/proc/uptime", "90000.00 170000.00\n");
        fixture_write(root, "/etc/systemd/system/app.service", "[Service]\nExecStart=/usr/bin/node /srv/app.js\n");
        fixture_write(root, "/usr/local/lib/systemd/system/inf.service", "[Service]\nExecStart=/bin/x\nMemoryMax=2G\n");
        fixture_write(root, "/etc/systemd/system/inf.service.d/override.conf", "[Service]\nMemoryMax=infinity\n");
        struct fproc init = { .pid = 1, .ppid = 0, .comm = "systemd", .argv = { "/sbin/init", NULL }, .cgroup = "/init.scope", .start = 1, .rss_pages = 2000 };
        struct fproc app = { .pid = 720, .ppid = 1, .comm = "node", .argv = { "/usr/bin/node", "/srv/app.js", NULL }, .cgroup = "/system.slice/app.service", .start = 500, .rss_pages = 25600 };
        fproc_write(root, &init);
        fproc_write(root, &app);
        round_trip(root, "unit-memorymax", NULL);
}

static const struct fproc tmux_tree[] = {
        FPROC_INIT, FPROC_KTHREADD,
        { .pid = 800, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", NULL }, .uid = 1000, .start = 1000 },
        { .pid = 801, .ppid = 800, .comm = "zsh", .argv = { "-zsh", NULL }, .uid = 1000, .start = 1000 },
        { .pid = 802, .ppid = 801, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", NULL },
          .uid = 1000, .start = 2000, .cwd = "/app", .rss_pages = 100000 },
};

static void test_round_trip_tmux_conf_and_unit_file(void **state) {
        char *root = fproc_root(tmux_tree, ELEMENTSOF(tmux_tree));
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000:Dev,,,:/home/dev:/bin/zsh\n");
        fixture_write(root, "home/dev/.tmux.conf", "set -g @plugin 'tmux-plugins/tpm'\n"
                      "set -g @plugin 'tmux-plugins/tmux-resurrect'\nset -g @plugin 'tmux-plugins/tmux-continuum'\n"
                      "set -g @resurrect-processes ':all:'\n"    /* a restore would restart the server: the fix edits tmux.conf */
                      "set -g @continuum-restore 'on'\nrun '~/.tmux/plugins/tpm/tpm'\n");
        fixture_chmod(root, "home/dev/.tmux.conf", 0600);
        char *cmd;
        assert_true(asprintf(&cmd, "chown -R 1000:1000 '%s/home/dev'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        round_trip(root, "tmux-resurrect", NULL);
}

static const struct fproc incident[] = {
        FPROC_INIT, FPROC_KTHREADD,
        { .pid = 800, .ppid = 1, .comm = "tmux: server", .argv = { "tmux", "new", "-d", NULL }, .uid = 1000, .oom = 200 },
        { .pid = 801, .ppid = 800, .comm = "zsh", .argv = { "-zsh", NULL }, .uid = 1000, .oom = 200 },
        { .pid = 803, .ppid = 801, .comm = "node", .argv = { "node", "/app/node_modules/.bin/vite", "--host", NULL },
          .uid = 1000, .oom = -500, .rss_pages = 200000, .cwd = "/app" },
};

static void test_round_trip_earlyoom_defaults(void **state) {
        char *root = fproc_root(incident, ELEMENTSOF(incident));
        fixture_write(root, "etc/default/earlyoom", "# Options to pass to earlyoom\n"
                      "EARLYOOM_ARGS=\"-r 3600 -m 5 --avoid '(^|/)(vite|sshd)$' --prefer '^(chrome)$'\"\n");
        fixture_write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/zsh\n");
        round_trip(root, "wrapper-oom-unprotected", NULL);
}

static void test_round_trip_metrics_timer(void **state) {
        char *root = fixture_new();
        fixture_write(root, CONFIG_PATH, "[metrics]\ntimer = yes\n");
        fixture_write(root, "/usr/bin/hostfit", "\177ELF");    /* the image's own, which its units run */
        fixture_chmod(root, "/usr/bin/hostfit", 0755);
        fixture_mkdir(root, "/var/lib/prometheus/node-exporter");
        round_trip(root, "metrics-timer", NULL);
}

/* ---- refusals and order ---- */

static void test_edited_file_is_refused_then_forced(void **state) {
        char *root = fixture_copy("swap-none");
        char stamp[RUN_STAMP_MAX];
        fixture_mkdir(root, "/var/lib");
        fixture_mkdir(root, "/var/backups");
        char *before = tree_hash_without_records(root);
        fix_run(root, "zram-missing", NULL, stamp);
        char *unit = fixture_read(root, "/etc/systemd/system/hostfit-zram.service");
        assert_non_null(unit);
        char *edited;
        assert_true(asprintf(&edited, "%s# the admin's note\n", unit) > 0);
        fixture_write(root, "/etc/systemd/system/hostfit-zram.service", edited);

        struct host *h;
        struct run_record **runs;
        size_t n;
        char *refused;
        struct plan *p = undo_plan_of(root, stamp, false, &h, &runs, &n, &refused);
        assert_non_null(strstr(refused, "/etc/systemd/system/hostfit-zram.service: changed since run "));
        assert_non_null(strstr(refused, "(sha256 differs); undo --force takes it back anyway"));
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);
        /* Nothing was touched by the refusal. */
        char *edited_now = fixture_read(root, "/etc/systemd/system/hostfit-zram.service");
        assert_string_equal(edited_now, edited);

        assert_true(undo_run(root, stamp, true) > 0);
        char *after = tree_hash_without_records(root);
        assert_string_equal(before, after);
        free(unit), free(edited), free(edited_now), free(before), free(after);
        fixture_remove(root);
}

static void prune_backup(const char *root, const char *stamp) {
        char *cmd;
        assert_true(asprintf(&cmd, "rm -rf '%s" BACKUPS_DIR "/%s'", root, stamp) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

/* fstab's line was appended: taken back with no backup. */
static void test_fstab_line_taken_back_without_its_backup(void **state) {
        char *root = fixture_copy("swap-none");
        char *before = fixture_read(root, "/etc/fstab");
        char stamp[RUN_STAMP_MAX];
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", stamp);
        prune_backup(root, stamp);
        assert_true(undo_run(root, stamp, false) > 0);
        char *after = fixture_read(root, "/etc/fstab");
        assert_string_equal(before, after);
        assert_false(fixture_exists(root, "/swapfile"));
        free(before), free(after);
        fixture_remove(root);
}

/* Apply a plan that replaces /etc/a.conf (not an append) and creates /etc/b.conf, as a recorded run. */
static void two_file_run(const char *root, char stamp[RUN_STAMP_MAX]) {
        struct host *h;
        struct plan *p;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_write(p, "x", "/etc/a.conf", "a=2\n", 4, 0644), 1);
        assert_int_equal(plan_add_write(p, "x", "/etc/b.conf", "b=1\n", 4, 0644), 1);
        struct run_result res = { .warnings = STRBUF_INIT };
        assert_int_equal(run_apply(p, h, NULL, NULL, NULL, NULL, &res), 0);
        memcpy(stamp, res.stamp, RUN_STAMP_MAX);
        run_result_release(&res);
        plan_free(p);
        host_free(h);
}

static void test_pruned_backup_blocks_only_its_file(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/a.conf", "a=1\n");
        char stamp[RUN_STAMP_MAX];
        two_file_run(root, stamp);
        prune_backup(root, stamp);
        struct host *h;
        struct run_record **runs;
        size_t n;
        char *refused;
        struct plan *p = undo_plan_of(root, stamp, true, &h, &runs, &n, &refused);
        /* Not even --force restores a.conf; b.conf is taken back all the same. */
        assert_non_null(strstr(refused, "blocked: /etc/a.conf: its backup " BACKUPS_DIR "/"));
        assert_non_null(strstr(refused, "is gone (pruned?); it cannot be restored"));
        assert_int_equal(plan_count_changes(p), 1);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_REMOVE);
        assert_string_equal(plan_action(p, 0)->path, "/etc/b.conf");
        /* The undo that leaves a.conf is partial: the run is not undone. */
        struct run_result res = { .warnings = STRBUF_INIT, .partial = true };
        assert_int_equal(run_apply(p, h, stamp, NULL, NULL, NULL, &res), 0);
        run_result_release(&res);
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);
        assert_false(fixture_exists(root, "/etc/b.conf"));
        assert_int_equal(host_open(root, &h), 0);
        size_t bad;
        assert_int_equal(run_records_list(h, &runs, &n, &bad), 0);
        assert_int_equal(n, 2);
        assert_true(runs[1]->partial);
        assert_null(run_records_undone_by(runs, n, stamp));
        run_records_free(runs, n);
        host_free(h);
        fixture_remove(root);
}

/* The fstab line is kept as the admin left the file: later lines stay. */
static void test_fstab_undo_keeps_later_edits(void **state) {
        char *root = fixture_copy("swap-none");
        char *before = fixture_read(root, "/etc/fstab");
        char stamp[RUN_STAMP_MAX];
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", stamp);
        char *fixed = fixture_read(root, "/etc/fstab");
        char *edited;
        assert_true(asprintf(&edited, "%stmpfs /mnt/scratch tmpfs defaults 0 0\n", fixed) > 0);
        fixture_write(root, "/etc/fstab", edited);
        assert_true(undo_run(root, stamp, false) > 0);
        char *after = fixture_read(root, "/etc/fstab");
        char *want;
        assert_true(asprintf(&want, "%stmpfs /mnt/scratch tmpfs defaults 0 0\n", before) > 0);
        assert_string_equal(after, want);
        free(before), free(fixed), free(edited), free(after), free(want);
        fixture_remove(root);
}

/* The admin edited hostfit's own line: refused, --force too; no line is dropped. */
static void test_fstab_undo_never_drops_an_edited_line(void **state) {
        char *root = fixture_copy("swap-none");
        char stamp[RUN_STAMP_MAX];
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", stamp);
        char *fixed = fixture_read(root, "/etc/fstab");
        char *line = strstr(fixed, "/swapfile none swap");
        assert_non_null(line);
        char *edited;
        assert_true(asprintf(&edited, "%.*s/swapfile none swap sw,pri=5 0 0\n", (int) (line - fixed), fixed) > 0);
        fixture_write(root, "/etc/fstab", edited);
        for (int force = 0; force < 2; force++) {
                struct host *h;
                struct run_record **runs;
                size_t n;
                char *refused;
                struct plan *p = undo_plan_of(root, stamp, force, &h, &runs, &n, &refused);
                assert_non_null(strstr(refused, "/etc/fstab: the line run "));
                assert_non_null(strstr(refused, "undo never drops later lines"));
                for (size_t i = 0; i < plan_size(p); i++)
                        assert_false(plan_action(p, i)->path && strcmp(plan_action(p, i)->path, "/etc/fstab") == 0);
                plan_free(p);
                run_records_free(runs, n);
                host_free(h);
                free(refused);
        }
        free(fixed), free(edited);
        fixture_remove(root);
}

/* Records and backups count only when root's and writable by no one else. */
static void test_untrusted_records_and_backups_refused(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/a.conf", "a=1\n");
        char stamp[RUN_STAMP_MAX], path[128];
        two_file_run(root, stamp);
        snprintf(path, sizeof(path), RUNS_DIR "/%s.json", stamp);
        struct host *h;
        struct run_record **runs, *r;
        size_t n, bad;
        assert_int_equal(host_open(root, &h), 0);
        fixture_chmod(root, path, 0666);
        assert_int_equal(run_record_load(h, stamp, &r), -EPERM);
        assert_int_equal(run_records_list(h, &runs, &n, &bad), 0);
        assert_int_equal(n, 0);
        assert_int_equal(bad, 1);
        run_records_free(runs, n);
        fixture_chmod(root, path, 0644);
        fixture_chmod(root, RUNS_DIR, 0777);
        assert_int_equal(run_record_load(h, stamp, &r), -EPERM);
        fixture_chmod(root, RUNS_DIR, 0755);
        if (geteuid() == 0) {
                char *full;
                assert_true(asprintf(&full, "%s%s", root, path) > 0);
                assert_int_equal(chown(full, 65534, 65534), 0);
                assert_int_equal(run_record_load(h, stamp, &r), -EPERM);
                assert_int_equal(chown(full, 0, 0), 0);
                free(full);
        }
        /* A record that names a backup anywhere else (here /etc/shadow) is refused whole. */
        char *text = fixture_read(root, path), *bp = NULL;
        assert_true(asprintf(&bp, "\"" BACKUPS_DIR "/%s/etc/a.conf\"", stamp) > 0);
        char *at = strstr(text, bp);
        assert_non_null(at);
        char *forged;
        assert_true(asprintf(&forged, "%.*s\"/etc/shadow\"%s", (int) (at - text), text, at + strlen(bp)) > 0);
        fixture_write(root, path, forged);
        assert_int_equal(run_record_load(h, stamp, &r), -EBADMSG);
        fixture_write(root, path, text);
        assert_int_equal(run_record_load(h, stamp, &r), 0);
        run_record_free(r);
        host_free(h);
        /* A backup others may write is not restored from. */
        fixture_write(root, "/etc/a.conf", "a=2\n");
        char backup[128];
        snprintf(backup, sizeof(backup), BACKUPS_DIR "/%s/etc/a.conf", stamp);
        fixture_chmod(root, backup, 0666);
        char *refused;
        struct plan *p = undo_plan_of(root, stamp, false, &h, &runs, &n, &refused);
        assert_non_null(strstr(refused, "/etc/a.conf: its backup " BACKUPS_DIR "/"));
        assert_non_null(strstr(refused, "is not to be trusted"));
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused), free(text), free(bp), free(forged);
        fixture_remove(root);
}

/* A symlinked /var/lib/hostfit: the run is refused before its first change. */
static void test_unwritable_record_refuses_before_the_first_change(void **state) {
        char *root = fixture_new();
        fixture_write(root, "/etc/a.conf", "a=1\n");
        fixture_mkdir(root, "/tmp/elsewhere");
        fixture_mkdir(root, "/var/lib");
        fixture_symlink(root, "/tmp/elsewhere", "/var/lib/hostfit");
        char *before = fixture_tree_hash(root);
        struct host *h;
        struct plan *p;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_write(p, "x", "/etc/a.conf", "a=2\n", 4, 0644), 1);
        struct run_result res = { .warnings = STRBUF_INIT };
        assert_int_equal(run_apply(p, h, NULL, NULL, NULL, NULL, &res), -ENOTRECOVERABLE);
        assert_false(res.recorded);
        assert_non_null(strstr(strbuf_str(&res.warnings), "nothing was changed"));
        run_result_release(&res);
        char *after = fixture_tree_hash(root);
        assert_string_equal(before, after);
        plan_free(p);
        host_free(h);
        free(before), free(after);
        fixture_remove(root);
}

/* The same, where the kernel has no openat2 and the record's directory is walked by hand. */
static void test_unwritable_record_refused_by_hand(void **state) {
        resolve_force_by_hand(true);
        test_unwritable_record_refuses_before_the_first_change(state);
        resolve_force_by_hand(false);
}

/* A run killed between actions: its pending record and its log say what was done; undo takes it back. */
static void test_interrupted_run_is_read_from_its_log_and_undone(void **state) {
        char *root = fixture_copy("swap-none");
        fixture_mkdir(root, "/var/lib");
        fixture_mkdir(root, "/var/backups");
        char *before = tree_hash_without_records(root);
        char stamp[RUN_STAMP_MAX], path[128], log[128];
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", stamp);
        snprintf(path, sizeof(path), RUNS_DIR "/%s.json", stamp);
        snprintf(log, sizeof(log), RUNS_DIR "/%s.log", stamp);
        assert_false(fixture_exists(root, log));
        /* What the run wrote before its first action, and the log of its first one (the second torn). */
        char *text = fixture_read(root, path);
        for (char *o; (o = strstr(text, "\"outcome\":\"applied\"")); )
                memcpy(o + 11, "pending", 7);
        fixture_write(root, path, text);
        fixture_write(root, log, "0 applied\n1 app");
        struct host *h;
        struct run_record *r;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(run_record_load(h, stamp, &r), 0);
        assert_true(r->interrupted);
        assert_int_equal(r->actions[0].outcome, OUTCOME_APPLIED);
        assert_int_equal(r->actions[1].outcome, OUTCOME_PENDING);
        run_record_free(r);
        host_free(h);
        assert_true(undo_run(root, stamp, false) > 0);
        char *after = tree_hash_without_records(root);
        assert_string_equal(before, after);
        free(text), free(before), free(after);
        fixture_remove(root);
}

static void test_two_runs_undone_newest_first(void **state) {
        char *root = fixture_copy("swap-none");
        char first[RUN_STAMP_MAX], second[RUN_STAMP_MAX];
        fixture_mkdir(root, "/var/lib");
        fixture_mkdir(root, "/var/backups");
        char *h0 = tree_hash_without_records(root);
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", first);
        char *h1 = tree_hash_without_records(root);
        /* A second run that touches /etc/fstab again: a zram swap line is not what
         * either fix writes, so edit fstab by a run of its own through apply. */
        struct host *h;
        struct plan *p;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        const char *fstab;
        size_t len;
        assert_int_equal(plan_get_file(p, "/etc/fstab", &fstab, &len), 0);
        char *more;
        assert_true(asprintf(&more, "%s# second run\n", fstab) > 0);
        assert_int_equal(plan_add_write(p, "swap-missing", "/etc/fstab", more, strlen(more), 0644), 1);
        struct run_result res = { .warnings = STRBUF_INIT };
        sleep(1);       /* stamps are by the second */
        assert_int_equal(run_apply(p, h, NULL, NULL, NULL, NULL, &res), 0);
        memcpy(second, res.stamp, RUN_STAMP_MAX);
        run_result_release(&res);
        plan_free(p);
        host_free(h);
        free(more);
        assert_string_not_equal(first, second);

        /* The older run first: refused, the newer one changed /etc/fstab after it. */
        struct run_record **runs;
        size_t n;
        char *refused;
        p = undo_plan_of(root, first, false, &h, &runs, &n, &refused);
        assert_non_null(strstr(refused, "/etc/fstab: run "));
        assert_non_null(strstr(refused, second));
        assert_non_null(strstr(refused, "changed it later; undo"));
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);

        /* Newest first (undo with no stamp picks it), then the older one. */
        assert_int_equal(undo_run(root, NULL, false), 1);
        char *back1 = tree_hash_without_records(root);
        assert_string_equal(back1, h1);
        assert_true(undo_run(root, NULL, false) > 0);
        char *back0 = tree_hash_without_records(root);
        assert_string_equal(back0, h0);
        free(h0), free(h1), free(back1), free(back0);
        fixture_remove(root);
}

static void test_record_holds_outcomes_hashes_and_owner(void **state) {
        char *root = fixture_copy("swap-none");
        char stamp[RUN_STAMP_MAX];
        fix_run(root, "swap-missing", "[swap]\nsize = 16M\n", stamp);
        struct host *h;
        struct run_record *r;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(run_record_load(h, stamp, &r), 0);
        assert_int_equal(r->kind, RUN_FIX);
        assert_string_equal(r->version, HOSTFIT_VERSION);
        assert_int_equal(r->uid, (long long) getuid());
        assert_string_equal(r->checks[0], "swap-missing");
        assert_null(r->checks[1]);
        assert_int_equal(r->n_actions, 3);
        assert_int_equal(r->actions[0].kind, ACTION_SWAPFILE);
        assert_int_equal(r->actions[0].outcome, OUTCOME_APPLIED);
        assert_int_equal(r->actions[0].size, 16u << 20);
        const struct run_action *w = &r->actions[1];
        assert_int_equal(w->kind, ACTION_WRITE_FILE);
        assert_false(w->created);
        char *fstab = fixture_read(root, "/etc/fstab");
        char hex[SHA256_HEX_SIZE];
        sha256_hex(fstab, strlen(fstab), hex);
        assert_string_equal(w->sha256, hex);
        char *saved = fixture_read(root, w->backup);
        assert_non_null(saved);
        sha256_hex(saved, strlen(saved), hex);
        assert_string_equal(w->old_sha256, hex);
        /* fstab's mode, kept by the write: the checkout's, whatever the umask made it */
        struct stat st;
        char path[4096];
        snprintf(path, sizeof path, "%s/etc/fstab", root);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(w->mode, st.st_mode & 07777);
        assert_int_equal(r->actions[2].kind, ACTION_SWAPON);
        assert_int_equal(r->actions[2].outcome, OUTCOME_DEFERRED);
        run_record_free(r);
        host_free(h);
        free(fstab), free(saved);
        fixture_remove(root);
}

/* ---- the remove action: what apply checks again before unlinking ---- */

/* The last message, or the first failure: the actions after a failure of
 * their check are only logged as skipped. */
static void log_msg(void *userdata, const struct action *a, int r, const char *msg) {
        char *buf = userdata;
        if (buf[0] != '-')
                snprintf(buf, 256, "%d %s", r, msg ? msg : "");
}

static void test_remove_checks_again_before_unlinking(void **state) {
        char *root = fixture_new();
        char msg[256] = "";
        struct host *h;
        struct plan *p;
        fixture_write(root, "/etc/a.conf", "one\n");
        fixture_symlink(root, "/etc/a.conf", "/etc/link");
        fixture_write(root, "/etc/d/keep", "x\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_remove(p, "t", "/etc/a.conf", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/nonexistent", 0), 0);
        assert_int_equal(plan_add_remove(p, "t", "/etc/link", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/etc/d", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/etc/../x", 0), -EINVAL);
        assert_string_equal(plan_action(p, 0)->old, "one\n");
        assert_string_equal(plan_action(p, 1)->target, "/etc/a.conf");

        /* The file changed after the plan: not removed. */
        fixture_write(root, "/etc/a.conf", "two\n");
        assert_int_equal(plan_apply(p, h, log_msg, msg), -ESTALE);
        assert_string_equal(msg, "-116 /etc/a.conf changed since the plan was made; not removed");
        assert_true(fixture_exists(root, "/etc/a.conf"));
        plan_free(p);

        /* Planned again: removed with a backup; the link pointing elsewhere is kept. */
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_remove(p, "t", "/etc/link", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/etc/a.conf", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/etc/d", 0), 1);
        char *cmd;
        assert_true(asprintf(&cmd, "ln -sfn /elsewhere '%s/etc/link'", root) > 0);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        msg[0] = '\0';
        assert_int_equal(plan_apply(p, h, log_msg, msg), -ESTALE);
        assert_string_equal(msg, "-116 /etc/link now points elsewhere; not removed");
        plan_free(p);
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_remove(p, "t", "/etc/a.conf", 0), 1);
        assert_int_equal(plan_add_remove(p, "t", "/etc/d", 0), 1);
        plan_apply_run("20261126T101500Z", NULL);
        msg[0] = '\0';
        assert_int_equal(plan_apply(p, h, log_msg, msg), 0);
        plan_apply_run(NULL, NULL);
        /* A directory that is not empty is kept, and that is not a failure. */
        assert_string_equal(msg, "0 kept /etc/d: not empty");
        assert_false(fixture_exists(root, "/etc/a.conf"));
        char *saved = fixture_read(root, BACKUPS_DIR "/20261126T101500Z/etc/a.conf");
        assert_string_equal(saved, "two\n");
        assert_true(fixture_exists(root, "/etc/d/keep"));
        free(saved);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

static void test_remove_renders_as_a_diff_to_dev_null(void **state) {
        char *root = fixture_new();
        struct host *h;
        struct plan *p;
        fixture_write(root, "/etc/a.conf", "one\ntwo\n");
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(plan_new(h, &p), 0);
        assert_int_equal(plan_add_remove(p, "t", "/etc/a.conf", 0), 1);
        assert_int_equal(plan_add_swapoff(p, "t", "/swapfile"), 1);
        assert_true(plan_action(p, 1)->deferred);      /* not the running system */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(plan_render_text(p, f, false), 0);
        fclose(f);
        assert_string_equal(buf, "--- a/etc/a.conf\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n"
                                 "swapoff /swapfile (deferred: runs at next boot / when systemd runs)\n");
        free(buf);
        plan_free(p);
        host_free(h);
        fixture_remove(root);
}

/* A record written by hand, as a live run leaves it: runtime steps only. */
static void test_runtime_changes_are_reported_not_undoable(void **state) {
        char *root = fixture_new();
        fixture_write(root, RUNS_DIR "/20261126T101500Z.json",
                "{\"version\":1,\"stamp\":\"20261126T101500Z\",\"kind\":\"fix\",\"undoes\":null,\"hostfit\":\"0.1.0\","
                "\"root\":\"/\",\"user\":\"ann\",\"uid\":0,\"checks\":[\"unit-memorymax\",\"wrapper-oom-unprotected\"],"
                "\"dirs\":[],\"actions\":["
                "{\"check\":\"unit-memorymax\",\"kind\":\"systemd\",\"outcome\":\"applied\",\"path\":null,"
                "\"op\":\"set-property\",\"unit\":\"app.service\",\"properties\":[\"MemoryHigh=230M\",\"MemoryMax=256M\"],"
                "\"message\":null},"
                "{\"check\":\"wrapper-oom-unprotected\",\"kind\":\"oom-score-adj\",\"outcome\":\"applied\",\"path\":null,"
                "\"pid\":802,\"comm\":\"bash\",\"from\":200,\"to\":-500,\"message\":null},"
                "{\"check\":\"wrapper-oom-unprotected\",\"kind\":\"oom-score-adj\",\"outcome\":\"failed\",\"path\":null,"
                "\"pid\":801,\"comm\":\"zsh\",\"from\":200,\"to\":-500,\"message\":\"pid 801 exited\"}]}\n");
        struct host *h;
        struct run_record **runs;
        size_t n;
        char *refused;
        struct plan *p = undo_plan_of(root, NULL, false, &h, &runs, &n, &refused);
        assert_string_equal(refused, "");
        assert_string_equal(runs[0]->user, "ann");
        assert_int_equal(plan_count_changes(p), 0);
        /* Newest first; the failed one changed nothing and is not mentioned. */
        assert_int_equal(plan_size(p), 2);
        assert_int_equal(plan_action(p, 0)->kind, ACTION_MANUAL);
        assert_string_equal(plan_action(p, 0)->text, "not undoable: pid 802 (bash) had oom_score_adj 200 before run "
                            "20261126T101500Z (the process may be gone)");
        assert_string_equal(plan_action(p, 1)->text, "not undoable: app.service keeps MemoryHigh=230M MemoryMax=256M, "
                            "set at runtime, until the host reboots; systemctl set-property --runtime app.service "
                            "MemoryHigh=infinity MemoryMax=infinity lifts it now");
        plan_free(p);
        run_records_free(runs, n);
        host_free(h);
        free(refused);
        fixture_remove(root);
}

/* A record that is not one is skipped and counted, never trusted. */
static void test_malformed_records_are_counted_not_read(void **state) {
        char *root = fixture_new();
        fixture_write(root, RUNS_DIR "/20261126T101500Z.json", "{\"version\":1,\"stamp\":\"20261126T101500Z\"}\n");
        fixture_write(root, RUNS_DIR "/20261126T101501Z.json", "{\"version\":1,\"stamp\":\"20261126T999999Z\","
                      "\"kind\":\"fix\",\"checks\":[],\"dirs\":[],\"actions\":[]}\n");
        fixture_write(root, RUNS_DIR "/20261126T101502Z.json", "{\"version\":1,\"stamp\":\"20261126T101502Z\","
                      "\"kind\":\"fix\",\"checks\":[],\"dirs\":[\"etc\"],\"actions\":[]}\n");
        fixture_write(root, RUNS_DIR "/20261126T101503Z.json", "{\"version\":1,\"stamp\":\"20261126T101503Z\","
                      "\"kind\":\"fix\",\"checks\":[],\"dirs\":[],\"actions\":[{\"kind\":\"write-file\","
                      "\"outcome\":\"applied\",\"path\":\"/etc/x\",\"file\":\"created\"}]}\n");
        fixture_write(root, RUNS_DIR "/notes.json", "{}");
        struct host *h;
        struct run_record **runs;
        size_t n, bad;
        assert_int_equal(host_open(root, &h), 0);
        assert_int_equal(run_records_list(h, &runs, &n, &bad), 0);
        assert_int_equal(n, 0);
        assert_int_equal(bad, 4);
        run_records_free(runs, n);
        host_free(h);
        fixture_remove(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha256_fips_vectors),
                cmocka_unit_test(test_record_json_round_trips_paths_and_raw_bytes),
                cmocka_unit_test(test_stamps),
                cmocka_unit_test(test_record_holds_outcomes_hashes_and_owner),
                cmocka_unit_test(test_round_trip_swapfile_fstab_and_zram_unit),
                cmocka_unit_test(test_round_trip_zram_generator_config),
                cmocka_unit_test(test_round_trip_memory_dropins),
                cmocka_unit_test(test_round_trip_tmux_conf_and_unit_file),
                cmocka_unit_test(test_round_trip_earlyoom_defaults),
                cmocka_unit_test(test_round_trip_metrics_timer),
                cmocka_unit_test(test_edited_file_is_refused_then_forced),
                cmocka_unit_test(test_fstab_line_taken_back_without_its_backup),
                cmocka_unit_test(test_pruned_backup_blocks_only_its_file),
                cmocka_unit_test(test_fstab_undo_keeps_later_edits),
                cmocka_unit_test(test_fstab_undo_never_drops_an_edited_line),
                cmocka_unit_test(test_untrusted_records_and_backups_refused),
                cmocka_unit_test(test_unwritable_record_refuses_before_the_first_change),
                cmocka_unit_test(test_unwritable_record_refused_by_hand),
                cmocka_unit_test(test_interrupted_run_is_read_from_its_log_and_undone),
                cmocka_unit_test(test_two_runs_undone_newest_first),
                cmocka_unit_test(test_remove_checks_again_before_unlinking),
                cmocka_unit_test(test_remove_renders_as_a_diff_to_dev_null),
                cmocka_unit_test(test_runtime_changes_are_reported_not_undoable),
                cmocka_unit_test(test_malformed_records_are_counted_not_read),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
