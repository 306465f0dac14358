#!/bin/bash
# AF_PACKET per process, exact against the generator's own counts: SOCK_RAW
# (whole frames) and SOCK_DGRAM (payload; the kernel adds the link header)
# both ways over a veth, a TPACKET_V2 TX_RING sender (counted: send() on the
# ring goes through sock_sendmsg and returns the bytes sent) and an RX_RING
# receiver (not counted: frames go to the ring in softirq, no recvmsg).
# Flow rows carry the bound ifindex and the ethertype. With
# NETBPF_TEST_BACKEND (the second kernel's guest runs it on every rung: rung
# 1's tracepoints, rung 2's fexit and rung 3's kprobes on packet_sendmsg
# and packet_recvmsg) the counts and flow rows are checked on that rung; the
# --proto filters and doctor's families, the same code on every rung, are
# checked where no backend is forced.
. "$(dirname "$0")/lib.sh"
require_root packet
netns_up || { fail netns "cannot create namespaces"; exit 1; }
nb_start --by process,flow || { fail start "netbpf did not start"; exit 1; }
inA() { ip netns exec "$NSA" "$NBGEN" "$@"; }
inB() { ip netns exec "$NSB" "$NBGEN" "$@"; }
# one receiver in B, one sender in A: KIND_SEND KIND_RECV SIZE COUNT NAME
pair() {
	inB packet-recv "vb$$" "$2" "$4" 10 >"$T/$5.rcv" 2>"$T/$5.rcv.err" &
	BG=$!
	for _ in $(seq 50); do grep -q ready "$T/$5.rcv.err" && break; sleep 0.1; done
	inA packet-send "va$$" "$1" "$3" "$4" >"$T/$5.snd"
	wait "$BG"
}
pair raw raw 1442 1000 raw
pair dgram dgram 1000 500 dgram
pair raw dgram 800 300 rawdgram
pair ring raw 1200 200 txring
pair raw ring 900 100 rxring
sleep 0.3
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"

# Three jq runs for all the checks below (jq takes half a second to start
# under QEMU, where tests/kernel/guest.sh runs this once per rung): the
# generators' reports, then netbpf's summary rows of processes and flows.
declare -A PID SENT RECV TX RX FLOW
while read -r f pid sent recv; do
	f=${f##*/}
	PID[$f]=$pid SENT[$f]=$sent RECV[$f]=$recv
done < <(cd "$T" && jq -r '"\(input_filename) \(.pid) \(.sent) \(.received)"' \
	raw.snd raw.rcv dgram.snd dgram.rcv rawdgram.snd rawdgram.rcv txring.snd txring.rcv \
	rxring.snd rxring.rcv)
while read -r type pid rest; do
	if [ "$type" = process ]; then read -r TX[$pid] RX[$pid] <<<"$rest"
	else FLOW[$pid]=$rest; fi
done < <(jq -r 'select(.summary and (.type == "process" or .type == "flow")) |
	if .type == "process" then "process \(.pid) \(.tx_bytes) \(.rx_bytes)"
	else "flow \(.pid) \(.proto) \(.family) \(.ifindex) \(.ethertype) \(.tx_bytes) \(.rx_bytes) \(has("laddr"))" end' \
	"$T/nb.json")
for f in raw.snd raw.rcv dgram.snd dgram.rcv rawdgram.snd rawdgram.rcv txring.snd txring.rcv \
	 rxring.snd; do
	if [ -z "${PID[$f]:-}" ] || [ "${PID[$f]}" = null ]; then
		fail "$f" "the generator reported nothing: $(cat "$T/$f")"
		continue
	fi
	check_eq "$f tx_bytes" "${SENT[$f]}" "${TX[${PID[$f]}]:-}"
	check_eq "$f rx_bytes" "${RECV[$f]}" "${RX[${PID[$f]}]:-}"
done
# the generator itself moved what it was asked to
check_eq "raw sender sent 1,442,000 B" 1442000 "${SENT[raw.snd]}"
check_eq "raw receiver got whole frames" 1442000 "${RECV[raw.rcv]}"
check_eq "dgram receiver got the payload" 500000 "${RECV[dgram.rcv]}"
check_eq "raw-to-dgram receiver got the payload" $((300 * (800 - 14))) "${RECV[rawdgram.rcv]}"
check_eq "TX_RING sender: send() returned every frame" 240000 "${SENT[txring.snd]}"
check_eq "RX_RING receiver read every frame" 90000 "${RECV[rxring.rcv]}"
# RX_RING frames never pass recvmsg: nothing counted, as documented
check_eq "RX_RING receiver: not counted" 0 "${RX[${PID[rxring.rcv]}]:-0}"

# flow rows: protocol packet, family 0, the bound ifindex, ethertype 0x88b5
ifa=$(ip -n "$NSA" -o link show "va$$" | cut -d: -f1)
ifb=$(ip -n "$NSB" -o link show "vb$$" | cut -d: -f1)
for f in raw dgram; do
	check_eq "$f snd flow row" "packet 0 $ifa 34997 ${SENT[$f.snd]} 0 false" "${FLOW[${PID[$f.snd]}]:-}"
	check_eq "$f rcv flow row" "packet 0 $ifb 34997 0 ${RECV[$f.rcv]} false" "${FLOW[${PID[$f.rcv]}]:-}"
done

if [ -n "${NETBPF_TEST_BACKEND:-}" ]; then
	echo "# --proto and doctor: the same code on every rung, checked without --backend"
	exit 0
fi
# --proto packet keeps packet sockets and nothing else; --proto tcp leaves them out
nb_start --proto packet || { fail start "netbpf --proto packet did not start"; exit 1; }
pair dgram raw 600 50 only
inB tcp-server 10.77.0.2 7101 1000 >"$T/only.srv" &
BG=$!
inA tcp-client 10.77.0.2 7101 2000 >"$T/only.cli"
wait "$BG"
sleep 0.3
nb_stop
check_gen "--proto packet: sender" "$T/only.snd"
check_gen "--proto packet: receiver" "$T/only.rcv"
tx=$(summary_field "$(gen_field "$T/only.cli" pid)" tx_bytes)
check_eq "--proto packet: no TCP counted" 0 "${tx:-0}"
nb_start --proto tcp || { fail start "netbpf --proto tcp did not start"; exit 1; }
pair raw raw 600 50 tcponly
sleep 0.3
nb_stop
tx=$(summary_field "$(gen_field "$T/tcponly.snd" pid)" tx_bytes)
check_eq "--proto tcp: no packet counted" 0 "${tx:-0}"

# doctor names every family, counted or not
check_eq "doctor: families counted" "inet inet6 packet" \
	"$("$NETBPF" doctor --json | jq -r '[.address_families[] | select(.counted) | .name] | join(" ")')"
check_eq "doctor: families not counted, each with a reason" "unix netlink xdp vsock can bluetooth tipc rds alg other" \
	"$("$NETBPF" doctor --json | jq -r '[.address_families[] | select(.counted | not) | select(.detail != "") | .name] | join(" ")')"
