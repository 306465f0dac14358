#!/bin/bash
# TCP sockets' slots (rung 1; docs/performance.md, "Session 7"): each end
# of a connection made while netbpf runs takes one, and gives it back when
# the kernel destroys the socket; two threads read every connection at
# once, so concurrent counts on a slot meet. Then paths.sh's exact paths
# again with a single slot for every socket (NETBPF_SOCK_SLOTS=1): the
# sockets that find it taken are counted in the socket storage, as
# connections older than netbpf are (first_sight.sh).
. "$(dirname "$0")/lib.sh"
require_root sock_slots
CONNS=100 N=20000
PORT=$((7900 + $$ % 50))
GO=$T/go

# The slot of cookie C among the default 16,384, as bpf/netbpf.h's
# nb_sock_index() has it: the low 14 bits XOR a mix of the others.
sock_index() {
	local c=$1 mix
	mix=$(( (($1 >> 14) * 0x9e3779b97f4a7c15 >> 32) & 0xffffffff ))
	echo $(( (c ^ mix) & 16383 ))
}

# The slots the test's own connections should hold: one per distinct slot
# of their sockets' cookies (ss's "sk:"): two sockets whose cookies have
# the same slot share it, and the second is counted in the storage.
slots_expected() {
	ss -tien state established "( sport = :$PORT or dport = :$PORT )" |
		sed -n 's/.* sk:\([0-9a-f]*\) .*/\1/p' |
		while read -r c; do sock_index $((16#$c)); done | sort -un | wc -l
}

# The taken slots (a word not 0) in the sock_slots map of netbpf PID.
slots_taken() {
	local id
	for id in $(grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un); do
		[ "$(bpftool -j map show id "$id" | jq -r .name)" = sock_slots ] || continue
		bpftool -j map dump id "$id" | jq '[.[] | select(.value[0:8] | any(. != "0x00"))] | length'
		return
	done
	echo "no sock_slots map"
}

nb_start
if ! grep -q "per-process hooks: tracepoint" "$T/nb.err"; then
	nb_stop
	echo "NA sock_slots: socket slots are the tracepoint rung's; this kernel uses $(sed -n 's/.*per-process hooks: \([a-z]*\).*/\1/p' "$T/nb.err")"
	exit 0
fi
check_eq "no slot taken before any connection" 0 "$(slots_taken "$NB_PID")"
pair_start 127.0.0.1 $PORT $CONNS $N "$GO"
ends=$(ss -tin state established "( sport = :$PORT or dport = :$PORT )" | grep -c ':'"$PORT"' ')
check_eq "$CONNS live connections: both ends listed by ss" $((2 * CONNS)) "$ends"
check_eq "a slot for each end of $CONNS live connections (the slots of the cookies ss lists)" \
	"$(slots_expected)" "$(slots_taken "$NB_PID")"
touch "$GO"
wait "$CLI" "$SRV"
sleep 0.3
check_eq "every slot given back once the sockets are gone" 0 "$(slots_taken "$NB_PID")"
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"
check_gen "connections on slots, two readers each: the server" "$T/srv"
check_gen "connections on slots: the client" "$T/cli"

# paths.sh with one slot: most sockets on the storage, one on the slot
NETBPF_SOCK_SLOTS=1 CHECK_PREFIX="one socket slot: " bash "$(dirname "$0")/paths.sh"
