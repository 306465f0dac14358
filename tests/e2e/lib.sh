# shellcheck shell=bash
# Helpers for netbpf's end-to-end tests: throwaway namespaces, the traffic
# generator, netbpf in the background, and checks that print PASS/FAIL.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NETBPF=$ROOT/netbpf
NBGEN=$ROOT/.output/tests/nbgen
T=$(mktemp -d /tmp/netbpf-test.XXXXXX)
NSA=nbA$$
NSB=nbB$$
NB_PID=
CLEANUPS=()

cleanup() {
	local i
	[ -n "$NB_PID" ] && kill -KILL "$NB_PID" 2>/dev/null
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# CHECK_PREFIX: put before every check's name (a script run again in
# another configuration, e.g. sock_slots.sh running paths.sh)
pass() { echo "PASS ${CHECK_PREFIX:-}$1"; }
fail() { echo "FAIL ${CHECK_PREFIX:-}$1: $2"; }
skip() { echo "SKIP ${CHECK_PREFIX:-}$1: $2"; }

# check NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# Root and BPF are needed by every e2e test: skip (not pass) without them.
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "${1:-all}" "needs root"
		exit 0
	fi
	if [ ! -x "$NETBPF" ] || [ ! -x "$NBGEN" ]; then
		fail "${1:-all}" "build first: make test"
		exit 1
	fi
}

# Two namespaces joined by a veth pair: A 10.77.0.1 fd77::1, B 10.77.0.2 fd77::2
netns_up() {
	ip netns add "$NSA" && CLEANUPS+=("ip netns del $NSA")
	ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
	ip link add "va$$" netns "$NSA" type veth peer name "vb$$" netns "$NSB" || return 1
	ip -n "$NSA" addr add 10.77.0.1/24 dev "va$$"
	ip -n "$NSB" addr add 10.77.0.2/24 dev "vb$$"
	ip -n "$NSA" addr add fd77::1/64 dev "va$$" nodad
	ip -n "$NSB" addr add fd77::2/64 dev "vb$$" nodad
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NSA" link set "va$$" up
	ip -n "$NSB" link set "vb$$" up
}

# Start netbpf trace --json in the background with extra arguments; wait
# until its hooks are attached. NETBPF_TEST_BACKEND=fentry (or kprobe, ...)
# forces a hook family (tests/kernel/guest.sh runs the tests once per rung);
# NETBPF_TEST_START_S bounds the wait (default 10 s; slower under QEMU).
nb_start() {
	# a started netbpf's own lines only: the shell may truncate the file
	# after the first look below, which must not find the last run's
	rm -f "$T/nb.json" "$T/nb.err"
	"$NETBPF" trace --json -v -d 0.2 ${NETBPF_TEST_BACKEND:+--backend "$NETBPF_TEST_BACKEND"} \
		"$@" >"$T/nb.json" 2>"$T/nb.err" &
	NB_PID=$!
	for _ in $(seq $((${NETBPF_TEST_START_S:-10} * 10))); do
		grep -q "per-process hooks" "$T/nb.err" 2>/dev/null && return 0
		kill -0 "$NB_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "netbpf did not start:" >&2
	cat "$T/nb.err" >&2
	return 1
}

# Stop it as a user would (SIGINT); its exit status goes to NB_RC.
nb_stop() {
	kill -INT "$NB_PID"
	wait "$NB_PID"
	NB_RC=$?
	NB_PID=
}

# summary_field PID FIELD: a field of the summary row of that process
summary_field() {
	jq -r --argjson pid "$1" "select(.summary == true and .type == \"process\" and .pid == \$pid) | .$2" "$T/nb.json" | head -1
}

# gen_field FILE FIELD: a field of nbgen's report in FILE
gen_field() {
	jq -r ".$2" "$1" | head -1
}

# Compare netbpf's summary for the generator whose report is in FILE.
# (Two jq runs, not five: jq takes half a second to start under QEMU.)
# pair_start ADDR PORT CONNS SEND GO: nbgen pair-server and pair-client
# (CONNS connections, each read by two threads; SEND bytes each once the
# file GO exists), their lines in $T/srv and $T/cli, their pids in SRV and
# CLI; returns once the server has accepted them all.
pair_start() {
	"$NBGEN" pair-server "$1" "$2" "$3" >"$T/srv" 2>"$T/srv.err" &
	SRV=$!
	CLEANUPS+=("kill $SRV")
	"$NBGEN" pair-client "$1" "$2" "$3" "$4" "$5" >"$T/cli" &
	CLI=$!
	CLEANUPS+=("kill $CLI")
	for _ in $(seq 100); do grep -q ready "$T/srv.err" && break; sleep 0.1; done
}

check_gen() {	# NAME FILE
	local name=$1 f=$2 pid sent recv tx rx
	read -r pid sent recv < <(jq -r '"\(.pid) \(.sent) \(.received)"' "$f" 2>/dev/null | head -1)
	if [ -z "${pid:-}" ] || [ "$pid" = null ]; then
		fail "$name" "the generator reported nothing: $(cat "$f")"
		return
	fi
	read -r tx rx < <(jq -r --argjson pid "$pid" \
		'select(.summary == true and .type == "process" and .pid == $pid) | "\(.tx_bytes) \(.rx_bytes)"' \
		"$T/nb.json" | head -1)
	check_eq "$name tx_bytes" "$sent" "${tx:-}"
	check_eq "$name rx_bytes" "$recv" "${rx:-}"
}

# podman_image NAME IMG: a local image IMG for the container tests, made
# with podman import from a root filesystem of static busybox, nbgen and
# the libraries nbgen needs (no image is pulled). Returns 0, or prints the
# NA line saying why containers cannot run here and returns 1.
podman_image() {
	local name=$1 img=$2 bb r lib
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
		echo "NA $name: podman or runc is not installed (hint: scripts/deps.sh test)"
		return 1
	fi
	bb=$(command -v busybox)
	if [ -z "$bb" ] || ! ldd "$bb" 2>&1 | grep -q "not a dynamic"; then
		echo "NA $name: no static busybox (hint: apt-get install busybox-static)"
		return 1
	fi
	r=$T/rootfs
	mkdir -p "$r/bin" "$r/tmp"
	cp "$bb" "$r/bin/busybox"
	for a in sh sleep true; do ln -s busybox "$r/bin/$a"; done
	cp "$NBGEN" "$r/nbgen"
	for lib in $(ldd "$NBGEN" | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	tar -C "$r" -cf "$T/rootfs.tar" .
	if ! podman import "$T/rootfs.tar" "$img" >"$T/import.out" 2>&1; then
		echo "NA $name: podman import failed: $(tail -1 "$T/import.out")"
		return 1
	fi
	CLEANUPS+=("podman rmi -f $img")
}
