#!/bin/sh
# SPDX-License-Identifier: MIT
# The shell completions as each shell loads them: bash registers _hostfit
# (complete -p) and completes through compgen; zsh and fish describe every
# command and option with the text of --help; all three complete the stamps
# of the run records for history and undo (under --root too) and unit names
# for incidents --unit (from systemctl: a stand-in on PATH says which).
cd "$(dirname "$0")/../.." && . tests/pkg/lib.sh
need_hostfit
BIN=$(dirname "$HOSTFIT")

# A root with one run record: fix --yes on a copy of a fixture.
root=$PKG_TMP/root; cp -a tests/fixtures/swap-none "$root"
printf '[swap]\nsize = 16M\n' > "$PKG_TMP/hostfit.conf"
"$HOSTFIT" --config "$PKG_TMP/hostfit.conf" fix --yes --root "$root" swap-missing > /dev/null 2>&1
stamp=$("$HOSTFIT" history --root "$root" --format json | sed -n 's/.*"stamp": *"\([0-9]\{8\}T[0-9]\{6\}Z\)".*/\1/p' | head -n1)
check "the fixture root has a run record ($stamp)" [ -n "$stamp" ]
# systemctl as the completion calls it: the units of a host we choose.
mkdir -p "$PKG_TMP/bin"
cat > "$PKG_TMP/bin/systemctl" <<'SH'
#!/bin/sh
case "$1" in
list-units) printf '%s\n' 'app.service loaded active running An app' 'web-api.service loaded failed failed Web' \
        'session-4.scope loaded active running Session' ;;
list-unit-files) printf '%s\n' 'app.service enabled enabled' 'getty@.service enabled enabled' 'backup.timer disabled enabled' ;;
esac
SH
chmod +x "$PKG_TMP/bin/systemctl"
CPATH=$PKG_TMP/bin:$BIN:$PATH
units_want="app.service backup.timer session-4.scope web-api.service"

cmds=$("$HOSTFIT" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
# What --help says of --color, which it wraps onto a second line, whole; and the run's line of
# `hostfit history`, blanks squeezed, that describes its stamp.
color_want=$("$HOSTFIT" --help | sed -E -e ':a' -e '$!N' -e 's/\n {8,}/ /' -e 'ta' -e 'P' -e 'D' | sed -n 's/^ *--color WHEN  *//p')
check "--help wraps the description of --color (what the next checks are about)" \
        sh -c "'$HOSTFIT' --help | grep -A1 -- '--color' | tail -n1 | grep -q '^        *[a-zA-Z(]'"
stamp_desc=$("$HOSTFIT" history --root "$root" | sed -n "s/^$stamp  *//p" | tr -s ' ')
check "history describes the run ($stamp_desc)" [ -n "$stamp_desc" ]
if command -v bash > /dev/null && [ -f /usr/share/bash-completion/bash_completion ]; then
        cat > "$PKG_TMP/c.bash" <<'SH'
. /usr/share/bash-completion/bash_completion
. "$1"; shift
complete -p hostfit
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
_hostfit hostfit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '
SH
        bc() { PATH=$CPATH bash "$PKG_TMP/c.bash" completions/hostfit.bash hostfit "$@" 2>&1; }
        out=$(bc "")
        check "bash: complete -p shows -F _hostfit for hostfit" sh -c "printf '%s\n' '$out' | grep -q '^complete -F _hostfit hostfit$'"
        check "bash: the commands" [ "$(printf '%s\n' "$out" | tail -n1)" = "$(printf '%s\n' $cmds | sort | tr '\n' ' ')" ]
        check "bash: undo completes the stamp under --root" sh -c "[ \"\$(PATH='$CPATH' bash '$PKG_TMP/c.bash' completions/hostfit.bash hostfit undo --root '$root' '' | tail -n1)\" = '$stamp ' ]"
        check "bash: history --root=DIR completes the stamp" sh -c "[ \"\$(PATH='$CPATH' bash '$PKG_TMP/c.bash' completions/hostfit.bash hostfit history --root='$root' 20 | tail -n1)\" = '$stamp ' ]"
        check "bash: incidents --unit completes the units, not templates" sh -c "[ \"\$(PATH='$CPATH' bash '$PKG_TMP/c.bash' completions/hostfit.bash hostfit incidents --unit '' | tail -n1)\" = '$units_want ' ]"
        check "bash: incidents -u a completes app.service" sh -c "[ \"\$(PATH='$CPATH' bash '$PKG_TMP/c.bash' completions/hostfit.bash hostfit incidents -u a | tail -n1)\" = 'app.service ' ]"
else
        echo "skip: bash or bash-completion missing (tests/pkg/packages)"
fi

if command -v zsh > /dev/null; then
        zc() { PATH=$CPATH zsh -c 'source completions/_hostfit; "$@"' zsh "$@" 2>&1; }
        d=$(zc _hostfit_descriptions hostfit)
        missing=""
        for c in $cmds; do printf '%s\n' "$d" | grep -q "^$c:[a-z]" || missing="$missing $c"; done
        check "zsh: every command has its description${missing:+ (missing:$missing)}" [ -z "$missing" ]
        for c in $cmds; do
                [ "$c" = help ] && continue
                d=$(zc _hostfit_descriptions hostfit "$c")
                missing=""
                for o in $("$HOSTFIT" "$c" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'); do
                        printf '%s\n' "$d" | grep -q -- "^$o:[a-zA-Z]" || missing="$missing $o"
                done
                check "zsh: every option of $c has its description${missing:+ (missing:$missing)}" [ -z "$missing" ]
        done
        check "zsh: undo completes the stamp under --root" [ "$(zc _hostfit_candidates hostfit undo --root "$root" '')" = "$stamp" ]
        check "zsh: history completes the stamp under --root=DIR" [ "$(zc _hostfit_candidates hostfit history --root="$root" '')" = "$stamp" ]
        check "zsh: the stamp is described by its line of hostfit history" \
                [ "$(zc _hostfit_descriptions hostfit undo --root "$root" | grep "^$stamp:")" = "$stamp:$stamp_desc" ]
        check "zsh: a description --help wraps is whole (--color: $color_want)" \
                [ "$(zc _hostfit_descriptions hostfit | grep '^--color:')" = "--color:$color_want" ]
        check "zsh: incidents -u completes the units" \
                [ "$(zc _hostfit_candidates hostfit incidents -u '' | sort | tr '\n' ' ')" = "$units_want " ]
        check "zsh: incidents --unit completes the units" \
                [ "$(zc _hostfit_candidates hostfit incidents --unit '' | sort | tr '\n' ' ')" = "$units_want " ]
else
        echo "skip: zsh not installed"
fi

if command -v fish > /dev/null; then
        # fish_complete_path: the tree's completion only, never one a package installed.
        fc() { PATH=$CPATH fish -c "set fish_complete_path $PWD/completions; source completions/hostfit.fish; complete -C '$1'" 2>&1; }
        out=$(fc 'hostfit ')
        missing=""
        for c in $cmds; do printf '%s\n' "$out" | grep -q "^$c	[a-z]" || missing="$missing $c"; done
        check "fish: every command with its description${missing:+ (missing:$missing)}" [ -z "$missing" ]
        for c in $cmds; do
                [ "$c" = help ] && continue
                out=$(fc "hostfit $c --")
                missing=""
                for o in $("$HOSTFIT" "$c" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p'); do
                        printf '%s\n' "$out" | grep -q -- "^$o	[a-zA-Z]" || missing="$missing $o"
                done
                check "fish: every option of $c with its description${missing:+ (missing:$missing)}" [ -z "$missing" ]
        done
        check "fish: history completes the stamp under --root" [ "$(fc "hostfit history --root $root " | cut -f1)" = "$stamp" ]
        check "fish: undo completes the stamp, described by its line of hostfit history" \
                [ "$(fc "hostfit undo --root=$root ")" = "$stamp	$stamp_desc" ]
        check "fish: a description --help wraps is whole (--color)" \
                [ "$(fc 'hostfit --c' | grep '^--color')" = "--color	$color_want" ]
        check "fish: incidents -u completes the units" \
                [ "$(fc 'hostfit incidents -u ' | cut -f1 | sort | tr '\n' ' ')" = "$units_want " ]
        check "fish: incidents --unit completes the units" \
                [ "$(fc 'hostfit incidents --unit ' | cut -f1 | sort | tr '\n' ' ')" = "$units_want " ]
else
        echo "skip: fish not installed"
fi
finish
