#!/bin/sh
# templates/hostfit-check.{service,timer}: systemd-analyze verify accepts them,
# and the service's own command line produces a metrics file promtool accepts.
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need systemd-analyze
need_hostfit
SVC=templates/hostfit-check.service TMR=templates/hostfit-check.timer
PROM=/var/lib/prometheus/node-exporter/hostfit.prom

exec_start=$(sed -n 's/^ExecStart=//p' "$SVC")
check "service runs hostfit check --format prometheus --output $PROM" \
        [ "$exec_start" = "/usr/sbin/hostfit check --quiet --format prometheus --output $PROM" ]
check "timer starts the service (same name) and is wanted by timers.target" grep -qx 'WantedBy=timers.target' "$TMR"

# verify needs the ExecStart binary and the Documentation= man page to exist:
# point the one at the binary under test, the other at docs/hostfit.8.
units=$PKG_TMP/units; mkdir -p "$units" "$PKG_TMP/man/man8"
cp docs/hostfit.8 "$PKG_TMP/man/man8/"
sed "s|^ExecStart=/usr/sbin/hostfit |ExecStart=$HOSTFIT |" "$SVC" > "$units/hostfit-check.service"
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
if "$HOSTFIT" check --help 2>&1 | grep -q prometheus; then
        root=$(report_root)
        mkdir -p "$PKG_TMP/textfile"
        set -- $(printf '%s\n' "$exec_start" | sed "s|^/usr/sbin/hostfit ||; s|$PROM|$PKG_TMP/textfile/hostfit.prom|")
        "$HOSTFIT" "$@" --root "$root"; st=$?
        check "the ExecStart command exits within SuccessExitStatus ($st)" [ "$st" -le 2 ]
        check "the ExecStart command wrote the metrics file" [ -s "$PKG_TMP/textfile/hostfit.prom" ]
        if command -v promtool >/dev/null 2>&1; then
                check "promtool accepts what the service writes" sh -c "promtool check metrics < '$PKG_TMP/textfile/hostfit.prom'"
        fi
else
        echo "note: hostfit check has no --format prometheus yet; not running the ExecStart line"
fi
finish
