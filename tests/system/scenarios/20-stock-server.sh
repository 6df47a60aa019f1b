# SPDX-License-Identifier: MIT
# Scenario 20: a stock Debian 12 (and 13) server, booted with systemd: openssh-server,
# nginx, postgresql, redis-server and cron enabled and started as their
# packages ship them.  hostfit reports exactly the true findings: none from
# the unit checks (the vendor units keep their vendors' restart policy and
# are small), and a skip for swap and zram, which belong to the host of a
# container.  `check` exits 0.
# bed: container trixie
# needs: unit-memorymax healthcheck-missing

need_checks unit-memorymax healthcheck-missing
# The cluster the package made: 15-main on bookworm, 17-main on trixie.
pg=postgresql@$(inside ls /etc/postgresql | head -n 1)-main.service
DIAG_UNITS="ssh.service nginx.service $pg redis-server.service cron.service"

inside systemctl enable --now ssh.service nginx.service postgresql.service redis-server.service cron.service ||
        fail "the stock services did not start"
wait_for 120 "systemctl is-active -q $pg" || fail "$pg did not start"
wait_for 120 'ss -Htln | grep -q ":6379 "' || fail "redis-server does not listen"
say "running: $(inside systemctl list-units --type=service --state=running --no-legend --plain | awk '{print $1}' | tr '\n' ' ')"

hf check --format json --verbose
show_hf check --format json --verbose
[ "$HF_RC" -le 2 ] || fail "check could not run (exit $HF_RC)"
found=$(failing_checks) || fail "check --format json printed no valid JSON"
say "findings: ${found:-none}"
[ -z "$found" ] || fail "false alarm on a stock server: $found"
[ "$HF_RC" -eq 0 ] || fail "check on a stock server exited $HF_RC"
for id in swap-missing zram-missing; do
        st=$(check_status "$id")
        [ "$st" = skip ] || fail "$id inside a container: '$st', expected skip"
done
for id in unit-memorymax healthcheck-missing; do
        st=$(check_status "$id")
        [ "$st" = pass ] || fail "$id on a stock server: '$st', expected pass"
done
msg=$(printf '%s' "$HF_OUT" | json "[f['message'] for c in d['checks'] if c['id'] == 'healthcheck-missing' for f in c['findings']]")
say "healthcheck-missing: $msg"
case "$msg" in
*"vendor units left to their own restart policy"*) ;;
*) fail "healthcheck-missing does not say the vendor units were left alone" ;;
esac
msg=$(printf '%s' "$HF_OUT" | json "[f['message'] for c in d['checks'] if c['id'] == 'unit-memorymax' for f in c['findings']]")
say "unit-memorymax: $msg"
pass "true findings only: ${found:-none}"
