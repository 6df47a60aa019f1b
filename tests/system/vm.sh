# SPDX-License-Identifier: MIT
# hostfit system tests, host side: the VM bed.  The cached tree plus a kernel
# becomes an ext4 image (built without mounting it: mkfs.ext4 -d); each boot
# runs on a qcow2 overlay, gets a payload disk (hostfit, the scenario, the
# guest driver) and reports through its second serial port.  Sourced by run.sh.

SYS_VM_PKGS="linux-image-amd64 initramfs-tools systemd-zram-generator lvm2 cryptsetup-bin"
SYS_VM_RECIPE="vm-4 $SYS_VM_PKGS"
SYS_VM_SIZE=${HOSTFIT_SYSTEM_VM_SIZE:-6G}
SYS_VM_MEM=${HOSTFIT_SYSTEM_VM_MEM:-1024}
SYS_VM_TIMEOUT=${HOSTFIT_SYSTEM_VM_TIMEOUT:-600}

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
        sys_cgroup_create "hostfit-system-build-$$" || return 1
        (
                sys_cgroup_enter_self
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

# Boots the image with scenario file $2 on the payload disk; the guest runs
# it (rebooting when it asks to) and powers off.  The guest's report is in
# $SYS_WORK/$1.results, its console in $1.console.
vm_run() {
        local name=$1 scen=$2 w="$SYS_WORK/$1" pid t0 tb= i=0 hwm=0 h debs
        mkdir -p "$w.payload"
        cp "$HOSTFIT" "$w.payload/hostfit" &&
                cp "$SYS_DIR/common.sh" "$SYS_DIR/guest.sh" "$w.payload/" &&
                cp "$scen" "$w.payload/scenario.sh" || return 1
        echo 1 > "$w.payload/phase"
        # A scenario's "# debs: PKG..." line: Debian packages it installs with
        # dpkg -i inside, downloaded here onto the payload disk (the image stays as built).
        debs=$(sed -n 's/^# debs: *//p' "$scen" | head -n 1)
        if [ -n "$debs" ]; then
                (cd "$w.payload" && apt-get download $debs > /dev/null 2>&1) ||
                        sys_log "$name: cannot download $debs (apt-get download): the scenario skips"
        fi
        mkfs.ext4 -q -F -L hostfit-test -d "$w.payload" "$w.payload.img" 64M > /dev/null || return 1
        rm -rf "$w.payload"
        qemu-img create -q -f qcow2 -b "$SYS_VM_DIR/root.img" -F raw "$w.qcow2" || return 1
        : > "$w.results"
        sys_cgroup_create "hostfit-system-vm-$name-$$" || return 1
        t0=$(sys_now)
        (
                sys_cgroup_enter_self
                exec qemu-system-x86_64 $(sys_vm_accel) -m "$SYS_VM_MEM" -smp 2 \
                        -nodefaults -no-user-config -display none -monitor none \
                        -serial "file:$w.console" -serial "file:$w.results" \
                        -kernel "$SYS_VM_DIR/vmlinuz" -initrd "$SYS_VM_DIR/initrd.img" \
                        -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0" \
                        -drive "file=$w.qcow2,if=virtio,format=qcow2" \
                        -drive "file=$w.payload.img,if=virtio,format=raw" \
                        -nic none
        ) < /dev/null > "$w.qemu.log" 2>&1 &
        pid=$!
        while kill -0 "$pid" 2>/dev/null; do
                if [ -z "$tb" ] && grep -q '^HOSTFIT-SYSTEM-BOOT' "$w.results" 2>/dev/null; then
                        tb=$(sys_now)
                        sys_measure "VM boot ($name)" "$(sys_elapsed "$t0" "$tb") s to the runner"
                fi
                h=$(sys_qemu_hwm "$pid")
                [ "${h:-0}" -gt "$hwm" ] && hwm=$h
                if [ "$i" -ge $((SYS_VM_TIMEOUT * 2)) ]; then
                        sys_log "VM $name still running after ${SYS_VM_TIMEOUT}s: stopping it"
                        echo "HOSTFIT-SYSTEM-TIMEOUT" >> "$w.results"
                        break
                fi
                sleep 0.5
                i=$((i + 1))
        done
        sys_measure "VM run ($name)" "$(sys_elapsed "$t0" "$(sys_now)") s, qemu peak RSS $((hwm / 1024)) MiB"
        sys_cgroup_destroy
        wait "$pid" 2>/dev/null
        rm -f "$w.qcow2" "$w.payload.img"
        tr -d '\r' < "$w.results" > "$w.results.tmp" && mv "$w.results.tmp" "$w.results"
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
