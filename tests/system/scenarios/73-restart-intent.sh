# SPDX-License-Identifier: MIT
# Scenario 73: restart-storm keeps the admin's intent on systemd 252.
# - batch.service, Restart=on-success, exits 0 after a second and storms
#   (RestartSec=5s): the fix adds a backoff and keeps on-success, so a clean
#   exit is still followed by a restart.
# - primary.service, Restart=no with OnFailure=failover.service, carries the
#   drop-in an older hostfit wrote (Restart=on-failure): the check fails on it
#   and the fix takes it away, so when primary dies failover.service runs and
#   primary is not restarted.
# bed: container
# needs: restart-storm

need_checks restart-storm
DIAG_UNITS="batch.service primary.service failover.service"

put /etc/hostfit/hostfit.conf <<'CONF'
[restart-storm]
max-restarts = 3
CONF
put /etc/systemd/system/batch.service <<'UNIT'
[Service]
ExecStart=/bin/sh -c 'sleep 1; exit 0'
Restart=on-success
RestartSec=5s
UNIT
put /etc/systemd/system/primary.service <<'UNIT'
[Unit]
OnFailure=failover.service

[Service]
ExecStart=/bin/sleep infinity
Restart=no
UNIT
put /etc/systemd/system/failover.service <<'UNIT'
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'date +%s > /run/failover.ran'
UNIT
put /etc/systemd/system/primary.service.d/50-hostfit-restart.conf <<'OLD'
# Written by hostfit (restart-storm): restarts of primary.service back off, and a crash loop
# slows down instead of spending the start limit and staying down.
[Unit]
StartLimitIntervalSec=60s
StartLimitBurst=15

[Service]
Restart=on-failure
RestartSec=5s
OLD
inside systemctl daemon-reload
inside systemctl start batch.service primary.service
wait_for 180 "[ \"\$(systemctl show -P NRestarts batch.service)\" -gt 4 ]" || fail "batch.service did not storm"

expect_finding restart-storm
hf check restart-storm --verbose
show_hf check restart-storm --verbose
printf '%s' "$HF_OUT" | grep -q "batch.service.*restarted [0-9]* times in the last hour" || fail "batch.service's storm is not named"
printf '%s' "$HF_OUT" | grep -q "primary.service.*turns Restart=no into on-failure" || fail "the old drop-in's policy change is not named"

hf fix --yes restart-storm
show_hf fix --yes restart-storm
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside test -e /etc/systemd/system/primary.service.d/50-hostfit-restart.conf && fail "the old drop-in of primary.service is still there"
[ "$(unit_prop primary.service Restart)" = no ] || fail "primary.service has Restart=$(unit_prop primary.service Restart)"
[ "$(unit_prop batch.service Restart)" = on-success ] || fail "batch.service has Restart=$(unit_prop batch.service Restart)"
inside systemd-analyze verify batch.service > /dev/null 2>&1 || fail "systemd-analyze verify batch.service failed"
expect_pass restart-storm
expect_no_plan restart-storm

# batch.service as the admin meant: a clean exit is followed by a restart (after a fresh start).
wait_for 300 "[ \"\$(systemctl show -P ActiveState batch.service)\" = failed ]" || fail "batch.service's storm did not end"
inside systemctl reset-failed batch.service
inside systemctl start batch.service
wait_for 120 "[ \"\$(systemctl show -P NRestarts batch.service)\" -ge 1 ]" ||
        fail "batch.service was not restarted after a clean exit"
say "batch.service restarted after a clean exit: NRestarts=$(unit_prop batch.service NRestarts)"

# primary.service as the admin meant: it dies, failover.service runs, primary stays down.
inside systemctl kill -s KILL primary.service
wait_for 120 "[ -e /run/failover.ran ]" || fail "failover.service did not run"
wait_for 120 "[ \"\$(systemctl show -P ActiveState primary.service)\" = failed ]" ||
        fail "primary.service is $(unit_prop primary.service ActiveState)"
[ "$(unit_prop primary.service NRestarts)" = 0 ] || fail "primary.service was restarted"
pass "on-success restarts after a clean exit; Restart=no hands its failure to OnFailure="
