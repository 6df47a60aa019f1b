/* SPDX-License-Identifier: MIT */
/* Run records as history and undo read them (lib/records, json-c): the input is
 * /var/lib/hostfit/runs/STAMP.json, then, after a "\n--log--\n" line, the STAMP.log an
 * interrupted run left. Asserted: loading in a trusted layout either refuses the record
 * (-EBADMSG) or gives one undo can act on (every path absolute without "." or ".."
 * components, a backup only at hostfit's own place for this stamp, digests of 64 hex
 * digits or none, an undo naming a valid stamp); and what hostfit writes for it reads
 * back to the same actions, paths, backups and digests, and is written again byte for byte
 * the same (the writer and the reader agree, on bytes that are not UTF-8 too). */
#include "fuzz.h"
#include "host/host.h"
#include "records/runrecord.h"

#define STAMP "20261126T101500Z"
#define RECORD RUNS_DIR "/" STAMP ".json"
#define LOG RUNS_DIR "/" STAMP ".log"

static bool path_sane(const char *p) {
        size_t n = p ? strlen(p) : 0;
        return n && p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") &&
               !(n >= 3 && strcmp(p + n - 3, "/..") == 0) && !(n >= 2 && strcmp(p + n - 2, "/.") == 0);
}

static bool hex_ok(const char *s) {
        return !s[0] || (strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64);
}

static void assert_record(const struct run_record *r) {
        if (strcmp(r->stamp, STAMP) != 0 || (r->kind == RUN_UNDO && !run_stamp_is_valid(r->undoes)))
                abort();
        for (char **d = r->dirs; d && *d; d++)
                if ((*d)[0] != '/' || strstr(*d, "/.."))
                        abort();
        for (size_t i = 0; i < r->n_actions; i++) {
                const struct run_action *a = &r->actions[i];
                bool has_path = a->kind == ACTION_WRITE_FILE || a->kind == ACTION_SYMLINK || a->kind == ACTION_SWAPFILE ||
                                a->kind == ACTION_SWAPON || a->kind == ACTION_REMOVE || a->kind == ACTION_SWAPOFF ||
                                a->kind == ACTION_SUBVOLUME;
                if ((unsigned) a->kind >= _ACTION_MAX || (unsigned) a->outcome >= _OUTCOME_MAX)
                        abort();
                if (has_path && !path_sane(a->path))
                        abort();
                if (!hex_ok(a->sha256) || !hex_ok(a->old_sha256))
                        abort();
                if (a->backup) {
                        char *own = NULL;
                        if (run_backup_path(STAMP, a->path, &own) < 0 || strcmp(own, a->backup) != 0)
                                abort();
                        free(own);
                }
                if (a->kind == ACTION_WRITE_FILE && (a->outcome == OUTCOME_APPLIED || a->outcome == OUTCOME_PENDING) &&
                    (!a->sha256[0] || (!a->created && !a->backup)))
                        abort();        /* undo could not tell what to restore */
                if (a->kind == ACTION_SYSTEMD && (unsigned) a->op >= _SYSTEMD_OP_MAX)
                        abort();
        }
}

static bool same_str(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* What undo acts on is the same in both, as the writer writes it for each kind: kinds,
 * outcomes, paths, backups, digests, link targets, units. */
static void assert_same_acts(const struct run_record *x, const struct run_record *y) {
        if (x->n_actions != y->n_actions || x->kind != y->kind || strcmp(x->undoes, y->undoes) != 0)
                abort();
        for (size_t i = 0; i < x->n_actions; i++) {
                const struct run_action *a = &x->actions[i], *b = &y->actions[i];
                bool write = a->kind == ACTION_WRITE_FILE;
                if (a->kind != b->kind || a->outcome != b->outcome || !same_str(a->path, b->path) ||
                    ((write || a->kind == ACTION_REMOVE) && !same_str(a->backup, b->backup)) ||
                    (write && (strcmp(a->sha256, b->sha256) != 0 || strcmp(a->old_sha256, b->old_sha256) != 0 ||
                               a->created != b->created)) ||
                    ((a->kind == ACTION_SYMLINK || a->kind == ACTION_REMOVE) &&
                     !same_str(a->target, b->target)) ||
                    (a->kind == ACTION_SYSTEMD && (a->op != b->op || !same_str(a->unit, b->unit))))
                        abort();
        }
}

static char *to_json(const struct run_record *r, size_t *len) {
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        if (!f || run_record_to_json(r, f) < 0 || fclose(f) != 0)
                abort();
        return buf;
}

static void remove_log(void) {
        char full[512];
        snprintf(full, sizeof(full), "%s%s", fuzz_root(), LOG);
        if (unlink(full) < 0 && errno != ENOENT)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *sep = memmem(data, size, "\n--log--\n", 9);
        size_t rec_len = sep ? (size_t) (sep - data) + 1 : size;
        struct host *h = NULL;
        struct run_record *r = NULL, *again = NULL;
        fuzz_write(RECORD, data, rec_len);
        remove_log();
        if (sep)
                fuzz_write(LOG, sep + 9, size - rec_len - 8);
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        int k = run_record_load(h, STAMP, &r);
        if (k == -EBADMSG || k == -ENOMEM) {
                host_free(h);
                return 0;
        }
        if (k < 0)
                abort();        /* -EPERM, -ENOENT, ...: the layout is trusted and there */
        assert_record(r);
        /* Written, read back, written again: the same record, byte for byte (a byte that is
         * not UTF-8 included: the reader turns the writer's "\u00NN" back into it). */
        size_t len1, len2;
        char *j1 = to_json(r, &len1);
        fuzz_write(RECORD, (const uint8_t *) j1, len1);
        remove_log();
        k = run_record_load(h, STAMP, &again);
        if (k < 0) {
                fprintf(stderr, "hostfit cannot read back what it wrote (%s):\n%.*s\n", strerror(-k), (int) len1, j1);
                abort();
        }
        assert_record(again);
        assert_same_acts(r, again);
        char *j2 = to_json(again, &len2);
        if (len1 != len2 || memcmp(j1, j2, len1) != 0) {
                fprintf(stderr, "written:\n%.*s\nread back and written again:\n%.*s\n", (int) len1, j1, (int) len2, j2);
                abort();
        }
        free(j1), free(j2);
        run_record_free(again);
        run_record_free(r);
        host_free(h);
        return 0;
}
