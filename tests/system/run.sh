#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit system tests: `make test-system`.  Boots real systemd (a container,
# then a VM), runs each scenario in tests/system/scenarios on the bed that can
# show it, prints one line a scenario and "N passed, N failed, N skipped".
#
# HOSTFIT=path to the binary (copied into the beds at test time).
# HOSTFIT_SYSTEM_BEDS="container trixie vm"   beds to run (default all three;
#                                      the VM bed runs beside the others)
# HOSTFIT_SYSTEM_ONLY="01 07"          scenario number prefixes to run
# HOSTFIT_SYSTEM_CACHE=/var/cache/hostfit-system   cached tree and image
# HOSTFIT_SYSTEM_KEEP=1                keep the work directory (logs)
# HOSTFIT_SYSTEM_LOCK=/run/lock/hostfit-system.lock   taken for the whole run

set -u
SYS_DIR=$(cd "$(dirname "$0")" && pwd)
. "$SYS_DIR/lib.sh"
. "$SYS_DIR/vm.sh"

PASSED=0 FAILED=0 SKIPPED=0
BEDS=${HOSTFIT_SYSTEM_BEDS:-container trixie vm}

finish() {
        echo "system: $PASSED passed, $FAILED failed, $SKIPPED skipped"
        [ "$FAILED" -eq 0 ]
        exit $?
}

skip_all() {
        echo "system: skipped: $*"
        finish
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (nspawn, cgroups, swap)"
HOSTFIT=${HOSTFIT:-build/hostfit}
[ -x "$HOSTFIT" ] || skip_all "no hostfit binary at $HOSTFIT (run make)"
HOSTFIT=$(cd "$(dirname "$HOSTFIT")" && pwd)/$(basename "$HOSTFIT")

missing_tools() {
        local t
        for t in "$@"; do
                command -v "$t" > /dev/null 2>&1 || printf ' %s' "$t"
        done
}
CT_MISSING=$(missing_tools debootstrap systemd-nspawn nsenter systemd-run)
VM_MISSING=$(missing_tools debootstrap systemd-nspawn qemu-system-x86_64 qemu-img mkfs.ext4)

# One system run a machine: the beds' names, the cached tree and image, and the
# swap snapshot taken below are the machine's, so a second run waits its turn.
SYS_LOCK=${HOSTFIT_SYSTEM_LOCK:-/run/lock/hostfit-system.lock}
exec 9>>"$SYS_LOCK" || { echo "system: cannot open the lock $SYS_LOCK"; exit 1; }
if ! flock -n 9; then
        sys_log "another system test run holds $SYS_LOCK: waiting for it (at most 2 hours)"
        flock -w 7200 9 || { echo "system: $SYS_LOCK still held after 2 hours (fuser $SYS_LOCK names who holds it)"; exit 1; }
fi

SYS_WORK=$(mktemp -d /tmp/hostfit-system.XXXXXX)
VM_JOB=
cleanup() {
        # A reader gone (| head) or a second ^C must not cut teardown short.
        trap '' PIPE INT TERM HUP
        ct_teardown
        if [ -n "$VM_JOB" ]; then
                # The VM bed beside the containers: it and all it started (qemu,
                # an image build, their helpers) live in its cgroups.  Where a
                # hierarchy would not take it in (a v1 cpuset without cpus), its
                # beds' cgroups sit beside it.
                SYS_CGROUPS=$(for c in vmjob vm-all build-vm; do sys_cgroup_dirs "hostfit-system-$c-$$"; done)
                sys_cgroup_destroy
                wait "$VM_JOB" 2>/dev/null
        fi
        sys_cgroup_destroy
        sys_swap_restore
        if [ "${HOSTFIT_SYSTEM_KEEP:-0}" = 1 ]; then
                sys_log "logs kept in $SYS_WORK"
        else
                rm -rf "$SYS_WORK"
        fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
sys_swap_snapshot

# "# bed: BED..." (container, trixie, vm; both = container vm) and
# "# needs: ID..." in a scenario's header.
scen_field() {
        sed -n "s/^# $2: *//p" "$1" | head -n 1
}

# Whether scenario $1 runs on bed $2.
on_bed() {
        local b
        for b in $(scen_field "$1" bed); do
                case "$b" in
                "$2") return 0 ;;
                both) [ "$2" = container ] || [ "$2" = vm ] && return 0 ;;
                esac
        done
        return 1
}

wanted() {
        local n
        [ -z "${HOSTFIT_SYSTEM_ONLY:-}" ] && return 0
        for n in $HOSTFIT_SYSTEM_ONLY; do
                case "$(basename "$1")" in "$n"*) return 0 ;; esac
        done
        return 1
}

report() {
        local name=$1 bed=$2 rc=$3 log=$4 secs=$5 why
        case "$rc" in
        0) PASSED=$((PASSED + 1))
           echo "system: $name [$bed] pass (${secs}s)" ;;
        77) SKIPPED=$((SKIPPED + 1))
            why=$(sed -n 's/.*SKIP: //p' "$log" | tail -n 1)
            echo "system: $name [$bed] skip: ${why:-no reason given}" ;;
        *) FAILED=$((FAILED + 1))
           echo "system: $name [$bed] FAIL (${secs}s)"
           sed 's/^/    /' "$log" ;;
        esac
}

# A check this hostfit does not know skips the scenario before any bed
# boots for it; the scenario checks again on the bed.
unavailable() {
        local id
        for id in $(scen_field "$1" needs); do
                "$HOSTFIT" explain "$id" > /dev/null 2>&1 || { echo "$id"; return 0; }
        done
        return 1
}

run_container() {
        local scen=$1 name=$2 bed=${3:-container} log="$SYS_WORK/$2.${3:-container}.log" t0 rc
        t0=$(sys_now)
        if ! ct_boot "$name" > "$log" 2>&1; then
                cat "$SYS_WORK/$name.console" >> "$log" 2>/dev/null
                ct_teardown
                report "$name" "$bed" 1 "$log" "$(sys_elapsed "$t0" "$(sys_now)")"
                return
        fi
        # The bed's /srv/disk is SYS_DISK here; the scenario's debs are in its debs/.
        SYS_DISK="$SYS_WORK/disk-$name"
        sys_debs "$scen" "$SYS_DISK/debs" >> "$log" 2>&1
        ( BED=container SUITE=$bed PHASE=1 SYS_DEBS_DIR=/srv/disk/debs; . "$SYS_DIR/common.sh"; . "$scen" ) >> "$log" 2>&1 < /dev/null
        rc=$?
        ct_teardown >> "$log" 2>&1
        report "$name" "$bed" "$rc" "$log" "$(sys_elapsed "$t0" "$(sys_now)")"
}

# The VM scenarios share one boot (vm.sh): run them all, then report each.
run_vm_all() {
        local scen name log rc
        [ $# -gt 0 ] || return 0
        vm_run_all all "$@" > "$SYS_WORK/vm-all.log" 2>&1
        for scen in "$@"; do
                name=$(basename "$scen" .sh)
                log="$SYS_WORK/$name.vm.log"
                grep -v '^HOSTFIT-SYSTEM-' "$SYS_WORK/$name.results" > "$log" 2>/dev/null
                vm_result "$name"
                rc=$?
                if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
                        echo "  | VM run log:" >> "$log"
                        tail -n 15 "$SYS_WORK/vm-all.log" | sed 's/^/  |   /' >> "$log"
                        echo "  | console (last lines):" >> "$log"
                        tail -n 25 "$SYS_WORK/$name.console" 2>/dev/null | sed 's/^/  |   /' >> "$log"
                fi
                report "$name" vm "$rc" "$log" "$(sed -n "s/^VM scenario ($name): \([0-9.]*\) s/\1/p" "$SYS_WORK/measurements" | tail -n 1)"
        done
}

run_bed() {
        local bed=$1 scen name id vms= main_tree
        for scen in "$SYS_DIR"/scenarios/[0-9]*.sh; do
                wanted "$scen" || continue
                name=$(basename "$scen" .sh)
                on_bed "$scen" "$bed" || continue
                if id=$(unavailable "$scen"); then
                        SKIPPED=$((SKIPPED + 1))
                        echo "system: $name [$bed] skip: $id not available in this build"
                        continue
                fi
                case "$bed" in
                vm) vms="$vms $scen" ;;
                trixie)
                        main_tree=${SYS_TREE:-}
                        SYS_TREE=$SYS_TRIXIE_TREE
                        run_container "$scen" "$name" trixie
                        SYS_TREE=$main_tree ;;
                *) run_container "$scen" "$name" container ;;
                esac
        done
        [ "$bed" = vm ] && run_vm_all $vms
}

# Scenarios of a bed that cannot run are counted as skipped, with the reason.
skip_bed() {
        local bed=$1 why=$2 scen
        for scen in "$SYS_DIR"/scenarios/[0-9]*.sh; do
                wanted "$scen" || continue
                on_bed "$scen" "$bed" || continue
                SKIPPED=$((SKIPPED + 1))
                echo "system: $(basename "$scen" .sh) [$bed] skip: $why"
        done
}

need_tree() {
        [ -n "${SYS_TREE:-}" ] && return 0
        sys_tree
}

vm_bed() {
        if [ -n "$VM_MISSING" ]; then
                skip_bed vm "missing tools:$VM_MISSING"
        elif ! need_tree || ! sys_vm_image; then
                FAILED=$((FAILED + 1)); echo "system: building the VM image failed"
        else
                run_bed vm
        fi
}

# The VM bed's guest is emulated and its scenarios take a while each; the
# container beds wait on their systemd.  With both in the run, the VM bed
# runs beside the containers, in a work directory of its own (the beds share
# scenario names) and its own cgroups; its lines follow the containers'.
vm_beside=
case " $BEDS " in
*" vm "*)
        for bed in $BEDS; do
                [ "$bed" = vm ] || vm_beside=1
        done ;;
esac
if [ -n "$vm_beside" ] && [ -z "$VM_MISSING" ] && [ -z "$CT_MISSING" ] && need_tree; then
        mkdir -p "$SYS_WORK/vm"
        (
                SYS_WORK=$SYS_WORK/vm SYS_JOB=vm PASSED=0 FAILED=0 SKIPPED=0
                # Its own cgroup first, so that whatever it starts is found and
                # ended by the run's clean-up; the beds' cgroups nest in it.
                sys_cgroup_create "hostfit-system-vmjob-$$" && sys_cgroup_enter_self ||
                        { echo "system: cannot make the VM bed's cgroup"; echo "0 1 0" > "$SYS_WORK/counts"; exit 1; }
                SYS_CGROUPS=
                vm_bed
                echo "$PASSED $FAILED $SKIPPED" > "$SYS_WORK/counts"
        ) > "$SYS_WORK/vm.out" 2>&1 < /dev/null &
        VM_JOB=$!
        sys_log "the VM bed runs beside the container beds (its lines come after theirs)"
else
        vm_beside=
fi

for bed in $BEDS; do
        case "$bed" in
        container)
                if [ -n "$CT_MISSING" ]; then
                        skip_bed container "missing tools:$CT_MISSING"
                elif ! need_tree; then
                        FAILED=$((FAILED + 1)); echo "system: building the tree failed"
                else
                        run_bed container
                fi ;;
        trixie)
                if [ -n "$CT_MISSING" ]; then
                        skip_bed trixie "missing tools:$CT_MISSING"
                elif ! sys_tree_trixie; then
                        FAILED=$((FAILED + 1)); echo "system: building the trixie tree failed"
                else
                        run_bed trixie
                fi ;;
        vm) [ -n "$vm_beside" ] || vm_bed ;;
        *) FAILED=$((FAILED + 1)); echo "system: unknown bed '$bed' (beds: container trixie vm)" ;;
        esac
done

if [ -n "$VM_JOB" ]; then
        wait "$VM_JOB"
        VM_JOB=
        SYS_CGROUPS=$(sys_cgroup_dirs "hostfit-system-vmjob-$$")
        sys_cgroup_destroy
        cat "$SYS_WORK/vm.out"
        cat "$SYS_WORK/vm/measurements" >> "$SYS_WORK/measurements" 2>/dev/null
        if read -r p f s 2>/dev/null < "$SYS_WORK/vm/counts"; then
                PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
        else
                FAILED=$((FAILED + 1)); echo "system: the VM bed ended without its counts"
        fi
fi

if [ -f "$SYS_WORK/measurements" ]; then
        echo "system: measurements:"
        sed 's/^/system:   /' "$SYS_WORK/measurements"
fi
finish
