# SPDX-License-Identifier: MIT
# Scenario 80: fix swap, zram and a memory drop-in on a live host, then undo
# the run: swap is off, the swap file gone, the fstab as before, zram's config and
# the drop-in as before, nothing failed; the journal shows each change under hostfit's
# MESSAGE_ID, and etckeeper's history in /etc the commits around both runs.
# The metrics timer hostfit enabled and started is stopped and disabled; the
# admin's service it only limited keeps running, enabled.
# bed: vm
# needs: swap-missing zram-missing unit-memorymax metrics-timer

CHECKS="swap-missing zram-missing unit-memorymax metrics-timer"
need_checks $CHECKS
MSGID=6fa71775c79a45be9ba00d192386294d
DIAG_UNITS="app.service dev-zram0.swap systemd-zram-setup@zram0.service hostfit-check.timer hostfit-check.service"

inside_sh 'test -e /etc/.etckeeper && command -v etckeeper' > /dev/null || fail "etckeeper does not track /etc in the tree"
[ -z "$(inside swapon --show --noheadings)" ] || fail "the bed already has swap"
put /etc/systemd/system/app.service <<'UNIT'
[Unit]
Description=An admin's service with no memory limit

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT
put /etc/hostfit/hostfit.conf <<'CONF'
[metrics]
timer = yes

# Not about sizing: a unit started a moment ago may be sized now.
[unit-memorymax]
min-uptime = 0
CONF
inside mkdir -p /var/lib/prometheus/node-exporter
inside systemctl daemon-reload
inside systemctl enable --now app.service > /dev/null 2>&1 || fail "app.service did not start"
fstab_before=$(inside sha256sum /etc/fstab)
zram_before=$(inside_sh 'sha256sum /etc/systemd/zram-generator.conf 2>/dev/null')
etc_commits=$(inside git -C /etc rev-list --count HEAD)
for id in $CHECKS; do
        expect_finding $id
done

hf fix --yes $CHECKS
show_hf fix --yes
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
for id in $CHECKS; do
        expect_pass $id
done
inside systemctl is-active -q hostfit-check.timer || fail "hostfit-check.timer is not active after the fix"
# The service the timer runs, run once now (Type=oneshot: start returns when it has ended).
inside systemctl start hostfit-check.service || fail "hostfit-check.service failed"
[ "$(unit_prop hostfit-check.service Result)" = success ] ||
        fail "hostfit-check.service: Result=$(unit_prop hostfit-check.service Result)"
inside test -s /var/lib/prometheus/node-exporter/hostfit.prom || fail "hostfit-check.service wrote no metrics"
say "hostfit-check.service: $(unit_prop hostfit-check.service Result), $(inside grep -c '^hostfit_check_status.* 1$' /var/lib/prometheus/node-exporter/hostfit.prom) check states in hostfit.prom"
inside journalctl --no-pager -o cat -u hostfit-check.service | tail -n 5 | sed "s/^/$SCEN_LOG_PREFIX   /"
stamp=$(inside ls /var/lib/hostfit/runs | sed -n 's/\.json$//p')
[ "$(echo "$stamp" | wc -w)" = 1 ] || fail "expected one run record, found: $stamp"
record=$(inside cat "/var/lib/hostfit/runs/$stamp.json")
applied=$(printf '%s' "$record" | json "len([a for a in d['actions'] if a['outcome'] == 'applied'])")
swapfile=$(printf '%s' "$record" | json "[a['path'] for a in d['actions'] if a['kind'] == 'swapfile'][0]")
say "run $stamp: $applied actions applied, swap file $swapfile"
hf history
show_hf history

# The journal: one entry per applied action, under hostfit's MESSAGE_ID.
inside journalctl --flush 2> /dev/null
n=$(inside journalctl --no-pager -o cat MESSAGE_ID=$MSGID HOSTFIT_RUN=$stamp | wc -l)
inside journalctl --no-pager -o cat MESSAGE_ID=$MSGID HOSTFIT_RUN=$stamp | sed "s/^/$SCEN_LOG_PREFIX   /"
[ "$n" = "$applied" ] || fail "journalctl MESSAGE_ID=$MSGID shows $n entries for run $stamp, expected $applied"
inside_sh "journalctl --no-pager -o export MESSAGE_ID=$MSGID HOSTFIT_RUN=$stamp | grep -qx 'HOSTFIT_PATH=/etc/fstab'" ||
        fail "no journal entry names HOSTFIT_PATH=/etc/fstab"

hf undo --dry-run
show_hf undo --dry-run
hf undo --yes
show_hf undo --yes
[ "$HF_RC" -eq 0 ] || fail "undo --yes exited $HF_RC"

[ -z "$(inside swapon --show --noheadings)" ] || fail "swap is still on after undo: $(inside swapon --show --noheadings)"
inside test -e "$swapfile" && fail "$swapfile is still there"
[ "$(inside sha256sum /etc/fstab)" = "$fstab_before" ] || fail "/etc/fstab is not as before"
[ "$(inside_sh 'sha256sum /etc/systemd/zram-generator.conf 2>/dev/null')" = "$zram_before" ] ||
        fail "/etc/systemd/zram-generator.conf is not as before"
inside_sh 'ls -d /etc/systemd/system/app.service.d 2>/dev/null' && fail "the drop-in directory of app.service is still there"
[ "$(unit_prop app.service DropInPaths | tr ' ' '\n' | grep -c '^/etc/')" = 0 ] || fail "app.service still has a drop-in in /etc"
failed=$(inside systemctl --failed --no-legend --plain)
[ -z "$failed" ] || fail "failed units after undo: $failed"
inside_sh 'systemctl is-active -q dev-zram0.swap' && fail "dev-zram0.swap is still active"
inside systemctl is-active -q app.service || fail "app.service did not keep running"
[ "$(inside systemctl is-enabled app.service)" = enabled ] || fail "app.service, enabled by the admin, is no longer enabled"
inside_sh 'systemctl is-active -q hostfit-check.timer' && fail "hostfit-check.timer is still active"
inside_sh 'ls /etc/systemd/system/hostfit-check.* /etc/systemd/system/timers.target.wants/hostfit-check.timer 2>/dev/null' &&
        fail "hostfit-check's units or enable link are still there"
for id in swap-missing zram-missing metrics-timer; do
        expect_finding $id
done
say "after undo: $(inside systemctl status --no-pager 2>&1 | sed -n 's/^ *State: //p'), swap off, fstab as before"

n=$(inside journalctl --no-pager -o cat MESSAGE_ID=$MSGID HOSTFIT_UNDO=$stamp | wc -l)
[ "$n" -gt 0 ] || fail "the journal shows no change of the undo of $stamp"
say "journal: $n changes of the undo of $stamp"

log=$(inside git -C /etc log --format=%s -n $(( $(inside git -C /etc rev-list --count HEAD) - etc_commits )))
printf '%s\n' "$log" | sed "s/^/$SCEN_LOG_PREFIX   git: /"
printf '%s\n' "$log" | grep -q "^hostfit: before fix $stamp\$" || fail "etckeeper has no commit before the fix"
printf '%s\n' "$log" | grep -q "^hostfit fix $stamp: " || fail "etckeeper has no commit of the fix"
printf '%s\n' "$log" | grep -q "^hostfit undo .*: took back $stamp\$" || fail "etckeeper has no commit of the undo"

hf undo --yes
printf '%s' "$HF_OUT" | grep -qx 'no run to undo' || fail "a second undo did something: $HF_OUT"
pass "run $stamp undone: swap off, $swapfile gone, fstab as before, no failed unit; $applied changes in the journal"
