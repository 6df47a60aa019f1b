#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit's real JSON output (check, fix --dry-run) validates against docs/*.schema.json.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need "$PYTHON"
$PYTHON -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed (see tests/pkg/packages)"
need_hostfit
# V SCHEMA [FILE...]: validate-json.py's verdict, from one validator process for the
# whole script (requests on one FIFO, answers on another) rather than one a document.
mkfifo "$PKG_TMP/vq" "$PKG_TMP/va" || skip "cannot make FIFOs in $PKG_TMP"
$PYTHON tests/pkg/validate-json.py --serve < "$PKG_TMP/vq" > "$PKG_TMP/va" &
exec 3> "$PKG_TMP/vq" 4< "$PKG_TMP/va"
V() {
        (IFS=$(printf '\t'); printf '%s\n' "$*") >&3
        while IFS= read -r _l <&4; do
                case $_l in "=exit "*) return "${_l#=exit }" ;; esac
                printf '%s\n' "$_l"
        done
        echo "validate-json.py --serve ended" >&2; return 3
}
# The schema rejects a document: V answers 1, a schema error (its messages are not shown).
# Not JSON, a file that cannot be read or a validator that died (2, 3) is no rejection.
Vnot() { V "$@" > /dev/null; [ $? -eq 1 ]; }
CS=docs/hostfit-check.schema.json FS=docs/hostfit-fix.schema.json IS=docs/hostfit-incidents.schema.json

check "$CS is a valid draft 2020-12 schema" V "$CS"
check "$FS is a valid draft 2020-12 schema" V "$FS"
check "$IS is a valid draft 2020-12 schema" V "$IS"
check "docs/hostfit-list.schema.json is a valid draft 2020-12 schema" V docs/hostfit-list.schema.json

# A summary must count the checks' statuses, and the exit status must follow it.
consistent() {
        $PYTHON - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); st = int(sys.argv[2])
counts = {s: 0 for s in ("pass", "warn", "fail", "skip", "error", "ignored")}
for c in d["checks"]:
        counts[c["status"]] += 1
want = 2 if counts["fail"] else 3 if counts["error"] else 1 if counts["warn"] else 0
sys.exit(0 if counts == d["summary"] and st == want else 1)
PY
}

# README's example validates, and is the binary's output on tests/fixtures/cli-warn but for
# who, when and where (hostfit_version, hostname, time, root and the --root in the fix hint).
sed -n '/^`hostfit check --format json` prints one object/,/^```$/p' README.md | sed -n '/^```json$/,/^```$/p' | sed '1d;$d' > "$PKG_TMP/readme.json"
check "README's check JSON example matches the schema" V "$CS" "$PKG_TMP/readme.json"
"$HOSTFIT" check swap-missing --format json --root tests/fixtures/cli-warn > "$PKG_TMP/cli-warn.json"
check "README's check JSON example is the binary's on tests/fixtures/cli-warn" $PYTHON - "$PKG_TMP/readme.json" "$PKG_TMP/cli-warn.json" <<'PY'
import json, re, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
        for k in ("hostfit_version", "hostname", "time", "root"):
                d.pop(k)
        for c in d["checks"]:
                for f in c["findings"]:
                        f["fix"] = f["fix"] and re.sub(r" --root \S+", "", f["fix"])
sys.exit(0 if a == b else 1)
PY
n=0
for root in $(fixture_roots) /; do
        n=$((n + 1)); f=$PKG_TMP/check-$n.json
        "$HOSTFIT" check --format json --root "$root" > "$f" 2> "$PKG_TMP/err"; st=$?
        check "check --root $root --format json exits 0-3 ($st)" [ "$st" -le 3 ]
        if [ "$st" -eq 3 ] && [ ! -s "$f" ]; then
                # hostfit could not run (a bad config on purpose): no half document, and a reason.
                check "check --root $root could not run, and says why" [ -s "$PKG_TMP/err" ]
                continue
        fi
        check "check --root $root --format json matches the schema" V "$CS" "$f"
        check "check --root $root: summary and exit status agree with the checks" consistent "$f" "$st"
done
"$HOSTFIT" check swap-missing --format json --root tests/fixtures/cli-ignored > "$PKG_TMP/ignored.json"
check "an ignored finding carries its reason and until" $PYTHON -c '
import json, sys
f = json.load(open(sys.argv[1]))["checks"][0]["findings"][0]
sys.exit(0 if f["status"] == "ignored" and f["fix"] is None and
         f["ignored"] == {"reason": "replaced by zram on the next rebuild", "until": "2099-12-31"} else 1)' "$PKG_TMP/ignored.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["checks"][0]["findings"][0]["ignored"]["until"]="soon"; print(json.dumps(d))' "$PKG_TMP/ignored.json" > "$PKG_TMP/ignored-bad.json"
check "check schema rejects an until that is not a day" Vnot $CS "$PKG_TMP/ignored-bad.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["checks"][0]["findings"][0]["ignored"]; print(json.dumps(d))' "$PKG_TMP/ignored.json" > "$PKG_TMP/ignored-bad.json"
check "check schema rejects an ignored finding without its reason" Vnot $CS "$PKG_TMP/ignored-bad.json"

# Each check alone, on the first fixture root: the schema holds for every id.
first=$(report_root)
for id in $(check_ids); do
        f=$PKG_TMP/id-$id.json
        "$HOSTFIT" check "$id" --format json --root "$first" > "$f"
        check "check $id --format json matches the schema" V "$CS" "$f"
done

planned=0
for root in $(fixture_roots); do
        copy=$PKG_TMP/root; rm -rf "$copy"; cp -a "$root" "$copy"
        before=$(tree_sum "$copy")
        f=$PKG_TMP/fix.json
        "$HOSTFIT" fix --dry-run --format json --root "$copy" > "$f" 2> "$PKG_TMP/fix.err"; st=$?
        check "fix --dry-run --root $root wrote nothing" [ "$before" = "$(tree_sum "$copy")" ]
        if [ "$st" -eq 3 ]; then
                # A root hostfit cannot plan for (unreadable on purpose): it must say why.
                check "fix --dry-run --root $root exits 3 with a reason" [ -s "$PKG_TMP/fix.err" ]
                continue
        fi
        planned=$((planned + 1))
        check "fix --dry-run --root $root --format json exits 0 ($st)" [ "$st" -eq 0 ]
        check "fix --dry-run --root $root --format json matches the schema" V "$FS" "$f"
done
check "fix --dry-run planned on at least one fixture root" [ "$planned" -gt 0 ]

# The schemas reject what they must: the validator is not a no-op.
f=$PKG_TMP/first.json
"$HOSTFIT" check --format json --root "$first" > "$f"
check "a real report to mutate validates" V "$CS" "$f"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["version"]=2; print(json.dumps(d))' "$f" > "$PKG_TMP/v2.json"
check "check schema rejects version 2" Vnot $CS "$PKG_TMP/v2.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["summary"]["error"]; print(json.dumps(d))' "$f" > "$PKG_TMP/nosum.json"
check "check schema rejects a summary without error" Vnot $CS "$PKG_TMP/nosum.json"
printf '%s\n' '{"version":1,"checks":[{"id":"swap-missing","status":"broken","severity":"high","title":"t","findings":[]}],"root":"/","profile":"production","summary":{"pass":0,"warn":0,"fail":0,"skip":0,"error":0}}' > "$PKG_TMP/badstatus.json"
check "check schema rejects an unknown status" Vnot $CS "$PKG_TMP/badstatus.json"
printf '%s\n' '{"version":1,"actions":[{"check":"swap-missing","kind":"write-file","path":null,"diff":null}]}' > "$PKG_TMP/badfix.json"
check "fix schema rejects a write-file without path and diff" Vnot $FS "$PKG_TMP/badfix.json"
printf '%s\n' '{"version":1,"actions":[{"check":"swap-missing","kind":"write-file","path":"/etc/fstab","diff":"--- a/etc/fstab\n+++ b/etc/fstab\n"},{"check":"swap-missing","kind":"swapon","path":"/swapfile","diff":null,"deferred":true}]}' > "$PKG_TMP/goodfix.json"
check "fix schema accepts a write-file and a deferred swapon" V "$FS" "$PKG_TMP/goodfix.json"
L=/etc/systemd/system/swap.target.wants/hostfit-zram.service
printf '%s\n' '{"version":1,"actions":[{"check":"zram-missing","kind":"symlink","path":"'$L'","diff":null,"target":"/etc/systemd/system/hostfit-zram.service","deferred":false}]}' > "$PKG_TMP/link.json"
check "fix schema accepts a symlink with its target" V "$FS" "$PKG_TMP/link.json"
printf '%s\n' '{"version":1,"actions":[{"check":"zram-missing","kind":"symlink","path":"'$L'","diff":null}]}' > "$PKG_TMP/badlink.json"
check "fix schema rejects a symlink without a target" Vnot $FS "$PKG_TMP/badlink.json"
# A real plan that enables a unit off the running system: its links validate.
copy=$PKG_TMP/root; rm -rf "$copy"; cp -a tests/fixtures/cli-fail "$copy"
"$HOSTFIT" fix --dry-run --format json --root "$copy" > "$PKG_TMP/enable.json"
check "fix --dry-run on cli-fail plans an enable link" \
        $PYTHON -c 'import json,sys; sys.exit(not any(a["kind"] == "symlink" for a in json.load(open(sys.argv[1]))["actions"]))' "$PKG_TMP/enable.json"
check "fix --dry-run on cli-fail with its links matches the schema" V "$FS" "$PKG_TMP/enable.json"
# Who and when: the image's hostname under --root, the running system's on /,
# the time of the run in UTC, and the version of the binary.
hroot=$PKG_TMP/hostname-root; mkdir -p "$hroot/etc"; printf 'web-7\nignored\n' > "$hroot/etc/hostname"
before=$(date -u +%s)
"$HOSTFIT" check --format json --root "$hroot" > "$PKG_TMP/h.json"
after=$(date -u +%s)
check "check --format json: hostname is the root's /etc/hostname" \
        $PYTHON -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["hostname"] != "web-7")' "$PKG_TMP/h.json"
check "check --format json: time is the time of the run, in UTC" \
        $PYTHON -c 'import json,sys,datetime; t=datetime.datetime.strptime(json.load(open(sys.argv[1]))["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp(); sys.exit(not int(sys.argv[2]) <= t <= int(sys.argv[3]))' "$PKG_TMP/h.json" "$before" "$after"
check "check --format json: hostfit_version is the binary's" \
        $PYTHON -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["hostfit_version"] != sys.argv[2])' "$PKG_TMP/h.json" "$(cat VERSION)"
rm "$hroot/etc/hostname"
"$HOSTFIT" check --format json --root "$hroot" > "$PKG_TMP/h.json"
check "check --format json: hostname is null in an image without /etc/hostname" \
        $PYTHON -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["hostname"] is not None)' "$PKG_TMP/h.json"
"$HOSTFIT" check --format json > "$PKG_TMP/h.json"
check "check --format json: hostname on / is this system's ($(hostname))" \
        $PYTHON -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["hostname"] != sys.argv[2])' "$PKG_TMP/h.json" "$(hostname)"

# fix --yes --format json: what became of each action, against the same schema.
ycopy=$PKG_TMP/yes-root; rm -rf "$ycopy"; cp -a tests/fixtures/cli-fail "$ycopy"
mkdir -p "$ycopy/etc/hostfit" && printf '[swap]\nsize = 16M\n' > "$ycopy/etc/hostfit/hostfit.conf"
"$HOSTFIT" fix --yes --format json --root "$ycopy" > "$PKG_TMP/yes.json" 2> "$PKG_TMP/yes.err"
check "fix --yes --format json reports results" \
        $PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["results"] and "actions" not in d))' "$PKG_TMP/yes.json"
check "fix --yes --format json matches the schema" V "$FS" "$PKG_TMP/yes.json"
"$HOSTFIT" fix --yes --format json --root "$ycopy" > "$PKG_TMP/yes2.json" 2>> "$PKG_TMP/yes.err"
check "a second fix --yes --format json matches the schema" V "$FS" "$PKG_TMP/yes2.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["results"][0]["result"]="done"; print(json.dumps(d))' "$PKG_TMP/yes.json" > "$PKG_TMP/badyes.json"
check "fix schema rejects an unknown result" Vnot $FS "$PKG_TMP/badyes.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["actions"]=[]; print(json.dumps(d))' "$PKG_TMP/yes.json" > "$PKG_TMP/both.json"
check "fix schema rejects a plan and results in one object" Vnot $FS "$PKG_TMP/both.json"

# list --format json.
LS=docs/hostfit-list.schema.json
"$HOSTFIT" list --format json > "$PKG_TMP/list.json"
check "list --format json matches the schema" V "$LS" "$PKG_TMP/list.json"
check "list --format json has every check of list --ids" \
        $PYTHON -c 'import json,sys; sys.exit([c["id"] for c in json.load(open(sys.argv[1]))["checks"]] != sys.argv[2].split())' "$PKG_TMP/list.json" "$("$HOSTFIT" list --ids | tr '\n' ' ')"

# history: the list and a run record, after a fix and an undo on a copy.
HS=docs/hostfit-history.schema.json
check "$HS is a valid draft 2020-12 schema" V "$HS"
mkdir -p "$copy/etc/hostfit" && printf '[swap]\nsize = 16M\n' > "$copy/etc/hostfit/hostfit.conf"
"$HOSTFIT" fix --yes --root "$copy" > /dev/null 2>&1
"$HOSTFIT" undo --yes --root "$copy" > /dev/null 2>&1
"$HOSTFIT" history --format json --root "$copy" > "$PKG_TMP/history.json"
check "history --format json lists a fix and its undo" \
        $PYTHON -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"]; sys.exit(not ([x["kind"] for x in r] == ["fix", "undo"] and r[0]["undone_by"] == r[1]["stamp"]))' "$PKG_TMP/history.json"
check "history --format json matches the schema" V "$HS" "$PKG_TMP/history.json"
for rec in "$copy"/var/lib/hostfit/runs/*.json; do
        check "run record $(basename "$rec") matches the schema" V "$HS" "$rec"
        "$HOSTFIT" history "$(basename "$rec" .json)" --format json --root "$copy" > "$PKG_TMP/rec.json"
        check "history STAMP --format json is the record itself" cmp -s "$rec" "$PKG_TMP/rec.json"
done
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["actions"][0]["outcome"]="done"; print(json.dumps(d))' "$rec" > "$PKG_TMP/badrec.json"
check "history schema rejects an unknown outcome" Vnot $HS "$PKG_TMP/badrec.json"
# incidents --format json on the real journal fixtures (every killer, a crash loop, hostile bytes).
for name in kills hostile quiet trust; do
        jr=$PKG_TMP/journal-$name; mkdir -p "$jr/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a"
        gzip -dc "tests/fixtures/journal/$name.journal.gz" > "$jr/var/log/journal/5f3c1e0a9b8d4c7e8f6a2b1c0d9e8f7a/system.journal"
        "$HOSTFIT" incidents --root "$jr" --format json > "$PKG_TMP/inc-$name.json"; st=$?
        check "incidents --root (journal $name) --format json exits 0 or 1 ($st)" [ "$st" -le 1 ]
        check "incidents --root (journal $name) --format json matches the schema" V "$IS" "$PKG_TMP/inc-$name.json"
done
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); d["incidents"][0]["killer"]="oom"; print(json.dumps(d))' "$PKG_TMP/inc-kills.json" > "$PKG_TMP/badkiller.json"
check "incidents schema rejects an unknown killer" Vnot $IS "$PKG_TMP/badkiller.json"
$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["incidents"][0]["outcome"]; print(json.dumps(d))' "$PKG_TMP/inc-kills.json" > "$PKG_TMP/nooutcome.json"
check "incidents schema rejects an incident without outcome" Vnot $IS "$PKG_TMP/nooutcome.json"
finish
