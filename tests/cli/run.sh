#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit's command line end to end: usage, exit statuses, JSON, fix safety,
# escaping of host bytes, and the shell completions. Run from the source tree:
#   HOSTFIT=build/hostfit sh tests/cli/run.sh
set -u
HOSTFIT=${HOSTFIT:-build/hostfit}
case $HOSTFIT in /*) ;; *) HOSTFIT=$PWD/$HOSTFIT ;; esac
FIXTURES=$PWD/tests/fixtures
HERE=$(dirname "$0")
T=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
ESC=$(printf '\033')
unset NO_COLOR
. "$HERE/lib.sh"

[ -x "$HOSTFIT" ] || { echo "cli: no $HOSTFIT (run make first)" >&2; exit 1; }
command -v jq >/dev/null || { echo "cli: jq is needed (apt-get install jq)" >&2; exit 1; }

# ---- usage ----
usage_ok() {
        _uo_name=$1
        shift
        hf "$@"
        if [ "$rc" -ne 0 ]; then
                not_ok "$_uo_name" "exit $rc"
        elif [ -s "$T/err" ]; then
                not_ok "$_uo_name" "stderr not empty: $(head -c 200 "$T/err")"
        elif ! head -n1 "$T/out" | grep -q '^usage: hostfit'; then
                not_ok "$_uo_name" "no usage line: $(head -n1 "$T/out")"
        else
                ok "$_uo_name"
        fi
}
usage_ok "hostfit -h prints usage" -h
usage_ok "hostfit --help prints usage" --help
usage_ok "hostfit help prints usage" help
for c in check fix list explain help; do
        usage_ok "hostfit $c -h prints usage" $c -h
        usage_ok "hostfit $c --help prints usage" $c --help
        usage_ok "hostfit help $c prints usage" help $c
done
hf --help
check_that "--help lists every command" sh -c "for c in check fix list explain help; do grep -q \"^  \$c \" '$T/out' || exit 1; done"
hf fix --help
check_that "fix --help documents the exit statuses" grep -q '^Exit status' "$T/out"
hf check --help
check_that "check --help documents the exit statuses" grep -q '^Exit status' "$T/out"

hf --version
check_that "--version prints the version" test "$(cat "$T/out")" = "hostfit $(cat VERSION)"

# ---- bad usage: exit 3, usage on stderr, nothing on stdout ----
bad_usage() {
        _bu_name=$1 want=$2
        shift 2
        hf "$@"
        if [ -s "$T/out" ]; then
                not_ok "$_bu_name" "stdout not empty: $(head -c 200 "$T/out")"
        else
                expect "$_bu_name" 3 "$want"
        fi
}
bad_usage "unknown command exits 3" "unknown command 'frobnicate'" frobnicate
bad_usage "unknown global option exits 3" "unknown option '--frobnicate'" --frobnicate
bad_usage "no command exits 3" "usage: hostfit" ""
bad_usage "check: unknown option exits 3" "unknown option '--frobnicate'" check --frobnicate
bad_usage "check: unknown short option exits 3" "unknown option '-x'" check -x
bad_usage "check: --root without a value exits 3" "needs a value" check --root
bad_usage "check: unknown format exits 3" "unknown format 'yaml'" check --format yaml
bad_usage "check: unknown profile exits 3" "unknown profile 'staging'" check --profile staging
bad_usage "fix: unknown option exits 3" "unknown option '--force'" fix --force
bad_usage "list: unknown option exits 3" "unknown option '--all'" list --all
bad_usage "explain: no id exits 3" "expected one check id" explain
bad_usage "help: unknown command exits 3" "unknown command 'nope'" help nope

# ---- roots and configuration ----
hf check --root /nonexistent
expect "check --root /nonexistent exits 3" 3 "hostfit: cannot open root /nonexistent: No such file or directory"
hf check --root "$FIXTURES/cli-pass/etc/fstab"
expect "check --root FILE exits 3" 3 "cannot open root"
hf check --root "$FIXTURES/cli-bad-conf"
expect "malformed hostfit.conf exits 3 and names file:line" 3 \
        "hostfit: /etc/hostfit/hostfit.conf:7: expected KEY = VALUE"
check_that "malformed hostfit.conf prints no report" test ! -s "$T/out"
hf fix --dry-run --root "$FIXTURES/cli-bad-conf"
expect "fix with a malformed hostfit.conf exits 3" 3 "/etc/hostfit/hostfit.conf:7:"

R=$(copy_root cli-pass)
printf '[hostfit]\nprofile = \033[31mred\n' >"$R/etc/hostfit.conf.tmp"
mkdir -p "$R/etc/hostfit" && mv "$R/etc/hostfit.conf.tmp" "$R/etc/hostfit/hostfit.conf"
hf check --root "$R"
expect "a config error quoting host bytes exits 3" 3 "hostfit: /etc/hostfit/hostfit.conf:2:"
check_that "a config error is escaped on stderr" sh -c "! grep -q '$ESC' '$T/err' && grep -qF '\\x1b[31mred' '$T/err'"

# ---- check ids ----
hf check no-such-check --root "$FIXTURES/cli-pass"
expect "check with an unknown id exits 3" 3 "hostfit: unknown check 'no-such-check' (see hostfit list)"
hf explain no-such-check
expect "explain with an unknown id exits 3" 3 "unknown check 'no-such-check' (see hostfit list)"

hf list --ids
cp "$T/out" "$T/ids"
n_ids=$(wc -l <"$T/ids")
# Every test below that runs a check depends on this: an empty list is a failure, not a reason to skip.
check_that "list --ids lists the checks" test "$n_ids" -gt 0
hf list
check_that "list prints one row a check" test "$(wc -l <"$T/out")" -eq "$n_ids"
check_that "list --ids is the first column of list" sh -c "awk '{print \$1}' '$T/out' | cmp -s - '$T/ids'"
hf list --format json
check_that "list --format json holds every check" \
        sh -c "jq -e --slurpfile n /dev/null '.version == 1 and (.checks | length) == $n_ids and
                (.checks | all(has(\"id\") and has(\"severity\") and has(\"title\") and has(\"fix\")))' '$T/out' >/dev/null"
for id in $(cat "$T/ids"); do
        hf explain "$id"
        if [ "$rc" -eq 0 ] && head -n1 "$T/out" | grep -q "^$id: " && grep -q '^severity: ' "$T/out" &&
           grep -q '^why: ' "$T/out" && grep -q '^fix: ' "$T/out" && [ ! -s "$T/err" ]; then
                ok "explain $id"
        else
                not_ok "explain $id" "exit $rc: $(cat "$T/out" "$T/err")"
        fi
        prefix=${id%?}
        hf explain "$prefix"
        expect "explain matches ids exactly ($prefix)" 3 "unknown check '$prefix'"
        hf check "$prefix" --root "$FIXTURES/cli-pass"
        expect "check matches ids exactly ($prefix)" 3 "unknown check '$prefix'"
done

# ---- JSON: the exact shape, on every fixture root ----
JQ_SHAPE='
def str: type == "string";
def st: IN("pass", "warn", "fail", "skip", "error", "ignored");
(keys == ["checks", "hostfit_version", "hostname", "profile", "root", "summary", "time", "version"])
and .version == 1 and (.root | str) and (.profile | IN("production", "development"))
and (.hostfit_version | str) and (.hostname == null or (.hostname | str))
and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
and (.summary | keys == ["error", "fail", "ignored", "pass", "skip", "warn"])
and (.summary | all(.[]; type == "number"))
and (.checks | type == "array")
and (.checks | all(.[];
        keys == ["findings", "id", "severity", "status", "title"]
        and (.id | str) and (.title | str) and (.status | st)
        and (.severity | IN("low", "medium", "high"))
        and (.findings | type == "array")
        and (.findings | all(.[];
                (keys - ["ignored"]) == ["details", "fix", "message", "status", "subject"]
                and ((.status == "ignored") == has("ignored"))
                and ((has("ignored") | not) or (.ignored | keys == ["reason", "until"] and (.reason | str)))
                and (.subject | str) and (.message | str) and (.status | st)
                and (.fix == null or (.fix | str))
                and (.details | type == "array" and all(.[]; str))))))
and ([.summary[]] | add // 0) == (.checks | length)
and (. as $r | all(("pass", "warn", "fail", "skip", "error", "ignored");
        . as $s | $r.summary[$s] == ([$r.checks[] | select(.status == $s)] | length)))'
JQ_EXIT='if .summary.fail > 0 then 2 elif .summary.error > 0 then 3 elif .summary.warn > 0 then 1 else 0 end'

for dir in "$FIXTURES"/*/; do
        root=${dir%/}
        fx=$(basename "$root")
        [ -d "$root/proc" ] || [ -d "$root/etc" ] || continue
        hf check --format json --root "$root"
        if [ "$rc" -eq 3 ] && [ ! -s "$T/out" ]; then
                expect "check --format json on $fx: could not run, said why" 3 "hostfit: "
                continue
        fi
        if ! jq -e "$JQ_SHAPE" "$T/out" >/dev/null 2>&1; then
                not_ok "check --format json on $fx has the exact shape" "$(head -c 400 "$T/out")"
                continue
        fi
        ok "check --format json on $fx has the exact shape"
        want=$(jq "$JQ_EXIT" "$T/out")
        check_that "check on $fx exits as its summary says ($want)" test "$rc" -eq "$want"
        jq -e --arg r "$root" '.root == $r' "$T/out" >/dev/null
        check_that "check --format json on $fx names its root" test $? -eq 0
        cp "$T/out" "$T/json"
        hf check --root "$root"
        summary=$(jq -r '"\(.checks | length) check\(if (.checks | length) == 1 then "" else "s" end): \(.summary.pass) pass, \(.summary.warn) warn, \(.summary.fail) fail, \(.summary.skip) skip, \(.summary.error) error\(if .summary.ignored > 0 then ", \(.summary.ignored) ignored" else "" end)"' "$T/json")
        check_that "check text on $fx ends with its summary" test "$(tail -n1 "$T/out")" = "$summary"
        check_that "check text on $fx has no raw ESC on a pipe" sh -c "! grep -q '$ESC' '$T/out'"
        hf check --verbose --root "$root"
        check_that "check --verbose on $fx has no raw ESC" sh -c "! grep -q '$ESC' '$T/out'"
done

hf check --format json --profile development --root "$FIXTURES/cli-pass"
jq -e '.profile == "development"' "$T/out" >/dev/null
check_that "--profile overrides the profile" test $? -eq 0

# ---- exit statuses on roots made to pass, warn, fail ----
hf check --root "$FIXTURES/cli-pass"
expect "check on a passing root exits 0" 0
hf check --root "$FIXTURES/cli-warn"
expect "check on a root with a warning exits 1" 1
hf check --root "$FIXTURES/cli-fail"
expect "check on a failing root exits 2" 2
check_that "a failure names its fix" grep -q '^      fix: hostfit fix ' "$T/out"
check_that "a failing check's line says what is wrong" \
        grep -q '^fail  swap-missing *Disk-backed swap is missing or does not come back at boot$' "$T/out"
check_that "a warning check's line says what is wrong" grep -q '^warn  zram-missing *No compressed swap in RAM (zram)$' "$T/out"
hf check zram-missing --root "$FIXTURES/cli-warn"
check_that "a passing check's line says what passing means" grep -q '^pass  zram-missing *Compressed swap in RAM (zram) is active$' "$T/out"

# A hint acts on what was checked: after check --root, fix --root the same tree,
# quoted for the shell, with the --config of the run.
QR="$T/the host's image"
cp -a "$FIXTURES/cli-fail" "$QR"
printf '[swap]\n' > "$T/alt.conf"
hf check --root "$QR"
check_that "a hint after check --root names the same root, shell-quoted" \
        grep -qF "fix: hostfit fix --root '$T/the host'\\''s image' swap-missing" "$T/out"
hf check --root "$QR" --format json
check_that "the JSON hint names the root too" \
        jq -e --arg w "hostfit fix --root '$T/the host'\\''s image' swap-missing" '[.checks[].findings[].fix] | index($w) != null' "$T/out"
hf --config "$T/alt.conf" check --root "$QR"
check_that "a hint carries the run's --config" \
        grep -qF "fix: hostfit --config $T/alt.conf fix --root '$T/the host'\\''s image' swap-missing" "$T/out"
hf check --root /
check_that "a hint on the running host names no root" sh -c "! grep -q -- '--root' '$T/out'"
hf check --quiet --root "$FIXTURES/cli-warn"
check_that "check --quiet prints no passing check" sh -c "! grep -q '^pass ' '$T/out' && grep -q '^warn ' '$T/out'"
hf check --root "$FIXTURES/cli-warn"
check_that "check prints passing checks" grep -q '^pass ' "$T/out"
hf check --quiet --root "$FIXTURES/cli-warn"
check_that "check --quiet prints no skipped check and no summary" \
        sh -c "! grep -q '^skip ' '$T/out' && ! grep -q ' checks: ' '$T/out'"

# ---- [ignore] in hostfit.conf: a finding set aside with a reason, out of the exit status ----
ignore_root() {
        _ir=$(copy_root cli-warn)
        mkdir -p "$_ir/etc/hostfit"
        printf '[ignore]\n%s\n' "$1" > "$_ir/etc/hostfit/hostfit.conf"
        echo "$_ir"
}
R=$(ignore_root 'swap-missing /swapfile = swap moves to zram in T-42 until 2099-12-31')
hf check --root "$R"
expect "an ignored warning leaves the exit status 0" 0
check_that "the check reads ignored, counted in the summary" \
        sh -c "grep -q '^ignored swap-missing ' '$T/out' && grep -q ' 0 warn, .*, 1 ignored$' '$T/out'"
check_that "with an ignored check shown, every check's id starts in one column" \
        sh -c "[ \$(grep -Ec '^(pass|skip|warn|fail|error|ignored) ' '$T/out') -ge 13 ] && ! grep -E '^(pass|skip|warn|fail|error|ignored) ' '$T/out' | cut -c8,9 | grep -vqx ' [a-z]'"
check_that "without --verbose the ignored finding is counted, not listed, and has no fix line" \
        sh -c "grep -qx '      1 ignored by hostfit.conf (--verbose says why)' '$T/out' && ! grep -q '/swapfile\\|fix:' '$T/out'"
hf check --verbose --root "$R"
check_that "--verbose lists the ignored finding with its reason and until" \
        sh -c "grep -q '^      /swapfile: active but not in /etc/fstab' '$T/out' &&
               grep -qx '        ignored (hostfit.conf \[ignore\]) until 2099-12-31: swap moves to zram in T-42' '$T/out'"
hf check --quiet --root "$R"
check_that "--quiet prints nothing for an ignored check" test ! -s "$T/out"
hf check --format json --root "$R"
check_that "JSON: status ignored, the reason and until, no fix, summary counts it" jq -e '
        (.checks[] | select(.id == "swap-missing")) as $c
        | $c.status == "ignored" and $c.findings[0].status == "ignored" and $c.findings[0].fix == null
          and $c.findings[0].ignored == {"reason": "swap moves to zram in T-42", "until": "2099-12-31"}
          and .summary.ignored == 1 and .summary.warn == 0' "$T/out"
hf fix --dry-run --root "$R"
expect "fix --dry-run plans nothing for an ignored finding, and says so" 0 \
        "swap-missing /swapfile: ignored by hostfit.conf (swap moves to zram in T-42 until 2099-12-31); nothing planned"
check_that "fix --dry-run has nothing to do" grep -qx 'nothing to do' "$T/out"
R=$(ignore_root 'swap-missing = all swap findings here')
hf check --format json --root "$R"
check_that "a line without a subject ignores every finding of the check; until is null" \
        jq -e '.checks[] | select(.id == "swap-missing") | .status == "ignored" and .findings[0].ignored.until == null' "$T/out"
R=$(ignore_root 'swap-missing /other = not this one')
hf check --root "$R"
expect "a line for another subject ignores nothing" 1
R=$(ignore_root 'swap-missing /swapfile = was waiting for a disk until 2020-01-01')
hf check --verbose --root "$R"
expect "an expired line counts again" 1
check_that "an expired line says so, and the fix is back" \
        sh -c "grep -q '^warn  swap-missing' '$T/out' && grep -qF 'its [ignore] in hostfit.conf expired on 2020-01-01: was waiting for a disk' '$T/out' &&
               grep -q 'fix: hostfit fix' '$T/out'"
R=$(ignore_root 'no-such-check = why')
hf check --root "$R"
expect "[ignore] with an unknown check id exits 3 and names it" 3 \
        "hostfit: /etc/hostfit/hostfit.conf:2: [ignore] no-such-check: unknown check id (see hostfit list)"
check_that "[ignore] with an unknown check prints no report" test ! -s "$T/out"
R=$(ignore_root 'swap-missing = later until 2026-13-01')
hf check --root "$R"
expect "[ignore] with a bad date exits 3 and says so" 3 "got a bad date, in 'later until 2026-13-01'"
hf fix --dry-run --root "$R"
expect "fix with a bad [ignore] date exits 3" 3 "bad date"

# ---- many findings of one check with one fix: grouped, counted, listed with --verbose ----
R=$(copy_root cli-pass)
mkdir -p "$R/etc/systemd/system"
for i in 1 2 3 4 5 6 7; do
        printf '[Unit]\nDescription=app %s\n\n[Service]\nExecStart=/usr/bin/app%s\n' $i $i >"$R/etc/systemd/system/app$i.service"
done
hf check unit-memorymax --root "$R"
check_that "seven findings of one fix give one fix line" test "$(grep -c 'fix: hostfit fix' "$T/out")" -eq 1
check_that "the findings past the first three are counted" \
        sh -c "[ \$(grep -c '^      app[0-9].service: no MemoryMax=' '$T/out') -eq 3 ] && grep -q '^      and 4 more like these (--verbose lists them)$' '$T/out'"
hf check --verbose unit-memorymax --root "$R"
check_that "check --verbose lists every finding of a group, and one fix line" \
        sh -c "[ \$(grep -c '^      app[0-9].service: no MemoryMax=' '$T/out') -eq 7 ] && [ \$(grep -c 'fix: hostfit fix' '$T/out') -eq 1 ]"
hf fix --dry-run unit-memorymax --root "$R"
check_that "fix --dry-run shows alike manual steps once, counted, naming the unit each other one is about" \
        sh -c "[ \$(grep -c '^manual: ' '$T/out') -eq 1 ] && grep -q '^  and 6 more like it, naming app2.service, app3.service, app4.service, app5.service, app6.service, app7.service (--verbose lists each)$' '$T/out'"
hf fix --dry-run --verbose unit-memorymax --root "$R"
check_that "fix --dry-run --verbose lists each manual step" test "$(grep -c '^manual: ' "$T/out")" -eq 7
# docs/usage.md's example of alike steps is the binary's output on tests/fixtures/cli-alike.
sed -n '/^### Many alike manual steps$/,/^So no step/p' "$HERE/../../docs/usage.md" | sed -n '/^```text$/,/^```$/p' | sed '1d;$d' >"$T/usage-alike"
hf fix --dry-run --root "$(copy_root cli-alike)"
check_that "usage.md's example of alike manual steps is fix --dry-run's output on tests/fixtures/cli-alike" \
        sh -c "[ -s '$T/usage-alike' ] && cmp -s '$T/usage-alike' '$T/out'"
# Skipping every check by configuration: all skip, exit 0.
R=$(copy_root cli-fail)
mkdir -p "$R/etc/hostfit"
printf '[hostfit]\nskip = %s\n' "$(tr '\n' ' ' <"$T/ids")" >"$R/etc/hostfit/hostfit.conf"
hf check --format json --root "$R"
expect "check with every check skipped exits 0" 0
jq -e ".summary.skip == $n_ids" "$T/out" >/dev/null
check_that "skipped checks report skip" test $? -eq 0

# ---- host bytes are escaped ----
hf check --verbose --root "$FIXTURES/cli-escape"
check_that "an ESC in host data is not printed raw" sh -c "! grep -q '$ESC' '$T/out' && ! grep -q '$ESC' '$T/err'"
check_that "an ESC in host data is shown as \\x1b" grep -qF '/swap\x1b[2J\x1b]0;owned\x07file' "$T/out"
hf check --format json --root "$FIXTURES/cli-escape"
check_that "an ESC in host data is \\u001b in JSON" sh -c "! grep -q '$ESC' '$T/out' && grep -qF '\\u001b' '$T/out'"

# ---- a dry-run diff is the file's bytes: it applies with patch ----
R=$(copy_root cli-fail) P=$(copy_root cli-fail)
mkdir -p "$R/etc/hostfit" "$P/etc/hostfit"
printf '[swap]\nsize = 64M\n' | tee "$R/etc/hostfit/hostfit.conf" >"$P/etc/hostfit/hostfit.conf"
check_that "the fixture's fstab has a tab" grep -q "$(printf '\t')" "$R/etc/fstab"
hf fix --dry-run swap-missing --root "$P"
expect "fix --dry-run swap-missing exits 0" 0
(cd "$P" && patch -s -p1 <"$T/out") >"$T/patch.err" 2>&1
check_that "the dry-run diff of a tabbed fstab applies with patch -p1" test $? -eq 0
hf fix --yes swap-missing --root "$R"
expect "fix --yes swap-missing on a copy exits 0" 0
check_that "the patched fstab is the one fix --yes writes" cmp -s "$R/etc/fstab" "$P/etc/fstab"

# ---- fix never writes without --yes, never with --dry-run ----
R=$(copy_root cli-fail)
# Small sizes: the swapfile is really allocated in the copy.
mkdir -p "$R/etc/hostfit"
printf '[swap]\nsize = 64M\n\n[zram]\nsize = 64M\n' >"$R/etc/hostfit/hostfit.conf"
before=$(tree_hash "$R")
hf fix --root "$R"
expect "fix without --yes off a terminal exits 3" 3 \
        "hostfit: refusing to change the host without --yes; preview with --dry-run"
check_that "fix without --yes changed no byte" test "$(tree_hash "$R")" = "$before"
hf fix --dry-run --root "$R"
expect "fix --dry-run exits 0" 0
check_that "fix --dry-run shows changes" test -s "$T/out"
check_that "fix --dry-run changed no byte" test "$(tree_hash "$R")" = "$before"
hf fix --dry-run --format json --root "$R"
expect "fix --dry-run --format json exits 0" 0
jq -e '(keys == ["actions", "version"]) and .version == 1 and (.actions | length) > 0 and
       (.actions | all(.[]; (.check | type == "string") and (.kind | type == "string")))' \
        "$T/out" >/dev/null
check_that "fix --dry-run --format json lists the actions" test $? -eq 0
check_that "fix --dry-run --format json changed no byte" test "$(tree_hash "$R")" = "$before"

hf fix --yes --root "$R"
expect "fix --yes on a copy exits 0" 0
check_that "fix --yes logs each action" grep -qE '^(applied|deferred|manual): ' "$T/out"
check_that "fix --yes changed the copy" test "$(tree_hash "$R")" != "$before"
after=$(tree_hash "$R")
hf fix --dry-run --format json --root "$R"
# What boot needs (the fstab line, the enable links) is on disk: not even a deferred step is left.
jq -e '.actions == []' "$T/out" >/dev/null
check_that "after fix --yes, a second fix --root plans nothing" test $? -eq 0
# Every unit fix wrote (cli-fail's zram-missing writes hostfit-zram.service).
units=$(cd "$R/etc/systemd/system" && ls hostfit-*.service hostfit-*.timer 2>/dev/null | grep -v '@\.')
check_that "fix --yes wrote hostfit-zram.service" sh -c "echo '$units' | grep -qx hostfit-zram.service"
if command -v systemctl >/dev/null; then
        for unit in $units; do
                check_that "after fix --yes, systemctl --root says $unit is enabled" \
                        sh -c "systemctl --root='$R' is-enabled '$unit' | grep -qx enabled"
        done
else
        skip_test "systemctl --root is-enabled" "systemctl not installed"
fi
hf fix --dry-run --root "$R"
check_that "after fix --yes, a second plan shows no diff" sh -c "! grep -q '^+++ ' '$T/out'"
hf fix --yes --root "$R"
expect "fix --yes a second time exits 0" 0
check_that "fix --yes a second time changed no byte" test "$(tree_hash "$R")" = "$after"

R=$(copy_root cli-pass)
hf fix --yes --root "$R"
expect "fix --yes on a passing root exits 0" 0
check_that "fix on a passing root has nothing to do" test "$(cat "$T/out")" = "nothing to do"

# An offline image: an empty /proc (a mount point), sizes from the config.
R=$(mktemp -d "$T/image.XXXXXX")
mkdir -p "$R/proc" "$R/etc/hostfit" "$R/etc/systemd/system"
printf 'UUID=0a3407de-014b-458b-b5c1-848e92a327a3 / ext4 errors=remount-ro 0 1\n' >"$R/etc/fstab"
printf '[swap]\nsize = 16M\n\n[zram]\nsize = 64M\n' >"$R/etc/hostfit/hostfit.conf"
hf check --root "$R"
check_that "an image: process checks skip" grep -q 'offline image: no processes' "$T/out"
check_that "an image without swap: swap-missing fails" grep -q '^fail  swap-missing' "$T/out"
hf fix --yes --root "$R"
expect "fix --yes on an image exits 0" 0
check_that "fix --yes on an image made its swapfile" test -s "$R/swapfile"
hf check swap-missing zram-missing --root "$R"
expect "after fix --yes, the image's swap and zram come up at boot" 0
# An image without /proc at all, and an admin unit whose size the config gives:
# the memory drop-in is planned in the same run as the swap file, with MemoryHigh.
R=$(mktemp -d "$T/image.XXXXXX")
mkdir -p "$R/etc/hostfit" "$R/etc/systemd/system"
printf 'UUID=0a3407de-014b-458b-b5c1-848e92a327a3 / ext4 errors=remount-ro 0 1\n' >"$R/etc/fstab"
printf '[Service]\nExecStart=/usr/local/bin/app\n' >"$R/etc/systemd/system/app.service"
printf '[swap]\nsize = 16M\n\n[unit-memorymax]\nmax = app.service:96M\n' >"$R/etc/hostfit/hostfit.conf"
hf fix --yes swap-missing unit-memorymax --root "$R"
expect "fix --yes on an image without /proc: swap and the memory limit, exit 0" 0
check_that "the image's unit gets MemoryMax from the config and MemoryHigh, since swap comes with it" \
        grep -qx 'MemoryMax=96M' "$R/etc/systemd/system/app.service.d/49-hostfit-memory.conf"
check_that "MemoryHigh is 90% of it" grep -qx 'MemoryHigh=86M' "$R/etc/systemd/system/app.service.d/49-hostfit-memory.conf"
hf fix --dry-run --format json swap-missing unit-memorymax --root "$R"
check_that "a second plan on the image is empty" jq -e '.actions == []' "$T/out"

# ---- one fix at a time: the lock ----
R=$(copy_root cli-fail)
mkdir -p "$R/etc/hostfit" "$R/run/hostfit"
printf '[swap]\nsize = 16M\n\n[zram]\nsize = 64M\n' >"$R/etc/hostfit/hostfit.conf"
before=$(tree_hash "$R")
# Held for as long as the test needs, not for a fixed time: no sleep decides who has it.
check_that "a holder takes the lock" hold_lock "$R/run/hostfit/hostfit.lock"
hf fix --yes --wait 1 --root "$R"
expect "fix while another holds the lock exits 3 after --wait" 3 "another hostfit fix or undo is running (pid "
check_that "fix that could not take the lock changed no byte" test "$(tree_hash "$R")" = "$before"
"$HOSTFIT" fix --yes --wait 600 --root "$R" >"$T/out" 2>"$T/err" </dev/null &
waiter=$!
check_that "fix says it waits while the lock is held" wait_says "$T/err" "waiting for another hostfit fix or undo" "$waiter"
check_that "fix waiting for the lock changed no byte yet" test "$(tree_hash "$R")" = "$before"
release_lock
wait "$waiter"
rc=$?
expect "fix waits for the lock, then applies" 0 "waiting for another hostfit fix or undo"
hf fix --dry-run --format json --root "$R"
check_that "fix that waited planned against the new state (second plan empty)" jq -e '.actions == []' "$T/out"
# undo takes the same lock: while a fix holds it, undo waits, then takes its run back.
check_that "a holder takes the lock again" hold_lock "$R/run/hostfit/hostfit.lock"
"$HOSTFIT" undo --yes --root "$R" >"$T/out" 2>"$T/err" </dev/null &
waiter=$!
check_that "undo says it waits while the lock is held" wait_says "$T/err" "waiting for another hostfit fix or undo" "$waiter"
check_that "undo waiting for the lock undid nothing yet" test -e "$R/swapfile"
release_lock
wait "$waiter"
rc=$?
expect "undo waits for the lock a fix holds, then undoes" 0 "waiting for another hostfit fix or undo"
check_that "undo after the wait took the fix back (no /swapfile)" test ! -e "$R/swapfile"
# Two fixes at once, ten times: neither races the other; both end well, the host fixed once.
races=0
for i in 1 2 3 4 5 6 7 8 9 10; do
        R=$(copy_root cli-fail)
        mkdir -p "$R/etc/hostfit"
        printf '[swap]\nsize = 16M\n\n[zram]\nsize = 64M\n' >"$R/etc/hostfit/hostfit.conf"
        # --wait 600: the one that waits is never out of time, however slow the other is.
        "$HOSTFIT" fix --yes --wait 600 --root "$R" >"$T/a.out" 2>"$T/a.err" &
        a=$!
        "$HOSTFIT" fix --yes --wait 600 --root "$R" >"$T/b.out" 2>"$T/b.err"
        sb=$?
        wait "$a"
        sa=$?
        "$HOSTFIT" fix --dry-run --format json --root "$R" >"$T/plan"
        if [ "$sa" -ne 0 ] || [ "$sb" -ne 0 ] || ! jq -e '.actions == []' "$T/plan" >/dev/null ||
           [ "$(grep -c '/swapfile none swap' "$R/etc/fstab")" -ne 1 ]; then
                races=$((races + 1))
                cat "$T/a.err" "$T/b.err"
        fi
done
check_that "two concurrent fix --yes, ten times: none raced ($races)" test "$races" -eq 0
R=$(copy_root cli-fail)
mkdir -p "$R/run/hostfit"
ln -s /tmp/elsewhere "$R/run/hostfit/hostfit.lock"
hf fix --yes --root "$R"
expect "a symlink at the lock's path is refused" 3 "refusing /run/hostfit/hostfit.lock"
check_that "the symlinked lock created nothing outside the root" test ! -e /tmp/elsewhere
hf fix --yes --wait soon --root "$R"
expect "fix --wait needs a number" 3 "--wait needs a number of seconds"

# ---- partial failure: each check's fix stands alone; nothing left out silently ----
fail_root() {
        R=$(copy_root cli-fail)
        mkdir -p "$R/etc/hostfit"
        printf '[swap]\npath = %s\nsize = 16M\n\n[zram]\nsize = 64M\n' "${1:-/swapfile}" >"$R/etc/hostfit/hostfit.conf"
}
# swap-missing's swapfile is refused (a symlink in its path): zram-missing's fix still runs.
fail_root /var/swap/swapfile
mkdir -p "$R/var" "$R/elsewhere"
ln -s /elsewhere "$R/var/swap"
"$HOSTFIT" fix --yes --root "$R" >"$T/both" 2>&1 </dev/null
rc=$?
check_that "a failed action makes fix exit 3" test "$rc" -eq 3
check_that "the other check's fix still ran" test -f "$R/etc/systemd/system/hostfit-zram.service"
check_that "the failed check's later actions were skipped" sh -c "! grep -q swapfile '$R/etc/fstab'"
check_that "applied/failed/skipped lines are in plan order in one file" \
        sh -c "grep -nE '^(hostfit: failed|skipped|applied): ' '$T/both' | cut -d: -f2 | tr '\n' ' ' | grep -qx 'hostfit skipped skipped applied applied '"
check_that "the summary counts failed and skipped" grep -q '^2 applied, 2 deferred, 0 manual, 1 failed, 2 skipped$' "$T/both"
fail_root /var/swap/swapfile
mkdir -p "$R/var" "$R/elsewhere"
ln -s /elsewhere "$R/var/swap"
hf fix --yes --format json --root "$R"
expect "fix --format json with a failed action exits 3" 3
check_that "JSON lists every action with its outcome" jq -e '
        [.results[] | [.check, .kind, .result]] == [["swap-missing","swapfile","failed"],["swap-missing","write-file","skipped"],
         ["swap-missing","swapon","skipped"],["zram-missing","write-file","applied"],["zram-missing","systemd","deferred"],
         ["zram-missing","symlink","applied"],["zram-missing","systemd","deferred"]] and .complete == false' "$T/out"

# A FIFO where /etc/fstab is expected: an error finding at once, never a hang; fix says it left it out.
fail_root
rm "$R/etc/fstab"
mkfifo "$R/etc/fstab"
timeout 300 "$HOSTFIT" check --root "$R" >"$T/out" 2>"$T/err" </dev/null
rc=$?
check_that "check with a FIFO at /etc/fstab ends (no hang)" test "$rc" -ne 124
check_that "the FIFO is an error finding naming what is there" \
        grep -q 'cannot read /etc/fstab: it is a FIFO, not a regular file' "$T/out"
timeout 300 "$HOSTFIT" fix --dry-run --format json --root "$R" >"$T/out" 2>"$T/err" </dev/null
rc=$?
check_that "fix --dry-run exits 3 when a check could not read the host" test "$rc" -eq 3
check_that "fix names what it left out" grep -q 'swap-missing: cannot read /etc/fstab: .*its fix is left out' "$T/err"
check_that "JSON says which finding was left out, and still plans the rest" jq -e '
        (.left_out | length) == 1 and .left_out[0].check == "swap-missing" and
        (.actions | map(.check) | unique) == ["zram-missing"]' "$T/out"

# Planning reads /etc/fstab once, however many swap areas it names (each used to read it again).
# (Where the kernel has no openat2, the walk by hand looks at the last component with O_PATH first.)
fail_root
printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' >"$R/proc/swaps.new"
for i in 1 2 3 4 5 6; do
        printf '/swap%d none swap sw 0 0\n' "$i" >>"$R/etc/fstab"
        printf '/swap%d                                  file\t\t1048572\t\t0\t\t-%d\n' "$i" $((i + 1)) >>"$R/proc/swaps.new"
done
mv "$R/proc/swaps.new" "$R/proc/swaps"
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
        # (LeakSanitizer cannot run under ptrace: in the ASan build it would fail the exit status.)
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
                strace -f -qq -e trace=open,openat,openat2 -o "$T/trace" "$HOSTFIT" fix --dry-run --root "$R" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
        check_that "fix --dry-run with six swap areas in fstab reads fstab once" \
                sh -c "[ $rc -eq 0 ] && [ \$(grep 'fstab\"' '$T/trace' | grep -vc O_PATH) -eq 1 ]"
else
        skip_test "fix --dry-run with six swap areas in fstab reads fstab once" "strace cannot trace here"
fi

# A fix that cannot be planned (its unit path is a FIFO) is reported and skipped; the others are applied.
fail_root
mkdir -p "$R/etc/systemd/system"
mkfifo "$R/etc/systemd/system/hostfit-zram.service"
timeout 300 "$HOSTFIT" fix --yes --root "$R" >"$T/out" 2>"$T/err" </dev/null
rc=$?
check_that "fix exits 3 when a fix could not be planned" test "$rc" -eq 3
check_that "the unplannable fix is named" grep -q 'zram-missing: cannot plan the fix for .*; left out' "$T/err"
check_that "the other fixes were applied" grep -q '^/swapfile none swap sw 0 0$' "$R/etc/fstab"
check_that "the summary says what was left out" grep -q ', 1 left out$' "$T/out"

# EACCES as another user: what /etc/fstab (readable by root only) would decide cannot be judged;
# that is one "needs root" skip, not an error, and fix plans nothing for it.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        U=$(mktemp -d "${TMPDIR:-/tmp}/hostfit-cli-user.XXXXXX")
        chmod 0755 "$U"
        cp -a "$FIXTURES/cli-fail" "$U/r"
        chmod 0600 "$U/r/etc/fstab"
        as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$HOSTFIT" "$@" --root "$U/r" >"$T/out" 2>"$T/err" </dev/null; rc=$?; }
        chmod 0700 "$U/r/etc/systemd/system" 2>/dev/null || { mkdir -p "$U/r/etc/systemd/system"; chmod 0700 "$U/r/etc/systemd/system"; }
        as_nobody check swap-missing
        check_that "an unreadable fstab (EACCES) as another user is a skip that needs root, exit 0" \
                sh -c "[ $rc -eq 0 ] && grep -q '^skip  swap-missing' '$T/out' && grep -q 'needs root: cannot read /etc/fstab: Permission denied' '$T/out' && ! grep -q '^error' '$T/out'"
        as_nobody check --format json
        check_that "as another user no check is an error, and each needs root at most once" \
                jq -e '.summary.error == 0 and ([.checks[] | [.findings[] | select(.message | startswith("needs root"))] | length] | max) <= 1' "$T/out"
        as_nobody fix --dry-run swap-missing
        check_that "fix --dry-run as another user plans nothing for what needs root" \
                sh -c "[ $rc -eq 0 ] && grep -q '^nothing to do' '$T/out'"
        rm -rf "$U"
else
        skip_test "EACCES as another user" "needs root and setpriv"
fi

# ---- leftovers of a run that died (SIGKILL): removed by the next run, only hostfit's own ----
fail_root
dead=$(sh -c 'echo $$')
boot=$(cat /proc/sys/kernel/random/boot_id)
printf 'half' >"$R/.#swapfile.aB3xY9"
printf 'editor' >"$R/.#swapfile.Cd4eF5"
if python3 -c "import os; os.setxattr('$R/.#swapfile.aB3xY9', 'user.hostfit.creator', b'$dead 1 $boot')" 2>/dev/null; then
        hf fix --yes --root "$R"
        expect "fix after a killed run exits 0" 0
        check_that "the dead run's temp is removed" test ! -e "$R/.#swapfile.aB3xY9"
        check_that "a temp without hostfit's mark is kept" test -e "$R/.#swapfile.Cd4eF5"
        check_that "fix says it removed a leftover" grep -q '^removed 1 temp file an earlier hostfit run left$' "$T/out"
else
        skip_test "stale temp sweep" "no user xattrs on $T"
fi

# ---- on a terminal: color, NO_COLOR, and the question before fix applies ----
# script(1) gives hostfit a pseudo-terminal; the answer comes on its stdin.
if command -v script >/dev/null; then
        on_tty() {
                answer=$1
                shift
                printf '%s\n' "$answer" | script -qec "$*" /dev/null >"$T/out" 2>&1
                rc=$?
        }
        on_tty "" "'$HOSTFIT' check --root '$FIXTURES/cli-warn'"
        check_that "check on a terminal is colored" grep -q "$ESC\[33mwarn" "$T/out"
        on_tty "" "NO_COLOR=1 '$HOSTFIT' check --root '$FIXTURES/cli-warn'"
        check_that "NO_COLOR turns color off on a terminal" sh -c "! grep -q '$ESC' '$T/out'"
        R=$(copy_root cli-fail)
        # A booted system has /run; fix takes its lock there before it plans.
        mkdir -p "$R/etc/hostfit" "$R/run/hostfit"
        printf '[swap]\nsize = 64M\n\n[zram]\nsize = 64M\n' >"$R/etc/hostfit/hostfit.conf"
        before=$(tree_hash "$R")
        on_tty n "'$HOSTFIT' fix --root '$R'"
        check_that "fix on a terminal asks before it applies" grep -q 'Apply [0-9]* changes\{0,1\}? \[y/N\]' "$T/out"
        check_that "fix on a terminal answered no exits 3" test "$rc" -eq 3
        check_that "fix on a terminal answered no changed no byte" test "$(tree_hash "$R")" = "$before"
        on_tty y "'$HOSTFIT' fix --root '$R'"
        check_that "fix on a terminal answered yes exits 0" test "$rc" -eq 0
        check_that "fix on a terminal answered yes applied the plan" grep -q '^applied: ' "$T/out"
        check_that "fix on a terminal answered yes changed the copy" test "$(tree_hash "$R")" != "$before"
else
        skip_test "terminal tests" "script(1) not installed"
fi

# ---- completions ----
# Each shell's completion reads commands, options and values from the
# binary's --help: for every command and every long option that --help
# shows, each shell must offer it.
cmds=$("$HOSTFIT" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | sort | tr '\n' ' ')
check_that "hostfit --help lists commands" test -n "$cmds"
want_ids=$(sort "$T/ids" | tr '\n' ' ')
opts_of() { "$HOSTFIT" ${1:-} --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u | tr '\n' ' '; }
comp_cases() {
        # name, expected, words typed (the last one being completed)
        printf '%s\n' "commands|$cmds|" \
                "global options|$(opts_of)|--" \
                "check --format values|json nagios prometheus text |check --format " \
                "check -f values|json nagios prometheus text |check -f " \
                "fix --format values|json text |fix --format " \
                "--profile values|development production |fix --profile " \
                "--color values|always auto never |--color " \
                "explain offers the ids|$want_ids|explain " \
                "check after --root DIR offers the ids|$want_ids|check --root / " \
                "help offers the commands|$cmds|help "
        for c in $cmds; do
                [ "$c" = help ] || printf '%s\n' "options of $c|$(opts_of "$c")|$c --"
        done
}
if command -v bash >/dev/null; then
        cat >"$T/comp.bash" <<'EOS'
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMPREPLY=()
_hostfit
[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '
EOS
        comp_cases | while IFS='|' read -r name want words; do
                got=$(timeout 300 bash "$T/comp.bash" "$HERE/../../completions/hostfit.bash" "$HOSTFIT" $words "")
                case $words in *' '|'') ;; *) got=$(timeout 300 bash "$T/comp.bash" "$HERE/../../completions/hostfit.bash" "$HOSTFIT" $words) ;; esac
                if [ "$got" = "$want" ]; then echo "ok bash completion: $name"; else echo "FAIL bash completion: $name: got '$got', want '$want'"; fi
        done > "$T/comp.out"
        check_comp_out() { while IFS= read -r l; do case $l in ok*) check_that "${l#ok }" true ;; *) echo "$l"; check_that "${l#FAIL }" false ;; esac; done < "$T/comp.out"; }
        check_comp_out
        check_that "bash completion: a path after --root" sh -c "timeout 300 bash '$T/comp.bash' '$HERE/../../completions/hostfit.bash' '$HOSTFIT' check --root /e | grep -qx '/etc '"
fi
if command -v zsh >/dev/null; then
        check_that "zsh completion parses" zsh -n completions/_hostfit
        cat >"$T/comp.zsh" <<'EOS'
source $1; shift
_hostfit_candidates "$@" | sort -u | tr '\n' ' '
EOS
        comp_cases | while IFS='|' read -r name want words; do
                case $words in *' '|'') got=$(timeout 300 zsh "$T/comp.zsh" completions/_hostfit "$HOSTFIT" $words "") ;;
                *) got=$(timeout 300 zsh "$T/comp.zsh" completions/_hostfit "$HOSTFIT" $words) ;; esac
                # zsh filters options by the typed prefix itself: all of them are offered
                if [ "$got" = "$want" ]; then echo "ok zsh completion: $name"; else echo "FAIL zsh completion: $name: got '$got', want '$want'"; fi
        done > "$T/comp.out"
        check_comp_out
        check_that "zsh completion: a directory after --root" test "$(timeout 300 zsh "$T/comp.zsh" completions/_hostfit "$HOSTFIT" check --root '')" = "#dir "
else
        skip_test "zsh completion" "zsh not installed"
fi
if command -v fish >/dev/null; then
        check_that "fish completion parses" fish -n completions/hostfit.fish
        fish_complete() {
                PATH=$(dirname "$HOSTFIT"):$PATH timeout 300 fish -c "set fish_complete_path $PWD/completions; source completions/hostfit.fish; complete -C '$1'" |
                        cut -f1 | sort -u | tr '\n' ' '
        }
        comp_cases | while IFS='|' read -r name want words; do
                got=$(fish_complete "hostfit $words")
                if [ "$got" = "$want" ]; then echo "ok fish completion: $name"; else echo "FAIL fish completion: $name: got '$got', want '$want'"; fi
        done > "$T/comp.out"
        check_comp_out
else
        skip_test "fish completion" "fish not installed"
fi

# ---- history and undo: fix --yes, then undo --yes gives back the tree ----
usage_ok "hostfit history -h prints usage" history -h
usage_ok "hostfit undo -h prints usage" undo -h
bad_usage "undo: a stamp that is not one exits 3" "is not a run stamp" undo ../../etc --dry-run
bad_usage "history: --prune needs days" "expected a number of days" history --prune soon
# The tree apart from hostfit's records and backups, and its lock file (kept
# empty on purpose: removing it would let two runs lock two different files).
tree_hash_undo() {
        _th=$(mktemp -d "$T/th.XXXXXX")
        cp -a "$1/." "$_th/"
        rm -rf "$_th/var/lib/hostfit" "$_th/var/backups/hostfit"
        rm -rf "$_th/run/hostfit"
        rmdir "$_th/run" 2>/dev/null
        tree_hash "$_th"
        rm -rf "$_th"
}
R=$(copy_root cli-fail)
mkdir -p "$R/var/lib" "$R/var/backups"
printf '[swap]\nsize = 16M\n' >"$R/etc/hostfit.conf.tmp" && mkdir -p "$R/etc/hostfit" && mv "$R/etc/hostfit.conf.tmp" "$R/etc/hostfit/hostfit.conf"
before=$(tree_hash_undo "$R")
hf history --root "$R"
check_that "history on a root with no runs says so" grep -qx 'no runs recorded' "$T/out"
hf fix --yes --root "$R"
expect "fix --yes for undo exits 0" 0
fixed=$(tree_hash_undo "$R")
stamp=$(ls "$R/var/lib/hostfit/runs" | sed -n 's/\.json$//p')
check_that "fix --yes left one run record" test "$(echo "$stamp" | wc -w)" -eq 1
check_that "the run record is JSON naming the checks" \
        jq -e '.version == 1 and .kind == "fix" and (.checks | index("swap-missing")) != null and
                (.actions | map(select(.kind == "write-file" and .path == "/etc/fstab" and .file == "replaced"
                and (.sha256 | length) == 64)) | length) == 1' "$R/var/lib/hostfit/runs/$stamp.json"
hf history --root "$R"
check_that "history: one line for the run, with its counts" grep -q "^$stamp .* fix .*swap-missing 2" "$T/out"
hf history --root "$R" --format json
check_that "history --format json" jq -e ".version == 1 and (.runs | length) == 1 and .runs[0].stamp == \"$stamp\"
        and .runs[0].checks[\"swap-missing\"] == 2 and .runs[0].undone_by == null" "$T/out"
hf history "$stamp" --root "$R"
check_that "history STAMP lists the actions" grep -q "^applied  swap-missing   replaced /etc/fstab" "$T/out"
hf undo --root "$R"
expect "undo without --yes off a terminal exits 3" 3 "refusing to change the host without --yes"
hf undo --dry-run --root "$R"
check_that "undo --dry-run shows the fstab diff" grep -qx -- "-/swapfile none swap sw 0 0" "$T/out"
check_that "undo --dry-run changed no byte" test "$(tree_hash_undo "$R")" = "$fixed"
cp "$R/etc/fstab" "$T/fstab.fixed"
printf '# the admin was here\n' >>"$R/etc/fstab"
hf undo --yes --root "$R"
expect "undo of fstab keeps what was added since" 0 "/etc/fstab: the lines added after run $stamp are kept"
check_that "the undo kept the admin's edit" grep -q 'the admin was here' "$R/etc/fstab"
check_that "the undo took back hostfit's line" sh -c "! grep -q '^/swapfile none swap' '$R/etc/fstab'"
sed -i '/# the admin was here/d' "$R/etc/fstab"
check_that "fix --yes then undo --yes gives back the tree" test "$(tree_hash_undo "$R")" = "$before"
hf undo --yes --root "$R"
check_that "a second undo has nothing to undo" grep -qx 'no run to undo' "$T/out"
hf undo "$stamp" --yes --root "$R"
check_that "undo of an undone run plans nothing" grep -q "was taken back by" "$T/out"
hf history --root "$R"
check_that "history marks the run undone" grep -q "^$stamp .*(undone by " "$T/out"
hf history --prune 0 --root "$R"
expect "history --prune 0 exits 0" 0
hf history --root "$R"
check_that "history --prune 0 removed every record" grep -qx 'no runs recorded' "$T/out"
check_that "history --prune 0 removed the backups" sh -c "! ls '$R/var/backups/hostfit' | grep -q ."

# ---- metrics-timer: the service of an older hostfit, which ran /usr/sbin/hostfit ----
R=$(mktemp -d "$T/root.XXXXXX")
mkdir -p "$R/etc/hostfit" "$R/etc/systemd/system" "$R/usr/bin" "$R/var/lib/prometheus/node-exporter"
printf '[metrics]\ntimer = yes\n' >"$R/etc/hostfit/hostfit.conf"
printf '\177ELF' >"$R/usr/bin/hostfit"
chmod -R go-w "$R" && chmod 0755 "$R" "$R/usr/bin/hostfit"
hf fix --yes metrics-timer --root "$R"
expect "fix metrics-timer installs the units in an image" 0
svc=$R/etc/systemd/system/hostfit-check.service
check_that "the service runs the image's /usr/bin/hostfit" grep -q '^ExecStart="/usr/bin/hostfit" check ' "$svc"
sed -i 's|^ExecStart="/usr/bin/hostfit" check |ExecStart=/usr/sbin/hostfit check |' "$svc"
hf check metrics-timer --root "$R"
expect "check metrics-timer warns about the older service" 1
check_that "the older service is out of date, said with both paths" grep -qF \
        "/etc/systemd/system/hostfit-check.service is out of date: it runs /usr/sbin/hostfit, not /usr/bin/hostfit" "$T/out"
before=$(tree_hash "$R")
hf fix --dry-run metrics-timer --root "$R"
expect "fix --dry-run metrics-timer on the older service" 0
check_that "the dry run shows the ExecStart= line rewritten as a diff" sh -c "
        grep -qx -- '--- a/etc/systemd/system/hostfit-check.service' '$T/out' &&
        grep -qx -- '-ExecStart=/usr/sbin/hostfit check --quiet --format prometheus --output \"/var/lib/prometheus/node-exporter/hostfit.prom\"' '$T/out' &&
        grep -qx -- '+ExecStart=\"/usr/bin/hostfit\" check --quiet --format prometheus --output \"/var/lib/prometheus/node-exporter/hostfit.prom\"' '$T/out' &&
        [ \$(grep -c '^[-+][^-+]' '$T/out') -eq 2 ]"
check_that "the dry run wrote nothing" test "$(tree_hash "$R")" = "$before"
hf fix --yes metrics-timer --root "$R"
expect "fix --yes metrics-timer rewrites the older service" 0
check_that "the service runs /usr/bin/hostfit again" grep -q '^ExecStart="/usr/bin/hostfit" check ' "$svc"
hf check metrics-timer --root "$R"
expect "check metrics-timer passes after the fix" 0
before=$(tree_hash "$R")
hf fix --dry-run --format json metrics-timer --root "$R"
check_that "a second fix plans nothing" jq -e '.actions == []' "$T/out"
hf fix --yes metrics-timer --root "$R"
expect "a second fix --yes metrics-timer ends well" 0
check_that "a second fix --yes changed no byte" test "$(tree_hash "$R")" = "$before"

# ---- incidents: real journal files (tests/fixtures/journal, made by systemd-journal-remote) ----
jqt() { jq -e "$@" >/dev/null; }
journal_root() {
        _jr=$(mktemp -d "$T/journal.XXXXXX")
        mkdir -p "$_jr/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a"
        [ -n "$1" ] && gzip -dc "$FIXTURES/journal/$1.journal.gz" > "$_jr/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a/system.journal"
        echo "$_jr"
}
usage_ok "hostfit incidents -h prints usage" incidents -h
JK=$(journal_root kills)
hf incidents --root "$JK"
expect "incidents on a journal with kills exits 1" 1
check_that "incidents: a heading, then one line per incident, oldest first" \
        sh -c "head -n1 '$T/out' | grep -q '^10 incidents' && [ \$(grep -c '^2026-11-20T' '$T/out') -eq 10 ] && sort -c -k1,1 <<EOF
\$(grep '^2026' '$T/out')
EOF"
check_that "incidents: the memcg kill says memory-limit, restarted, and to raise its limit (its MemoryMax= holds)" \
        grep -q 'memory-limit  hog.service  pid 5001 (python3).*restarted (counter 1)  prevent: raise the memory limit above the peak, or find what grows' "$T/out"
hf incidents --root "$JK" --format json
check_that "incidents --format json: version 1, 10 incidents with every field" jqt \
        '.version == 1 and (.incidents | length) == 10 and all(.incidents[]; has("time") and has("killer") and has("pid") and has("comm") and has("uid") and has("unit") and has("cgroup") and has("rss_bytes") and has("limit_bytes") and has("restarts") and has("outcome") and has("prevent"))' "$T/out"
check_that "incidents --format json: killers and outcomes" jqt \
        '[.incidents[] | "\(.killer)/\(.outcome)"] == ["kernel/gone","memory-limit/restarted","earlyoom/stopped","earlyoom/gone","systemd-oomd/restarted","systemd-oomd/gone","nohang/gone","null/start-limit-hit","memory-limit/restarted","memory-limit/start-limit-hit"]' "$T/out"
hf incidents --root "$JK" --format json --unit bad.service
check_that "incidents --unit: only that unit's crash loop" jqt \
        '(.incidents | length) == 1 and .incidents[0].kind == "crash-loop" and .incidents[0].restarts == 5 and .incidents[0].killer == null' "$T/out"
TZ=HFT-5 hf incidents --root "$JK" --format json --since "2026-11-20 12:30" --until "2026-11-20 14:30"
check_that "incidents --since/--until: YYYY-MM-DD HH:MM bounds" jqt '[.incidents[].pid] == [6200, null]' "$T/out"
hf incidents --root "$JK" --since -1h
expect "incidents --since -1h: the fixture's kills are older" 0
hf incidents --root "$JK" --since "last tuesday"
expect "incidents --since with a bad time exits 3" 3 "cannot parse time"
hf incidents --root "$(journal_root quiet)"
expect "incidents on a journal without kills exits 0" 0
check_that "incidents without kills says 0 incidents" grep -q '^0 incidents' "$T/out"
check_that "incidents says its default window and time zone on its last line" \
        sh -c "tail -n1 '$T/out' | grep -qx 'window: the whole journal, up to now (the default); times in UTC'"
hf incidents --root "$(journal_root "")"
expect "incidents without journal files exits 3 and says why" 3 "never persisted"
hf incidents --root "$(journal_root hostile)"
expect "incidents on hostile bytes exits 1" 1
check_that "incidents escapes host bytes" sh -c "! grep -q '$ESC' '$T/out' && grep -qF 'a,b\\x1b]0;x\\x07' '$T/out'"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$HOSTFIT" incidents >"$T/out" 2>"$T/err" </dev/null; rc=$?
        expect "incidents as a user outside adm/systemd-journal exits 3 and says which journal and why" 3 \
                "cannot read the journal /var/log/journal: not root and not in group adm or systemd-journal"
else
        echo "skip incidents as an unprivileged user (needs root and setpriv)"
fi
mkdir -p "$JK/etc/hostfit" && printf '[oom-kills]\nwindow = 100000d\n' > "$JK/etc/hostfit/hostfit.conf"
hf check oom-kills --root "$JK"
expect "check oom-kills warns on the journal's kills" 1
check_that "check oom-kills names the unit and the check that prevents the next" \
        grep -qF "fix: hostfit fix --root $(realpath "$JK") unit-memorymax (prevents the next one); details: hostfit incidents --root $(realpath "$JK") --unit php.service" "$T/out"
check_that "check oom-kills: one line per unit and killer, with a count" \
        sh -c "grep -q 'cache.service: killed 2 times by' '$T/out' && [ \$(grep -c 'cache.service:' '$T/out') -eq 1 ]"
# Forged entries from local users next to real ones (tests/fixtures/journal/trust).
JT=$(journal_root trust)
hf incidents --root "$JT" --verbose
expect "incidents on forged entries reports only the real ones" 1
check_that "incidents: the forged kills, restarts and unit names are not reported, and counted with --verbose" \
        sh -c "grep -q '^2 incidents' '$T/out' && ! grep -qE 'sshd|db.service|ssh.service|logrotate' '$T/out' && grep -q '^ignored 15 journal entries' '$T/out'"
hf incidents --root "$JT" --format json
check_that "incidents --format json: ignored_entries, and the pane's node with no unit" jqt \
        '.ignored_entries == 15 and ([.incidents[] | .unit] == [null, "replica.service"])' "$T/out"
mkdir -p "$JT/etc/hostfit" "$JT/etc/systemd/system"
printf '[oom-kills]\nwindow = 100000d\n[restart-storm]\nwindow = 100000d\n' > "$JT/etc/hostfit/hostfit.conf"
printf '[Service]\nExecStart=/usr/sbin/sshd -D\n' > "$JT/etc/systemd/system/ssh.service"
printf '[Service]\nExecStart=/usr/bin/db\n' > "$JT/etc/systemd/system/db.service"
hf fix restart-storm oom-kills --dry-run --root "$JT"
check_that "fix --dry-run on forged journal entries plans nothing" \
        sh -c "! grep -qE 'ssh.service.d|db.service.d|ExecStartPre|pwned' '$T/out'"
hf check oom-kills --root "$JK" --format prometheus
check_that "check --format prometheus: hostfit_oom_kills{unit,killer}" \
        grep -qx 'hostfit_oom_kills{unit="api.service",killer="systemd-oomd"} 1' "$T/out"

finish
