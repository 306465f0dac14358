#!/bin/bash
# netbpf's benchmarks (make bench): every figure is a ratio of two things
# measured side by side in this run, alternating (A/B/B/A...) to cancel
# drift, with the repetition count and the spread. A table goes to stdout,
# the same as JSON to .output/bench.json. Method: docs/performance.md.
#
# Traffic only over the two network namespaces and the veth this script
# creates (and their loopbacks), bounded in count and time. Needs root.
#
# Environment: BENCH_REPS (default 6), BENCH_RT (round trips per
# ping-pong run, default 10000; 3 runs per condition and repetition), BENCH_IPERF_S (seconds per iperf3 run,
# default 2), BENCH_LEVELS (default "10 1000 10000"), BENCH_KEEP=1 keeps
# the raw samples in .output/bench.raw.jsonl, BENCH_VETH_A and BENCH_VETH_B
# ethtool -K settings of the veth's two ends (below), BENCH_HOLD=flows holds N
# flows in one process instead of N processes (with e.g. BENCH_NB_ARGS="--by
# process,flow" once flow rows exist), BENCH_NETBPF=PATH measures
# another netbpf binary (before/after experiments), BENCH_SECTIONS (default
# "event event_top event_hosts tcp_rr bulk procs churn startup mapmem") runs only some
# of the sections; BENCH_FRONTS (default "trace serve") the front ends of
# the userspace section; BENCH_CHURN (default 100000) processes in the churn.
# Section mapmem: the kernel memory of netbpf's maps (bench/mapmem.sh) on
# this host and in a QEMU guest with BENCH_MAPMEM_SMP CPUs (default 64) on
# Debian's BENCH_MAPMEM_KERNEL (default 6.12; tests/kernel/run.sh boots it,
# with the tree's netbpf), for the default views and for every view.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
NETBPF=${BENCH_NETBPF:-$ROOT/netbpf}
FLOOR=$ROOT/.output/bench/floor
NBB=$ROOT/.output/bench/nbbench
OUT=$ROOT/.output/bench.json
REPS=${BENCH_REPS:-6}
RT=${BENCH_RT:-10000}
PP_RUNS=3		# ping-pong runs per condition and repetition: their median counts
IPERF_S=${BENCH_IPERF_S:-2}
LEVELS=${BENCH_LEVELS:-10 1000 10000 10000idle}
HOLD=${BENCH_HOLD:-procs}	# procs: N processes; flows: N UDP flows in one process
read -r -a NB_ARGS <<<"${BENCH_NB_ARGS:-}"	# more netbpf options, userspace section
MSG=64			# bytes per ping-pong message, each way
HOLD_MS=500		# a held process sends 8 bytes this often
NB_D=0.5		# netbpf's interval for the userspace figures
SECTIONS=" ${BENCH_SECTIONS:-event event_top event_hosts tcp_rr bulk procs churn startup mapmem} "
MM_SMP=${BENCH_MAPMEM_SMP:-64}
MM_KERNEL=${BENCH_MAPMEM_KERNEL:-6.12}
MM_ALL=process,flow,cgroup,iface,total	# every view of trace
want() { [[ "$SECTIONS" == *" $1 "* ]]; }

NSA=nbbA$$
NSB=nbbB$$
VA=vbA$$
VB=vbB$$
AA=10.79.0.1
AB=10.79.0.2
PORT=7901
T=$(mktemp -d /tmp/netbpf-bench.XXXXXX)
RAW=$T/raw.jsonl
PIDS=()
BT_WHY=
NH_WHY=
STATS_OLD=
TRACEFS_MOUNTED=
T_START=$(date +%s.%N)

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
log() { printf '  %s\n' "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

cleanup() {
	kill_started
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	[ -n "$TRACEFS_MOUNTED" ] && umount /sys/kernel/tracing 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ] && [ -f "$RAW" ]; then
		cp "$RAW" "$ROOT/.output/bench.raw.jsonl"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (BPF programs, network namespaces): sudo make bench"
for f in "$NETBPF" "$FLOOR" "$NBB"; do
	[ -x "$f" ] || die "missing $f: run make bench"
done
for c in jq bpftool iperf3 ip; do
	command -v "$c" >/dev/null || die "missing $c: scripts/deps.sh bench installs it"
done

: >"$RAW"	# the summary reads it whichever sections ran
# rec SECTION NAME VALUE [REP]: one raw sample
rec() {
	printf '{"section":"%s","name":"%s","value":%s,"rep":%s}\n' "$1" "$2" "$3" "${4:-0}" >>"$RAW"
}

# ---- namespaces: A (10.79.0.1) and B (10.79.0.2) joined by a veth ----
ip netns add "$NSA" || die "cannot create network namespaces"
ip netns add "$NSB" || die "cannot create network namespaces"
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || die "cannot create a veth pair"
ip -n "$NSA" addr add $AA/24 dev "$VA"
ip -n "$NSB" addr add $AB/24 dev "$VB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
# BENCH_VETH_A, BENCH_VETH_B: ethtool -K settings of the two ends (e.g.
# "tso off" and "gro on": A's tx goes through B's NAPI ring, the TC egress
# path that reads the peer's NAPI state)
if [ -n "${BENCH_VETH_A:-}${BENCH_VETH_B:-}" ]; then
	# shellcheck disable=SC2086
	{ [ -z "${BENCH_VETH_A:-}" ] || ip netns exec "$NSA" ethtool -K "$VA" $BENCH_VETH_A; } &&
	{ [ -z "${BENCH_VETH_B:-}" ] || ip netns exec "$NSB" ethtool -K "$VB" $BENCH_VETH_B; } ||
		die "ethtool -K failed: BENCH_VETH_A='${BENCH_VETH_A:-}' BENCH_VETH_B='${BENCH_VETH_B:-}'"
fi
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up
inA() { ip netns exec "$NSA" "$@"; }
# for bg: a command, not a function, so that $! is the tool's own pid
EXA=(ip netns exec "$NSA")
# netbpf as the userspace section runs it: ip netns exec mounts a sysfs of
# its own on /sys, which hides the cgroup2 mount below it; mounted again in
# that mount namespace (the host's is not touched), netbpf sees cgroup
# paths and containers as it does on a host
NBA=(ip netns exec "$NSA" sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null; exec "$@"' sh)
EXB=(ip netns exec "$NSB")


# netbpf trace in namespace A (every interface there: lo and the veth)
nb_start() {	# VAR [extra netbpf args]
	local var=$1
	shift
	bg "$var" "${EXA[@]}" "$NETBPF" trace --json -v "$@" >/dev/null 2>"$T/nb.err"
	wait_line "$T/nb.err" "per-process hooks" "${!var}"
}

floor_start() {	# VAR
	bg "$1" "${EXA[@]}" "$FLOOR" "$VA" lo 2>"$T/floor.err"
	wait_line "$T/floor.err" "floor: attached" "${!1}"
}

# /proc/PID/schedstat is the main thread's alone: the threads' own (serve's
# HTTP workers, the reverse DNS ones) are summed from /proc/PID/task/*/
# (a thread that ended takes its time with it; utime+stime keep it)
cpu_ns() {	# PID: CPU time in ns (schedstat: ns resolution), utime+stime ticks
	echo "$(cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }') $(awk '{print $14 + $15}' /proc/"$1"/stat)"
}

# netbpf in namespace A as front end FRONT; its pid in VAR
front_start() {	# VAR FRONT [args]
	local var=$1 front=$2
	shift 2
	if [ "$front" = serve ]; then
		bg "$var" "${NBA[@]}" "$NETBPF" serve -v --listen 127.0.0.1:$((PORT + 5)) "$@" >/dev/null 2>"$T/nb.err"
	else
		bg "$var" "${NBA[@]}" "$NETBPF" trace --json -v "$@" >/dev/null 2>"$T/nb.err"
	fi
	wait_line "$T/nb.err" "per-process hooks" "${!var}"
}


# Client and server pinned to different CPUs: here, with other load on the
# machine, unpinned runs vary by +-20% with the scheduler's placement,
# pinned ones by a few per cent.
PIN_S=() PIN_C=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_S=(taskset -c 0) PIN_C=(taskset -c 1)
fi

pp_run() {	# prints the seconds of one ping-pong run of $RT round trips
	inA "${PIN_C[@]}" "$NBB" pp-client $AB $PORT $MSG "$RT" | jq -r .seconds
}

pp_median() {	# the median seconds of $PP_RUNS ping-pong runs
	local i
	for i in $(seq "$PP_RUNS"); do pp_run; done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

bg PP_SERVER "${EXB[@]}" "${PIN_S[@]}" "$NBB" pp-server $AB $PORT $MSG 2>/dev/null
sleep 0.3
pp_run >/dev/null || die "the ping-pong client failed"	# warm-up

# ---- 1. per-event cost against the floor ----
# Two configurations: trace's default (processes, interfaces) and top's
# (every view: flows and cgroups too), as sections event and event_top.
event_run() {	# SECTION [netbpf args]
local sec=$1
shift
log "per-event cost ($sec: netbpf trace $*): netbpf's programs and empty ones on the same hooks, $REPS runs"
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"
for rep in $(seq "$REPS"); do
	# the order of attachment alternates: the first attached runs first
	if [ $((rep % 2)) = 1 ]; then
		floor_start FL || exit 1
		nb_start NB -d 1 "$@" || exit 1
	else
		nb_start NB -d 1 "$@" || exit 1
		floor_start FL || exit 1
	fi
	s0=$(prog_stats "$NB" "$FL")
	pp_run >/dev/null
	s1=$(prog_stats "$NB" "$FL")
	stop "$NB"
	stop "$FL"
	jq -nr --argjson a "$s0" --argjson b "$s1" --argjson rt "$RT" '
		def per(n): (($b[n].ns - $a[n].ns) / (($b[n].cnt - $a[n].cnt) | if . == 0 then 1 else . end));
		def cnt(n): ($b[n].cnt - $a[n].cnt);
		def tot(n): ($b[n].ns - $a[n].ns);
		[["send", "tp_send", "fl_send"], ["recv", "tp_recv", "fl_recv"],
		 ["tcp_read", "tp_tcp_read", "fl_tcp_read"], ["tcp_state", "tp_tcp_state", "fl_tcp_state"],
		 ["tc_ingress", "nb_tc_ingress", "fl_tc_ingress"], ["tc_egress", "nb_tc_egress", "fl_tc_egress"]]
		| map(select($b[.[1]] != null)) as $h
		| ($h[] | "\(.[0]) \(per(.[1])) \(per(.[2])) \(cnt(.[1])) \(cnt(.[2]))"),
		  # all of netbpf'"'"'s programs on these hooks, per round trip
		  "total \([$h[] | tot(.[1])] | add / $rt) \([$h[] | tot(.[2])] | add / $rt) \($rt) \($rt)"' |
	while read -r hook nb fl nbc flc; do
		rec "$sec" "${hook}_netbpf_ns" "$nb" "$rep"
		rec "$sec" "${hook}_floor_ns" "$fl" "$rep"
		rec "$sec" "${hook}_events" "$nbc" "$rep"
		[ "$hook" != total ] && [ "$nbc" != "$flc" ] && log "note: $hook saw $nbc events in netbpf and $flc in the floor (rep $rep)"
		rec "$sec" "${hook}_ratio" "$(awk -v a="$nb" -v b="$fl" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')" "$rep"
	done
done
sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
STATS_OLD=
}
want event && event_run event
want event_top && event_run event_top --by process,flow,cgroup,iface,total
# the TC classifier with host pairs counted (its tc_ingress and tc_egress
# rows against those of event: the cost of the host pair map)
want event_hosts && event_run event_hosts --by iface,host,total --no-resolve

# ---- 2. small-message TCP: none, netbpf, nethogs, bpftrace ----
if want tcp_rr; then
BT_SCRIPT=$T/netbpf.bt
cat >"$BT_SCRIPT" <<'EOF'
// bytes per pid on the socket tracepoints netbpf uses: IPv4 and IPv6,
// what the call moved, no MSG_PEEK; printed every second like netbpf trace
BEGIN { printf("ready\n"); }
tracepoint:sock:sock_send_length
/args->ret > 0 && (args->family == 2 || args->family == 10)/
{ @tx[pid, comm] = sum(args->ret); }
tracepoint:sock:sock_recv_length
/args->ret > 0 && (args->family == 2 || args->family == 10) && !(args->flags & 2)/
{ @rx[pid, comm] = sum(args->ret); }
interval:s:1 { print(@tx); print(@rx); }
EOF
BT_WHY=
if ! command -v bpftrace >/dev/null; then
	BT_WHY="bpftrace is not installed"
else
	if [ ! -d /sys/kernel/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && TRACEFS_MOUNTED=1
	fi
	if [ ! -d /sys/kernel/tracing/events/sock/sock_send_length ]; then
		BT_WHY="tracepoint sock:sock_send_length not available (tracefs not mounted or kernel < 6.3)"
	fi
fi
NH_WHY=
command -v nethogs >/dev/null || NH_WHY="nethogs is not installed"

tool_start() {	# COND: start the tool of this condition; its pid in TOOL
	TOOL=
	case "$1" in
	netbpf) nb_start TOOL -d 1 ;;
	nethogs)
		# packet capture on the veth, text mode, 1 s refresh
		bg TOOL "${EXA[@]}" nethogs -t -d 1 "$VA" >"$T/nh.out" 2>&1
		sleep 1	# no ready line: give it time to open the capture
		kill -0 "$TOOL" 2>/dev/null || { sed 's/^/    /' "$T/nh.out" >&2; return 1; } ;;
	bpftrace)
		bg TOOL bpftrace "$BT_SCRIPT" >"$T/bt.out" 2>&1
		wait_line "$T/bt.out" "^ready" "$TOOL" ;;
	esac
}

CONDS="none netbpf"
[ -z "$NH_WHY" ] && CONDS="$CONDS nethogs"
[ -z "$BT_WHY" ] && CONDS="$CONDS bpftrace"
log "small-message TCP over the veth: $RT round trips of $MSG bytes, median of $PP_RUNS runs, $REPS repetitions of: $CONDS"
for rep in $(seq "$REPS"); do
	# rotate the order every repetition
	set -- $CONDS
	order=
	for _ in $(seq $(( (rep - 1) % $# ))); do set -- "$@" "$1"; shift; done
	order="$*"
	for cond in $order; do
		if ! tool_start "$cond"; then
			[ "$cond" = bpftrace ] && BT_WHY="bpftrace did not attach: $(head -c 300 "$T/bt.out" | tr '\n' ' ')"
			[ "$cond" = nethogs ] && NH_WHY="nethogs did not start: $(head -c 300 "$T/nh.out" | tr '\n' ' ')"
			[ -n "$TOOL" ] && stop "$TOOL"
			continue
		fi
		rec tcp_rr "${cond}_s" "$(pp_median)" "$rep"
		[ -n "$TOOL" ] && stop "$TOOL"
	done
done
fi

# ---- 3. bulk throughput: iperf3 with and without netbpf ----
if want bulk; then
log "bulk TCP throughput (iperf3, ${IPERF_S} s runs after 1 s omitted), $REPS runs each"
bg IPERF_SERVER "${EXB[@]}" "${PIN_S[@]}" iperf3 -s -B $AB -p $((PORT + 1)) >/dev/null 2>&1
sleep 0.3
iperf_run() {
	inA "${PIN_C[@]}" iperf3 -c $AB -p $((PORT + 1)) -t "$IPERF_S" -O 1 -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second // empty'
}
for rep in $(seq "$REPS"); do
	if [ $((rep % 2)) = 1 ]; then order="none netbpf"; else order="netbpf none"; fi
	for cond in $order; do
		TOOL=
		[ "$cond" = netbpf ] && { nb_start TOOL -d 1 || exit 1; }
		bps=$(iperf_run)
		[ -n "$TOOL" ] && stop "$TOOL"
		[ -n "$bps" ] && rec bulk "${cond}_bps" "$bps" "$rep"
	done
done
stop "$IPERF_SERVER"
fi

# ---- 4. netbpf's own CPU per interval and peak RSS, with N live processes ----
if want procs; then
WIN=4			# intervals per sample window
NWIN=$REPS
FRONTS=${BENCH_FRONTS:-trace serve}
log "netbpf's CPU per ${NB_D} s interval and peak RSS with $LEVELS live $([ "$HOLD" = flows ] && echo "flows (one process)" || echo processes), front ends: $FRONTS ($NWIN windows of $WIN intervals each)"
for front in $FRONTS; do
for lv in $LEVELS; do
	n=${lv%idle}
	ms=$HOLD_MS
	[ "$n" != "$lv" ] && ms=0	# NNNidle: live processes that moved once, then idle
	bg HOLDER "${EXA[@]}" "$NBB" hold "$HOLD" "$n" 127.0.0.1 $((PORT + 2)) $ms >"$T/hold.out" 2>/dev/null
	wait_line "$T/hold.out" ready "$HOLDER" || exit 1
	sleep 1	# every process has sent once
	front_start NB "$front" -d $NB_D "${NB_ARGS[@]}" || exit 1
	sleep $(awk -v d=$NB_D 'BEGIN { print 3 * d }')	# first intervals create the rows
	read -r c0 k0 < <(cpu_ns "$NB")
	for w in $(seq "$NWIN"); do
		sleep $(awk -v d=$NB_D -v w=$WIN 'BEGIN { print d * w }')
		read -r c1 k1 < <(cpu_ns "$NB")
		rec procs "${front}_${lv}_cpu_ms_per_interval" "$(awk -v a="$c0" -v b="$c1" -v w=$WIN 'BEGIN { printf "%.4f", (b - a) / 1e6 / w }')" "$w"
		rec procs "${front}_${lv}_ticks_per_interval" "$(awk -v a="$k0" -v b="$k1" -v w=$WIN 'BEGIN { printf "%.3f", (b - a) / w }')" "$w"
		c0=$c1 k0=$k1
	done
	rss=$(awk '/^VmHWM/ {print $2}' /proc/"$NB"/status)
	stop "$NB"
	stop "$HOLDER"
	rec procs "${front}_${lv}_vmhwm_kib" "$rss" 1
done
done
fi

# ---- 4b. churn: memory and idle CPU after 100,000 processes, 10,000
# cgroups and 100,000 flows came and went, against after the first 1,000 ----
if want churn; then
CHURN=${BENCH_CHURN:-100000}
CG2=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CGB=$CG2/nbbench$$
mkdir -p "$CGB"
rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
idle_ms_per_s() {	# PID: CPU ms per second over 4 s of no traffic
	local a b
	read -r a _ < <(cpu_ns "$1")
	sleep 4
	read -r b _ < <(cpu_ns "$1")
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 1e6 / 4 }'
}
log "churn: $CHURN processes in $((CHURN / 10)) cgroups, one flow each, through serve and top (-d $NB_D)"
for front in serve top; do
	if [ "$front" = serve ]; then
		front_start NB serve -d $NB_D || exit 1
	else
		command -v tmux >/dev/null || { log "churn: no tmux, top not measured"; continue; }
		tmux kill-session -t nbbench$$ 2>/dev/null
		tmux new-session -d -s nbbench$$ -x 160 -y 50 "$NETBPF top -d $NB_D"
		NB=
		for _ in $(seq 100); do
			NB=$(pgrep -f "^$NETBPF top -d $NB_D" | head -1)
			[ -n "$NB" ] && grep -q '^prog_id' /proc/"$NB"/fdinfo/* 2>/dev/null && break
			sleep 0.1
		done
		[ -n "$NB" ] || { log "churn: top did not start"; continue; }
		sleep 1
	fi
	# until every row of what ended is retired: a cgroup's row goes once
	# it has had no process at a check (every 10 s; the check of 10,000
	# removed cgroups is one stat each, some 25 ms, once), then at once
	# for serve; top also shows exited processes and cgroups 10 s
	settle=12
	[ "$front" = top ] && settle=32
	"$ROOT/.output/tests/nbgen" churn 127.0.0.1 $((PORT + 6)) 1000 1 100 "$CGB" >/dev/null
	sleep $settle
	rec churn "${front}_rss_after_1000_kib" "$(rss_kib "$NB")" 1
	rec churn "${front}_idle_ms_per_s_after_1000" "$(idle_ms_per_s "$NB")" 1
	"$ROOT/.output/tests/nbgen" churn 127.0.0.1 $((PORT + 6)) "$CHURN" 1 $((CHURN / 10)) "$CGB" >/dev/null
	sleep $settle
	rec churn "${front}_rss_after_kib" "$(rss_kib "$NB")" 1
	rec churn "${front}_idle_ms_per_s_after" "$(idle_ms_per_s "$NB")" 1
	rec churn "${front}_vmhwm_kib" "$(awk '/^VmHWM/ {print $2}' /proc/"$NB"/status)" 1
	if [ "$front" = serve ]; then
		stop "$NB"
	else
		tmux send-keys -t nbbench$$ q
		sleep 1
		tmux kill-session -t nbbench$$ 2>/dev/null
	fi
done
rmdir "$CGB"
fi

# ---- 5. start-up: exec to all hooks attached, against the floor loader ----
if want startup; then
log "start-up: exec to attached, netbpf against the floor loader, $REPS runs each"
for rep in $(seq "$REPS"); do
	if [ $((rep % 2)) = 1 ]; then order="floor netbpf"; else order="netbpf floor"; fi
	for cond in $order; do
		if [ "$cond" = netbpf ]; then
			s=$(inA "$NBB" launch "per-process hooks" 20 "$NETBPF" trace --json -v -d 1 | jq -r .seconds)
		else
			s=$(inA "$NBB" launch "floor: attached" 20 "$FLOOR" "$VA" lo | jq -r .seconds)
		fi
		[ -n "$s" ] && rec startup "${cond}_s" "$s" "$rep"
	done
done
fi

# ---- 6. kernel memory of the maps: this host, and QEMU with many CPUs ----
# Lines "WHERE views=V map ..." and "WHERE views=V total ..." of
# bench/mapmem.sh into $T/mapmem.txt; the QEMU figures come back on its
# console as "# mapmem views=V ..." (tests/kernel/mapmem.sh).
MM_QEMU_WHY=
if want mapmem; then
log "map memory: this host ($(nproc --all) CPUs), then QEMU with $MM_SMP CPUs on Debian's $MM_KERNEL"
for views in default "$MM_ALL"; do
	args=()
	[ "$views" = default ] || args=(--by "$views")
	NETBPF=$NETBPF bench/mapmem.sh -- "${args[@]}" 2>"$T/mm.err" | sed "s/^/host views=$views /" >>"$T/mapmem.txt"
	[ -s "$T/mm.err" ] && log "host, views $views: $(cat "$T/mm.err")"
done
NETBPF_KERNEL=$MM_KERNEL NETBPF_KERNEL_SMP=$MM_SMP NETBPF_KERNEL_GUEST_MODE=mapmem \
	tests/kernel/run.sh >"$T/mm.qemu" 2>&1
rc=$?
sed -n 's/^# mapmem /qemu /p' "$T/mm.qemu" >>"$T/mapmem.txt"
if [ "$rc" -ne 0 ]; then
	MM_QEMU_WHY=$(grep -E '^(FAIL|SKIP) ' "$T/mm.qemu" | head -1)
	MM_QEMU_WHY=${MM_QEMU_WHY:-tests/kernel/run.sh exited $rc}
	log "QEMU: $MM_QEMU_WHY"
fi
fi
# [{where, views, total: {maps, memlock, mib, cpus, kernel}, maps: [{name, type, max_entries, key, value, memlock}]}]
MAPMEM=$(jq -R -s '
	def kv: map(split("=") | { (.[0]): (.[1:] | join("=") | tonumber? // .) }) | add;
	[ split("\n")[] | select(length > 0) | split(" ")
	  | { where: .[0], views: (.[1] | ltrimstr("views=")), kind: .[2], rest: .[3:] } ]
	| group_by([.where, .views]) | map({ where: .[0].where, views: .[0].views,
		total: ([ .[] | select(.kind == "total") | .rest | kv ][0]),
		maps: [ .[] | select(.kind == "map") | { name: .rest[0], type: .rest[1] } + (.rest[2:] | kv) ] })
	| sort_by(.where != "host", .total.cpus, .views != "default")' "$T/mapmem.txt" 2>/dev/null) || MAPMEM='[]'

stop "$PP_SERVER"
T_END=$(date +%s.%N)

# ---- summary: median, min-max, IQR per figure; ratios per repetition ----
summary=$(jq -s --argjson mapmem "${MAPMEM:-[]}" --arg mm_why "$MM_QEMU_WHY" --arg reps "$REPS" --arg bt_why "$BT_WHY" --arg nh_why "$NH_WHY" \
	--arg kernel "$(uname -r)" --arg levels "$LEVELS" --argjson rt "$RT" --argjson msg $MSG --argjson nb_d $NB_D --arg hold "$HOLD" --arg nb_args "${NB_ARGS[*]}" \
	--argjson secs "$(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.1f", b - a }')" \
	--arg fronts "${FRONTS:-trace serve}" --arg churn "${CHURN:-0}" \
	--arg nproc "$(nproc)" --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
	def q(p): sort | .[((length - 1) * p | floor)] as $lo | .[((length - 1) * p | ceil)] as $hi | ($lo + $hi) / 2;
	def st: if length == 0 then null else { n: length, median: q(0.5), min: min, max: max, q1: q(0.25), q3: q(0.75) } end;
	def div(a; b): if a == null or b == null or b == 0 then null else a / b end;
	def vals(s; n): [.[] | select(.section == s and .name == n) | .value];
	# per-repetition ratio of two figures of one section
	def ratio(s; a; b): [ (map(select(.section == s and .name == a)) | INDEX(.rep | tostring)) as $x
		| .[] | select(.section == s and .name == b and ($x[.rep | tostring] != null) and .value > 0)
		| $x[.rep | tostring].value / .value ];
	def evsec(sec): . as $raw | [ "send", "recv", "tcp_read", "tcp_state", "tc_ingress", "tc_egress", "total" ]
		| map(select(. as $h | $raw | any(.[]; .section == sec and .name == "\($h)_ratio"))) | map(. as $h | { key: $h, value: {
		netbpf_ns: ($raw | vals(sec; "\($h)_netbpf_ns") | st),
		floor_ns: ($raw | vals(sec; "\($h)_floor_ns") | st),
		events_per_run: ($raw | vals(sec; "\($h)_events") | st),
		ratio: ($raw | vals(sec; "\($h)_ratio") | st) } }) | from_entries;
	def one(s; n): (vals(s; n) | .[0]);
	. as $raw |
	{
	  machine: { kernel: $kernel, cpus: ($nproc | tonumber), when: $when, bench_seconds: $secs },
	  repetitions: ($reps | tonumber),
	  event: evsec("event"),
	  event_top: evsec("event_top"),
	  event_hosts: evsec("event_hosts"),
	  tcp_rr: { round_trips: $rt, message_bytes: $msg,
		none_s: (vals("tcp_rr"; "none_s") | st),
		netbpf_s: (vals("tcp_rr"; "netbpf_s") | st),
		nethogs_s: (if $nh_why == "" then (vals("tcp_rr"; "nethogs_s") | st) else null end),
		bpftrace_s: (if $bt_why == "" then (vals("tcp_rr"; "bpftrace_s") | st) else null end),
		netbpf_ratio: (ratio("tcp_rr"; "netbpf_s"; "none_s") | st),
		nethogs_ratio: (if $nh_why == "" then (ratio("tcp_rr"; "nethogs_s"; "none_s") | st) else { na: $nh_why } end),
		bpftrace_ratio: (if $bt_why == "" then (ratio("tcp_rr"; "bpftrace_s"; "none_s") | st) else { na: $bt_why } end) },
	  bulk: { none_bps: (vals("bulk"; "none_bps") | st), netbpf_bps: (vals("bulk"; "netbpf_bps") | st),
		ratio: (ratio("bulk"; "netbpf_bps"; "none_bps") | st) },
	  userspace: { interval_s: $nb_d, hold: $hold, netbpf_args: $nb_args, fronts: ($fronts | split(" ") | map(select(. != "")) | map(. as $f | { key: $f, value: (
		$levels | split(" ") | map(select(. != "")) | map(. as $n | { key: $n, value: {
		cpu_ms_per_interval: ($raw | vals("procs"; "\($f)_\($n)_cpu_ms_per_interval") | st),
		ticks_per_interval: ($raw | vals("procs"; "\($f)_\($n)_ticks_per_interval") | st),
		vmhwm_kib: ($raw | vals("procs"; "\($f)_\($n)_vmhwm_kib") | .[0]) } }) | from_entries) }) | from_entries) },
	  churn: { processes: ($churn | tonumber), fronts: ([ "serve", "top" ] | map(. as $f | { key: $f, value: {
		rss_after_1000_kib: ($raw | one("churn"; "\($f)_rss_after_1000_kib")),
		rss_after_kib: ($raw | one("churn"; "\($f)_rss_after_kib")),
		idle_ms_per_s_after_1000: ($raw | one("churn"; "\($f)_idle_ms_per_s_after_1000")),
		idle_ms_per_s_after: ($raw | one("churn"; "\($f)_idle_ms_per_s_after")),
		vmhwm_kib: ($raw | one("churn"; "\($f)_vmhwm_kib")) } }) | from_entries) },
	  startup: { netbpf_s: (vals("startup"; "netbpf_s") | st), floor_s: (vals("startup"; "floor_s") | st),
		ratio: (ratio("startup"; "netbpf_s"; "floor_s") | st) },
	  mapmem: { runs: $mapmem, qemu_na: (if $mm_why == "" then null else $mm_why end) }
	}
	' "$RAW") || die "summary failed"
echo "$summary" >"$OUT"

# ---- the table ----
jq -r '
	def f(x; d): if x == null then "n/a" else (x * pow(10; d) | round / pow(10; d) | tostring) end;
	def mm(s; d): "\(f(s.median; d))  [\(f(s.min; d))-\(f(s.max; d))]";
	def mq(s; d): "\(mm(s; d))  IQR \(f(s.q1; d))-\(f(s.q3; d))";
	"netbpf benchmarks: kernel \(.machine.kernel), \(.machine.cpus) CPUs, \(.repetitions) repetitions, \(.machine.when)",
	"median [min-max] (and IQR) over the repetitions; ratios taken per repetition, side by side",
	"",
	def evtable(e; title): "per-event cost, \(title) (kernel.bpf_stats_enabled: run_time_ns / run_cnt), netbpf against an empty program",
	"  hook               netbpf ns            floor ns             ratio                events/run",
	((e // {}) | to_entries[] | "  \(.key | . + " " * (18 - length)) \(mm(.value.netbpf_ns; 1) | . + " " * (20 - length)) \(mm(.value.floor_ns; 1) | . + " " * (20 - length)) \(mm(.value.ratio; 2) | . + " " * (20 - length)) \(f(.value.events_per_run.median; 0))"),
	"";
	evtable(.event; "trace (processes, interfaces)"),
	evtable(.event_top; "top and serve (--by process,flow,cgroup,iface,total)"),
	evtable(.event_hosts; "host pairs on (--by iface,host,total): TC rows: the classifier with the host pair map"),
	"small-message TCP over a veth (\(.tcp_rr.round_trips) round trips of \(.tcp_rr.message_bytes) B): time with / time without",
	"  none      \(mm(.tcp_rr.none_s; 3)) s",
	"  netbpf    \(mq(.tcp_rr.netbpf_ratio; 3))",
	"  nethogs   \(if .tcp_rr.nethogs_ratio.na then "n/a: " + .tcp_rr.nethogs_ratio.na else mq(.tcp_rr.nethogs_ratio; 3) end)",
	"  bpftrace  \(if .tcp_rr.bpftrace_ratio.na then "n/a: " + .tcp_rr.bpftrace_ratio.na else mq(.tcp_rr.bpftrace_ratio; 3) end)",
	"",
	"bulk TCP (iperf3 over a veth): throughput with netbpf / without",
	"  without   \(mm(.bulk.none_bps // {} | with_entries(.value |= (if type == "number" then . / 1e9 else . end)); 2)) Gbit/s",
	"  ratio     \(mq(.bulk.ratio; 3))",
	"",
	"netbpf userspace (-d \(.userspace.interval_s)\(if (.userspace.netbpf_args // "") != "" then " " + .userspace.netbpf_args else "" end)) with N live \(if .userspace.hold == "flows" then "flows (one process)" else "processes" end) (Nidle: they moved once, then nothing)",
	"  front  N            CPU ms/interval          % of a core   peak RSS (VmHWM)",
	(.userspace.interval_s as $d | (.userspace.fronts // {}) | to_entries[] | .key as $f | .value | to_entries[] | "  \($f | . + " " * (6 - length)) \(.key | . + " " * (12 - length)) \(mm(.value.cpu_ms_per_interval; 3) | . + " " * (24 - length)) \(f(if .value.cpu_ms_per_interval then .value.cpu_ms_per_interval.median / ($d * 1000) * 100 else null end; 3) | . + " " * (13 - length)) \(f(.value.vmhwm_kib; 0)) KiB"),
	"",
	"churn: \(.churn.processes) processes in \(.churn.processes / 10) cgroups (one flow each) came and went; after the first 1,000 -> after all",
	"  front  RSS KiB            idle CPU ms/s       peak RSS KiB",
	((.churn.fronts // {}) | to_entries[] | select(.value.rss_after_kib != null) | "  \(.key | . + " " * (6 - length)) \("\(f(.value.rss_after_1000_kib; 0)) -> \(f(.value.rss_after_kib; 0))" | . + " " * (18 - length)) \("\(f(.value.idle_ms_per_s_after_1000; 2)) -> \(f(.value.idle_ms_per_s_after; 2))" | . + " " * (19 - length)) \(f(.value.vmhwm_kib; 0))"),
	"",
	"start-up (exec to all hooks attached): netbpf / the floor loader (empty programs, same hooks)",
	"  netbpf    \(mm(.startup.netbpf_s; 4)) s",
	"  floor     \(mm(.startup.floor_s; 4)) s",
	"  ratio     \(mq(.startup.ratio; 2))",
	"",
	(.mapmem.runs as $r | if ($r | length) == 0 then empty else
	  ($r | map("\(.where) \(.total.cpus) CPUs")) as $h |
	  ($r | map(if .views == "default" then "default" else "all" end)) as $v |
	  ([$r[].maps[] | { name, type }] | unique_by(.name)
	   | sort_by(.name as $n | [$r[].maps[] | select(.name == $n) | .memlock] | -max)) as $names |
	  def mib(x): if x == null then "-" else x / 1048576 * 100 | round
		| "\(. / 100 | floor).\(. % 100 | tostring | if length < 2 then "0" + . else . end)" end;
	  def col(s): s + " " * ([16 - (s | length), 1] | max);
	  "kernel memory of the maps of netbpf (memlock: of each map fd in /proc/PID/fdinfo), MiB;",
	  "views: default = the default of trace, all = --by \($r | map(select(.views != "default")) | .[0].views // "all")",
	  "  \(col("")) \(col(""))\($h | map(col(.)) | join(""))",
	  "  \(col("map")) \(col("type"))\($v | map(col(.)) | join(""))",
	  ($names[] as $m | "  \(col($m.name)) \(col($m.type))\($r | map(col(mib([.maps[] | select(.name == $m.name) | .memlock][0]))) | join(""))"),
	  "  \(col("total")) \(col(""))\($r | map(col(mib(.total.memlock)))  | join(""))",
	  "  kernels: \($r | map("\(.where) \(.total.kernel)") | unique | join(", "))",
	  "" end),
	(if .mapmem.qemu_na then "  QEMU n/a: \(.mapmem.qemu_na)", "" else empty end),
	"bench took \(.machine.bench_seconds) s; JSON: .output/bench.json"
' "$OUT"
