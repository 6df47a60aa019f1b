/* SPDX-License-Identifier: MIT */
/* Node version detection (lib/procs/nodeheap.c) over the same bytes read four ways: as a
 * node binary (process.release's ".../download/release/vX.Y.Z/" in it), as an install's
 * include/node/node_version.h, as the dpkg status database, and as an install path.
 * Asserted: a version found is written in the input exactly as found (decimal digits, no
 * sign, blank or overflow: "v18.-1" is no version 18.4294967295), major 1..1000; and a
 * binary holding a release tag with a version is never said to have none (a tag at the
 * very end of the file included), the first such tag being the one read. */
#include "fuzz.h"
#include "host/host.h"
#include "procs/nodeheap.h"

#define TAG "/download/release/v"

static void assert_sane(const struct node_version *v) {
        if (v->major == 0 || v->major > 1000 || !v->source)
                abort();
}

/* Decimal digits at *I within 32 bits. */
static bool digits(const uint8_t *s, size_t len, size_t *i, unsigned *ret) {
        unsigned long long v = 0;
        size_t start = *i;
        for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
                if ((v = v * 10 + (unsigned) (s[*i] - '0')) > 0xffffffffULL)
                        return false;
        *ret = (unsigned) v;
        return *i > start;
}

/* Strict: [v]MAJOR.MINOR[.PATCH], decimal digits within 32 bits, major 1..1000. */
static bool strict_version(const uint8_t *s, size_t len, struct node_version *ret) {
        struct node_version v = { 0 };
        size_t i = len && s[0] == 'v';
        if (!digits(s, len, &i, &v.major) || i >= len || s[i++] != '.' || !digits(s, len, &i, &v.minor))
                return false;
        if (i + 1 < len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9' && (i++, !digits(s, len, &i, &v.patch)))
                return false;
        if (v.major == 0 || v.major > 1000)
                return false;
        *ret = v;
        return true;
}

/* S (LEN bytes) begins with V in digits only: [v]MAJOR.MINOR[.PATCH], no sign, blank or overflow. */
static bool version_text_is(const char *s, size_t len, const struct node_version *v) {
        struct node_version t;
        return strict_version((const uint8_t *) s, len, &t) && t.major == v->major && t.minor == v->minor &&
               t.patch == v->patch;
}

static void check_binary(const uint8_t *data, size_t size) {
        struct host *h = NULL;
        struct node_version got, want = { 0 };
        bool any = false;
        fuzz_write("/opt/n/libexec/node", data, size);
        for (const uint8_t *q = data; !any && (q = memmem(q, size - (size_t) (q - data), TAG, strlen(TAG))); q++) {
                size_t at = (size_t) (q - data) + strlen(TAG) - 1;
                /* Text stops at a NUL, as in a binary's string table. */
                const uint8_t *nul = memchr(data + at, 0, size - at);
                any = strict_version(data + at, nul ? (size_t) (nul - data) - at : size - at, &want);
        }
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        int r = node_version_of(h, 1, "/opt/n/libexec/node", &got);
        if (r == 0) {
                assert_sane(&got);
                if (!any || got.major != want.major || got.minor != want.minor || got.patch != want.patch)
                        abort();
        } else if (r != -ENOENT || any)
                abort();
        host_free(h);
}

/* Some "#define NAME VALUE" line of TEXT has exactly VALUE's digits. */
static bool defines(const char *text, const char *name, unsigned value) {
        char want[96];
        snprintf(want, sizeof(want), "#define %s", name);
        for (const char *q = text; (q = strstr(q, want)); q++) {
                const char *p = q + strlen(want);
                if ((q != text && q[-1] != '\n') || (*p != ' ' && *p != '\t'))
                        continue;
                p += strspn(p, " \t");
                char *end;
                if (*p >= '0' && *p <= '9' && strtoul(p, &end, 10) == value && end - p < 11)
                        return true;
        }
        return false;
}

static void check_header(const char *text, size_t len) {
        struct host *h = NULL;
        struct node_version v;
        fuzz_write("/opt/h/include/node/node_version.h", (const uint8_t *) text, len);
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        int r = node_version_of(h, 1, "/opt/h/bin/node", &v);
        if (r == 0) {
                assert_sane(&v);
                if (!defines(text, "NODE_MAJOR_VERSION", v.major) || !defines(text, "NODE_MINOR_VERSION", v.minor) ||
                    (v.patch && !defines(text, "NODE_PATCH_VERSION", v.patch)))
                        abort();
        } else if (r != -ENOENT)
                abort();
        host_free(h);
}

static void check_dpkg(const char *text, size_t len) {
        struct host *h = NULL;
        struct node_version v;
        fuzz_write("/var/lib/dpkg/status", (const uint8_t *) text, len);
        if (host_open(fuzz_root(), &h) < 0)
                abort();
        int r = node_version_of(h, 1, "/usr/bin/node", &v);
        if (r == 0) {
                bool said = false;
                assert_sane(&v);
                for (const char *q = text; !said && (q = strstr(q, "\nVersion: ")); q++) {
                        const char *s = q + 10, *colon = strchr(s, ':'), *nl = strchr(s, '\n');
                        if (colon && colon - s < 4 && (!nl || colon < nl))
                                s = colon + 1;
                        said = version_text_is(s, nl ? (size_t) (nl - s) : strlen(s), &v);
                }
                if (!said)
                        abort();
        } else if (r != -ENOENT)
                abort();
        host_free(h);
}

static void check_path(const char *text) {
        struct node_version v;
        if (node_version_from_path(text, &v) != 0)
                return;
        assert_sane(&v);
        for (const char *q = text; (q = strchr(q, '/')); q++)
                if (version_text_is(q + 1, strlen(q + 1), &v))
                        return;
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_str(data, size);
        size_t len = strlen(text);
        check_binary(data, size);
        check_header(text, len);
        check_dpkg(text, len);
        check_path(text);
        free(text);
        return 0;
}
