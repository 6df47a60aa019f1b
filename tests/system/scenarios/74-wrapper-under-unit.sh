# SPDX-License-Identifier: MIT
# Scenario 74: a shielded server under a wrapper that is a unit's main
# process (report-worker.service -> start.sh -> the server).  One process,
# one unit: the fix gives report-worker.service OOMScoreAdjust= in a drop-in
# and shields the wrapper now; it writes no second unit for the server (one
# that would fight report-worker for its port).  After the unit's restart the
# wrapper has the shield from the drop-in, the server keeps its port, the
# check passes and a second fix plans nothing.  The container has no
# CAP_SYS_RESOURCE: the shield is 100 under a wrapper at 300, judged with
# [wrapper-oom] shielded-below = 200.
# bed: container
# needs: wrapper-oom-unprotected unmanaged-service

need_checks wrapper-oom-unprotected unmanaged-service
PORT=8093
DROPIN=/etc/systemd/system/report-worker.service.d/50-hostfit-oom.conf

put /etc/hostfit/hostfit.conf <<'CONF'
[wrapper-oom]
shielded-below = 200

[unmanaged-service]
min-age = 1
CONF
put /opt/report/start.sh 0755 <<EOF2
#!/bin/sh
# starts the report worker, shielded more than this script
sh -c 'echo 100 > /proc/self/oom_score_adj && exec python3 -m http.server $PORT --bind 127.0.0.1' &
wait
EOF2
put /etc/systemd/system/report-worker.service <<'UNIT'
[Unit]
Description=Report worker

[Service]
ExecStart=/opt/report/start.sh
WorkingDirectory=/opt/report
OOMScoreAdjust=300
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
inside systemctl daemon-reload
inside systemctl start report-worker.service || fail "report-worker.service does not start"
DIAG_UNITS=report-worker.service
listening="ss -Hltn 'sport = :$PORT' | grep -q ."
wait_for 120 "$listening" || fail "report-worker does not listen"
main=$(unit_prop report-worker.service MainPID)
adj() {
        inside cat "/proc/$1/oom_score_adj"
}
child=$(inside pgrep -P "$main" -f http.server)
[ -n "$child" ] || fail "no server under start.sh (pid $main)"
say "report-worker.service: start.sh pid $main at $(adj "$main"), its server pid $child at $(adj "$child")"
wait_age 2 "$main" "$child"

expect_finding wrapper-oom-unprotected
hf fix --dry-run --format json wrapper-oom-unprotected unmanaged-service
show_hf fix --dry-run --format json wrapper-oom-unprotected unmanaged-service
n=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if (a.get('path') or '').startswith('/etc/systemd/system/hostfit-')])")
[ "$n" = 0 ] || fail "the plan writes $n unit file(s) of hostfit's own for a process report-worker.service runs"
printf '%s' "$HF_OUT" | json "[a['path'] for a in d['actions'] if a['kind'] == 'write-file']" | grep -q "$DROPIN" ||
        fail "the plan has no drop-in $DROPIN"
hf fix --yes wrapper-oom-unprotected unmanaged-service
show_hf fix --yes wrapper-oom-unprotected unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat "$DROPIN" | sed "s/^/$SCEN_LOG_PREFIX   /"
[ "$(adj "$main")" = 100 ] || fail "start.sh has oom_score_adj $(adj "$main") after the fix, not 100"
inside_sh "ls /etc/systemd/system | grep -q '^hostfit-'" && fail "a unit of hostfit's own was written"
expect_pass wrapper-oom-unprotected

# At its next start the unit gives start.sh the shield from the drop-in; the server keeps its port.
inside systemctl restart report-worker.service || fail "systemctl restart report-worker.service failed"
wait_for 120 "$listening" || fail "report-worker does not listen after its restart"
main=$(unit_prop report-worker.service MainPID)
[ "$(adj "$main")" = 100 ] || fail "start.sh has oom_score_adj $(adj "$main") after the restart, not the drop-in's 100"
wait_age 2 "$main"
expect_pass wrapper-oom-unprotected
expect_pass unmanaged-service
expect_no_plan wrapper-oom-unprotected unmanaged-service
restarts=$(unit_prop report-worker.service NRestarts)
[ "$restarts" = 0 ] || fail "report-worker.service restarted $restarts times on its own"
pass "report-worker.service carries OOMScoreAdjust=100 in $DROPIN; no second unit; its server keeps port $PORT"
