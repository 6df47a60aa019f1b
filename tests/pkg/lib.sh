# SPDX-License-Identifier: MIT
# Shared by the tests/pkg scripts: counters, skips, the binary, fixture roots.
# Sourced from the repository root; each script ends with `finish`.
set -u
PKG_PASS=0 PKG_FAIL=0
PKG_NAME=$(basename "$0" .sh)
HOSTFIT=${HOSTFIT:-build/hostfit}
case $HOSTFIT in /*) ;; *) HOSTFIT=$PWD/$HOSTFIT ;; esac
# Debian's python3 first: python3-jsonschema and python3-yaml install their modules for it.
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
PKG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-pkg.XXXXXX")
trap 'rm -rf "$PKG_TMP"' EXIT INT TERM

ok()   { PKG_PASS=$((PKG_PASS + 1)); echo "ok: $*"; }
bad()  { PKG_FAIL=$((PKG_FAIL + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: one assertion on a command's exit status.
check() { _desc=$1; shift; if "$@"; then ok "$_desc"; else bad "$_desc"; fi; }
skip() { echo "skip: $PKG_NAME: $*"; echo "$PKG_NAME: 0 passed, 0 failed"; exit 0; }
need() { for _t in "$@"; do command -v "$_t" >/dev/null 2>&1 || skip "$_t not installed (see tests/pkg/packages)"; done; }
need_hostfit() { [ -x "$HOSTFIT" ] || skip "no hostfit binary at $HOSTFIT (run make)"; }
finish() {
        echo "$PKG_NAME: $PKG_PASS passed, $PKG_FAIL failed"
        [ "$PKG_FAIL" -eq 0 ]
}
# The fixture roots a check can run against (every tests/fixtures/* directory).
fixture_roots() { for d in tests/fixtures/*/; do [ -d "$d" ] && echo "${d%/}"; done; }
# The first fixture root hostfit can report on (check exits 0-2), for tests that need one.
report_root() {
        for r in $(fixture_roots); do
                "$HOSTFIT" check --root "$r" > /dev/null 2>&1
                [ $? -le 2 ] && { echo "$r"; return 0; }
        done
        skip "no fixture root under tests/fixtures that hostfit check can report on"
}
# A checksum of every path, mode and content under a root (dry runs write nothing).
tree_sum() { (cd "$1" && find . -printf '%p %m %l\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum) | sha256sum; }
check_ids() { "$HOSTFIT" list --ids; }
# A tool from a Debian package that must not be installed here, because
# installing it starts a daemon (prometheus) or changes how the host boots
# (cloud-init): the package is downloaded and unpacked, never configured, into
# build/tools/PKG (kept between runs), and its usr/bin goes first on PATH.
# Python modules it ships go on PYTHONPATH. Skips when it cannot be had.
use_unpacked() {
        _d=${HOSTFIT_TOOLS:-$PWD/build/tools}/$1
        if [ ! -e "$_d/.unpacked" ]; then
                rm -rf "$_d" && mkdir -p "$_d" || skip "cannot create $_d"
                (cd "$_d" && apt-get download "$1" > download.log 2>&1 &&
                        dpkg-deb -x "$1"_*.deb . && rm -f "$1"_*.deb download.log &&
                        : > .unpacked) || skip "cannot download and unpack Debian's $1 (apt-get download)"
        fi
        PATH=$_d/usr/bin:$PATH
        [ -d "$_d/usr/lib/python3/dist-packages" ] &&
                PYTHONPATH=$_d/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
        export PATH PYTHONPATH
}
