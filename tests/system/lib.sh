# SPDX-License-Identifier: MIT
# hostfit system tests, host side: the cached Debian tree, the container
# (systemd-nspawn) that boots it, commands run inside, and teardown.
# Sourced by run.sh and vm.sh; POSIX sh plus `local`.

SYS_DIR=${SYS_DIR:-$(cd "$(dirname "$0")" && pwd)}
SYS_CACHE=${HOSTFIT_SYSTEM_CACHE:-/var/cache/hostfit-system}
SYS_MIRROR=${HOSTFIT_SYSTEM_MIRROR:-http://deb.debian.org/debian}
SYS_SUITE=bookworm
# What every bed has: systemd as PID 1 and the libraries hostfit links
# against (libmount1, libblkid1, libsystemd0), plus what the scenarios run.
SYS_TREE_PKGS=systemd,systemd-sysv,dbus,util-linux,procps,iproute2,python3,tmux
# What the scenarios of a real server need, installed after debootstrap with
# apt (which resolves what debootstrap --include cannot): the stock server's
# vendor daemons, an OOM daemon, Node, a monitoring engine and exporter,
# etckeeper, cloud-init.  Their services are disabled in the tree (and
# cloud-init masked): a scenario starts the ones it needs.
SYS_TREE_EXTRA="openssh-server nginx-light postgresql redis-server cron earlyoom nodejs
        prometheus-node-exporter nagios4-core monitoring-plugins-basic etckeeper git cloud-init
        python3-yaml systemd-journal-remote"
SYS_TREE_SERVICES="ssh.service nginx.service postgresql.service redis-server.service cron.service
        earlyoom.service prometheus-node-exporter.service nagios4.service
        systemd-journal-remote.socket etckeeper.timer"
SYS_TREE_MASKED="cloud-init.service cloud-init-local.service cloud-config.service cloud-final.service
        cloud-init-hotplugd.socket"
# Bump when the recipe below changes: a cached tree with another stamp is rebuilt.
SYS_TREE_RECIPE="tree-5 $SYS_SUITE $SYS_TREE_PKGS $(echo $SYS_TREE_EXTRA)"
# The trixie bed (systemd 257): a container of Debian 13 with the stock
# server's daemons, for the scenarios whose "# bed:" names trixie.
SYS_TRIXIE_EXTRA="openssh-server nginx postgresql redis-server cron earlyoom nodejs python3-yaml libjson-c5 libmd0"
SYS_TRIXIE_SERVICES="ssh.service nginx.service postgresql.service redis-server.service cron.service earlyoom.service"
SYS_TRIXIE_RECIPE="tree-trixie-2 trixie $SYS_TREE_PKGS $(echo $SYS_TRIXIE_EXTRA)"

sys_log() {
        printf '%s\n' "system: $*" >&2
}

sys_now() {
        date +%s.%N
}

# Seconds between two sys_now stamps, one decimal.
sys_elapsed() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# Records a measurement; run.sh prints them at the end.
sys_measure() {
        [ -n "${SYS_WORK:-}" ] && printf '%s: %s\n' "$1" "$2" >> "$SYS_WORK/measurements"
        sys_log "measured $1: $2"
}

# Units a minimal test host must not start on its own: they would download,
# prompt on the console or change the host behind the test's back.
sys_tree_mask() {
        local tree=$1 u
        for u in apt-daily.timer apt-daily-upgrade.timer apt-daily.service \
                 apt-daily-upgrade.service dpkg-db-backup.timer e2scrub_all.timer \
                 fstrim.timer man-db.timer systemd-firstboot.service \
                 getty@tty1.service; do
                ln -sfn /dev/null "$tree/etc/systemd/system/$u"
        done
}

# debootstrap into DIR.new, configure, then move into place: a build cut
# short never leaves a tree that looks finished.
# TREE SUITE RECIPE EXTRA SERVICES: the suite, then the extra packages, their
# services disabled.
sys_tree_build() {
        local tree=$1 suite=$2 recipe=$3 extra=$4 services=$5 new="$1.new" t0 t1
        rm -rf "$new"
        mkdir -p "$(dirname "$tree")"
        sys_log "debootstrap $suite into $new"
        t0=$(sys_now)
        if ! debootstrap --variant=minbase --include="$SYS_TREE_PKGS" \
                        "$suite" "$new" "$SYS_MIRROR" > "$new.log" 2>&1; then
                tail -n 20 "$new.log" >&2
                rm -rf "$new"
                return 1
        fi
        t1=$(sys_now)
        sys_measure "debootstrap $suite" "$(sys_elapsed "$t0" "$t1") s"
        if ! sys_nspawn_chroot "$new" /bin/sh -c "
                export DEBIAN_FRONTEND=noninteractive
                printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d &&
                apt-get update -qq &&
                apt-get install -y -qq --no-install-recommends $(echo $extra) > /dev/null &&
                systemctl disable $(echo $services) > /dev/null 2>&1;
                systemctl mask $(echo $SYS_TREE_MASKED) > /dev/null 2>&1;
                rm -f /usr/sbin/policy-rc.d; apt-get clean" > "$new.log" 2>&1; then
                tail -n 20 "$new.log" >&2
                rm -rf "$new"
                return 1
        fi
        sys_tree_mask "$new"
        echo hostfit-test > "$new/etc/hostname"
        : > "$new/etc/machine-id"
        printf '# hostfit system test bed\n' > "$new/etc/fstab"
        rm -rf "$new/var/cache/apt/archives/"*.deb "$new/var/lib/apt/lists/"*
        printf '%s\n' "$recipe" > "$new/.hostfit-recipe"
        rm -rf "$tree" && mv "$new" "$tree" && rm -f "$new.log"
        sys_measure "tree size ($suite)" "$(du -sm "$tree" | cut -f1) MiB"
}

# The cached tree, built when absent or built by another recipe.
sys_tree() {
        local tree="$SYS_CACHE/tree"
        if [ "$(cat "$tree/.hostfit-recipe" 2>/dev/null)" != "$SYS_TREE_RECIPE" ]; then
                sys_tree_build "$tree" "$SYS_SUITE" "$SYS_TREE_RECIPE" "$SYS_TREE_EXTRA" "$SYS_TREE_SERVICES" || return 1
        else
                sys_log "using cached tree $tree"
        fi
        SYS_TREE=$tree
}

# The trixie tree, the same way; in SYS_TRIXIE_TREE.
sys_tree_trixie() {
        local tree="$SYS_CACHE/tree-trixie"
        if [ "$(cat "$tree/.hostfit-recipe" 2>/dev/null)" != "$SYS_TRIXIE_RECIPE" ]; then
                sys_tree_build "$tree" trixie "$SYS_TRIXIE_RECIPE" "$SYS_TRIXIE_EXTRA" "$SYS_TRIXIE_SERVICES" || return 1
        else
                sys_log "using cached tree $tree"
        fi
        SYS_TRIXIE_TREE=$tree
}

# ---- cgroups made for the test: everything the bed starts lives in them,
# so teardown can find and end every process it left.

sys_cgroup_dirs() {
        local line hier path mnt
        while IFS= read -r line; do
                hier=${line#*:}
                path=${hier#*:}
                hier=${hier%%:*}
                case "$hier" in
                "") mnt=/sys/fs/cgroup/unified
                    [ -d "$mnt" ] || mnt=/sys/fs/cgroup ;;
                name=systemd) mnt=/sys/fs/cgroup/systemd ;;
                *) mnt=/sys/fs/cgroup/${hier%%,*} ;;
                esac
                [ -w "$mnt$path" ] || continue
                printf '%s\n' "${mnt}${path%/}/$1"
        done < /proc/self/cgroup
}

sys_cgroup_create() {
        local d
        SYS_CGROUPS=$(sys_cgroup_dirs "$1")
        for d in $SYS_CGROUPS; do
                mkdir -p "$d" || return 1
        done
}

# Moves the calling shell into the test cgroups: the shell itself opens
# /proc/self for the builtin read, so no child's PID is read by mistake.
sys_cgroup_enter_self() {
        local d pid rest
        read -r pid rest < /proc/self/stat
        for d in $SYS_CGROUPS; do
                echo "$pid" > "$d/cgroup.procs" 2>/dev/null || true
        done
}

sys_cgroup_pids() {
        local d
        for d in $SYS_CGROUPS; do
                [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
        done | sort -un
}

# SIGKILL whatever is left, then remove the cgroups deepest first.
sys_cgroup_destroy() {
        local d i pids
        [ -n "${SYS_CGROUPS:-}" ] || return 0
        for i in 1 2 3 4 5 6 7 8 9 10; do
                pids=$(sys_cgroup_pids)
                [ -z "$pids" ] && break
                kill -KILL $pids 2>/dev/null
                sleep 0.3
        done
        for d in $SYS_CGROUPS; do
                [ -d "$d" ] || continue
                find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
                [ -d "$d" ] && sys_log "warning: cgroup $d left behind"
        done
        SYS_CGROUPS=
}

# ---- swap is machine-wide: remember what was on, turn off what is new.

sys_swap_snapshot() {
        tail -n +2 /proc/swaps | awk '{ print $1 }' > "$SYS_WORK/swaps.before"
}

# With a container's PID 1 as $1, a path that does not resolve here is
# tried in the container's mount namespace, where it was turned on.
sys_swap_restore() {
        local f
        [ -f "$SYS_WORK/swaps.before" ] || return 0
        tail -n +2 /proc/swaps | awk '{ print $1 }' | while IFS= read -r f; do
                grep -qxF "$f" "$SYS_WORK/swaps.before" && continue
                sys_log "turning off swap $f left by the test"
                swapoff "$f" 2>/dev/null && continue
                [ -n "${1:-}" ] && nsenter -t "$1" -m swapoff "$f" && continue
                sys_log "warning: swapoff $f failed"
        done
}

# A scenario's "# debs: PKG..." line: Debian packages it installs with dpkg -i
# on the bed, downloaded here (apt-get download: this machine runs the beds'
# suite) into directory $2, which the bed sees as $SYS_DEBS_DIR (the VM's
# payload disk, the container's /srv/disk/debs); the VM image and the
# container's tree stay as built.  A failed download leaves the directory
# empty and the scenario skips.
sys_debs() {
        local debs
        debs=$(sed -n 's/^# debs: *//p' "$1" | head -n 1)
        [ -n "$debs" ] || return 0
        mkdir -p "$2" || return 0
        # shellcheck disable=SC2086 # a list of package names
        (cd "$2" && apt-get download $debs > /dev/null 2>&1) ||
                sys_log "$(basename "$1" .sh): cannot download $debs (apt-get download): the scenario skips"
}

# ---- the container

SYS_CT_NSPAWN=
SYS_CT_LEADER=

# The container's PID 1 as seen from here: a process in our test cgroups
# whose innermost PID is 1.
sys_ct_find_leader() {
        local p ns
        for p in $(sys_cgroup_pids); do
                ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
                case "$ns" in
                *[[:space:]]1) echo "$p"; return 0 ;;
                esac
        done
        return 1
}

# Boots the tree in an ephemeral container; the hostfit binary and the test
# directory are bound read-only, so the cached tree never holds a build.
# NAME [NSPAWN-OPTION...]: what follows the name is given to systemd-nspawn (a
# scenario that boots its own container binds more into it).
ct_boot() {
        local name=$1 t0 t1 i st
        shift
        sys_cgroup_create "hostfit-system-$name-$$" || return 1
        t0=$(sys_now)
        # /srv/disk: a directory on this machine's disk, for what cannot live
        # on the overlay (a swap file in an image tree); gone with SYS_WORK.
        rm -rf "$SYS_WORK/disk-$name" && mkdir -p "$SYS_WORK/disk-$name" || return 1
        (
                sys_cgroup_enter_self
                exec 9>&-       # the run's lock (run.sh) stays with the run, not with a bed
                exec systemd-nspawn -b -D "$SYS_TREE" --register=no --keep-unit \
                        --private-network --volatile=overlay --machine="hostfit-$name" \
                        --bind-ro="$HOSTFIT:/usr/local/sbin/hostfit" \
                        --bind-ro="$SYS_DIR:/hostfit-test" \
                        --bind="$SYS_WORK/disk-$name:/srv/disk" \
                        --console=read-only "$@"
        ) < /dev/null > "$SYS_WORK/$name.console" 2>&1 &
        SYS_CT_NSPAWN=$!
        for i in $(seq 1 1200); do      # up to 120 s: a loaded machine starts nspawn late
                SYS_CT_LEADER=$(sys_ct_find_leader) && break
                kill -0 "$SYS_CT_NSPAWN" 2>/dev/null || break
                sleep 0.1
        done
        if [ -z "$SYS_CT_LEADER" ]; then
                sys_log "container $name did not start"; tail -n 20 "$SYS_WORK/$name.console" >&2
                return 1
        fi
        # Until systemd runs and has opened its private socket, systemctl says
        # "offline" or cannot connect.
        for i in $(seq 1 300); do
                st=$(timeout 60 nsenter -t "$SYS_CT_LEADER" -a systemctl is-system-running --wait 2>&1)
                case "$st" in
                running|degraded|maintenance|stopping) break ;;
                esac
                kill -0 "$SYS_CT_NSPAWN" 2>/dev/null || break
                sleep 0.2
        done
        t1=$(sys_now)
        sys_measure "container boot ($name)" "$(sys_elapsed "$t0" "$t1") s, state $st"
        case "$st" in
        running|degraded) return 0 ;;
        esac
        sys_log "container $name: system state '$st'"
        return 1
}

# Runs a command as a transient service of the container's systemd, so it
# sits in the container's cgroups; stdin/stdout/stderr are passed through and
# the command's exit status is returned.  The harness's own transient units
# carry a memory limit: they are not the host under test.
ct_run() {
        nsenter -t "$SYS_CT_LEADER" -a systemd-run --wait --pipe --quiet \
                --property=MemoryMax=90% --collect \
                --setenv=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                --setenv=LC_ALL=C.UTF-8 -- "$@"
}

# Stops the container once it has finished booting (a container told to stop
# while systemd is still starting may hang), SIGTERM twice, then SIGKILL.
ct_teardown() {
        local i
        if [ -n "$SYS_CT_NSPAWN" ] && kill -0 "$SYS_CT_NSPAWN" 2>/dev/null; then
                if [ -n "$SYS_CT_LEADER" ]; then
                        sys_swap_restore "$SYS_CT_LEADER"
                        timeout 30 nsenter -t "$SYS_CT_LEADER" -a \
                                systemctl is-system-running --wait > /dev/null 2>&1
                fi
                kill -TERM "$SYS_CT_NSPAWN" 2>/dev/null
                sleep 0.5
                kill -TERM "$SYS_CT_NSPAWN" 2>/dev/null
                for i in $(seq 1 100); do
                        kill -0 "$SYS_CT_NSPAWN" 2>/dev/null || break
                        sleep 0.2
                done
                if kill -0 "$SYS_CT_NSPAWN" 2>/dev/null; then
                        sys_log "warning: container did not stop; killing it"
                        kill -KILL "$SYS_CT_NSPAWN" 2>/dev/null
                fi
                wait "$SYS_CT_NSPAWN" 2>/dev/null
        fi
        SYS_CT_NSPAWN= SYS_CT_LEADER=
        sys_cgroup_destroy
        # --ephemeral copies the tree beside it when the file system cannot
        # snapshot; a killed nspawn leaves that copy behind.
        find "$SYS_CACHE" -maxdepth 1 -name '.#*' -exec rm -rf {} + 2>/dev/null
        return 0
}
