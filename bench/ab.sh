#!/bin/bash
# Two netbpf builds compared per event, both attached at once: bench/ab.sh
# A_BINARY B_BINARY [REPS [netbpf trace options]]. Needs root; make bench
# builds what it uses.
#
# Why at once: run one after the other, the same build's round trip ratio
# moves by 0.1x to 0.2x between runs on this machine (its phases; see
# docs/performance.md, "Session 6"), more than most changes are worth.
# Attached together with the empty programs, A, B and the floor see the
# same events in the same phase. The first of two netbpf programs on a hook
# pays for the kernel's cache lines both read (the socket's, the task's),
# so A runs first in odd repetitions and B in even ones: use an even REPS.
# A against itself gives the noise (docs/performance.md).
#
# Prints, per repetition, ns per event of A, B and the floor at each hook
# and the round trip (all hooks, per round trip), then the means and B - A
# as a fraction of the floor. Environment: AB_RT (round trips a repetition,
# default 20000).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
A=${1:?usage: bench/ab.sh A_BINARY B_BINARY [REPS [netbpf options]]}
B=${2:?usage: bench/ab.sh A_BINARY B_BINARY [REPS [netbpf options]]}
REPS=${3:-8}
shift $(($# < 3 ? $# : 3))
NBB=$ROOT/.output/bench/nbbench
FLOOR=$ROOT/.output/bench/floor
RT=${AB_RT:-20000}
NSA=nbabA$$
NSB=nbabB$$
VA=vabA$$
VB=vabB$$
T=$(mktemp -d /tmp/netbpf-ab.XXXXXX)
PIDS=()
STATS_OLD=

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
die() { echo "ab: $*" >&2; exit 1; }

cleanup() {
	kill_started
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (BPF programs, network namespaces)"
for f in "$A" "$B" "$NBB" "$FLOOR"; do
	[ -x "$f" ] || die "missing $f: make bench builds the drivers"
done
for c in jq bpftool ip taskset; do
	command -v "$c" >/dev/null || die "missing $c: scripts/deps.sh bench installs it"
done

ip netns add "$NSA" && ip netns add "$NSB" || die "cannot create network namespaces"
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || die "cannot create a veth pair"
ip -n "$NSA" addr add 10.75.0.1/24 dev "$VA"
ip -n "$NSB" addr add 10.75.0.2/24 dev "$VB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up

nb_start() {	# VAR BINARY: netbpf trace in namespace A, every hook attached
	local var=$1 bin=$2
	bg "$var" ip netns exec "$NSA" "$bin" trace --json -v -d 1 "${NB_ARGS[@]}" >/dev/null 2>"$T/$var.err"
	wait_line "$T/$var.err" "per-process hooks" "${!var}" || exit 1
}

NB_ARGS=("$@")
bg SRV ip netns exec "$NSB" taskset -c 0 "$NBB" pp-server 10.75.0.2 7501 64 2>/dev/null
sleep 0.3
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"
echo "A: $A" >&2
echo "B: $B" >&2
echo "netbpf trace ${NB_ARGS[*]:-(default views)}, $REPS repetitions of $RT round trips" >&2
for rep in $(seq "$REPS"); do
	bg FL ip netns exec "$NSA" "$FLOOR" "$VA" lo 2>"$T/floor.err"
	wait_line "$T/floor.err" "floor: attached" "$FL" || exit 1
	if [ $((rep % 2)) = 1 ]; then
		nb_start PA "$A"
		nb_start PB "$B"
	else
		nb_start PB "$B"
		nb_start PA "$A"
	fi
	ip netns exec "$NSA" taskset -c 1 "$NBB" pp-client 10.75.0.2 7501 64 2000 >/dev/null	# warm-up
	a0=$(prog_stats "$PA") b0=$(prog_stats "$PB") f0=$(prog_stats "$FL")
	ip netns exec "$NSA" taskset -c 1 "$NBB" pp-client 10.75.0.2 7501 64 "$RT" >/dev/null ||
		die "the ping-pong client failed"
	a1=$(prog_stats "$PA") b1=$(prog_stats "$PB") f1=$(prog_stats "$FL")
	stop "$PA"
	stop "$PB"
	stop "$FL"
	jq -nr --argjson a0 "$a0" --argjson a1 "$a1" --argjson b0 "$b0" --argjson b1 "$b1" \
		--argjson f0 "$f0" --argjson f1 "$f1" --argjson rt "$RT" --arg rep "$rep" '
		def per(x0; x1; n): ((x1[n].ns - x0[n].ns) / ((x1[n].cnt - x0[n].cnt) | if . == 0 then 1 else . end));
		def tot(x0; x1; ns): ([ns[] | (x1[.].ns // 0) - (x0[.].ns // 0)] | add) / $rt;
		def r: . * 10 | round / 10;
		[["send", "tp_send", "fl_send"], ["recv", "tp_recv", "fl_recv"],
		 ["tcp_read", "tp_tcp_read", "fl_tcp_read"], ["tc_in", "nb_tc_ingress", "fl_tc_ingress"],
		 ["tc_eg", "nb_tc_egress", "fl_tc_egress"]] as $h
		| "rep \($rep) " + ([$h[] | "\(.[0]) A=\(per($a0; $a1; .[1]) | r) B=\(per($b0; $b1; .[1]) | r) F=\(per($f0; $f1; .[2]) | r)"] | join("  "))
		  + "  RT A=\(tot($a0; $a1; [$h[] | .[1]]) | r) B=\(tot($b0; $b1; [$h[] | .[1]]) | r) F=\(tot($f0; $f1; [$h[] | .[2]]) | r)"'
done | tee "$T/reps"
echo "means over $REPS repetitions (ns; B - A as a fraction of the floor's ns):"
awk '{
	for (i = 2; i <= NF; i++)
		if ($i ~ /^[ABF]=/) { split($i, kv, "="); k = h SUBSEP kv[1]; s[k] += kv[2]; n[k]++ }
		else if ($i !~ /^[0-9]+$/) h = $i
}
END {
	split("send recv tcp_read tc_in tc_eg RT", hs, " ")
	for (j = 1; j <= 6; j++) {
		q = hs[j]
		a = s[q, "A"] / n[q, "A"]; b = s[q, "B"] / n[q, "B"]; f = s[q, "F"] / n[q, "F"]
		printf "  %-9s A %7.1f  B %7.1f  floor %6.1f  B-A %+6.1f (%+.3fx)\n", q, a, b, f, b - a, (b - a) / f
	}
}' "$T/reps"
