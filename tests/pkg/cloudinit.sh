#!/bin/sh
# docs/cloud-init.yaml: cloud-init's own schema accepts it, and its first-boot
# commands are hostfit's real ones, logged to /var/log/hostfit-firstboot.log.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
use_unpacked cloud-init
need cloud-init "$PYTHON"
CI=docs/cloud-init.yaml

out=$($PYTHON "$(command -v cloud-init)" schema --config-file "$CI" 2>&1); st=$?
printf '%s\n' "$out"
check "cloud-init schema accepts $CI" [ "$st" -eq 0 ]
check "$CI starts with #cloud-config" [ "$(head -n1 "$CI")" = "#cloud-config" ]

# The runcmd lines, as the shell commands cloud-init will run.
$PYTHON - "$CI" > "$PKG_TMP/runcmd" <<'PY' || bad "runcmd is readable"
import sys, yaml
for c in yaml.safe_load(open(sys.argv[1]))["runcmd"]:
        print(c[2] if isinstance(c, list) and c[:2] == ["sh", "-c"] else c if isinstance(c, str) else " ".join(c))
PY
fixline=$(grep 'hostfit fix' "$PKG_TMP/runcmd")
check "runcmd runs hostfit fix --yes swap-missing zram-missing unit-memorymax" \
        sh -c "printf '%s\n' '$fixline' | grep -q 'hostfit fix --yes swap-missing zram-missing unit-memorymax >> /var/log/hostfit-firstboot.log 2>&1'"
check "runcmd installs hostfit before running it" \
        [ "$(grep -n 'hostfit.deb\|install.*hostfit' "$PKG_TMP/runcmd" | head -n1 | cut -d: -f1)" -lt "$(grep -n 'hostfit fix' "$PKG_TMP/runcmd" | cut -d: -f1)" ]
# The checks it fixes are documented ones (hostfit(8) lists every check).
for id in swap-missing zram-missing unit-memorymax; do
        check "$id is a check of hostfit(8)" grep -qx "\.It Cm $id" docs/hostfit.8
done
# The hostfit.conf it writes is one hostfit accepts, and the ids it fixes exist.
if [ -x "$HOSTFIT" ]; then
        root=$PKG_TMP/root; cp -a "$(report_root)" "$root"
        $PYTHON - "$CI" "$root" <<'PY'
import os, sys, yaml
for f in yaml.safe_load(open(sys.argv[1])).get("write_files", []):
        p = os.path.join(sys.argv[2], f["path"].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "w").write(f["content"])
PY
        "$HOSTFIT" check --root "$root" > /dev/null 2> "$PKG_TMP/err"
        check "hostfit accepts the hostfit.conf it writes" sh -c "! grep -q hostfit.conf '$PKG_TMP/err'"
        ids=$(check_ids)
        for id in swap-missing zram-missing unit-memorymax; do
                if printf '%s\n' "$ids" | grep -qx "$id"; then
                        ok "$id is a check hostfit lists"
                else
                        echo "note: $id is not a check of this hostfit yet"
                fi
        done
fi
finish
