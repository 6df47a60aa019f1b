/* SPDX-License-Identifier: MIT */
/* Node's heap limit, its version and V8's default (see nodeheap.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "text/grow.h"
#include "procs/nodeheap.h"
#include "systemd/unitgen.h"
#include "systemd/units.h"
#include "text/strbuf.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
/* Bounds on reading node binaries for their version: per file, and per run. */
#define SCAN_FILE_MAX (64ULL << 20)
#define SCAN_RUN_MAX (128ULL << 20)
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#define ENV_FILE_MAX (1U << 20)
#define RELEASE_TAG "/download/release/v"

/* Decimal digits within 32 bits at *S, *S moved past them. */
static bool version_part(const char **s, unsigned *ret) {
        unsigned long long v = 0;
        const char *p = *s;
        for (; *p >= '0' && *p <= '9'; p++)
                if ((v = v * 10 + (unsigned) (*p - '0')) > UINT_MAX)
                        return false;
        if (p == *s)
                return false;
        *ret = (unsigned) v;
        *s = p;
        return true;
}

/* [v]MAJOR.MINOR[.PATCH], digits only: no sign, blank or overflow ("v18.-1" is no version). */
int node_version_parse(const char *s, struct node_version *ret) {
        struct node_version v = { 0 };
        if (!s)
                return -EINVAL;
        if (*s == 'v')
                s++;
        if (!version_part(&s, &v.major) || *s++ != '.' || !version_part(&s, &v.minor))
                return -EINVAL;
        if (s[0] == '.' && s[1] >= '0' && s[1] <= '9' && (s++, !version_part(&s, &v.patch)))
                return -EINVAL;
        if (v.major == 0 || v.major > 1000)
                return -EINVAL;
        *ret = v;
        return 0;
}

int node_version_from_path(const char *exe, struct node_version *ret) {
        static const char *const marks[] = { "/.nvm/versions/node/", "/n/versions/node/", "/tools/image/node/",
                                             "/.nodenv/versions/", "/.asdf/installs/nodejs/", NULL };
        for (size_t i = 0; exe && marks[i]; i++) {
                const char *q = strstr(exe, marks[i]);
                if (q && node_version_parse(q + strlen(marks[i]), ret) == 0) {
                        ret->source = "install path";
                        return 0;
                }
        }
        return -ENOENT;
}

/* Version: of the nodejs stanza in ROOT/var/lib/dpkg/status, streamed. */
static int version_from_dpkg(struct host *h, struct node_version *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        bool in = false, start = true;
        if (host_fopen(h, "/var/lib/dpkg/status", &f) < 0)
                return -ENOENT;
        while (fgets(line, sizeof(line), f)) {
                /* The rest of a line longer than the buffer is not a field of its own. */
                size_t len = strlen(line);
                bool whole = start;
                start = len && line[len - 1] == '\n';
                if (!whole)
                        continue;
                if (line[0] == '\n')
                        in = false;
                else if (strncmp(line, "Package: ", 9) == 0)
                        in = strcmp(line + 9, "nodejs\n") == 0;
                else if (in && strncmp(line, "Version: ", 9) == 0) {
                        const char *v = line + 9, *colon = strchr(v, ':');
                        if (colon && colon - v < 4)
                                v = colon + 1;     /* an epoch */
                        if (node_version_parse(v, ret) < 0)
                                return -ENOENT;
                        ret->source = "dpkg";
                        return 0;
                }
        }
        return -ENOENT;
}

/* An install's own header, PREFIX/include/node/node_version.h next to PREFIX/bin/node
 * (the release tarballs, nvm, n, volta and source builds all ship it). */
static int version_from_header(struct host *h, const char *exe, struct node_version *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *bin = exe ? strstr(exe, "/bin/") : NULL;
        unsigned v[3] = { 0 };
        bool seen[3] = { false };
        static const char *const names[] = { "NODE_MAJOR_VERSION", "NODE_MINOR_VERSION", "NODE_PATCH_VERSION" };
        if (!bin || strchr(bin + 5, '/'))
                return -ENOENT;
        if (asprintf(&path, "%.*s/include/node/node_version.h", (int) (bin - exe), exe) < 0)
                return -ENOMEM;
        if (host_read_file(h, path, 64 << 10, &text, NULL) < 0)
                return -ENOENT;
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                nl = strchr(line, '\n');
                for (size_t i = 0; i < 3; i++) {
                        size_t n = strlen(names[i]);
                        char *q = strncmp(line, "#define ", 8) == 0 ? line + 8 : NULL;
                        const char *d = q ? q + n + strspn(q + n, " \t") : NULL;
                        if (q && strncmp(q, names[i], n) == 0 && (q[n] == ' ' || q[n] == '\t') && !seen[i])
                                seen[i] = version_part(&d, &v[i]);
                }
        }
        if (!seen[0] || !seen[1] || v[0] == 0 || v[0] > 1000)
                return -ENOENT;
        *ret = (struct node_version) { v[0], v[1], v[2], "install's node_version.h" };
        return 0;
}

/* process.release's URL ".../download/release/vX.Y.Z/" is compiled into node and libnode.
 * FD is a regular file; at most MAX bytes are read. *ret_read: how many were. */
static int version_from_fd(int fd, uint64_t max, struct node_version *ret, uint64_t *ret_read) {
        _cleanup_free_ char *buf = malloc(1 << 20);
        const size_t tag = strlen(RELEASE_TAG), keep = 64;
        size_t have = 0;
        uint64_t total = 0;
        *ret_read = 0;
        if (!buf)
                return -ENOMEM;
        for (;;) {
                /* At the bound (or on an error) stop: what follows a tag may be cut. */
                ssize_t n = total < max ? read(fd, buf + have, MIN((1 << 20) - have - 1, max - total)) : -1;
                if (n < 0)
                        break;
                bool eof = n == 0;      /* a tag at the very end is whole: nothing follows it */
                have += (size_t) n;
                total += (uint64_t) n;
                *ret_read = total;
                buf[have] = 0;
                for (char *q = buf; (q = memmem(q, have - (size_t) (q - buf), RELEASE_TAG, tag)); q += tag)
                        if ((eof || (size_t) (q - buf) + tag + 16 < have) && node_version_parse(q + tag - 1, ret) == 0) {
                                ret->source = "binary";
                                return 0;
                        }
                if (eof)
                        break;
                /* Keep a tail so a tag across two reads is still found. */
                if (have > keep) {
                        memmove(buf, buf + have - keep, keep);
                        have = keep;
                }
        }
        return -ENOENT;
}

/* The binaries seen this run, by device and inode, and what reading them cost. */
struct node_bins {
        struct node_binary *v;
        size_t n;
        uint64_t scanned;       /* bytes read from binaries this run, at most SCAN_RUN_MAX */
        unsigned opened;        /* binaries opened */
};

static void node_bins_free(void *p) {
        struct node_bins *b = p;
        if (b)
                free(b->v);
        free(b);
}

static struct node_bins *node_bins_get(struct host *h) {
        struct node_bins *b = host_cache_get(h, "nodebins");
        if (b)
                return b;
        b = calloc(1, sizeof(*b));
        return !b || host_cache_put(h, "nodebins", b, node_bins_free) < 0 ? NULL : b;
}

void node_scan_stats(struct host *h, uint64_t *ret_bytes, unsigned *ret_opened) {
        struct node_bins *b = node_bins_get(h);
        *ret_bytes = b ? b->scanned : 0;
        *ret_opened = b ? b->opened : 0;
}

/* Open PATH (within the root) without blocking; regular files only. */
static int open_regular_fd(struct host *h, const char *path, struct stat *st) {
        return host_open_regular(h, path, st);
}

/* The file a process maps or runs, as that process sees it: on the running system through
 * /proc/PID (right across mount namespaces: a magic link the kernel resolves), in an image
 * or fixture within the root. NAME is "exe" (PATH, its path, serves only within the root)
 * or "root" (PATH under it). O_NONBLOCK, regular only. */
static int open_proc_file(struct host *h, pid_t pid, const char *name, const char *path, struct stat *st) {
        if (!host_is_live(h))
                return path ? open_regular_fd(h, path, st) : -ENOENT;
        /* "exe" is the binary itself; only under "root" does PATH name a file. */
        const char *tail = strcmp(name, "root") == 0 && path ? path : "";
        char rel[PATH_MAX];
        if (snprintf(rel, sizeof(rel), "proc/%d/%s%s", (int) pid, name, tail) >= (int) sizeof(rel))
                return -ENAMETOOLONG;
        int fd = openat(host_root_fd(h), rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
                close(fd);
                return -ENXIO;
        }
        return fd;
}

/* The libnode.so PID maps, as a path within its root. */
static char *mapped_libnode(struct host *h, pid_t pid) {
        FILE *f = NULL;
        char line[1024];
        char *found = NULL;
        if (host_proc_fopen(h, pid, "maps", &f) < 0)
                return NULL;
        for (unsigned n = 0; !found && n < 4096 && fgets(line, sizeof(line), f); n++) {
                char *p = strchr(line, '/');
                if (p && strstr(p, "/libnode.so")) {
                        p[strcspn(p, "\n")] = 0;
                        found = strdup(p);
                }
        }
        fclose(f);
        return found;
}

/* Read at most the per-file bound, within what is left of the run's. */
static int scan_fd(struct host *h, struct node_bins *b, int fd, struct node_version *ret) {
        uint64_t left = b->scanned < SCAN_RUN_MAX ? SCAN_RUN_MAX - b->scanned : 0, n = 0;
        int r = version_from_fd(fd, MIN(left, SCAN_FILE_MAX), ret, &n);
        b->scanned += n;
        b->opened++;
        /* And the run's budget of everything hostfit reads. */
        (void) host_read_charge(h, (size_t) n);
        return r;
}

static int version_from_binaries(struct host *h, struct node_bins *b, pid_t pid, int exe_fd, struct node_version *ret) {
        _cleanup_free_ char *lib = mapped_libnode(h, pid);
        struct stat st;
        if (lib) {
                _cleanup_close_ int fd = open_proc_file(h, pid, "root", lib, &st);
                if (fd >= 0 && scan_fd(h, b, fd, ret) == 0)
                        return 0;
        }
        return exe_fd >= 0 ? scan_fd(h, b, exe_fd, ret) : -ENOENT;
}

static int version_from_metadata(struct host *h, const char *exe, struct node_version *ret) {
        if (node_version_from_path(exe, ret) == 0 || version_from_header(h, exe, ret) == 0)
                return 0;
        if (exe && (strcmp(exe, "/usr/bin/node") == 0 || strcmp(exe, "/usr/bin/nodejs") == 0) &&
            version_from_dpkg(h, ret) == 0)
                return 0;
        return -ENOENT;
}

int node_binary_of(struct host *h, pid_t pid, const char *exe, struct node_binary *ret) {
        struct node_bins *b = node_bins_get(h);
        struct stat st;
        unsigned char ident[5];
        if (!b)
                return -ENOMEM;
        _cleanup_close_ int fd = open_proc_file(h, pid, "exe", exe, &st);
        if (fd >= 0)
                for (size_t i = 0; i < b->n; i++)
                        if (b->v[i].dev == st.st_dev && b->v[i].ino == st.st_ino) {
                                *ret = b->v[i];
                                return 0;
                        }
        struct node_binary nb = { .dev = fd >= 0 ? st.st_dev : 0, .ino = fd >= 0 ? st.st_ino : 0 };
        if (fd >= 0 && pread(fd, ident, sizeof(ident), 0) == (ssize_t) sizeof(ident) && memcmp(ident, "\x7f" "ELF", 4) == 0)
                nb.bits = ident[4] == 1 ? 32 : ident[4] == 2 ? 64 : 0;
        nb.have_version = version_from_metadata(h, exe, &nb.version) == 0 ||
                          version_from_binaries(h, b, pid, fd, &nb.version) == 0;
        if (fd >= 0) {
                if (grow_due(b->n)) {
                        struct node_binary *nv = reallocarray(b->v, grow_cap(b->n), sizeof(*nv));
                        if (!nv)
                                return -ENOMEM;
                        b->v = nv;
                }
                b->v[b->n++] = nb;
        }
        *ret = nb;
        return 0;
}

int node_version_of(struct host *h, pid_t pid, const char *exe, struct node_version *ret) {
        struct node_binary nb;
        /* Once per binary (by device and inode); the install's metadata when its exe cannot be opened. */
        if (node_binary_of(h, pid, exe, &nb) == 0 && nb.have_version) {
                *ret = nb.version;
                return 0;
        }
        return version_from_metadata(h, exe, ret);
}

int node_options_split(const char *s, char ***ret, size_t *ret_n) {
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        if (!v)
                return -ENOMEM;
        while (s && *s) {
                s += strspn(s, " \t\n");
                if (!*s)
                        break;
                size_t len = strlen(s);
                char *w = malloc(len + 1), *o = w;
                bool quoted = false;
                if (!w) {
                        strv_free(v);
                        return -ENOMEM;
                }
                for (; *s && (quoted || !strchr(" \t\n", *s)); s++) {
                        if (*s == '"')
                                quoted = !quoted;
                        else if (*s == '\\' && quoted && s[1])
                                *o++ = *++s;
                        else
                                *o++ = *s;
                }
                *o = 0;
                char **nv = realloc(v, (n + 2) * sizeof(char *));
                if (!nv) {
                        free(w);
                        strv_free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[n++] = w;
                v[n] = NULL;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* Node options that take the next word as their value. */
static bool takes_value(const char *w) {
        static const char *const opts[] = { "-r", "--require", "--import", "--loader", "--experimental-loader",
                                            "-e", "--eval", "-p", "--print", "--env-file", "--title", "-C",
                                            "--conditions", "--input-type", "--inspect-port", "--max-old-space-size",
                                            "--max_old_space_size", NULL };
        for (size_t i = 0; opts[i]; i++)
                if (strcmp(w, opts[i]) == 0)
                        return true;
        return false;
}

static bool is_flag(const char *w, const char *name, const char **ret_value) {
        /* V8 reads dashes and underscores alike. */
        size_t n = strlen(name);
        for (size_t i = 0; i < n; i++)
                if (!w[i] || (w[i] != name[i] && !(name[i] == '-' && w[i] == '_' && i > 1)))
                        return false;
        if (w[n] != '=' && w[n] != 0)
                return false;
        *ret_value = w[n] == '=' ? w + n + 1 : NULL;
        return true;
}

int node_heap_flag(char *const *words, size_t n, bool argv, uint64_t *ret_mib, double *ret_percent) {
        int found = 0;
        for (size_t i = 0; i < n; i++) {
                const char *w = words[i], *v;
                if (argv && (strcmp(w, "--") == 0 || w[0] != '-'))
                        break;
                if (is_flag(w, "--max-old-space-size-percentage", &v)) {
                        if (!v && i + 1 < n)
                                v = words[++i];
                        char *end;
                        double p = v ? strtod(v, &end) : 0;
                        if (v && *end == 0 && p > 0 && p <= 100) {
                                *ret_percent = p;
                                *ret_mib = 0;
                                found = 1;
                        }
                } else if (is_flag(w, "--max-old-space-size", &v)) {
                        if (!v && i + 1 < n)
                                v = words[++i];
                        char *end;
                        unsigned long long m = v ? strtoull(v, &end, 10) : 0;
                        if (v && *end == 0 && m > 0) {
                                *ret_mib = m;
                                *ret_percent = 0;
                                found = 1;
                        }
                } else if (argv && takes_value(w))
                        i++;
        }
        return found;
}

uint64_t node_v8_default_old_space(uint64_t physical) {
        return node_v8_default_old_space_bits(physical, 64);
}

/* V8's Heap::HeapSizeFromPhysicalMemory, its old generation: physical / 4 ×
 * kHeapLimitMultiplier (pointer size / 4: 1 on 32-bit, 2 on 64-bit), at most
 * 1 GiB × multiplier (64-bit: twice that from 15 GiB), at least 128 MiB × multiplier,
 * rounded up to V8's 256 KiB page. */
uint64_t node_v8_default_old_space_bits(uint64_t physical, unsigned bits) {
        const uint64_t mult = bits == 32 ? 1 : 2, page = 256 << 10;
        uint64_t old = physical / 4 * mult;
        uint64_t max = GIB * mult, min = 128 * MIB * mult;
        if (mult == 2 && physical / GIB >= 15)
                max *= 2;
        old = old < max ? old : max;
        old = old > min ? old : min;
        return (old + page - 1) / page * page;
}

/* The environment file parser of systemd (env-file.c), for one key. */
enum { PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESC, SQUOTE, DQUOTE, DQUOTE_ESC, COMMENT };

struct env_parse {
        struct strbuf key, value;
        size_t trim;            /* value length without unquoted trailing whitespace */
        char *found;
};

static int env_commit(struct env_parse *e, const char *want) {
        const char *k = strbuf_str(&e->key);
        size_t kl = strlen(k);
        while (kl && strchr(" \t", k[kl - 1]))
                kl--;
        if (kl == strlen(want) && strncmp(k, want, kl) == 0) {
                free(e->found);
                e->found = strndup(strbuf_str(&e->value), e->trim);
                if (!e->found)
                        return -ENOMEM;
        }
        strbuf_reset(&e->key);
        strbuf_reset(&e->value);
        e->trim = 0;
        return 0;
}

static int env_add(struct env_parse *e, char c, bool quoted) {
        if (strbuf_add(&e->value, &c, 1) < 0)
                return -ENOMEM;
        if (quoted || !strchr(" \t", c))
                e->trim = e->value.len;
        return 0;
}

int node_env_file_get(const char *text, const char *key, char **ret) {
        struct env_parse e = { STRBUF_INIT, STRBUF_INIT, 0, NULL };
        int state = PRE_KEY, r = 0;
        for (const char *p = text; r >= 0; p++) {
                char c = *p ? *p : '\n';
                bool nl = c == '\n';
                switch (state) {
                case PRE_KEY:
                        if (c == '#' || c == ';')
                                state = COMMENT;
                        else if (!strchr(" \t\r\n", c))
                                state = KEY, r = strbuf_add(&e.key, &c, 1);
                        break;
                case KEY:
                        if (nl)
                                state = PRE_KEY, strbuf_reset(&e.key);
                        else if (c == '=')
                                state = PRE_VALUE;
                        else
                                r = strbuf_add(&e.key, &c, 1);
                        break;
                case PRE_VALUE:
                        if (nl)
                                state = PRE_KEY, r = env_commit(&e, key);
                        else if (c == '\'')
                                state = SQUOTE;
                        else if (c == '"')
                                state = DQUOTE;
                        else if (c == '\\')
                                state = VALUE_ESC;
                        else if (!strchr(" \t", c) || e.value.len)
                                state = VALUE, r = env_add(&e, c, false);
                        break;
                case VALUE:
                        if (nl)
                                state = PRE_KEY, r = env_commit(&e, key);
                        else if (c == '\\')
                                state = VALUE_ESC;
                        else
                                r = env_add(&e, c, false);
                        break;
                case VALUE_ESC:
                        state = VALUE;
                        if (!nl)
                                r = env_add(&e, c, true);
                        break;
                case SQUOTE:
                        if (c == '\'')
                                state = PRE_VALUE;
                        else
                                r = env_add(&e, c, true);
                        break;
                case DQUOTE:
                        if (c == '"')
                                state = PRE_VALUE;
                        else if (c == '\\')
                                state = DQUOTE_ESC;
                        else
                                r = env_add(&e, c, true);
                        break;
                case DQUOTE_ESC:
                        state = DQUOTE;
                        if (strchr("\"\\`$", c))
                                r = env_add(&e, c, true);
                        else if (!nl && ((r = env_add(&e, '\\', true)) >= 0))
                                r = env_add(&e, c, true);
                        break;
                case COMMENT:
                        if (nl)
                                state = PRE_KEY;
                        break;
                }
                if (!*p)
                        break;
        }
        strbuf_release(&e.key);
        strbuf_release(&e.value);
        if (r < 0) {
                free(e.found);
                return -ENOMEM;
        }
        *ret = e.found;
        return 0;
}

char *node_env_file_quote(const char *text) {
        struct strbuf sb = STRBUF_INIT;
        int r = strbuf_adds(&sb, "\"");
        for (const char *p = text; r >= 0 && *p; p++) {
                if (strchr("\"\\`$", *p))
                        r = strbuf_adds(&sb, "\\");
                if (r >= 0)
                        r = strbuf_add(&sb, p, 1);
        }
        if (r >= 0)
                r = strbuf_adds(&sb, "\"");
        if (r < 0) {
                strbuf_release(&sb);
                return NULL;
        }
        return strbuf_detach(&sb, NULL);
}

void node_unit_env_done(struct node_unit_env *e) {
        free(e->options);
        free(e->set_in);
        free(e->env_file);
        free(e->unset_in);
        free(e->unknown);
        memset(e, 0, sizeof(*e));
}

static int set_str(char **to, const char *s) {
        char *c = s ? strdup(s) : NULL;
        if (s && !c)
                return -ENOMEM;
        free(*to);
        *to = c;
        return 0;
}

static bool skipped(const struct unit_assignment *a, const char *skip) {
        const char *base = strrchr(a->file, '/');
        return skip && base && strcmp(base + 1, skip) == 0;
}

/* The files of EnvironmentFile=, read in order: the last that sets NODE_OPTIONS gives it. */
static int env_files_apply(struct host *h, const struct unit *u, const char *skip, size_t from,
                           struct node_unit_env *e) {
        for (size_t i = from; i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                if (strcmp(a->section, "Service") != 0 || strcmp(a->key, "EnvironmentFile") != 0 || skipped(a, skip) ||
                    !a->value[0])
                        continue;
                bool optional = a->value[0] == '-';
                const char *path = a->value + optional;
                _cleanup_free_ char *text = NULL, *v = NULL;
                int r = path[0] != '/' || strpbrk(path, "*?[") ? -EINVAL :
                        host_read_file(h, path, ENV_FILE_MAX, &text, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && !(optional && r == -ENOENT)) {
                        if (set_str(&e->unknown, path) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (r < 0)
                        continue;
                if (node_env_file_get(text, "NODE_OPTIONS", &v) < 0)
                        return -ENOMEM;
                if (v && (set_str(&e->set_in, a->file) < 0 || set_str(&e->env_file, path) < 0))
                        return -ENOMEM;
                if (v) {
                        free(e->options);
                        e->options = TAKE_PTR(v);
                }
        }
        return 0;
}

/* Whether UnsetEnvironment= word W removes NODE_OPTIONS=VALUE. */
static bool unsets(const char *w, const char *value) {
        if (strcmp(w, "NODE_OPTIONS") == 0)
                return true;
        return strncmp(w, "NODE_OPTIONS=", 13) == 0 && value && strcmp(w + 13, value) == 0;
}

int node_unit_env(struct host *h, const struct unit *u, const char *skip, struct node_unit_env *ret) {
        struct node_unit_env e = { 0 };
        size_t files_from = 0;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                char **w = NULL;
                size_t n = 0;
                if (strcmp(a->section, "Service") != 0 || skipped(a, skip))
                        continue;
                if (strcmp(a->key, "EnvironmentFile") == 0 && !a->value[0])
                        files_from = i + 1;     /* "" empties the list */
                if (strcmp(a->key, "Environment") != 0)
                        continue;
                if (!a->value[0]) {
                        r = set_str(&e.options, NULL);
                        continue;
                }
                if (unit_split_exec(a->value, &w, &n) < 0)
                        continue;
                for (size_t j = 0; r >= 0 && j < n; j++)
                        if (strncmp(w[j], "NODE_OPTIONS=", 13) == 0 && (r = set_str(&e.options, w[j] + 13)) >= 0)
                                r = set_str(&e.set_in, a->file);
                strv_free(w);
        }
        if (r >= 0)
                r = env_files_apply(h, u, skip, files_from, &e);
        for (size_t i = 0; r >= 0 && i < u->n_a; i++) {
                const struct unit_assignment *a = &u->a[i];
                char **w = NULL;
                size_t n = 0;
                if (strcmp(a->section, "Service") != 0 || strcmp(a->key, "UnsetEnvironment") != 0 || skipped(a, skip))
                        continue;
                if (!a->value[0]) {
                        r = set_str(&e.unset_in, NULL);
                        continue;
                }
                if (unit_split_exec(a->value, &w, &n) < 0)
                        continue;
                for (size_t j = 0; r >= 0 && j < n; j++)
                        if (unsets(w[j], e.options))
                                r = set_str(&e.unset_in, a->file);
                strv_free(w);
        }
        if (r >= 0 && e.unset_in)
                r = set_str(&e.options, NULL);
        if (r < 0) {
                node_unit_env_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

static bool at_least(const struct node_version *v, unsigned major, unsigned minor) {
        return v->major > major || (v->major == major && v->minor >= minor);
}

bool node_reads_cgroup_v2(const struct node_version *v) {
        return at_least(v, 20, 3);
}

bool node_reads_cgroup_v1_own(const struct node_version *v) {
        return at_least(v, 20, 3);
}

bool node_reads_cgroup_v1_top(const struct node_version *v) {
        return at_least(v, 12, 0) && !at_least(v, 20, 3);
}
