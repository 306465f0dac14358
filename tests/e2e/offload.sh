#!/bin/bash
# Interface rows equal to the device's own counters whatever the offloads:
# a TCP upload over a veth, IPv4 and IPv6, with TSO and GSO on and off on
# the sender's side (off: the kernel cuts each GSO packet into segments
# after the TC egress hook, and the device counts every segment with its
# own headers). Both directions are checked. Then with GRO on at the
# peer and TSO off (GSO on and off) at the sender, and the same the other
# way, with GRO off and on at the receiving side (see there).
# NETBPF_OFFLOAD_QUICK=1 (the second kernel's guest, where transfers are
# slow) keeps the settings that count segments the hook does not see:
# TSO/GSO off at the sender over IPv4, TSO off and GSO on at the sender with
# the peer's GRO on over IPv4, and GRO on at the receiver with the peer's
# TSO/GSO off over IPv4 and IPv6.
# Its addresses (10.83.0.0/24, fd83::/64) are used by no other test in the
# root namespace: tests running at the same time do not take its route.
. "$(dirname "$0")/lib.sh"
require_root offload
command -v ethtool >/dev/null || { skip offload "no ethtool (scripts/deps.sh test)"; exit 0; }
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VA=nboa$$
ip link add "$VA" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VA")
# no packets of the kernel's own on the link (router solicitations, MLD
# reports) to fall between a counter snapshot and an interval's end
sysctl -qw "net.ipv6.conf.$VA.router_solicitations=0" "net.ipv6.conf.$VA.force_mld_version=1" 2>/dev/null
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vb.router_solicitations=0 2>/dev/null
ip addr add 10.83.0.1/24 dev "$VA"
ip addr add fd83::1/64 dev "$VA" nodad
ip link set "$VA" up
ip -n "$NSB" addr add 10.83.0.2/24 dev vb
ip -n "$NSB" addr add fd83::2/64 dev vb nodad
ip -n "$NSB" link set vb up
ip -n "$NSB" link set lo up
stat() { cat "/sys/class/net/$VA/statistics/$1"; }
snap() { echo "$(stat tx_bytes) $(stat rx_bytes) $(stat tx_packets) $(stat rx_packets)"; }
# nb.json's interface row of $VA at the end of the interval when the
# file had N lines: cumulative, so deltas between two marks
mark() { wc -l <"$T/nb.json"; }
row_at() {	# LINES FIELD: the last $VA row within the first LINES lines
	head -n "$1" "$T/nb.json" | jq -r --arg n "$VA" "select(.type == \"iface\" and .ifname == \$n) | .$2" | tail -1
}
# A moment both sides agree on: the device's counters did not move for
# half a second, and an interval of netbpf's (0.2 s) ended inside that
# half second, so its last row (line M of nb.json) counts what the device
# counted (S). Packets of the kernel's own (neighbour probes after
# traffic) come at any time: wait for a quiet half second.
quiet() {
	local a
	for _ in $(seq 40); do
		a=$(snap)
		sleep 0.5
		M=$(mark)
		S=$(snap)
		[ "$a" = "$S" ] && return
	done
}
upload() {	# ADDR PORT
	ip netns exec "$NSB" "$NBGEN" tcp-server "$1" "$2" 0 >/dev/null &
	BG=$!
	sleep 0.2
	"$NBGEN" tcp-client "$1" "$2" 10485760 >/dev/null
	wait "$BG"
}
nb_start -d 0.2 --by iface -i "$VA" || { fail start "netbpf did not start"; exit 1; }
sleep 0.5
port=7300
SETTINGS="on off" ADDRS="10.83.0.2 fd83::2" PEERS="on off" GROS="off on" PEER_GRO_GSOS="on off"
if [ "${NETBPF_OFFLOAD_QUICK:-0}" = 1 ]; then
	SETTINGS=off ADDRS=10.83.0.2 PEERS=off GROS=on PEER_GRO_GSOS=on
fi
# measured CMD ADDR: CMD ADDR PORT (a new port) between two quiet reads;
# then dev_tb dev_rb dev_tp dev_rp are what $VA's device counted (bytes,
# packets, tx and rx) and nb_tb nb_rb nb_tp nb_rp what netbpf's row did
measured() {
	local m0 s0 tb0 rb0 tp0 rp0 tb1 rb1 tp1 rp1

	port=$((port + 1))
	quiet
	m0=$M s0=$S
	"$1" "$2" "$port"
	quiet
	read -r tb0 rb0 tp0 rp0 <<<"$s0"
	read -r tb1 rb1 tp1 rp1 <<<"$S"
	dev_tb=$((tb1 - tb0)) dev_rb=$((rb1 - rb0)) dev_tp=$((tp1 - tp0)) dev_rp=$((rp1 - rp0))
	nb_tb=$(($(row_at "$M" tx_bytes) - $(row_at "$m0" tx_bytes)))
	nb_rb=$(($(row_at "$M" rx_bytes) - $(row_at "$m0" rx_bytes)))
	nb_tp=$(($(row_at "$M" tx_packets) - $(row_at "$m0" tx_packets)))
	nb_rp=$(($(row_at "$M" rx_packets) - $(row_at "$m0" rx_packets)))
}
upload_check() {	# NAME ADDR: an upload, then $VA's four counters against the device's
	measured upload "$2"
	check_eq "$1: tx_bytes = device" "$dev_tb" "$nb_tb"
	check_eq "$1: tx_packets = device" "$dev_tp" "$nb_tp"
	# ingress too: the kernel's looped-back copies of this host's
	# own multicast (DAD neighbour solicitations) pass the ingress
	# hook but not the device, and are not counted (they were the 72 B of issue 14)
	check_eq "$1: rx_bytes = device" "$dev_rb" "$nb_rb"
	check_eq "$1: rx_packets = device" "$dev_rp" "$nb_rp"
	echo "    $1: device tx $dev_tp packets $dev_tb B"
}
for setting in $SETTINGS; do
	ethtool -K "$VA" tso "$setting" gso "$setting" >/dev/null 2>&1 || { skip "offload $setting" "ethtool -K failed"; continue; }
	for addr in $ADDRS; do
		upload_check "tso/gso $setting, $addr" "$addr"
	done
done
# GRO on at the peer turns on its NAPI path: with $VA's TSO off (GSO on,
# or off too), veth_xmit() puts every skb (every segment) on the peer's
# ring, and $VA's tx counters are what the peer counts as it takes them
# off, after the Ethernet header was pulled: 14 B a packet less than the
# frame (before netbpf read the peer's NAPI state: device 7,340 packets /
# 10,867,424 B, netbpf 14 B a packet more). With TSO on, TCP's skbs stay
# off that path (the first loop's case).
ip netns exec "$NSB" ethtool -K vb gro on >/dev/null 2>&1 || skip "peer gro on" "ethtool -K failed"
for gso in $PEER_GRO_GSOS; do
	ethtool -K "$VA" tso off gso "$gso" >/dev/null 2>&1 || { skip "offload tso off gso $gso" "ethtool -K failed"; continue; }
	for addr in $ADDRS; do
		upload_check "tso off, gso $gso, peer gro on, $addr" "$addr"
	done
done
ip netns exec "$NSB" ethtool -K vb gro off >/dev/null 2>&1
# GRO on the receiving side: the same upload the other way (the peer in
# $NSB sends, $VA receives) with GRO off and on at $VA (on a veth, GRO on
# turns on its NAPI path), the peer's TSO/GSO on and off. With the peer's
# TSO/GSO on, its GSO packets cross the veth whole (veth_xmit() keeps them
# off the NAPI path) and the device counts each once, as netbpf sees it.
# With the peer's TSO/GSO off and GRO on, every segment goes through the
# NAPI ring, where the device counts it without its Ethernet header, and
# GRO merges them before the ingress hook: netbpf counts the merged skb as
# its gso_segs segments, each with its headers (before this: device 7,359
# packets / 10,868,436 B, netbpf 322 / 10,507,020).
download() {	# ADDR PORT
	"$NBGEN" tcp-server "$1" "$2" 0 >/dev/null &
	BG=$!
	sleep 0.2
	ip netns exec "$NSB" "$NBGEN" tcp-client "$1" "$2" 10485760 >/dev/null
	wait "$BG"
}
ethtool -K "$VA" tso on gso on >/dev/null 2>&1
for peer in $PEERS; do
	ip netns exec "$NSB" ethtool -K vb tso "$peer" gso "$peer" >/dev/null 2>&1 || { skip "peer tso/gso $peer" "ethtool -K failed"; continue; }
	for gro in $GROS; do
		ethtool -K "$VA" gro "$gro" >/dev/null 2>&1 || { skip "gro $gro" "ethtool -K failed"; continue; }
		for addr in 10.83.0.1 fd83::1; do
			measured download "$addr"
			name="receiver gro $gro, peer tso/gso $peer, $addr"
			check_eq "$name: rx_bytes = device" "$dev_rb" "$nb_rb"
			check_eq "$name: rx_packets = device" "$dev_rp" "$nb_rp"
			echo "    $name: device rx $dev_rp packets $dev_rb B"
			check_eq "$name: tx_bytes = device" "$dev_tb" "$nb_tb"
		done
	done
done
ethtool -K "$VA" gro off >/dev/null 2>&1
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"
