#!/bin/sh
# SPDX-License-Identifier: MIT
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

# The runcmd entries, as the shell scripts cloud-init will run, one a file.
$PYTHON - "$CI" "$PKG_TMP" <<'PY' || bad "runcmd is readable"
import sys, yaml
for i, c in enumerate(yaml.safe_load(open(sys.argv[1]))["runcmd"]):
        s = c[2] if isinstance(c, list) and c[:2] == ["sh", "-c"] else c if isinstance(c, str) else " ".join(c)
        open("%s/runcmd.%d" % (sys.argv[2], i), "w").write(s + "\n")
PY
install=$(grep -l 'apt-get install' "$PKG_TMP"/runcmd.* | head -n 1)
fix=$(grep -l 'hostfit fix --yes' "$PKG_TMP"/runcmd.* | head -n 1)
check "runcmd installs hostfit" [ -n "$install" ]
check "runcmd runs hostfit fix --yes" [ -n "$fix" ]
check "runcmd installs hostfit before running it" [ "${install##*.}" -lt "${fix##*.}" ]
# First boot never waits on hostfit for ever: every run of it is under timeout(1).
check "every hostfit run in runcmd is bounded by timeout" sh -c "! grep -hE '(^|[;&|] *)hostfit (fix|check)' '$PKG_TMP'/runcmd.*"
check "runcmd runs hostfit under timeout" grep -q 'timeout [0-9][0-9]* hostfit fix --yes' "$fix"
for sh in "$PKG_TMP"/runcmd.*; do
        check "runcmd entry $(basename "$sh") is valid sh" sh -n "$sh"
done
# Run the fix script with stand-ins for hostfit and systemd-detect-virt: on
# a VM it fixes swap, zram and memory limits; in a container only the limits.
mkdir -p "$PKG_TMP/bin" "$PKG_TMP/log"
printf '#!/bin/sh\necho "ran: $*"\n[ "$1" = check ] && echo "{}"\nexit 0\n' > "$PKG_TMP/bin/hostfit"
for virt in vm container; do
        printf '#!/bin/sh\n[ %s = container ]\n' "$virt" > "$PKG_TMP/bin/systemd-detect-virt"
        chmod +x "$PKG_TMP/bin/hostfit" "$PKG_TMP/bin/systemd-detect-virt"
        sed -e "s|/var/log/hostfit-firstboot.log|$PKG_TMP/log/$virt.log|g" -e "s|/var/lib/hostfit|$PKG_TMP/lib-$virt|g" "$fix" > "$PKG_TMP/fix-$virt.sh"
        PATH=$PKG_TMP/bin:$PATH sh "$PKG_TMP/fix-$virt.sh"
done
check "on a VM it fixes swap, zram and memory limits" grep -qx 'ran: fix --yes swap-missing zram-missing unit-memorymax' "$PKG_TMP/log/vm.log"
check "in a container only the memory limits" grep -qx 'ran: fix --yes unit-memorymax' "$PKG_TMP/log/container.log"
check "it keeps the report after the fix as JSON" [ -s "$PKG_TMP/lib-vm/firstboot.json" ]
check "the log says how each step exited" grep -q '^hostfit check: exit 0' "$PKG_TMP/log/vm.log"
# The checks it fixes are documented ones (hostfit(1) lists every check).
for id in swap-missing zram-missing unit-memorymax; do
        check "$id is a check of hostfit(1)" grep -qx "\.It Cm $id" docs/hostfit.1
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
                check "$id is a check hostfit lists" sh -c "printf '%s\n' '$ids' | grep -qx '$id'"
        done
fi
finish
