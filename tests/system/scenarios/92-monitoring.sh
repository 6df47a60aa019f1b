# SPDX-License-Identifier: MIT
# Scenario 92: hostfit's monitoring outputs read by their real consumers in
# the booted container.  Nagios Core 4 runs `hostfit check --format nagios`
# as a service check: the state, the status line, the long output and the
# performance data it records are hostfit's.  hostfit fix metrics-timer
# installs hostfit-check.timer; its service, run by systemd, writes the
# textfile that node_exporter (Debian's prometheus-node-exporter) serves.
# bed: container
# needs: metrics-timer

need_checks metrics-timer
DIAG_UNITS="nagios4.service prometheus-node-exporter.service hostfit-check.service"

# ---- Nagios Core
need_bed_command nagios4 nagios4-core
put /etc/nagios4/conf.d/hostfit.cfg <<'CFG'
define command {
    command_name    check_hostfit
    command_line    /usr/local/sbin/hostfit check --format nagios -v -t 50
}
define service {
    use                     generic-service
    host_name               localhost
    service_description     hostfit
    check_command           check_hostfit
}
CFG
inside nagios4 -v /etc/nagios4/nagios.cfg > "$SYS_WORK/nagios-verify" 2>&1 ||
        { sed "s/^/$SCEN_LOG_PREFIX   /" "$SYS_WORK/nagios-verify"; fail "nagios4 -v rejects the configuration"; }
inside systemctl start nagios4.service || fail "nagios4 does not start"
nagios_check hostfit || fail "nagios4 never ran the hostfit check"
st=$NAGIOS_STATUS
printf '%s\n' "$st" | grep 'current_state\|plugin_output\|performance_data' | sed "s/^/$SCEN_LOG_PREFIX   /"
field() { nagios_field "$1"; }
# What hostfit says when the nagios user runs it by hand, the same way.
want=$(inside runuser -u nagios -- /usr/local/sbin/hostfit check --format nagios -v -t 50); want_rc=$?
want_line=$(printf '%s\n' "$want" | head -n 1)
[ "$(field current_state)" = "$want_rc" ] || fail "Nagios state $(field current_state), hostfit exits $want_rc"
[ "$(field plugin_output)" = "${want_line%% | *}" ] || fail "Nagios recorded '$(field plugin_output)', hostfit printed '${want_line%% | *}'"
[ "$(field performance_data)" = "${want_line#* | }" ] || fail "Nagios perfdata '$(field performance_data)' is not hostfit's '${want_line#* | }'"
nlong=$(printf '%s\n' "$want" | tail -n +2 | wc -l)
if [ "$nlong" -gt 0 ]; then
        printf '%s' "$(field long_plugin_output)" | grep -q "$(printf '%s\n' "$want" | sed -n 2p | cut -c1-20)" ||
                fail "Nagios dropped the long output"
fi
say "Nagios: state $want_rc, output, perfdata and $nlong long-output line(s) as hostfit printed them"

# ---- node_exporter and the metrics timer
PROM=/var/lib/prometheus/node-exporter/hostfit.prom
inside systemctl start prometheus-node-exporter.service || fail "node_exporter does not start"
put /etc/hostfit/hostfit.conf <<'CONF'
[metrics]
timer = yes
CONF
hf fix --yes metrics-timer
show_hf fix --yes metrics-timer
[ "$HF_RC" -eq 0 ] || fail "fix metrics-timer exited $HF_RC"
inside systemctl is-enabled hostfit-check.timer > /dev/null || fail "hostfit-check.timer is not enabled"
inside systemctl start hostfit-check.timer || fail "hostfit-check.timer does not start"
inside systemctl start hostfit-check.service || fail "hostfit-check.service failed"
scrape() {
        inside python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=5).read().decode())'
}
wait_for 120 'python3 -c "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:9100/metrics\", timeout=2)"' ||
        fail "node_exporter does not answer on :9100"
m=$(scrape)
printf '%s\n' "$m" | grep '^hostfit_' | head -n 8 | sed "s/^/$SCEN_LOG_PREFIX   /"
printf '%s\n' "$m" | grep -q '^hostfit_last_run_success 1$' || fail "node_exporter does not export hostfit_last_run_success 1"
printf '%s\n' "$m" | grep -q '^hostfit_build_info{version="' || fail "no hostfit_build_info"
printf '%s\n' "$m" | grep -q '^hostfit_check_status{check="metrics-timer",impact="[a-z]*",status="pass"} 1$' ||
        fail "node_exporter does not export metrics-timer passing"
printf '%s\n' "$m" | grep -q '^node_textfile_scrape_error 0$' || fail "node_exporter could not read the textfile"
# A run that cannot read its configuration keeps the series and says it failed.
put /etc/hostfit/hostfit.conf <<'CONF'
[metrics]
timer = yes
no-such-key = 1
CONF
inside systemctl start hostfit-check.service && fail "hostfit-check.service succeeded with a broken configuration"
m=$(scrape)
printf '%s\n' "$m" | grep -q '^hostfit_last_run_success 0$' || fail "a failed run is not exported as hostfit_last_run_success 0"
printf '%s\n' "$m" | grep -q '^hostfit_check_status{check="metrics-timer"' || fail "a failed run lost the last good series"
pass "Nagios and node_exporter read hostfit's outputs as hostfit wrote them"
