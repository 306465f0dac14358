#!/bin/bash
# netbpf serve: the metrics of SPEC.md over HTTP, with exact values for a
# process (--metrics-pid) and an interface, errors for bad addresses and
# busy ports, and a clean end on SIGTERM.
. "$(dirname "$0")/lib.sh"
require_root serve
PORT=$((20000 + $$ % 20000))
URL=http://127.0.0.1:$PORT
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VA=nbva$$
ip link add "$VA" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VA")
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
ip addr add 10.81.0.1/24 dev "$VA"
ip link set "$VA" up
ip -n "$NSB" addr add 10.81.0.2/24 dev vb
ip -n "$NSB" link set vb up

"$NETBPF" serve -v -d 0.2 --metrics-pid --listen "127.0.0.1:$PORT" 2>"$T/err" &
SRV=$!
CLEANUPS+=("kill -KILL $SRV")
for _ in $(seq 100); do grep -q "serving metrics" "$T/err" && break; sleep 0.1; done
tb0=$(cat "/sys/class/net/$VA/statistics/tx_bytes")
ip netns exec "$NSB" "$NBGEN" tcp-server 10.81.0.2 7701 54321 >"$T/srv" &
BG=$!
"$NBGEN" tcp-client 10.81.0.2 7701 12345 >"$T/cli"
wait "$BG"
sleep 0.3
tb1=$(cat "/sys/class/net/$VA/statistics/tx_bytes")
sleep 0.5	# a new page is rendered every interval
curl -sf "$URL/metrics" >"$T/m"
check_eq "GET /metrics" 0 $?
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/m"; }
pid=$(gen_field "$T/cli" pid)
check_eq "process sent, by pid" 12345 "$(metric "netbpf_process_transmit_bytes_total{comm=\"nbgen\",pid=\"$pid\"}")"
check_eq "process received, by pid" 54321 "$(metric "netbpf_process_receive_bytes_total{comm=\"nbgen\",pid=\"$pid\"}")"
check_eq "interface bytes = sysfs delta" $((tb1 - tb0)) "$(metric "netbpf_interface_transmit_bytes_total{interface=\"$VA\",device=\"$VA\",container_name=\"\"}")"
version=$("$NETBPF" -V | awk '{ print $2 }')	# "netbpf 0.1.0 (commit ...)"
check_eq "build info" 1 "$(metric "netbpf_build_info{version=\"$version\",backend=\"tracepoint\"}")"
check_eq "every counter has a TYPE line" "" \
	"$(grep -v '^#' "$T/m" | sed 's/[{ ].*//' | sort -u | while read -r n; do grep -q "^# TYPE $n " "$T/m" || echo "$n"; done)"
check_eq "404 elsewhere" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")"
check_eq "405 for POST" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")"
check_eq "busy port: exit 1" 1 "$("$NETBPF" serve --listen "127.0.0.1:$PORT" 2>"$T/busy"; echo $?)"
grep -q "^netbpf: cannot listen on 127.0.0.1:$PORT" "$T/busy" && pass "busy port: one clear line" || fail "busy port: one clear line" "$(cat "$T/busy")"
check_eq "bad --listen: exit 2" 2 "$("$NETBPF" serve --listen nowhere 2>/dev/null; echo $?)"
kill -TERM "$SRV"
wait "$SRV"
check_eq "SIGTERM: exit 0" 0 $?
curl -s "$URL/metrics" >/dev/null
check_eq "the port is closed after exit" 7 $?
