/* SPDX-License-Identifier: MIT */
/* Open addressing with linear probing, FNV-1a, grown at 3/4 full. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal/keymap.h"

struct keymap_slot {
        char *key;              /* NULL: empty */
        size_t len;
        size_t value;
        uint64_t hash;
};

static uint64_t hash_of(const char *key, size_t len) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) key[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static struct keymap_slot *find(const struct keymap *m, const char *key, size_t len, uint64_t h) {
        if (!m->alloc)
                return NULL;
        for (size_t i = h & (m->alloc - 1); ; i = (i + 1) & (m->alloc - 1)) {
                struct keymap_slot *s = &m->slots[i];
                if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
                        return s;
        }
}

size_t keymap_get(const struct keymap *m, const char *key, size_t len) {
        const struct keymap_slot *s = find(m, key, len, hash_of(key, len));
        return s && s->key ? s->value : 0;
}

static int rehash(struct keymap *m) {
        size_t a = m->alloc ? m->alloc * 2 : 64;
        struct keymap_slot *slots = calloc(a, sizeof *slots);
        if (!slots)
                return -ENOMEM;
        struct keymap old = *m;
        m->slots = slots;
        m->alloc = a;
        for (size_t i = 0; i < old.alloc; i++)
                if (old.slots[i].key)
                        *find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
        free(old.slots);
        return 0;
}

int keymap_set(struct keymap *m, const char *key, size_t len, size_t value) {
        uint64_t h = hash_of(key, len);
        struct keymap_slot *s = find(m, key, len, h);
        if (s && s->key) {
                s->value = value;
                return 0;
        }
        if (value == 0)
                return 0;
        if ((m->n + 1) * 4 > m->alloc * 3) {
                int r = rehash(m);
                if (r < 0)
                        return r;
                s = find(m, key, len, h);
        }
        char *k = malloc(len + 1);
        if (!k)
                return -ENOMEM;
        memcpy(k, key, len);
        k[len] = '\0';
        *s = (struct keymap_slot) { .key = k, .len = len, .value = value, .hash = h };
        m->n++;
        return 0;
}

void keymap_release(struct keymap *m) {
        for (size_t i = 0; i < m->alloc; i++)
                free(m->slots[i].key);
        free(m->slots);
        *m = (struct keymap) {};
}
