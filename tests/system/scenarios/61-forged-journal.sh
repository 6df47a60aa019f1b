# SPDX-License-Identifier: MIT
# Scenario 61: a web app running as www-data forges OOM kills and crash loops
# in the journal (logger -t systemd-oomd / earlyoom, and the native protocol
# with systemd's MESSAGE_ID=, UNIT=, UNIT_RESULT=, N_RESTARTS=, one UNIT=
# carrying a newline and /.. components), next to a real crash loop of
# flappy.service.  As root, `check` reports none of the forged entries,
# `fix --dry-run` plans nothing from them (no ssh.service.d, no db.service.d),
# and `incidents --verbose` counts them as ignored.
# bed: container trixie
# needs: oom-kills restart-storm

need_checks oom-kills restart-storm
DIAG_UNITS="webapp.service flappy.service"

put /usr/local/bin/forge 0755 <<'PY'
#!/usr/bin/python3
# What any local account can send: journald adds _PID, _UID, _COMM, _SYSTEMD_UNIT.
import socket, struct, subprocess
OOM = "fe6faa94e7774663a0da52717891d8ef"
RESULT = "d9b373ed55a64feb8242e02dbe79a49c"
RESTART = "5eb03494b6584870a536b337290809b3"
EXPLOIT = ("a\n[Service]\nExecStartPre=/bin/sh -c 'id >/tmp/pwned'\n"
           "#/../../../../../../../../etc/systemd/system/ssh.service")

def send(**fields):
    out = b""
    for k, v in fields.items():
        v = v.encode()
        if b"\n" in v:
            out += k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n"
        else:
            out += k.encode() + b"=" + v + b"\n"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(out, "/run/systemd/journal/socket")

subprocess.run(["logger", "-t", "systemd-oomd", "Killed /system.slice/db.service due to memory pressure "
                "for /system.slice being 99.00% > 80.00% for > 20s"], check=True)
subprocess.run(["logger", "-t", "earlyoom", 'sending SIGKILL to process 1 uid 0 "sshd": badness 1000, '
                "VmRSS 900 MiB"], check=True)
send(MESSAGE_ID=OOM, UNIT="db.service", MESSAGE="db.service: A process of this unit has been killed by the OOM killer.")
send(MESSAGE_ID=RESULT, UNIT="db.service", UNIT_RESULT="oom-kill", MESSAGE="db.service: Failed with result 'oom-kill'.")
for n in range(1, 7):
    send(MESSAGE_ID=RESTART, UNIT="ssh.service", N_RESTARTS=str(n), MESSAGE="ssh.service: Scheduled restart job.")
send(MESSAGE_ID=RESULT, UNIT="ssh.service", UNIT_RESULT="start-limit-hit", MESSAGE="ssh.service: Failed.")
send(MESSAGE_ID=RESTART, UNIT=EXPLOIT, N_RESTARTS="1", MESSAGE="Scheduled restart job.")
send(MESSAGE_ID=RESULT, UNIT=EXPLOIT, UNIT_RESULT="start-limit-hit", MESSAGE="Failed.")
send(MESSAGE="forged: done")
PY
put /etc/systemd/system/webapp.service <<'UNIT'
[Service]
Type=oneshot
User=www-data
ExecStart=/usr/local/bin/forge
UNIT
put /etc/systemd/system/ssh.service <<'UNIT'
[Service]
ExecStart=/bin/sleep infinity
UNIT
put /etc/systemd/system/db.service <<'UNIT'
[Service]
ExecStart=/bin/sleep infinity
Restart=no
UNIT
# A real crash loop beside the forgeries: hostfit still sees it.
put /etc/systemd/system/flappy.service <<'UNIT'
[Service]
ExecStart=/bin/false
Restart=always
RestartSec=100ms
UNIT
put /etc/hostfit/hostfit.conf <<'CONF'
[oom-kills]
window = 1d
CONF
inside systemctl daemon-reload
inside systemctl start ssh.service db.service
inside systemctl start webapp.service || fail "webapp.service (the forger) failed"
wait_for 120 'journalctl -o cat --no-pager _SYSTEMD_UNIT=webapp.service | grep -q "forged: done"' ||
        fail "the forged entries did not reach the journal"
say "forged entries in the journal: $(inside_sh 'journalctl -o cat --no-pager _SYSTEMD_UNIT=webapp.service | wc -l')"
inside systemctl start flappy.service
wait_for 120 'journalctl -b -u flappy.service -o cat --no-pager | grep -q "Start request repeated too quickly"' ||
        fail "flappy.service did not hit its start limit"

hf check oom-kills restart-storm --verbose
show_hf check oom-kills restart-storm --verbose
printf '%s\n' "$HF_OUT" | grep -qE 'sshd|db\.service|ssh\.service|pwned|ExecStartPre' &&
        fail "check reports a forged entry"
printf '%s\n' "$HF_OUT" | grep -q 'flappy.service' || fail "check does not name the real crash loop"
printf '%s\n' "$HF_OUT" | grep -q 'ignored [0-9]* journal entr' || fail "check --verbose does not count the forged entries"

hf fix --dry-run restart-storm oom-kills
show_hf fix --dry-run restart-storm oom-kills
printf '%s\n' "$HF_OUT" | grep -qE 'ssh\.service\.d|db\.service\.d|ExecStartPre|pwned' &&
        fail "fix --dry-run plans a change from a forged entry"
inside_sh '[ ! -e /tmp/pwned ] && [ ! -e /etc/systemd/system/ssh.service.d ]' || fail "something was written"

hf incidents --verbose
show_hf incidents --verbose
printf '%s\n' "$HF_OUT" | grep -qE 'sshd|db\.service|ssh\.service' && fail "incidents reports a forged entry"
n=$(printf '%s\n' "$HF_OUT" | sed -n 's/^ignored \([0-9]*\) journal entr.*/\1/p')
[ "${n:-0}" -ge 12 ] || fail "incidents --verbose counts ${n:-no} ignored entries, expected at least 12"
pass "no forged entry reported or planned; $n ignored; the real crash loop named"
