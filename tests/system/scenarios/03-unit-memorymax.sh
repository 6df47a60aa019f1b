# SPDX-License-Identifier: MIT
# Scenario 3: an admin-written service with no MemoryMax that allocates
# memory in a loop.  The fix sets the limit live (no restart); then the
# service is OOM-killed inside its cgroup and systemd restarts it, while the
# rest of the host lives.  The VM: cgroup2 enforces MemoryMax there.
# bed: vm
# needs: unit-memorymax

need_checks unit-memorymax
DIAG_UNITS=hog.service

# Grows by 64 MiB a second while /run/hog/grow exists: before the fix it
# idles with 100 MiB, so the unlimited host is not taken down.  The kernel
# fills each block in one read() of /dev/zero: MemoryHigh's throttling, paid
# on each return to user space, would make page-by-page growth crawl for
# hours on a host without swap instead of reaching MemoryMax.
put /usr/local/bin/hog 0755 <<'PY'
#!/usr/bin/python3
import os, time
zero = os.open("/dev/zero", os.O_RDONLY)
held = [os.read(zero, 100 << 20)]
while True:
    if os.path.exists("/run/hog/grow"):
        held.append(os.read(zero, 64 << 20))
    time.sleep(1)
PY
put /etc/systemd/system/hog.service <<'UNIT'
[Unit]
Description=Batch worker (admin-written)

[Service]
ExecStart=/usr/local/bin/hog
Restart=always
RestartSec=1
RuntimeDirectory=hog
RuntimeDirectoryPreserve=yes

[Install]
WantedBy=multi-user.target
UNIT
inside systemctl daemon-reload
inside systemctl enable --now hog.service || fail "hog.service did not start"
wait_for 120 '[ "$(ps -o rss= -p $(systemctl show -P MainPID hog.service))" -gt 100000 ]' ||
        fail "hog.service did not reach 100 MiB"
pid=$(unit_prop hog.service MainPID)
say "hog.service running as $pid, MemoryMax=$(unit_prop hog.service MemoryMax)"

expect_finding unit-memorymax
# Started a moment ago: a cold start is no measure, so no limit is sized from it yet.
hf fix --dry-run --format json unit-memorymax
printf '%s' "$HF_OUT" | grep -q "too short to size its limit" || fail "a young unit was sized, not a manual step"
printf '%s' "$HF_OUT" | grep -q "49-hostfit-memory.conf" && fail "a young unit got a drop-in"
say "young: a manual step, no drop-in"
# Sized once it has run the configured minimum (memory.peak over that time).
put /etc/hostfit/hostfit.conf <<'CONF'
[unit-memorymax]
min-uptime = 20s
CONF
wait_for 120 "hostfit fix --dry-run unit-memorymax | grep -q 49-hostfit-memory.conf" ||
        fail "hog.service was not sized after running 20 s"
fix_and_verify unit-memorymax

max=$(unit_prop hog.service MemoryMax)
case "$max" in
''|infinity|*[!0-9]*) fail "MemoryMax of hog.service after the fix: '$max'" ;;
esac
cg=/sys/fs/cgroup$(unit_prop hog.service ControlGroup)
say "MemoryMax=$max, $cg/memory.max=$(inside cat "$cg/memory.max")"
[ "$(inside cat "$cg/memory.max")" = "$max" ] || fail "the limit is not in the cgroup: set live?"
[ "$(unit_prop hog.service MainPID)" = "$pid" ] || fail "hog.service was restarted by the fix"

restarts=$(unit_prop hog.service NRestarts)
inside touch /run/hog/grow
wait_for 300 "[ \"\$(systemctl show -P NRestarts hog.service)\" -gt $restarts ]" ||
        fail "hog.service was not restarted after growing past its limit"
inside rm -f /run/hog/grow
say "NRestarts $restarts -> $(unit_prop hog.service NRestarts)"
kills=$(inside journalctl -b -u hog.service -o cat --no-pager | grep -ci 'oom')
inside journalctl -b -u hog.service -o cat --no-pager | grep -i oom | head -n 3 | sed "s/^/$SCEN_LOG_PREFIX   /"
[ "$kills" -gt 0 ] || fail "the journal of hog.service does not say it was OOM-killed"
# The restart made a new cgroup, so memory.events starts again: systemd's
# verdict is the record.
inside journalctl -b -u hog.service -o cat --no-pager | grep -q "result 'oom-kill'" ||
        fail "systemd did not record result 'oom-kill' for hog.service"
wait_for 120 'systemctl is-active -q hog.service' || fail "hog.service is not running again"
[ "$(inside systemctl is-system-running)" != offline ] || fail "the host did not live"
inside_sh 'systemctl is-active -q systemd-journald dbus' || fail "a system service died with the hog"
pass "MemoryMax=$max set live; OOM-killed in its cgroup and restarted"
