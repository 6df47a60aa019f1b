/* SPDX-License-Identifier: MIT */
/* Apply on temporary roots: atomic writes, backups, refusals, staleness, swap
 * files; on the live system only what can be undone (a child's oom_score_adj).
 * Swap is never turned on here: tests/live/apply-swapon.c does that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "fixture.h"
#include "host/host.h"
#include "host/resolve.h"
#include "plan/plan.h"
#include "apply/swapdev.h"

struct env {
        char *root;
        struct host *host;
        struct plan *plan;
        int last_r;
        char last_msg[1024];
        size_t n_logged;
};

static void log_cb(void *userdata, const struct action *a, int r, const char *msg) {
        struct env *e = userdata;
        e->last_r = r;
        snprintf(e->last_msg, sizeof(e->last_msg), "%s", msg);
        e->n_logged++;
}

static void env_open(struct env *e) {
        assert_int_equal(host_open(e->root, &e->host), 0);
        assert_int_equal(plan_new(e->host, &e->plan), 0);
}

static int setup(void **state) {
        struct env *e = calloc(1, sizeof(*e));
        e->root = fixture_new();
        fixture_write(e->root, "/etc/fstab", "# static file system information\nUUID=1 /  ext4 defaults 0 1\n");
        env_open(e);
        *state = e;
        return 0;
}

static int teardown(void **state) {
        struct env *e = *state;
        plan_free(e->plan);
        host_free(e->host);
        /* fixture_remove() only removes roots under /tmp; the tmpfs one is ours to remove. */
        if (e->root && strncmp(e->root, "/dev/shm/hostfit-root.", 22) == 0) {
                char *cmd;
                assert_true(asprintf(&cmd, "rm -rf '%s'", e->root) > 0);
                assert_int_equal(system(cmd), 0);
                free(cmd);
                free(e->root);
        } else if (e->root)
                fixture_remove(e->root);
        free(e);
        return 0;
}

static int apply(struct env *e) {
        return plan_apply(e->plan, e->host, log_cb, e);
}

static void replan(struct env *e) {
        plan_free(e->plan);
        assert_int_equal(plan_new(e->host, &e->plan), 0);
}

static char *path_in(const char *root, const char *path) {
        char *p;
        assert_true(asprintf(&p, "%s%s", root, path) > 0);
        return p;
}

static mode_t mode_of(const char *root, const char *path) {
        char *p = path_in(root, path);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        free(p);
        return st.st_mode & 07777;
}

/* Files whose name starts with ".#" anywhere under ROOT. */
static int count_temps(const char *root) {
        char *cmd;
        assert_true(asprintf(&cmd, "find '%s' -name '.#*' | wc -l", root) > 0);
        FILE *f = popen(cmd, "r");
        int n = -1;
        assert_int_equal(fscanf(f, "%d", &n), 1);
        pclose(f);
        free(cmd);
        return n;
}

static void test_new_file_creates_missing_parent_dirs(void **state) {
        struct env *e = *state;
        const char *c = "[Service]\nMemoryMax=2G\n";
        const char *path = "/etc/systemd/system/app.service.d/50-hostfit.conf";
        assert_int_equal(plan_add_write(e->plan, "unit-memorymax", path, c, strlen(c), 0644), 1);
        assert_int_equal(apply(e), 0);
        char *got = fixture_read(e->root, path);
        assert_string_equal(got, c);
        free(got);
        assert_int_equal(mode_of(e->root, path), 0644);
        assert_int_equal(mode_of(e->root, "/etc/systemd/system/app.service.d"), 0755);
        assert_int_equal(mode_of(e->root, "/etc/systemd"), 0755);
        assert_string_equal(e->last_msg, "created /etc/systemd/system/app.service.d/50-hostfit.conf");
        assert_false(fixture_exists(e->root, "/var/backups/hostfit"));
}

static void test_replace_keeps_mode_and_owner(void **state) {
        struct env *e = *state;
        char *p = path_in(e->root, "/etc/fstab");
        assert_int_equal(chown(p, 1000, 1000), 0);
        assert_int_equal(chmod(p, 0640), 0);
        replan(e);
        const char *c = "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n";
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", c, strlen(c), 0644), 1);
        assert_int_equal(apply(e), 0);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_gid, 1000);
        char *got = fixture_read(e->root, "/etc/fstab");
        assert_string_equal(got, c);
        free(got);
        free(p);
}

static void test_replace_makes_backup_with_old_content(void **state) {
        struct env *e = *state;
        char *old = fixture_read(e->root, "/etc/fstab");
        char *p = path_in(e->root, "/etc/fstab");
        assert_int_equal(chown(p, 1000, 1000), 0);
        assert_int_equal(chmod(p, 0640), 0);
        replan(e);
        const char *c = "new\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", c, strlen(c), 0644), 1);
        assert_int_equal(apply(e), 0);

        char *pattern = path_in(e->root, "/var/backups/hostfit/*T*Z/etc/fstab");
        glob_t g;
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1);
        struct stat st;
        assert_int_equal(lstat(g.gl_pathv[0], &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_uid, 1000);
        char *saved = fixture_read("/", g.gl_pathv[0]);
        assert_string_equal(saved, old);
        /* The log names the backup as a path within the root. */
        const char *rel = g.gl_pathv[0] + strlen(e->root);
        assert_non_null(strstr(e->last_msg, rel));
        assert_int_equal(mode_of(e->root, "/var/backups/hostfit"), 0700);
        globfree(&g);
        free(saved);
        free(pattern);
        free(old);
        free(p);
}

static void test_two_files_in_one_run_share_a_backup_dir(void **state) {
        struct env *e = *state;
        fixture_write(e->root, "/etc/other", "x\n");
        replan(e);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", "a\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/other", "b\n", 2, 0644), 1);
        assert_int_equal(apply(e), 0);
        char *pattern = path_in(e->root, "/var/backups/hostfit/*");
        glob_t g;
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1);
        globfree(&g);
        free(pattern);
}

static void test_symlink_as_target_refused(void **state) {
        struct env *e = *state;
        char *outside = fixture_new();
        fixture_write(outside, "/secret", "untouched\n");
        char *target = path_in(outside, "/secret");
        const char *c = "new\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", c, strlen(c), 0644), 1);
        /* Swapped for a symlink between plan and apply. */
        char *p = path_in(e->root, "/etc/fstab");
        assert_int_equal(unlink(p), 0);
        assert_int_equal(symlink(target, p), 0);
        assert_int_equal(apply(e), -ELOOP);
        assert_non_null(strstr(e->last_msg, "symlink"));
        char *got = fixture_read(outside, "/secret");
        assert_string_equal(got, "untouched\n");
        assert_int_equal(count_temps(e->root), 0);
        free(got);
        free(p);
        free(target);
        fixture_remove(outside);
}

static void test_symlink_as_parent_component_refused(void **state) {
        struct env *e = *state;
        char *outside = fixture_new();
        const char *c = "[Service]\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/systemd/system/a.service.d/x.conf", c, strlen(c), 0644), 1);
        fixture_mkdir(e->root, "/etc/systemd");
        fixture_symlink(e->root, outside, "/etc/systemd/system");
        assert_int_equal(apply(e), -ELOOP);
        assert_non_null(strstr(e->last_msg, "symlink"));
        DIR *d = opendir(outside);
        int n = 0;
        for (struct dirent *de; (de = readdir(d)); )
                n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
        closedir(d);
        assert_int_equal(n, 0);
        fixture_remove(outside);
}

/* The same refusals where the kernel has no openat2: apply's walk by hand. */
static void test_symlinks_refused_by_hand(void **state) {
        resolve_force_by_hand(true);
        test_symlink_as_parent_component_refused(state);
        resolve_force_by_hand(false);
}

static void test_stale_when_file_changed_after_planning(void **state) {
        struct env *e = *state;
        const char *c = "planned\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", c, strlen(c), 0644), 1);
        fixture_write(e->root, "/etc/fstab", "edited by someone\n");
        assert_int_equal(apply(e), -ESTALE);
        assert_int_equal(e->last_r, -ESTALE);
        assert_non_null(strstr(e->last_msg, "changed since the plan was made"));
        char *got = fixture_read(e->root, "/etc/fstab");
        assert_string_equal(got, "edited by someone\n");
        free(got);
        assert_false(fixture_exists(e->root, "/var/backups"));
}

static void test_stale_when_new_file_appeared_after_planning(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/new.conf", "a\n", 2, 0644), 1);
        fixture_write(e->root, "/etc/new.conf", "someone else's\n");
        assert_int_equal(apply(e), -ESTALE);
        char *got = fixture_read(e->root, "/etc/new.conf");
        assert_string_equal(got, "someone else's\n");
        free(got);
}

static void test_failure_stops_plan_and_rerun_completes(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/a.conf", "a\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", "f\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/b.conf", "b\n", 2, 0644), 1);
        fixture_write(e->root, "/etc/fstab", "edited\n");
        assert_int_equal(apply(e), -ESTALE);
        assert_true(fixture_exists(e->root, "/etc/a.conf"));
        assert_false(fixture_exists(e->root, "/etc/b.conf"));
        /* A new plan sees the edit and the file already written. */
        host_free(e->host);
        plan_free(e->plan);
        env_open(e);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/a.conf", "a\n", 2, 0644), 0);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", "f\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/b.conf", "b\n", 2, 0644), 1);
        assert_int_equal(apply(e), 0);
        char *got = fixture_read(e->root, "/etc/fstab");
        assert_string_equal(got, "f\n");
        free(got);
}

static void test_no_temp_left_after_write_failure(void **state) {
        struct env *e = *state;
        size_t len = 64 * 1024;
        char *big = malloc(len);
        memset(big, 'x', len);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", big, len, 0644), 1);
        char *before = fixture_read(e->root, "/etc/fstab");
        /* The file size limit makes write() fail half way, after the temp file exists. */
        struct rlimit old, lim = { .rlim_cur = 16 * 1024, .rlim_max = RLIM_INFINITY };
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        int r = apply(e);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, SIG_DFL);
        assert_int_equal(r, -EFBIG);
        assert_int_equal(count_temps(e->root), 0);
        char *after = fixture_read(e->root, "/etc/fstab");
        assert_string_equal(before, after);
        free(before);
        free(after);
        free(big);
}

/* The name of a ".#" file in ROOT/etc, or NULL. */
static char *find_temp(const char *root) {
        char *dir = path_in(root, "/etc");
        DIR *d = opendir(dir);
        char *found = NULL;
        for (struct dirent *de; d && (de = readdir(d)); )
                if (strncmp(de->d_name, ".#", 2) == 0)
                        found = strdup(de->d_name);
        if (d)
                closedir(d);
        free(dir);
        return found;
}

static void signal_removes_temp_in_flight(struct env *e, int sig) {
        size_t len = 256u << 20;
        char *big = malloc(len);
        assert_non_null(big);
        memset(big, 'x', len);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/big.conf", big, len, 0644), 1);
        free(big);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                signal(sig, SIG_DFL);   /* not ignored, whatever the test run was started with (nohup) */
                _exit(plan_apply(e->plan, e->host, NULL, NULL) == 0 ? 0 : 1);
        }
        char *tmp = NULL;
        int st;
        /* Wait for the temp file to appear, then interrupt the write. */
        while (!(tmp = find_temp(e->root)) && waitpid(pid, &st, WNOHANG) == 0)
                usleep(1000);
        if (!tmp) {
                waitpid(pid, &st, 0);
                print_message("skip: the write finished before it could be caught\n");
                skip();
        }
        kill(pid, sig);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (WIFEXITED(st)) {
                free(tmp);
                print_message("skip: the write had already renamed its file when the signal came\n");
                skip();
        }
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sig);
        char *left = find_temp(e->root);
        assert_null(left);
        assert_false(fixture_exists(e->root, "/etc/big.conf"));
        free(tmp);
}

static void test_sigterm_removes_temp_in_flight(void **state) {
        signal_removes_temp_in_flight(*state, SIGTERM);
}

/* An ssh session that drops sends SIGHUP; a ^\ sends SIGQUIT: the same cleanup. */
static void test_sighup_removes_temp_in_flight(void **state) {
        signal_removes_temp_in_flight(*state, SIGHUP);
}

static void test_sigquit_removes_temp_in_flight(void **state) {
        signal_removes_temp_in_flight(*state, SIGQUIT);
}

/* Fixes of different checks are independent: a failure stops only its own check. */
static void test_failure_stops_only_its_own_check(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_write(e->plan, "a", "/etc/a1.conf", "a1\n", 3, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "b", "/etc/fstab", "f\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "a", "/etc/a2.conf", "a2\n", 3, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "b", "/etc/b2.conf", "b2\n", 3, 0644), 1);
        assert_int_equal(plan_add_manual(e->plan, "b", "reboot"), 1);
        assert_int_equal(plan_add_write(e->plan, "c", "/etc/c.conf", "c\n", 2, 0644), 1);
        fixture_write(e->root, "/etc/fstab", "edited\n");
        enum action_outcome out[6];
        e->n_logged = 0;
        assert_int_equal(plan_apply_outcomes(e->plan, e->host, log_cb, e, out), -ESTALE);
        assert_int_equal(e->n_logged, 6);
        assert_int_equal(out[0], ACTION_OUTCOME_APPLIED);
        assert_int_equal(out[1], ACTION_OUTCOME_FAILED);
        assert_int_equal(out[2], ACTION_OUTCOME_APPLIED);
        assert_int_equal(out[3], ACTION_OUTCOME_SKIPPED);
        assert_int_equal(out[4], ACTION_OUTCOME_SKIPPED);
        assert_int_equal(out[5], ACTION_OUTCOME_APPLIED);
        assert_string_equal(action_outcome_to_string(out[3]), "skipped");
        assert_true(fixture_exists(e->root, "/etc/a1.conf"));
        assert_true(fixture_exists(e->root, "/etc/a2.conf"));
        assert_true(fixture_exists(e->root, "/etc/c.conf"));
        assert_false(fixture_exists(e->root, "/etc/b2.conf"));
        char *got = fixture_read(e->root, "/etc/fstab");
        assert_string_equal(got, "edited\n");
        free(got);
}

/* A temp file whose maker is gone (SIGKILL) is removed by the next run; one whose
 * maker lives, one not marked as hostfit's, or one only named like it, is kept. */
static void set_creator(const char *root, const char *path, const char *tag) {
        char *p;
        assert_true(asprintf(&p, "%s%s", root, path) > 0);
        assert_int_equal(setxattr(p, "user.hostfit.creator", tag, strlen(tag), 0), 0);
        free(p);
}

static void test_stale_temps_of_dead_runs_are_swept(void **state) {
        struct env *e = *state;
        char boot[64] = "";
        FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
        assert_non_null(f);
        assert_non_null(fgets(boot, sizeof(boot), f));
        fclose(f);
        boot[strcspn(boot, "\n")] = '\0';
        pid_t dead = fork();
        if (dead == 0)
                _exit(0);
        assert_int_equal(waitpid(dead, NULL, 0), dead);
        char tag[128];
        fixture_write(e->root, "/.#swapfile.aB3xY9", "half a swap file");
        snprintf(tag, sizeof(tag), "%d 12345 %s", (int) dead, boot);
        set_creator(e->root, "/.#swapfile.aB3xY9", tag);
        fixture_write(e->root, "/etc/.#fstab.Qw12er", "from another boot");
        set_creator(e->root, "/etc/.#fstab.Qw12er", "1 1 00000000-0000-0000-0000-000000000000");
        fixture_write(e->root, "/etc/.#hosts.Zz99zz", "a live run's");
        snprintf(tag, sizeof(tag), "%d 0 %s", (int) getpid(), boot);
        f = fopen("/proc/self/stat", "re");
        char stat[1024];
        assert_non_null(fgets(stat, sizeof(stat), f));
        fclose(f);
        unsigned long long start;
        assert_int_equal(sscanf(strrchr(stat, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
                                "%*d %*d %*d %*d %*d %*d %llu", &start), 1);
        snprintf(tag, sizeof(tag), "%d %llu %s", (int) getpid(), start, boot);
        set_creator(e->root, "/etc/.#hosts.Zz99zz", tag);
        fixture_write(e->root, "/etc/.#admin.Ab12Cd", "an editor's, no mark");
        fixture_write(e->root, "/etc/.#notours", "wrong pattern");
        snprintf(tag, sizeof(tag), "%d 12345 %s", (int) dead, boot);
        set_creator(e->root, "/etc/.#notours", tag);
        unsigned removed = 0;
        assert_int_equal(plan_sweep_stale_temps(e->plan, e->host, &removed), 0);
        assert_int_equal(removed, 2);
        assert_false(fixture_exists(e->root, "/.#swapfile.aB3xY9"));
        assert_false(fixture_exists(e->root, "/etc/.#fstab.Qw12er"));
        assert_true(fixture_exists(e->root, "/etc/.#hosts.Zz99zz"));
        assert_true(fixture_exists(e->root, "/etc/.#admin.Ab12Cd"));
        assert_true(fixture_exists(e->root, "/etc/.#notours"));
}

/* What undo sweeps before it plans (no plan yet): the temps a killed fix or undo left among
 * the run records and anywhere in a run's backup tree, as well as in /etc. */
static void test_stale_temps_in_records_and_backups_are_swept(void **state) {
        struct env *e = *state;
        const char *tag = "1 1 00000000-0000-0000-0000-000000000000";       /* another boot's */
        fixture_write(e->root, "/var/lib/hostfit/runs/.#20260101T000000Z.json.aB3xY9", "{\"stamp\"");
        fixture_write(e->root, "/var/backups/hostfit/20260101T000000Z/etc/systemd/system/.#a.service.Qw12er", "[Unit");
        fixture_write(e->root, "/var/backups/hostfit/20260101T000000Z/.#swapfile.Cd4eF5", "half");
        fixture_write(e->root, "/var/backups/hostfit/20260101T000000Z/etc/.#fstab.Zz99zz", "an editor's, no mark");
        set_creator(e->root, "/var/lib/hostfit/runs/.#20260101T000000Z.json.aB3xY9", tag);
        set_creator(e->root, "/var/backups/hostfit/20260101T000000Z/etc/systemd/system/.#a.service.Qw12er", tag);
        set_creator(e->root, "/var/backups/hostfit/20260101T000000Z/.#swapfile.Cd4eF5", tag);
        unsigned removed = 0;
        assert_int_equal(plan_sweep_stale_temps(NULL, e->host, &removed), 0);
        assert_int_equal(removed, 3);
        assert_false(fixture_exists(e->root, "/var/lib/hostfit/runs/.#20260101T000000Z.json.aB3xY9"));
        assert_false(fixture_exists(e->root, "/var/backups/hostfit/20260101T000000Z/etc/systemd/system/.#a.service.Qw12er"));
        assert_false(fixture_exists(e->root, "/var/backups/hostfit/20260101T000000Z/.#swapfile.Cd4eF5"));
        assert_true(fixture_exists(e->root, "/var/backups/hostfit/20260101T000000Z/etc/.#fstab.Zz99zz"));
}

/* Every temp apply makes carries the mark of the run that made it. */
static void test_temp_marked_with_its_maker(void **state) {
        struct env *e = *state;
        int dfd = open(e->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char name[256], tag[128];
        int fd = apply_tmpfile(dfd, "fstab", name, sizeof(name));
        assert_true(fd >= 0);
        ssize_t n = fgetxattr(fd, "user.hostfit.creator", tag, sizeof(tag) - 1);
        assert_true(n > 0);
        tag[n] = '\0';
        int pid = 0;
        assert_int_equal(sscanf(tag, "%d", &pid), 1);
        assert_int_equal(pid, getpid());
        apply_tmpfile_done(dfd, name, true);
        close(fd);
        close(dfd);
}

/* A signal during the zero-fill stops it between chunks; the file keeps a swap signature. */
static void record_and_hangup(void *userdata, const char *path, uint64_t done, uint64_t total) {
        raise(SIGHUP);
}

static void test_zero_fill_stops_between_chunks_on_a_signal(void **state) {
        struct env *e = *state;
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        if (pid == 0) {
                char *path;
                if (asprintf(&path, "%s/swapfile", e->root) < 0)
                        _exit(2);
                int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                signal(SIGHUP, SIG_DFL);        /* whatever the test runner was started with */
                apply_signals_begin();
                plan_apply_progress(record_and_hangup, NULL);
                int r = swapfile_rewrite(fd, UINT64_C(256) << 20, "/swapfile");
                bool is_swap = false;
                (void) swap_probe_fd(fd, &is_swap);
                struct stat st;
                fstat(fd, &st);
                char res[128];
                int len = snprintf(res, sizeof(res), "%d %d %lld", r, is_swap, (long long) st.st_blocks * 512);
                if (write(pfd[1], res, (size_t) len) != len)
                        _exit(3);
                apply_signals_end();    /* the deferred SIGHUP is delivered here */
                _exit(0);
        }
        close(pfd[1]);
        char res[128] = "";
        ssize_t n = read(pfd[0], res, sizeof(res) - 1);
        close(pfd[0]);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(n > 0);
        int r, is_swap;
        long long bytes;
        assert_int_equal(sscanf(res, "%d %d %lld", &r, &is_swap, &bytes), 3);
        assert_int_equal(r, -EINTR);
        assert_true(is_swap);
        assert_true(bytes < (256LL << 20));     /* stopped after the first 64 MiB, not at the end */
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGHUP);
}

/* Under nohup SIGHUP is ignored, and stays so: the zero-fill runs to its end and nothing is raised. */
static void test_ignored_hangup_stays_ignored(void **state) {
        struct env *e = *state;
        pid_t pid = fork();
        if (pid == 0) {
                char *path;
                if (asprintf(&path, "%s/swapfile", e->root) < 0)
                        _exit(2);
                int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                signal(SIGHUP, SIG_IGN);
                apply_signals_begin();
                plan_apply_progress(record_and_hangup, NULL);
                int r = swapfile_rewrite(fd, UINT64_C(128) << 20, "/swapfile");
                struct stat st;
                fstat(fd, &st);
                bool interrupted = apply_interrupted();
                apply_signals_end();
                _exit(r == 0 && !interrupted && st.st_size == (INT64_C(128) << 20) ? 0 : 4);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_second_plan_after_apply_is_empty(void **state) {
        struct env *e = *state;
        const char *fstab = "UUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n";
        const char *unit = "[Service]\nMemoryMax=1G\n";
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", fstab, strlen(fstab), 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/systemd/system/a.service.d/h.conf", unit, strlen(unit), 0644), 1);
        assert_int_equal(apply(e), 0);
        host_free(e->host);
        plan_free(e->plan);
        env_open(e);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", fstab, strlen(fstab), 0644), 0);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/systemd/system/a.service.d/h.conf", unit, strlen(unit), 0644), 0);
        assert_int_equal(plan_size(e->plan), 0);
}

static void test_render_then_nothing_applied_writes_nothing(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/fstab", "n\n", 2, 0644), 1);
        assert_int_equal(plan_add_write(e->plan, "x", "/etc/new/d/f", "n\n", 2, 0644), 1);
        assert_int_equal(plan_add_swapfile(e->plan, "x", "/swapfile", 1 << 20), 1);
        char *before = fixture_tree_hash(e->root);
        FILE *devnull = fopen("/dev/null", "w");
        assert_int_equal(plan_render_text(e->plan, devnull, true), 0);
        assert_int_equal(plan_render_json(e->plan, devnull), 0);
        fclose(devnull);
        char *after = fixture_tree_hash(e->root);
        assert_string_equal(before, after);
        free(before);
        free(after);
}

static void test_deferred_and_manual_are_logged_not_run(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_swapon(e->plan, "x", "/swapfile", -1), 1);
        assert_int_equal(plan_add_systemd(e->plan, "x", SYSTEMD_DAEMON_RELOAD, NULL, NULL), 1);
        assert_int_equal(plan_add_oom_score_adj(e->plan, "x", 1, "init", 0, 100), 1);
        assert_int_equal(plan_add_manual(e->plan, "x", "reboot when convenient"), 1);
        char *before = fixture_tree_hash(e->root);
        assert_int_equal(apply(e), 0);
        assert_int_equal(e->n_logged, 4);
        assert_string_equal(e->last_msg, "manual: reboot when convenient");
        char *after = fixture_tree_hash(e->root);
        assert_string_equal(before, after);
        free(before);
        free(after);
}

/* ---- swap files ---- */

static void test_swapfile_created_with_signature(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_swapfile(e->plan, "swap-missing", "/var/swap/swapfile", 1 << 20), 1);
        assert_int_equal(apply(e), 0);
        assert_int_equal(mode_of(e->root, "/var/swap/swapfile"), 0600);
        char *p = path_in(e->root, "/var/swap/swapfile");
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 1 << 20);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        bool is_swap = false;
        assert_int_equal(swap_probe_fd(fd, &is_swap), 0);
        assert_true(is_swap);
        close(fd);
        char *cmd;
        assert_true(asprintf(&cmd, "blkid -p -o value -s TYPE '%s'", p) > 0);
        FILE *f = popen(cmd, "r");
        char type[32] = "";
        assert_non_null(fgets(type, sizeof(type), f));
        pclose(f);
        assert_string_equal(type, "swap\n");
        assert_int_equal(count_temps(e->root), 0);
        free(cmd);
        free(p);
}

static void test_swap_signature_layout_matches_mkswap(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_swapfile(e->plan, "x", "/swapfile", 1 << 20), 1);
        assert_int_equal(apply(e), 0);
        char *p = path_in(e->root, "/swapfile");
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        long ps = sysconf(_SC_PAGESIZE);
        unsigned char *page = malloc((size_t) ps);
        assert_int_equal(pread(fd, page, (size_t) ps, 0), ps);
        uint32_t version, last_page, nr_bad;
        memcpy(&version, page + 1024, 4);
        memcpy(&last_page, page + 1028, 4);
        memcpy(&nr_bad, page + 1032, 4);
        assert_int_equal(version, 1);
        assert_int_equal(last_page, (1 << 20) / ps - 1);
        assert_int_equal(nr_bad, 0);
        assert_int_equal(page[1036 + 6] >> 4, 4);               /* UUID version 4 */
        assert_int_equal(page[1036 + 8] & 0xc0, 0x80);          /* RFC 4122 variant */
        assert_memory_equal(page + ps - 10, "SWAPSPACE2", 10);
        close(fd);
        free(page);
        free(p);
}

static void test_swap_probe_rejects_plain_file(void **state) {
        struct env *e = *state;
        char *p = path_in(e->root, "/etc/fstab");
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        bool is_swap = true;
        assert_int_equal(swap_probe_fd(fd, &is_swap), 0);
        assert_false(is_swap);
        close(fd);
        free(p);
}

static void test_swapfile_refused_on_tmpfs(void **state) {
        struct env *e = *state;
        struct stat st;
        if (stat("/dev/shm", &st) < 0) {
                print_message("skip: no /dev/shm (tmpfs) here to refuse a swapfile on\n");
                skip();
        }
        plan_free(e->plan);
        host_free(e->host);
        fixture_remove(e->root);
        e->root = strdup("/dev/shm/hostfit-root.XXXXXX");
        assert_non_null(mkdtemp(e->root));
        env_open(e);
        assert_int_equal(plan_add_swapfile(e->plan, "swap-missing", "/swapfile", 1 << 20), 1);
        assert_int_equal(apply(e), -EOPNOTSUPP);
        assert_non_null(strstr(e->last_msg, "zram"));
        assert_false(fixture_exists(e->root, "/swapfile"));
        assert_int_equal(count_temps(e->root), 0);
}

static void test_swapfile_existing_target_refused(void **state) {
        struct env *e = *state;
        fixture_write(e->root, "/swapfile", "precious data\n");
        assert_int_equal(plan_add_swapfile(e->plan, "swap-missing", "/swapfile", 1 << 20), 1);
        assert_int_equal(apply(e), -EEXIST);
        char *got = fixture_read(e->root, "/swapfile");
        assert_string_equal(got, "precious data\n");
        free(got);
        assert_int_equal(count_temps(e->root), 0);
}

static void test_swapfile_too_small_refused(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_swapfile(e->plan, "x", "/swapfile", 4096), 1);
        assert_int_equal(apply(e), -EINVAL);
        assert_false(fixture_exists(e->root, "/swapfile"));
}

static void test_swapfile_no_temp_left_when_allocation_fails(void **state) {
        struct env *e = *state;
        assert_int_equal(plan_add_swapfile(e->plan, "x", "/swapfile", 8 << 20), 1);
        struct rlimit old, lim = { .rlim_cur = 1 << 20, .rlim_max = RLIM_INFINITY };
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        int r = apply(e);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, SIG_DFL);
        assert_int_equal(r, -EFBIG);
        assert_false(fixture_exists(e->root, "/swapfile"));
        assert_int_equal(count_temps(e->root), 0);
}

static void test_fs_refusal_names_each_filesystem(void **state) {
        assert_non_null(swapfile_fs_refusal(0x01021994));       /* tmpfs */
        assert_non_null(swapfile_fs_refusal(0x858458f6));       /* ramfs */
        assert_non_null(swapfile_fs_refusal(0x794c7630));       /* overlayfs */
        assert_non_null(swapfile_fs_refusal(0x2fc12fc1));       /* zfs */
        assert_non_null(swapfile_fs_refusal(0x6969));           /* nfs */
        assert_non_null(swapfile_fs_refusal(0xff534d42));       /* cifs */
        assert_non_null(swapfile_fs_refusal(0x73717368));       /* squashfs */
        assert_null(swapfile_fs_refusal(0xef53));               /* ext4 */
        assert_null(swapfile_fs_refusal(0x58465342));           /* xfs */
        assert_null(swapfile_fs_refusal(0x9123683e));           /* btrfs */
}

/* ---- systemd ---- */

static void test_property_sizes_parse_to_bytes(void **state) {
        char *name;
        uint64_t v;
        assert_int_equal(systemd_property_parse("MemoryMax=2G", &name, &v), 0);
        assert_string_equal(name, "MemoryMax");
        assert_int_equal(v, 2ULL << 30);
        free(name);
        assert_int_equal(systemd_property_parse("MemorySwapMax=infinity", &name, &v), 0);
        assert_true(v == UINT64_MAX);
        free(name);
        assert_int_equal(systemd_property_parse("MemoryHigh=512M", &name, &v), 0);
        assert_int_equal(v, 512ULL << 20);
        free(name);
}

static void test_property_oomscoreadjust_not_runtime(void **state) {
        char *name = NULL;
        uint64_t v;
        assert_int_equal(systemd_property_parse("OOMScoreAdjust=-500", &name, &v), -EOPNOTSUPP);
        assert_null(name);
}

static void test_property_unknown_or_bad_value_rejected(void **state) {
        char *name = NULL;
        uint64_t v;
        assert_int_equal(systemd_property_parse("ExecStart=/bin/sh", &name, &v), -EINVAL);
        assert_int_equal(systemd_property_parse("MemoryMax=lots", &name, &v), -EINVAL);
        assert_int_equal(systemd_property_parse("MemoryMax", &name, &v), -EINVAL);
        assert_int_equal(systemd_property_parse("=1G", &name, &v), -EINVAL);
        assert_null(name);
}

/* A bus object that never reaches a daemon: enough to build and read back messages. */
static sd_bus *offline_bus(int sv[2]) {
        sd_bus *bus = NULL;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, sv[0], sv[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        return bus;
}

static void test_set_property_marshals_typed_sizes(void **state) {
        int sv[2];
        sd_bus *bus = offline_bus(sv);
        sd_bus_message *m = NULL;
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager", "SetUnitProperties"), 0);
        assert_true(sd_bus_message_append(m, "sb", "a.service", true) >= 0);
        char *props[] = { (char *) "MemoryHigh=1536M", (char *) "MemoryMax=2G", (char *) "MemorySwapMax=infinity", NULL };
        struct strbuf msg = STRBUF_INIT;
        assert_int_equal(systemd_append_properties(m, props, &msg), 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_true(sd_bus_message_rewind(m, true) >= 0);
        assert_string_equal(sd_bus_message_get_signature(m, true), "sba(sv)");
        const char *unit, *name;
        int runtime;
        uint64_t v[3];
        assert_true(sd_bus_message_read(m, "sb", &unit, &runtime) > 0);
        assert_string_equal(unit, "a.service");
        assert_true(runtime);
        assert_true(sd_bus_message_enter_container(m, 'a', "(sv)") > 0);
        const char *expected[] = { "MemoryHigh", "MemoryMax", "MemorySwapMax" };
        for (int i = 0; i < 3; i++) {
                assert_true(sd_bus_message_read(m, "(sv)", &name, "t", &v[i]) > 0);
                assert_string_equal(name, expected[i]);
        }
        assert_true(v[0] == 1536ULL << 20);
        assert_true(v[1] == 2ULL << 30);
        assert_true(v[2] == UINT64_MAX);
        assert_int_equal(sd_bus_message_exit_container(m), 1);
        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        close(sv[1]);
        strbuf_release(&msg);
}

static void test_set_property_marshalling_refuses_oomscoreadjust(void **state) {
        int sv[2];
        sd_bus *bus = offline_bus(sv);
        sd_bus_message *m = NULL;
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager", "SetUnitProperties"), 0);
        char *props[] = { (char *) "OOMScoreAdjust=-100", NULL };
        struct strbuf msg = STRBUF_INIT;
        assert_int_equal(systemd_append_properties(m, props, &msg), -EOPNOTSUPP);
        assert_non_null(strstr(strbuf_str(&msg), "cannot be set at runtime"));
        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        close(sv[1]);
        strbuf_release(&msg);
}

static void test_set_property_oomscoreadjust_refused_before_bus(void **state) {
        char *props[] = { (char *) "MemoryMax=1G", (char *) "OOMScoreAdjust=-500", NULL };
        struct action a = { .kind = ACTION_SYSTEMD, .op = SYSTEMD_SET_PROPERTY, .unit = (char *) "a.service",
                            .properties = props };
        struct strbuf msg = STRBUF_INIT;
        assert_int_equal(systemd_apply(&a, &msg), -EOPNOTSUPP);
        assert_non_null(strstr(strbuf_str(&msg), "OOMScoreAdjust=-500 cannot be set at runtime"));
        strbuf_release(&msg);
}

static void test_systemd_without_bus_fails_cleanly(void **state) {
        if (access("/run/dbus/system_bus_socket", F_OK) == 0) {
                print_message("skip: this host has a system bus; the test needs one without it\n");
                skip();
        }
        struct action a = { .kind = ACTION_SYSTEMD, .op = SYSTEMD_DAEMON_RELOAD };
        struct strbuf msg = STRBUF_INIT;
        int r = systemd_apply(&a, &msg);
        assert_true(r < 0);
        assert_true(strstr(strbuf_str(&msg), "system bus") || strstr(strbuf_str(&msg), "daemon-reload failed"));
        strbuf_release(&msg);
}

/* ---- the live system: only what the test can undo ---- */

struct live {
        struct host *host;
        struct plan *plan;
        pid_t child;
        char *dir;
        char *swapfile;
        char last_msg[1024];
};

static void live_log(void *userdata, const struct action *a, int r, const char *msg) {
        struct live *l = userdata;
        snprintf(l->last_msg, sizeof(l->last_msg), "%s", msg);
}

/* A child named "hfsleeper" that waits to be killed. */
static int live_setup(void **state) {
        struct live *l = calloc(1, sizeof(*l));
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        l->child = fork();
        assert_true(l->child >= 0);
        if (l->child == 0) {
                prctl(PR_SET_NAME, "hfsleeper");
                if (write(fds[1], "x", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        char c;
        assert_int_equal(read(fds[0], &c, 1), 1);
        close(fds[0]);
        close(fds[1]);
        assert_int_equal(host_open("/", &l->host), 0);
        assert_true(host_is_live(l->host));
        assert_int_equal(plan_new(l->host, &l->plan), 0);
        *state = l;
        return 0;
}

static int live_teardown(void **state) {
        struct live *l = *state;
        if (l->swapfile)
                (void) swapoff(l->swapfile);
        if (l->dir)
                fixture_remove(l->dir);
        free(l->swapfile);
        kill(l->child, SIGKILL);
        waitpid(l->child, NULL, 0);
        plan_free(l->plan);
        host_free(l->host);
        free(l);
        return 0;
}

static int child_adj(pid_t pid) {
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/oom_score_adj", (int) pid);
        FILE *f = fopen(p, "re");
        int v = 12345;
        assert_int_equal(fscanf(f, "%d", &v), 1);
        fclose(f);
        return v;
}

static void test_oom_score_adj_raised_live(void **state) {
        struct live *l = *state;
        int now = child_adj(l->child);
        int to = now + 100 > 1000 ? 1000 : now + 100;
        assert_int_equal(plan_add_oom_score_adj(l->plan, "x", l->child, "hfsleeper", now, to), 1);
        assert_false(plan_action(l->plan, 0)->deferred);
        assert_int_equal(plan_apply(l->plan, l->host, live_log, l), 0);
        assert_int_equal(child_adj(l->child), to);
}

static void test_oom_score_adj_stale_value(void **state) {
        struct live *l = *state;
        int now = child_adj(l->child);
        assert_int_equal(plan_add_oom_score_adj(l->plan, "x", l->child, "hfsleeper", now + 1, now + 200), 1);
        assert_int_equal(plan_apply(l->plan, l->host, live_log, l), -ESTALE);
        assert_int_equal(child_adj(l->child), now);
        assert_non_null(strstr(l->last_msg, "changed since the plan was made"));
}

static void test_oom_score_adj_stale_comm(void **state) {
        struct live *l = *state;
        int now = child_adj(l->child);
        assert_int_equal(plan_add_oom_score_adj(l->plan, "x", l->child, "node", now, now + 200), 1);
        assert_int_equal(plan_apply(l->plan, l->host, live_log, l), -ESTALE);
        assert_int_equal(child_adj(l->child), now);
}

static bool have_cap_sys_resource(void) {
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned long long caps = 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &caps) == 1)
                        break;
        fclose(f);
        return caps & (1ULL << 24);
}

static void test_oom_score_adj_lowering_needs_cap(void **state) {
        struct live *l = *state;
        if (have_cap_sys_resource()) {
                print_message("skip: runs with CAP_SYS_RESOURCE, which may lower oom_score_adj\n");
                skip();
        }
        int now = child_adj(l->child);
        assert_int_equal(plan_add_oom_score_adj(l->plan, "x", l->child, "hfsleeper", now, -500), 1);
        int r = plan_apply(l->plan, l->host, live_log, l);
        assert_true(r == -EACCES || r == -EPERM);
        assert_non_null(strstr(l->last_msg, "needs CAP_SYS_RESOURCE"));
        assert_int_equal(child_adj(l->child), now);
}

struct progress_seen {
        unsigned calls;
        uint64_t last, total;
        bool monotonic;
};

static void record_progress(void *userdata, const char *path, uint64_t done, uint64_t total) {
        struct progress_seen *s = userdata;
        assert_string_equal(path, "/swapfile");
        s->monotonic = s->monotonic && done > s->last && done <= total;
        s->calls++;
        s->last = done;
        s->total = total;
}

/* Zero-filling reports its progress every 64 MiB and once at the end, then stops when cleared. */
static void test_swapfile_zero_fill_reports_progress(void **state) {
        char *root = fixture_new();
        char *path;
        assert_true(asprintf(&path, "%s/swapfile", root) > 0);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        struct progress_seen seen = { .monotonic = true };
        const uint64_t size = (UINT64_C(130) << 20);
        plan_apply_progress(record_progress, &seen);
        assert_int_equal(swapfile_rewrite(fd, size, "/swapfile"), 0);
        plan_apply_progress(NULL, NULL);
        assert_int_equal(seen.calls, 3);        /* 64 MiB, 128 MiB, 130 MiB */
        assert_true(seen.monotonic);
        assert_int_equal(seen.last, size);
        assert_int_equal(seen.total, size);
        bool is_swap = false;
        assert_int_equal(swap_probe_fd(fd, &is_swap), 0);
        assert_true(is_swap);
        unsigned before = seen.calls;
        assert_int_equal(swapfile_rewrite(fd, UINT64_C(1) << 20, "/swapfile"), 0);
        assert_int_equal(seen.calls, before);
        close(fd);
        free(path);
        fixture_remove(root);
}

/* Three units, each written, reloaded and started by its fix: one reload after the last file. */
static void test_plan_has_one_daemon_reload_after_the_last_unit_file(void **state) {
        struct env *e = *state;
        static const char *const units[] = { "a.service", "b.service", "c.service" };
        for (size_t i = 0; i < 3; i++) {
                char path[128];
                snprintf(path, sizeof(path), "/etc/systemd/system/%s.d/50-hostfit.conf", units[i]);
                assert_int_equal(plan_add_write(e->plan, "unit-memorymax", path, "[Service]\nMemoryMax=1G\n", 24, 0644), 1);
                assert_int_equal(plan_add_systemd(e->plan, "unit-memorymax", SYSTEMD_DAEMON_RELOAD, NULL, NULL) >= 0, 1);
                assert_int_equal(plan_add_systemd(e->plan, "unit-memorymax", SYSTEMD_RESTART, units[i], NULL), 1);
        }
        assert_int_equal(plan_add_write(e->plan, "swap-missing", "/etc/fstab", "x\n", 2, 0644), 1);
        assert_int_equal(plan_merge_reloads(e->plan), 2);
        size_t reloads = 0, reload_at = 0, last_unit = 0, first_restart = plan_size(e->plan);
        for (size_t i = 0; i < plan_size(e->plan); i++) {
                const struct action *a = plan_action(e->plan, i);
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_DAEMON_RELOAD)
                        reloads++, reload_at = i;
                if (a->kind == ACTION_WRITE_FILE && strstr(a->path, "/systemd/"))
                        last_unit = i;
                if (a->kind == ACTION_SYSTEMD && a->op == SYSTEMD_RESTART && i < first_restart)
                        first_restart = i;
        }
        assert_int_equal(reloads, 1);
        assert_true(last_unit < reload_at);
        assert_true(reload_at < first_restart);
        assert_int_equal(plan_size(e->plan), 3 + 1 + 3 + 1);
        /* The restarts keep their order, and fstab stays last. */
        assert_string_equal(plan_action(e->plan, first_restart)->unit, "a.service");
        assert_string_equal(plan_action(e->plan, first_restart + 2)->unit, "c.service");
        assert_string_equal(plan_action(e->plan, plan_size(e->plan) - 1)->path, "/etc/fstab");
        /* Merged once, nothing more to merge. */
        assert_int_equal(plan_merge_reloads(e->plan), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_swapfile_zero_fill_reports_progress),
                cmocka_unit_test_setup_teardown(test_new_file_creates_missing_parent_dirs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace_keeps_mode_and_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace_makes_backup_with_old_content, setup, teardown),
                cmocka_unit_test_setup_teardown(test_two_files_in_one_run_share_a_backup_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_as_target_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_as_parent_component_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlinks_refused_by_hand, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_when_file_changed_after_planning, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_when_new_file_appeared_after_planning, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failure_stops_plan_and_rerun_completes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_temp_left_after_write_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sigterm_removes_temp_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sighup_removes_temp_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sigquit_removes_temp_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failure_stops_only_its_own_check, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_temps_of_dead_runs_are_swept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stale_temps_in_records_and_backups_are_swept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_temp_marked_with_its_maker, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zero_fill_stops_between_chunks_on_a_signal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ignored_hangup_stays_ignored, setup, teardown),
                cmocka_unit_test_setup_teardown(test_second_plan_after_apply_is_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_render_then_nothing_applied_writes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deferred_and_manual_are_logged_not_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swapfile_created_with_signature, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swap_signature_layout_matches_mkswap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swap_probe_rejects_plain_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swapfile_refused_on_tmpfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swapfile_existing_target_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swapfile_too_small_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_swapfile_no_temp_left_when_allocation_fails, setup, teardown),
                cmocka_unit_test(test_fs_refusal_names_each_filesystem),
                cmocka_unit_test(test_property_sizes_parse_to_bytes),
                cmocka_unit_test(test_property_oomscoreadjust_not_runtime),
                cmocka_unit_test(test_property_unknown_or_bad_value_rejected),
                cmocka_unit_test(test_set_property_marshals_typed_sizes),
                cmocka_unit_test(test_set_property_marshalling_refuses_oomscoreadjust),
                cmocka_unit_test(test_set_property_oomscoreadjust_refused_before_bus),
                cmocka_unit_test(test_systemd_without_bus_fails_cleanly),
                cmocka_unit_test_setup_teardown(test_oom_score_adj_raised_live, live_setup, live_teardown),
                cmocka_unit_test_setup_teardown(test_oom_score_adj_stale_value, live_setup, live_teardown),
                cmocka_unit_test_setup_teardown(test_oom_score_adj_stale_comm, live_setup, live_teardown),
                cmocka_unit_test_setup_teardown(test_oom_score_adj_lowering_needs_cap, live_setup, live_teardown),
                cmocka_unit_test_setup_teardown(test_plan_has_one_daemon_reload_after_the_last_unit_file, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
