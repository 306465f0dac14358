#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end check of netbpf's interface accounting (user/tc.c), through
# its driver tc_watch (tests/tools/tc_watch.c), in two throwaway network namespaces joined by a veth
# pair. Needs root; built by make test
#
# For each attach method (tcx, clsact):
#   - a foreign clsact qdisc with BPF filters (a packet counter that returns
#     TC_ACT_OK, added at tc's automatic priority) on the veth survives
#     attach, normal close and SIGKILL, and keeps seeing packets while
#     netbpf's program runs (TC_ACT_UNSPEC lets it run);
#   - byte and packet deltas equal the kernel's /sys/class/net/IF/statistics
#     deltas over the same period, both directions, for TCP and UDP over
#     IPv4 and IPv6 (measured relation: equal, see the "#" lines);
#   - a veth created while attached is counted; one deleted is reported
#     once as gone, with no error;
#   - after close (and after SIGKILL for tcx; after the next start for
#     clsact) neither `tc filter show`, `bpftool net` nor `bpftool prog`
#     shows anything of netbpf's.
# Output: "PASS name" or "FAIL name: why" per check ("# ..." lines are
# information); exit 0 if all passed.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WATCH=$ROOT/.output/tests/tc_watch
NBGEN=$ROOT/.output/tests/nbgen
NSA=nbtcA$$
NSB=nbtcB$$
VA=tca$$	# in NSA, 10.77.0.1 fd77::1
VB=tcb$$	# in NSB, 10.77.0.2 fd77::2
VC=tcc$$	# made while attached: in NSA, 10.77.1.1 fd77:1::1
VD=tcd$$	# its peer in NSB, 10.77.1.2 fd77:1::2
T=$(mktemp -d /tmp/netbpf-tc.XXXXXX)
W_PID=		# the ip-netns-exec process running tc_watch
W_REAL=		# tc_watch's own pid (from READY)
failures=0

cleanup() {
	[ -n "$W_REAL" ] && kill -KILL "$W_REAL" 2>/dev/null
	[ -n "$W_PID" ] && kill -KILL "$W_PID" 2>/dev/null
	exec 3>&- 4<&- 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }
# verdict NAME WHY-IF-NOT COMMAND...: PASS if the command succeeds
verdict() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
info() { echo "# $*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP tc_e2e: needs root"
	exit 0
fi
for b in "$WATCH" "$NBGEN"; do
	if [ ! -x "$b" ]; then
		fail build "no $b (hint: make tools)"
		exit 1
	fi
done
for c in ip tc bpftool clang jq; do
	command -v "$c" >/dev/null || { fail tools "no $c (hint: scripts/deps.sh test)"; exit 1; }
done

# The foreign program (tests/tools/foreign.bpf.c): counts the packets it
# sees, then TC_ACT_OK.
if ! clang -O2 -g -target bpf -I"$ROOT/vmlinux" -c "$ROOT/tests/tools/foreign.bpf.c" -o "$T/foreign.o"; then
	fail build "the foreign BPF program did not compile"
	exit 1
fi

nsa() { ip netns exec "$NSA" "$@"; }
nsb() { ip netns exec "$NSB" "$@"; }

# ---- setup ----

foreign_add() {	# IF DIR
	tc -n "$NSA" filter add dev "$1" "$2" bpf da obj "$T/foreign.o" sec tc
}

setup() {
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || return 1
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" link set lo up
		# no router solicitations or other IPv6 chatter of its own
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf.default.router_solicitations=0
	done
	ip -n "$NSA" addr add 10.77.0.1/24 dev "$VA"
	ip -n "$NSB" addr add 10.77.0.2/24 dev "$VB"
	ip -n "$NSA" addr add fd77::1/64 dev "$VA" nodad
	ip -n "$NSB" addr add fd77::2/64 dev "$VB" nodad
	ip -n "$NSA" link set "$VA" up
	ip -n "$NSB" link set "$VB" up
	# the foreign qdisc and filters netbpf must leave alone
	tc -n "$NSA" qdisc add dev "$VA" clsact &&
		foreign_add "$VA" ingress && foreign_add "$VA" egress
}
if ! setup; then
	fail setup "namespaces, veth or the foreign filters (hint: modprobe veth sch_ingress cls_bpf)"
	exit 1
fi
pass setup

# ---- the watcher: tc_watch in NSA, driven through two FIFOs ----

# w_start ARGS...: start it, wait for READY; sets W_METHOD
w_start() {
	local line
	rm -f "$T/in" "$T/out"
	mkfifo "$T/in" "$T/out"
	ip netns exec "$NSA" "$WATCH" "$@" <"$T/in" >"$T/out" 2>"$T/watch.err" &
	W_PID=$!
	exec 3>"$T/in" 4<"$T/out"
	if ! read -r -t 20 line <&4 || [ "${line%% *}" != READY ]; then
		echo "# tc_watch: ${line:-no output} $(cat "$T/watch.err")"
		w_reap
		return 1
	fi
	read -r _ W_REAL W_METHOD <<<"$line"
	return 0
}

w_reap() {
	exec 3>&- 4<&-
	wait "$W_PID" 2>/dev/null
	W_PID='' W_REAL=''
}

# w_dump: the samples into $T/dump ("NAME IFINDEX RXB TXB RXP TXP GONE"),
# errors into $T/errs; returns 1 if tc_watch did not answer
w_dump() {
	local kind rest
	: >"$T/dump"
	echo dump >&3 || return 1
	while read -r -t 20 kind rest <&4; do
		case "$kind" in
		IF) echo "$rest" >>"$T/dump" ;;
		ERR) echo "$rest" >>"$T/errs" ;;
		END) W_DROPS=$rest; return 0 ;;
		esac
	done
	return 1
}

# w_quit: normal close; returns 1 unless it said CLOSED
w_quit() {
	local kind rest ok=1
	echo quit >&3
	while read -r -t 20 kind rest <&4; do
		[ "$kind" = ERR ] && echo "$rest" >>"$T/errs"
		[ "$kind" = CLOSED ] && { ok=0; break; }
	done
	w_reap
	return $ok
}

w_kill() {
	kill -KILL "$W_REAL"
	w_reap
}

# ---- measurements ----

# sys_stats NS IF: "RXB TXB RXP TXP" from /sys/class/net/IF/statistics
sys_stats() {
	# shellcheck disable=SC2016 # $(cat ...) runs in the namespace's shell
	ip netns exec "$1" sh -c 'cd /sys/class/net/'"$2"'/statistics &&
		echo $(cat rx_bytes tx_bytes rx_packets tx_packets)'
}

# tc_stats IF: the same four from the last dump, for a live interface
tc_stats() {
	awk -v n="$1" '$1 == n && $7 == 0 { print $3, $4, $5, $6 }' "$T/dump"
}

# foreign_sent IF DIR: packets the foreign program saw (its map)
foreign_sent() {
	local id map
	id=$(tc -n "$NSA" filter show dev "$1" "$2" | grep 'foreign.o:' |
		grep -o ' id [0-9]*' | awk '{ print $2 }')
	map=$(bpftool -j prog show id "$id" 2>/dev/null | jq '.map_ids[0]')
	bpftool -j map dump id "$map" 2>/dev/null | jq '.[0].formatted.value'
}

# traffic NS_CLIENT SERVER_ADDR...: TCP both ways and UDP, to each address
traffic() {
	local port=7701 a
	for a in "$@"; do
		nsb "$NBGEN" tcp-server "$a" $port 150000 1 >/dev/null 2>&1 &
		local srv=$!
		nsa "$NBGEN" tcp-client "$a" $port 400000 >/dev/null 2>&1 ||
			info "tcp-client to $a failed"
		wait $srv
		nsb "$NBGEN" udp-recv "$a" $port 24000 3 >/dev/null 2>"$T/udp.err" &
		srv=$!
		for _ in $(seq 50); do grep -q ready "$T/udp.err" 2>/dev/null && break; sleep 0.05; done
		nsa "$NBGEN" udp-send "$a" $port 1200 20 >/dev/null 2>&1
		wait $srv
		port=$((port + 1))
	done
	sleep 0.3	# the last ACKs and FINs
}

# snap IF: "TC-RXB TC-TXB TC-RXP TC-TXP SYS-RXB SYS-TXB SYS-RXP SYS-TXP",
# taken when both have been still for 0.2 s: a packet in flight between
# the two reads (IPv6 multicast reports on a new link, a late ACK) would
# count on one side only
snap() {
	local s1 s2 t1 t2
	for _ in $(seq 50); do
		s1=$(sys_stats "$NSA" "$1"); w_dump || return 1; t1=$(tc_stats "$1")
		sleep 0.2
		s2=$(sys_stats "$NSA" "$1"); w_dump || return 1; t2=$(tc_stats "$1")
		if [ -n "$t1" ] && [ "$s1" = "$s2" ] && [ "$t1" = "$t2" ]; then
			echo "$t1 $s1"
			return 0
		fi
	done
	return 1
}

# measure NAME IF ADDR...: traffic over IF, compare TC with /sys deltas
measure() {
	local name=$1 ifn=$2 p0 p1 a0 b0 c0 d0 e0 f0 g0 h0 a1 b1 c1 d1 e1 f1 g1 h1
	shift 2
	if ! p0=$(snap "$ifn"); then
		fail "$name" "no still moment, or $ifn missing: $(tr '\n' ';' <"$T/dump")"
		return
	fi
	traffic "$@"
	if ! p1=$(snap "$ifn"); then
		fail "$name" "no still moment, or $ifn missing: $(tr '\n' ';' <"$T/dump")"
		return
	fi
	read -r a0 b0 c0 d0 e0 f0 g0 h0 <<<"$p0"
	read -r a1 b1 c1 d1 e1 f1 g1 h1 <<<"$p1"
	local trx=$((a1 - a0)) ttx=$((b1 - b0)) trp=$((c1 - c0)) ttp=$((d1 - d0))
	local srx=$((e1 - e0)) stx=$((f1 - f0)) srp=$((g1 - g0)) stp=$((h1 - h0))
	info "$name: TC rx $trx B $trp pkt, tx $ttx B $ttp pkt; /sys rx $srx B $srp pkt, tx $stx B $stp pkt"
	if [ $srx -le 0 ] || [ $stx -le 0 ]; then
		fail "$name" "no traffic moved"
	elif [ $trx -eq $srx ] && [ $ttx -eq $stx ] && [ $trp -eq $srp ] && [ $ttp -eq $stp ]; then
		pass "$name"
	else
		fail "$name" "TC rx $trx B $trp pkt tx $ttx B $ttp pkt != /sys rx $srx B $srp pkt tx $stx B $stp pkt"
	fi
}

# ---- leftover checks ----

nb_progs() { bpftool prog show 2>/dev/null | grep -c 'name nb_tc_'; }
BASE_PROGS=$(nb_progs)

foreign_ok() {
	local d n
	for d in ingress egress; do
		n=$(tc -n "$NSA" filter show dev "$VA" $d | grep -c 'foreign.o:')
		[ "$n" = 1 ] || { echo "$d: $n foreign filters"; return 1; }
	done
	tc -n "$NSA" qdisc show dev "$VA" | grep -q clsact || { echo "clsact qdisc gone"; return 1; }
}

# netbpf's filters in NSA (any interface) and bpftool net's view
nb_filters() {
	local i d
	for i in $(ip -n "$NSA" -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
		for d in ingress egress; do
			tc -n "$NSA" filter show dev "$i" $d 2>/dev/null | grep -E 'nb_tc_|handle 0x4e42'
		done
	done
	nsa bpftool net show 2>/dev/null | grep nb_tc_
}

# no_leftovers NAME: nothing of netbpf's in NSA, programs back to baseline
no_leftovers() {
	local f p
	for _ in $(seq 30); do	# programs are freed after an RCU grace period
		[ "$(nb_progs)" -le "$BASE_PROGS" ] && break
		sleep 0.1
	done
	f=$(nb_filters)
	p=$(nb_progs)
	if [ -n "$f" ]; then
		fail "$1" "netbpf filters left: $(echo "$f" | tr '\n' ';')"
	elif [ "$p" -gt "$BASE_PROGS" ]; then
		fail "$1" "$p nb_tc_ programs loaded, $BASE_PROGS before"
	else
		pass "$1"
	fi
}

check_foreign() {
	local why
	if why=$(foreign_ok); then pass "$1"; else fail "$1" "$why"; fi
}

# ---- the checks, per method ----

run_method() {
	local m=$1 f0 f1 e0 e1 gone1 gone2
	: >"$T/errs"
	if ! w_start -m "$m"; then
		fail "${m}_attach" "tc_watch did not start"
		return
	fi
	if [ "$W_METHOD" = "$m" ]; then pass "${m}_attach"; else fail "${m}_attach" "method $W_METHOD"; fi
	check_foreign "${m}_foreign_after_attach"
	if [ "$m" = clsact ]; then
		if [ -n "$(nb_filters)" ]; then pass "${m}_filters_shown"; else fail "${m}_filters_shown" "no nb_tc filter in tc filter show"; fi
	fi

	# counts against /sys, and the foreign filters still run after ours
	f0=$(foreign_sent "$VA" ingress); e0=$(foreign_sent "$VA" egress)
	measure "${m}_bytes_packets_equal_sys" "$VA" 10.77.0.2 fd77::2
	f1=$(foreign_sent "$VA" ingress); e1=$(foreign_sent "$VA" egress)
	if [ "${f1:-0}" -gt "${f0:-0}" ] && [ "${e1:-0}" -gt "${e0:-0}" ]; then
		pass "${m}_foreign_filter_still_runs"
	else
		fail "${m}_foreign_filter_still_runs" "the foreign program saw ingress ${f0:-?}->${f1:-?}, egress ${e0:-?}->${e1:-?} packets"
	fi

	# a veth made while attached is counted
	ip -n "$NSA" link add "$VC" type veth peer name "$VD" netns "$NSB"
	ip -n "$NSA" addr add 10.77.1.1/24 dev "$VC"
	ip -n "$NSB" addr add 10.77.1.2/24 dev "$VD"
	ip -n "$NSA" addr add fd77:1::1/64 dev "$VC" nodad
	ip -n "$NSB" addr add fd77:1::2/64 dev "$VD" nodad
	ip -n "$NSA" link set "$VC" up
	ip -n "$NSB" link set "$VD" up
	for _ in $(seq 50); do
		w_dump && [ -n "$(tc_stats "$VC")" ] && break
		sleep 0.1
	done
	if [ -n "$(tc_stats "$VC")" ]; then
		pass "${m}_new_veth_attached"
		measure "${m}_new_veth_counted" "$VC" 10.77.1.2 fd77:1::2
	else
		fail "${m}_new_veth_attached" "$VC not in the samples"
	fi

	# one deleted: reported once as gone, then forgotten; no error
	ip -n "$NSA" link del "$VC"
	for _ in $(seq 50); do
		w_dump
		gone1=$(awk -v n="$VC" '$1 == n && $7 == 1' "$T/dump")
		[ -n "$gone1" ] && break
		sleep 0.1
	done
	w_dump
	gone2=$(awk -v n="$VC" '$1 == n' "$T/dump")
	if [ -n "$gone1" ] && [ -z "$gone2" ]; then
		pass "${m}_deleted_veth_gone_once"
		info "${m}: final counts of $VC: $gone1"
	else
		fail "${m}_deleted_veth_gone_once" "first: '${gone1}', then: '${gone2}'"
	fi
	if [ -s "$T/errs" ]; then
		fail "${m}_no_errors" "$(tr '\n' ';' <"$T/errs")"
	else
		pass "${m}_no_errors"
	fi
	verdict "${m}_no_drops" "drops: ${W_DROPS:-?}" [ "${W_DROPS:-x}" = 0 ]

	# clsact: a filter someone adds on a clsact netbpf created keeps it
	if [ "$m" = clsact ]; then
		foreign_add lo ingress
	fi

	if w_quit; then pass "${m}_close"; else fail "${m}_close" "no CLOSED"; fi
	check_foreign "${m}_foreign_after_close"
	no_leftovers "${m}_no_leftovers_after_close"
	if [ "$m" = clsact ]; then
		if tc -n "$NSA" filter show dev lo ingress | grep -q 'foreign.o:'; then
			pass "${m}_qdisc_with_foreign_filter_kept"
		else
			fail "${m}_qdisc_with_foreign_filter_kept" "lo lost its clsact or its foreign filter"
		fi
		tc -n "$NSA" qdisc del dev lo clsact
	fi

	# SIGKILL
	if ! w_start -m "$m"; then
		fail "${m}_sigkill" "tc_watch did not start"
		return
	fi
	w_kill
	check_foreign "${m}_foreign_after_sigkill"
	if [ "$m" = tcx ]; then
		no_leftovers "${m}_no_leftovers_after_sigkill"
	else
		# clsact filters outlive their process; the next start removes them
		if [ -n "$(nb_filters)" ]; then
			info "clsact: after SIGKILL netbpf's filters stay until the next start (expected)"
		fi
		if w_start -m "$m"; then
			local n
			n=$(tc -n "$NSA" filter show dev "$VA" ingress | grep -c 'nb_tc_')
			verdict "${m}_leftover_replaced" "$n netbpf filters on $VA ingress" [ "$n" = 1 ]
			w_quit || fail "${m}_close_after_leftover" "no CLOSED"
			check_foreign "${m}_foreign_after_leftover_cleanup"
			no_leftovers "${m}_no_leftovers_after_restart"
		else
			fail "${m}_leftover_replaced" "tc_watch did not start after SIGKILL"
		fi
	fi
}

# clsact: a running netbpf's filter is not a leftover: a second one refuses
busy_check() {
	local out
	if ! w_start -m clsact -i "$VA"; then
		fail clsact_second_instance_busy "tc_watch did not start"
		return
	fi
	out=$(ip netns exec "$NSA" "$WATCH" -m clsact -i "$VA" </dev/null)
	if grep -q "^ERR open: Device or resource busy" <<<"$out"; then
		pass clsact_second_instance_busy
	else
		fail clsact_second_instance_busy "second watcher said: $out"
	fi
	if [ "$(tc -n "$NSA" filter show dev "$VA" ingress | grep -c nb_tc_)" = 1 ]; then
		pass clsact_running_filter_untouched
	else
		fail clsact_running_filter_untouched "the first watcher's filter is gone"
	fi
	w_quit
	no_leftovers clsact_no_leftovers_after_busy
}

# clsact: a qdisc netbpf made, left empty, goes at close
own_qdisc_check() {
	tc -n "$NSA" qdisc del dev lo clsact 2>/dev/null	# the killed one's
	if ! w_start -m clsact -i lo; then
		fail clsact_own_qdisc_removed "tc_watch did not start"
		return
	fi
	tc -n "$NSA" qdisc show dev lo | grep -q clsact ||
		fail clsact_own_qdisc_made "no clsact on lo while attached"
	w_quit
	if tc -n "$NSA" qdisc show dev lo | grep -q clsact; then
		fail clsact_own_qdisc_removed "clsact still on lo"
	else
		pass clsact_own_qdisc_removed
	fi
}

# auto picks tcx on this kernel (6.6+); every method probes fine
auto_check() {
	local m out
	if w_start; then
		verdict auto_is_tcx "auto chose $W_METHOD" [ "$W_METHOD" = tcx ]
		w_quit
	else
		fail auto_is_tcx "tc_watch did not start"
	fi
	for m in auto tcx clsact; do
		out=$(nsa "$WATCH" -p $m)
		verdict "probe_$m" "got: $out" [ "$out" = "PROBE $m 0" ]
	done
	no_leftovers probe_no_leftovers
	tc -n "$NSA" qdisc show dev lo | grep -q clsact &&
		fail probe_no_leftovers "clsact left on lo"
}

# link events lost (a tiny netlink buffer): a full dump catches up
resync_check() {
	local i missing=0 drops gone
	ip -n "$NSA" link add "g$$" type veth peer name "h$$"
	if ! w_start -m tcx -r 2048; then
		fail resync "tc_watch did not start"
		return
	fi
	: >"$T/errs"
	echo "pause 1500" >&3
	for i in $(seq 10); do
		ip -n "$NSA" link add "r${i}x$$" type veth peer name "r${i}y$$"
	done
	ip -n "$NSA" link del "g$$"
	read -r -t 20 _ <&4	# OK
	drops=$(nsa cat /proc/net/netlink | awk -v p="$W_REAL" '$3 == p { print $9 }')
	info "resync: the event socket dropped ${drops:-?} messages"
	w_dump
	for i in $(seq 10); do
		for e in x y; do
			[ -n "$(tc_stats "r${i}$e$$")" ] || missing=$((missing + 1))
		done
	done
	gone=$(awk -v a="g$$" -v b="h$$" '($1 == a || $1 == b) && $7 == 1' "$T/dump" | wc -l)
	if [ "${drops:-0}" -gt 0 ] && [ $missing -eq 0 ] && [ "$gone" = 2 ] && [ ! -s "$T/errs" ]; then
		pass resync_after_lost_events
	else
		fail resync_after_lost_events "socket drops ${drops:-?}, $missing of 20 new links missing, $gone of 2 deleted ones reported gone, errors: $(tr '\n' ';' <"$T/errs")"
	fi
	w_quit
	for i in $(seq 10); do ip -n "$NSA" link del "r${i}x$$"; done
	no_leftovers resync_no_leftovers
}

run_method tcx
run_method clsact
resync_check
busy_check
own_qdisc_check
auto_check

# a name that does not exist
out=$(ip netns exec "$NSA" "$WATCH" -i nosuchif0 </dev/null)
if [ "$out" = "ERR open: No such device on nosuchif0" ]; then
	pass unknown_iface_enodev
else
	fail unknown_iface_enodev "got: $out"
fi

[ $failures -eq 0 ]
