/* SPDX-License-Identifier: MIT */
/* zram: the fix for zram-missing: with zram-generator installed, start the
 * swap device its config already names, or add one in a drop-in (a config of
 * the admin's or the vendor's is never replaced); without it, a oneshot unit
 * of our own that sets up /dev/zram0 as swap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text/cleanup.h"
#include "host/config.h"
#include "fixes.h"
#include "swap.h"
#include "host/template.h"
#include "host/virt.h"
#include "host/zramdev.h"

#define OWN_UNIT ZRAM_OWN_UNIT
#define OWN_UNIT_PATH ZRAM_OWN_UNIT_PATH
#define MiB (UINT64_C(1) << 20)

static bool has_word(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *s = list; *s; ) {
                s += strspn(s, " \t\n[");
                size_t len = strcspn(s, " \t\n[]");
                if (len == n && strncmp(s, word, n) == 0)
                        return true;
                s += len;
                s += strspn(s, "]");
        }
        return false;
}

/* zstd where the kernel offers it. The kernel lists what it has in
 * comp_algorithm ("lzo lzo-rle lz4 [zstd]"); not readable (module not
 * loaded, another root): zstd, which every current kernel builds. */
const char *zram_pick_algorithm(struct host *h) {
        _cleanup_free_ char *list = NULL;
        if (host_read_file(h, "/sys/block/zram0/comp_algorithm", 4096, &list, NULL) < 0)
                return "zstd";
        if (has_word(list, "zstd"))
                return "zstd";
        if (has_word(list, "lzo-rle"))
                return "lzo-rle";
        return "lzo";
}

struct zram_params {
        uint64_t size;          /* bytes, whole MiB */
        long long priority;
        const char *algorithm;  /* one of our own names, never host bytes */
        char size_mib[24];
        char size_arg[24];
        char prio[24];
        char device[24];        /* N of /dev/zramN */
};

/* 1 with *z filled, 0 after a manual action that says what is wrong. */
static int zram_params(struct host *h, const struct zram_facts *facts, struct plan *p, const char *check,
                       struct zram_params *z) {
        const struct config *c = host_config(h);
        z->size = config_get_size(c, "zram", "size", 0) / MiB * MiB;
        if (z->size == 0 && facts->mem_total == 0) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "no zram: the RAM of the machine this image boots on is unknown; "
                             "set [zram] size or [%s] %s in %s", IMAGE_SECTION, IMAGE_MEMORY_KEY, CONFIG_PATH) < 0)
                        return -ENOMEM;
                int k = plan_add_manual(p, check, text);
                return k < 0 ? k : 0;
        }
        if (z->size == 0)
                z->size = zram_size_auto(facts->mem_total);
        z->priority = config_get_int(c, "zram", "priority", ZRAM_DEFAULT_PRIORITY);
        if (z->size < MiB || z->priority < 0 || z->priority > 32767) {
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "no zram: [zram] size must be at least 1M and [zram] priority "
                             "0 to 32767 (see %s)", CONFIG_PATH) < 0)
                        return -ENOMEM;
                int k = plan_add_manual(p, check, text);
                return k < 0 ? k : 0;
        }
        z->algorithm = zram_pick_algorithm(h);
        snprintf(z->size_mib, sizeof(z->size_mib), "%llu", (unsigned long long) (z->size / MiB));
        snprintf(z->size_arg, sizeof(z->size_arg), "%lluM", (unsigned long long) (z->size / MiB));
        snprintf(z->prio, sizeof(z->prio), "%lld", z->priority);
        return 1;
}

static int render(struct host *h, const char *name, const char *const *vars, char **ret, size_t *ret_len) {
        _cleanup_free_ char *err = NULL;
        return template_render(h, name, vars, ret, ret_len, &err);
}

/* Note on the last action when it does not run now. */
static int note_deferred(struct host *h, struct plan *p, const char *what) {
        const struct action *a = plan_action(p, plan_size(p) - 1);
        if (!a || !a->deferred)
                return 0;
        if (!host_is_live(h))
                return plan_note(p, "not the running system: %s", what);
        return plan_note(p, "systemd is not running: %s", what);
}

/* Start dev-zramN.swap, which pulls in systemd-zram-setup@zramN.service. */
static int plan_start_generated(struct host *h, struct plan *p, const char *check, int device, bool written) {
        char unit[32];
        int k;
        if (!written && !host_is_live(h))
                return 0;       /* boot runs the generator on the config already there */
        snprintf(unit, sizeof(unit), "dev-zram%d.swap", device);
        if ((k = plan_add_systemd(p, check, SYSTEMD_DAEMON_RELOAD, NULL, NULL)) < 0)
                return k;
        if ((k = plan_add_systemd(p, check, SYSTEMD_START, unit, NULL)) < 0)
                return k;
        return note_deferred(h, p, "at boot, zram-generator sets up the device from its config");
}

/* The lowest zramN no config names: an admin's [zram1] mount stays theirs. */
static int free_device(const struct zram_generator *g) {
        for (int i = 0; i < 64; i++)
                if (!(g->named & (UINT64_C(1) << i)))
                        return i;
        return -1;
}

static int plan_generator(struct host *h, struct plan *p, const char *check, struct zram_params *z,
                          const struct zram_generator *g) {
        int device = free_device(g);
        if (device < 0) {
                int k = plan_add_manual(p, check, "no zram: zram-generator's config names all of zram0 to zram63");
                return k < 0 ? k : 0;
        }
        snprintf(z->device, sizeof(z->device), "%d", device);
        const char *vars[] = { "size_mib", z->size_mib, "algorithm", z->algorithm, "priority", z->prio,
                               "device", z->device, NULL };
        _cleanup_free_ char *text = NULL;
        size_t len;
        int k = render(h, "zram-generator.conf", vars, &text, &len);
        if (k < 0)
                return k;
        /* A config of the admin's or the vendor's exists: add ours beside it, never over it. */
        const char *path = g->has_files ? ZRAM_GENERATOR_DROPIN : ZRAM_GENERATOR_CONF;
        int written = plan_add_write(p, check, path, text, len, 0644);
        if (written < 0)
                return written;
        return plan_start_generated(h, p, check, device, written > 0);
}

static int plan_own_unit(struct host *h, struct plan *p, const char *check, const struct zram_params *z) {
        const char *vars[] = { "size", z->size_arg, "algorithm", z->algorithm, "priority", z->prio, NULL };
        _cleanup_free_ char *text = NULL;
        size_t len;
        int k = render(h, OWN_UNIT, vars, &text, &len);
        if (k < 0)
                return k;
        int written = plan_add_write(p, check, OWN_UNIT_PATH, text, len, 0644);
        if (written < 0)
                return written;
        if (written || host_is_live(h))
                if ((k = plan_add_systemd(p, check, SYSTEMD_DAEMON_RELOAD, NULL, NULL)) < 0)
                        return k;
        int linked = fix_plan_enable(p, check, OWN_UNIT, OWN_UNIT_PATH, text, len);
        if (linked < 0)
                return linked;
        if (!written && !linked && !host_is_live(h))
                return 0;
        if ((k = plan_add_systemd(p, check, SYSTEMD_START, OWN_UNIT, NULL)) < 0)
                return k;
        return note_deferred(h, p, "swap.target starts it at boot");
}

static int fix_zram_plan(struct host *h, const struct finding *f, struct plan *p) {
        const struct zram_facts *facts = f->data;
        const char *check = f->check->id, *name = NULL;
        struct zram_params z = { 0 };
        struct zram_generator g;
        if (!facts)
                return 0;
        int k = host_container(h, &name);
        if (k != 0) {
                if (k < 0)
                        return k;
                _cleanup_free_ char *text = NULL;
                if (asprintf(&text, "no zram inside a container (%s): swap belongs to the host", name) < 0)
                        return -ENOMEM;
                return plan_add_manual(p, check, text) < 0 ? -ENOMEM : 0;
        }
        if (facts->unit)        /* zram-tools or rpi-swap set it up: start theirs, never a second device */
                return (k = plan_add_systemd(p, check, SYSTEMD_START, facts->unit, NULL)) < 0 ? k : 0;
        if ((k = zram_kernel_support(h)) == 0)
                return plan_add_manual(p, check, "no zram: this kernel has no zram module") < 0 ? -ENOMEM : 0;
        if (k == -ENOMEM)
                return k;
        if ((k = zram_generator_read(h, &g)) < 0)
                return k;
        if (g.installed && g.swap_device >= 0)
                return plan_start_generated(h, p, check, g.swap_device, false);
        k = zram_params(h, facts, p, check, &z);
        if (k <= 0)
                return k;
        if (g.installed)
                return plan_generator(h, p, check, &z, &g);
        return plan_own_unit(h, p, check, &z);
}

const struct fix fix_zram = {
        .name = "zram",
        .summary = "compressed swap in RAM (min(RAM/2, 4 GiB), zstd, priority 100): with zram-generator, "
                   "start the device its config names or add one in zram-generator.conf.d/ "
                   "(an existing config is never replaced); else a hostfit-zram.service unit on /dev/zram0",
        .plan = fix_zram_plan,
};
