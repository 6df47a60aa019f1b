#!/bin/sh
# SPDX-License-Identifier: MIT
# hostfit-check.{service,timer} as hostfit fix metrics-timer writes them: systemd-analyze
# verify accepts them, the example make install ships is the same bytes, and the
# service's own command line produces a metrics file promtool accepts.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need systemd-analyze make
use_unpacked prometheus
need_hostfit
PROM=/var/lib/prometheus/node-exporter/hostfit.prom

# The units, written by the fix under a root that opted in.
fixroot=$PKG_TMP/fixroot; mkdir -p "$fixroot/etc/hostfit" "$fixroot$(dirname "$PROM")"
# The binary make install puts in place (the example's), named as the fix would name its own.
BIN=/usr/local/bin/hostfit
printf '[hostfit]\nhostfit-path = %s\n[metrics]\ntimer = yes\n' "$BIN" > "$fixroot/etc/hostfit/hostfit.conf"
# The units run the image's own hostfit, which must be there and root's alone.
install -D -m 0755 "$HOSTFIT" "$fixroot$BIN"
"$HOSTFIT" fix --yes metrics-timer --root "$fixroot" > "$PKG_TMP/fix.log" 2>&1; st=$?
[ "$st" -eq 0 ] || cat "$PKG_TMP/fix.log"
check "hostfit fix metrics-timer --root writes the units ($st)" [ "$st" -eq 0 ]
SVC=$fixroot/etc/systemd/system/hostfit-check.service TMR=$fixroot/etc/systemd/system/hostfit-check.timer

exec_start=$(sed -n 's/^ExecStart=//p' "$SVC")
check "service runs hostfit check --format prometheus --output $PROM" \
        [ "$exec_start" = "\"$BIN\" check --quiet --format prometheus --output \"$PROM\"" ]
check "service may write the textfile directory" grep -qx "ReadWritePaths=-\"$(dirname "$PROM")\"" "$SVC"
check "timer starts the service (same name) and is wanted by timers.target" grep -qx 'WantedBy=timers.target' "$TMR"
build=$(dirname "${HOSTFIT#"$PWD"/}")
make -s BUILD="$build" "$build/examples/hostfit-check.service" > /dev/null 2>&1
check "the example service make install ships is what the fix writes" cmp -s "$build/examples/hostfit-check.service" "$SVC"
check "the example timer is what the fix writes" cmp -s templates/hostfit-check.timer "$TMR"
# Off the running system the fix defers the enable: make the link systemctl enable makes.
mkdir -p "$fixroot/etc/systemd/system/timers.target.wants"
ln -s ../hostfit-check.timer "$fixroot/etc/systemd/system/timers.target.wants/hostfit-check.timer"
"$HOSTFIT" check metrics-timer --root "$fixroot" > "$PKG_TMP/check.log" 2>&1; st=$?
[ "$st" -eq 0 ] || cat "$PKG_TMP/check.log"
check "hostfit check metrics-timer passes once the timer is enabled ($st)" [ "$st" -eq 0 ]

# verify needs the ExecStart binary and the Documentation= man page to exist:
# point the one at the binary under test, the other at docs/hostfit.1.
units=$PKG_TMP/units; mkdir -p "$units" "$PKG_TMP/man/man1"
cp docs/hostfit.1 "$PKG_TMP/man/man1/"
sed "s|^ExecStart=\"$BIN\" |ExecStart=$HOSTFIT |" "$SVC" > "$units/hostfit-check.service"
cp "$TMR" "$units/"
out=$(MANPATH=$PKG_TMP/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
        "$units/hostfit-check.service" "$units/hostfit-check.timer" 2>&1); st=$?
[ -n "$out" ] && printf '%s\n' "$out"
check "systemd-analyze verify accepts both units, without a warning" [ "$st" -eq 0 -a -z "$out" ]

# verify is not lenient: a broken copy is refused.
sed 's/^Type=oneshot/Type=bogus/' "$units/hostfit-check.service" > "$units/broken.service"
out=$(MANPATH=$PKG_TMP/man systemd-analyze verify "$units/broken.service" 2>&1)
check "systemd-analyze verify reports a broken copy" [ -n "$out" ]

# The ExecStart line itself, under a fixture root, into a textfile directory.
root=$(report_root)
mkdir -p "$PKG_TMP/textfile"
set -- $(printf '%s\n' "$exec_start" | sed "s|^\"$BIN\" ||; s|\"$PROM\"|$PKG_TMP/textfile/hostfit.prom|")
"$HOSTFIT" "$@" --root "$root"; st=$?
check "the ExecStart command exits within SuccessExitStatus ($st)" [ "$st" -le 2 ]
check "the ExecStart command wrote the metrics file" [ -s "$PKG_TMP/textfile/hostfit.prom" ]
if command -v promtool >/dev/null 2>&1; then
        check "promtool accepts what the service writes" sh -c "promtool check metrics < '$PKG_TMP/textfile/hostfit.prom'"
else
        echo "skip: promtool not installed (prometheus, see tests/pkg/packages)"
fi
finish
