# SPDX-License-Identifier: MIT
# hostfit system tests, host side: the VM bed.  The cached tree plus a kernel
# becomes an ext4 image (built without mounting it: mkfs.ext4 -d); each boot
# runs on a qcow2 overlay, gets a payload disk (hostfit, the scenario, the
# guest driver) and reports through its second serial port.  Sourced by run.sh.

SYS_VM_PKGS="linux-image-amd64 initramfs-tools systemd-zram-generator lvm2 cryptsetup-bin"
SYS_VM_RECIPE="vm-4 $SYS_VM_PKGS"
SYS_VM_SIZE=${HOSTFIT_SYSTEM_VM_SIZE:-6G}
SYS_VM_MEM=${HOSTFIT_SYSTEM_VM_MEM:-1024}
SYS_VM_TIMEOUT=${HOSTFIT_SYSTEM_VM_TIMEOUT:-1800}   # a bound on a hang: at load 18 a scenario with a reboot took 525 s

# Vendor-installed runner: it mounts the payload disk and hands over to the
# guest driver there.  Type=simple: a oneshot that waits for the boot to
# finish would hold the boot up forever.  It sets a memory limit, being
# the harness and not the host under test.
sys_vm_runner_unit() {
        cat <<'EOF'
[Unit]
Description=hostfit system test runner
Requires=dev-vdb.device
After=dev-vdb.device multi-user.target

[Service]
Type=simple
MemoryMax=90%
ExecStart=/bin/sh -c 'mkdir -p /run/hostfit-test && mount /dev/vdb /run/hostfit-test && exec /bin/sh /run/hostfit-test/guest.sh; echo "HOSTFIT-SYSTEM-EXIT 3" > /dev/ttyS1; systemctl poweroff'

[Install]
WantedBy=multi-user.target
EOF
}

# Runs a command in TREE as in a chroot (nspawn sets up /proc, /dev, /sys),
# with the host's network, in cgroups made for it.
sys_nspawn_chroot() {
        local tree=$1 rc
        shift
        sys_cgroup_create "hostfit-system-build${SYS_JOB:+-$SYS_JOB}-$$" || return 1
        (
                sys_cgroup_enter_self
                exec 9>&-       # the run's lock (run.sh) stays with the run, not with a bed
                exec systemd-nspawn -q -D "$tree" --register=no --keep-unit \
                        --console=pipe "$@"
        ) < /dev/null
        rc=$?
        sys_cgroup_destroy
        return $rc
}

sys_vm_image_build() {
        local d=$1 new="$1.new" t0 t1 k
        t0=$(sys_now)
        rm -rf "$new"
        mkdir -p "$new"
        sys_log "building the VM image in $new"
        cp -a "$SYS_TREE" "$new/tree" || return 1
        if ! sys_nspawn_chroot "$new/tree" /bin/sh -c "
                export DEBIAN_FRONTEND=noninteractive
                apt-get update -qq &&
                apt-get install -y -qq --no-install-recommends $SYS_VM_PKGS > /dev/null &&
                apt-get clean && rm -rf /var/lib/apt/lists/*" > "$new/build.log" 2>&1; then
                tail -n 20 "$new/build.log" >&2
                return 1
        fi
        printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$new/tree/etc/fstab"
        sys_vm_runner_unit > "$new/tree/usr/lib/systemd/system/hostfit-system-runner.service"
        ln -sfn /usr/lib/systemd/system/hostfit-system-runner.service \
                "$new/tree/etc/systemd/system/multi-user.target.wants/hostfit-system-runner.service"
        # Debian's zram-generator.conf turns zram0 on; the test host starts
        # with the generator installed and no device, as its comment says.
        sed -i 's/^\[zram0\]/# [zram0] (off on this host: no zram until configured)/' \
                "$new/tree/etc/systemd/zram-generator.conf" || return 1
        k=$(ls "$new/tree/boot/" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
        [ -n "$k" ] || { sys_log "no kernel in the VM tree"; return 1; }
        cp "$new/tree/boot/vmlinuz-$k" "$new/vmlinuz" &&
                cp "$new/tree/boot/initrd.img-$k" "$new/initrd.img" || return 1
        rm -f "$new/tree/.hostfit-recipe"
        mkfs.ext4 -q -F -L hostfit-root -d "$new/tree" "$new/root.img" "$SYS_VM_SIZE" > /dev/null || return 1
        rm -rf "$new/tree" "$new/build.log"
        printf '%s\n' "$SYS_TREE_RECIPE $SYS_VM_RECIPE" > "$new/.hostfit-recipe"
        rm -rf "$d" && mv "$new" "$d" || return 1
        t1=$(sys_now)
        sys_measure "VM image build" "$(sys_elapsed "$t0" "$t1") s, image $(du -m "$d/root.img" | cut -f1) MiB used"
}

# The cached image, rebuilt when absent or when the tree or the recipe changed.
sys_vm_image() {
        local d="$SYS_CACHE/vm"
        if [ "$(cat "$d/.hostfit-recipe" 2>/dev/null)" != "$SYS_TREE_RECIPE $SYS_VM_RECIPE" ]; then
                sys_vm_image_build "$d" || { rm -rf "$d.new"; return 1; }
        else
                sys_log "using cached VM image $d"
        fi
        SYS_VM_DIR=$d
}

# TCG by default: /dev/kvm is present on these machines but a KVM guest
# never gets past the firmware there.  HOSTFIT_SYSTEM_ACCEL=kvm where it works.
sys_vm_accel() {
        case "${HOSTFIT_SYSTEM_ACCEL:-tcg}" in
        kvm) echo "-accel kvm -cpu host" ;;
        *) echo "-accel tcg" ;;
        esac
}

# Asks qemu's human monitor (unix socket $1) to run command $2 and waits
# for it to finish (the next prompt); prints what it answered.
sys_vm_monitor() {
        python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(900)
s.connect(sys.argv[1])
buf = b""
def until_prompt():
    global buf
    while b"(qemu) " not in buf:
        d = s.recv(4096)
        if not d:
            raise SystemExit("monitor closed")
        buf += d
    out, _, buf = buf.partition(b"(qemu) ")
    return out
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
# The monitor echoes the command line (with its line editing) first.
out = until_prompt().split(b"\r\n", 1)
sys.stdout.write(out[1].decode(errors="replace").strip() if len(out) > 1 else "")
PY
}

# Waits (polling qemu $2 alive) until file $1 has a line matching $3 past
# byte $4, for at most $5 seconds; records qemu's peak RSS in VM_HWM.
sys_vm_wait_line() {
        local f=$1 pid=$2 re=$3 from=$4 secs=$5 i=0 h
        while kill -0 "$pid" 2>/dev/null; do
                tail -c +$((from + 1)) "$f" 2>/dev/null | tr -d '\r' | grep -q "$re" && return 0
                h=$(sys_qemu_hwm "$pid")
                [ "${h:-0}" -gt "$VM_HWM" ] && VM_HWM=$h
                [ "$i" -ge $((secs * 2)) ] && return 1
                sleep 0.5
                i=$((i + 1))
        done
        tail -c +$((from + 1)) "$f" 2>/dev/null | tr -d '\r' | grep -q "$re"
}

# Boots the image once for scenarios $2... (files), named by run $1: the guest
# waits for its first command, the host snapshots it there, then runs each
# scenario in turn and restores the snapshot before the next one, so every
# scenario starts on the same freshly booted host.  Each scenario's report
# goes to $SYS_WORK/NAME.results, its console lines to NAME.console.
vm_run_all() {
        local run=$1 w="$SYS_WORK/vm-$1" pid drain t0 ts scen name off coff first=1 st
        shift
        VM_HWM=0
        mkdir -p "$w.payload/scenarios"
        cp "$HOSTFIT" "$w.payload/hostfit" &&
                cp "$SYS_DIR/common.sh" "$SYS_DIR/guest.sh" "$w.payload/" || return 1
        for scen in "$@"; do
                cp "$scen" "$w.payload/scenarios/" || return 1
                sys_debs "$scen" "$w.payload/debs/$(basename "$scen" .sh)"
        done
        mkfs.ext4 -q -F -L hostfit-test -d "$w.payload" "$w.payload.img" 64M > /dev/null || return 1
        rm -rf "$w.payload"
        qemu-img create -q -f qcow2 -b "$SYS_VM_DIR/root.img" -F raw "$w.qcow2" || return 1
        rm -f "$w.cmd.in" "$w.cmd.out" "$w.mon"
        mkfifo "$w.cmd.in" "$w.cmd.out" || return 1
        : > "$w.results"
        : > "$w.console"
        sys_cgroup_create "hostfit-system-vm-$run-$$" || return 1
        t0=$(sys_now)
        # virtio-rng: under emulation on a busy host the kernel's own entropy can take
        # minutes at a reboot (systemd-random-seed stuck in getrandom, soft lockups).
        (
                sys_cgroup_enter_self
                exec 9>&-       # the run's lock (run.sh) stays with the run, not with a bed
                exec qemu-system-x86_64 $(sys_vm_accel) -m "$SYS_VM_MEM" -smp 2 \
                        -nodefaults -no-user-config -display none \
                        -monitor "unix:$w.mon,server=on,wait=off" \
                        -serial "file:$w.console" -serial "file:$w.results" \
                        -serial "pipe:$w.cmd" \
                        -kernel "$SYS_VM_DIR/vmlinuz" -initrd "$SYS_VM_DIR/initrd.img" \
                        -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0" \
                        -drive "file=$w.qcow2,if=virtio,format=qcow2" \
                        -drive "file=$w.payload.img,if=virtio,format=raw,readonly=on" \
                        -device virtio-rng-pci -nic none
        ) < /dev/null > "$w.qemu.log" 2>&1 &
        pid=$!
        # The guest never writes to its command port, but a full pipe would stall qemu.
        cat < "$w.cmd.out" > /dev/null 2>&1 &
        drain=$!
        exec 7<> "$w.cmd.in"
        if sys_vm_wait_line "$w.results" "$pid" '^HOSTFIT-SYSTEM-READY' 0 "$SYS_VM_TIMEOUT"; then
                sys_measure "VM boot ($run)" "$(sys_elapsed "$t0" "$(sys_now)") s to the runner"
                ts=$(sys_now)
                st=$(sys_vm_monitor "$w.mon" "savevm booted" 2>&1)
                sys_measure "VM snapshot ($run)" "$(sys_elapsed "$ts" "$(sys_now)") s${st:+: $st}"
        else
                sys_log "VM $run did not reach its runner"
                tail -n 25 "$w.console" >&2
        fi
        for scen in "$@"; do
                name=$(basename "$scen" .sh)
                off=$(wc -c < "$w.results")
                coff=$(wc -c < "$w.console")
                ts=$(sys_now)
                if [ "$first" = 0 ]; then
                        st=$(sys_vm_monitor "$w.mon" "loadvm booted" 2>&1)
                        [ -n "$st" ] && sys_log "loadvm: $st"
                fi
                first=0
                printf 'run %s\n' "$name" >&7
                if ! sys_vm_wait_line "$w.results" "$pid" "^HOSTFIT-SYSTEM-EXIT [0-9]* $name\$" "$off" "$SYS_VM_TIMEOUT"; then
                        sys_log "VM scenario $name still running after ${SYS_VM_TIMEOUT}s: stopping it"
                        echo "HOSTFIT-SYSTEM-TIMEOUT" >> "$w.results"
                fi
                tail -c +$((off + 1)) "$w.results" | tr -d '\r' > "$SYS_WORK/$name.results"
                tail -c +$((coff + 1)) "$w.console" | tr -d '\r' > "$SYS_WORK/$name.console"
                sys_measure "VM scenario ($name)" "$(sys_elapsed "$ts" "$(sys_now)") s"
                kill -0 "$pid" 2>/dev/null || break
        done
        exec 7>&-
        sys_measure "VM run ($run, $# scenarios)" "$(sys_elapsed "$t0" "$(sys_now)") s, qemu peak RSS $((VM_HWM / 1024)) MiB"
        kill "$pid" "$drain" 2>/dev/null
        sys_cgroup_destroy
        wait "$pid" "$drain" 2>/dev/null
        rm -f "$w.qcow2" "$w.payload.img" "$w.cmd.in" "$w.cmd.out" "$w.mon"
        return 0
}

# VmHWM of qemu, in KiB (the subshell has exec'd into it).
sys_qemu_hwm() {
        sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

# Exit status the scenario reported in the VM, 1 when it reported none.
vm_result() {
        local st
        st=$(sed -n 's/^HOSTFIT-SYSTEM-EXIT \([0-9]*\).*/\1/p' "$SYS_WORK/$1.results" | tail -n 1)
        return "${st:-1}"
}
