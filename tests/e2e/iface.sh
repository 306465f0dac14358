#!/bin/bash
# netbpf's interface rows against the kernel's own counters: on a veth of
# this namespace, netbpf's bytes and packets equal the deltas of
# /sys/class/net/IF/statistics over the same period, both directions (both
# count whole frames, Ethernet header included). A veth made while netbpf
# runs is counted without a restart; one deleted causes no error. The total
# row is the sum of the interface rows.
. "$(dirname "$0")/lib.sh"
require_root iface
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VA=nbia$$ VC=nbic$$
# IPv6 off on both sides: no spontaneous router solicitations or MLD reports
# between the reads of the counters.
ip link add "$VA" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VA")
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
ip addr add 10.79.0.1/24 dev "$VA"
ip link set "$VA" up
ip -n "$NSB" addr add 10.79.0.2/24 dev vb
ip -n "$NSB" link set vb up
ip -n "$NSB" link set lo up
stat() { cat "/sys/class/net/$1/statistics/$2"; }

nb_start --by iface,total
read -r tb0 rb0 tp0 rp0 < <(echo "$(stat $VA tx_bytes) $(stat $VA rx_bytes) $(stat $VA tx_packets) $(stat $VA rx_packets)")
ip netns exec "$NSB" "$NBGEN" tcp-server 10.79.0.2 7201 300000 >"$T/srv" &
BG=$!
"$NBGEN" tcp-client 10.79.0.2 7201 1000000 >"$T/cli"
wait "$BG"
ip netns exec "$NSB" "$NBGEN" udp-recv 10.79.0.2 7202 50000 10 >"$T/urcv" 2>"$T/uerr" &
BG=$!
for _ in $(seq 50); do grep -q ready "$T/uerr" && break; sleep 0.1; done
"$NBGEN" udp-send 10.79.0.2 7202 500 100 >/dev/null
wait "$BG"

# a veth made while netbpf runs, then deleted while it runs
ip link add "$VC" type veth peer name vd netns "$NSB" && CLEANUPS+=("ip link del $VC")
sysctl -qw "net.ipv6.conf.$VC.disable_ipv6=1"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vd.disable_ipv6=1
ip addr add 10.79.1.1/24 dev "$VC"
ip link set "$VC" up
ip -n "$NSB" addr add 10.79.1.2/24 dev vd
ip -n "$NSB" link set vd up
sleep 0.5	# more than one interval: netbpf attaches within one
read -r ctb0 crb0 < <(echo "$(stat $VC tx_bytes) $(stat $VC rx_bytes)")
ip netns exec "$NSB" "$NBGEN" tcp-server 10.79.1.2 7203 20000 >/dev/null &
BG=$!
"$NBGEN" tcp-client 10.79.1.2 7203 40000 >/dev/null
wait "$BG"
sleep 0.3
read -r ctb1 crb1 < <(echo "$(stat $VC tx_bytes) $(stat $VC rx_bytes)")
vc_index=$(cat "/sys/class/net/$VC/ifindex")
ip link del "$VC"
sleep 0.5
read -r tb1 rb1 tp1 rp1 < <(echo "$(stat $VA tx_bytes) $(stat $VA rx_bytes) $(stat $VA tx_packets) $(stat $VA rx_packets)")
kill -0 "$NB_PID" 2>/dev/null && pass "still running after a veth was deleted" || fail "still running after a veth was deleted" "netbpf died"
nb_stop
check_eq "exit status" 0 "$NB_RC"
check_eq "no error on stderr" "" "$(grep -v 'per-process hooks' "$T/nb.err")"

row() { jq -r --arg n "$1" "select(.summary and .type == \"iface\" and .ifname == \$n) | .$2" "$T/nb.json"; }
check_eq "$VA tx_bytes = sysfs delta" $((tb1 - tb0)) "$(row "$VA" tx_bytes)"
check_eq "$VA rx_bytes = sysfs delta" $((rb1 - rb0)) "$(row "$VA" rx_bytes)"
check_eq "$VA tx_packets = sysfs delta" $((tp1 - tp0)) "$(row "$VA" tx_packets)"
check_eq "$VA rx_packets = sysfs delta" $((rp1 - rp0)) "$(row "$VA" rx_packets)"
# the generator moved 1.3 MB of payload: the wire carried at least that
[ "$(row "$VA" tx_bytes)" -gt 1000000 ] && pass "$VA carried the traffic" || fail "$VA carried the traffic" "tx $(row "$VA" tx_bytes)"
check_eq "new veth $VC counted: tx = sysfs delta" $((ctb1 - ctb0)) "$(row "$VC" tx_bytes)"
check_eq "new veth $VC counted: rx = sysfs delta" $((crb1 - crb0)) "$(row "$VC" rx_bytes)"
check_eq "new veth $VC has its ifindex" "$vc_index" "$(row "$VC" ifindex)"
check_eq "deleted veth $VC: gone in the summary, $VA not" "true false" "$(row "$VC" gone) $(row "$VA" gone)"
check_eq "total = sum of interface rows" \
	"$(jq -s '[.[] | select(.summary and .type == "iface") | .tx_bytes] | add' "$T/nb.json")" \
	"$(jq -r 'select(.summary and .type == "total") | .tx_bytes' "$T/nb.json")"
check_eq "--by iface,total: no process rows" 0 "$(jq -c 'select(.type == "process")' "$T/nb.json" | wc -l)"
check_eq "an unknown interface is bad usage" 2 "$("$NETBPF" trace -i nosuch0 -n 1 >/dev/null 2>&1; echo $?)"
