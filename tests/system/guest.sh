#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit system tests, inside the VM: runs the scenario on the payload disk
# (phase by phase across reboots) and reports on the second serial port.

T=/run/hostfit-test
OUT=/dev/ttyS1

stty -F "$OUT" raw -echo 2>/dev/null
exec >> "$OUT" 2>&1

PHASE=$(cat "$T/phase" 2>/dev/null || echo 1)
echo "HOSTFIT-SYSTEM-BOOT phase=$PHASE uptime=$(cut -d' ' -f1 /proc/uptime)"
st=$(systemctl is-system-running --wait 2>&1)
echo "  | boot finished: $st after $(cut -d' ' -f1 /proc/uptime) s of uptime"
if [ "$st" != running ]; then
        systemctl --failed --no-pager --no-legend 2>&1 | sed 's/^/  |   /'
fi

install -m 0755 "$T/hostfit" /usr/local/sbin/hostfit
export BED=vm PHASE SYS_GUEST_DIR="$T" LC_ALL=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
sh -c '. "$SYS_GUEST_DIR/common.sh" && . "$SYS_GUEST_DIR/scenario.sh"'
rc=$?
if [ "$rc" -eq 100 ]; then
        echo $((PHASE + 1)) > "$T/phase"
        sync
        echo "HOSTFIT-SYSTEM-REBOOT"
        systemctl reboot
        exit 0
fi
echo "HOSTFIT-SYSTEM-EXIT $rc"
sync
systemctl poweroff
