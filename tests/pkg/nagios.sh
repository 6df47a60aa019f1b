#!/bin/sh
# hostfit check --format nagios: one monitoring-plugin line whose state, counts,
# perfdata and exit status agree with the real JSON report.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need "$PYTHON"
need_hostfit

agree() {
        $PYTHON - "$1" "$2" "$3" <<'PY'
import json, re, sys
line, js, st = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), int(sys.argv[3])
m = re.fullmatch(r'hostfit (OK|WARNING|CRITICAL|UNKNOWN) - (\d+) pass, (\d+) warn, (\d+) fail'
                 r'(?:, (\d+) error)?(?: \(([^|]*)\))? \| pass=(\d+) warn=(\d+) fail=(\d+) skip=(\d+) error=(\d+)\n', line)
if not m:
        print("not a plugin line:", repr(line)); sys.exit(1)
s = js["summary"]
state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][st]
named = {}
for part in (m[6] or "").split("; "):
        if part:
                k, ids = part.split(": ")
                named[k] = ids.split(", ")
want = {k: [c["id"] for c in js["checks"] if c["status"] == k] for k in ("fail", "warn", "error")}
ok = (m[1] == state
      and [int(m[i]) for i in (2, 3, 4)] == [s["pass"], s["warn"], s["fail"]]
      and int(m[5] or 0) == s["error"]
      and [int(m[i]) for i in range(7, 12)] == [s[k] for k in ("pass", "warn", "fail", "skip", "error")]
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
"$HOSTFIT" check --format nagios --root "$PKG_TMP/missing-root" > "$PKG_TMP/x" 2>/dev/null; st=$?
check "a missing root is exit 3 ($st)" [ "$st" -eq 3 ]
check "a missing root is one UNKNOWN line" grep -qx 'hostfit UNKNOWN - .*' "$PKG_TMP/x"
"$HOSTFIT" fix --format nagios --dry-run > /dev/null 2>&1; st=$?
check "fix refuses --format nagios ($st)" [ "$st" -eq 3 ]
finish
