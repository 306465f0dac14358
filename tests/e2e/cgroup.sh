#!/bin/bash
# Cgroup rows and --cgroup: a process in a cgroup v2 made by the test; its
# bytes in that cgroup's row, its path in its process row, and --cgroup
# counting only the processes in that cgroup (in the kernel).
. "$(dirname "$0")/lib.sh"
require_root cgroup
root=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { fail cgroup "no cgroup2 mount"; exit 1; }
CG=/nbtest$$
mkdir "$root$CG" && CLEANUPS+=("rmdir $root$CG")
# run a command inside the test cgroup
incg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$root$CG" "$@"; }

for filter in "" "--cgroup $CG"; do
	# shellcheck disable=SC2086
	nb_start --by process,cgroup $filter
	incg "$NBGEN" tcp-server 127.0.0.1 7501 123456 >"$T/in.srv" &
	BG=$!
	"$NBGEN" tcp-client 127.0.0.1 7501 6543 >"$T/out.cli"
	wait "$BG"
	sleep 0.3
	nb_stop
	name=${filter:-"no filter"}
	check_gen "$name: the process in the cgroup" "$T/in.srv"
	check_eq "$name: its process row names the cgroup" "$CG" "$(summary_field "$(gen_field "$T/in.srv" pid)" cgroup)"
	check_eq "$name: the cgroup row has its bytes" "123456 6543 " \
		"$(jq -r --arg cg "$CG" 'select(.summary and .type == "cgroup" and .cgroup == $cg) | "\(.tx_bytes) \(.rx_bytes) \(.container)"' "$T/nb.json")"
	if [ -n "$filter" ]; then
		check_eq "$name: the process outside not counted" "" "$(summary_field "$(gen_field "$T/out.cli" pid)" tx_bytes)"
		check_eq "$name: only that cgroup's row" "$CG" "$(jq -r 'select(.type == "cgroup") | .cgroup' "$T/nb.json" | sort -u | xargs)"
	else
		check_gen "$name: the process outside" "$T/out.cli"
	fi
done
check_eq "--cgroup that does not exist: exit 2" 2 "$("$NETBPF" trace --cgroup /no/such/cgroup -n 1 >/dev/null 2>&1; echo $?)"
