#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit system tests, inside the VM: waits on the third serial port for
# "run NAME", runs that scenario from the payload disk (phase by phase across
# reboots) and reports on the second serial port.  The host snapshots the VM
# while it waits for its first command and restores that snapshot between
# scenarios, so each scenario starts from the same freshly booted host
# without a boot of its own.

T=/run/hostfit-test             # the payload disk, read-only
S=/var/lib/hostfit-test         # on the root disk: kept across a reboot, rolled back between scenarios
OUT=/dev/ttyS1
CMD=/dev/ttyS2

stty -F "$OUT" raw -echo 2>/dev/null
stty -F "$CMD" raw -echo 2>/dev/null
exec >> "$OUT" 2>&1

echo "HOSTFIT-SYSTEM-BOOT uptime=$(cut -d' ' -f1 /proc/uptime)"
st=$(systemctl is-system-running --wait 2>&1)
echo "  | boot finished: $st after $(cut -d' ' -f1 /proc/uptime) s of uptime"
if [ "$st" != running ]; then
        systemctl --failed --no-pager --no-legend 2>&1 | sed 's/^/  |   /'
fi

install -m 0755 "$T/hostfit" /usr/local/sbin/hostfit
export BED=vm SYS_GUEST_DIR="$S" LC_ALL=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$S"

# Runs scenario $1 at phase $2; a scenario that asks for a reboot (exit 100)
# goes on at the next phase after it.
run_scenario() {
        local name=$1 rc
        echo "$name" > "$S/current"
        echo "$2" > "$S/phase"
        cp "$T/common.sh" "$S/common.sh" && cp "$T/scenarios/$name.sh" "$S/scenario.sh" || {
                echo "HOSTFIT-SYSTEM-EXIT 1 $name"
                return
        }
        sync
        echo "HOSTFIT-SYSTEM-BEGIN $name phase=$2"
        PHASE=$2 SYS_DEBS_DIR="$T/debs/$name" sh -c '. "$SYS_GUEST_DIR/common.sh" && . "$SYS_GUEST_DIR/scenario.sh"'
        rc=$?
        if [ "$rc" -eq 100 ]; then
                echo $(($2 + 1)) > "$S/phase"
                sync
                echo "HOSTFIT-SYSTEM-REBOOT $name"
                systemctl reboot
                exit 0
        fi
        rm -f "$S/current" "$S/phase"
        sync
        echo "HOSTFIT-SYSTEM-EXIT $rc $name"
}

# After a reboot a scenario asked for: its next phase.
if [ -f "$S/current" ]; then
        run_scenario "$(cat "$S/current")" "$(cat "$S/phase")"
else
        echo "HOSTFIT-SYSTEM-READY"
fi

exec 3< "$CMD"
while IFS= read -r line <&3; do
        case "$line" in
        "run "*) run_scenario "${line#run }" 1 ;;
        poweroff) break ;;
        esac
done
sync
systemctl poweroff
