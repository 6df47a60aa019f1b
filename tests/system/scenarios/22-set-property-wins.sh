# SPDX-License-Identifier: MIT
# Scenario 22: an admin's later `systemctl set-property UNIT MemoryMax=…`
# wins over hostfit's drop-in.  set-property writes
# /etc/systemd/system.control/UNIT.d/50-MemoryMax.conf; drop-ins apply in
# file-name order across directories, so hostfit's 49-hostfit-memory.conf
# comes first and the admin's value is the one in effect.  The control: under
# the old name 50-hostfit-memory.conf hostfit's value would have won.
# The container shows systemd's verdict (systemctl show), not enforcement.
# bed: container trixie
# needs: unit-memorymax

need_checks unit-memorymax
DIAG_UNITS=app.service

put /etc/systemd/system/app.service <<'UNIT'
[Unit]
Description=An admin's service

[Service]
ExecStart=/bin/sleep infinity
UNIT
# Not about sizing: a unit started a moment ago may be sized now.
put /etc/hostfit/hostfit.conf <<'CONF'
[unit-memorymax]
min-uptime = 0
CONF
inside systemctl daemon-reload
inside systemctl start app.service || fail "app.service did not start"

expect_finding unit-memorymax
hf fix --yes unit-memorymax
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
show_hf fix --yes unit-memorymax
inside test -f /etc/systemd/system/app.service.d/49-hostfit-memory.conf || fail "no 49-hostfit-memory.conf"
ours=$(unit_prop app.service MemoryMax)
[ "$ours" = 268435456 ] || fail "MemoryMax after the fix: '$ours', expected 256M"
say "hostfit's drop-in: MemoryMax=$ours"
# systemd took hostfit's drop-in: a second run finds nothing and plans nothing.
expect_pass unit-memorymax
expect_no_plan unit-memorymax

inside systemctl set-property app.service MemoryMax=1G || fail "set-property failed"
inside test -f /etc/systemd/system.control/app.service.d/50-MemoryMax.conf ||
        fail "set-property wrote no /etc/systemd/system.control/app.service.d/50-MemoryMax.conf"
inside systemctl daemon-reload
inside systemctl restart app.service
admin=$(unit_prop app.service MemoryMax)
[ "$admin" = 1073741824 ] || fail "after set-property MemoryMax=1G, daemon-reload and restart: '$admin'"
say "after set-property MemoryMax=1G, reload and restart: MemoryMax=$admin"
say "drop-ins: $(unit_prop app.service DropInPaths)"

# hostfit accepts the admin's limit: nothing to report, nothing to plan.
expect_pass unit-memorymax
expect_no_plan unit-memorymax

# The control: under the old name, sorting after 50-MemoryMax.conf, hostfit's value wins.
inside mv /etc/systemd/system/app.service.d/49-hostfit-memory.conf \
        /etc/systemd/system/app.service.d/50-hostfit-memory.conf
inside systemctl daemon-reload
old=$(unit_prop app.service MemoryMax)
[ "$old" = 268435456 ] || fail "control: under 50-hostfit-memory.conf MemoryMax is '$old', expected hostfit's 256M"
say "control: as 50-hostfit-memory.conf it would override the admin (MemoryMax=$old)"
pass "set-property's 1G wins over 49-hostfit-memory.conf; the old name would not"
