#!/bin/bash
# Exact bytes on the hard paths, against the generator's own count: ICMP
# echo on ping and raw sockets (IPv4 and IPv6), raw IP with protocol 253,
# sendfile, splice to a socket, io_uring send and recv, sendmmsg and
# recvmmsg, MSG_PEEK (not counted twice). Then flows: addresses, ports and
# bytes per flow, IPv4 on IPv6 sockets shown as IPv4, --port, -4 and -6.
. "$(dirname "$0")/lib.sh"
require_root paths
netns_up || { fail netns "cannot create namespaces"; exit 1; }
ip netns exec "$NSA" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
inA() { ip netns exec "$NSA" "$NBGEN" "$@"; }
inB() { ip netns exec "$NSB" "$NBGEN" "$@"; }
ready() { for _ in $(seq 50); do grep -q ready "$1" && return; sleep 0.1; done; }

nb_start --by process,flow
inA ping 10.77.0.2 5 100 >"$T/ping4"
inA ping fd77::2 5 200 >"$T/ping6"
inA rawping 10.77.0.2 5 300 >"$T/rawping4"
inA rawping fd77::2 5 120 >"$T/rawping6"
inB raw-recv 10.77.0.2 253 20 10 >"$T/rawr" 2>"$T/rawr.err" &
BG=$!
ready "$T/rawr.err"
inA raw-send 10.77.0.2 253 700 20 >"$T/raws"
wait "$BG"
inB tcp-server 10.77.0.2 7301 4000 >"$T/sf.srv" &
BG=$!
inA sendfile 10.77.0.2 7301 3000000 >"$T/sf.cli"
wait "$BG"
inB tcp-server 10.77.0.2 7302 5000 >"$T/sp.srv" &
BG=$!
inA splice-send 10.77.0.2 7302 1000000 >"$T/sp.cli"
wait "$BG"
inB tcp-server 10.77.0.2 7303 2500000 >"$T/ur.srv" &
BG=$!
inA uring 10.77.0.2 7303 1500000 >"$T/ur.cli"
wait "$BG"
inB tcp-server 10.77.0.2 7304 400000 >"$T/pk.srv" &
BG=$!
inA peek 10.77.0.2 7304 100 >"$T/pk.cli" 2>"$T/pk.err"
wait "$BG"
inB mmsg-recv 10.77.0.2 7305 160000 10 >"$T/mm.rcv" 2>"$T/mm.err" &
BG=$!
ready "$T/mm.err"
inA mmsg-send 10.77.0.2 7305 1000 160 >"$T/mm.snd"
wait "$BG"
# splice from a socket into a pipe: not through sock_recvmsg
inB splice-server 10.77.0.2 7307 >"$T/spr.srv" &
BG=$!
inA tcp-client 10.77.0.2 7307 2000000 >"$T/spr.cli"
wait "$BG"
# SCTP, where the kernel has it (this machine's has not)
inB sctp-server 10.77.0.2 7308 3000 >"$T/sctp.srv" 2>"$T/sctp.err" &
BG=$!
inA sctp-client 10.77.0.2 7308 4000 >"$T/sctp.cli" 2>>"$T/sctp.err"
sctp_rc=$?
wait "$BG"
# flows: IPv4, IPv6, and IPv4 on a dual-stack server socket
inB tcp-server :: 7306 30000 2 >"$T/fl.srv" &
BG=$!
inA tcp-client 10.77.0.2 7306 10000 >"$T/fl.cli4"
inA tcp-client fd77::2 7306 20000 >"$T/fl.cli6"
wait "$BG"
# one socket, two connections (disconnected with connect AF_UNSPEC between)
inB tcp-server 10.77.0.2 7309 1 >"$T/rc.srv1" 2>/dev/null &
BG=$!
inB tcp-server 10.77.0.2 7310 >"$T/rc.srv2" &
BG2=$!
inA reconnect 10.77.0.2 7309 7310 30000 >"$T/rc.cli"
wait "$BG2"
kill "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
sleep 0.3
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"

for f in ping4 ping6 rawping4 rawping6 raws rawr sf.srv sf.cli sp.srv sp.cli \
	 ur.srv ur.cli pk.srv pk.cli mm.rcv mm.snd spr.srv spr.cli; do
	check_gen "$f" "$T/$f"
done
check_eq "ping4 moved 5 requests of 100 bytes" 500 "$(gen_field "$T/ping4" sent)"
if [ "$sctp_rc" = 3 ]; then
	echo "NA ${CHECK_PREFIX:-}sctp: $(head -1 "$T/sctp.err")"
else
	check_gen "sctp client" "$T/sctp.cli"
	check_gen "sctp server" "$T/sctp.srv"
fi
check_eq "raw 253: 20 datagrams with IPv4 headers received" 14400 "$(gen_field "$T/rawr" received)"
grep -q "peeked [1-9]" "$T/pk.err" && pass "peek: the generator did peek" || fail "peek: the generator did peek" "$(cat "$T/pk.err")"

# flow rows: protocol, family, addresses, ports, exact bytes
flow() {	# PID FILTER -> "family laddr lport raddr rport tx rx"
	jq -r --argjson pid "$1" "select(.summary and .type == \"flow\" and .pid == \$pid and $2) |
		\"\(.proto) \(.family) \(.laddr) \(.raddr) \(.rport) \(.tx_bytes) \(.rx_bytes)\"" "$T/nb.json"
}
cli4=$(gen_field "$T/fl.cli4" pid)
cli6=$(gen_field "$T/fl.cli6" pid)
srv=$(gen_field "$T/fl.srv" pid)
check_eq "flow: IPv4 client" "tcp 4 10.77.0.1 10.77.0.2 7306 10000 30000" "$(flow "$cli4" true)"
check_eq "flow: IPv6 client" "tcp 6 fd77::1 fd77::2 7306 20000 30000" "$(flow "$cli6" true)"
check_eq "flow: dual-stack server, IPv4 peer shown as IPv4" "tcp 4 10.77.0.2 10.77.0.1 30000 10000" \
	"$(jq -r --argjson pid "$srv" 'select(.summary and .type == "flow" and .pid == $pid and .family == 4) | "\(.proto) \(.family) \(.laddr) \(.raddr) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"
check_eq "flow: dual-stack server, IPv6 peer" "tcp 6 fd77::2 fd77::1 30000 20000" \
	"$(jq -r --argjson pid "$srv" 'select(.summary and .type == "flow" and .pid == $pid and .family == 6) | "\(.proto) \(.family) \(.laddr) \(.raddr) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"
rc=$(gen_field "$T/rc.cli" pid)
check_eq "flow: a socket connected again has a flow per connection" "7309 30000 1
7310 60000 0" "$(jq -r --argjson pid "${rc:-0}" 'select(.summary and .type == "flow" and .pid == $pid) | "\(.rport) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json" | sort)"
check_gen "reconnect: process total" "$T/rc.cli"
check_eq "flow: server local port" 7306 "$(jq -r --argjson pid "$srv" 'select(.summary and .type == "flow" and .pid == $pid) | .lport' "$T/nb.json" | sort -u)"
# an unconnected socket (sendto) has no remote address in the socket: the
# flow shows none, and the bytes are still exact
check_eq "flow: ping socket is icmp, unconnected" "icmp 4 0.0.0.0 0 500 500" \
	"$(jq -r --argjson pid "$(gen_field "$T/ping4" pid)" 'select(.summary and .type == "flow" and .pid == $pid) | "\(.proto) \(.family) \(.raddr) \(.rport) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"
check_eq "flow: raw 253 is raw" raw \
	"$(jq -r --argjson pid "$(gen_field "$T/raws" pid)" 'select(.summary and .type == "flow" and .pid == $pid) | .proto' "$T/nb.json" | sort -u)"
check_eq "flows of a process add up to its total" \
	"$(summary_field "$srv" rx_bytes)" \
	"$(jq -s --argjson pid "$srv" '[.[] | select(.summary and .type == "flow" and .pid == $pid) | .rx_bytes] | add' "$T/nb.json")"

# a process that talks, then execs another program: shown by its new name
nb_start
"$NBGEN" tcp-server 127.0.0.1 7309 100 >"$T/ex.srv" &
BG=$!
"$NBGEN" send-exec 127.0.0.1 7309 4321 /bin/true >"$T/ex.cli"
wait "$BG"
sleep 0.3
nb_stop
check_eq "exec: the process row has the new name and every byte" "true 4321 100" \
	"$(jq -r --argjson p "$(gen_field "$T/ex.cli" pid)" 'select(.summary and .type == "process" and .pid == $p) | "\(.comm) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"

# pid reuse: two processes with the same pid are two rows, each exact
nb_start
"$NBGEN" tcp-server 127.0.0.1 7308 0 2 >"$T/ru.srv" &
SRV=$!
"$NBGEN" tcp-client 127.0.0.1 7308 1111 >"$T/ru.1" &
P=$!
wait "$P"
reused=
for _ in 1 2 3 4 5; do	# another fork may take the pid first: retry
	echo $((P - 1)) >/proc/sys/kernel/ns_last_pid
	"$NBGEN" tcp-client 127.0.0.1 7308 2222 >"$T/ru.2" &
	Q=$!
	wait "$Q"
	[ "$Q" = "$P" ] && { reused=1; break; }
done
[ -z "$reused" ] && kill "$SRV" 2>/dev/null
wait "$SRV"
sleep 0.3
nb_stop
if [ -n "$reused" ]; then
	check_eq "pid reuse: two rows for pid $P, exact bytes each" "1111 2222" \
		"$(jq -r --argjson p "$P" 'select(.summary and .type == "process" and .pid == $p) | .tx_bytes' "$T/nb.json" | sort -n | xargs)"
else
	fail "pid reuse" "could not get pid $P again in 5 tries"
fi

# --port: only traffic with that port, in the process totals too
nb_start --by process,flow --port 7402
inB tcp-server 10.77.0.2 7401 1111 >"$T/p1.srv" &
BG=$!
inA tcp-client 10.77.0.2 7401 2222 >"$T/p1.cli"
wait "$BG"
inB tcp-server 10.77.0.2 7402 3333 >"$T/p2.srv" &
BG=$!
inA tcp-client 10.77.0.2 7402 4444 >"$T/p2.cli"
wait "$BG"
sleep 0.3
nb_stop
check_gen "--port 7402: its client" "$T/p2.cli"
check_gen "--port 7402: its server" "$T/p2.srv"
check_eq "--port 7402: port 7401 not counted" "" "$(summary_field "$(gen_field "$T/p1.cli" pid)" tx_bytes)"
check_eq "--port 7402: every flow has the port" true \
	"$(jq -s 'map(select(.type == "flow")) | length > 0 and all(.lport == 7402 or .rport == 7402)' "$T/nb.json")"

# -6 and -4
for fam in 6 4; do
	nb_start -$fam
	inB tcp-server :: 7403 500 2 >"$T/f.srv" &
	BG=$!
	inA tcp-client 10.77.0.2 7403 600 >"$T/f.cli4"
	inA tcp-client fd77::2 7403 700 >"$T/f.cli6"
	wait "$BG"
	sleep 0.3
	nb_stop
	other=$((fam == 4 ? 6 : 4))
	check_gen "-$fam: the IPv$fam client" "$T/f.cli$fam"
	check_eq "-$fam: the IPv$other client not counted" "" "$(summary_field "$(gen_field "$T/f.cli$other" pid)" tx_bytes)"
	check_eq "-$fam: the server only its IPv$fam bytes" "$(gen_field "$T/f.cli$fam" sent)" \
		"$(summary_field "$(gen_field "$T/f.srv" pid)" rx_bytes)"
done

# a flow map far too small: evictions counted, process totals still exact
NETBPF_MAX_FLOWS=32 nb_start --by process,flow
inB tcp-server 10.77.0.2 7404 100 300 >"$T/m.srv" &
BG=$!
inA many 10.77.0.2 7404 300 200 >"$T/m.cli"
wait "$BG"
sleep 0.3
nb_stop
check_eq "full flow map: exit 0" 0 "$NB_RC"
check_gen "full flow map: client total exact" "$T/m.cli"
check_gen "full flow map: server total exact" "$T/m.srv"
# 300 connections through 32 slots: flows ended early to make room, or
# updates that found every slot taken (a burst within one interval)
ev=$(sed -n 's/^netbpf: \([0-9]*\) flows were evicted.*/\1/p' "$T/nb.err")
lost=$(sed -n 's/^netbpf: .* and \([0-9]*\) flow updates found it full.*/\1/p' "$T/nb.err")
[ $((${ev:-0} + ${lost:-0})) -gt 0 ] && pass "full flow map: evictions ($ev) and lost updates ($lost) counted" ||
	fail "full flow map: evictions or lost updates counted" "$(cat "$T/nb.err")"
nflows=$(jq -s '[.[] | select(.summary and .type == "flow")] | length' "$T/nb.json")
[ "$nflows" -le 300 ] && [ "$nflows" -gt 0 ] && pass "full flow map: $nflows flow rows in the summary" ||
	fail "full flow map: flow rows in the summary" "$nflows"
