# SPDX-License-Identifier: MIT
# Helpers for tests/cli/run.sh: run hostfit, compare, hash fixture trees, count results.

pass=0
fail=0
skipped=0

ok() {
        pass=$((pass + 1))
        echo "ok   $1"
}

not_ok() {
        fail=$((fail + 1))
        echo "FAIL $1"
        shift
        for line in "$@"; do
                echo "     $line"
        done
}

# skip_test NAME REASON: a test that cannot run here; counted and printed.
skip_test() {
        skipped=$((skipped + 1))
        echo "skip $1 ($2)"
}

# hf ARGS...: run hostfit; stdout in $T/out, stderr in $T/err, status in $rc.
hf() {
        "$HOSTFIT" "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
}

# expect NAME RC [STDERR-SUBSTRING]: the last hf ended with RC (and said STDERR-SUBSTRING).
expect() {
        if [ "$rc" -ne "$2" ]; then
                not_ok "$1" "exit $rc, expected $2" "stderr: $(head -c 300 "$T/err")"
        elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$T/err"; then
                not_ok "$1" "stderr lacks: $3" "stderr: $(head -c 300 "$T/err")"
        else
                ok "$1"
        fi
}

# check_that NAME COMMAND...: the command succeeds.
check_that() {
        _ct_name=$1
        shift
        if "$@" > "$T/check_that.out"; then ok "$_ct_name"; else not_ok "$_ct_name" "failed: $*"; fi
}

# A digest of every path, type, mode, owner, link target and content under DIR,
# but for fix's lock and its directory (/run/hostfit: runtime state).
tree_hash() {
        (
                cd "$1" || exit 1
                find . -path ./run/hostfit -prune -o -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort
                find . -path ./run/hostfit -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
        ) | sha256sum | cut -d' ' -f1
}

# copy_root NAME: a fresh copy of tests/fixtures/NAME; prints its path.
copy_root() {
        d=$(mktemp -d "$T/root.XXXXXX")
        cp -a "$FIXTURES/$1/." "$d/"
        echo "$d"
}

# hold_lock LOCK: a process (pid in $holder) holds LOCK (flock) until release_lock; returns
# once it holds it, however long a loaded machine takes to start it (fails after 600 s).
hold_lock() {
        : >"$T/hold"
        flock "$1" sh -c 'while [ -e "$0" ]; do sleep 0.1; done' "$T/hold" &
        holder=$!
        _i=0
        while flock -n "$1" true; do
                kill -0 "$holder" 2>/dev/null && [ "$_i" -lt 6000 ] || return 1
                sleep 0.1
                _i=$((_i + 1))
        done
}

release_lock() {
        rm -f "$T/hold"
        wait "$holder"
}

# wait_says FILE TEXT PID: waits until FILE holds TEXT while PID runs (up to 600 s).
wait_says() {
        _i=0
        until grep -qF -- "$2" "$1"; do
                kill -0 "$3" 2>/dev/null && [ "$_i" -lt 6000 ] || return 1
                sleep 0.1
                _i=$((_i + 1))
        done
}

has_fixture() {
        [ -d "$FIXTURES/$1" ]
}

finish() {
        echo "cli: $pass passed, $fail failed, $skipped skipped"
        [ "$fail" -eq 0 ]
}
