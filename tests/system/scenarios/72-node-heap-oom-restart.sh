# SPDX-License-Identifier: MIT
# Scenario 72: Debian's nodejs in a unit with MemoryMax=256M and a heap flag
# of 8 GiB in NODE_OPTIONS: node-heap-limit reports both numbers, the fix's
# drop-in gives node a heap limit inside MemoryMax, as node itself reports it
# under the unit's environment.  Then a unit whose EnvironmentFile= sets
# NODE_OPTIONS (it overrides every Environment=, so a drop-in's Environment=
# would lose): the fix adds hostfit's own environment file after the admin's,
# keeps the other options, and the node the unit runs reports a heap below
# its MemoryMax.  And a Restart=no unit killed by the OOM
# killer stays down: restart-storm reports it and its drop-in restarts it.
# The VM: cgroup2 enforces MemoryMax there.
# bed: vm
# needs: node-heap-limit restart-storm

need_checks node-heap-limit restart-storm
need_bed_command node nodejs
DIAG_UNITS="app.service app2.service eater.service"
MIB=1048576

put /srv/app/server.js <<'JS'
const v8 = require('v8');
console.log('heap_size_limit ' + v8.getHeapStatistics().heap_size_limit);
setInterval(() => {}, 1000);
JS
put /etc/systemd/system/app.service <<'UNIT'
[Unit]
Description=Node app (admin-written)

[Service]
ExecStart=/usr/bin/node /srv/app/server.js
Environment="NODE_OPTIONS=--enable-source-maps --max-old-space-size=8192"
MemoryMax=256M
Restart=on-failure
RestartSec=5s
UNIT
inside systemctl daemon-reload
inside systemctl start app.service || fail "app.service did not start"
wait_for 120 "journalctl -u app.service -o cat | grep -q heap_size_limit" || fail "node did not report its heap"
before=$(inside journalctl -u app.service -o cat | sed -n 's/^heap_size_limit //p' | tail -n 1)
say "node's heap_size_limit before: $((before / MIB)) MiB"

expect_finding node-heap-limit
hf check node-heap-limit --verbose
show_hf check node-heap-limit --verbose
printf '%s' "$HF_OUT" | grep -q "app.service) may grow its V8 heap to 8192 MiB but may use only 256 MiB" ||
        fail "the finding does not give both numbers"
printf '%s' "$HF_OUT" | grep -q "node 18\.[0-9.]* (from the dpkg)" || fail "the version is not read from dpkg"
hf fix --yes node-heap-limit
show_hf fix --yes node-heap-limit
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat /etc/systemd/system/app.service.d/50-hostfit-node-heap.conf | sed "s/^/$SCEN_LOG_PREFIX   /"
expect_no_plan node-heap-limit
say "Environment=$(unit_prop app.service Environment)"
limit=$(inside_sh 'eval "export $(systemctl show -P Environment app.service)"; node -e "console.log(v8.getHeapStatistics().heap_size_limit)"')
say "node -e under the unit's environment: heap_size_limit $((limit / MIB)) MiB"
[ "$limit" -ge $((192 * MIB)) ] && [ "$limit" -lt $((256 * MIB)) ] || fail "heap_size_limit $limit is not 192..256 MiB"
inside systemctl restart app.service
wait_for 120 "[ \$(journalctl -u app.service -o cat | grep -c heap_size_limit) -ge 2 ]" || fail "node did not start again"
after=$(inside journalctl -u app.service -o cat | sed -n 's/^heap_size_limit //p' | tail -n 1)
[ "$after" = "$limit" ] || fail "the unit's node reports $after, node -e $limit"
expect_pass node-heap-limit

# EnvironmentFile= sets NODE_OPTIONS: Environment= (here the unit's own 100 MiB)
# loses to it, as a drop-in's Environment= would.
put /etc/app2/app2.env <<'ENV'
# written by the admin
PORT=8081
NODE_OPTIONS="--enable-source-maps --max-old-space-size=8192"
ENV
put /etc/systemd/system/app2.service <<'UNIT'
[Unit]
Description=Node app with an environment file (admin-written)

[Service]
ExecStart=/usr/bin/node /srv/app/server.js
Environment=NODE_OPTIONS=--max-old-space-size=100
EnvironmentFile=/etc/app2/app2.env
MemoryMax=256M
UNIT
inside systemctl daemon-reload
inside systemctl start app2.service || fail "app2.service did not start"
wait_for 120 "journalctl -u app2.service -o cat | grep -q heap_size_limit" || fail "app2's node did not report its heap"
before2=$(inside journalctl -u app2.service -o cat | sed -n 's/^heap_size_limit //p' | tail -n 1)
say "app2's node heap_size_limit before: $((before2 / MIB)) MiB (the env file's 8192 wins over Environment=)"
[ "$before2" -gt $((4096 * MIB)) ] || fail "EnvironmentFile= did not win over Environment= ($before2)"
hf check node-heap-limit --verbose
printf '%s' "$HF_OUT" | grep -q "app2.service) may grow its V8 heap to 8192 MiB but may use only 256 MiB" ||
        fail "app2: the finding does not give both numbers"
hf fix --yes node-heap-limit
show_hf fix --yes node-heap-limit
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
inside cat /etc/systemd/system/app2.service.d/50-hostfit-node-heap.conf | sed "s/^/$SCEN_LOG_PREFIX   /"
inside grep -q '^NODE_OPTIONS="--enable-source-maps --max-old-space-size=192"$' /etc/hostfit/node-heap/app2.service.env ||
        fail "hostfit's environment file does not keep the other options with a heap of 192 MiB"
expect_no_plan node-heap-limit
inside systemctl restart app2.service
wait_for 120 "[ \$(journalctl -u app2.service -o cat | grep -c heap_size_limit) -ge 2 ]" || fail "app2's node did not start again"
after2=$(inside journalctl -u app2.service -o cat | sed -n 's/^heap_size_limit //p' | tail -n 1)
say "app2's node heap_size_limit after the fix and a restart: $((after2 / MIB)) MiB"
[ "$after2" -lt $((256 * MIB)) ] || fail "app2's node reports $after2, not below MemoryMax=256M"
inside_sh 'tr "\0" "\n" < /proc/$(systemctl show -P MainPID app2.service)/environ | grep -qx "NODE_OPTIONS=--enable-source-maps --max-old-space-size=192"' ||
        fail "app2's node runs without hostfit's NODE_OPTIONS"
expect_pass node-heap-limit
expect_no_plan node-heap-limit

# Restart=no and an OOM kill: down for good.
put /usr/local/bin/eater 0755 <<'PY'
#!/usr/bin/python3
import time
held = bytearray(200 << 20)
time.sleep(3600)
PY
put /etc/systemd/system/eater.service <<'UNIT'
[Unit]
Description=Worker (admin-written)

[Service]
ExecStart=/usr/local/bin/eater
MemoryMax=64M
MemorySwapMax=0
Restart=no
UNIT
inside systemctl daemon-reload
inside systemctl start eater.service
wait_for 120 "[ \"\$(systemctl show -P Result eater.service)\" = oom-kill ]" || fail "eater.service was not OOM-killed"
expect_finding restart-storm
hf check restart-storm --verbose
printf '%s' "$HF_OUT" | grep -q "eater.service: killed by the OOM killer and left down: Restart=no" || fail "the OOM kill is not named"
fix_and_verify restart-storm
inside systemctl start eater.service
wait_for 120 "[ \"\$(systemctl show -P NRestarts eater.service)\" -ge 1 ]" || fail "eater.service was not restarted after its next kill"
pass "heap $((before / MIB)) -> $((limit / MIB)) MiB under MemoryMax=256M; with EnvironmentFile= $((before2 / MIB)) -> $((after2 / MIB)) MiB; eater.service restarted after an OOM kill (NRestarts=$(unit_prop eater.service NRestarts))"
