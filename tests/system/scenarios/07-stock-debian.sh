# SPDX-License-Identifier: MIT
# Scenario 7: a stock booted Debian, nothing wrong but no swap.  hostfit
# reports only what is really missing: no false alarm on vendor units.
# In the container swap and zram skip (they belong to the host) and fix
# plans neither; the VM runs the whole cycle.
# bed: container vm trixie
# needs: swap-missing zram-missing

need_checks swap-missing zram-missing

hf check --format json
show_hf check
[ "$HF_RC" -le 2 ] || fail "check could not run (exit $HF_RC)"
found=$(failing_checks) || fail "check --format json printed no valid JSON"
say "findings: ${found:-none}"
for id in $found; do
        case "$id" in
        swap-missing|zram-missing) ;;
        *) fail "false alarm on a stock host: $id" ;;
        esac
done
if [ "$BED" = container ]; then
        # Swap and zram belong to the host: inside the container both skip.
        for id in swap-missing zram-missing; do
                st=$(check_status "$id")
                [ "$st" = skip ] || fail "inside the container $id: expected skip, got '$st'"
                why=$(printf '%s' "$HF_OUT" |
                      json "[f['message'] for c in d['checks'] if c['id'] == '$id' for f in c['findings']]")
                case $why in
                *"inside a container (systemd-nspawn)"*) say "$id: skip: $why" ;;
                *) fail "$id skipped, but not for the container: $why" ;;
                esac
        done
        hf fix --dry-run --format json
        n=$(printf '%s' "$HF_OUT" | json "len([a for a in d['actions'] if a['check'] in ('swap-missing', 'zram-missing')])")
        [ "$n" = 0 ] || fail "inside the container fix plans $n swap or zram action(s)"
        pass "only real findings (${found:-none}); swap and zram skipped inside the container"
fi
if [ -z "$(inside_sh 'tail -n +2 /proc/swaps')" ]; then
        case " $found " in
        *" swap-missing "*) ;;
        *) fail "no swap is active, yet swap-missing did not fire" ;;
        esac
fi

hf fix --yes
show_hf fix --yes
[ "$HF_RC" -eq 0 ] || fail "fix --yes exited $HF_RC"
hf check --format json
found=$(failing_checks)
[ -z "$found" ] || fail "after the fix, still failing: $found"
[ "$HF_RC" -eq 0 ] || fail "check after the fix exited $HF_RC"
hf fix --dry-run --format json
n=$(printf '%s' "$HF_OUT" | json "len(d['actions'])")
[ "$n" = 0 ] || fail "second fix --dry-run plans $n action(s)"
pass "fixed what was missing; second dry run empty"
