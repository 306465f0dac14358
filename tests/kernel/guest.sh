#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The checks run inside the second-kernel guest (Debian's 6.1 or 6.12,
# booted by tests/kernel/run.sh; /init starts this as root, from /nb, a copy
# of the tree's layout). Each check prints "PASS name" or "FAIL name: why";
# anything else a test prints comes out as "# ..." information. What to
# expect follows from the running kernel's version, never from its name:
# sock_send_length (rung 1) exists from 6.3, tcx from 6.6, tcp_sendpage
# until 6.4.
#
#   kernel       the guest runs the series run.sh booted (netbpf.kernel= on
#                the kernel command line)
#   doctor       the tracepoint rung works from 6.3 and is refused before;
#                fentry and kprobe rungs work; auto picks tracepoint (6.3+)
#                or fentry; tcx works from 6.6 and is then the attach
#                method, else clsact; clsact works; exit 0
#   auto: ...    (6.3+) tests/e2e/proc_bytes.sh with the default backend:
#                exact per-process bytes over TCP and UDP, IPv4, IPv6,
#                v4-mapped, loopback, 50 short-lived processes; sendfile and
#                splice sends
#                and AF_PACKET (tests/e2e/packet.sh): SOCK_RAW and
#                SOCK_DGRAM both ways, a TX_RING sender, exact per process
#   one socket slot: ... (6.3+) proc_bytes.sh again on rung 1 with
#                NETBPF_SOCK_SLOTS=1: most TCP connections in the socket
#                storage, one at a time in the slot
#   fentry: ...  the same with --backend fentry
#   kprobe: ...  the same with --backend kprobe; and 30 receivers blocked
#                at once in udp_recvmsg (kretprobe instances) counted exactly;
#                the tracefs kprobe events of its return probes removed at
#                exit, and after a SIGKILL at the next start
#   auto: ...    no --backend: netbpf names the rung and attach method
#                expected here, and counts a TCP and a UDP transfer exactly
#   sctp: ...    (6.3+, where the package has sctp.ko) SCTP one-to-one and
#                one-to-many, both directions, exact per process
#   tcx: / clsact: ...  tests/e2e/iface.sh: interface bytes and packets
#                equal the kernel's counters, through the attach method auto
#                picks, and through clsact too (NETBPF_TC_METHOD) where that
#                is tcx
#   offload: ... (6.3+) tests/e2e/offload.sh, quick: 10 MiB TCP uploads
#                with TSO/GSO off, and with TSO off and the peer's GRO on,
#                and downloads with GRO on and the peer's TSO/GSO off,
#                interface rows equal to the device's counters
#   foreign: ... a foreign clsact qdisc and BPF filters survive netbpf's
#                start, stop and SIGKILL (netbpf on clsact), and see every
#                packet netbpf sees
#   foreign-tcx: ... (6.6+) the same with netbpf on tcx: nothing of netbpf
#                in the clsact chain, and after a SIGKILL nothing left
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

# ---- the kernel, and what it should offer ----
echo "# guest kernel $(uname -r) ($(uname -m)), $(nproc) CPUs"
want=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^netbpf\.kernel=//p')
case "$(uname -r)" in
"$want".*) echo "PASS kernel: the guest runs Linux $(uname -r) (series $want)" ;;
*) echo "FAIL kernel: expected a ${want:-?} kernel, got $(uname -r)"; failures=$((failures + 1)) ;;
esac
# the version as one number: 6.12 -> 6012
KV=$(uname -r | awk -F'[.-]' '{ print $1 * 1000 + $2 }')
if [ "$KV" -ge 6003 ]; then	# tp sock_send_length/sock_recv_length (6.3)
	SOCK_TP=true AUTO_BACKEND=tracepoint
	RUNGS="auto fentry kprobe"	# auto is a third rung here, not fentry again
else
	SOCK_TP=false AUTO_BACKEND=fentry
	RUNGS="fentry kprobe"
fi
if [ "$KV" -ge 6006 ]; then	# tcx links (6.6)
	TCX=true AUTO_TC=tcx
else
	TCX=false AUTO_TC=clsact
fi
echo "# expected here: sock_send_length $SOCK_TP, tcx $TCX; auto picks $AUTO_BACKEND and $AUTO_TC"
# rung NAME: the --backend value of a rung name ("" for auto)
rung() { [ "$1" = auto ] || echo "$1"; }

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
	if $SOCK_TP; then
		check_eq "tracepoint rung works (sock_send_length, 6.3+)" "true true" "$(b tracepoint tried) $(b tracepoint works)"
	else
		check_eq "tracepoint rung refused (no sock_send_length before 6.3)" "true false" "$(b tracepoint tried) $(b tracepoint works)"
	fi
	check_eq "fentry rung works" "true true" "$(b fentry tried) $(b fentry works)"
	check_eq "kprobe rung works" "true true" "$(b kprobe tried) $(b kprobe works)"
	check_eq "backend chosen: $AUTO_BACKEND" "$AUTO_BACKEND" "$(jq -r .backend <<<"$j")"
	if $TCX; then
		check_eq "tcx works (6.6+)" true "$(m tcx works)"
	else
		check_eq "tcx refused (none before 6.6)" false "$(m tcx works)"
	fi
	check_eq "clsact works" true "$(m clsact works)"
	check_eq "attach method chosen: $AUTO_TC" "$AUTO_TC" "$(jq -r .attach_method <<<"$j")"
	check_eq "can_run" true "$(jq -r .can_run <<<"$j")"
	# the TC program's offload accounting reads the device through the
	# kfunc bpf_cast_to_kern_ctx (6.3+); before, it loads without it
	check_eq "offload segments counted: $SOCK_TP (kfunc bpf_cast_to_kern_ctx, 6.3+)" "$SOCK_TP" \
		"$(jq -r .offload_segments <<<"$j")"
	# a veth's peer is read through the veth module's BTF (init loaded
	# the module before), with that same kfunc
	check_eq "veth peer's NAPI path known: $SOCK_TP (veth module BTF)" "$SOCK_TP" \
		"$(jq -r .offload_veth_peer <<<"$j")"
	# AF_PACKET is built into Debian's kernels: rungs 2 and 3 hook it
	check_eq "fentry and kprobe rungs see AF_PACKET" "0 0" \
		"$(b fentry blind_spots | grep -c AF_PACKET) $(b kprobe blind_spots | grep -c AF_PACKET)"
	for r in fentry kprobe; do
		check_eq "--backend $r: $r chosen" "$r" \
			"$("$NETBPF" doctor --json --backend "$r" 2>/dev/null | jq -r .backend)"
	done
}
relay doctor doctor

# ---- per-process bytes, exact, on each rung ----
for b in $RUNGS; do
	NETBPF_TEST_BACKEND=$(rung "$b") relay "$b" bash tests/e2e/proc_bytes.sh
done
# ---- and on rung 1 with one TCP socket slot for all (6.3+): the ----
# ---- connections that find it taken are counted in the socket storage ----
if [ "$KV" -ge 6003 ]; then
	NETBPF_SOCK_SLOTS=1 NETBPF_TEST_BACKEND=tracepoint relay "one socket slot" \
		bash tests/e2e/proc_bytes.sh
fi

# ---- AF_PACKET, SOCK_RAW and SOCK_DGRAM, TX_RING, both ways, on each ----
# ---- rung (rungs 2 and 3: packet_sendmsg and packet_recvmsg) ----
# (auto is forced to tracepoint here: the --proto and doctor checks, the
# same code on every rung, run on this machine's kernel, not once more)
for b in $RUNGS; do
	NETBPF_TEST_BACKEND=${b/auto/tracepoint} relay "$b" bash tests/e2e/packet.sh
done

# ---- interface rows equal to the device with offloads off and GRO on ----
# ---- (the TC program reads the device through the kfunc ----
# ---- bpf_cast_to_kern_ctx, 6.3+; before, it loads without it) ----
if [ "$KV" -ge 6003 ]; then
	NETBPF_OFFLOAD_QUICK=1 relay offload bash tests/e2e/offload.sh
else
	echo "# offload: not checked: segments are counted from Linux 6.3 (kfunc bpf_cast_to_kern_ctx)"
fi

# ---- sendfile and splice sends: through tcp_sendpage before 6.5, ----
# ---- through tcp_sendmsg after ----
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
for b in $RUNGS; do
	NETBPF_TEST_BACKEND=$(rung "$b") relay "$b" sendpage
done

# ---- kretprobes: many threads inside the probed function at once ----
# A kretprobe has a bounded number of return instances (maxactive); a
# return it cannot track is not counted. 30 receivers blocked at once in
# udp_recvmsg (nbgen udp-recv-block waits inside recv(), and the check
# reads where each one sleeps), each then given one datagram: every byte
# counted.
blocked() {
	. tests/e2e/lib.sh
	local i n pids=
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	for i in $(seq 0 29); do
		"$NBGEN" udp-recv-block 127.0.0.1 $((7600 + i)) 100 30 >"$T/r$i" 2>"$T/e$i" &
		pids="$pids $!"
	done
	for i in $(seq 0 29); do
		for _ in $(seq 100); do grep -q ready "$T/e$i" && break; sleep 0.1; done
	done
	# udp_recvmsg -> __skb_recv_udp -> __skb_wait_for_more_packets
	for _ in $(seq 50); do
		n=0
		for i in $pids; do
			[ "$(cat "/proc/$i/wchan" 2>/dev/null)" = __skb_wait_for_more_packets ] && n=$((n + 1))
		done
		[ $n = 30 ] && break
		sleep 0.1
	done
	check_eq "30 receivers wait inside udp_recvmsg at once" 30 "$n"
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

# The kprobe rung's return probes are kprobe events of netbpf's own in
# tracefs (for their maxactive): none stays after netbpf ends, and those
# of a netbpf killed with SIGKILL are gone after the next start.
kretprobe_events() {
	. tests/e2e/lib.sh
	local ev=/sys/kernel/tracing/kprobe_events
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	check_eq "while netbpf runs: one event per return program" true \
		"$([ "$(grep -c '^r1024:netbpf/p' "$ev")" -ge 3 ] && echo true || cat "$ev")"
	nb_stop
	check_eq "after netbpf ends: none left" 0 "$(grep -c netbpf/ "$ev")"
	# a netbpf killed on clsact leaves its qdiscs: removed at the end
	local dev bare=
	for dev in /sys/class/net/*; do
		tc qdisc show dev "${dev##*/}" | grep -q clsact || bare="$bare ${dev##*/}"
	done
	nb_start --by process || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	kill -KILL "$NB_PID"
	wait "$NB_PID" 2>/dev/null
	check_eq "after a SIGKILL: its events are left" true "$([ "$(grep -c netbpf/ "$ev")" -ge 3 ] && echo true || echo false)"
	nb_start --by process || { fail start "netbpf did not start after a SIGKILL: $(cat "$T/nb.err")"; return; }
	nb_stop
	check_eq "after the next start and stop: none left" 0 "$(grep -c netbpf/ "$ev")"
	for dev in $bare; do tc qdisc del dev "$dev" clsact 2>/dev/null; done
}
NETBPF_TEST_BACKEND=kprobe relay kprobe kretprobe_events

# ---- auto: the rung and attach method expected here, counting ----
auto() {
	. tests/e2e/lib.sh
	nb_start || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	check_eq "netbpf -v says" "netbpf: per-process hooks: $AUTO_BACKEND; interfaces: $AUTO_TC" \
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

# ---- SCTP (rung 1 only: the others hook TCP and UDP functions) ----
sctp() {
	. tests/e2e/lib.sh
	netns_up || { fail netns "cannot create namespaces"; return; }
	inA() { ip netns exec "$NSA" "$NBGEN" "$@"; }
	inB() { ip netns exec "$NSB" "$NBGEN" "$@"; }
	nb_start --by process,flow || { fail start "netbpf did not start: $(cat "$T/nb.err")"; return; }
	# one-to-one (SOCK_STREAM), IPv4 and IPv6, each side sending
	inB sctp-server 10.77.0.2 7401 300000 >"$T/o4.srv" &
	BG=$!
	inA sctp-client 10.77.0.2 7401 400001 >"$T/o4.cli"
	wait "$BG"
	inB sctp-server fd77::2 7402 123457 >"$T/o6.srv" &
	BG=$!
	inA sctp-client fd77::2 7402 65537 >"$T/o6.cli"
	wait "$BG"
	# one-to-many (SOCK_SEQPACKET): client to server, then back
	inB sctp-m-server 10.77.0.2 7403 250003 180001 >"$T/m4.srv" 2>"$T/m4.err" &
	BG=$!
	for _ in $(seq 100); do grep -q ready "$T/m4.err" && break; sleep 0.1; done
	inA sctp-m-client 10.77.0.2 7403 250003 180001 >"$T/m4.cli"
	wait "$BG"
	inB sctp-m-server fd77::2 7404 77777 99999 >"$T/m6.srv" 2>"$T/m6.err" &
	BG=$!
	for _ in $(seq 100); do grep -q ready "$T/m6.err" && break; sleep 0.1; done
	inA sctp-m-client fd77::2 7404 77777 99999 >"$T/m6.cli"
	wait "$BG"
	sleep 0.3
	nb_stop
	check_eq "exit status" 0 "$NB_RC"
	for f in o4.cli o4.srv o6.cli o6.srv m4.cli m4.srv m6.cli m6.srv; do
		check_gen "$f" "$T/$f"
	done
	check_eq "one-to-one client sent its bytes after their 8-byte count" 400009 "$(gen_field "$T/o4.cli" sent)"
	check_eq "one-to-many client sent" 250003 "$(gen_field "$T/m4.cli" sent)"
	check_eq "one-to-many server sent" 180001 "$(gen_field "$T/m4.srv" sent)"
	check_eq "flow row of the one-to-one IPv4 client" \
		"sctp 4 10.77.0.2 7401 $(gen_field "$T/o4.cli" sent) $(gen_field "$T/o4.cli" received)" \
		"$(jq -r --arg pid "$(gen_field "$T/o4.cli" pid)" 'select(.summary and .type == "flow" and (.pid | tostring) == $pid) |
			"\(.proto) \(.family) \(.raddr) \(.rport) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"
	check_eq "flow row of the one-to-many IPv6 server" \
		"sctp 6 fd77::2 7404 $(gen_field "$T/m6.srv" sent) $(gen_field "$T/m6.srv" received)" \
		"$(jq -r --arg pid "$(gen_field "$T/m6.srv" pid)" 'select(.summary and .type == "flow" and (.pid | tostring) == $pid) |
			"\(.proto) \(.family) \(.laddr) \(.lport) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json")"
}
if ! $SOCK_TP; then
	echo "# sctp: not checked: only rung 1 (6.3+) counts SCTP"
elif [ ! -d /sys/module/sctp ]; then
	echo "SKIP sctp: the kernel package has no sctp module"
else
	relay sctp sctp
fi

# ---- interface bytes through the method auto picks, and clsact ----
relay "$AUTO_TC" bash tests/e2e/iface.sh
if $TCX; then
	NETBPF_TC_METHOD=clsact relay clsact bash tests/e2e/iface.sh
fi

# ---- a foreign clsact qdisc and filters: left alone ----
foreign() {
	. tests/e2e/lib.sh
	local dev=nbf$$ dir n method=${NETBPF_TC_METHOD:-$AUTO_TC}
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
	check_eq "netbpf uses $method" "netbpf: per-process hooks: $AUTO_BACKEND; interfaces: $method" \
		"$(grep 'per-process hooks' "$T/nb.err")"
	local fin0 feg0 fin1 feg1
	fin0=$(seen ingress) feg0=$(seen egress)
	in1=$(filters ingress) eg1=$(filters egress)
	if [ "$method" = clsact ]; then
		check_eq "running: netbpf's filter (pref 20034) before the foreign one, ingress" \
			"20034 $in0" "$(awk '{ print $1 }' <<<"$in1" | cut -d: -f1) $(cut -d' ' -f2- <<<"$in1")"
		check_eq "running: netbpf's filter (pref 20034) before the foreign one, egress" \
			"20034 $eg0" "$(awk '{ print $1 }' <<<"$eg1" | cut -d: -f1) $(cut -d' ' -f2- <<<"$eg1")"
	else
		check_eq "running on tcx: nothing of netbpf's in the clsact chain" "$in0|$eg0" "$in1|$eg1"
	fi
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

	# SIGKILL: on clsact netbpf's filters stay (clsact has no owner to
	# detach them) until the next netbpf starts and removes them; tcx
	# links die with netbpf's file descriptors. The foreign ones stay.
	nb_start --by iface,total || { fail start "netbpf did not start"; return; }
	kill -KILL "$NB_PID"
	wait "$NB_PID" 2>/dev/null
	NB_PID=
	if [ "$method" = clsact ]; then
		check_eq "after SIGKILL: netbpf's filter left on ingress" 2 "$(filters ingress | wc -w)"
	else
		# programs are freed after an RCU grace period: wait for it
		for _ in $(seq 50); do
			n=$(bpftool -j prog show | jq '[.[] | select(.name == "nb_tc_ingress" or .name == "nb_tc_egress")] | length')
			[ "$n" = 0 ] && break
			sleep 0.2
		done
		check_eq "after SIGKILL: no netbpf TC program left (tcx links went with it)" 0 "$n"
		check_eq "after SIGKILL: foreign filters unchanged" "$in0|$eg0" "$(filters ingress)|$(filters egress)"
	fi
	nb_start --by iface,total || { fail start "netbpf did not start after a SIGKILL"; return; }
	nb_stop
	check_eq "next start and stop: the dead netbpf's filters removed, foreign ones unchanged" \
		"$in0|$eg0" "$(filters ingress)|$(filters egress)"
	check_eq "... and the clsact qdisc is still there" 1 "$(tc qdisc show dev "$dev" | grep -c 'qdisc clsact')"
}
NETBPF_TC_METHOD=clsact relay foreign foreign
if $TCX; then
	relay foreign-tcx foreign
fi

echo "# guest: $failures failed"
[ "$failures" -eq 0 ]
