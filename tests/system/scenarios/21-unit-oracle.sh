# SPDX-License-Identifier: MIT
# Scenario 21: systemd is the oracle of hostfit's unit model.  Hundreds of
# generated units (unit files and drop-ins across the search path, shadowed
# names, resets, invalid and odd values, the wrong section, continuations,
# masks) are loaded by the container's systemd with one daemon-reload; its
# MemoryMax, MemoryHigh and MemoryLimit of each must be what hostfit reads
# from the same files.  HOSTFIT_ORACLE_SEED and HOSTFIT_ORACLE_UNITS vary it.
# bed: container
# needs: unit-memorymax

need_checks unit-memorymax
dump=$(dirname "$HOSTFIT")/tests/unitdump
[ -x "$dump" ] || skip "no $dump (make $(basename "$(dirname "$HOSTFIT")")/tests/unitdump)"
work=$(mktemp -d /tmp/hostfit-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT
seed=${HOSTFIT_ORACLE_SEED:-1}
n=${HOSTFIT_ORACLE_UNITS:-400}
python3 "$SYS_DIR/unit-oracle.py" generate "$work" "$seed" "$n" || fail "generating the trees failed"
(cd "$work/root" && tar -c .) | inside tar -C / -x || fail "could not copy the trees in"
t0=$(date +%s.%N)
inside systemctl daemon-reload || fail "daemon-reload failed"
# shellcheck disable=SC2046
inside systemctl show -p Id -p LoadState -p MemoryMax -p MemoryHigh -p MemoryLimit -p Restart -p RestartUSec $(cat "$work/names") > "$work/systemd.txt" ||
        fail "systemctl show failed"
t1=$(date +%s.%N)
# hostfit reads the container's own tree, as systemd does.
# shellcheck disable=SC2046
"$dump" "/proc/$SYS_CT_LEADER/root" $(cat "$work/names") > "$work/hostfit.txt" || fail "unitdump failed"
say "seed $seed: $n units; daemon-reload and show took $(echo "$t1 - $t0" | bc 2>/dev/null || echo '?') s"
out=$(python3 "$SYS_DIR/unit-oracle.py" compare "$work")
rc=$?
printf '%s\n' "$out" | head -n 40 | sed "s/^/$SCEN_LOG_PREFIX   /"
[ "$rc" -eq 0 ] || fail "hostfit and systemd disagree"
pass "$(printf '%s' "$out" | tail -n 1)"
