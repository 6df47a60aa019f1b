# SPDX-License-Identifier: MIT
# Scenario 81: undo after the hand-over.  A server started by hand gets its unit
# from `fix --yes`; the admin does the printed hand-over (stop the process,
# `systemctl enable --now` the unit); then `undo --yes` stops and disables the
# unit before it removes its file: no unit is left running without its file
# ("not-found active"), no enable link stays behind, no unit is failed, and the
# port is free again.
# bed: container
# needs: unmanaged-service

need_checks unmanaged-service
PORT=8082

put /etc/hostfit/hostfit.conf <<'CONF'
[unmanaged-service]
min-age = 5
CONF
inside mkdir -p /srv/site
echo '<h1>site</h1>' | put /srv/site/index.html
hand session-8.scope sh -c "cd /srv/site && exec python3 -m http.server $PORT --bind 127.0.0.1"
listener() {
        inside ss -Hltnp "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the hand-started server does not listen"
old=$(listener)
wait_age 6 "$old"
expect_finding unmanaged-service

hf fix --yes unmanaged-service
show_hf fix --yes unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
stamp=$(inside ls /var/lib/hostfit/runs | sed -n 's/\.json$//p')
[ "$(echo "$stamp" | wc -w)" = 1 ] || fail "expected one run record, found: $stamp"
unit=$(inside cat "/var/lib/hostfit/runs/$stamp.json" |
       json "[a['path'] for a in d['actions'] if a['kind'] == 'write-file' and a['path'].endswith('.service')][0]")
name=${unit##*/}
DIAG_UNITS=$name

# The hand-over, as printed: end the old process, enable and start the unit.
inside kill "$old"
wait_for 120 "! kill -0 $old" || fail "the hand-started server did not stop"
inside systemctl enable --now "$name" > /dev/null 2>&1 || fail "systemctl enable --now $name failed"
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "$name does not listen on $PORT"
links=$(inside find /etc/systemd/system -type l -name "$name")
[ -n "$links" ] || fail "systemctl enable made no link for $name"
say "$name runs as pid $(unit_prop "$name" MainPID), enabled by $links"

hf undo --dry-run
show_hf undo --dry-run
printf '%s' "$HF_OUT" | grep -q "stop $name" || fail "the undo plan does not stop $name"
hf undo --yes
show_hf undo --yes
[ "$HF_RC" -eq 0 ] || fail "undo --yes exited $HF_RC"

inside test -e "$unit" && fail "$unit is still there"
wait_for 120 "! systemctl is-active -q $name" || fail "$name still runs after undo ($(unit_prop "$name" ActiveState))"
notfound=$(inside systemctl list-units --all --no-legend --plain | awk '$2 == "not-found" && $3 != "inactive"')
[ -z "$notfound" ] || fail "units running without their file after undo: $notfound"
left=$(inside find /etc/systemd/system -type l -name "$name")
[ -z "$left" ] || fail "enable links left after undo: $left"
failed=$(inside systemctl --failed --no-legend --plain)
[ -z "$failed" ] || fail "failed units after undo: $failed"
wait_for 120 "! ss -Hltn 'sport = :$PORT' | grep -q ." || fail "port $PORT is still held after undo"
hf history
printf '%s' "$HF_OUT" | grep -q "^$stamp .*(undone by " || fail "history does not show $stamp undone: $HF_OUT"
pass "undo stopped and disabled $name before removing $unit: nothing runs without its file, no link, no failed unit"
