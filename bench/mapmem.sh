#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Kernel memory of the BPF maps a process holds: for every map file
# descriptor in /proc/PID/fdinfo, the kernel's own "memlock:" figure (from
# Linux 6.4 the map's measured memory use, before that the kernel's
# estimate from its sizes; per-CPU maps count once per possible CPU), with
# the map's name, type and sizes. Maps are found by what the process holds
# (map_id in fdinfo), never by name: whatever maps netbpf has, they count.
#
#   bench/mapmem.sh PID            the maps that process holds
#   bench/mapmem.sh -- [ARGS...]   start "netbpf trace -v ARGS" (its output
#                                  thrown away), wait until its hooks are
#                                  attached, measure, stop it with SIGINT
#
# Output, one line per map (largest first), then one total line:
#   map NAME TYPE max_entries=N key=K value=V memlock=BYTES
#   total maps=N memlock=BYTES mib=X.X cpus=N kernel=RELEASE
# Environment: NETBPF (default: the netbpf of this tree), NETBPF_MAPMEM_START_S
# (how long to wait for the hooks, default 120: slow under QEMU with many
# CPUs). Needs root (another process's fdinfo, bpftool for the names).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NETBPF=${NETBPF:-$ROOT/netbpf}
START_S=${NETBPF_MAPMEM_START_S:-120}

die() { echo "mapmem: $*" >&2; exit 1; }

# measure PID: the lines above
measure() {
	local pid=$1 fd info names
	[ -d "/proc/$pid/fdinfo" ] || die "no process $pid"
	# "id memlock map_type max_entries key_size value_size" per map, once each
	info=$(for fd in /proc/"$pid"/fdinfo/*; do
		awk '$1 == "map_id:" { id = $2 } $1 == "memlock:" { ml = $2 }
		     $1 == "map_type:" { t = $2 } $1 == "max_entries:" { n = $2 }
		     $1 == "key_size:" { k = $2 } $1 == "value_size:" { v = $2 }
		     END { if (id != "" && ml != "") print id, ml, t, n, k, v }' "$fd" 2>/dev/null
	done | sort -un -k1,1)
	[ -n "$info" ] || die "process $pid holds no BPF map"
	# names and type names from bpftool, one run for all maps: "id name type"
	names=$(bpftool -j map show 2>/dev/null | jq -r '.[] | "\(.id) \(.name // "?") \(.type // "?")"' 2>/dev/null)
	awk -v names="$names" -v cpus="$(nproc --all 2>/dev/null || nproc)" -v rel="$(uname -r)" '
		BEGIN { n = split(names, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); nm[f[1]] = f[2]; ty[f[1]] = f[3] } }
		{
			name = ($1 in nm) ? nm[$1] : "id" $1
			type = ($1 in ty) ? ty[$1] : "type" $3
			# a sort key first: the maps by size, then the total
			printf "0 %s map %s %s max_entries=%s key=%s value=%s memlock=%s\n", $2, name, type, $4, $5, $6, $2
			total += $2; maps++
		}
		END { printf "1 0 total maps=%d memlock=%d mib=%.1f cpus=%s kernel=%s\n", maps, total, total / 1048576, cpus, rel }
	' <<<"$info" | sort -k1,1n -k2,2nr | cut -d' ' -f3-
}

if [ "${1:-}" != -- ]; then
	if [ $# -ne 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
		die "usage: bench/mapmem.sh PID | bench/mapmem.sh -- [netbpf trace options]"
	fi
	measure "$1"
	exit
fi
shift
[ -x "$NETBPF" ] || die "no $NETBPF: build it first (make)"
err=$(mktemp /tmp/netbpf-mapmem.XXXXXX)
"$NETBPF" trace -v "$@" >/dev/null 2>"$err" &
nb=$!
trap 'kill -KILL $nb 2>/dev/null; rm -f "$err"' EXIT
for _ in $(seq $((START_S * 10))); do
	grep -q "per-process hooks" "$err" && break
	kill -0 "$nb" 2>/dev/null || die "netbpf exited: $(cat "$err")"
	sleep 0.1
done
grep -q "per-process hooks" "$err" || die "netbpf did not attach within ${START_S}s: $(cat "$err")"
measure "$nb"
kill -INT "$nb"
wait "$nb"
