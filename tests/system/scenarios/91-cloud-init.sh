# SPDX-License-Identifier: MIT
# Scenario 91: docs/cloud-init.yaml in a real cloud-init NoCloud first boot
# (cloud-init's own units, started in the booted container): the example's
# hostfit.conf is written, its fix runs only what a container may fix, its log
# holds every line in order, and the report after the fix is valid JSON.
# The package download of the example is replaced by the hostfit under test
# (the container has no network).
# bed: container
# needs: unit-memorymax

need_checks unit-memorymax
need_bed_command cloud-init cloud-init

# The example as the user-data, but for the download and package steps.
python3 - "$SYS_DIR/../../docs/cloud-init.yaml" > "$SYS_WORK/user-data" <<'PY' || fail "cannot read the example"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d.pop("package_update", None)
d.pop("packages", None)
d["runcmd"] = [c for c in d["runcmd"] if "apt-get install" not in str(c)]
print("#cloud-config")
print(yaml.safe_dump(d, sort_keys=False))
PY
put /var/lib/cloud/seed/nocloud/user-data < "$SYS_WORK/user-data"
printf 'instance-id: hostfit-test-1\nlocal-hostname: hostfit-test\n' | put /var/lib/cloud/seed/nocloud/meta-data
# The bed has no locales package: keep cloud-init's locale module from failing.
printf 'datasource_list: [NoCloud, None]\nlocale: C.UTF-8\n' | put /etc/cloud/cloud.cfg.d/90-hostfit-test.cfg
inside systemctl unmask cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service > /dev/null 2>&1
inside systemctl daemon-reload
DIAG_UNITS="cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service"
for u in cloud-init-local cloud-init cloud-config cloud-final; do
        inside systemctl start "$u.service" || fail "$u.service failed"
done

st=$(inside cloud-init status --long 2>&1)
say "cloud-init status: $(printf '%s' "$st" | tr '\n' ' ')"
inside test -f /var/lib/cloud/instance/boot-finished || fail "cloud-init did not finish the first boot"
inside grep -q '^size = auto' /etc/hostfit/hostfit.conf || fail "write_files did not write hostfit.conf"

log=$(inside cat /var/log/hostfit-firstboot.log) || fail "no /var/log/hostfit-firstboot.log"
printf '%s\n' "$log" | sed "s/^/$SCEN_LOG_PREFIX   /"
first=$(printf '%s\n' "$log" | head -n 1)
[ "$first" = "hostfit fix --yes unit-memorymax" ] || fail "in a container the example must fix only unit-memorymax, not: $first"
printf '%s\n' "$log" | grep -q '^hostfit fix: exit 0$' || fail "hostfit fix did not exit 0"
# In order: the command, what it printed, its exit, then the check's exit.
order=$(printf '%s\n' "$log" | grep -n '^hostfit fix --yes\|^hostfit fix: exit\|^hostfit check: exit' | cut -d: -f1 | tr '\n' ' ')
sorted=$(printf '%s\n' $order | sort -n | tr '\n' ' ')
[ "$order" = "$sorted" ] && [ "$(printf '%s\n' $order | wc -l)" -eq 3 ] || fail "log lines out of order: $order"
hf_json=$(inside cat /var/lib/hostfit/firstboot.json)
n=$(printf '%s' "$hf_json" | json "len(d['checks'])") || fail "firstboot.json is not the report"
[ "${n:-0}" -gt 0 ] || fail "firstboot.json has no checks"
sw=$(printf '%s' "$hf_json" | json "[c['status'] for c in d['checks'] if c['id'] == 'swap-missing'][0]")
say "swap-missing in the container: $sw"
pass "NoCloud first boot ran the example: conf written, limits fixed, log in order, report kept ($n checks)"
