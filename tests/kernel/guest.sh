#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The checks run inside the second-kernel guest (Debian's 6.1, booted by
# tests/kernel/run.sh; /init starts this as root, from /nb, a copy of the
# tree's layout). Each check prints "PASS name" or "FAIL name: why";
# anything else a test prints comes out as "# ..." information.
#
#   kernel       the guest runs 6.1
#   doctor       tracepoint rung refused (6.1 has no sock_send_length),
#                fentry and kprobe rungs work, auto picks fentry; no tcx,
#                clsact works and is the attach method; exit 0
#   fentry: ...  tests/e2e/proc_bytes.sh with --backend fentry: exact
#                per-process bytes over TCP and UDP, IPv4, IPv6, v4-mapped,
#                loopback, 50 short-lived processes
#   kprobe: ...  the same with --backend kprobe; and 30 receivers blocked
#                at once in udp_recvmsg (kretprobe instances) counted exactly
#   auto: ...    no --backend: netbpf says fentry and clsact, and counts a
#                TCP and a UDP transfer exactly
#   clsact: ...  tests/e2e/iface.sh: interface bytes and packets through
#                clsact equal the kernel's counters
#   foreign: ... a foreign clsact qdisc and BPF filters survive netbpf's
#                start, stop and SIGKILL, and see every packet netbpf sees
# shellcheck disable=SC1091 # lib.sh is sourced from /nb/tests/e2e
set -u
cd /nb || exit 1
export NETBPF_TEST_START_S=60	# BPF loads are slow under TCG
failures=0

# relay NAME COMMAND...: run a test script, prefix its checks with NAME
relay() {
	local name=$1 kind rest line n=0
	shift
	while IFS= read -r line; do
		read -r kind rest <<<"$line"
		case "$kind" in
		PASS|SKIP) echo "$kind $name: $rest"; n=$((n + 1)) ;;
		FAIL) echo "FAIL $name: $rest"; failures=$((failures + 1)); n=$((n + 1)) ;;
		*) echo "# $name: $line" ;;
		esac
	done < <("$@" 2>&1)
	echo "# $name: done at $(cut -d' ' -f1 /proc/uptime)s of uptime"
	if [ $n -eq 0 ]; then
		echo "FAIL $name: no result"
		failures=$((failures + 1))
	fi
}

# ---- the kernel ----
echo "# guest kernel $(uname -r) ($(uname -m)), $(nproc) CPUs"
case "$(uname -r)" in
6.1.*) echo "PASS kernel: the guest runs Linux $(uname -r)" ;;
*) echo "FAIL kernel: expected a 6.1 kernel, got $(uname -r)"; failures=$((failures + 1)) ;;
esac

# ---- doctor ----
doctor() {
	. tests/e2e/lib.sh
	local j rc
	"$NETBPF" doctor 2>&1 | sed 's/^/# /'
	j=$("$NETBPF" doctor --json 2>/dev/null)
	rc=$?
	check_eq "exit status" 0 "$rc"
	b() { jq -r --arg n "$1" ".backends[] | select(.name == \$n) | .$2" <<<"$j"; }
	m() { jq -r --arg n "$1" ".attach_methods[] | select(.name == \$n) | .$2" <<<"$j"; }
	check_eq "kernel" "$(uname -r)" "$(jq -r .kernel <<<"$j")"
	check_eq "btf" true "$(jq -r .btf <<<"$j")"
	check_eq "tracepoint rung refused (no sock_send_length in 6.1)" "true false" "$(b tracepoint tried) $(b tracepoint works)"
	check_eq "fentry rung works" "true true" "$(b fentry tried) $(b fentry works)"
	check_eq "kprobe rung works" "true true" "$(b kprobe tried) $(b kprobe works)"
	check_eq "backend chosen: fentry" fentry "$(jq -r .backend <<<"$j")"
	check_eq "tcx refused (6.1 has none)" false "$(m tcx works)"
	check_eq "clsact works" true "$(m clsact works)"
	check_eq "attach method chosen: clsact" clsact "$(jq -r .attach_method <<<"$j")"
	check_eq "can_run" true "$(jq -r .can_run <<<"$j")"
	check_eq "--backend kprobe: kprobe chosen" kprobe \
		"$("$NETBPF" doctor --json --backend kprobe 2>/dev/null | jq -r .backend)"
}
relay doctor doctor

# ---- per-process bytes, exact, on each rung ----
for b in fentry kprobe; do
	NETBPF_TEST_BACKEND=$b relay "$b" bash tests/e2e/proc_bytes.sh
done

# ---- sendfile and splice sends: through tcp_sendpage on 6.1 ----
sendpage() {
	. tests/e2e/lib.sh
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	"$NBGEN" tcp-server 127.0.0.1 7201 1000 >"$T/s1" &
	BG=$!
	"$NBGEN" sendfile 127.0.0.1 7201 2000000 >"$T/c1"
	wait "$BG"
	"$NBGEN" tcp-server 127.0.0.1 7202 1000 >"$T/s2" &
	BG=$!
	"$NBGEN" splice-send 127.0.0.1 7202 700000 >"$T/c2"
	wait "$BG"
	sleep 0.3
	nb_stop
	check_gen "sendfile client" "$T/c1"
	check_gen "sendfile server" "$T/s1"
	check_gen "splice client" "$T/c2"
	check_gen "splice server" "$T/s2"
}
for b in fentry kprobe; do
	NETBPF_TEST_BACKEND=$b relay "$b" sendpage
done

# ---- kretprobes: many threads inside the probed function at once ----
# A kretprobe has a bounded number of return instances (maxactive); a
# return it cannot track is not counted. 30 receivers blocked at once in
# udp_recvmsg, each then given one datagram: every byte counted.
blocked() {
	. tests/e2e/lib.sh
	local i pids=
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	for i in $(seq 0 29); do
		"$NBGEN" udp-recv 127.0.0.1 $((7600 + i)) 100 30 >"$T/r$i" 2>"$T/e$i" &
		pids="$pids $!"
	done
	for i in $(seq 0 29); do
		for _ in $(seq 100); do grep -q ready "$T/e$i" && break; sleep 0.1; done
	done
	sleep 0.5
	for i in $(seq 0 29); do
		"$NBGEN" udp-send 127.0.0.1 $((7600 + i)) 100 1 >/dev/null
	done
	# shellcheck disable=SC2086 # a list of pids
	wait $pids
	sleep 0.3
	nb_stop
	cat "$T"/r[0-9]* >"$T/all"
	check_eq "30 blocked receivers: nbgen got" 3000 "$(jq -s 'map(.received) | add' "$T/all")"
	check_eq "30 blocked receivers: netbpf counted each" "$(jq -c '[.pid, .received]' "$T/all" | sort | xargs)" \
		"$(jq -c --slurpfile r "$T/all" '([$r[].pid]) as $p | select(.summary and .type == "process" and (.pid as $x | $p | index($x))) | [.pid, .rx_bytes]' "$T/nb.json" | sort | xargs)"
}
NETBPF_TEST_BACKEND=kprobe relay kprobe blocked

# ---- auto: fentry and clsact, counting ----
auto() {
	. tests/e2e/lib.sh
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	check_eq "netbpf -v says" "netbpf: per-process hooks: fentry; interfaces: clsact" \
		"$(grep 'per-process hooks' "$T/nb.err")"
	"$NBGEN" tcp-server 127.0.0.1 7101 250000 >"$T/srv" &
	BG=$!
	"$NBGEN" tcp-client 127.0.0.1 7101 333333 >"$T/cli"
	wait "$BG"
	"$NBGEN" udp-recv 127.0.0.1 7102 90000 20 >"$T/urcv" 2>"$T/urcv.err" &
	BG=$!
	for _ in $(seq 100); do grep -q ready "$T/urcv.err" && break; sleep 0.1; done
	"$NBGEN" udp-send 127.0.0.1 7102 900 100 >"$T/usnd"
	wait "$BG"
	sleep 0.3
	nb_stop
	check_eq "exit status" 0 "$NB_RC"
	for f in srv cli urcv usnd; do
		check_gen "$f" "$T/$f"
	done
	check_eq "udp receiver got every datagram" 90000 "$(gen_field "$T/urcv" received)"
}
relay auto auto

# ---- interface bytes through clsact (auto falls back to it) ----
relay clsact bash tests/e2e/iface.sh

# ---- a foreign clsact qdisc and filters: left alone ----
foreign() {
	. tests/e2e/lib.sh
	local dev=nbf$$ dir n
	ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
	ip link add "$dev" type veth peer name peer netns "$NSB" && CLEANUPS+=("ip link del $dev")
	sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
	ip netns exec "$NSB" sysctl -qw net.ipv6.conf.peer.disable_ipv6=1
	ip addr add 10.78.0.1/24 dev "$dev"
	ip link set "$dev" up
	ip -n "$NSB" addr add 10.78.0.2/24 dev peer
	ip -n "$NSB" link set peer up
	ip -n "$NSB" link set lo up
	tc qdisc add dev "$dev" clsact || { fail setup "cannot add a clsact qdisc"; return; }
	for dir in ingress egress; do
		tc filter add dev "$dev" "$dir" bpf da obj foreign.o sec tc ||
			{ fail setup "cannot add the foreign $dir filter"; return; }
	done
	# filters DIR: "PREF:PROG-ID ..." of the filters on $dev
	filters() {
		tc filter show dev "$dev" "$1" |
			awk '/ id [0-9]+/ { for (i = 1; i < NF; i++) { if ($i == "pref") p = $(i + 1); if ($i == "id") id = $(i + 1) } print p ":" id }' |
			sort | tr '\n' ' '
	}
	# seen DIR: packets the foreign filter has counted
	seen() {
		local id map
		id=$(filters "$1" | tr ' ' '\n' | awk -F: '$1 == 49152 { print $2 }')
		map=$(bpftool -j prog show id "$id" | jq '.map_ids[0]')
		bpftool -j map lookup id "$map" key 0 0 0 0 | jq '.formatted.value // .value'
	}
	local in0 eg0 in1 eg1
	in0=$(filters ingress) eg0=$(filters egress)
	check_eq "before: one foreign filter on each side" "1 1" \
		"$(wc -w <<<"$in0" | tr -d ' ') $(wc -w <<<"$eg0" | tr -d ' ')"

	nb_start --by iface,total || { fail start "netbpf did not start"; return; }
	check_eq "netbpf uses clsact" "netbpf: per-process hooks: fentry; interfaces: clsact" \
		"$(grep 'per-process hooks' "$T/nb.err")"
	local fin0 feg0 fin1 feg1
	fin0=$(seen ingress) feg0=$(seen egress)
	in1=$(filters ingress) eg1=$(filters egress)
	check_eq "running: netbpf's filter (pref 20034) before the foreign one, ingress" \
		"20034 $in0" "$(awk '{ print $1 }' <<<"$in1" | cut -d: -f1) $(cut -d' ' -f2- <<<"$in1")"
	check_eq "running: netbpf's filter (pref 20034) before the foreign one, egress" \
		"20034 $eg0" "$(awk '{ print $1 }' <<<"$eg1" | cut -d: -f1) $(cut -d' ' -f2- <<<"$eg1")"
	ip netns exec "$NSB" "$NBGEN" tcp-server 10.78.0.2 7301 100000 >/dev/null &
	BG=$!
	"$NBGEN" tcp-client 10.78.0.2 7301 200000 >/dev/null
	wait "$BG"
	sleep 0.3
	fin1=$(seen ingress) feg1=$(seen egress)
	nb_stop
	check_eq "exit status" 0 "$NB_RC"
	row() { jq -r --arg n "$dev" "select(.summary and .type == \"iface\" and .ifname == \$n) | .$1" "$T/nb.json"; }
	n=$(row rx_packets)
	if [ "${n:-0}" -gt 10 ]; then
		pass "netbpf counted the traffic ($n packets in)"
	else
		fail "netbpf counted the traffic" "rx_packets '$n'"
	fi
	check_eq "the foreign filter saw every packet netbpf saw, ingress" "$n" $((fin1 - fin0))
	check_eq "the foreign filter saw every packet netbpf saw, egress" "$(row tx_packets)" $((feg1 - feg0))
	check_eq "after stop: foreign filters unchanged, netbpf's gone" "$in0|$eg0" "$(filters ingress)|$(filters egress)"
	check_eq "after stop: the clsact qdisc is still there" 1 "$(tc qdisc show dev "$dev" | grep -c 'qdisc clsact')"

	# SIGKILL: netbpf's filters stay (clsact has no owner to detach them)
	# until the next netbpf starts and removes them; the foreign ones stay
	nb_start --by iface,total || { fail start "netbpf did not start"; return; }
	kill -KILL "$NB_PID"
	wait "$NB_PID" 2>/dev/null
	NB_PID=
	check_eq "after SIGKILL: netbpf's filter left on ingress" 2 "$(filters ingress | wc -w)"
	nb_start --by iface,total || { fail start "netbpf did not start after a SIGKILL"; return; }
	nb_stop
	check_eq "next start and stop: the dead netbpf's filters removed, foreign ones unchanged" \
		"$in0|$eg0" "$(filters ingress)|$(filters egress)"
	check_eq "... and the clsact qdisc is still there" 1 "$(tc qdisc show dev "$dev" | grep -c 'qdisc clsact')"
}
relay foreign foreign

echo "# guest: $failures failed"
[ "$failures" -eq 0 ]
