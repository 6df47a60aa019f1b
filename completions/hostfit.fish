# fish completion for hostfit; check ids come from `hostfit list --ids` at completion time.

set -l commands check fix list explain help

function __hostfit_ids
        set -l cmd (commandline -opc)
        $cmd[1] list --ids 2>/dev/null
end

complete -c hostfit -f
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Show the usage'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -l version -d 'Show the version'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -a check -d 'Find what lets the OOM killer take a service'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -a fix -d 'Plan or apply the fixes'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -a list -d 'List the checks'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -a explain -d 'Explain a check'
complete -c hostfit -n "not __fish_seen_subcommand_from $commands" -a help -d 'Show the usage of a command'

complete -c hostfit -n "__fish_seen_subcommand_from check fix" -s r -l root -r -F -d 'Read the host under DIR'
complete -c hostfit -n "__fish_seen_subcommand_from check fix list" -s f -l format -x -a 'text json' -d 'Output format'
complete -c hostfit -n "__fish_seen_subcommand_from check fix" -s p -l profile -x -a 'production development' -d 'Profile'
complete -c hostfit -n "__fish_seen_subcommand_from check" -s q -l quiet -d 'Only the checks that did not pass'
complete -c hostfit -n "__fish_seen_subcommand_from check" -s v -l verbose -d 'The evidence behind each finding'
complete -c hostfit -n "__fish_seen_subcommand_from fix" -s n -l dry-run -d 'Show the changes, write nothing'
complete -c hostfit -n "__fish_seen_subcommand_from fix" -s y -l yes -d 'Apply without asking'
complete -c hostfit -n "__fish_seen_subcommand_from fix" -s w -l wait -x -d 'Wait this long for another fix'
complete -c hostfit -n "__fish_seen_subcommand_from list" -l ids -d 'The ids only'
complete -c hostfit -n "__fish_seen_subcommand_from check fix list explain" -s h -l help -d 'Show the usage'
complete -c hostfit -n "__fish_seen_subcommand_from check fix explain" -a '(__hostfit_ids)' -d 'Check'
complete -c hostfit -n "__fish_seen_subcommand_from help" -a "$commands"
