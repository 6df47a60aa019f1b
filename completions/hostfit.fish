# SPDX-License-Identifier: MIT
# fish completion for hostfit.  Commands, options (each with its description)
# and option values are read from the binary's own --help when completing,
# check ids from `hostfit list --ids`, run stamps (history, undo) from
# `hostfit history --format json` (described by their line of `hostfit
# history`) and unit names (--unit UNIT) from systemctl,
# so the completion always matches the hostfit installed and the host.

function __hostfit_help
        set -l bin (commandline -opc)[1]
        command -q -- $bin; or set bin hostfit
        $bin $argv --help 2>/dev/null
end

# "LONG SHORT ARG" for each option line of `hostfit [CMD] --help` ("-" when none).
function __hostfit_options
        for line in (__hostfit_help $argv | string replace -rf '^ *(?:-([a-zA-Z]), )?(--[a-z][a-z-]*)(?: ([A-Z]+))?  .*' '$2 -$1 $3')
                set -l f (string split ' ' -- $line)
                test -n "$f[3]"; or set f[3] -
                echo $f[1] $f[2] $f[3]
        end
end

# `hostfit [CMD] --help` with each description that it wraps joined to its first line.
function __hostfit_help_joined
        __hostfit_help $argv | sed -E -e ':a' -e '$!N' -e 's/\n {8,}/ /' -e 'ta' -e 'P' -e 'D'
end

# "LONG<tab>DESCRIPTION" for each option of `hostfit [CMD] --help`.
function __hostfit_option_descriptions
        __hostfit_help_joined $argv | string replace -rf '^ *(?:-[a-zA-Z], )?(--[a-z][a-z-]*)(?: [A-Z]+)?  +(.*)$' '$1\t$2'
end

function __hostfit_complete
        set -l words (commandline -opc)
        set -l cur (commandline -ct)
        set -l cmd
        set -l scope
        set -l rootopt
        set -l i 2
        while test $i -le (count $words)
                set -l w $words[$i]
                if string match -q -- '--root=*' $w
                        set rootopt $w
                else if string match -q -- '--*=*' $w
                else if string match -q -- '-*' $w
                        if contains -- $w -r --root; and test $i -lt (count $words)
                                set rootopt --root $words[(math $i + 1)]
                        end
                        for o in (__hostfit_options $scope)
                                set -l f (string split ' ' -- $o)
                                if contains -- $w $f[1] $f[2]; and test "$f[3]" != -
                                        set i (math $i + 1)
                                end
                        end
                else if test -z "$cmd"
                        set cmd $w
                        set scope $w
                end
                set i (math $i + 1)
        end
        set -l prev $words[-1]
        if string match -q -- '-*' $prev; and test (count $words) -gt 1
                for o in (__hostfit_options $scope)
                        set -l f (string split ' ' -- $o)
                        contains -- $prev $f[1] $f[2]; or continue
                        test "$f[3]" = -; and break
                        set -l values (__hostfit_help $scope | sed -n '/^usage:/,/^$/p' | string match -r -- "$f[1] ([a-z][a-z0-9|-]*)" | sed -n 2p | string split '|')
                        if test (count $values) -gt 0
                                printf '%s\n' $values
                        else if test "$f[3]" = UNIT
                                begin
                                        systemctl list-units --all --full --plain --no-legend --no-pager 2>/dev/null
                                        systemctl list-unit-files --full --no-legend --no-pager 2>/dev/null
                                end | string replace -rf '^(\S+\.\S+)\s.*' '$1' | string match -rv '@\.' | sort -u
                        else if test "$f[3]" = DIR
                                __fish_complete_directories $cur
                        else
                                __fish_complete_path $cur
                        end
                        return
                end
        end
        if string match -q -- '-*' $cur
                __hostfit_option_descriptions $scope
        else if test -z "$cmd" -o "$cmd" = help
                __hostfit_help_joined | string replace -rf '^  ([a-z][a-z-]*)  +(.*)$' '$1\t$2'
        # sed, not head: hostfit's output is read whole, never cut off mid-write.
        else if __hostfit_help $cmd | sed -n 1p | string match -q -r ' \[?ID'
                set -l bin $words[1]
                command -q -- $bin; or set bin hostfit
                $bin list --ids 2>/dev/null
        else if __hostfit_help $cmd | sed -n 1p | string match -q -r ' \[STAMP\]'
                set -l bin $words[1]
                command -q -- $bin; or set bin hostfit
                # Each stamp, described by its line of `hostfit history` (when, what, by whom).
                set -l described ($bin history $rootopt 2>/dev/null | string replace -rf '^([0-9]{8}T[0-9]{6}Z) +(.*)$' '$1\t$2' | string replace -ra ' +' ' ')
                for s in ($bin history $rootopt --format json 2>/dev/null | string match -ra '"stamp": *"[0-9]{8}T[0-9]{6}Z"' | string match -ra '[0-9]{8}T[0-9]{6}Z')
                        set -l d (string match -- $s\t'*' $described)
                        test -n "$d[1]"; and echo $d[1]; or echo $s
                end
        end
end

complete -c hostfit -f -a '(__hostfit_complete)'
