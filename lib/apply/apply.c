/* SPDX-License-Identifier: MIT */
/* Apply: the only code that writes to the host. Files are replaced atomically
 * under the root with no symlink followed, after a backup and a check that
 * they still hold what the plan saw; each step checks its own precondition so
 * that a rerun of plan + apply completes what a failure left. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "apply/apply-internal.h"
#include "text/cleanup.h"
#include "host/host.h"
#include "host/resolve.h"
#include "plan/plan.h"
#include "apply/swapdev.h"

#define APPLY_FILE_MAX (4u << 20)
#define BACKUP_DIR "/var/backups/hostfit"
/* journalctl MESSAGE_ID=… lists every change hostfit made (docs/hostfit.catalog). */
#define HOSTFIT_CHANGE_MESSAGE_ID "6fa71775c79a45be9ba00d192386294d"

/* ---- temp files, removed on SIGINT/SIGTERM/SIGHUP/SIGQUIT ---- */

static volatile sig_atomic_t tmp_armed;
static int tmp_dirfd = -1;
static char tmp_name[NAME_MAX + 1];
/* A long step (zero-filling a swap file) checks apply_interrupted() between
 * chunks and cleans up itself; elsewhere the handler unlinks the temp and the
 * signal takes its course at once. */
static volatile sig_atomic_t sig_deferred;
static volatile sig_atomic_t sig_caught;

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_HANDLED (sizeof(handled_signals) / sizeof(handled_signals[0]))
static struct sigaction old_actions[N_HANDLED];

static void signal_restore_one(int sig) {
        for (size_t i = 0; i < N_HANDLED; i++)
                if (handled_signals[i] == sig)
                        sigaction(sig, &old_actions[i], NULL);
}

static void on_signal(int sig) {
        sig_caught = sig;
        if (sig_deferred)
                return;
        if (tmp_armed)
                unlinkat(tmp_dirfd, tmp_name, 0);
        signal_restore_one(sig);
        raise(sig);
}

static void signals_install(void) {
        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sig_caught = 0;
        for (size_t i = 0; i < N_HANDLED; i++) {
                sigaction(handled_signals[i], NULL, &old_actions[i]);
                /* A signal ignored by whoever started hostfit (nohup, a background job) stays ignored. */
                if (!(old_actions[i].sa_flags & SA_SIGINFO) && old_actions[i].sa_handler == SIG_IGN)
                        continue;
                sigaction(handled_signals[i], &sa, NULL);
        }
}

/* Put the old handlers back; a signal a long step caught is delivered now. */
static void signals_restore(void) {
        for (size_t i = 0; i < N_HANDLED; i++)
                sigaction(handled_signals[i], &old_actions[i], NULL);
        int sig = sig_caught;
        sig_caught = 0;
        if (sig) {
                fflush(NULL);
                raise(sig);
        }
}

void apply_signals_begin(void) {
        signals_install();
}

void apply_signals_end(void) {
        signals_restore();
}

bool apply_interrupted(void) {
        return sig_caught != 0;
}

/* A signal caught while deferred stays in sig_caught: the step returns -EINTR,
 * cleans up, plan_apply stops, and signals_restore() delivers it. */
void apply_defer_signals(bool on) {
        sig_deferred = on;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* ---- who made a temp: "PID STARTTIME BOOTID" in an xattr, for the stale sweep ---- */

#define TMP_XATTR "user.hostfit.creator"

static int proc_start_time(pid_t pid, unsigned long long *ret) {
        char p[64], buf[1024];
        snprintf(p, sizeof(p), "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        char *s = strrchr(buf, ')');
        if (!s)
                return -EBADMSG;
        /* Field 22 (starttime): the 20th after ") ". */
        unsigned long long v;
        if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &v) != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int boot_id(char ret[40]) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, ret, 39);
        if (n < 36)
                return -EIO;
        ret[36] = '\0';
        return 0;
}

static char creator_tag[128];
static pid_t creator_pid;

static const char *tmp_creator(void) {
        /* Computed once per process (a forked child makes its own). */
        if (creator_pid != getpid()) {
                creator_pid = getpid();
                unsigned long long st = 0;
                char id[40] = "-";
                (void) proc_start_time(getpid(), &st);
                (void) boot_id(id);
                snprintf(creator_tag, sizeof(creator_tag), "%d %llu %s", (int) getpid(), st, id);
        }
        return creator_tag;
}

/* Is the process that wrote TAG gone (another boot, no such pid, another start time)? */
static bool tmp_creator_gone(const char *tag) {
        int pid;
        unsigned long long st, now;
        char id[40], cur[40];
        if (sscanf(tag, "%d %llu %39s", &pid, &st, id) != 3 || pid <= 0)
                return false;   /* not ours to judge */
        if (boot_id(cur) == 0 && strcmp(cur, id) != 0)
                return true;
        int r = proc_start_time(pid, &now);
        if (r == -ENOENT)
                return true;
        return r == 0 && now != st;
}

/* A fresh ".#BASE.XXXXXX" in NAME. */
static int tmp_name_make(const char *base, char *name, size_t name_size) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return -EIO;
        char suffix[7];
        for (size_t i = 0; i < 6; i++)
                suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
        suffix[6] = '\0';
        int n = snprintf(name, name_size, ".#%s.%s", base, suffix);
        if (n < 0 || (size_t) n >= name_size || (size_t) n > NAME_MAX)
                return -ENAMETOOLONG;
        return n;
}

/* From here until apply_tmpfile_done(), SIGINT/SIGTERM unlink NAME in DIRFD. */
static void tmp_arm(int dirfd, const char *name, size_t len) {
        tmp_armed = 0;
        tmp_dirfd = dirfd;
        memcpy(tmp_name, name, len + 1);
        /* The handler must see the name complete before the flag. */
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        tmp_armed = 1;
}

/* The handled signals held back while a temp is created and armed: one that came
 * between the two would find a file it does not know to remove. */
static void signals_hold(sigset_t *old) {
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < N_HANDLED; i++)
                sigaddset(&set, handled_signals[i]);
        sigprocmask(SIG_BLOCK, &set, old);
}

int apply_tmpfile(int dirfd, const char *base, char *name, size_t name_size) {
        for (int attempt = 0; attempt < 100; attempt++) {
                int n = tmp_name_make(base, name, name_size);
                if (n < 0)
                        return n;
                sigset_t old;
                signals_hold(&old);
                int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                int r = fd < 0 ? -errno : 0;
                if (fd >= 0)
                        tmp_arm(dirfd, name, (size_t) n);
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;
                /* Who made it, so a later run removes it if this one dies (SIGKILL). Best effort:
                 * a filesystem without user xattrs keeps what it cannot prove stale. */
                const char *tag = tmp_creator();
                (void) fsetxattr(fd, TMP_XATTR, tag, strlen(tag), XATTR_CREATE);
                return fd;
        }
        return -EEXIST;
}

/* The same for a symlink to TARGET. */
static int apply_tmplink(int dirfd, const char *base, const char *target, char *name, size_t name_size) {
        for (int attempt = 0; attempt < 100; attempt++) {
                int n = tmp_name_make(base, name, name_size);
                if (n < 0)
                        return n;
                sigset_t old;
                signals_hold(&old);
                int r = symlinkat(target, dirfd, name) < 0 ? -errno : 0;
                if (r == 0)
                        tmp_arm(dirfd, name, (size_t) n);
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;
                return 0;
        }
        return -EEXIST;
}

void apply_tmpfile_done(int dirfd, const char *name, bool unlink) {
        tmp_armed = 0;
        if (unlink)
                (void) unlinkat(dirfd, name, 0);
}

/* ---- directories under the root ---- */

static long openat2_dir(int dirfd, const char *path, uint64_t resolve) {
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = resolve | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        /* By hand on a kernel without openat2 (before 5.6; qemu-user), same rules. */
        return resolve_openat2(dirfd, path, &how);
}

/* Walk DIR one component at a time, creating what is missing. */
static int make_dirs(int base_fd, const char *dir, mode_t mode) {
        _cleanup_free_ char *copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int cur = (int) openat2_dir(base_fd, ".", RESOLVE_IN_ROOT);
        if (cur < 0)
                return cur;
        for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0)
                        return -EINVAL;
                long fd = openat2_dir(cur, c, RESOLVE_BENEATH);
                if (fd == -ENOENT) {
                        if (mkdirat(cur, c, mode) < 0 && errno != EEXIST)
                                return -errno;
                        fd = openat2_dir(cur, c, RESOLVE_BENEATH);
                        /* Exactly MODE, whatever the umask. */
                        if (fd >= 0 && fchmod((int) fd, mode) < 0) {
                                int r = -errno;
                                close((int) fd);
                                return r;
                        }
                }
                if (fd < 0)
                        return (int) fd;
                close(cur);
                cur = (int) fd;
        }
        return TAKE_FD(cur);
}

int apply_open_dir(int base_fd, const char *dir, bool create, mode_t mode, struct strbuf *msg) {
        const char *rel = dir;
        while (*rel == '/')
                rel++;
        long fd = openat2_dir(base_fd, *rel ? rel : ".", RESOLVE_IN_ROOT);
        if (fd == -ENOENT && create)
                fd = make_dirs(base_fd, rel, mode);
        if (fd == -ELOOP || fd == -EXDEV)
                strbuf_addf(msg, "refusing %s: a component of the path is a symlink", dir);
        else if (fd < 0)
                strbuf_addf(msg, "cannot open directory %s: %s", dir, strerror((int) -fd));
        return fd == -EXDEV ? -ELOOP : (int) fd;
}

/* ---- files ---- */

/* Say why in MSG and return R (0 for a success message). */
static int msgf(struct strbuf *msg, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int msgf(struct strbuf *msg, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        (void) strbuf_vaddf(msg, fmt, ap);
        va_end(ap);
        return r;
}

static int msgs(struct strbuf *msg, int r, const char *s) {
        (void) strbuf_adds(msg, s);
        return r;
}

struct apply {
        struct host *host;
        int root_fd;
        plan_log_fn log;
        void *userdata;
        struct strbuf msg;
        char stamp[32];         /* backup directory of this run, made on first use */
};

static int split_path(const char *path, char **ret_dir, const char **ret_base) {
        const char *slash = strrchr(path, '/');
        if (!slash || !slash[1] || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
                return -EINVAL;
        char *dir = strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        *ret_dir = dir;
        *ret_base = slash + 1;
        return 0;
}

/* The file NAME in DFD as it is now: *ret NULL when it does not exist. */
static int read_current(int dfd, const char *name, char **ret, size_t *ret_len, struct stat *ret_st) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (fd < 0)
                return -errno;
        if (fstat(fd, ret_st) < 0)
                return -errno;
        if (!S_ISREG(ret_st->st_mode))
                return -EEXIST;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = strbuf_read_fd(&sb, fd, APPLY_FILE_MAX);
        if (r < 0)
                return r;
        char *s = strbuf_detach(&sb, ret_len);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int write_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Temp file, write, owner, mode, fsync, rename over NAME, fsync the directory. */
static int write_atomic(int dfd, const char *name, const char *data, size_t len,
                        mode_t mode, uid_t uid, gid_t gid, unsigned rename_flags) {
        char tmp[NAME_MAX + 1];
        _cleanup_close_ int fd = apply_tmpfile(dfd, name, tmp, sizeof(tmp));
        if (fd < 0)
                return fd;
        int r = write_all(fd, data, len);
        /* chown first: it clears set-id bits that fchmod then sets. */
        if (r == 0 && (fchown(fd, uid, gid) < 0 || fchmod(fd, mode & 07777) < 0 || fsync(fd) < 0))
                r = -errno;
        if (r == 0 && renameat2(dfd, tmp, dfd, name, rename_flags) < 0)
                r = -errno;
        apply_tmpfile_done(dfd, tmp, r < 0);
        if (r == 0 && fsync(dfd) < 0)
                r = -errno;
        return r;
}

/* The backup directory of this run: BACKUP_DIR/YYYYmmddTHHMMSSZ, a suffix if taken. */
static int backup_dir(struct apply *ap, int *ret) {
        _cleanup_close_ int base = apply_open_dir(ap->root_fd, BACKUP_DIR, true, 0700, &ap->msg);
        if (base < 0)
                return base;
        if (ap->stamp[0] && mkdirat(base, ap->stamp, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (!ap->stamp[0]) {
                time_t now = time(NULL);
                struct tm tm;
                char t[20];
                if (!gmtime_r(&now, &tm) || strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm) == 0)
                        return -EINVAL;
                for (int i = 0; !ap->stamp[0]; i++) {
                        char s[32];
                        snprintf(s, sizeof(s), i ? "%s.%d" : "%s", t, i);
                        if (mkdirat(base, s, 0700) == 0)
                                memcpy(ap->stamp, s, sizeof(s));
                        else if (errno != EEXIST || i > 1000)
                                return -errno;
                }
        }
        int fd = (int) openat2_dir(base, ap->stamp, RESOLVE_BENEATH);
        if (fd < 0)
                return fd;
        *ret = fd;
        return 0;
}

static int backup(struct apply *ap, const char *dir, const char *name,
                  const char *data, size_t len, const struct stat *st, char **ret_path) {
        _cleanup_close_ int sfd = -1;
        int r = backup_dir(ap, &sfd);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = apply_open_dir(sfd, *dir ? dir : "/", true, 0700, &ap->msg);
        if (dfd < 0)
                return dfd;
        r = write_atomic(dfd, name, data, len, st->st_mode, st->st_uid, st->st_gid, RENAME_NOREPLACE);
        if (r < 0)
                return r;
        return asprintf(ret_path, BACKUP_DIR "/%s%s/%s", ap->stamp, dir, name) < 0 ? -ENOMEM : 0;
}

static bool same_content(const char *a, size_t alen, const char *b, size_t blen) {
        if (!a || !b)
                return !a && !b;
        return alen == blen && memcmp(a, b, alen) == 0;
}

static int apply_write(struct apply *ap, const struct action *a) {
        _cleanup_free_ char *dir = NULL, *cur = NULL, *saved = NULL;
        const char *name;
        size_t cur_len;
        struct stat st;
        int r = split_path(a->path, &dir, &name);
        if (r < 0)
                return msgf(&ap->msg, r, "invalid path %s", a->path);
        _cleanup_close_ int dfd = apply_open_dir(ap->root_fd, *dir ? dir : "/", true, 0755, &ap->msg);
        if (dfd < 0)
                return dfd;
        r = read_current(dfd, name, &cur, &cur_len, &st);
        if (r == -ELOOP || r == -EEXIST) {
                strbuf_addf(&ap->msg, "refusing %s: %s", a->path, r == -ELOOP ? "it is a symlink" : "not a regular file");
                return r;
        }
        if (r < 0)
                return msgf(&ap->msg, r, "cannot read %s: %s", a->path, strerror(-r));
        if (!same_content(cur, cur_len, a->old, a->old_len)) {
                strbuf_addf(&ap->msg, "%s changed since the plan was made; run hostfit fix again", a->path);
                return -ESTALE;
        }
        if (cur) {
                r = backup(ap, dir, name, cur, cur_len, &st, &saved);
                if (r < 0) {
                        if (ap->msg.len == 0)
                                strbuf_addf(&ap->msg, "cannot back up %s: %s", a->path, strerror(-r));
                        return r;
                }
        }
        r = write_atomic(dfd, name, a->content, a->content_len, a->mode, a->uid, a->gid, 0);
        if (r < 0)
                return msgf(&ap->msg, r, "cannot write %s: %s", a->path, strerror(-r));
        if (saved)
                strbuf_addf(&ap->msg, "wrote %s (backup: %s)", a->path, saved);
        else
                strbuf_addf(&ap->msg, "created %s", a->path);
        return 0;
}

/* Link NAME to TARGET: a temp link renamed into place, never over anything. */
static int apply_symlink(struct apply *ap, const struct action *a) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        struct stat st;
        char tmp[NAME_MAX + 1];
        int r = split_path(a->path, &dir, &name);
        if (r < 0)
                return msgf(&ap->msg, r, "invalid path %s", a->path);
        _cleanup_close_ int dfd = apply_open_dir(ap->root_fd, *dir ? dir : "/", true, 0755, &ap->msg);
        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                r = -ESTALE;
        else if (errno != ENOENT)
                return msgf(&ap->msg, -errno, "cannot check %s: %s", a->path, strerror(errno));
        else
                r = apply_tmplink(dfd, name, a->target, tmp, sizeof(tmp));
        if (r < 0 && r != -ESTALE)
                return msgf(&ap->msg, r, "cannot create a link in %s: %s", *dir ? dir : "/", strerror(-r));
        if (r == 0) {
                /* NOREPLACE: whatever took the name since the check above is kept. */
                if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0)
                        r = errno == EEXIST ? -ESTALE : -errno;
                apply_tmpfile_done(dfd, tmp, r < 0);
        }
        if (r == -ESTALE)
                return msgf(&ap->msg, r, "%s appeared since the plan was made; run hostfit fix again", a->path);
        if (r == 0 && fsync(dfd) < 0)
                r = -errno;
        if (r < 0)
                return msgf(&ap->msg, r, "cannot link %s: %s", a->path, strerror(-r));
        return msgf(&ap->msg, 0, "linked %s -> %s", a->path, a->target);
}

static int apply_swapfile(struct apply *ap, const struct action *a) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        int r = split_path(a->path, &dir, &name);
        if (r < 0)
                return msgf(&ap->msg, r, "invalid path %s", a->path);
        _cleanup_close_ int dfd = apply_open_dir(ap->root_fd, *dir ? dir : "/", true, 0755, &ap->msg);
        if (dfd < 0)
                return dfd;
        r = swapfile_create(ap->root_fd, dfd, a->path, name, a->size, &ap->msg);
        if (r == 0)
                strbuf_addf(&ap->msg, "created swap file %s (%llu bytes)", a->path, (unsigned long long) a->size);
        return r;
}

static int apply_subvolume(struct apply *ap, const struct action *a) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        int r = split_path(a->path, &dir, &name);
        if (r < 0)
                return msgf(&ap->msg, r, "invalid path %s", a->path);
        _cleanup_close_ int dfd = apply_open_dir(ap->root_fd, *dir ? dir : "/", false, 0, &ap->msg);
        if (dfd < 0)
                return ap->msg.len ? dfd : msgf(&ap->msg, dfd, "cannot open %s: %s", *dir ? dir : "/", strerror(-dfd));
        return btrfs_subvolume_create(dfd, a->path, name, a->mode, &ap->msg);
}

static int swapon_fd(int fd, int priority) {
        char p[64];
        int flags = 0;
        if (priority >= 0)
                flags = SWAP_FLAG_PREFER | ((priority << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        return swapon(p, flags) < 0 ? -errno : 0;
}

/* Some filesystems reject fallocated extents: write the file out and try again, once. */
static int swapon_rewrite(struct apply *ap, const struct action *a, const struct stat *st) {
        _cleanup_close_ int fd = host_open_file(ap->host, a->path, O_RDWR | O_NOFOLLOW);
        if (fd < 0)
                return fd;
        bool is_swap = false;
        int r = swap_probe_fd(fd, &is_swap);
        if (r < 0 || !is_swap)
                return -EINVAL;        /* not ours to overwrite */
        r = swapfile_rewrite(fd, (uint64_t) st->st_size, a->path);
        return r < 0 ? r : swapon_fd(fd, a->priority);
}

static int apply_swapon(struct apply *ap, const struct action *a) {
        _cleanup_close_ int fd = host_open_file(ap->host, a->path, O_PATH | O_NOFOLLOW);
        struct stat st;
        if (fd < 0)
                return msgf(&ap->msg, fd, "cannot open %s: %s", a->path, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return msgf(&ap->msg, -ELOOP, "refusing %s: it is a symlink", a->path);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return msgf(&ap->msg, -EINVAL, "refusing %s: not a file or block device", a->path);
        int r = swapon_fd(fd, a->priority);
        if (r == -EINVAL && S_ISREG(st.st_mode))
                r = swapon_rewrite(ap, a, &st);
        if (r == -EBUSY)
                return msgf(&ap->msg, 0, "%s is already active swap", a->path);
        if (r < 0)
                return msgf(&ap->msg, r, "swapon %s: %s", a->path, strerror(-r));
        return msgf(&ap->msg, 0, "swapon %s", a->path);
}

/* comm and oom_score_adj of PID now, from ROOT/proc. */
static int read_oom(struct apply *ap, pid_t pid, char comm[16], int *ret_adj) {
        char buf[1024], *e;
        _cleanup_close_ int sfd = host_proc_open(ap->host, pid, "stat", O_RDONLY);
        if (sfd < 0)
                return sfd;
        ssize_t n = read(sfd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        char *open = strchr(buf, '('), *close_ = strrchr(buf, ')');
        if (!open || !close_ || close_ < open || close_ - open - 1 > 15)
                return -EBADMSG;
        memcpy(comm, open + 1, (size_t) (close_ - open - 1));
        comm[close_ - open - 1] = '\0';
        _cleanup_close_ int ofd = host_proc_open(ap->host, pid, "oom_score_adj", O_RDONLY);
        if (ofd < 0)
                return ofd;
        n = read(ofd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        errno = 0;
        long v = strtol(buf, &e, 10);
        if (errno || e == buf || (*e && *e != '\n'))
                return -EBADMSG;
        *ret_adj = (int) v;
        return 0;
}

static int apply_oom(struct apply *ap, const struct action *a) {
        char comm[16];
        int now;
        int r = read_oom(ap, a->pid, comm, &now);
        if (r == -ENOENT || r == -ESRCH)
                return msgf(&ap->msg, -ESTALE, "pid %d exited since the plan was made", (int) a->pid);
        if (r < 0)
                return msgf(&ap->msg, r, "cannot read pid %d: %s", (int) a->pid, strerror(-r));
        if (strcmp(comm, a->comm) != 0 || now != a->from) {
                strbuf_addf(&ap->msg, "pid %d changed since the plan was made (now %s, oom_score_adj %d)",
                            (int) a->pid, comm, now);
                return -ESTALE;
        }
        _cleanup_close_ int fd = host_proc_open(ap->host, a->pid, "oom_score_adj", O_WRONLY);
        char v[16];
        int len = snprintf(v, sizeof(v), "%d\n", a->to);
        r = fd < 0 ? fd : write_all(fd, v, (size_t) len);
        if ((r == -EACCES || r == -EPERM) && a->to < a->from)
                return msgs(&ap->msg, r, "lowering oom_score_adj needs CAP_SYS_RESOURCE "
                            "(run as root on the host, not in a restricted container)");
        if (r < 0)
                return msgf(&ap->msg, r, "cannot set oom_score_adj of pid %d: %s", (int) a->pid, strerror(-r));
        return msgf(&ap->msg, 0, "pid %d (%s) oom_score_adj %d -> %d", (int) a->pid, comm, a->from, a->to);
}

/* ---- taking a run back: removal and swapoff ---- */

static int remove_file(struct apply *ap, const struct action *a, int dfd, const char *dir, const char *name) {
        _cleanup_free_ char *cur = NULL, *saved = NULL;
        size_t cur_len;
        struct stat st;
        int r = read_current(dfd, name, &cur, &cur_len, &st);
        if (r == -ELOOP || r == -EEXIST)
                return msgf(&ap->msg, -ESTALE, "%s is no longer a regular file; not removed", a->path);
        if (r < 0)
                return msgf(&ap->msg, r, "cannot read %s: %s", a->path, strerror(-r));
        if (!cur)
                return msgf(&ap->msg, 0, "%s is already gone", a->path);
        if (!same_content(cur, cur_len, a->old, a->old_len))
                return msgf(&ap->msg, -ESTALE, "%s changed since the plan was made; not removed", a->path);
        r = backup(ap, dir, name, cur, cur_len, &st, &saved);
        if (r < 0)
                return ap->msg.len ? r : msgf(&ap->msg, r, "cannot back up %s: %s", a->path, strerror(-r));
        if (unlinkat(dfd, name, 0) < 0)
                return msgf(&ap->msg, -errno, "cannot remove %s: %s", a->path, strerror(errno));
        return msgf(&ap->msg, 0, "removed %s (backup: %s)", a->path, saved);
}

static int remove_other(struct apply *ap, const struct action *a, int dfd, const char *name) {
        struct stat st;
        char buf[PATH_MAX];
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? msgf(&ap->msg, 0, "%s is already gone", a->path)
                                       : msgf(&ap->msg, -errno, "cannot check %s: %s", a->path, strerror(errno));
        if ((st.st_mode & S_IFMT) != (a->mode & S_IFMT))
                return msgf(&ap->msg, -ESTALE, "%s changed since the plan was made; not removed", a->path);
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
                if (n < 0)
                        return msgf(&ap->msg, -errno, "cannot read the link %s: %s", a->path, strerror(errno));
                buf[n] = '\0';
                if (!a->target || strcmp(buf, a->target) != 0)
                        return msgf(&ap->msg, -ESTALE, "%s now points elsewhere; not removed", a->path);
        } else if (S_ISREG(st.st_mode) && (uint64_t) st.st_size != a->size)
                return msgf(&ap->msg, -ESTALE, "%s changed size since the plan was made; not removed", a->path);
        if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
                if (S_ISDIR(st.st_mode) && (errno == ENOTEMPTY || errno == EEXIST))
                        return msgf(&ap->msg, 0, "kept %s: not empty", a->path);
                return msgf(&ap->msg, -errno, "cannot remove %s: %s", a->path, strerror(errno));
        }
        return msgf(&ap->msg, 0, "removed %s", a->path);
}

static int apply_remove(struct apply *ap, const struct action *a) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        int r = split_path(a->path, &dir, &name);
        if (r < 0)
                return msgf(&ap->msg, r, "invalid path %s", a->path);
        _cleanup_close_ int dfd = apply_open_dir(ap->root_fd, *dir ? dir : "/", false, 0, &ap->msg);
        if (dfd == -ENOENT)
                return msgf(&ap->msg, 0, "%s is already gone", a->path);
        if (dfd < 0)
                return dfd;
        if (S_ISREG(a->mode) && a->size == 0)
                r = remove_file(ap, a, dfd, dir, name);
        else if (S_ISDIR(a->mode) && a->subvolume)
                r = btrfs_subvolume_destroy(dfd, a->path, name, &ap->msg);
        else
                r = remove_other(ap, a, dfd, name);
        if (r == 0 && fsync(dfd) < 0)
                r = msgf(&ap->msg, -errno, "cannot sync %s: %s", *dir ? dir : "/", strerror(errno));
        return r;
}

static int apply_swapoff(struct apply *ap, const struct action *a) {
        _cleanup_close_ int fd = host_open_file(ap->host, a->path, O_PATH | O_NOFOLLOW);
        char p[64];
        if (fd == -ENOENT)
                return msgf(&ap->msg, 0, "%s is gone; nothing to swap off", a->path);
        if (fd < 0)
                return msgf(&ap->msg, fd, "cannot open %s: %s", a->path, strerror(-fd));
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        if (swapoff(p) < 0) {
                if (errno == EINVAL)
                        return msgf(&ap->msg, 0, "%s is not active swap", a->path);
                return msgf(&ap->msg, -errno, "swapoff %s: %s", a->path, strerror(errno));
        }
        return msgf(&ap->msg, 0, "swapoff %s", a->path);
}

/* Write PATH under ROOT_FD atomically with MODE, root-owned, making missing
 * directories with DIR_MODE: hostfit's own files (the run records). */
int apply_write_own_file(int root_fd, const char *path, const char *data, size_t len,
                         mode_t mode, mode_t dir_mode, struct strbuf *msg) {
        _cleanup_free_ char *dir = NULL;
        const char *name;
        int r = split_path(path, &dir, &name);
        if (r < 0)
                return msgf(msg, r, "invalid path %s", path);
        _cleanup_close_ int dfd = apply_open_dir(root_fd, *dir ? dir : "/", true, dir_mode, msg);
        if (dfd < 0)
                return dfd;
        r = write_atomic(dfd, name, data, len, mode, 0, 0, 0);
        return r < 0 ? msgf(msg, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

static bool runs_now(const struct apply *ap, const struct action *a) {
        if (a->kind == ACTION_MANUAL || a->deferred)
                return false;
        /* Runtime actions touch this running system: never under another root. */
        return a->kind == ACTION_WRITE_FILE || a->kind == ACTION_SWAPFILE || a->kind == ACTION_SYMLINK ||
               a->kind == ACTION_REMOVE || a->kind == ACTION_SUBVOLUME || host_is_live(ap->host);
}

static int apply_one(struct apply *ap, const struct action *a) {
        switch (a->kind) {
        case ACTION_WRITE_FILE:
                return apply_write(ap, a);
        case ACTION_SWAPFILE:
                return apply_swapfile(ap, a);
        case ACTION_SYMLINK:
                return apply_symlink(ap, a);
        case ACTION_SWAPON:
                return apply_swapon(ap, a);
        case ACTION_SYSTEMD: {
                int r = systemd_apply(a, &ap->msg);
                if (r == 0) {
                        _cleanup_free_ char *d = NULL;
                        if (action_describe(a, &d) == 0)
                                strbuf_adds(&ap->msg, d);
                }
                return r;
        }
        case ACTION_OOM_SCORE_ADJ:
                return apply_oom(ap, a);
        case ACTION_SWAPOFF:
                return apply_swapoff(ap, a);
        case ACTION_REMOVE:
                return apply_remove(ap, a);
        case ACTION_SUBVOLUME:
                return apply_subvolume(ap, a);
        default:
                strbuf_addf(&ap->msg, "unknown action kind %d", (int) a->kind);
                return -EINVAL;
        }
}

/* The run the next plan_apply() belongs to: its backups go to BACKUP_DIR/STAMP
 * and its journal entries carry HOSTFIT_RUN=STAMP (and HOSTFIT_UNDO=UNDOES). */
static char run_stamp[32], run_undoes[32];

void plan_apply_run(const char *stamp, const char *undoes) {
        snprintf(run_stamp, sizeof(run_stamp), "%s", stamp ? stamp : "");
        snprintf(run_undoes, sizeof(run_undoes), "%s", undoes ? undoes : "");
}

static bool journal_field(struct iovec *iov, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool journal_field(struct iovec *iov, size_t *n, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return false;
        iov[(*n)++] = (struct iovec) { .iov_base = s, .iov_len = (size_t) r };
        return true;
}

static void journal_log(const struct apply *ap, const struct action *a) {
        struct iovec iov[9];
        size_t n = 0;
        bool ok = journal_field(iov, &n, "MESSAGE=hostfit: %s", strbuf_str(&ap->msg)) &&
                  journal_field(iov, &n, "MESSAGE_ID=%s", HOSTFIT_CHANGE_MESSAGE_ID) &&
                  journal_field(iov, &n, "PRIORITY=5") &&
                  journal_field(iov, &n, "HOSTFIT_RUN=%s", ap->stamp) &&
                  journal_field(iov, &n, "HOSTFIT_KIND=%s", run_undoes[0] ? "undo" : "fix") &&
                  journal_field(iov, &n, "HOSTFIT_CHECK=%s", a->check ? a->check : "") &&
                  journal_field(iov, &n, "HOSTFIT_ACTION=%s", action_kind_to_string(a->kind)) &&
                  journal_field(iov, &n, "HOSTFIT_PATH=%s", a->path ? a->path : "");
        /* HOSTFIT_UNDO= only on the changes of an undo: the run it takes back. */
        if (ok && run_undoes[0])
                ok = journal_field(iov, &n, "HOSTFIT_UNDO=%s", run_undoes);
        if (ok)
                (void) sd_journal_sendv(iov, (int) n);
        for (size_t i = 0; i < n; i++)
                free(iov[i].iov_base);
}

const char *action_outcome_to_string(enum action_outcome o) {
        static const char *const names[_ACTION_OUTCOME_MAX] = {
                [ACTION_OUTCOME_PENDING] = "pending", [ACTION_OUTCOME_APPLIED] = "applied", [ACTION_OUTCOME_DEFERRED] = "deferred",
                [ACTION_OUTCOME_MANUAL] = "manual", [ACTION_OUTCOME_FAILED] = "failed", [ACTION_OUTCOME_SKIPPED] = "skipped",
        };
        return (unsigned) o < _ACTION_OUTCOME_MAX ? names[o] : NULL;
}

/* Has an action of CHECK failed in this run? Checks are few: a short list. */
static bool check_failed(const char *const *failed, size_t n, const char *check) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(failed[i], check ? check : "") == 0)
                        return true;
        return false;
}

int plan_apply_outcomes(const struct plan *p, struct host *h, plan_log_fn log, void *userdata,
                        enum action_outcome *outcomes) {
        struct apply ap = { .host = h, .root_fd = host_root_fd(h), .log = log, .userdata = userdata,
                            .msg = STRBUF_INIT };
        memcpy(ap.stamp, run_stamp, sizeof(ap.stamp));
        _cleanup_free_ const char **failed = calloc(plan_size(p) + 1, sizeof(*failed));
        size_t n_failed = 0;
        int first = 0;
        if (!failed)
                return -ENOMEM;
        for (size_t i = 0; outcomes && i < plan_size(p); i++)
                outcomes[i] = ACTION_OUTCOME_PENDING;
        signals_install();
        for (size_t i = 0; i < plan_size(p) && !apply_interrupted(); i++) {
                const struct action *a = plan_action(p, i);
                enum action_outcome o;
                int r = 0;
                strbuf_reset(&ap.msg);
                if (check_failed(failed, n_failed, a->check)) {
                        r = -ECANCELED;
                        o = ACTION_OUTCOME_SKIPPED;
                        strbuf_addf(&ap.msg, "skipped: an earlier action of %s failed", a->check ? a->check : "its check");
                } else if (!runs_now(&ap, a)) {
                        _cleanup_free_ char *d = NULL;
                        r = action_describe(a, &d);
                        if (r >= 0)
                                strbuf_adds(&ap.msg, d);
                        o = r < 0 ? ACTION_OUTCOME_FAILED : a->kind == ACTION_MANUAL ? ACTION_OUTCOME_MANUAL : ACTION_OUTCOME_DEFERRED;
                } else {
                        r = apply_one(&ap, a);
                        o = r < 0 ? ACTION_OUTCOME_FAILED : ACTION_OUTCOME_APPLIED;
                }
                if (r < 0 && ap.msg.len == 0)
                        strbuf_addf(&ap.msg, "%s failed: %s", action_kind_to_string(a->kind), strerror(-r));
                if (o == ACTION_OUTCOME_FAILED) {
                        failed[n_failed++] = a->check ? a->check : "";
                        if (first == 0)
                                first = r;
                }
                if (outcomes)
                        outcomes[i] = o;
                if (log)
                        log(userdata, a, r, strbuf_str(&ap.msg));
                if (o == ACTION_OUTCOME_APPLIED && host_is_live(h))
                        journal_log(&ap, a);
        }
        /* A signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) ends the run between actions. */
        if (first == 0 && apply_interrupted())
                first = -EINTR;
        signals_restore();
        strbuf_release(&ap.msg);
        return first;
}

int plan_apply(const struct plan *p, struct host *h, plan_log_fn log, void *userdata) {
        return plan_apply_outcomes(p, h, log, userdata, NULL);
}

/* ---- stale temps: what a run that died (SIGKILL, power) left ---- */

/* ".#BASE.XXXXXX": six characters of tmp_name_make()'s alphabet after the last dot. */
static bool tmp_name_like(const char *name) {
        size_t len = strlen(name);
        if (len < 10 || name[0] != '.' || name[1] != '#' || name[len - 7] != '.')
                return false;
        for (size_t i = len - 6; i < len; i++)
                if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
                      (name[i] >= '0' && name[i] <= '9')))
                        return false;
        return true;
}

/* A temp link of apply_tmplink() a killed run left: ".#NAME.XXXXXX" -> .../NAME, as
 * systemctl enable links are. A link holds no xattr to say who made it; this
 * runs under the fix/undo lock, so no live hostfit is making one. */
static bool sweep_link(int dfd, const char *name) {
        struct stat st;
        char target[PATH_MAX];
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                return false;
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n <= 0)
                return false;
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        size_t len = strlen(name) - 2 - 7;      /* ".#" and ".XXXXXX" */
        if (!base || target[0] != '/' || strlen(base + 1) != len || strncmp(base + 1, name + 2, len) != 0)
                return false;
        return unlinkat(dfd, name, 0) == 0;
}

/* DIR, and with DEPTH > 0 its subdirectories that deep (a backup tree). */
static int sweep_dir(int root_fd, const char *dir, unsigned *removed, unsigned depth) {
        struct strbuf msg = STRBUF_INIT;
        int dfd = apply_open_dir(root_fd, dir, false, 0, &msg);
        strbuf_release(&msg);
        if (dfd < 0)
                return dfd == -ENOENT ? 0 : dfd;
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return -errno;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (depth > 0 && de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        _cleanup_free_ char *sub = NULL;
                        if (asprintf(&sub, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, de->d_name) >= 0)
                                (void) sweep_dir(root_fd, sub, removed, depth - 1);
                        continue;
                }
                if (!tmp_name_like(de->d_name))
                        continue;
                if (sweep_link(dirfd(d), de->d_name)) {
                        (*removed)++;
                        continue;
                }
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
                        continue;
                char tag[128];
                ssize_t n = fgetxattr(fd, TMP_XATTR, tag, sizeof(tag) - 1);
                if (n <= 0)
                        continue;
                tag[n] = '\0';
                if (!tmp_creator_gone(tag))
                        continue;
                /* The same inode still under that name: nothing swapped in since the open. */
                struct stat now;
                if (fstatat(dirfd(d), de->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                    now.st_ino == st.st_ino && now.st_dev == st.st_dev &&
                    unlinkat(dirfd(d), de->d_name, 0) == 0)
                        (*removed)++;
        }
        closedir(d);
        return 0;
}

static int sweep_add(char ***dirs, size_t *n, const char *dir) {
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*dirs)[i], dir) == 0)
                        return 0;
        char **nd = reallocarray(*dirs, *n + 1, sizeof(char *));
        if (!nd)
                return -ENOMEM;
        *dirs = nd;
        if (!(nd[*n] = strdup(dir)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

int plan_sweep_stale_temps(const struct plan *p, struct host *h, unsigned *ret_removed) {
        /* hostfit's own: the run records and the backups, the whole tree of each run's. */
        static const char *const always[] = { "/", "/etc", "/etc/systemd/system", "/var/lib/hostfit/runs", BACKUP_DIR };
        char **dirs = NULL;
        size_t n = 0;
        int r = 0;
        unsigned removed = 0;
        for (size_t i = 0; r == 0 && i < sizeof(always) / sizeof(always[0]); i++)
                r = sweep_add(&dirs, &n, always[i]);
        for (size_t i = 0; r == 0 && p && i < plan_size(p); i++) {
                const struct action *a = plan_action(p, i);
                if (!a->path || a->kind == ACTION_SWAPON)
                        continue;
                _cleanup_free_ char *dir = NULL;
                const char *base;
                if (split_path(a->path, &dir, &base) == 0)
                        r = sweep_add(&dirs, &n, *dir ? dir : "/");
        }
        for (size_t i = 0; i < n; i++) {
                if (r == 0) {
                        /* The unit directory with its .wants and .d directories: a killed run's link temp. */
                        int k = sweep_dir(host_root_fd(h), dirs[i], &removed,
                                          strcmp(dirs[i], BACKUP_DIR) == 0 ? 32 :
                                          strcmp(dirs[i], "/etc/systemd/system") == 0 ? 1 : 0);
                        if (k < 0 && k != -ELOOP && k != -ENOTDIR)
                                r = k;
                }
                free(dirs[i]);
        }
        free(dirs);
        if (ret_removed)
                *ret_removed = removed;
        return r;
}
