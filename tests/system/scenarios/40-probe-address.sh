# SPDX-License-Identifier: MIT
# Scenario 40: health probes on the address a service listens on, run by the
# installed hostfit.  A service bound to a specific IPv4 address and one bound
# to ::1 are probed there (the old probe dialled 127.0.0.1 and restarted the
# first forever); a unit the admin stops is not started again (TryRestart); a
# hung one is restarted; the journal gets one line a state change, not one a
# probe.  hostfit is installed as the .deb puts it (/usr/bin/hostfit) and the
# units it writes run that binary for real: the probe timers and
# hostfit-check.service.
# bed: container
# needs: healthcheck-missing metrics-timer

need_checks healthcheck-missing metrics-timer
P4=8084 P6=8086 INTERVAL=2 FAILURES=2 ADDR4=10.0.0.5
HF=/usr/bin/hostfit
DIAG_UNITS="bound4.service bound6.service"

# A specific address on the container's own loopback device; 127.0.0.2 if that is refused.
inside ip addr add "$ADDR4/32" dev lo 2> /dev/null || ADDR4=127.0.0.2
inside cp /usr/local/sbin/hostfit "$HF"
inside "$HF" --version > /dev/null || fail "$HF does not run"

put /etc/hostfit/hostfit.conf <<CONF
[healthcheck]
interval = ${INTERVAL}s
failures = $FAILURES
timeout = 1s
http-path = bound4.service:/ bound6.service:/

[metrics]
timer = yes
CONF
# Answers until /run/NAME.hang exists; then accepts and never replies.
put /usr/local/bin/bound 0755 <<'PY'
#!/usr/bin/python3
import http.server, os, socket, sys, time
name, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        while os.path.exists("/run/%s.hang" % name):
            time.sleep(1)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
S((addr, port), H).serve_forever()
PY
unit() {
        put "/etc/systemd/system/$1.service" <<UNIT
[Unit]
Description=$1 (admin-written)

[Service]
ExecStart=/usr/local/bin/bound $1 $2 $3
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
}
unit bound4 "$ADDR4" $P4
unit bound6 ::1 $P6
inside systemctl daemon-reload
inside systemctl enable --now bound4.service bound6.service > /dev/null 2>&1 || fail "the services did not start"
wait_for 120 "ss -Hltn 'sport = :$P4' | grep -q '$ADDR4' && ss -Hltn 'sport = :$P6' | grep -q '::1'" ||
        fail "the services do not listen on $ADDR4:$P4 and [::1]:$P6"
say "listening: $(inside ss -Hltn "( sport = :$P4 or sport = :$P6 )" | awk '{ print $4 }' | tr '\n' ' ')"
inside_sh "! python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $P4), 1)' 2> /dev/null" ||
        fail "127.0.0.1:$P4 answers: the test would not tell the addresses apart"

hf check healthcheck-missing --format json
[ "$(check_status healthcheck-missing)" = warn ] || fail "check healthcheck-missing: expected warn"
HF_OUT=$(inside "$HF" fix --yes healthcheck-missing 2>&1); HF_RC=$?
[ "$HF_RC" -eq 0 ] || fail "$HF fix --yes exited $HF_RC"
# The probe units are what $HF writes: ask $HF (another binary would write its own path).
HF_OUT=$(inside "$HF" check healthcheck-missing --format json 2>&1); HF_RC=$?
[ "$(check_status healthcheck-missing)" = pass ] || fail "$HF check healthcheck-missing after the fix: $(check_status healthcheck-missing)"
HF_OUT=$(inside "$HF" fix --dry-run --format json healthcheck-missing 2>&1); HF_RC=$?
[ "$(printf '%s' "$HF_OUT" | json "len(d['actions'])")" = 0 ] || fail "a second $HF fix --dry-run plans actions"
t4=hostfit-health@bound4.service_$P4 t6=hostfit-health@bound6.service_$P6
DIAG_UNITS="bound4.service bound6.service $t4.service $t6.service"
exec_start=$(inside systemctl show -P ExecStart "$t4.service")
case "$exec_start" in
*"path=$HF ;"*) say "the probe unit runs $HF" ;;
*) fail "the probe unit does not run $HF: $exec_start" ;;
esac

# Healthy on their own addresses: several probes, no restart, no failure, one line each.
pid4=$(unit_prop bound4.service MainPID) pid6=$(unit_prop bound6.service MainPID)
since=$(inside date '+%Y-%m-%d %H:%M:%S')
wait_for 120 "grep -q '^0 up ' /run/hostfit/health/bound4.service.failures && grep -q '^0 up ' /run/hostfit/health/bound6.service.failures" ||
        fail "the probes did not see both services answer"
wait_timer_runs "$t4.timer" 6
wait_timer_runs "$t6.timer" 1
for u in bound4 bound6; do
        t=hostfit-health@$u.service_$P4
        [ $u = bound6 ] && t=$t6
        st=$(inside cat "/run/hostfit/health/$u.service.failures")
        case "$st" in "0 up "*) ;; *) fail "$t: state '$st' after healthy probes, expected '0 up …'" ;; esac
        [ "$(unit_prop "$t.service" ExecMainStatus)" = 0 ] || fail "$t: the last probe exited $(unit_prop "$t.service" ExecMainStatus)"
done
[ "$(unit_prop bound4.service MainPID)" = "$pid4" ] || fail "the probe restarted bound4.service, which answers on $ADDR4"
[ "$(unit_prop bound6.service MainPID)" = "$pid6" ] || fail "the probe restarted bound6.service, which answers on ::1"
lines=$(inside journalctl --no-pager -o cat --since "$since" -u "$t4.service" -u "$t6.service" | grep -c .)
runs=6
inside journalctl --no-pager -o cat -u "$t4.service" -u "$t6.service" | sed "s/^/$SCEN_LOG_PREFIX   journal: /"
[ "$lines" -le 2 ] || fail "$lines journal lines from about $((runs * 2)) healthy probes; expected at most one a unit"
say "healthy: $lines journal lines from about $((runs * 2)) probes of $ADDR4:$P4 and [::1]:$P6"

# The admin stops bound4: it is not probed and not started, for many probe runs.
inside systemctl stop bound4.service
since=$(inside date '+%Y-%m-%d %H:%M:%S')
wait_for 120 "journalctl --no-pager -o cat --since '$since' -u $t4.service | grep -q 'not started'" ||
        fail "no 'not started' line for the stopped bound4.service"
# Then FAILURES + 2 more runs of its timer, however long the machine takes for them.
runs=$((FAILURES + 2))
wait_timer_runs "$t4.timer" "$runs"
[ "$(unit_prop bound4.service ActiveState)" = inactive ] ||
        fail "bound4.service, stopped by the admin, is $(unit_prop bound4.service ActiveState)"
stopped=$(inside journalctl --no-pager -o cat --since "$since" -u "$t4.service")
printf '%s\n' "$stopped" | sed "s/^/$SCEN_LOG_PREFIX   journal: /"
[ "$(printf '%s\n' "$stopped" | grep -c 'not started')" = 1 ] || fail "expected one 'not started' line for the stopped bound4.service"
say "bound4.service stopped by the admin: still inactive after $runs more probe runs, one journal line"

# bound6 hangs: try-restarted (it runs), with a line when it stops answering and one for the restart.
since=$(inside date '+%Y-%m-%d %H:%M:%S')
inside touch /run/bound6.hang
limit=180    # generous: a loaded machine runs the timer late
wait_for "$limit" "p=\$(systemctl show -P MainPID bound6.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid6 ]" ||
        fail "the hung bound6.service was not restarted within $limit s"
inside rm -f /run/bound6.hang
wait_for 120 "grep -q '^0 up ' /run/hostfit/health/bound6.service.failures" || fail "bound6.service is not seen answering again"
hung=$(inside journalctl --no-pager -o cat --since "$since" -u "$t6.service")
printf '%s\n' "$hung" | sed "s/^/$SCEN_LOG_PREFIX   journal: /"
printf '%s\n' "$hung" | grep -q 'try-restarted bound6.service' || fail "the journal does not say bound6.service was restarted"
n=$(printf '%s\n' "$hung" | grep -c .)
[ "$n" -le 4 ] || fail "$n journal lines for one hang and restart; expected one a state change"
say "hung bound6.service restarted; $n journal lines (down, restarted, up)"

# hostfit-check.service, written by $HF, runs $HF for real.
HF_OUT=$(inside "$HF" fix --yes metrics-timer 2>&1); HF_RC=$?
[ "$HF_RC" -eq 0 ] || fail "$HF fix --yes metrics-timer exited $HF_RC"
grep_exec=$(inside systemctl show -P ExecStart hostfit-check.service)
case "$grep_exec" in
*"path=$HF ;"*) ;;
*) fail "hostfit-check.service does not run $HF: $grep_exec" ;;
esac
DIAG_UNITS=hostfit-check.service
inside systemctl start hostfit-check.service || fail "hostfit-check.service failed"
[ "$(unit_prop hostfit-check.service Result)" = success ] || fail "hostfit-check.service: $(unit_prop hostfit-check.service Result)"
inside test -s /var/lib/prometheus/node-exporter/hostfit.prom || fail "hostfit-check.service wrote no metrics"
# The units are what this hostfit writes; another binary (/usr/local/sbin/hostfit) would write its own path.
HF_OUT=$(inside "$HF" check metrics-timer --format json 2>&1); HF_RC=$?
[ "$(check_status metrics-timer)" = pass ] || fail "$HF check metrics-timer after the fix: $(check_status metrics-timer)"
hf check metrics-timer --format json
[ "$(check_status metrics-timer)" = warn ] || fail "/usr/local/sbin/hostfit check metrics-timer: expected warn (its own path differs)"
say "hostfit-check.service ran $HF: metrics written; $HF check passes, /usr/local/sbin/hostfit's says the unit is not its own"
pass "probes on $ADDR4:$P4 and [::1]:$P6; a stopped unit left stopped; installed units run $HF"
