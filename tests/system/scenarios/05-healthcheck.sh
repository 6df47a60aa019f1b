# SPDX-License-Identifier: MIT
# Scenario 5: a service listening on a port, with no watchdog and no health
# probe.  After the fix, when it stops answering (still running), the
# installed timer restarts it within the configured number of intervals, and
# the journal says why.
# bed: container
# needs: healthcheck-missing

need_checks healthcheck-missing
PORT=8082 INTERVAL=3 FAILURES=2
DIAG_UNITS=api.service

put /etc/hostfit/hostfit.conf <<CONF
[healthcheck]
interval = ${INTERVAL}s
failures = $FAILURES
timeout = 1s
# A hung server still completes the TCP handshake: ask it for a page.
http-path = api.service:/
CONF
# Answers until /run/api/hang exists; then it accepts and never replies,
# the way a deadlocked server does.
put /usr/local/bin/api 0755 <<'PY'
#!/usr/bin/python3
import http.server, os, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        while os.path.exists("/run/api/hang"):
            time.sleep(1)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
put /etc/systemd/system/api.service <<UNIT
[Unit]
Description=API server (admin-written)

[Service]
ExecStart=/usr/local/bin/api $PORT
Restart=on-failure
RuntimeDirectory=api
RuntimeDirectoryPreserve=yes
MemoryMax=256M

[Install]
WantedBy=multi-user.target
UNIT
inside systemctl daemon-reload
inside systemctl enable --now api.service || fail "api.service did not start"
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "api.service does not listen on $PORT"

expect_finding healthcheck-missing
fix_and_verify healthcheck-missing
timer=$(inside systemctl list-units --all --no-legend --plain 'hostfit-health@*.timer' | awk '{ print $1; exit }')
[ -n "$timer" ] || fail "no hostfit-health@ timer is loaded after the fix"
DIAG_UNITS="api.service $timer ${timer%.timer}.service"
inside systemctl is-active -q "$timer" || fail "$timer is not active"
say "$timer: next run $(unit_prop "$timer" NextElapseUSecMonotonic)"

# Healthy: a few probe runs (counted, however long they take) pass without a restart.
restarts=$(unit_prop api.service NRestarts) pid=$(unit_prop api.service MainPID)
wait_timer_runs "$timer" 3
[ "$(unit_prop api.service MainPID)" = "$pid" ] || fail "the probe restarted a healthy api.service"

inside touch /run/api/hang
t0=$(date +%s)
limit=$((INTERVAL * (FAILURES + 2) + 180))    # generous: a loaded machine runs the timer late
wait_for "$limit" "p=\$(systemctl show -P MainPID api.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ]" ||
        fail "the hung api.service was not restarted within $limit s"
inside rm -f /run/api/hang
say "restarted $(( $(date +%s) - t0 )) s after it stopped answering (limit $limit s)"
why=$(inside journalctl --no-pager -o cat -u "${timer%.timer}.service" | grep -iv '^\(Starting\|Finished\|Started\)' | tail -n 5)
printf '%s\n' "$why" | sed "s/^/$SCEN_LOG_PREFIX   journal: /"
printf '%s' "$why" | grep -qi 'restart' || fail "the probe's journal does not say why it restarted api.service"
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "api.service does not listen again"
pass "hung api.service restarted by $timer"
