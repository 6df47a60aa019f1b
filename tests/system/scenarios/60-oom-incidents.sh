# SPDX-License-Identifier: MIT
# Scenario 60: four real incidents on a real systemd, in one boot, and
# `hostfit incidents` reports each from the journal with the right unit,
# killer and outcome; `hostfit check oom-kills` names them:
#   - memlimit.service grows past MemoryMax=64M: memory-limit, restarted,
#     and no check named (its MemoryMax= holds: raise it or find the growth);
#   - crashy.service exits 1 at once with Restart=always: a crash loop that
#     ends at the start limit;
#   - eathog.service grows while earlyoom watches with low thresholds:
#     earlyoom, stopped (Restart=no);
#   - with no swap, a process in a session scope fills RAM and the kernel's
#     OOM killer takes it: kernel, gone.  Its oom_score_adj is 1000, so it
#     is the obvious victim.
# The VM: cgroup v2 enforces MemoryMax there, and the guest has 1 GiB, no swap.
# bed: vm
# needs: oom-kills

need_checks oom-kills
DIAG_UNITS="memlimit.service crashy.service eathog.service earlyoom.service"

# A hog: names itself ($1, for earlyoom's comm), sets its oom_score_adj ($2),
# then reads /dev/zero in 32 MiB blocks every $3 seconds (one read() fills a
# block, fast even under memory pressure) until MemAvailable falls below $5
# MiB (0: no floor).  $4: a marker file; when it exists the hog only idles (a
# restarted service stays up).
put /usr/local/bin/hog 0755 <<'PY'
#!/usr/bin/python3
import ctypes, os, sys, time
name, adj, pause, marker = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
floor = int(sys.argv[5]) if len(sys.argv) > 5 else 0
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
# One line of its own in the journal: journald files it with this pid, this
# name and this unit, which is how hostfit ties an earlyoom kill to a unit.
import syslog
syslog.syslog("%s: started" % name)
with open("/proc/self/oom_score_adj", "w") as f:
    f.write(adj)
def available_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
if os.path.exists(marker):
    while True:
        time.sleep(60)
open(marker, "w").close()
zero = os.open("/dev/zero", os.O_RDONLY)
held = []
while True:
    if available_mib() > floor:
        held.append(os.read(zero, 32 << 20))
    time.sleep(pause)
PY
inside_sh 'swapoff -a; [ "$(grep -c . /proc/swaps)" -le 1 ]' || fail "the VM has swap"

# 1. MemoryMax=64M: the kernel kills inside the cgroup, systemd restarts it once.
put /etc/systemd/system/memlimit.service <<'UNIT'
[Service]
ExecStart=/usr/local/bin/hog memlimit 0 0.2 /run/memlimit.once
MemoryMax=64M
Restart=on-failure
RestartSec=1
UNIT
# 2. A unit that fails at once, restarted until the start limit.
put /etc/systemd/system/crashy.service <<'UNIT'
[Service]
ExecStart=/bin/false
Restart=always
RestartSec=100ms
UNIT
# 3. earlyoom with low thresholds, preferring the hog, and the hog as a service.
put /etc/default/earlyoom <<'EOF'
EARLYOOM_ARGS="-m 10 -s 100 -r 60 --prefer ^eathog$"
EOF
put /etc/systemd/system/eathog.service <<'UNIT'
[Service]
ExecStart=/usr/local/bin/hog eathog 500 0.5 /run/eathog.once
Restart=no
UNIT
inside systemctl daemon-reload

inside systemctl start memlimit.service
wait_for 120 'systemctl show -P NRestarts memlimit.service | grep -qx "[1-9][0-9]*"' ||
        fail "memlimit.service was not restarted after its OOM kill"
say "memlimit.service: NRestarts=$(unit_prop memlimit.service NRestarts)"

inside systemctl start crashy.service
# systemd 252 says so in words only, and keeps Result=exit-code.
wait_for 120 'journalctl -b -u crashy.service -o cat --no-pager | grep -q "Start request repeated too quickly"' ||
        fail "crashy.service did not hit its start limit"
say "crashy.service: stopped at the start limit after $(unit_prop crashy.service NRestarts) restarts"

inside systemctl start earlyoom.service || fail "earlyoom did not start"
# earlyoom watches memory once it has said its thresholds.
wait_for 120 'journalctl -b -u earlyoom.service -o cat --no-pager | grep -q "sending SIGTERM when"' ||
        fail "earlyoom did not report its thresholds"
inside systemctl start eathog.service
wait_for 240 '! systemctl is-active -q eathog.service' || fail "earlyoom did not stop eathog.service"
inside systemctl stop earlyoom.service
say "eathog.service: Result=$(unit_prop eathog.service Result)"
inside journalctl -b -u earlyoom.service -o cat --no-pager | grep sending | head -n 2 | sed "s/^/$SCEN_LOG_PREFIX   /"

# 4. The kernel, with no swap and no earlyoom: the hog in a session scope
# fills RAM down to 150 MiB available.  Past that, a guest without swap under
# TCG spends minutes reclaiming page cache (RCU stalls) before the OOM killer
# runs, so the kernel's OOM killer is invoked now (sysrq f: out_of_memory()
# with CONSTRAINT_NONE, the same kill and the same report).
hand kernhog /usr/local/bin/hog kernhog 1000 0.2 /run/kernhog.once 150
wait_for 240 '[ "$(awk "/^MemAvailable:/ { print int(\$2 / 1024) }" /proc/meminfo)" -lt 200 ]' ||
        fail "the hog did not fill RAM"
say "kernhog holds $(inside_sh 'ps -o rss= -C kernhog') KiB; MemAvailable $(inside_sh 'awk "/^MemAvailable:/ { print \$2 }" /proc/meminfo') KiB"
inside_sh 'echo f > /proc/sysrq-trigger'
wait_for 120 'journalctl -k -b -o cat --no-pager | grep -q "Killed process .* (kernhog)"' ||
        fail "the kernel did not kill the hog in its scope"
inside journalctl -k -b -o cat --no-pager | grep -E "oom-kill:|Killed process .* \(kernhog\)" | tail -n 2 |
        sed "s/^/$SCEN_LOG_PREFIX   /"
# The scope ends with its last process; its end is what "gone" reports.
wait_for 120 '! systemctl is-active -q kernhog.scope' || fail "kernhog.scope outlived the kill"

hf incidents --format json
show_hf incidents --format json
[ "$HF_RC" = 1 ] || fail "hostfit incidents exited $HF_RC, expected 1 (some incidents)"
# One line each: killer/unit/outcome, as hostfit reports them.
got=$(printf '%s' "$HF_OUT" | json "'\n'.join('%s/%s/%s/%s' % (i['killer'], i['unit'], i['outcome'], i['prevent']) for i in d['incidents'])")
say "incidents: $(printf '%s' "$got" | tr '\n' ' ')"
has() { printf '%s\n' "$got" | grep -qx "$1" || fail "no incident $1"; }
has "memory-limit/memlimit.service/restarted/None"
has "None/crashy.service/start-limit-hit/restart-storm"
has "earlyoom/eathog.service/stopped/unit-memorymax"
has "kernel/kernhog.scope/gone/swap-missing"
rss=$(printf '%s' "$HF_OUT" | json "[i['rss_bytes'] for i in d['incidents'] if i['unit'] == 'memlimit.service'][0]")
lim=$(printf '%s' "$HF_OUT" | json "[i['limit_bytes'] for i in d['incidents'] if i['unit'] == 'memlimit.service'][0]")
[ "$lim" = 67108864 ] || fail "memlimit.service: limit_bytes $lim, expected 67108864 (MemoryMax=64M)"
say "memlimit.service: rss $rss bytes at the kill, limit $lim"

hf incidents --unit memlimit.service
show_hf incidents --unit memlimit.service
printf '%s\n' "$HF_OUT" | grep -q 'memory-limit  memlimit.service' || fail "incidents --unit: no text line"

hf check oom-kills
show_hf check oom-kills
[ "$HF_RC" = 1 ] || fail "check oom-kills exited $HF_RC, expected 1 (warn)"
for u in memlimit.service crashy.service eathog.service kernhog.scope; do
        printf '%s\n' "$HF_OUT" | grep -q "$u:" || fail "check oom-kills does not name $u"
done
printf '%s\n' "$HF_OUT" | grep -q 'hostfit fix swap-missing' || fail "check oom-kills does not name swap-missing"
[ "$(inside systemctl is-system-running)" != offline ] || fail "the host did not live"
pass "memory-limit, crash loop, earlyoom and kernel kills reported with unit, killer and outcome"
