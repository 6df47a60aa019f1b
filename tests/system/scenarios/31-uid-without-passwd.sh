# SPDX-License-Identifier: MIT
# Scenario 31: a server run by hand under a uid no user database knows (a
# container's uid, a setpriv).  systemd refuses User=4242 for such a uid
# (217/USER), and a unit without User= would run it as root: so fix writes
# no unit and says why in a manual step.  Once the uid has an entry, the
# unit says User=/Group= and, after the hand-over, systemd runs the server
# as uid 4242.
# bed: container
# needs: unmanaged-service

need_checks unmanaged-service
PORT=8093 UID_=4242
inside getent passwd $UID_ > /dev/null && fail "uid $UID_ has a passwd entry in the bed"

put /etc/hostfit/hostfit.conf <<'CONF'
[unmanaged-service]
min-age = 5
CONF
inside mkdir -p /srv/tool
inside chown $UID_:$UID_ /srv/tool
hand session-9.scope setpriv --reuid=$UID_ --regid=$UID_ --clear-groups \
        sh -c "cd /srv/tool && exec python3 -m http.server $PORT --bind 127.0.0.1"
listener() {
        inside ss -Hltnp "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}
uid_of() {
        inside awk '/^Uid:/ { print $2 }' "/proc/$1/status"
}
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "the hand-started server does not listen"
old=$(listener)
[ "$(uid_of "$old")" = $UID_ ] || fail "pid $old runs as uid $(uid_of "$old"), not $UID_"
say "started by hand as uid $UID_: pid $old"
wait_age 6 "$old"

expect_finding unmanaged-service
unit=/etc/systemd/system/hostfit-python3-$PORT.service name=hostfit-python3-$PORT.service
hf fix --yes unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
show_hf fix --yes unmanaged-service
inside test -e "$unit" && fail "a unit was written for a uid systemd cannot run it as"
printf '%s' "$HF_OUT" | grep -q "manual: .*uid $UID_ has no user entry" || fail "no manual step says why"

inside groupadd -g $UID_ svc$UID_ || fail "groupadd failed"
inside useradd -u $UID_ -g $UID_ -M -N -d /srv/tool -s /usr/sbin/nologin svc$UID_ || fail "useradd failed"
hf fix --yes unmanaged-service
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
show_hf fix --yes unmanaged-service
DIAG_UNITS=$name
inside cat "$unit" | sed "s/^/$SCEN_LOG_PREFIX   /"
inside grep -qx "User=svc$UID_" "$unit" || fail "$unit has no User=svc$UID_"
inside grep -qx "Group=svc$UID_" "$unit" || fail "$unit has no Group=svc$UID_"
inside systemd-analyze verify "$unit" > /dev/null 2>&1 || fail "systemd-analyze verify $unit failed"

inside kill "$old"
wait_for 120 "! kill -0 $old" || fail "the hand-started server did not stop"
inside systemctl start "$name" || fail "systemctl start $name failed"
wait_for 120 "ss -Hltn 'sport = :$PORT' | grep -q ." || fail "$name does not listen on $PORT"
new=$(listener)
[ "$new" = "$(unit_prop "$name" MainPID)" ] || fail "port $PORT is held by $new, not by $name"
[ "$(uid_of "$new")" = $UID_ ] || fail "$name runs as uid $(uid_of "$new"), not $UID_"
wait_age 6 "$new"
expect_pass unmanaged-service
expect_no_plan unmanaged-service
pass "no unit while uid $UID_ had no entry; then $name runs as uid $UID_, pid $new"
