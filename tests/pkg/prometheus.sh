#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit check --format prometheus: promtool accepts the real output, --output
# writes it atomically, and the series agree with the JSON report.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
use_unpacked prometheus
need promtool "$PYTHON"
need_hostfit

# Each check has exactly one status at 1, the summary counts them, and both agree with JSON.
agree() {
        $PYTHON - "$1" "$2" <<'PY'
import json, re, sys
prom, js = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
series = re.findall(r'^hostfit_check_status\{check="([^"\\]*)",impact="(?:low|medium|high)",status="(\w+)"\} ([01])$', prom, re.M)
ones = {c: s for c, s, v in series if v == "1"}
per_check = {}
for c, s, v in series:
        per_check.setdefault(c, []).append(s)
summary = dict(re.findall(r'^hostfit_checks\{status="(\w+)"\} (\d+)$', prom, re.M))
ok = (all(sorted(v) == sorted(["pass", "warn", "fail", "skip", "error", "ignored"]) for v in per_check.values())
      and len(ones) == len(per_check)
      and ones == {c["id"]: c["status"] for c in js["checks"]}
      and {k: int(v) for k, v in summary.items()} == js["summary"]
      and re.search(r'^hostfit_last_run_timestamp_seconds \d+$', prom, re.M))
sys.exit(0 if ok else 1)
PY
}

n=0
for root in $(fixture_roots) /; do
        n=$((n + 1)); p=$PKG_TMP/out-$n.prom j=$PKG_TMP/out-$n.json
        "$HOSTFIT" check --format prometheus --root "$root" > "$p"; st=$?
        "$HOSTFIT" check --format json --root "$root" > "$j"; jst=$?
        check "check --root $root --format prometheus exits as with json ($st)" [ "$st" -eq "$jst" ]
        if [ "$st" -eq 3 ] && [ ! -s "$j" ]; then
                # Could not run: no metrics at all, so the file's timestamp goes stale.
                check "check --root $root could not run: no metrics written" [ ! -s "$p" ]
                continue
        fi
        out=$(promtool check metrics < "$p" 2>&1); pst=$?
        [ -n "$out" ] && printf '%s\n' "$out"
        check "promtool check metrics accepts --root $root output" [ "$pst" -eq 0 -a -z "$out" ]
        check "--root $root: series agree with the JSON report" agree "$p" "$j"
done

# [ignore] (tests/fixtures/cli-ignored): the ignored finding is no action, and says its reason.
"$HOSTFIT" check --format prometheus --root tests/fixtures/cli-ignored > "$PKG_TMP/ignored.prom"
check "an ignored finding is not counted in hostfit_findings" grep -qx 'hostfit_findings{check="swap-missing"} 0' "$PKG_TMP/ignored.prom"
check "hostfit_ignored gives the check, reason and until" grep -qx \
        'hostfit_ignored{check="swap-missing",reason="replaced by zram on the next rebuild",until="2099-12-31"} 1' "$PKG_TMP/ignored.prom"
check "an ignored check's status is ignored" grep -qx \
        'hostfit_check_status{check="swap-missing",impact="high",status="ignored"} 1' "$PKG_TMP/ignored.prom"

# --output: the file a textfile collector reads, written whole, 0644, nothing else left behind.
dir=$PKG_TMP/textfile; mkdir "$dir"
echo "stale" > "$dir/hostfit.prom"
root=$(report_root)
before=$(date +%s)
"$HOSTFIT" check --format prometheus --root "$root" --output "$dir/hostfit.prom" > "$PKG_TMP/stdout"
check "--output writes nothing to stdout" [ ! -s "$PKG_TMP/stdout" ]
check "--output leaves only the .prom file" [ "$(ls -A "$dir")" = "hostfit.prom" ]
check "--output file is mode 644" [ "$(stat -c %a "$dir/hostfit.prom")" = 644 ]
check "--output replaced the old file" sh -c "! grep -q stale '$dir/hostfit.prom'"
check "promtool accepts the --output file" sh -c "promtool check metrics < '$dir/hostfit.prom'"
ts=$(sed -n 's/^hostfit_last_run_timestamp_seconds //p' "$dir/hostfit.prom")
check "timestamp is the time of the run ($ts)" [ "${ts:-0}" -ge "$before" -a "${ts:-0}" -le "$(date +%s)" ]
"$HOSTFIT" check --format prometheus --root "$root" > "$PKG_TMP/stdout.prom"
grep -v '^hostfit_last_run_timestamp\|^hostfit_run_duration' "$PKG_TMP/stdout.prom" > "$PKG_TMP/a"
grep -v '^hostfit_last_run_timestamp\|^hostfit_run_duration' "$dir/hostfit.prom" > "$PKG_TMP/b"
check "--output holds what stdout gets, but for the timestamp and duration" cmp -s "$PKG_TMP/a" "$PKG_TMP/b"
"$HOSTFIT" check --format prometheus --root "$root" --output "$PKG_TMP/no/such/dir/hostfit.prom" 2> "$PKG_TMP/err"; st=$?
check "--output into a missing directory exits 3 ($st)" [ "$st" -eq 3 ]
check "--output into a missing directory says why" grep -q "no/such/dir" "$PKG_TMP/err"

# The alerting rules shipped in docs/: valid, and their unit tests pass.
out=$(promtool check rules docs/prometheus/hostfit.rules.yml 2>&1); st=$?
check "promtool check rules accepts docs/prometheus/hostfit.rules.yml" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || printf '%s\n' "$out"
out=$(cd docs/prometheus && promtool test rules hostfit.rules.test.yml 2>&1); st=$?
check "promtool test rules: the alerts fire when they should" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || printf '%s\n' "$out"
# The rules use the series hostfit writes, with the labels it writes.
"$HOSTFIT" check --format prometheus --root "$root" > "$PKG_TMP/series.prom"
for m in $(grep -o 'hostfit_[a-z_]*' docs/prometheus/hostfit.rules.yml | sort -u); do
        check "the rules' series $m is one hostfit writes" grep -q "^$m[{ ]" "$PKG_TMP/series.prom"
done
finish
