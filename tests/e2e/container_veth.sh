#!/bin/bash
# The host end of a container's veth carries the container's name. Two
# podman containers (runc, --network none) get a veth each, made by the
# test with its peer in the container's network namespace, as a network
# plugin would: one before netbpf starts (found in the first dump of the
# links), one while it runs (found when the link appears). Each host end's
# iface row in trace --json names its container, and its bytes equal the
# deltas of /sys/class/net/IF/statistics. A veth into a namespace without
# a container has container_name "". Traffic stays between the host ends
# and the containers (addresses the test made).
. "$(dirname "$0")/lib.sh"
require_root container_veth
IMG=localhost/nbveth$$:latest
RUN=(podman run --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096
	--network none)
PORT=7640

podman_image container_veth "$IMG" || exit 0

# a container, and a veth with its peer (eth1) in its network namespace
names=() hosts=()
start_ctr() {	# I
	local n="nbv$$-$1" h="nbvh$$$1" pid
	names[$1]=$n hosts[$1]=$h
	CLEANUPS+=("podman rm -f -t 0 $n")
	"${RUN[@]}" -d --name "$n" "$IMG" sleep 600 >/dev/null 2>"$T/run$1.err" ||
		{ fail "podman run $n" "$(tail -1 "$T/run$1.err")"; return 1; }
	pid=$(podman inspect -f '{{.State.Pid}}' "$n")
	ip link add "$h" type veth peer name eth1 netns "/proc/$pid/ns/net" &&
		CLEANUPS+=("ip link del $h")
	sysctl -qw "net.ipv6.conf.$h.disable_ipv6=1"
	ip addr add "10.81.$1.1/24" dev "$h"
	ip link set "$h" up
	nsenter -n -t "$pid" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1
	nsenter -n -t "$pid" ip addr add "10.81.$1.2/24" dev eth1
	nsenter -n -t "$pid" ip link set eth1 up
}
if ! "${RUN[@]}" --rm "$IMG" true >"$T/probe.out" 2>&1; then
	echo "NA container_veth: podman cannot run a container here: $(tail -1 "$T/probe.out")"
	exit 0
fi
stat() { cat "/sys/class/net/$1/statistics/$2"; }
# traffic: the container's client sends to a server on the host end
move() {	# I SEND REPLY
	"$NBGEN" tcp-server "10.81.$1.1" $((PORT + $1)) "$3" 1 >"$T/srv$1" &
	local s=$!
	sleep 0.3
	podman exec "${names[$1]}" /nbgen tcp-client "10.81.$1.1" $((PORT + $1)) "$2" >/dev/null
	wait "$s"
}

start_ctr 0 || exit 0
# a veth into a namespace with no container in it
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VN=nbvn$$
ip link add "$VN" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VN")
sysctl -qw "net.ipv6.conf.$VN.disable_ipv6=1"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
ip addr add 10.81.9.1/24 dev "$VN"
ip link set "$VN" up
ip -n "$NSB" addr add 10.81.9.2/24 dev vb
ip -n "$NSB" link set vb up

nb_start --by iface
start_ctr 1 || exit 0
sleep 1	# the name is found within the first tries
for i in 0 1; do
	read -r tb0[i] rb0[i] < <(echo "$(stat "${hosts[i]}" tx_bytes) $(stat "${hosts[i]}" rx_bytes)")
done
move 0 120000 34000
move 1 56000 210000
"$NBGEN" udp-send 10.81.9.2 $((PORT + 9)) 100 3 >/dev/null	# a row for $VN
sleep 0.5
for i in 0 1; do
	read -r tb1[i] rb1[i] < <(echo "$(stat "${hosts[i]}" tx_bytes) $(stat "${hosts[i]}" rx_bytes)")
done
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"

row() { jq -r --arg n "$1" "select(.summary and .type == \"iface\" and .ifname == \$n) | $2" "$T/nb.json" | head -2 | xargs; }
for i in 0 1; do
	h=${hosts[i]}
	check_eq "$h: the name of container ${names[i]}" "${names[i]}" "$(row "$h" .container_name)"
	# nothing moves on it but the test's traffic (IPv6 off on both ends)
	check_eq "$h: bytes = sysfs deltas" "$((tb1[i] - tb0[i])) $((rb1[i] - rb0[i]))" \
		"$(row "$h" '"\(.tx_bytes) \(.rx_bytes)"')"
	[ "$(row "$h" .tx_bytes)" -gt 34000 ] && pass "$h carried the traffic" ||
		fail "$h carried the traffic" "tx $(row "$h" .tx_bytes)"
	check_eq "server $i moved its bytes" "$((i ? 210000 : 34000)) $((i ? 56000 : 120000))" \
		"$(jq -r '"\(.sent) \(.received)"' "$T/srv$i" | head -1)"
done
check_eq "$VN (no container behind it): container_name empty" '""' \
	"$(jq -c --arg n "$VN" 'select(.summary and .type == "iface" and .ifname == $n) | .container_name' "$T/nb.json")"
