#!/bin/bash
# Host pairs: in a host namespace of the test's own, three peers exchange
# known traffic with the host over IPv4 and IPv6; netbpf trace --by host
# --json reports each pair's bytes and packets equal to the veths' own
# counters. Each peer has one veth for IPv4 (IPv6 off) and one for IPv6
# (no link-local address, no DAD, no router solicitation, static
# neighbours), so nothing but the test's traffic crosses them once the
# links have settled. With --no-resolve a resolver of the test's own
# (dnsmasq, in a namespace) gets no query; without, a peer's name from its
# hosts file appears in the name field. top's Hosts view shows the three
# pairs sorted by rate.
. "$(dirname "$0")/lib.sh"
require_root hosts
if ! command -v dnsmasq >/dev/null; then
	skip hosts "dnsmasq is missing (hint: apt-get install dnsmasq-base)"
	exit 0
fi
NSH=nbH$$	# the host
NSD=nbD$$	# the resolver
ns_new() { ip netns add "$1" && CLEANUPS+=("ip netns del $1"); ip -n "$1" link set lo up; }
ns_new "$NSH"
ns_new "$NSD"
hx() { ip netns exec "$NSH" "$@"; }
mac() { ip -n "$1" -o link show "$2" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }

# v4_link NS HOSTIF PEERIF HOSTADDR PEERADDR: an IPv4-only veth
v4_link() {
	ip link add "$2" netns "$NSH" type veth peer name "$3" netns "$1" || return 1
	hx sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$3.disable_ipv6=1"
	ip -n "$NSH" addr add "$4/24" dev "$2"
	ip -n "$1" addr add "$5/24" dev "$3"
	ip -n "$NSH" link set "$2" up
	ip -n "$1" link set "$3" up
	ip -n "$NSH" neigh replace "$5" lladdr "$(mac "$1" "$3")" dev "$2" nud permanent
	ip -n "$1" neigh replace "$4" lladdr "$(mac "$NSH" "$2")" dev "$3" nud permanent
}

# v6_link NS HOSTIF PEERIF HOSTADDR PEERADDR: an IPv6-only veth that sends
# nothing on its own
v6_link() {
	local n
	ip link add "$2" netns "$NSH" type veth peer name "$3" netns "$1" || return 1
	for n in "$NSH:$2" "$1:$3"; do
		ip netns exec "${n%%:*}" sh -c "
			sysctl -qw net.ipv6.conf.${n#*:}.addr_gen_mode=1
			sysctl -qw net.ipv6.conf.${n#*:}.accept_ra=0
			sysctl -qw net.ipv6.conf.${n#*:}.router_solicitations=0
			sysctl -qw net.ipv6.conf.${n#*:}.mldv1_unsolicited_report_interval=10
			sysctl -qw net.ipv6.conf.${n#*:}.mldv2_unsolicited_report_interval=10"
	done
	ip -n "$NSH" addr add "$4/64" dev "$2" nodad
	ip -n "$1" addr add "$5/64" dev "$3" nodad
	ip -n "$NSH" link set "$2" up
	ip -n "$1" link set "$3" up
	ip -n "$NSH" neigh replace "$5" lladdr "$(mac "$1" "$3")" dev "$2" nud permanent
	ip -n "$1" neigh replace "$4" lladdr "$(mac "$NSH" "$2")" dev "$3" nud permanent
}

for i in 1 2 3; do
	ns_new "nbP$i$$"
	v4_link "nbP$i$$" "h4p$i" "p$i" "10.91.$i.1" "10.91.$i.2"
	v6_link "nbP$i$$" "h6p$i" "q$i" "fd91:$i::1" "fd91:$i::2"
done
v4_link "$NSD" hdns d0 10.91.9.1 10.91.9.2

# the resolver: names for peer 1's addresses only
cat >"$T/hosts" <<'HOSTS'
10.91.1.2 peer-one.nbtest
fd91:1::2 peer-one6.nbtest
HOSTS
ip netns exec "$NSD" dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$T/hosts" \
	--bogus-priv --listen-address=10.91.9.2 --bind-interfaces --port=53 \
	--log-queries --log-facility="$T/dns.log" --pid-file="$T/dns.pid" --user=root \
	2>"$T/dns.err" &
DNS_PID=$!
CLEANUPS+=("kill $DNS_PID")
echo "nameserver 10.91.9.2" >"$T/resolv.conf"
echo "options timeout:1 attempts:1" >>"$T/resolv.conf"
# netbpf's view of the world: the host namespace, the test's resolver
cat >"$T/nb.sh" <<'NB'
mount --bind "$RESOLV" /etc/resolv.conf
printf 'hosts: dns\n' >"$NSS" && mount --bind "$NSS" /etc/nsswitch.conf
exec "$@"
NB
nbh() { RESOLV=$T/resolv.conf NSS=$T/nsswitch exec ip netns exec "$NSH" unshare -m bash "$T/nb.sh" "$@"; }
sleep 1	# the last MLD reports of the IPv6 links go out within 20 ms

stat() { hx cat "/sys/class/net/$1/statistics/$2"; }
snap() {	# FILE: every veth's counters, one line each
	local ifc
	for ifc in h4p1 h4p2 h4p3 h6p1 h6p2 h6p3; do
		echo "$ifc $(stat "$ifc" tx_bytes) $(stat "$ifc" rx_bytes) $(stat "$ifc" tx_packets) $(stat "$ifc" rx_packets)"
	done >"$1"
}
# traffic PEER ADDR PORT BYTES: TCP both ways between the host and a peer
traffic() {
	ip netns exec "nbP$1$$" "$NBGEN" tcp-server "$2" "$3" "$4" >/dev/null &
	local bg=$!
	sleep 0.2
	hx "$NBGEN" tcp-client "$2" "$3" $(($4 / 2)) >/dev/null
	wait "$bg"
}

# ---- exact counts, resolution off ----
rm -f "$T/nb.err"	# not the last run's line (see nb_start)
nbh "$NETBPF" trace --json -v -d 0.2 --by host,total --no-resolve >"$T/nb.json" 2>"$T/nb.err" &
NB_PID=$!
for _ in $(seq 100); do grep -q "per-process hooks" "$T/nb.err" && break; sleep 0.1; done
snap "$T/before"
for i in 1 2 3; do
	traffic "$i" "10.91.$i.2" 7300 $((i * 100000))
	traffic "$i" "fd91:$i::2" 7301 $((i * 70000))
done
sleep 0.5
snap "$T/after"
nb_stop
check_eq "exit status" 0 "$NB_RC"
# per pair: netbpf's summary row against the counters of its veth
pair() {	# IF LADDR RADDR
	local b a
	read -r _ tb rb tp rp < <(grep "^$1 " "$T/before")
	read -r _ ta ra tpa rpa < <(grep "^$1 " "$T/after")
	jq -r --arg i "$1" --arg l "$2" --arg r "$3" 'select(.summary == true and .type == "host" and .ifname == $i and .laddr == $l and .raddr == $r) | "\(.tx_bytes) \(.rx_bytes) \(.tx_packets) \(.rx_packets)"' "$T/nb.json" >"$T/row"
	check_eq "$1 $2 <=> $3 bytes and packets" "$((ta - tb)) $((ra - rb)) $((tpa - tp)) $((rpa - rp))" "$(head -1 "$T/row")"
}
for i in 1 2 3; do
	pair "h4p$i" "10.91.$i.1" "10.91.$i.2"
	pair "h6p$i" "fd91:$i::1" "fd91:$i::2"
done
check_eq "no other pair on the veths" 6 \
	"$(jq -r 'select(.summary == true and .type == "host") | .ifname' "$T/nb.json" | grep -c '^h[46]p')"
check_eq "no name looked up with --no-resolve" "" \
	"$(jq -r 'select(.type == "host") | .name' "$T/nb.json" | sort -u)"
check_eq "no query reached the resolver with --no-resolve" 0 "$(grep -c 'query\[' "$T/dns.log")"
check_eq "no error on stderr" "" "$(grep -v 'per-process hooks' "$T/nb.err")"

# ---- names: the test's resolver answers for peer 1 ----
rm -f "$T/nb.err"	# not the last run's line (see nb_start)
nbh "$NETBPF" trace --json -v -d 0.2 --by host >"$T/nb2.json" 2>"$T/nb.err" &
NB_PID=$!
for _ in $(seq 100); do grep -q "per-process hooks" "$T/nb.err" && break; sleep 0.1; done
traffic 1 10.91.1.2 7302 20000
traffic 1 fd91:1::2 7303 20000
traffic 2 10.91.2.2 7304 20000
for _ in $(seq 30); do
	grep -q peer-one6 "$T/nb2.json" && grep -q 'peer-one\.' "$T/nb2.json" && break
	traffic 1 10.91.1.2 7305 2000
	traffic 1 fd91:1::2 7306 2000
done
nb_stop
name_of() { jq -r --arg r "$1" 'select(.summary == true and .type == "host" and .raddr == $r) | .name' "$T/nb2.json" | head -1; }
check_eq "name of 10.91.1.2 from the resolver" peer-one.nbtest "$(name_of 10.91.1.2)"
check_eq "name of fd91:1::2 from the resolver" peer-one6.nbtest "$(name_of fd91:1::2)"
check_eq "no name for 10.91.2.2 (none in the resolver)" "" "$(name_of 10.91.2.2)"
if grep -q 'query\[PTR\] 2.1.91.10.in-addr.arpa' "$T/dns.log"; then
	pass "the resolver was asked"
else
	fail "the resolver was asked" "$(cat "$T/dns.log")"
fi

# ---- --host-ports: one row per remote port, still the veth's counts ----
rm -f "$T/nb.err"	# not the last run's line (see nb_start)
nbh "$NETBPF" trace --json -v -d 0.2 --by host --no-resolve --host-ports -i h4p2 \
	>"$T/nb4.json" 2>"$T/nb.err" &
NB_PID=$!
for _ in $(seq 100); do grep -q "per-process hooks" "$T/nb.err" && break; sleep 0.1; done
snap "$T/before"
traffic 2 10.91.2.2 7310 40000
sleep 0.5
snap "$T/after"
nb_stop
read -r _ tb rb tp rp < <(grep "^h4p2 " "$T/before")
read -r _ ta ra tpa rpa < <(grep "^h4p2 " "$T/after")
check_eq "--host-ports: the pair to port 7310 has the veth's counts" \
	"$((ta - tb)) $((ra - rb)) $((tpa - tp)) $((rpa - rp)) 1" \
	"$(jq -r 'select(.summary == true and .type == "host") | "\(.tx_bytes) \(.rx_bytes) \(.tx_packets) \(.rx_packets) \(.rport)"' "$T/nb4.json" | sed 's/ 7310$/ 1/')"

# ---- a full map: 17,000 new pairs through peer 3, 16,384 fit ----
ip -n "$NSH" route add 10.192.0.0/16 via 10.91.3.2
rm -f "$T/nb.err"	# not the last run's line (see nb_start)
nbh "$NETBPF" trace --json -v -d 0.5 --by host --no-resolve -i h4p3 >"$T/nb3.json" 2>"$T/nb.err" &
NB_PID=$!
for _ in $(seq 100); do grep -q "per-process hooks" "$T/nb.err" && break; sleep 0.1; done
hx python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(17000):
    s.sendto(b"x", ("10.192.%d.%d" % (i >> 8, i & 255), 9))'
sleep 0.7
nb_stop
check_eq "full map: its 16,384 pairs in the summary" 16384 \
	"$(grep -c '"type":"host".*"summary":true' "$T/nb3.json")"
check_eq "full map: the 616 others said as not counted" \
	"netbpf: 616 packets were not counted per host pair: the host pair map (16384 entries) was full; they are in the interface rows (hint: -i IF for fewer pairs)" \
	"$(grep 'host pair map' "$T/nb.err")"

# ---- top's Hosts view: three pairs at three rates, busiest first ----
if ! command -v tmux >/dev/null; then
	skip "hosts: top" "tmux is missing (hint: apt-get install tmux)"
	exit 0
fi
export LC_ALL=C.UTF-8
TM=(tmux -u -L "nbhosts$$" -f /dev/null)
CLEANUPS+=("tmux -L nbhosts$$ kill-server")
"${TM[@]}" new-session -d -s h -x 120 -y 30 \
	"ip netns exec $NSH '$NETBPF' top -d 0.5 --no-resolve 2>'$T/top.err'; echo top has exited; sleep 600"
screen() { "${TM[@]}" capture-pane -p -t h; }
wait_screen() {	# REGEX: until a line of the screen matches (10 s)
	for _ in $(seq 100); do
		screen >"$T/screen"
		grep -qE -- "$1" "$T/screen" && return 0
		sleep 0.1
	done
	return 1
}
if wait_screen "^netbpf top   up"; then pass "top starts"; else fail "top starts" "$(cat "$T/screen" "$T/top.err")"; fi
"${TM[@]}" send-keys -t h 4
if wait_screen "\[4 Hosts\]"; then pass "key 4 shows the Hosts view"; else fail "key 4 shows the Hosts view" "$(cat "$T/screen")"; fi
# UDP at 1, 3 and 9 datagrams of 1000 bytes every 0.1 s, to peers 1, 2, 3
LOOPS=()
for i in 1 2 3; do
	hx bash -c "for _ in \$(seq 60); do '$NBGEN' udp-send 10.91.$i.2 7400 1000 $((3 ** (i - 1))) >/dev/null; sleep 0.1; done" &
	LOOPS+=($!)
done
sleep 3
screen >"$T/screen"
order=$(grep -oE '10\.91\.[123]\.2' "$T/screen" | tr '\n' ' ')
check_eq "Hosts view: the three pairs, busiest first" "10.91.3.2 10.91.2.2 10.91.1.2 " "$order"
if grep -qE '^h4p3 +10\.91\.3\.1 +10\.91\.3\.2 ' "$T/screen"; then
	pass "Hosts view: interface, local and remote address"
else
	fail "Hosts view: interface, local and remote address" "$(cat "$T/screen")"
fi
wait "${LOOPS[@]}"
"${TM[@]}" send-keys -t h q
if wait_screen "top has exited"; then pass "top quits"; else fail "top quits" "$(cat "$T/screen")"; fi
check_eq "top: nothing on stderr" "" "$(cat "$T/top.err")"
