# bash completion for hostfit; check ids come from `hostfit list --ids` at completion time.

_hostfit_ids() {
        local hostfit=${COMP_WORDS[0]}
        command -v -- "$hostfit" >/dev/null 2>&1 || hostfit=hostfit
        "$hostfit" list --ids 2>/dev/null
}

_hostfit() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        local commands="check fix list explain help"
        local cmd="" i
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --root|-r|--format|-f|--profile|-p) ((i++)) ;;
                -*) ;;
                *) cmd=${COMP_WORDS[i]}; break ;;
                esac
        done

        case $prev in
        --root|-r)
                COMPREPLY=($(compgen -d -- "$cur"))
                return 0 ;;
        --format|-f)
                COMPREPLY=($(compgen -W "text json" -- "$cur"))
                return 0 ;;
        --profile|-p)
                COMPREPLY=($(compgen -W "production development" -- "$cur"))
                return 0 ;;
        esac

        local opts ids=""
        case $cmd in
        "")
                opts="--help --version"
                [[ $cur == -* ]] || opts=$commands ;;
        check)
                opts="--root --format --profile --quiet --verbose --help"
                ids=1 ;;
        fix)
                opts="--dry-run --yes --root --format --profile --wait --help"
                ids=1 ;;
        list)
                opts="--ids --format --help" ;;
        explain)
                opts="--help"
                ids=1 ;;
        help)
                opts=$commands ;;
        *)
                return 0 ;;
        esac
        if [[ -n $ids && $cur != -* ]]; then
                COMPREPLY=($(compgen -W "$(_hostfit_ids)" -- "$cur"))
        else
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        fi
        return 0
}

complete -F _hostfit hostfit
