#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit check --format nagios: one monitoring-plugin line whose state, counts,
# perfdata and exit status agree with the real JSON report.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need "$PYTHON"
need_hostfit

agree() {
        $PYTHON - "$@" <<'PY'
import json, re, sys
line, js, st = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), int(sys.argv[3])
n = len(js["checks"])
lines = line.split("\n")
m = re.fullmatch(r'hostfit (OK|WARNING|CRITICAL|UNKNOWN) - (\d+) pass, (\d+) warn, (\d+) fail, (\d+) skipped'
                 r'(?:, (\d+) error)?(?:, (\d+) ignored)?((?: \((?:fail|warn|error): [^|;()]*\))*)'
                 r' \| pass=(\d+);;;0;(\d+) warn=(\d+);0;;0;\10 fail=(\d+);;0;0;\10 skip=(\d+);;;0;\10 error=(\d+);;;0;\10', lines[0])
if not m or lines[-1] != "" or int(m[10]) != n:
        print("not a plugin line:", repr(line)); sys.exit(1)
s = js["summary"]
state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][st]
named = {}
for part in re.findall(r'\(([^)]*)\)', m[8] or ""):
        k, ids = part.split(": ")
        named[k] = ids.split(", ")
want = {k: [c["id"] for c in js["checks"] if c["status"] == k] for k in ("fail", "warn", "error")}
ok = (m[1] == state
      and [int(m[i]) for i in (2, 3, 4, 5)] == [s["pass"], s["warn"], s["fail"], s["skip"]]
      and int(m[6] or 0) == s["error"]
      and int(m[7] or 0) == s["ignored"]
      and [int(m[i]) for i in (9, 11, 12, 13, 14)] == [s[k] for k in ("pass", "warn", "fail", "skip", "error")]
      and len(lines) - 2 == (int(sys.argv[4]) if len(sys.argv) > 4 else 0)
      and named == {k: v for k, v in want.items() if v})
sys.exit(0 if ok else 1)
PY
}

n=0
for root in $(fixture_roots) /; do
        n=$((n + 1)); l=$PKG_TMP/out-$n.txt j=$PKG_TMP/out-$n.json
        "$HOSTFIT" check --format nagios --root "$root" > "$l"; st=$?
        "$HOSTFIT" check --format json --root "$root" > "$j"; jst=$?
        check "check --root $root --format nagios exits as check does ($st)" [ "$st" -eq "$jst" ]
        if [ "$st" -eq 3 ] && [ ! -s "$j" ]; then
                # Could not run: still one UNKNOWN line, as monitoring plugins must print.
                check "check --root $root could not run: one UNKNOWN line" grep -qx 'hostfit UNKNOWN - .*' "$l"
                continue
        fi
        check "--root $root: one line" [ "$(wc -l < "$l")" -eq 1 ]
        check "--root $root: state, counts and perfdata agree with the JSON report" agree "$l" "$j" "$st"
done
# Long output (-v): the status line, then one line a warning, failure, error or ignored finding
# (with its reason).
root=$(report_root)
"$HOSTFIT" check --format nagios -v --root "$root" > "$PKG_TMP/long.txt"; st=$?
"$HOSTFIT" check --format json --root "$root" > "$PKG_TMP/long.json"
nf=$($PYTHON -c 'import json,sys; print(sum(f["status"] in ("warn", "fail", "error", "ignored") for c in json.load(open(sys.argv[1]))["checks"] for f in c["findings"]))' "$PKG_TMP/long.json")
check "-v: status line plus one line for each of the $nf findings" agree "$PKG_TMP/long.txt" "$PKG_TMP/long.json" "$st" "$nf"
check "-v: no ';' in the text part" sh -c "! sed 's/ | .*//' '$PKG_TMP/long.txt' | grep -q ';'"

# [ignore] (tests/fixtures/cli-ignored): OK, the ignored count said, and -v gives the reason.
"$HOSTFIT" check --format nagios -v --root tests/fixtures/cli-ignored > "$PKG_TMP/ign.txt"; st=$?
check "an ignored warning leaves the state OK ($st)" sh -c "[ $st -eq 0 ] && grep -q '^hostfit OK - .*, 1 ignored |' '$PKG_TMP/ign.txt'"
check "-v: the ignored finding with its reason and until" grep -qx \
        'ignored swap-missing: /swapfile: .* (replaced by zram on the next rebuild, until 2099-12-31)' "$PKG_TMP/ign.txt"

# Every way hostfit cannot run is still exactly one UNKNOWN line on stdout,
# with the reason in it (Nagios drops stderr).
unknown() {
        desc=$1 want=$2; shift 2
        "$HOSTFIT" "$@" > "$PKG_TMP/x" 2> /dev/null; st=$?
        check "$desc: exit 3 ($st)" [ "$st" -eq 3 ]
        check "$desc: one line on stdout" [ "$(wc -l < "$PKG_TMP/x")" -eq 1 ]
        check "$desc: UNKNOWN with the reason ($want)" grep -q "^hostfit UNKNOWN - .*$want" "$PKG_TMP/x"
        check "$desc: no perfdata separator" sh -c "! grep -q '|' '$PKG_TMP/x'"
}
unknown "a missing root" "cannot open root" check --format nagios --root "$PKG_TMP/missing-root"
unknown "an unknown option" "unknown option" check --format nagios --bogus
unknown "an unknown check" "unknown check" check --format=nagios no-such-check --root "$root"
unknown "a bad profile" "unknown profile" check -f nagios --profile nope
unknown "a bad timeout" "timeout" check --format nagios --timeout 0
printf '[swap]\nsize = \n' > "$PKG_TMP/bad.conf"
unknown "a bad --config" "bad.conf" --config "$PKG_TMP/bad.conf" check --format nagios --root "$root"

# -V and --version, as plugins must have.
for v in -V --version; do
        check "check $v prints the version" sh -c "'$HOSTFIT' check $v | grep -qx 'hostfit [0-9][0-9.]*'"
        check "hostfit $v prints the version" sh -c "'$HOSTFIT' $v | grep -qx 'hostfit [0-9][0-9.]*'"
done

# -t: a check that hangs is cut short with one UNKNOWN line. strace holds every
# openat for 3 s, so the 1 s alarm fires inside it.
if command -v strace > /dev/null 2>&1; then
        strace -o /dev/null -f -e trace=openat -e inject=openat:delay_enter=3000000 \
                "$HOSTFIT" check --format nagios -t 1 --root "$root" > "$PKG_TMP/t" 2> /dev/null; st=$?
        check "-t 1 on a hung check: exit 3 ($st)" [ "$st" -eq 3 ]
        check "-t 1 on a hung check: one UNKNOWN line" grep -qx 'hostfit UNKNOWN - timed out after 1 s' "$PKG_TMP/t"
else
        echo "skipped: -t test needs strace"
fi
# -t takes a duration as probe --timeout does (5s, 1min), and bare seconds.
# Bounds far above what a check of a fixture takes, however loaded the machine.
for t in 300s 10min 600; do
        "$HOSTFIT" check --format nagios -t "$t" --root "$root" > "$PKG_TMP/t" 2> /dev/null; st=$?
        check "-t $t is a timeout it takes (exit $st, not UNKNOWN)" sh -c "[ $st -ne 3 ] && ! grep -q UNKNOWN '$PKG_TMP/t'"
done

# docs/usage.md's example is what the binary prints for the fixture it came from, and its
# NRPE recipe works as written: the sudo rule allows exactly the command line NRPE runs.
ex=$(sed -n '/^\$ hostfit check --format nagios -v -t 50s$/,/^```$/p' docs/usage.md | sed '1d;$d')
"$HOSTFIT" check --format nagios -v -t 50s --root tests/fixtures/cli-fail > "$PKG_TMP/ex" 2> /dev/null
check "usage.md's Nagios example is the binary's output on tests/fixtures/cli-fail" \
        [ -n "$ex" -a "$ex" = "$(cat "$PKG_TMP/ex")" ]
# README's and hostfit(1)'s status line: the binary's on tests/fixtures/host-basic.
line=$("$HOSTFIT" check --format nagios --root tests/fixtures/host-basic)
check "README's Nagios line is the binary's on tests/fixtures/host-basic" grep -qF -- "\`$line\`" README.md
check "hostfit(1)'s Nagios line is the binary's on tests/fixtures/host-basic" grep -qxF -- "$line" docs/hostfit.1
nrpe=$(sed -n 's/^command\[check_hostfit\]=\/usr\/bin\/sudo -n //p' docs/usage.md)
rule=$(sed -n 's/^nagios ALL=(root) NOPASSWD: //p' docs/usage.md)
check "usage.md: the sudo rule names the NRPE command line exactly ($rule)" [ -n "$nrpe" -a "$nrpe" = "$rule" ]
check "usage.md: the NRPE command line is the example's, from /usr/bin" [ "$nrpe" = "/usr/bin/hostfit check --format nagios -v -t 50s" ]
if command -v visudo > /dev/null 2>&1; then
        sed -n '/^nagios ALL=(root) NOPASSWD: /p' docs/usage.md > "$PKG_TMP/sudoers"
        check "visudo accepts usage.md's sudo rule" visudo -c -q -f "$PKG_TMP/sudoers"
else
        echo "skipped: visudo not installed"
fi
"$HOSTFIT" fix --format nagios --dry-run > /dev/null 2>&1; st=$?
check "fix refuses --format nagios ($st)" [ "$st" -eq 3 ]
finish
