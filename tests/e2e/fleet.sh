#!/bin/bash
# netbpf serve as a fleet agent: a real Prometheus (on loopback, its own
# config and storage, 1 s scrapes) scrapes three netbpf serve, each on a
# "host" that is a network namespace of the test's own, while known bytes
# move on each host. Its PromQL answers (per-instance sums, topk) must match
# what the traffic generator moved and what the kernel counted on each
# host's interface, within 1%; a process with a hostile name runs on one
# host, and every target stays up.
#
# Each host Hi: eth0 10.200.i.2/24, reached by Prometheus through its veth
# peer 10.200.i.1 in the root namespace; d0 10.201.i.1/24 to a peer
# namespace Pi (d1 10.201.i.2), where the host's traffic goes. The socket
# hooks are global, so netbpf on host i counts only port 7800+i (--port):
# its own host's client and server, and nothing else.
. "$(dirname "$0")/lib.sh"
require_root fleet
for c in prometheus curl jq; do
	command -v "$c" >/dev/null || { fail fleet "$c missing (make test-deps installs it)"; exit 1; }
done
PPORT=$((20000 + ($$ + 13) % 20000))
PROM=http://127.0.0.1:$PPORT
NB=()
SIZE=(0 1000000 3000000 2000000)	# bytes each host's client sends
BACK=(0 100000 50000 300000)		# and its server sends back
H=()
P=()
for i in 1 2 3; do
	h=nbh$i.$$ p=nbp$i.$$
	H[i]=$h P[i]=$p
	ip netns add "$h" && CLEANUPS+=("ip netns del $h")
	ip netns add "$p" && CLEANUPS+=("ip netns del $p")
	ip link add "nbf$i$$" type veth peer name eth0 netns "$h" && CLEANUPS+=("ip link del nbf$i$$")
	ip link add d0 netns "$h" type veth peer name d1 netns "$p"
	sysctl -qw "net.ipv6.conf.nbf$i$$.disable_ipv6=1"
	ip netns exec "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$p" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip addr add "10.200.$i.1/24" dev "nbf$i$$"
	ip link set "nbf$i$$" up
	ip -n "$h" addr add "10.200.$i.2/24" dev eth0
	ip -n "$h" addr add "10.201.$i.1/24" dev d0
	ip -n "$p" addr add "10.201.$i.2/24" dev d1
	for l in lo eth0 d0; do ip -n "$h" link set "$l" up; done
	for l in lo d1; do ip -n "$p" link set "$l" up; done
done

# the three agents
for i in 1 2 3; do
	ip netns exec "${H[i]}" "$NETBPF" serve -v -d 0.5 --port $((7800 + i)) \
		--listen "10.200.$i.2:9976" 2>"$T/nb$i.err" &
	NB[i]=$!
	CLEANUPS+=("kill -KILL ${NB[i]}")
done
for i in 1 2 3; do
	for _ in $(seq 100); do grep -q "serving metrics" "$T/nb$i.err" && break; sleep 0.1; done
	grep -q "serving metrics" "$T/nb$i.err" || { fail fleet "netbpf on host $i did not start: $(cat "$T/nb$i.err")"; exit 1; }
done

# Prometheus, bounded in time, killed on any exit
cat >"$T/prom.yml" <<CONF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: netbpf
    static_configs:
      - targets: ['10.200.1.2:9976', '10.200.2.2:9976', '10.200.3.2:9976']
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$PPORT']
CONF
mkdir "$T/tsdb"
timeout 300 prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T/prom.log" 2>&1 &
PR=$!
CLEANUPS+=("kill -KILL $PR")
q() {	# PROMQL: the result vector of an instant query, as "instance value" lines
	curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[] | "\(.metric.instance // "-") \(.value[1])"' | sort
}
for _ in $(seq 150); do
	[ "$(q 'count(up{job="netbpf"} == 1)' 2>/dev/null)" = "- 3" ] && break
	sleep 0.2
done
check_eq "Prometheus scrapes the three hosts" "- 3" "$(q 'count(up{job="netbpf"} == 1)')"

# what each host's interface d0 has sent, by the kernel's count
sysfs() { ip netns exec "${H[$1]}" cat "/sys/class/net/d0/statistics/$2"; }
for i in 1 2 3; do tb0[i]=$(sysfs "$i" tx_bytes); done

# the traffic: on each host a client sends SIZE to a server in the peer
# namespace, which sends BACK; host 2's client has a hostile name
PWN=$'\e]0;PWN\a\e[2Jx\ny'
for i in 1 2 3; do
	ip netns exec "${P[i]}" "$NBGEN" tcp-server "10.201.$i.2" $((7800 + i)) "${BACK[i]}" >"$T/srv$i" &
	SRV[i]=$!
done
sleep 0.3
for i in 1 2 3; do
	if [ "$i" = 2 ]; then
		ip netns exec "${H[i]}" "$NBGEN" named "$PWN" tcp-client "10.201.$i.2" $((7800 + i)) "${SIZE[i]}" >"$T/cli$i" &
	else
		ip netns exec "${H[i]}" "$NBGEN" tcp-client "10.201.$i.2" $((7800 + i)) "${SIZE[i]}" >"$T/cli$i" &
	fi
	CLI[i]=$!
done
wait "${CLI[@]}" "${SRV[@]}"
for i in 1 2 3; do tb1[i]=$(sysfs "$i" tx_bytes); done
# truth: what the generators moved, by their own count
for i in 1 2 3; do
	tx[i]=$(( $(jq .sent "$T/cli$i") + $(jq .sent "$T/srv$i") ))
	rx[i]=$(( $(jq .received "$T/cli$i") + $(jq .received "$T/srv$i") ))
	dev[i]=$((tb1[i] - tb0[i]))
done
check_eq "the generators moved what they were asked (host 3 sent)" $((2000000 + 300000)) "${tx[3]}"

# wait until Prometheus has the final values (an interval, then a scrape)
want="$(for i in 1 2 3; do echo "10.200.$i.2:9976 ${tx[i]}"; done)"
for _ in $(seq 100); do
	[ "$(q 'sum by (instance) (netbpf_process_transmit_bytes_total)')" = "$want" ] && break
	sleep 0.2
done
# within 1% of the truth, per instance
close() {	# NAME QUERY TRUTH1 TRUTH2 TRUTH3
	local name=$1 query=$2 got bad=""
	got=$(q "$query")
	for i in 1 2 3; do
		v=$(awk -v inst="10.200.$i.2:9976" '$1 == inst { print $2 }' <<<"$got")
		t=${*:$((2 + i)):1}
		awk -v v="${v:-x}" -v t="$t" 'BEGIN { exit !(v != "x" && t > 0 && (v - t) / t <= 0.01 && (t - v) / t <= 0.01) }' ||
			bad="$bad host $i: $v vs $t;"
	done
	check_eq "$name" "" "$bad"
}
close "sum by instance: process bytes sent" 'sum by (instance) (netbpf_process_transmit_bytes_total)' "${tx[1]}" "${tx[2]}" "${tx[3]}"
close "sum by instance: process bytes received" 'sum by (instance) (netbpf_process_receive_bytes_total)' "${rx[1]}" "${rx[2]}" "${rx[3]}"
close "sum by instance: interface d0 bytes sent = the kernel's count" \
	'sum by (instance) (netbpf_interface_transmit_bytes_total{device="d0"})' "${dev[1]}" "${dev[2]}" "${dev[3]}"
close "interface label kept beside device" \
	'sum by (instance) (netbpf_interface_transmit_bytes_total{interface="d0"})' "${dev[1]}" "${dev[2]}" "${dev[3]}"
# topk: the busiest host is host 3, then host 2
check_eq "topk(2) hosts by bytes sent" "10.200.2.2:9976 ${tx[2]}
10.200.3.2:9976 ${tx[3]}" "$(q 'topk(2, sum by (instance) (netbpf_process_transmit_bytes_total))')"
# topk over the fleet's processes: the hostile name is there, as a valid
# label value (control characters U+FFFD, the newline escaped)
got=$(curl -sf --get "$PROM/api/v1/query" --data-urlencode \
	'query=topk(1, sum by (comm) (netbpf_process_transmit_bytes_total{instance="10.200.2.2:9976"}))' |
	jq -r '.data.result[0].metric.comm')
check_eq "topk(1) process on host 2: the hostile name" $'\xef\xbf\xbd]0;PWN\xef\xbf\xbd\xef\xbf\xbd[2Jx\ny' "$got"
check_eq "its bytes" "${SIZE[2]}" "$(q 'topk(1, sum by (comm) (netbpf_process_transmit_bytes_total{instance="10.200.2.2:9976"}))' | awk '{ print $2 }')"
# every target up at every scrape of the run, and no scrape failed
check_eq "all targets up all along" "10.200.1.2:9976 1
10.200.2.2:9976 1
10.200.3.2:9976 1" "$(q 'min_over_time(up{job="netbpf"}[5m])')"
# a series twice on a page, or one that went back in time, Prometheus
# counts here (it scrapes itself too)
check_eq "no duplicate or out-of-order sample" "- 0" \
	"$(q 'sum(prometheus_target_scrapes_sample_duplicate_timestamp_total) + sum(prometheus_target_scrapes_sample_out_of_order_total) + sum(prometheus_target_scrapes_sample_out_of_bounds_total)')"
check_eq "Prometheus scraped itself (the check above is real)" "127.0.0.1:$PPORT 1" "$(q 'up{job="self"}')"
kill -TERM "$PR"
wait "$PR" 2>/dev/null
for i in 1 2 3; do
	kill -TERM "${NB[i]}"
	wait "${NB[i]}"
	check_eq "host $i: netbpf ends cleanly" 0 $?
done
