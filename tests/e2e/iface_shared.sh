#!/bin/bash
# netbpf on a shared host: a foreign clsact filter (a BPF counter that
# returns TC_ACT_OK, as a CNI or a shaper would install) put there before
# netbpf starts still exists, and still sees packets, after netbpf starts,
# stops (SIGINT, and SIGHUP as when a terminal closes), and is killed with
# SIGKILL, with both attach methods; netbpf
# leaves none of its filters or programs behind (with clsact after a
# SIGKILL, the next netbpf removes what the dead one left, as designed).
. "$(dirname "$0")/lib.sh"
require_root iface_shared
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VA=nbsa$$
ip link add "$VA" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VA")
ip addr add 10.80.0.1/24 dev "$VA"
ip link set "$VA" up
ip -n "$NSB" addr add 10.80.0.2/24 dev vb
ip -n "$NSB" link set vb up

clang -O2 -g -target bpf -I"$ROOT/vmlinux" -c "$ROOT/tests/tools/foreign.bpf.c" -o "$T/foreign.o" ||
	{ fail build "the foreign BPF program did not compile"; exit 1; }
tc qdisc add dev "$VA" clsact
tc filter add dev "$VA" ingress bpf da obj "$T/foreign.o" sec tc
tc filter add dev "$VA" egress bpf da obj "$T/foreign.o" sec tc

foreign_filters() { for d in ingress egress; do tc filter show dev "$VA" $d; done | grep -c 'foreign.o:'; }
netbpf_filters() { for d in ingress egress; do tc filter show dev "$VA" $d; done | grep -c 'nb_tc_'; }
foreign_seen() {	# packets the foreign ingress program counted
	local id map
	id=$(tc filter show dev "$VA" ingress | grep 'foreign.o:' | grep -o ' id [0-9]*' | awk '{print $2}')
	map=$(bpftool -j prog show id "$id" | jq '.map_ids[0]')
	bpftool -j map dump id "$map" | jq '.[0].formatted.value'
}
traffic() {
	ip netns exec "$NSB" "$NBGEN" tcp-server 10.80.0.2 7601 20000 >/dev/null &
	BG=$!
	"$NBGEN" tcp-client 10.80.0.2 7601 20000 >"$T/cli"
	wait "$BG"
}

for method in tcx clsact; do
	for how in INT HUP KILL; do
		name="$method, SIG$how"
		# only the test's veth: a netbpf killed in clsact mode leaves the
		# empty clsact qdiscs it made, and this host's own are not ours
		NETBPF_TC_METHOD=$method nb_start --by iface -i "$VA"
		check_eq "$name: foreign filters there after start" 2 "$(foreign_filters)"
		s0=$(foreign_seen)
		traffic
		s1=$(foreign_seen)
		[ "$s1" -gt "$s0" ] && pass "$name: foreign filter still runs" || fail "$name: foreign filter still runs" "$s0 -> $s1"
		if [ "$how" = KILL ]; then
			kill -KILL "$NB_PID"
			wait "$NB_PID" 2>/dev/null
			NB_PID=
		else
			kill -"$how" "$NB_PID"
			wait "$NB_PID"
			NB_RC=$?
			NB_PID=
			check_eq "$name: exit 0" 0 "$NB_RC"
			check_eq "$name: the veth was counted" 1 "$(jq -c --arg v "$VA" 'select(.summary and .type == "iface" and .ifname == $v and .tx_bytes > 20000)' "$T/nb.json" | wc -l)"
		fi
		check_eq "$name: foreign filters there after the end" 2 "$(foreign_filters)"
		if [ "$method" = clsact ] && [ "$how" = KILL ]; then
			# a killed clsact netbpf leaves its filters; the next start removes them
			NETBPF_TC_METHOD=clsact "$NETBPF" trace -n 1 -d 0.1 -i "$VA" >/dev/null 2>&1
			check_eq "$name: the next netbpf removed the leftovers" 0 "$(netbpf_filters)"
		else
			check_eq "$name: no netbpf filter left" 0 "$(netbpf_filters)"
		fi
		check_eq "$name: bpftool net shows no netbpf program" 0 "$(bpftool net show dev "$VA" | grep -c nb_tc_)"
		check_eq "$name: foreign filters there in the end" 2 "$(foreign_filters)"
		check_eq "$name: the clsact qdisc is still there" 1 "$(tc qdisc show dev "$VA" | grep -c clsact)"
	done
done
