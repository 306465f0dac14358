# bash completion for netbpf(8): commands, options and their values.
# Installed as $(PREFIX)/share/bash-completion/completions/netbpf; or
# source it from ~/.bashrc. Needs nothing but bash.

_netbpf_list()	# complete one item of a comma-separated list from WORDS
{
	local words=$1 cur=$2 pre=
	case $cur in
	*,*) pre=${cur%,*},; cur=${cur##*,} ;;
	esac
	COMPREPLY=($(compgen -P "$pre" -W "$words" -- "$cur"))
	[ ${#COMPREPLY[@]} -gt 0 ] && compopt -o nospace 2>/dev/null
}

_netbpf()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= i
	local opts="-p --pid --comm --proto --port -4 -6 --cgroup --container -i --iface
		-d --interval -n --count -j --json --by --bits --backend --listen
		--metrics-pid --web-config --no-resolve --host-ports --btf -v --verbose -V --version -h --help"
	local cmds="top trace serve doctor"

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: bash splits at '='
	if [ "$cur" = "=" ]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	COMPREPLY=()
	case $prev in
	--proto)
		_netbpf_list "tcp udp icmp sctp raw packet other" "$cur"; return ;;
	--by)
		_netbpf_list "process flow cgroup iface host total" "$cur"; return ;;
	-i|--iface)
		_netbpf_list "$(ls /sys/class/net 2>/dev/null)" "$cur"; return ;;
	-p|--pid)
		_netbpf_list "$(cd /proc 2>/dev/null && ls -d [0-9]* 2>/dev/null)" "$cur"; return ;;
	--backend)
		COMPREPLY=($(compgen -W "auto tracepoint fentry kprobe" -- "$cur")); return ;;
	--comm)
		COMPREPLY=($(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" -- "$cur")); return ;;
	--btf|--web-config)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--port|-d|--interval|-n|--count|--listen)
		return ;;	# a number or an address: nothing to offer
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# one command at most
	for ((i = 1; i < COMP_CWORD; i++)); do
		case " $cmds " in
		*" ${COMP_WORDS[i]} "*) return ;;
		esac
	done
	COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
}

complete -F _netbpf netbpf
