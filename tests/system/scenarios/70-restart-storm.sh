# SPDX-License-Identifier: MIT
# Scenario 70: an admin's Restart=always unit that exits 1 at once, every 5 s
# (RestartSec=5s never fills the default start limit of 5 in 10 s), restarts
# without end on systemd 252.  hostfit reports the rate from the journal,
# confirmed by the manager; after the fix (RestartSec=10s and a start limit
# of max-restarts an hour, nothing restarted) the check passes on hostfit's
# own drop-in, the unit ends: failed after a bounded number of tries, and it
# stays failed.  The admin's Restart=always is kept.  On systemd 254 and
# later (trixie's 257) the fix backs off instead (RestartSteps= up to a
# RestartMaxDelaySec= the rate allows, no start limit): the manager takes
# both and the next restart waits longer than the admin's RestartSec=.
# bed: container trixie
# needs: restart-storm

need_checks restart-storm
DIAG_UNITS=crashy.service
MAX=3           # restarts an hour hostfit lets pass; a low bar so the storm shows in seconds

put /etc/hostfit/hostfit.conf <<CONF
[restart-storm]
max-restarts = $MAX
CONF
put /etc/systemd/system/crashy.service <<'UNIT'
[Unit]
Description=Crashes at once (admin-written)

[Service]
ExecStart=/bin/sh -c 'exit 1'
Restart=always
RestartSec=5s
UNIT
inside systemctl daemon-reload
inside systemctl start crashy.service
wait_for 180 "[ \"\$(systemctl show -P NRestarts crashy.service)\" -gt $((MAX + 1)) ]" ||
        fail "crashy.service did not restart $((MAX + 2)) times"
say "crashy.service: $(unit_prop crashy.service ActiveState)/$(unit_prop crashy.service SubState) after $(unit_prop crashy.service NRestarts) restarts"

expect_finding restart-storm
hf check restart-storm --verbose
show_hf check restart-storm --verbose
printf '%s' "$HF_OUT" | grep -q "crashy.service.*restarted [0-9]* times in the last hour while the manager still restarts it" ||
        fail "the storm is not named as a rate"
printf '%s' "$HF_OUT" | grep -q "Restart=always, RestartSec=5s, start limit 5 in 10s (the manager's default)" ||
        fail "the settings that let it storm are not named"

hf fix --yes restart-storm
show_hf fix --yes restart-storm
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
n_fix=$(unit_prop crashy.service NRestarts)
dropin=/etc/systemd/system/crashy.service.d/50-hostfit-restart.conf
inside cat "$dropin" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside_sh "grep -q '^Restart=' $dropin" && fail "the drop-in sets Restart=: the admin's always is not kept"
inside systemd-analyze verify crashy.service > /dev/null 2>&1 || fail "systemd-analyze verify crashy.service failed"
[ "$(unit_prop crashy.service Restart)" = always ] || fail "Restart is $(unit_prop crashy.service Restart) after the fix"
sdv=$(inside systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
say "systemd $sdv"
if [ "${sdv:-0}" -ge 254 ]; then
        steps=$(inside sed -n 's/^RestartSteps=//p' "$dropin")
        [ -n "$steps" ] || fail "systemd $sdv: the drop-in has no RestartSteps="
        inside_sh "grep -q '^RestartMaxDelaySec=' $dropin" || fail "systemd $sdv: the drop-in has no RestartMaxDelaySec="
        inside_sh "grep -q '^StartLimit' $dropin" && fail "systemd $sdv: the drop-in sets a start limit beside RestartSteps="
        [ "$(unit_prop crashy.service RestartSteps)" = "$steps" ] ||
                fail "the manager's RestartSteps is $(unit_prop crashy.service RestartSteps), the drop-in's $steps"
        [ "$(unit_prop crashy.service RestartUSec)" = 5s ] || fail "RestartSec is $(unit_prop crashy.service RestartUSec): the admin's 5s not kept"
        say "RestartSteps=$steps RestartMaxDelayUSec=$(unit_prop crashy.service RestartMaxDelayUSec)"
        expect_pass restart-storm
        expect_no_plan restart-storm
        # The back-off shows: a later restart waits longer than the admin's 5s.
        wait_for 300 "n=\$(systemctl show -P RestartUSecNext crashy.service); [ -n \"\$n\" ] && [ \"\$n\" != 5s ] && [ \"\$n\" != infinity ]" ||
                fail "no back-off: RestartUSecNext is $(unit_prop crashy.service RestartUSecNext) after $(unit_prop crashy.service NRestarts) restarts"
        say "crashy.service: next restart in $(unit_prop crashy.service RestartUSecNext) after $(unit_prop crashy.service NRestarts) restarts"
        expect_pass restart-storm
        expect_no_plan restart-storm
        pass "systemd $sdv: RestartSteps=$steps backs the failing start off; Restart=always and RestartSec=5s kept"
fi
[ "$(unit_prop crashy.service RestartUSec)" = 10s ] || fail "RestartSec is $(unit_prop crashy.service RestartUSec) after the reload"
[ "$(unit_prop crashy.service StartLimitBurst)" = "$MAX" ] || fail "StartLimitBurst is $(unit_prop crashy.service StartLimitBurst)"
[ "$(unit_prop crashy.service StartLimitIntervalUSec)" = 1h ] || fail "StartLimitIntervalSec is $(unit_prop crashy.service StartLimitIntervalUSec)"
# Check and fix agree: hostfit's own drop-in passes while the storm is still in the journal.
expect_pass restart-storm
expect_no_plan restart-storm

# It ends: failed within a bounded number of tries (the burst, and the start that found the limit spent).
wait_for 300 "[ \"\$(systemctl show -P ActiveState crashy.service)\" = failed ]" ||
        fail "crashy.service still restarts: $(unit_prop crashy.service NRestarts) restarts"
n_end=$(unit_prop crashy.service NRestarts)
say "crashy.service: failed ($(unit_prop crashy.service Result)) after $n_end restarts, $n_fix at the fix"
[ "$n_end" -le $((n_fix + MAX + 1)) ] || fail "$((n_end - n_fix)) restarts after the fix, more than the burst of $MAX"
inside_sh "journalctl -u crashy.service --no-pager | grep -q 'Start request repeated too quickly'" ||
        fail "the start limit did not end it"
# It stays failed: well past RestartSec= nothing has started it again.
# (Counted, not --since a second: the last scheduled restart shares the second of the failure.)
scheduled=$(inside_sh "journalctl -u crashy.service --no-pager -q | grep -c 'Scheduled restart job'")
wait_for 40 "[ \$(journalctl -u crashy.service --no-pager -q | grep -c 'Scheduled restart job') -gt $scheduled ]" &&
        fail "crashy.service restarted after it failed at its start limit"
[ "$(unit_prop crashy.service ActiveState)" = failed ] || fail "crashy.service is $(unit_prop crashy.service ActiveState)"
[ "$(unit_prop crashy.service NRestarts)" = "$n_end" ] || fail "NRestarts moved after the end"
hf check restart-storm --verbose
show_hf check restart-storm --verbose
printf '%s' "$HF_OUT" | grep -q "crashy.service failed at every start and stays failed after" || fail "the end is not said"
expect_pass restart-storm
expect_no_plan restart-storm
pass "a failing start ended after $((n_end - n_fix)) tries since the fix; Restart=always kept"
