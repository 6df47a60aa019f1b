/* SPDX-License-Identifier: MIT */
/* Node's heap limit, its version and V8's default (see nodeheap.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text/cleanup.h"
#include "procs/nodeheap.h"
#include "systemd/units.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define SCAN_MAX (256ULL << 20)
#define RELEASE_TAG "/download/release/v"

int node_version_parse(const char *s, struct node_version *ret) {
        unsigned a, b, c = 0;
        if (!s)
                return -EINVAL;
        if (*s == 'v')
                s++;
        if (sscanf(s, "%u.%u.%u", &a, &b, &c) < 2 || a == 0 || a > 1000)
                return -EINVAL;
        *ret = (struct node_version) { a, b, c, NULL };
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
        bool in = false;
        if (host_fopen(h, "/var/lib/dpkg/status", &f) < 0)
                return -ENOENT;
        while (fgets(line, sizeof(line), f)) {
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

/* process.release's URL ".../download/release/vX.Y.Z/" is compiled into node and libnode. */
static int version_from_binary(struct host *h, const char *path, struct node_version *ret) {
        _cleanup_close_ int fd = host_open_file(h, path, O_RDONLY);
        _cleanup_free_ char *buf = malloc(1 << 20);
        const size_t tag = strlen(RELEASE_TAG), keep = 64;
        size_t have = 0;
        uint64_t total = 0;
        if (fd < 0 || !buf)
                return fd < 0 ? -ENOENT : -ENOMEM;
        for (ssize_t n; total < SCAN_MAX && (n = read(fd, buf + have, (1 << 20) - have - 1)) > 0; ) {
                have += (size_t) n;
                total += (uint64_t) n;
                buf[have] = 0;
                for (char *q = buf; (q = memmem(q, have - (size_t) (q - buf), RELEASE_TAG, tag)); q += tag)
                        if ((size_t) (q - buf) + tag + 16 < have && node_version_parse(q + tag - 1, ret) == 0) {
                                ret->source = "binary";
                                return 0;
                        }
                /* Keep a tail so a tag across two reads is still found. */
                if (have > keep) {
                        memmove(buf, buf + have - keep, keep);
                        have = keep;
                }
        }
        return -ENOENT;
}

/* The libnode.so PID maps, as a path within the root. */
static char *mapped_libnode(struct host *h, pid_t pid) {
        FILE *f = NULL;
        char line[1024];
        char *found = NULL;
        if (host_proc_fopen(h, pid, "maps", &f) < 0)
                return NULL;
        while (!found && fgets(line, sizeof(line), f)) {
                char *p = strchr(line, '/');
                if (p && strstr(p, "/libnode.so")) {
                        p[strcspn(p, "\n")] = 0;
                        found = strdup(p);
                }
        }
        fclose(f);
        return found;
}

int node_version_of(struct host *h, pid_t pid, const char *exe, struct node_version *ret) {
        if (node_version_from_path(exe, ret) == 0)
                return 0;
        if (exe && (strcmp(exe, "/usr/bin/node") == 0 || strcmp(exe, "/usr/bin/nodejs") == 0) &&
            version_from_dpkg(h, ret) == 0)
                return 0;
        _cleanup_free_ char *lib = mapped_libnode(h, pid);
        if (lib && version_from_binary(h, lib, ret) == 0)
                return 0;
        return exe ? version_from_binary(h, exe, ret) : -ENOENT;
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
        uint64_t old = physical / 4 * 2;
        uint64_t cap = physical / GIB >= 15 ? 4 * GIB : 2 * GIB;
        return old < cap ? old : cap;
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
