# SPDX-License-Identifier: MIT
# Scenario 94: the role hostfit.hostfit.hostfit installs hostfit from each of
# its sources, for real: the .deb that `make deb` builds from this tree, given
# as a path on the controller, as a URL (python3 -m http.server on the bed's
# loopback) and from an apt repository (a flat one made by dpkg-scanpackages,
# `deb [trusted=yes] file:/srv/disk/repo ./`).  Each time from a bed without
# hostfit: the first run installs and changes, /usr/bin/hostfit runs, the
# role's check runs it by its default name (hostfit, on PATH), a user without
# privileges runs `hostfit check` by name from a login shell, and a second run
# reports no change.
# bed: container
# needs: swap-missing
# debs: python3-apt python-apt-common distro-info-data

need_checks swap-missing
command -v ansible-playbook > /dev/null 2>&1 || skip "ansible-playbook not installed (tests/pkg/packages)"
command -v dpkg-buildpackage > /dev/null 2>&1 && command -v dpkg-scanpackages > /dev/null 2>&1 ||
        skip "dpkg-dev not installed (make deps)"
inside_sh "ls $SYS_DEBS_DIR/python3-apt_*.deb" > /dev/null 2>&1 ||
        skip "no python3-apt package in $SYS_DEBS_DIR (apt-get download failed on the host)"
SRC=$(cd "$SYS_DIR/../.." && pwd)
VERSION=$(cat "$SRC/VERSION")

# ---- The package, as make deb builds it (its unit tests are make test-unit's and tests/pkg's).
DEBUILD=$SYS_WORK/debbuild
DEB_BUILD_OPTIONS="nocheck parallel=2" make -s -C "$SRC" deb BUILD="$DEBUILD" > "$SYS_WORK/make-deb.log" 2>&1 ||
        { tail -n 30 "$SYS_WORK/make-deb.log" | sed "s/^/$SCEN_LOG_PREFIX   /"; fail "make deb failed"; }
set -- "$DEBUILD"/deb/hostfit_"$VERSION"_*.deb
DEB=$1
[ -f "$DEB" ] || fail "make deb made no hostfit_${VERSION}_*.deb"
say "make deb: $(basename "$DEB")"
mkdir -p "$SYS_DISK/www" "$SYS_DISK/repo" && cp "$DEB" "$SYS_DISK/www/" && cp "$DEB" "$SYS_DISK/repo/" || fail "cannot copy the .deb"
(cd "$SYS_DISK/repo" && dpkg-scanpackages --multiversion . > Packages 2> /dev/null) || fail "dpkg-scanpackages"
grep -q "^Package: hostfit$" "$SYS_DISK/repo/Packages" || fail "the flat repository does not list hostfit"

# ---- The bed: Ansible's apt module needs python3-apt; the bed has no network,
# so its only apt source is the one the role adds; hostfit is not on it yet
# (the copy under test, bound at /usr/local/sbin, is taken away).
inside_sh "DEBIAN_FRONTEND=noninteractive dpkg -i $SYS_DEBS_DIR/*.deb > /tmp/dpkg.log 2>&1" ||
        { inside tail -n 20 /tmp/dpkg.log | sed "s/^/$SCEN_LOG_PREFIX   /"; fail "dpkg -i python3-apt failed"; }
inside_sh 'umount /usr/local/sbin/hostfit && rm -f /usr/local/sbin/hostfit' || fail "cannot take away the bound hostfit"
inside_sh 'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*' || fail "cannot clear the apt sources"
inside_sh '! command -v hostfit' || fail "a hostfit is left on the bed's PATH"
inside systemd-run --unit=debserver --property=WorkingDirectory=/srv/disk/www \
        python3 -m http.server 8000 --bind 127.0.0.1 > /dev/null 2>&1 || fail "cannot start the http server"
wait_for 120 'ss -ltn | grep -q "127.0.0.1:8000 "' || fail "the http server does not listen"

A=$SYS_WORK/ansible
ansible_bed "$A"
cat > "$A/site.yml" <<'EOF2'
- hosts: beds
  gather_facts: false
  roles:
    - hostfit.hostfit.hostfit
  tasks:
    - name: What the role's check ran
      ansible.builtin.debug:
        msg: "ROLE-CHECK checks={{ hostfit_report.checks | length }} version={{ hostfit_report.hostfit_version }}"
EOF2
play() {
        ansible-playbook -i "$A/inventory" "$A/site.yml" > "$A/out" 2>&1
        PLAY_RC=$?
        sed "s/^/$SCEN_LOG_PREFIX   /" "$A/out" | grep -v '^ *$' | tail -n 25
}

# One source: VARS (YAML lines for host_vars), its NAME.
install_from() {
        local name=$1 vars=$2 got
        inside_sh 'dpkg --purge hostfit > /dev/null 2>&1; ! test -e /usr/bin/hostfit' || fail "$name: hostfit is still installed"
        printf '%s\n' "$vars" > "$A/host_vars/bed.yml"
        play
        [ "$PLAY_RC" -eq 0 ] || fail "$name: the role failed ($PLAY_RC)"
        grep -Eq '^bed +: ok=[0-9]+ +changed=[1-9]' "$A/out" || fail "$name: the first run reported no change"
        got=$(inside dpkg -s hostfit | sed -n 's/^Status: //p; s/^Version: //p' | tr '\n' ' ')
        [ "$got" = "install ok installed $VERSION " ] || fail "$name: dpkg says '$got'"
        [ "$(inside /usr/bin/hostfit --version)" = "hostfit $VERSION" ] || fail "$name: /usr/bin/hostfit does not run"
        grep -q "ROLE-CHECK checks=[1-9][0-9]* version=$VERSION" "$A/out" || fail "$name: the role's check did not run the installed hostfit by name"
        # As a user without privileges, from a login shell (login.defs' PATH).
        got=$(inside runuser -l nobody -s /bin/sh -c 'command -v hostfit')
        [ "$got" = /usr/bin/hostfit ] || fail "$name: nobody's login PATH finds '$got', not /usr/bin/hostfit"
        inside runuser -l nobody -s /bin/sh -c 'cd / && hostfit check' > "$SYS_WORK/nobody.out" 2>&1
        got=$?
        case "$got" in 0|1|2) ;; *) sed "s/^/$SCEN_LOG_PREFIX   /" "$SYS_WORK/nobody.out"; fail "$name: hostfit check as nobody exited $got" ;; esac
        grep -Eq '^[0-9]+ checks: [0-9]+ pass, ' "$SYS_WORK/nobody.out" || fail "$name: hostfit check as nobody printed no summary"
        play
        [ "$PLAY_RC" -eq 0 ] || fail "$name: the second run failed ($PLAY_RC)"
        grep -Eq '^bed +: ok=[0-9]+ +changed=0 ' "$A/out" || fail "$name: the second run changed something"
        say "$name: installed, runs by name as root and as nobody ($(tail -n 1 "$SYS_WORK/nobody.out")); a second run changes nothing"
}

install_from "a .deb on the controller" "hostfit_deb: $DEB"
install_from "a .deb by URL" "hostfit_deb: http://127.0.0.1:8000/$(basename "$DEB")"
install_from "an apt repository" "hostfit_apt_repository: deb [trusted=yes] file:/srv/disk/repo ./"
inside grep -qx 'deb \[trusted=yes\] file:/srv/disk/repo ./' /etc/apt/sources.list.d/hostfit.list ||
        fail "the role did not add the repository as /etc/apt/sources.list.d/hostfit.list"
inside_sh 'apt-cache policy hostfit | grep -q "file:/srv/disk/repo"' || fail "apt does not take hostfit from the repository"
pass "the role installs hostfit from a .deb path, a URL and an apt repository; each second run changes nothing"
