# SPDX-License-Identifier: MIT
# Scenario 82: an offline image, fixed with --root and then booted.  The image
# is the bed's Debian tree as debootstrap left it, never booted: an overlay
# whose read-only lower layer is the cached tree (which stays as built) and
# whose changes go to a directory of this run.  It gets an admin's Node
# service with no MemoryMax= and an opted-in metrics timer.  The bed, booted
# with the image bound at /mnt/image, runs `hostfit check --root` (both
# found, no process of the bed judged), `fix --dry-run --root` (no byte of
# the image changes), `fix --yes --root` (the drop-in, the units and the
# enable link written; the bed's systemd neither reloaded nor told anything)
# and a second `fix --yes --root` (nothing to do, no byte changes).  Then
# the image boots as the container, ephemeral as the bed is: systemd takes
# the drop-in (MemoryMax=, DropInPaths) and starts the timer at boot, the
# service hostfit wrote runs, hostfit check inside passes both and a dry
# run plans nothing, and the image is as fix left it.  Last, `undo --root`
# on the stopped image, from the bed, brings every file back byte for byte.
# The container shows systemd's verdict (systemctl show), not enforcement.
# bed: container
# needs: unit-memorymax metrics-timer

IDS="unit-memorymax metrics-timer"
need_checks $IDS
need_bed_command node nodejs
grep -qw overlay /proc/filesystems || skip "this machine's kernel has no overlayfs"
MIB=1048576
MAX=384                         # MiB: [unit-memorymax] max, what the admin sizes the service at
SCEN=82-offline-image
MNT=/mnt/image                  # where the bed sees the image
OFF=$SYS_WORK/offline-image     # on this machine's disk, gone with SYS_WORK
IMG=$OFF/image
DROPIN=/etc/systemd/system/api.service.d/49-hostfit-memory.conf
DIAG_UNITS="api.service hostfit-check.timer hostfit-check.service"

# ---- the image, on this machine

offline_cleanup() {
        ct_teardown
        if mountpoint -q "$IMG"; then
                umount "$IMG" || umount -l "$IMG"
        fi
}
trap '_rc=$?; offline_cleanup >&2; exit $_rc' EXIT
rm -rf "$OFF" && mkdir -p "$OFF/upper" "$OFF/work" "$IMG" || fail "cannot make $OFF"
mount -t overlay overlay -o "lowerdir=$SYS_TREE,upperdir=$OFF/upper,workdir=$OFF/work" "$IMG" ||
        fail "cannot mount an overlay of $SYS_TREE on $IMG"
[ -z "$(ls -A "$IMG/proc")" ] && [ ! -s "$IMG/etc/machine-id" ] || fail "the image was booted: it has a /proc or a machine-id"

# Every file of the image in $OFF/NAME: type, mode, owner, size, mtime, link target and
# path, and each regular file's SHA-256 (byte for byte, to the mtime of each directory).
# $OFF/NAME.files: the same without mtimes and directory sizes, and without hostfit's own
# records (its runs, the backups undo keeps, its lock): what undo must bring back.
img_sum() {
        local f="$OFF/$1"
        (cd "$IMG" && find . -xdev -type f -print0 | xargs -0 -r sha256sum) > "$f.sha" || fail "cannot read the image"
        (
                cd "$IMG" || exit 1
                find . -xdev -printf '%y %m %U:%G %s %T@ %l %p\n'
                cat "$f.sha"
        ) | LC_ALL=C sort > "$f" || fail "cannot list the image"
        (
                cd "$IMG" || exit 1
                find . -xdev ! -type d -printf '%y %m %U:%G %s %l %p\n'
                find . -xdev -type d -printf '%y %m %U:%G %p\n'
                cat "$f.sha"
        ) | grep -Ev ' \./(var/lib/hostfit|var/backups/hostfit|run/hostfit)(/|$)' | LC_ALL=C sort > "$f.files" ||
                fail "cannot list the image"
        say "image $1: $(wc -l < "$f") lines, sum $(sha256sum < "$f" | cut -c1-16)"
}

# Fails with WHY unless listings A and B are the same (the first lines that differ shown).
same_sum() {
        cmp -s "$OFF/$1" "$OFF/$2" && return 0
        diff "$OFF/$1" "$OFF/$2" | head -n 20 | sed "s/^/$SCEN_LOG_PREFIX   /"
        fail "$3"
}

# The bed, booted afresh with the image bound at /mnt/image.
boot_bed() {
        ct_teardown
        ct_boot "$SCEN-bed" --bind="$IMG:$MNT" >&2 || fail "the bed did not boot with the image at $MNT"
        inside test -d "$MNT/etc/systemd/system" || fail "the bed does not see the image at $MNT"
}

# "Reloading" lines of the bed's systemd (PID 1) in this boot.
reloads() {
        inside journalctl -b _PID=1 -o cat --no-pager | grep -c '^Reloading'
}

# The bed's systemd was told nothing about the image's units: none loaded, no
# runtime property (set-property's system.control drop-ins), no hostfit run
# recorded on the bed itself.
bed_untouched() {
        local u
        for u in api.service hostfit-check.timer hostfit-check.service; do
                [ "$(unit_prop "$u" LoadState)" = not-found ] ||
                        fail "the bed's systemd has $u $(unit_prop "$u" LoadState): it was told about the image's unit"
        done
        [ -z "$(inside_sh 'ls -d /run/systemd/system.control/api.service.d /etc/systemd/system.control/api.service.d /run/systemd/transient/api.service /var/lib/hostfit/runs/* 2>/dev/null')" ] ||
                fail "$1 left a runtime property or a run record on the bed"
        return 0
}

# An admin's Node service, enabled, with no memory limit.
mkdir -p "$IMG/srv/api" "$IMG/etc/systemd/system/multi-user.target.wants" || fail "cannot write into the image"
cat > "$IMG/srv/api/server.js" <<'JS'
// The API, as an admin deploys it.
require('http').createServer((q, s) => s.end('ok\n')).listen(8000, '127.0.0.1');
JS
cat > "$IMG/etc/systemd/system/api.service" <<'UNIT'
[Unit]
Description=API server (admin-written)
After=network.target

[Service]
ExecStart=/usr/bin/node /srv/api/server.js
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/api.service "$IMG/etc/systemd/system/multi-user.target.wants/api.service" ||
        fail "cannot enable api.service in the image"

# ---- offline, from the bed

boot_bed

# Nothing runs in an image, so no limit is sized from nothing: a manual step, no drop-in.
hf fix --dry-run --format json unit-memorymax --root "$MNT"
printf '%s' "$HF_OUT" | grep -q "no process of api.service runs now" || fail "an offline unit with no configured limit is not a manual step"
printf '%s' "$HF_OUT" | grep -q "49-hostfit-memory.conf" && fail "an offline unit with no configured limit got a drop-in"
say "no [unit-memorymax] max: a manual step, no drop-in"

# The admin sizes it and opts in to the metrics timer; the image carries hostfit, which the
# timer's service runs.
mkdir -p "$IMG/etc/hostfit" || fail "cannot write into the image"
cat > "$IMG/etc/hostfit/hostfit.conf" <<CONF
# An image runs no process to size a limit from: the admin sizes it.
[unit-memorymax]
max = api.service:${MAX}M

[metrics]
timer = yes
CONF
cp "$HOSTFIT" "$IMG/usr/local/sbin/hostfit" || fail "cannot copy hostfit into the image"
img_sum before-check

hf check --format json --root "$MNT"
[ "$HF_RC" -eq 2 ] || fail "check --root exited $HF_RC, expected 2 (a fail)"
[ "$(printf '%s' "$HF_OUT" | json "d['root']")" = "$MNT" ] || fail "check --format json does not name the root $MNT"
[ "$(check_status unit-memorymax)" = fail ] || fail "unit-memorymax on the image: '$(check_status unit-memorymax)', expected fail"
[ "$(check_status metrics-timer)" = warn ] || fail "metrics-timer on the image: '$(check_status metrics-timer)', expected warn"
printf '%s' "$HF_OUT" | json "[f['message'] for c in d['checks'] if c['id'] == 'unit-memorymax' for f in c['findings']]" |
        grep -q "api.service" || fail "unit-memorymax does not name api.service"
for id in unmanaged-service dev-server keepalive-loop node-heap-limit; do
        printf '%s' "$HF_OUT" | json "[c['status'] + ': ' + ' '.join(f['message'] for f in c['findings']) for c in d['checks'] if c['id'] == '$id']" |
                grep -q "skip: offline image" || fail "$id judged processes (the bed's?) on an offline image"
done
say "check --root: unit-memorymax fail, metrics-timer warn; the process checks skip (offline image)"

hf fix --dry-run --format json $IDS --root "$MNT"
[ "$HF_RC" -eq 0 ] || fail "fix --dry-run --root exited $HF_RC"
paths=$(printf '%s' "$HF_OUT" | json "' '.join(sorted(a['path'] for a in d['actions'] if a['kind'] in ('write-file', 'symlink')))")
want="/etc/systemd/system/api.service.d/49-hostfit-memory.conf /etc/systemd/system/hostfit-check.service /etc/systemd/system/hostfit-check.timer /etc/systemd/system/timers.target.wants/hostfit-check.timer"
[ "$paths" = "$want" ] || fail "fix --dry-run --root plans files '$paths', expected '$want'"
ops=$(printf '%s' "$HF_OUT" | json "' '.join(sorted(a['op'] for a in d['actions'] if a['kind'] == 'systemd'))")
live=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if a['kind'] not in ('write-file', 'symlink', 'manual') and not a['deferred']])")
[ "$live" = 0 ] || fail "fix --dry-run --root plans $live action(s) on a running system, not deferred"
say "dry run: $paths; deferred: $ops"
img_sum after-dry-run
same_sum before-check after-dry-run "check --root and fix --dry-run --root changed the image"
say "check and dry run: the image is byte for byte as before"

bed_reloads=$(reloads)
say "the bed's systemd: $bed_reloads reloads in this boot before the fix"
t0=$(sys_now)
hf fix --yes $IDS --root "$MNT"
show_hf fix --yes $IDS --root "$MNT"
[ "$HF_RC" -eq 0 ] || fail "fix --yes --root exited $HF_RC"
printf '%s\n' "$HF_OUT" | grep -qx "applied: write $DROPIN" || fail "fix --yes --root did not write $DROPIN"
printf '%s\n' "$HF_OUT" | grep -q '^deferred: systemctl daemon-reload' || fail "the daemon-reload is not deferred"
printf '%s\n' "$HF_OUT" | grep '^applied: ' | grep -Ev '^applied: (write|symlink) /etc/systemd/system/' &&
        fail "fix --yes --root applied something other than the image's files"
grep -qx "MemoryMax=${MAX}M" "$IMG$DROPIN" || fail "$DROPIN in the image does not set MemoryMax=${MAX}M"
[ "$(readlink "$IMG/etc/systemd/system/timers.target.wants/hostfit-check.timer")" = /etc/systemd/system/hostfit-check.timer ] ||
        fail "hostfit-check.timer is not enabled in the image"
bed_untouched "fix --yes --root"
# The bed's journal says no reload; a reload of ours shows the probe sees one, and only that one.
[ "$(reloads)" = "$bed_reloads" ] || fail "the bed's systemd reloaded during fix --yes --root"
inside systemctl daemon-reload
wait_for 120 "[ \$(journalctl -b _PID=1 -o cat --no-pager | grep -c '^Reloading') -gt $bed_reloads ]" ||
        fail "the bed's journal shows no reload after systemctl daemon-reload: the probe sees none"
[ "$(reloads)" = $((bed_reloads + 1)) ] || fail "the bed's systemd reloaded $(( $(reloads) - bed_reloads )) times, one of them ours"
say "the bed's systemd: not reloaded by fix --yes --root (our own reload is the only one), none of the image's units loaded"
n=$(ls "$IMG/var/lib/hostfit/runs" | wc -l)
[ "$n" = 1 ] || fail "the image holds $n run records, expected the one of this fix"

img_sum after-fix
hf fix --yes $IDS --root "$MNT"
[ "$HF_RC" -eq 0 ] && [ "$HF_OUT" = "nothing to do" ] || { show_hf fix --yes again; fail "a second fix --yes --root did something (exit $HF_RC)"; }
img_sum after-second-fix
same_sum after-fix after-second-fix "a second fix --yes --root changed the image"
# All checks: swap-missing still fails (a swapfile cannot live on the image's overlayfs, a
# manual step), so no swap comes and the drop-in without MemoryHigh= is as fix writes it.
hf check --format json --root "$MNT"
for id in $IDS; do
        [ "$(check_status "$id")" = pass ] || fail "$id on the fixed image: '$(check_status "$id")', expected pass"
done
[ "$(check_status swap-missing)" = fail ] || fail "swap-missing on the image: '$(check_status swap-missing)', expected fail"
say "second fix --yes --root: nothing to do, no byte changed; check --root passes both beside swap-missing's fail ($(sys_elapsed "$t0" "$(sys_now)") s)"

# ---- the image, booted

ct_teardown
bed_tree=$SYS_TREE
SYS_TREE=$IMG
ct_boot "$SCEN-image" >&2 || fail "the fixed image did not boot"
SYS_TREE=$bed_tree
inside test -f /etc/systemd/system/api.service || fail "the container is not the image booted"
wait_for 120 "systemctl is-active -q api.service && ss -Hltn 'sport = :8000' | grep -q ." ||
        fail "api.service does not serve on 8000 in the booted image"
max=$(unit_prop api.service MemoryMax)
[ "$max" = $((MAX * MIB)) ] || fail "MemoryMax of api.service in the booted image: '$max', expected ${MAX}M"
unit_prop api.service DropInPaths | tr ' ' '\n' | grep -qx "$DROPIN" ||
        fail "systemd did not read $DROPIN: DropInPaths=$(unit_prop api.service DropInPaths)"
say "booted: api.service MemoryMax=$max from $(unit_prop api.service DropInPaths)"
[ "$(unit_prop hostfit-check.timer UnitFileState)" = enabled ] ||
        fail "hostfit-check.timer is $(unit_prop hostfit-check.timer UnitFileState) in the booted image"
wait_for 120 'systemctl is-active -q hostfit-check.timer' || fail "timers.target did not start hostfit-check.timer at boot"
# The service hostfit wrote offline, run once now (Type=oneshot: start returns when it has ended).
inside systemctl start hostfit-check.service || fail "hostfit-check.service failed in the booted image"
[ "$(unit_prop hostfit-check.service Result)" = success ] ||
        fail "hostfit-check.service: Result=$(unit_prop hostfit-check.service Result)"
inside test -s /var/lib/prometheus/node-exporter/hostfit.prom || fail "hostfit-check.service wrote no metrics"
say "booted: hostfit-check.timer enabled and $(unit_prop hostfit-check.timer ActiveState); its service ran: $(unit_prop hostfit-check.service Result)"

hf check --format json
for id in $IDS; do
        [ "$(check_status "$id")" = pass ] || fail "$id in the booted image: '$(check_status "$id")', expected pass"
done
say "hostfit check in the booted image: unit-memorymax and metrics-timer pass"
expect_no_plan $IDS
ct_teardown
img_sum after-boot
same_sum after-second-fix after-boot "booting the image (ephemeral) changed it"
say "after the boot: the image is as fix left it"

# ---- undo, offline, from the bed

boot_bed
bed_reloads=$(reloads)
hf undo --dry-run --root "$MNT"
show_hf undo --dry-run --root "$MNT"
[ "$HF_RC" -eq 0 ] || fail "undo --dry-run --root exited $HF_RC"
img_sum after-undo-dry-run
same_sum after-boot after-undo-dry-run "undo --dry-run --root changed the image"
hf undo --yes --root "$MNT"
show_hf undo --yes --root "$MNT"
[ "$HF_RC" -eq 0 ] || fail "undo --yes --root exited $HF_RC"
printf '%s\n' "$HF_OUT" | grep '^applied: ' | grep -Ev '^applied: removed /etc/systemd/system/' &&
        fail "undo --yes --root applied something other than the image's files"
bed_untouched "undo --yes --root"
[ "$(reloads)" = "$bed_reloads" ] || fail "the bed's systemd reloaded during undo --yes --root"
hf undo --yes --root "$MNT"
printf '%s\n' "$HF_OUT" | grep -qx 'no run to undo' || fail "a second undo --root did something: $HF_OUT"
img_sum after-undo
same_sum before-check.files after-undo.files "undo --root did not bring the image back byte for byte"
pass "the image fixed offline (nothing on the bed reloaded or set), booted with the limit and the timer in effect, and undone byte for byte"
