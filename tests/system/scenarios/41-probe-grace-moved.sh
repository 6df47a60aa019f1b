# SPDX-License-Identifier: MIT
# Scenario 41: the health probe's start-up grace and a moved port, on a real
# systemd.  slow.service needs 40 s to listen after a start (a JVM): probed
# every 2 s with 2 failures allowed, it is not restarted before it answers
# (grace: its TimeoutStartSec=, 90 s) and comes up.  moved.service is moved by
# its admin from one port to another: the old probe never restarts it, says
# so once, and healthcheck-missing reports the stale timer; the fix removes
# it and probes the new port.
# bed: container
# needs: healthcheck-missing

need_checks healthcheck-missing
P_SLOW=8091 P_OLD=8092 P_NEW=8093 SLOW=40
HF=/usr/bin/hostfit
DIAG_UNITS="slow.service moved.service"
inside cp /usr/local/sbin/hostfit "$HF"

put /etc/hostfit/hostfit.conf <<'CONF'
[healthcheck]
interval = 2s
failures = 2
timeout = 1s
CONF
# Listens on PORT; when /run/NAME.slow exists, only after DELAY seconds.
put /usr/local/bin/tcpserver 0755 <<'PY'
#!/usr/bin/python3
import os, socket, sys, time
name, port, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if os.path.exists("/run/%s.slow" % name):
    time.sleep(delay)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
while True:
    c, _ = s.accept()
    c.close()
PY
put /etc/systemd/system/slow.service <<UNIT
[Service]
ExecStart=/usr/local/bin/tcpserver slow $P_SLOW $SLOW
Restart=on-failure
UNIT
put /etc/systemd/system/moved.service <<UNIT
[Service]
ExecStart=/usr/local/bin/tcpserver moved $P_OLD 0
Restart=on-failure
UNIT
inside systemctl daemon-reload
inside systemctl start slow.service moved.service || fail "the services did not start"
wait_for 120 "ss -Hltn 'sport = :$P_SLOW' | grep -q . && ss -Hltn 'sport = :$P_OLD' | grep -q ." || fail "the services do not listen"

HF_OUT=$(inside "$HF" fix --yes healthcheck-missing 2>&1); HF_RC=$?
[ "$HF_RC" -eq 0 ] || fail "$HF fix --yes exited $HF_RC"
ts=hostfit-health@slow.service_$P_SLOW to=hostfit-health@moved.service_$P_OLD
DIAG_UNITS="slow.service moved.service $ts.service $to.service"
wait_for 120 "grep -q '^0 up ' /run/hostfit/health/slow.service.failures && grep -q '^0 up ' /run/hostfit/health/moved.service.failures" ||
        fail "the probes did not see both services answer"

# slow.service restarted by its admin, now slow to listen: the probe waits for it.
inside touch /run/slow.slow
since=$(inside date '+%Y-%m-%d %H:%M:%S')
inside systemctl restart slow.service
pid=$(unit_prop slow.service MainPID)
wait_for 120 "journalctl --no-pager -o cat --since '$since' -u $ts.service | grep -q 'start-up grace'" ||
        fail "the probe did not say it waits for slow.service"
wait_for 240 "ss -Hltn 'sport = :$P_SLOW' | grep -q . && grep -q '^0 up ' /run/hostfit/health/slow.service.failures" ||
        fail "slow.service did not come up under the probe"
[ "$(unit_prop slow.service MainPID)" = "$pid" ] || fail "the probe restarted slow.service before it could listen"
inside journalctl --no-pager -o cat --since "$since" -u "$ts.service" | sed "s/^/$SCEN_LOG_PREFIX   journal: /"
inside_sh "journalctl --no-pager -o cat --since '$since' -u $ts.service | grep -q try-restarted" &&
        fail "the probe try-restarted slow.service"
say "slow.service came up after its slow start, not restarted (pid $pid)"

# moved.service moved to another port by its admin.
since=$(inside date '+%Y-%m-%d %H:%M:%S')
inside sed -i "s/ $P_OLD 0/ $P_NEW 0/" /etc/systemd/system/moved.service
inside systemctl daemon-reload
inside systemctl restart moved.service
pid=$(unit_prop moved.service MainPID)
wait_for 120 "ss -Hltn 'sport = :$P_NEW' | grep -q ." || fail "moved.service does not listen on $P_NEW"
wait_for 180 "journalctl --no-pager -o cat --since '$since' -u $to.service | grep -q 'no longer listens on port $P_OLD'" ||
        fail "the old probe did not say moved.service left port $P_OLD"
# Several more runs of the old timer: still no restart.
wait_timer_runs "$to.timer" 4
[ "$(unit_prop moved.service MainPID)" = "$pid" ] || fail "the old probe restarted moved.service"
n=$(inside journalctl --no-pager -o cat --since "$since" -u "$to.service" | grep -c 'no longer listens')
[ "$n" = 1 ] || fail "$n lines about the moved port, expected one"

HF_OUT=$(inside "$HF" check healthcheck-missing --verbose 2>&1); HF_RC=$?
show_hf check healthcheck-missing --verbose
printf '%s' "$HF_OUT" | grep -q "its probe timer $to.timer is stale: it probes port $P_OLD, where the unit no longer listens (it listens on $P_NEW)" ||
        fail "the stale timer is not reported"
HF_OUT=$(inside "$HF" fix --yes healthcheck-missing 2>&1); HF_RC=$?
show_hf fix --yes healthcheck-missing
[ "$HF_RC" -eq 0 ] || fail "$HF fix --yes exited $HF_RC"
inside systemctl is-active -q "$to.timer" && fail "the stale $to.timer still runs"
inside systemctl is-enabled -q "$to.timer" 2> /dev/null && fail "the stale $to.timer is still enabled"
inside systemctl is-active -q "hostfit-health@moved.service_$P_NEW.timer" || fail "the new port has no probe"
HF_OUT=$(inside "$HF" check healthcheck-missing --format json 2>&1); HF_RC=$?
[ "$(check_status healthcheck-missing)" = pass ] || fail "check healthcheck-missing after the fix: $(check_status healthcheck-missing)"
HF_OUT=$(inside "$HF" fix --dry-run --format json healthcheck-missing 2>&1); HF_RC=$?
[ "$(printf '%s' "$HF_OUT" | json "len(d['actions'])")" = 0 ] || fail "a second fix --dry-run plans actions"
pass "a 40 s start comes up under the probe; a moved port is not restarted, reported, and its probe replaced"
