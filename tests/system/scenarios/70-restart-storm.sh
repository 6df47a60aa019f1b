# SPDX-License-Identifier: MIT
# Scenario 70: an admin's Restart=always unit that exits 1 at once spends the
# default start limit (5 starts in 10 s at 100 ms) and stays down.  hostfit
# reports it; after the fix and the admin's start it restarts every 5 s for a
# minute without hitting the start limit, and the storm is still named.
# bed: container
# needs: restart-storm

need_checks restart-storm
DIAG_UNITS=crashy.service

put /etc/systemd/system/crashy.service <<'UNIT'
[Unit]
Description=Crashes at once (admin-written)

[Service]
ExecStart=/bin/sh -c 'exit 1'
Restart=always
UNIT
inside systemctl daemon-reload
inside systemctl start crashy.service
wait_for 30 "[ \"\$(systemctl show -P ActiveState crashy.service)\" = failed ] && [ \"\$(systemctl show -P NRestarts crashy.service)\" -ge 4 ]" ||
        fail "crashy.service did not reach its start limit"
say "crashy.service: $(unit_prop crashy.service ActiveState)/$(unit_prop crashy.service Result) after $(unit_prop crashy.service NRestarts) restarts"

expect_finding restart-storm
hf check restart-storm --verbose
show_hf check restart-storm --verbose
printf '%s' "$HF_OUT" | grep -q "crashy.service.*stuck at its start limit" || fail "the start limit is not named"
printf '%s' "$HF_OUT" | grep -q "Restart=always every 100 ms spends the default start limit" || fail "the policy is not named"

hf fix --yes restart-storm
show_hf fix --yes restart-storm
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
dropin=/etc/systemd/system/crashy.service.d/50-hostfit-restart.conf
inside cat "$dropin" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside systemd-analyze verify crashy.service > /dev/null 2>&1 || fail "systemd-analyze verify crashy.service failed"
[ "$(unit_prop crashy.service RestartUSec)" = 5s ] || fail "RestartSec is $(unit_prop crashy.service RestartUSec) after the reload"
[ "$(unit_prop crashy.service ActiveState)" = failed ] || fail "the fix restarted crashy.service"
expect_no_plan restart-storm

# The admin's step: start it again.
inside systemctl reset-failed crashy.service
since=$(inside date +%s)
inside systemctl start crashy.service
sleep 62
res=$(unit_prop crashy.service Result) n=$(unit_prop crashy.service NRestarts)
[ "$res" != start-limit-hit ] && inside_sh "! journalctl -u crashy.service --since @$since | grep -q 'Start request repeated too quickly'" ||
        fail "crashy.service hit its start limit again"
[ "$n" -ge 9 ] && [ "$n" -le 13 ] || fail "NRestarts=$n in 62 s, expected about 12 at 5 s"
gaps=$(inside journalctl --no-pager -o short-unix -u crashy.service --since "@$since" |
        awk '/Scheduled restart job/ { t = $1 + 0; if (p) printf "%.1f ", t - p; p = t }')
say "gaps between restarts (s): $gaps"
for g in $gaps; do
        awk -v g="$g" 'BEGIN { exit !(g >= 4.5 && g <= 7) }' || fail "a restart $g s after the last one, expected 5"
done
[ -n "$gaps" ] || fail "no restart in the journal"
expect_finding restart-storm
printf '%s' "$HF_OUT" | grep -q "spends the default start limit" && fail "the policy is still reported after the fix"
printf '%s' "$HF_OUT" | grep -q "restarted $n times\|restarted 1[0-9] times" || fail "the storm is not named"
expect_no_plan restart-storm
ms=$(inside python3 -c 'import subprocess, time; t = time.time(); subprocess.run(["hostfit", "check", "restart-storm"], capture_output=True); print(round((time.time() - t) * 1000))')
say "hostfit check restart-storm: $ms ms for $(inside systemctl list-units --type=service --all --no-legend | wc -l) loaded services"
pass "restarts every 5 s, NRestarts=$n in 62 s, no start-limit-hit"
