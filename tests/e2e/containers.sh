#!/bin/bash
# Real containers with podman and runc (cgroupfs driver: PID 1 need not be
# systemd), from a local image imported from a busybox-static root
# filesystem with nbgen in it (no image pulls). Three containers stay up,
# three (run with --rm) exit right after moving their bytes: every one
# must show its podman name, its short id, its cgroup path and its exact
# bytes in the cgroup rows of trace --json, and its process row the same
# names. Traffic goes to 127.0.0.1 only (--network host).
. "$(dirname "$0")/lib.sh"
require_root containers
IMG=localhost/nbtest$$:latest
RUN=(podman run --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096
	--network host)
PORT=7620

podman_image containers "$IMG" || exit 0
if ! "${RUN[@]}" --rm "$IMG" true >"$T/probe.out" 2>&1; then
	echo "NA containers: podman cannot run a container here: $(tail -1 "$T/probe.out")"
	exit 0
fi

nb_start --by process,cgroup
# and top, on a terminal, in its Cgroups view, at the same time
TM=(tmux -u -L "nbct$$" -f /dev/null)
CLEANUPS+=("tmux -L nbct$$ kill-server")
TOP_OK=
if command -v tmux >/dev/null; then
	"${TM[@]}" new-session -d -s top -x 160 -y 40 "'$NETBPF' top --by cgroup -d 0.5; sleep 600" && TOP_OK=1
fi
names=()
for i in 0 1 2 3 4 5; do
	# distinct sizes, so that no row can pass for another
	send=$((100000 + i * 1111))
	reply=$((300000 + i * 7777))
	"$NBGEN" tcp-server 127.0.0.1 $((PORT + i)) "$reply" 1 >"$T/srv$i" &
	echo "$!" >"$T/srvpid$i"
	echo "$send $reply" >"$T/want$i"
done
sleep 0.3
for i in 0 1 2; do
	n="nbt$$-long-$i"
	names+=("$n")
	CLEANUPS+=("podman rm -f -t 0 $n")
	read -r send reply <"$T/want$i"
	"${RUN[@]}" -d --name "$n" --cidfile "$T/cid$i" "$IMG" \
		sh -c "/nbgen tcp-client 127.0.0.1 $((PORT + i)) $send; exec sleep 600" >/dev/null 2>"$T/run$i.err" ||
		fail "podman run $n" "$(tail -1 "$T/run$i.err")"
done
for i in 3 4 5; do
	n="nbt$$-brief-$i"
	names+=("$n")
	CLEANUPS+=("podman rm -f -t 0 $n")
	read -r send reply <"$T/want$i"
	"${RUN[@]}" --rm --name "$n" --cidfile "$T/cid$i" "$IMG" \
		/nbgen tcp-client 127.0.0.1 $((PORT + i)) "$send" >"$T/cli$i" 2>"$T/run$i.err" ||
		fail "podman run $n" "$(tail -1 "$T/run$i.err")"
done
for i in 0 1 2 3 4 5; do
	wait "$(cat "$T/srvpid$i")"
done
sleep 0.6
# top's screen: every container's name in the Cgroups view (the ones that
# exited stay there for a while, marked gone)
if [ -n "$TOP_OK" ]; then
	for i in 0 1 2 3 4 5; do
		n=${names[i]}
		read -r send reply <"$T/want$i"
		# its sent and received totals as top prints them (KiB, one decimal)
		want=$(awk -v s="$send" -v r="$reply" 'BEGIN { printf "%.1f KiB +%.1f KiB", s / 1024, r / 1024 }')
		seen=
		for _ in $(seq 50); do
			"${TM[@]}" capture-pane -p -t top >"$T/screen" 2>/dev/null
			grep -F -- "$n" "$T/screen" | grep -qE -- "$want" && { seen=1; break; }
			sleep 0.2
		done
		[ -n "$seen" ] && pass "top's Cgroups view: $n with its totals ($want)" ||
			fail "top's Cgroups view: $n with its totals ($want)" "$(grep -F -- "$n" "$T/screen" || head -12 "$T/screen" | tr '\n' '|')"
	done
	"${TM[@]}" send-keys -t top q
else
	fail "top's Cgroups view" "no tmux (hint: scripts/deps.sh test)"
fi
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"

for i in 0 1 2 3 4 5; do
	n=${names[i]}
	id=$(cat "$T/cid$i" 2>/dev/null)
	read -r send reply <"$T/want$i"
	row=$(jq -r --arg n "$n" 'select(.summary and .type == "cgroup" and .container_name == $n)
		| "\(.tx_bytes) \(.rx_bytes) \(.container) \(.cgroup) \(.pod)|\(.namespace)"' "$T/nb.json" | head -2 | xargs)
	check_eq "$n: cgroup row with its name, id, path and exact bytes" \
		"$send $reply ${id:0:12} /libpod_parent/libpod-$id |" "$row"
	check_eq "$n: its process row" "nbgen ${id:0:12} $send $reply" \
		"$(jq -r --arg n "$n" 'select(.summary and .type == "process" and .container_name == $n)
		| "\(.comm) \(.container) \(.tx_bytes) \(.rx_bytes)"' "$T/nb.json" | head -2 | xargs)"
done
# what the servers saw: the same bytes, so netbpf's numbers are the real ones
for i in 0 1 2 3 4 5; do
	read -r send reply <"$T/want$i"
	check_eq "server $i moved the bytes it was asked to" "$reply $send" \
		"$(jq -r '"\(.sent) \(.received)"' "$T/srv$i" | head -1)"
done

# --container NAME and --container ID: only that container's processes
# are counted (the --cgroup filter, in the kernel)
for which in name id; do
	if [ $which = name ]; then want=${names[0]}; else want=$(head -c 12 "$T/cid0"); fi
	nb_start --by process,cgroup --container "$want"
	"$NBGEN" tcp-server 127.0.0.1 $((PORT + 6)) 4321 1 >/dev/null &
	s1=$!
	"$NBGEN" tcp-server 127.0.0.1 $((PORT + 7)) 8765 1 >/dev/null &
	s2=$!
	sleep 0.3
	podman exec "${names[0]}" /nbgen tcp-client 127.0.0.1 $((PORT + 6)) 1234 >/dev/null
	podman exec "${names[1]}" /nbgen tcp-client 127.0.0.1 $((PORT + 7)) 5678 >/dev/null
	wait "$s1" "$s2"
	sleep 0.6
	nb_stop
	check_eq "--container $which: only that container's row, its exact bytes" \
		"1234 4321 ${names[0]}" \
		"$(jq -r 'select(.summary and .type == "cgroup") | "\(.tx_bytes) \(.rx_bytes) \(.container_name)"' "$T/nb.json" | xargs)"
done
check_eq "--container that does not exist: exit 2" 2 \
	"$("$NETBPF" trace --container "nbt$$-nosuch" -n 1 >/dev/null 2>&1; echo $?)"
