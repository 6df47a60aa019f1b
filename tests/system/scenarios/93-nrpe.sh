# SPDX-License-Identifier: MIT
# Scenario 93: the NRPE recipe of docs/usage.md, as written, on a host with
# Debian's NRPE server (nagios-nrpe-server), check_nrpe (nagios-nrpe-plugin),
# sudo and Nagios 4.  The nrpe.d command line, the sudoers rule and the Nagios
# command definition are taken from usage.md (their files too), hostfit is
# where the package puts it (/usr/bin/hostfit), and what check_nrpe returns,
# as the nagios user and as Nagios 4 itself runs it, is the status line, long
# output and exit status of `hostfit check --format nagios` run directly: on a
# host that passes (OK) and on one with a server started by hand (not OK).
# bed: container
# needs: unmanaged-service
# debs: sudo nagios-nrpe-server nagios-nrpe-plugin

need_checks unmanaged-service
need_bed_command nagios4 nagios4-core
DIAG_UNITS="nagios-nrpe-server.service nagios4.service"
DOC=$SYS_DIR/../../docs/usage.md
[ -f "$DOC" ] || fail "no docs/usage.md beside the tests"
inside_sh "ls $SYS_DEBS_DIR/nagios-nrpe-server_*.deb $SYS_DEBS_DIR/nagios-nrpe-plugin_*.deb $SYS_DEBS_DIR/sudo_*.deb" > /dev/null 2>&1 ||
        skip "no NRPE or sudo package in $SYS_DEBS_DIR (apt-get download failed on the host)"
inside_sh "DEBIAN_FRONTEND=noninteractive dpkg -i $SYS_DEBS_DIR/*.deb > /tmp/dpkg.log 2>&1" ||
        { inside tail -n 20 /tmp/dpkg.log | sed "s/^/$SCEN_LOG_PREFIX   /"; fail "dpkg -i of sudo and NRPE failed"; }
inside install -m 0755 /usr/local/sbin/hostfit /usr/bin/hostfit || fail "cannot put hostfit in /usr/bin"

# ---- The three pieces, as usage.md gives them, in the files it names.
nrpe_line=$(grep '^command\[check_hostfit\]=' "$DOC")
nrpe_file=$(sed -n 's/.*In `\(\/etc\/nagios\/nrpe\.d\/[^`]*\)`:$/\1/p' "$DOC")
rule=$(grep '^nagios ALL=(root) NOPASSWD: ' "$DOC")
rule_file=$(sed -n 's/^and in `\(\/etc\/sudoers\.d\/[^`]*\)`.*/\1/p' "$DOC")
define=$(sed -n '/^define command {$/,/^}$/p' "$DOC")
[ -n "$nrpe_line" ] && [ -n "$nrpe_file" ] && [ -n "$rule" ] && [ -n "$rule_file" ] && [ -n "$define" ] ||
        fail "usage.md lacks a piece of the recipe: '$nrpe_line' in '$nrpe_file', '$rule' in '$rule_file', '$define'"
say "usage.md: $nrpe_file: $nrpe_line"
say "usage.md: $rule_file: $rule"
printf '%s\n' "$nrpe_line" | put "$nrpe_file"
printf '%s\n' "$rule" | put "$rule_file" 0440
inside visudo -c -q || fail "visudo -c rejects the sudoers files with usage.md's rule"
inside grep -q '^include_dir=/etc/nagios/nrpe.d' /etc/nagios/nrpe.cfg || fail "Debian's nrpe.cfg does not read /etc/nagios/nrpe.d"
inside systemctl restart nagios-nrpe-server.service || fail "nagios-nrpe-server does not start"
wait_for 120 'ss -ltn | grep -q ":5666 "' || fail "NRPE does not listen on 5666"

# check_nrpe as usage.md's Nagios command runs it, for the local host.
cmdline=$(printf '%s\n' "$define" | sed -n 's/^ *command_line *//p' |
        sed 's|\$USER1\$|/usr/lib/nagios/plugins|; s|\$HOSTADDRESS\$|127.0.0.1|')
say "check_nrpe: $cmdline"
# What hostfit says run directly (as root, which sudo makes it), and what
# check_nrpe gets, as the nagios user: the same exit status and status line,
# and the same long output but for its numbers (a server's age).
direct=${nrpe_line#*/usr/bin/sudo -n }
compare() {
        WANT=$(inside $direct); WANT_RC=$?
        GOT=$(inside runuser -u nagios -- $cmdline); GOT_RC=$?
        printf '%s\n' "$GOT" | sed "s/^/$SCEN_LOG_PREFIX   nrpe: /"
        [ "$GOT_RC" = "$WANT_RC" ] || fail "check_nrpe exits $GOT_RC, hostfit directly $WANT_RC"
        [ "$(printf '%s\n' "$GOT" | head -n 1)" = "$(printf '%s\n' "$WANT" | head -n 1)" ] ||
                fail "check_nrpe's status line is not hostfit's: '$(printf '%s\n' "$WANT" | head -n 1)'"
        # The long output says how long a server has run: its numbers may move between the two runs.
        [ "$(printf '%s\n' "$GOT" | sed 's/[0-9][0-9]*/N/g')" = "$(printf '%s\n' "$WANT" | sed 's/[0-9][0-9]*/N/g')" ] ||
                fail "check_nrpe's long output is not hostfit's: '$WANT'"
}

# ---- A host that passes: what the stock bed does not pass is set aside with
# [ignore] (a reason each), so the worst is OK.
hf check --format json
bad=$(printf '%s' "$HF_OUT" | json "' '.join(c['id'] for c in d['checks'] if c['status'] in ('fail', 'warn', 'error'))")
{ echo '[ignore]'; for id in $bad; do echo "$id = not what this test judges"; done; } | put /etc/hostfit/hostfit.conf
compare
[ "$WANT_RC" -eq 0 ] || fail "the host with [ignore] is not OK for hostfit ($WANT_RC): $(printf '%s\n' "$WANT" | head -n 1)"
case "$GOT" in "hostfit OK - "*) ;; *) fail "check_nrpe does not say OK" ;; esac
say "OK host: check_nrpe and hostfit agree (exit 0)${bad:+; set aside: $bad}"

# ---- Nagios 4 reads usage.md's command definition, with a service using it, and runs it.
name=$(printf '%s\n' "$define" | sed -n 's/^ *command_name *//p')
{ printf '%s\n' "$define"; cat <<CFG
define service {
    use                     generic-service
    host_name               localhost
    service_description     hostfit-nrpe
    check_command           $name
}
CFG
} | put /etc/nagios4/conf.d/hostfit-nrpe.cfg
inside nagios4 -v /etc/nagios4/nagios.cfg > "$SYS_WORK/nagios-verify" 2>&1 ||
        { sed "s/^/$SCEN_LOG_PREFIX   /" "$SYS_WORK/nagios-verify"; fail "nagios4 -v rejects usage.md's command definition"; }
inside systemctl start nagios4.service || fail "nagios4 does not start"
nagios_check hostfit-nrpe || fail "nagios4 never ran the hostfit-nrpe service"
[ "$(nagios_field current_state)" = "$WANT_RC" ] || fail "Nagios state $(nagios_field current_state), hostfit exits $WANT_RC"
want_line=$(printf '%s\n' "$WANT" | head -n 1)
[ "$(nagios_field plugin_output)" = "${want_line%% | *}" ] ||
        fail "Nagios recorded '$(nagios_field plugin_output)' through NRPE, hostfit printed '${want_line%% | *}'"
[ "$(nagios_field performance_data)" = "${want_line#* | }" ] || fail "Nagios perfdata '$(nagios_field performance_data)' is not hostfit's"
say "Nagios 4: usage.md's command accepted (nagios4 -v); through NRPE it recorded state $WANT_RC and hostfit's line"

# ---- A host that does not pass: the [ignore] lines gone, and a server started
# by hand in a login session, judged once it is 5 s old.
printf '[unmanaged-service]\nmin-age = 5\n' | put /etc/hostfit/hostfit.conf
hand session-9.scope sh -c 'exec python3 -m http.server 8097 --bind 127.0.0.1'
wait_for 120 'ss -ltn | grep -q "127.0.0.1:8097 "' || fail "the hand-started server does not listen"
i=0
while :; do
        hf check unmanaged-service --format json
        case "$(check_status unmanaged-service)" in fail|warn) break ;; esac
        [ "$i" -lt 300 ] || fail "unmanaged-service never reports the server started by hand"
        sleep 1
        i=$((i + 1))
done
compare
case "$WANT_RC" in 1|2) ;; *) fail "hostfit does not say WARNING or CRITICAL with a server started by hand ($WANT_RC)" ;; esac
printf '%s\n' "$WANT" | head -n 1 | grep -q 'unmanaged-service' || fail "the status line does not name unmanaged-service"
say "not-OK host: check_nrpe and hostfit agree (exit $WANT_RC)"
nagios_check hostfit-nrpe || fail "nagios4 did not run the hostfit-nrpe service again"
[ "$(nagios_field current_state)" = "$WANT_RC" ] || fail "Nagios state $(nagios_field current_state) after the change, hostfit exits $WANT_RC"
pass "usage.md's NRPE recipe: check_nrpe and Nagios 4 get hostfit's status line and exit status (OK, then $WANT_RC)"
