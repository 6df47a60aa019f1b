# SPDX-License-Identifier: MIT
# bash completion for hostfit.  Commands, options and option values are read
# from the binary's own --help when completing, check ids from
# `hostfit list --ids`, run stamps (history, undo) from `hostfit history
# --format json` and unit names (--unit UNIT) from systemctl, so the completion
# always matches the hostfit installed and the host it runs on.

_hostfit_help() {
        "$_hostfit_bin" "$@" --help 2>/dev/null
}

# The commands: the indented lines of the Commands list in `hostfit --help`.
_hostfit_commands() {
        _hostfit_help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
}

# Option lines of `hostfit [CMD] --help` ("  -r, --root DIR   text"), as
# "LONG SHORT ARG" (SHORT and ARG "-" when none).
_hostfit_options() {
        _hostfit_help "$@" | sed -n \
                -e 's/^ *-\([a-zA-Z]\), \(--[a-z][a-z-]*\) \([A-Z][A-Z]*\) .*/\2 -\1 \3/p' \
                -e 's/^ *-\([a-zA-Z]\), \(--[a-z][a-z-]*\)  .*/\2 -\1 -/p' \
                -e 's/^ *\(--[a-z][a-z-]*\) \([A-Z][A-Z]*\) .*/\1 - \2/p' \
                -e 's/^ *\(--[a-z][a-z-]*\)  .*/\1 - -/p'
}

# The values of OPT from the synopsis of `hostfit [CMD] --help`: "[--format text|json]".
_hostfit_values() {
        local opt=$1
        shift
        _hostfit_help "$@" | sed -n '/^usage:/,/^$/p' | grep -o -- "$opt [a-z][a-z0-9|-]*" | head -n 1 |
                cut -d' ' -f2 | tr '|' '\n'
}

# The stamps of the run records, newest first (under --root DIR when given).
_hostfit_stamps() {
        "$_hostfit_bin" history "$@" --format json 2>/dev/null |
                grep -o '"stamp": *"[0-9]\{8\}T[0-9]\{6\}Z"' | grep -o '[0-9]\{8\}T[0-9]\{6\}Z'
}

# The units systemd knows (loaded or with a unit file), for --unit UNIT.
_hostfit_units() {
        {
                systemctl list-units --all --full --plain --no-legend --no-pager 2>/dev/null
                systemctl list-unit-files --full --no-legend --no-pager 2>/dev/null
        } | while read -r u _; do
                [[ $u == *.* && $u != *@. && $u != *@.* ]] && printf '%s\n' "$u"
        done | sort -u
}

_hostfit() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        local _hostfit_bin=${COMP_WORDS[0]} cmd="" i long short arg
        command -v -- "$_hostfit_bin" >/dev/null 2>&1 || _hostfit_bin=hostfit
        local -a scope=() rootopt=()

        # The command: the first word that is neither an option nor an option's value.
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --root=*) rootopt=("${COMP_WORDS[i]}") ;;
                --*=*) ;;
                -r | --root) rootopt=(--root "${COMP_WORDS[i+1]}") ;;&
                -*)
                        while read -r long short arg; do
                                [[ ${COMP_WORDS[i]} == "$long" || ${COMP_WORDS[i]} == "$short" ]] &&
                                        [[ $arg != - ]] && ((i++))
                        done < <(_hostfit_options "${scope[@]}") ;;
                *)
                        [[ -z $cmd ]] || continue
                        cmd=${COMP_WORDS[i]}
                        scope=("$cmd") ;;
                esac
        done

        # The value of an option.
        if [[ $prev == -* ]]; then
                while read -r long short arg; do
                        [[ $prev == "$long" || $prev == "$short" ]] || continue
                        [[ $arg == - ]] && break
                        local values
                        values=$(_hostfit_values "$long" "${scope[@]}")
                        if [[ -n $values ]]; then
                                COMPREPLY=($(compgen -W "$values" -- "$cur"))
                        elif [[ $arg == UNIT ]]; then
                                COMPREPLY=($(compgen -W "$(_hostfit_units)" -- "$cur"))
                        elif [[ $arg == DIR ]]; then
                                COMPREPLY=($(compgen -d -- "$cur"))
                        else
                                COMPREPLY=($(compgen -f -- "$cur"))
                        fi
                        return 0
                done < <(_hostfit_options "${scope[@]}")
        fi

        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$(_hostfit_options "${scope[@]}" | cut -d' ' -f1)" -- "$cur"))
        elif [[ -z $cmd || $cmd == help ]]; then
                COMPREPLY=($(compgen -W "$(_hostfit_commands)" -- "$cur"))
        # sed, not head: hostfit's output is read whole, never cut off mid-write.
        elif _hostfit_help "$cmd" | sed -n 1p | grep -q ' \[\{0,1\}ID'; then
                COMPREPLY=($(compgen -W "$("$_hostfit_bin" list --ids 2>/dev/null)" -- "$cur"))
        elif _hostfit_help "$cmd" | sed -n 1p | grep -q ' \[STAMP\]'; then
                COMPREPLY=($(compgen -W "$(_hostfit_stamps "${rootopt[@]}")" -- "$cur"))
        fi
        return 0
}

complete -F _hostfit hostfit
