# SPDX-License-Identifier: MIT
# hostfit system tests: what a scenario calls, on either bed. Sourced after
# BED is set: "container" (lib.sh's ct_run runs commands inside) or "vm" (this
# shell already runs inside the guest). A scenario ends with pass, fail or skip.

SCEN_LOG_PREFIX="  |"
HF_OUT=
HF_RC=0

say() {
        printf '%s %s\n' "$SCEN_LOG_PREFIX" "$*"
}

# Runs a command on the bed, stdin and stdout passed through.
inside() {
        if [ "$BED" = container ]; then
                ct_run "$@"
        else
                "$@"
        fi
}

inside_sh() {
        inside /bin/sh -c "$1"
}

# Writes stdin to PATH on the bed.
put() {
        inside_sh "mkdir -p \"\$(dirname '$1')\" && cat > '$1' && chmod ${2:-0644} '$1'"
}

# Starts a command the way a person does from a login shell: in a session
# scope under user.slice, its own session, outside any service.
hand() {
        local name=$1
        shift
        inside systemd-run --quiet --scope --slice=user.slice --unit="$name" \
                setsid -f "$@" < /dev/null > /dev/null 2>&1
}

# hostfit on the bed; output in HF_OUT, exit status in HF_RC.
hf() {
        HF_OUT=$(inside hostfit "$@" 2>&1)
        HF_RC=$?
        return 0
}

show_hf() {
        say "\$ hostfit $* (exit $HF_RC)"
        printf '%s\n' "$HF_OUT" | sed "s/^/$SCEN_LOG_PREFIX   /" | head -n 80
}

# A JSON query on text from stdin, run on the bed (its tree has python3).
json() {
        inside python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception as e:
    print("invalid-json: %s" % e)
    sys.exit(1)
print(eval(sys.argv[1], {"d": d}))
' "$1"
}

# Status of check ID in a `check --format json` output.
check_status() {
        printf '%s' "$HF_OUT" | json "[c['status'] for c in d['checks'] if c['id'] == '$1'] or ['absent']" |
                tr -d "[]' "
}

# Check IDs whose status is fail or warn.
failing_checks() {
        printf '%s' "$HF_OUT" | json "' '.join(c['id'] for c in d['checks'] if c['status'] in ('fail', 'warn'))"
}

# Skips the scenario when this hostfit has no such check: `explain` knows
# every check in the table.
need_checks() {
        local id
        for id in "$@"; do
                if ! inside hostfit explain "$id" > /dev/null 2>&1; then
                        skip "$id not available in this build"
                fi
        done
}

# A command from a package the bed's recipe installs (lib.sh's SYS_TREE_EXTRA, vm.sh's
# SYS_VM_PKGS): missing, the bed is broken, and the scenario fails; it never skips for it.
need_bed_command() {
        inside_sh "command -v $1" > /dev/null 2>&1 ||
                fail "$1 is missing from the bed, whose recipe installs $2: the bed is broken"
}

pass() {
        say "PASS${1:+: $1}"
        exit 0
}

# Prints hostfit's last output and the bed's unit state before failing.
fail() {
        say "FAIL: $*"
        [ -n "$HF_OUT" ] && show_hf "(last run)"
        if [ -n "${DIAG_UNITS:-}" ]; then
                inside systemctl status --no-pager --lines=15 $DIAG_UNITS 2>&1 |
                        sed "s/^/$SCEN_LOG_PREFIX   /"
                inside journalctl --no-pager -n 30 -o short-monotonic $(printf -- '-u %s ' $DIAG_UNITS) 2>&1 |
                        sed "s/^/$SCEN_LOG_PREFIX   /"
        fi
        exit 1
}

skip() {
        say "SKIP: $*"
        exit 77
}

# The check fails (or warns) on the host as it was set up.
expect_finding() {
        local id=$1 st
        hf check "$id" --format json
        st=$(check_status "$id")
        case "$st" in
        fail|warn) say "check $id: $st (exit $HF_RC), as set up" ;;
        *) fail "check $id: expected a finding, got '$st'" ;;
        esac
}

expect_pass() {
        local id=$1 st
        hf check "$id" --format json
        st=$(check_status "$id")
        [ "$st" = pass ] || fail "check $id after the fix: expected pass, got '$st'"
        say "check $id: pass"
}

# fix --yes, then the check passes, then a second dry run plans nothing.
fix_and_verify() {
        local id n
        hf fix --yes "$@"
        [ "$HF_RC" -eq 0 ] || fail "fix --yes $* exited $HF_RC"
        show_hf fix --yes "$@"
        for id in "$@"; do
                expect_pass "$id"
        done
        expect_no_plan "$@"
}

expect_no_plan() {
        local n
        hf fix --dry-run --format json "$@"
        n=$(printf '%s' "$HF_OUT" | json "len(d['actions'])")
        [ "$n" = 0 ] || fail "second fix --dry-run $* plans $n action(s)"
        say "second dry run of $*: nothing to do"
}

# Polls a shell condition on the bed for up to $1 seconds.
wait_for() {
        local secs=$1 cond=$2 i=0
        while [ "$i" -lt "$secs" ]; do
                inside_sh "$cond" > /dev/null 2>&1 && return 0
                sleep 1
                i=$((i + 1))
        done
        return 1
}

# Waits until each process has lived SECS seconds (hostfit's min-age and min-uptime count a
# process's life, not the scenario's time); fails if one ends first.
wait_age() {
        local secs=$1 pid
        shift
        for pid in "$@"; do
                wait_for $((secs + 120)) "e=\$(ps -o etimes= -p $pid) && [ \$e -ge $secs ]" ||
                        fail "pid $pid did not live $secs s (it ended, or the bed stalled)"
        done
}

# Waits until TIMER has triggered N more times (its LastTriggerUSecMonotonic changed N times),
# however late a loaded machine runs it; fails after BOUND seconds (default 300).
wait_timer_runs() {
        local timer=$1 want=$2 bound=${3:-300} runs=0 i=0 last now
        last=$(unit_prop "$timer" LastTriggerUSecMonotonic)
        while [ "$runs" -lt "$want" ]; do
                [ "$i" -lt "$bound" ] || fail "$timer ran $runs times in $bound s, expected $want"
                sleep 1
                i=$((i + 1))
                now=$(unit_prop "$timer" LastTriggerUSecMonotonic)
                [ "$now" != "$last" ] && runs=$((runs + 1)) last=$now
        done
}

unit_prop() {
        inside systemctl show -P "$2" "$1" 2>/dev/null
}

# Reboots the VM: the guest driver runs the scenario again with PHASE one
# higher, on the same disk.
reboot_bed() {
        [ "$BED" = vm ] || fail "a reboot needs the VM bed"
        say "rebooting after phase $PHASE"
        exit 100
}

# The hand-over a fix prints for UNIT (`hostfit fix --dry-run --format json IDS…`, the manual
# step "hand over to UNIT …"): its commands after "in this order: ", up to the end of that
# sentence, in HANDOVER.
handover_steps() {
        local unit=$1
        shift
        hf fix --dry-run --format json "$@"
        HANDOVER=$(printf '%s' "$HF_OUT" | json "[a['text'].split('in this order: ', 1)[1].split('. ')[0].rstrip('.') for a in d['actions'] if a['kind'] == 'manual' and 'hand over to $unit ' in (a.get('text') or '')][0]") ||
                fail "no hand-over for $unit in the plan"
}

# Runs the hand-over a fix prints for UNIT as printed.
run_handover() {
        local unit=$1
        shift
        handover_steps "$unit" "$@"
        say "hand-over, as printed: $HANDOVER"
        inside_sh "$HANDOVER" || fail "the printed hand-over failed: $HANDOVER"
}

# The status.dat block of Nagios 4's service DESC on the bed (empty before Nagios wrote one).
nagios_status() {
        inside_sh "awk '/^servicestatus \\{/ { b = \"\" } { b = b \$0 \"\\n\" } /service_description=$1\$/ { s = 1 } /^\\t\\}/ && s { print b; exit }' /var/lib/nagios4/status.dat"
}

# Has the running Nagios 4 check service DESC of localhost now (a forced check
# through its command pipe) and waits, up to five minutes, for a result newer
# than the one it had: its status.dat block in NAGIOS_STATUS.
nagios_check() {
        local desc=$1 before last i=0
        wait_for 120 'test -p /var/lib/nagios4/rw/nagios.cmd' || return 1
        before=$(nagios_status "$desc" | sed -n 's/^[[:space:]]*last_check=//p')
        inside_sh "now=\$(date +%s); printf '[%s] SCHEDULE_FORCED_SVC_CHECK;localhost;$desc;%s\n' \$now \$now > /var/lib/nagios4/rw/nagios.cmd"
        while [ "$i" -lt 300 ]; do
                NAGIOS_STATUS=$(nagios_status "$desc")
                last=$(printf '%s\n' "$NAGIOS_STATUS" | sed -n 's/^[[:space:]]*last_check=//p')
                if printf '%s' "$NAGIOS_STATUS" | grep -q 'has_been_checked=1' && [ "${last:-0}" != "${before:-0}" ]; then
                        return 0
                fi
                sleep 2
                i=$((i + 2))
        done
        return 1
}

# A field of the last nagios_check's block (current_state, plugin_output, ...).
nagios_field() {
        printf '%s\n' "$NAGIOS_STATUS" | sed -n "s/^[[:space:]]*$1=//p" | head -n 1
}

# Ansible run from this machine against the container bed, with the tree's
# collection: ansible-playbook connects over SSH, through sshd -i run in the
# container's namespaces (the bed has no network).  Makes DIR with a key, an
# inventory (group beds, host bed; host_vars in DIR/host_vars) and the
# ANSIBLE_* settings exported.
ansible_bed() {
        local a=$1
        [ "$BED" = container ] && [ -n "${SYS_CT_LEADER:-}" ] || fail "Ansible runs against the container bed"
        rm -rf "$a" && mkdir -p "$a/host_vars" || fail "cannot make $a"
        ssh-keygen -q -t ed25519 -N '' -f "$a/key" || fail "ssh-keygen"
        inside_sh 'mkdir -p /root/.ssh /run/sshd && chmod 700 /root/.ssh'
        put /root/.ssh/authorized_keys 0600 < "$a/key.pub"
        cat > "$a/inventory" <<EOF2
[beds]
bed ansible_host=bed ansible_user=root ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file=$a/key ansible_ssh_common_args='-o ProxyCommand="nsenter -t $SYS_CT_LEADER -a /usr/sbin/sshd -i" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ControlMaster=no -o ControlPath=none'
EOF2
        ANSIBLE_COLLECTIONS_PATH=$(cd "$SYS_DIR/../../ansible" && pwd)
        export ANSIBLE_COLLECTIONS_PATH ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
               ANSIBLE_HOME=$a/home ANSIBLE_LOCAL_TEMP=$a/tmp ANSIBLE_STDOUT_CALLBACK=default \
               ANSIBLE_HOST_KEY_CHECKING=0 ANSIBLE_FORCE_COLOR=0
}
