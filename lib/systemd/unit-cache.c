/* SPDX-License-Identifier: MIT */
/* The unit model, loaded once a run: every unit asked for is read and parsed the first
 * time and kept with the host, packed in one piece (its strings, assignments and
 * paths together), so a second check asking for it costs a hash lookup, not a re-read.
 * A name no file defines is kept too, with its error. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "host/host.h"
#include "text/cleanup.h"
#include "systemd/units.h"
#include "systemd/units-internal.h"

struct unit_counters unit_counters;

struct slot {
        const char *name;       /* the name as asked: the unit's own, or owned with an error */
        struct unit *u;         /* packed, owned; NULL with an error */
        int error;
        uint32_t hash;          /* the low bits of the name's unit_hash_name(): probes and
                                 * growth without hashing again, a strcmp() only on a match */
};

/* Open addressing over a power of two of slots: units by name, and the section and key
 * names every unit repeats ("Service", "ExecStart"), kept once for all. */
struct table {
        struct slot *v;
        size_t cap, n;
};

/* The packed units, laid out one after the other in blocks mapped as the cache grows (each
 * twice the last, up to 1 MiB) and populated when mapped: a few system calls instead of a
 * page fault a page and an allocation a unit. A unit is freed with the cache, never alone.
 * Under AddressSanitizer each unit is an allocation of its own, for it to watch. */
#define UNIT_BLOCKS (!HAVE_ASAN)
#define BLOCK_FIRST (64U << 10)
#define BLOCK_MAX (1U << 20)
#define BLOCK_HEAD 16           /* keeps what follows aligned as malloc() aligns */

struct block {
        struct block *next;
        size_t size;
};

struct unit_cache {
        struct table units;
        struct table words;     /* .name owned, .u NULL */
        struct block *blocks;   /* the newest first */
        char *next;             /* free bytes in the newest block */
        size_t left;
        struct unit scratch;    /* what the loader parses into, before packing */
        const char *memo[64];   /* words met lately, by length and first and last byte: most of a
                                 * unit's keys are found here with one strcmp(), not hashed */
};

/* N bytes for a packed unit; NULL on -ENOMEM. */
static void *cache_alloc(struct unit_cache *c, size_t n) {
        if (!UNIT_BLOCKS)
                return malloc(n);
        n = (n + 15) & ~(size_t) 15;
        if (n > c->left) {
                size_t size = c->blocks ? c->blocks->size * 2 : BLOCK_FIRST;
                if (size > BLOCK_MAX)
                        size = BLOCK_MAX;
                while (size - BLOCK_HEAD < n)
                        size *= 2;
                struct block *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
                if (b == MAP_FAILED)
                        return NULL;
                *b = (struct block) { c->blocks, size };
                c->blocks = b;
                c->next = (char *) b + BLOCK_HEAD;
                c->left = size - BLOCK_HEAD;
        }
        void *p = c->next;
        c->next += n;
        c->left -= n;
        return p;
}

static void unit_cache_free(void *p) {
        struct unit_cache *c = p;
        if (!c)
                return;
        for (size_t i = 0; i < c->units.cap; i++) {
                if (c->units.v[i].u) {
                        if (!UNIT_BLOCKS)
                                free(c->units.v[i].u);
                } else
                        free((char *) c->units.v[i].name);
        }
        for (struct block *b = c->blocks, *n; b; b = n) {
                n = b->next;
                munmap(b, b->size);
        }
        for (size_t i = 0; i < c->words.cap; i++)
                free((char *) c->words.v[i].name);
        free(c->units.v);
        free(c->words.v);
        unit_scratch_release(&c->scratch);
        free(c);
}

static struct slot *table_find(struct table *t, const char *name, uint32_t hash) {
        for (size_t i = hash & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
                unit_counters.compares++;
                if (!t->v[i].name || (t->v[i].hash == hash && strcmp(t->v[i].name, name) == 0))
                        return &t->v[i];
        }
}

/* Room for one more (load at most 3/4). */
static int table_reserve(struct table *t) {
        if (t->cap && (t->n + 1) * 4 <= t->cap * 3)
                return 0;
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct slot *old = t->v, *nv = calloc(cap, sizeof(*nv));
        size_t old_cap = t->cap;
        if (!nv)
                return -ENOMEM;
        t->v = nv, t->cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
                if (!old[i].name)
                        continue;
                size_t k = old[i].hash & (cap - 1);     /* names are unique: the first free slot */
                while (nv[k].name)
                        k = (k + 1) & (cap - 1);
                nv[k] = old[i];
        }
        free(old);
        return 0;
}

/* The one copy of the word S, added when new; NULL on -ENOMEM. */
static const char *intern(struct table *t, const char *s) {
        if (table_reserve(t) < 0)
                return NULL;
        uint32_t hash = (uint32_t) unit_hash_name(s);
        struct slot *x = table_find(t, s, hash);
        if (!x->name) {
                if (!(x->name = strdup(s)))
                        return NULL;
                x->hash = hash;
                t->n++;
        }
        return x->name;
}

/* The one copy of the word S in C's words, through the memo: most of a unit's sections
 * and keys are found with one strcmp(), not hashed; NULL on -ENOMEM. */
static const char *cache_word(void *ctx, const char *s) {
        struct unit_cache *c = ctx;
        size_t l = strlen(s);
        size_t slot = (l * 7 + (unsigned char) s[0] + (l ? 3U * (unsigned char) s[l - 1] : 0)) & 63;
        if (c->memo[slot] && strcmp(c->memo[slot], s) == 0)
                return c->memo[slot];
        const char *w = intern(&c->words, s);
        if (w)
                c->memo[slot] = w;
        return w;
}

static int cache_get(struct host *h, struct unit_cache **ret) {
        struct unit_cache *c = host_cache_get(h, "unit-cache");
        if (!c) {
                c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                /* The parser keeps sections and keys here: a unit's text is its own strings. */
                if (unit_scratch_words(&c->scratch, cache_word, c) < 0) {
                        unit_cache_free(c);
                        return -ENOMEM;
                }
                int r = host_cache_put(h, "unit-cache", c, unit_cache_free);
                if (r < 0)
                        return r;
        }
        *ret = c;
        return 0;
}

/* ---- packing: one allocation a unit ---- */

struct packer {
        char *base;             /* NULL once the layout outgrew cap */
        size_t off, cap;        /* cap: the bytes at base */
        struct unit_cache *cache;       /* where sections and keys are interned, while copying */
        bool nomem;             /* interning one failed, or the layout outgrew cap */
};

/* The one copy of the word S, through the memo; NULL on -ENOMEM. */
static const char *pack_word(struct packer *k, const char *s) {
        return cache_word(k->cache, s);
}

static size_t align_up(size_t n, size_t align) {
        return (n + align - 1) & ~(align - 1);
}

static void *pack_bytes(struct packer *k, const void *p, size_t n, size_t align) {
        k->off = align_up(k->off, align);
        if (k->base && k->off + n > k->cap)
                k->nomem = true, k->base = NULL;        /* never past the end; pack() checks each NULL */
        void *dst = k->base ? k->base + k->off : NULL;
        if (dst && p)
                memcpy(dst, p, n);
        k->off += n;
        return dst;
}

static char *pack_str(struct packer *k, const char *s) {
        return s ? pack_bytes(k, s, strlen(s) + 1, 1) : NULL;
}

/* F's position in U's files when it is one of them (the same pointer: what the parser
 * keeps), else -1. */
static ssize_t file_at(const struct unit *u, const char *f) {
        for (size_t i = 0; i < u->n_files; i++)
                if (f == u->files[i])
                        return (ssize_t) i;
        return -1;
}

/* F's position in U's files: the same pointer (what the parser keeps) or the same path. */
static ssize_t find_file(const struct unit *u, const char *f) {
        ssize_t at = file_at(u, f);
        for (size_t i = 0; at < 0 && i < u->n_files; i++)
                if (strcmp(f, u->files[i]) == 0)
                        at = (ssize_t) i;
        return at;
}

/* The packed copy of the path F (one of U's files), else a copy of its own. */
static const char *pack_file(struct packer *k, const struct unit *u, char **files, const char *f) {
        ssize_t at = f ? find_file(u, f) : -1;
        if (at >= 0)
                return files ? files[at] : NULL;
        return pack_str(k, f);
}

/* The bytes pack() lays U out in: its arrays, each aligned as pack_bytes() aligns it (so
 * the bound holds whatever padding an ABI puts between them), and its strings, which are
 * all in the scratch unit's text but its name: the text's size bounds them, with no
 * pass over them. What pack() leaves of it goes back to the block. */
static size_t pack_bound(const struct unit *u) {
        _Static_assert(_Alignof(struct unit) <= 16, "cache_alloc() aligns a unit to 16 bytes");
        size_t n = sizeof(*u);
        n = align_up(n, _Alignof(struct unit_assignment)) + u->n_a * sizeof(*u->a);
        n = align_up(n, _Alignof(struct unit_issue)) + u->n_issues * sizeof(*u->issues);
        n = align_up(n, _Alignof(char *)) + (u->n_files + 1) * sizeof(char *);
        n = align_up(n, _Alignof(char *)) + (u->n_dropins + 1) * sizeof(char *);
        return n + unit_text_used(u) + strlen(u->name) + 1;
}

/* Lay U out at K; the packed unit, or NULL when it did not fit. */
static struct unit *pack(struct packer *k, const struct unit *u) {
        struct unit *p = pack_bytes(k, u, sizeof(*u), _Alignof(struct unit));
        struct unit_assignment *a = pack_bytes(k, u->a, u->n_a * sizeof(*a), _Alignof(struct unit_assignment));
        struct unit_issue *is = pack_bytes(k, u->issues, u->n_issues * sizeof(*is), _Alignof(struct unit_issue));
        char **files = pack_bytes(k, NULL, (u->n_files + 1) * sizeof(char *), _Alignof(char *));
        char **dropins = pack_bytes(k, NULL, (u->n_dropins + 1) * sizeof(char *), _Alignof(char *));
        for (size_t i = 0; i < u->n_files; i++) {
                char *s = pack_str(k, u->files[i]);
                if (files)
                        files[i] = s;
        }
        const char *name = pack_str(k, u->name);
        const char *id = strcmp(u->id, u->name) == 0 ? name : pack_str(k, u->id);
        const char *fragment = pack_file(k, u, files, u->fragment);
        for (size_t i = 0; i < u->n_dropins; i++) {
                const char *s = pack_file(k, u, files, u->dropins[i]);
                if (dropins)
                        dropins[i] = (char *) s;
        }
        for (size_t i = 0; i < u->n_a; i++) {
                const char *value = pack_str(k, u->a[i].value), *file = pack_file(k, u, files, u->a[i].file);
                if (a) {
                        /* Assignments come in runs of one section: the one before's, when the same. */
                        const char *section = i > 0 && strcmp(u->a[i].section, u->a[i - 1].section) == 0 ?
                                              a[i - 1].section : pack_word(k, u->a[i].section);
                        const char *key = pack_word(k, u->a[i].key);
                        k->nomem |= !section || !key;
                        a[i] = (struct unit_assignment) { (char *) section, (char *) key, (char *) value, file, u->a[i].line };
                }
        }
        for (size_t i = 0; i < u->n_issues; i++) {
                const char *msg = pack_str(k, u->issues[i].message), *file = pack_file(k, u, files, u->issues[i].file);
                if (is)
                        is[i] = (struct unit_issue) { file, u->issues[i].line, (char *) msg };
        }
        const char *bad_file = pack_file(k, u, files, u->bad_file);
        if (!p || !files || !dropins)
                return NULL;
        files[u->n_files] = NULL;
        dropins[u->n_dropins] = NULL;
        p->name = (char *) name, p->id = (char *) id, p->fragment = (char *) fragment;
        p->a = u->n_a ? a : NULL, p->issues = u->n_issues ? is : NULL;
        p->files = files, p->dropins = dropins, p->bad_file = bad_file;
        p->alloc_a = p->alloc_issues = p->alloc_files = p->alloc_dropins = 0;
        p->text = NULL;
        return p;
}

/* S moved with the text FROM (USED bytes) to TO, or a copy of its own when not in it. */
static char *moved(struct packer *k, const char *s, const char *from, size_t used, char *to) {
        if (!s)
                return NULL;
        if ((uintptr_t) s >= (uintptr_t) from && (uintptr_t) s < (uintptr_t) from + used)
                return to ? to + (s - from) : NULL;
        return pack_str(k, s);
}

/* Lay U out at K with its text, TEXT (USED bytes, every string of U's but its name), copied
 * in one piece and each pointer into it moved; its sections and keys are the cache's
 * words already. The packed unit, or NULL when it did not fit. */
static struct unit *pack_moved(struct packer *k, const struct unit *u, const char *text, size_t used) {
        struct unit *p = pack_bytes(k, u, sizeof(*u), _Alignof(struct unit));
        struct unit_assignment *a = pack_bytes(k, u->a, u->n_a * sizeof(*a), _Alignof(struct unit_assignment));
        struct unit_issue *is = pack_bytes(k, u->issues, u->n_issues * sizeof(*is), _Alignof(struct unit_issue));
        char **files = pack_bytes(k, NULL, (u->n_files + 1) * sizeof(char *), _Alignof(char *));
        char **dropins = pack_bytes(k, NULL, (u->n_dropins + 1) * sizeof(char *), _Alignof(char *));
        char *to = pack_bytes(k, text, used, 1);
        const char *name = pack_str(k, u->name);
        const char *id = strcmp(u->id, u->name) == 0 ? name : moved(k, u->id, text, used, to);
        if (!p || !files || !dropins || !to || !name || !id || k->nomem)
                return NULL;
        for (size_t i = 0; i < u->n_files; i++)
                files[i] = moved(k, u->files[i], text, used, to);
        for (size_t i = 0; i < u->n_dropins; i++)
                dropins[i] = moved(k, u->dropins[i], text, used, to);
        for (size_t i = 0; i < u->n_a; i++) {
                a[i].value = moved(k, u->a[i].value, text, used, to);
                a[i].file = moved(k, u->a[i].file, text, used, to);
        }
        for (size_t i = 0; i < u->n_issues; i++) {
                is[i].message = moved(k, u->issues[i].message, text, used, to);
                is[i].file = moved(k, u->issues[i].file, text, used, to);
        }
        files[u->n_files] = NULL;
        dropins[u->n_dropins] = NULL;
        p->name = (char *) name, p->id = (char *) id, p->fragment = moved(k, u->fragment, text, used, to);
        p->bad_file = moved(k, u->bad_file, text, used, to);
        p->a = u->n_a ? a : NULL, p->issues = u->n_issues ? is : NULL;
        p->files = files, p->dropins = dropins;
        p->alloc_a = p->alloc_issues = p->alloc_files = p->alloc_dropins = 0;
        p->text = NULL;
        return k->nomem ? NULL : p;
}

/* U in one piece of C's blocks, its sections and keys in C's words; NULL on -ENOMEM. */
static struct unit *unit_pack(const struct unit *u, struct unit_cache *c) {
        size_t bound = pack_bound(u);
        struct packer k = { cache_alloc(c, bound), 0, bound, c, false };
        char *base = k.base;
        size_t used;
        const char *text = unit_text_only(u, &used);
        if (!base)
                return NULL;
        /* Its text in one block, and its sections and keys the cache's words: copied whole. */
        struct unit *p = text && u == &c->scratch ? pack_moved(&k, u, text, used) : pack(&k, u);
        if (k.nomem) {
                if (!UNIT_BLOCKS)
                        free(base);     /* in a block, it stays until the cache goes */
                return NULL;
        }
        if (UNIT_BLOCKS) {
                /* The last allocation of the newest block: the room it did not use is free again. */
                size_t unused = ((bound + 15) & ~(size_t) 15) - ((k.off + 15) & ~(size_t) 15);
                c->next -= unused;
                c->left += unused;
        }
        return p;
}

int unit_load(struct host *h, const char *name, const struct unit **ret) {
        struct unit_cache *c;
        if (!name)
                return -EINVAL;
        int r = cache_get(h, &c);
        if (r < 0)
                return r;
        if (table_reserve(&c->units) < 0)
                return -ENOMEM;
        uint32_t hash = (uint32_t) unit_hash_name(name);
        struct slot *s = table_find(&c->units, name, hash);
        if (!s->name && !unit_name_is_valid(name))
                return -EINVAL;         /* a name kept is valid: checked once, when first asked */
        if (!s->name) {
                r = unit_load_valid(h, name, &c->scratch);     /* validated above */
                struct unit *p = r == 0 ? unit_pack(&c->scratch, c) : NULL;
                unit_scratch_reset(&c->scratch);
                if (r == -ENOMEM)
                        return r;       /* not kept: a later ask may have the memory */
                if (r == 0 && !p)
                        return -ENOMEM;
                /* The unit's own name is the key; a name without a unit keeps a copy. */
                *s = (struct slot) { p ? p->name : strdup(name), p, r, hash };
                if (!s->name)
                        return -ENOMEM;
                c->units.n++;
        }
        if (s->error < 0)
                return s->error;
        *ret = s->u;
        return 0;
}
