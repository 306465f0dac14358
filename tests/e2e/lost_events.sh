#!/bin/bash
# Events the kernel skipped: a tracing program is not run when its hook
# fires again on a CPU where it is already running (recursion_misses in
# bpf_prog_info). Forced here: on one CPU, a process changes TCP states
# without a pause (listen, close: inet_sock_set_state in process context)
# while connects to an address that drops them time out in the timer
# softirq (inet_sock_set_state again, from the interrupt that came while
# netbpf's program ran). The kernel's own count, bpftool's for each
# program netbpf holds, is the truth: trace (warning and JSON
# total), serve (netbpf_lost_events_total), top (header) and doctor must
# each show exactly their own programs' count, and it must not be 0.
. "$(dirname "$0")/lib.sh"
require_root lost_events
for c in bpftool tmux curl taskset setpriv; do
	command -v "$c" >/dev/null || { fail lost_events "$c is missing (hint: make test installs it)"; exit 1; }
done

NS=nbL$$
PORT=$((7300 + $$ % 200))
CPU=$(($(nproc) - 1))
ip netns add "$NS" && CLEANUPS+=("ip netns del $NS")
# la is up, its peer lb down: what la sends is dropped, the SYNs time out
ip -n "$NS" link add "la$$" type veth peer name "lb$$"
ip -n "$NS" link set lo up
ip -n "$NS" link set "la$$" up
ip -n "$NS" addr add 10.78.0.1/24 dev "la$$"
ip -n "$NS" neigh add 10.78.0.2 lladdr 02:00:00:00:00:02 dev "la$$" nud permanent

# prog_json PID: bpftool's view of each BPF program it holds (once each:
# its link's fdinfo names the program too)
prog_json() {
	local id
	for id in $(awk '/^prog_id:/ { print $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u); do
		bpftool prog show id "$id" --json 2>/dev/null
	done
}
# kernel_misses PID [NAME]: the sum of recursion_misses over its programs
# (named NAME)
kernel_misses() {
	prog_json "$1" | jq -rs --arg n "${2:-}" '[.[] | select($n == "" or .name == $n) | .recursion_misses // 0] | add // 0'
}
# settled NAME CMD...: CMD prints "netbpf's figure kernel's figure"; pass
# when they are equal (an event of the host's own may land between the two
# reads: three tries, an interval apart)
settled() {
	local name=$1 got i a= b=
	shift
	for i in 1 2 3; do
		got=$("$@")
		read -r a b <<<"$got"
		[ -n "$a" ] && [ "$a" = "$b" ] && { pass "$name ($a)"; return; }
		sleep 1
	done
	fail "$name" "netbpf says '${a:-}', the kernel '${b:-}'"
}

# the three front ends, each with its own programs
nb_start
TRACE=$NB_PID
# inet_sock_set_state is hooked on the tracepoint rung only (its TCP reads)
if ! grep -q "per-process hooks: tracepoint;" "$T/nb.err"; then
	echo "NA lost_events: the forced skips need the tracepoint rung (Linux 6.3+): $(grep 'per-process hooks' "$T/nb.err")"
	exit 0
fi
"$NETBPF" serve -d 0.2 --listen "127.0.0.1:$PORT" 2>"$T/serve.err" &
SERVE=$!
CLEANUPS+=("kill -KILL $SERVE")
TM=(tmux -L "nblost$$" -f /dev/null)
CLEANUPS+=("tmux -L nblost$$ kill-server")
"${TM[@]}" new-session -d -s top -x 220 -y 40 "'$NETBPF' top -d 0.2 2>'$T/top.err'; sleep 60"
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null && break
	sleep 0.2
done
for _ in $(seq 50); do
	TOP=$(pgrep -n -P "$("${TM[@]}" display -p -t top '#{pane_pid}')" -x netbpf)
	[ -n "$TOP" ] && grep -q "hooks" <("${TM[@]}" capture-pane -p -t top) && break
	sleep 0.2
done

ip netns exec "$NS" taskset -c "$CPU" "$NBGEN" state-churn 10.78.0.2 9 10 2000 >"$T/gen" 2>"$T/gen.err" ||
	fail "state-churn ran" "$(cat "$T/gen.err")"
sleep 1.5	# a poll or more after the last skipped run

k=$(kernel_misses "$TRACE")
if [ "$k" -gt 0 ]; then
	pass "the kernel skipped runs of netbpf's programs ($k; $(jq -r '"\(.sent) listens, \(.received) connects"' "$T/gen"))"
else
	fail "the kernel skipped runs of netbpf's programs" "none: the load did not force any ($(cat "$T/gen"))"
fi
check_eq "they are runs of tp_tcp_state (inet_sock_set_state)" "$k" "$(kernel_misses "$TRACE" tp_tcp_state)"

trace_json() { jq -r 'select(.type == "total") | .lost_events' "$T/nb.json" | tail -1; }
trace_warn() { sed -n 's/^netbpf: warning: [0-9]* updates lost (0: a map was full; \([0-9]*\): events the kernel skipped).*/\1/p' "$T/nb.err" | tail -1; }
settled "trace: the JSON total row's lost_events" eval 'echo "$(trace_json) $(kernel_misses "$TRACE")"'
settled "trace: the warning line" eval 'echo "$(trace_warn) $(kernel_misses "$TRACE")"'
grep -q "^netbpf: warning: .*events the kernel skipped) (hint: the kernel skips a hook's program" "$T/nb.err" &&
	pass "trace: the warning's hint is about skipped runs" || fail "trace: the warning's hint" "$(tail -1 "$T/nb.err")"

serve_sum() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^netbpf_lost_events_total\{/ { s += $2 } END { print s + 0 }'; }
serve_prog() { curl -sf "http://127.0.0.1:$PORT/metrics" | sed -n 's/^netbpf_lost_events_total{program="tp_tcp_state"} \([0-9]*\)$/\1/p'; }
settled "serve: netbpf_lost_events_total, summed" eval 'echo "$(serve_sum) $(kernel_misses "$SERVE")"'
settled "serve: netbpf_lost_events_total{program=\"tp_tcp_state\"}" eval 'echo "$(serve_prog) $(kernel_misses "$SERVE" tp_tcp_state)"'

top_header() { "${TM[@]}" capture-pane -p -t top | sed -n 's/.* updates lost (0 map full, \([0-9]*\) skipped).*/\1/p' | head -1; }
settled "top: the header's skipped updates" eval 'echo "$(top_header) $(kernel_misses "$TOP")"'

doctor_of() { "$NETBPF" doctor --json 2>/dev/null | jq -r --argjson p "$1" '.running[] | select(.pid == $p) | .lost_events'; }
for fe in TRACE SERVE TOP; do
	pid=${!fe}
	settled "doctor: the lost events of the running $fe" eval 'echo "$(doctor_of "$pid") $(kernel_misses "$pid")"'
done

# another user cannot read netbpf's programs: doctor says so, not "none"
check_eq "doctor as another user: the running trace listed, not readable" false \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NETBPF" doctor --json 2>/dev/null |
		jq -r --argjson p "$TRACE" '.running[] | select(.pid == $p) | .readable')"

# at exit: top says it once more, on stderr
"${TM[@]}" send-keys -t top q
for _ in $(seq 50); do kill -0 "$TOP" 2>/dev/null || break; sleep 0.1; done
grep -q "^netbpf: warning: [0-9]* updates lost (0: a map was full; [1-9][0-9]*: events the kernel skipped)" "$T/top.err" &&
	pass "top: the warning at exit" || fail "top: the warning at exit" "$(cat "$T/top.err")"
kill -INT "$SERVE"
wait "$SERVE"
check_eq "serve: exit 0" 0 $?
nb_stop
check_eq "trace: exit 0" 0 "$NB_RC"
