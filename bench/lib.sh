#!/bin/bash
# Helpers shared by bench/run.sh and bench/ab.sh, sourced. The caller keeps
# the pids it started in the array PIDS.

# bg VAR CMD...: start CMD in the background, its pid in VAR (ip netns exec
# execs, so the pid is the command's own)
bg() {
	local var=$1
	shift
	"$@" &
	PIDS+=($!)
	printf -v "$var" '%s' $!
}

# stop PID: SIGINT, then wait (SIGKILL after 5 s)
stop() {
	local i
	kill -INT "$1" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wait_line FILE PATTERN PID: until FILE holds PATTERN (10 s at most)
wait_line() {
	local i
	for i in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: '$2' never came; $1:" >&2
	sed 's/^/    /' "$1" >&2
	return 1
}

# kill_started: every process bg started, at once (cleanup on exit)
kill_started() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# prog_ids PID: the ids of the BPF programs the process holds, a line each
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u
}

# prog_stats PID...: JSON {name: {ns, cnt}} for the programs those processes hold
prog_stats() {
	local ids p
	ids=$(for p in "$@"; do prog_ids "$p"; done | paste -sd, -)
	bpftool prog show -j | jq -c --argjson ids "[${ids}]" \
		'[.[] | select(.id as $i | $ids | index($i)) | {key: .name, value: {ns: (.run_time_ns // 0), cnt: (.run_cnt // 0)}}] | from_entries'
}
