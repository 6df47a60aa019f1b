/* SPDX-License-Identifier: MIT */
/* cgroup memory limits, read once a run (see memcg.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"
#include "host/memcg.h"
#include "text/cleanup.h"

#define CG "/sys/fs/cgroup"
#define BUCKETS 256
#define ENTRIES_MAX 4096        /* files remembered; past it, read again (memory stays flat) */

struct entry {
        struct entry *next;
        uint64_t value;
        char key[];             /* "memory.max\0/system.slice/x.service" joined as "NAME|CG" */
};

struct memcg {
        enum memcg_mode mode;
        bool tree;              /* ROOT/sys/fs/cgroup is a directory: else no cgroup file is looked for */
        struct entry *b[BUCKETS];
        size_t n;
};

static void memcg_free(void *p) {
        struct memcg *m = p;
        for (size_t i = 0; m && i < BUCKETS; i++)
                for (struct entry *e = m->b[i], *n; e; e = n) {
                        n = e->next;
                        free(e);
                }
        free(m);
}

static struct memcg *memcg_get(struct host *h) {
        struct memcg *m = host_cache_get(h, "memcg");
        struct stat st;
        if (m)
                return m;
        m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        /* Opened as every file below it is (links followed within the root): only a tree
         * that is surely absent is not looked into. */
        int fd = host_open_file(h, CG, O_PATH | O_DIRECTORY);
        m->tree = fd >= 0 || (fd != -ENOENT && fd != -ENOTDIR);
        if (fd >= 0)
                close(fd);
        if (!m->tree)
                ;       /* an offline image, a fixture root: nothing to read under it */
        else if (host_stat(h, CG "/cgroup.controllers", &st) == 0 && S_ISREG(st.st_mode))
                m->mode = MEMCG_V2;
        else if (host_stat(h, CG "/memory/memory.limit_in_bytes", &st) == 0 && S_ISREG(st.st_mode))
                m->mode = MEMCG_V1;
        else if ((host_stat(h, CG "/systemd", &st) == 0 && S_ISDIR(st.st_mode)) ||
                 (host_stat(h, CG "/unified", &st) == 0 && S_ISDIR(st.st_mode)))
                m->mode = MEMCG_NONE;
        return host_cache_put(h, "memcg", m, memcg_free) < 0 ? NULL : m;
}

enum memcg_mode memcg_mode(struct host *h) {
        struct memcg *m = memcg_get(h);
        return m ? m->mode : MEMCG_UNKNOWN;
}

static unsigned hash(const char *s) {
        unsigned v = 2166136261u;
        for (; *s; s++)
                v = (v ^ (unsigned char) *s) * 16777619u;
        return v % BUCKETS;
}

/* A file of cgroup CG, its text parsed by PARSE; cached by name and cgroup. */
static uint64_t cached(struct host *h, const char *cg, const char *name, uint64_t (*parse)(const char *)) {
        struct memcg *m = memcg_get(h);
        _cleanup_free_ char *key = NULL, *path = NULL, *text = NULL;
        if (!m || !m->tree)
                return 0;       /* checked once a run, not a failed open a cgroup */
        if (asprintf(&key, "%s|%s", name, cg) < 0)
                return 0;
        unsigned k = hash(key);
        for (struct entry *e = m->b[k]; e; e = e->next)
                if (strcmp(e->key, key) == 0)
                        return e->value;
        const char *base = m->mode == MEMCG_V1 && strncmp(name, "memory.", 7) == 0 ? CG "/memory" : CG;
        uint64_t v = 0;
        if (asprintf(&path, "%s%s/%s", base, strcmp(cg, "/") == 0 ? "" : cg, name) < 0)
                return 0;
        if (host_read_file(h, path, 4096, &text, NULL) == 0)
                v = parse(text);
        struct entry *e = m->n < ENTRIES_MAX ? malloc(sizeof(*e) + strlen(key) + 1) : NULL;
        if (e) {
                strcpy(e->key, key);
                e->value = v;
                e->next = m->b[k];
                m->b[k] = e;
                m->n++;
        }
        return v;
}

static uint64_t parse_limit(const char *text) {
        if (strncmp(text, "max", 3) == 0)
                return MEMCG_NO_LIMIT;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || text[0] == '-' || (*end && *end != '\n'))
                return 0;
        return v >= (1ULL << 62) ? MEMCG_NO_LIMIT : v;
}

/* 2 when the list holds "memory", 1 when it does not. */
static uint64_t parse_controllers(const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        for (char *save = NULL, *w = copy ? strtok_r(copy, " \n", &save) : NULL; w; w = strtok_r(NULL, " \n", &save))
                if (strcmp(w, "memory") == 0)
                        return 2;
        return 1;
}

uint64_t memcg_limit(struct host *h, const char *cg, const char *name) {
        if (!cg || cg[0] != '/' || strstr(cg, "/.."))
                return 0;
        return cached(h, cg, name, parse_limit);
}

bool memcg_unenforced(struct host *h, const char *cg) {
        enum memcg_mode mode = memcg_mode(h);
        if (mode != MEMCG_V2)
                return mode == MEMCG_NONE;
        _cleanup_free_ char *c = cg && cg[0] == '/' && !strstr(cg, "/..") ? strdup(cg) : strdup("/");
        if (!c)
                return false;
        for (;;) {
                uint64_t v = cached(h, c, "cgroup.controllers", parse_controllers);
                if (v)
                        return v == 1;
                char *slash = strrchr(c, '/');
                if (!slash || strcmp(c, "/") == 0)
                        return false;
                if (slash == c)
                        c[1] = 0;
                else
                        *slash = 0;
        }
}
