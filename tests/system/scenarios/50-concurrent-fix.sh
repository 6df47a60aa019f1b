# SPDX-License-Identifier: MIT
# Scenario 50: two `hostfit fix --yes` at once on a real systemd (an admin
# unit with no MemoryMax, the metrics timer opted in: daemon-reload, enable
# and set-property over D-Bus). One waits for the other's lock, then plans
# against what it left: both exit 0, each change is made once, a third plan
# is empty. Then a temp file a killed run left is removed by the next run,
# and only that one.
# bed: container
# needs: unit-memorymax metrics-timer

need_checks unit-memorymax metrics-timer
DIAG_UNITS="worker.service hostfit-check.timer"

put /etc/systemd/system/worker.service <<'UNIT'
[Unit]
Description=Batch worker (admin-written)

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
inside systemctl enable --now worker.service || fail "worker.service did not start"
expect_finding unit-memorymax
expect_finding metrics-timer

# Both at once; the second to start waits for the lock (it says so), then finds less to do.
inside_sh 'hostfit fix --yes unit-memorymax metrics-timer > /run/fix-a.log 2>&1 & a=$!
           hostfit fix --yes unit-memorymax metrics-timer > /run/fix-b.log 2>&1; b=$?
           wait $a; echo "a=$? b=$b" > /run/fix-rc' || fail "could not run the two fixes"
rcs=$(inside cat /run/fix-rc)
HF_OUT=$(inside cat /run/fix-a.log /run/fix-b.log) HF_RC="$rcs"
show_hf "fix --yes, twice at once"
[ "$rcs" = "a=0 b=0" ] || fail "two concurrent fixes: $rcs"
inside_sh 'grep -q "waiting for another hostfit fix or undo (pid [0-9]*)" /run/fix-a.log /run/fix-b.log' ||
        fail "neither run waited for the other's lock"
inside_sh '! grep -q "changed since the plan was made\|File exists\|appeared since" /run/fix-a.log /run/fix-b.log' ||
        fail "a run raced the other"
n=$(inside_sh 'ls /etc/systemd/system/worker.service.d/ | wc -l')
[ "$n" = 1 ] || fail "worker.service has $n drop-ins, not one"
expect_pass unit-memorymax
expect_pass metrics-timer
expect_no_plan unit-memorymax metrics-timer
[ "$(unit_prop hostfit-check.timer UnitFileState)" = enabled ] || fail "hostfit-check.timer is not enabled"

# A run killed with SIGKILL left a temp file: the next run removes it; an editor's is kept.
dead=$(inside_sh 'sh -c "echo \$\$"')
boot=$(inside cat /proc/sys/kernel/random/boot_id)
inside_sh "printf half > '/etc/systemd/system/.#worker.service.aB3xY9' && printf mine > '/etc/systemd/system/.#worker.service.Cd4eF5'"
inside python3 -c "import os; os.setxattr('/etc/systemd/system/.#worker.service.aB3xY9', 'user.hostfit.creator', b'$dead 1 $boot')" ||
        skip "no user xattrs on this bed's /etc"
hf fix --yes unit-memorymax
show_hf fix --yes unit-memorymax
[ "$HF_RC" -eq 0 ] || fail "fix after a killed run exited $HF_RC"
inside test ! -e '/etc/systemd/system/.#worker.service.aB3xY9' || fail "the killed run's temp file is still there"
inside test -e '/etc/systemd/system/.#worker.service.Cd4eF5' || fail "a temp file not marked as hostfit's was removed"
pass "two fixes at once: one waited, each change made once; a killed run's leftover swept"
