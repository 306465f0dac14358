#!/bin/bash
# A process's details against independent truth: a process that runs as
# nobody and exits before netbpf's first interval still has its user and
# its start time, and that start time is the fork's wall-clock time (taken
# by this shell just before and just after the fork) within 10 ms; a
# process alive at first sight has its whole command line, hostile bytes
# escaped.
. "$(dirname "$0")/lib.sh"
require_root proc_details
PORT=$((7900 + $$ % 50))
# a long first interval: the short process is gone before netbpf reads it
nb_start -d 3 || { fail start "netbpf did not start"; exit 1; }

"$NBGEN" tcp-server 127.0.0.1 $PORT 0 2 >"$T/srv" &
SRV=$!
CLEANUPS+=("kill $SRV")
sleep 0.2
t0=$EPOCHREALTIME
setpriv --reuid=65534 --regid=65534 --clear-groups "$NBGEN" tcp-client 127.0.0.1 $PORT 5000 >"$T/short" &
SHORT=$!
t1=$EPOCHREALTIME
wait "$SHORT"
# alive at the first read: sends, waits 4 s, then becomes /bin/true
"$NBGEN" send-wait-exec 127.0.0.1 $PORT 7000 4000 /bin/true $'a\x1b[31m b' "c d" >"$T/long" &
LONG=$!
wait "$LONG" "$SRV"
sleep 0.2
nb_stop

check_gen "short-lived process" "$T/short"
check_eq "short-lived: exited before netbpf's first read of it" "true" \
	"$(jq -r --argjson p "$SHORT" 'select(.type == "process" and .pid == $p and (.summary | not)) | .exited' "$T/nb.json" | head -1)"
check_eq "short-lived: uid and user taken in the kernel" "65534 nobody" \
	"$(jq -r --argjson p "$SHORT" 'select(.summary and .pid == $p) | "\(.uid) \(.user)"' "$T/nb.json")"
st=$(summary_field "$SHORT" start_time)
# the fork happened between t0 and t1; netbpf's start_time within 10 ms of that
if awk -v s="${st:-0}" -v a="$t0" -v b="$t1" 'BEGIN { exit !(s >= a - 0.010 && s <= b + 0.010) }'; then
	pass "short-lived: start_time $st within 10 ms of the fork ($t0 .. $t1; off by $(awk -v s="$st" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (s - (a + b) / 2) * 1000 }') ms)"
else
	fail "short-lived: start_time" "$st is not within 10 ms of the fork, between $t0 and $t1"
fi
check_gen "long-lived process" "$T/long"
check_eq "long-lived: the command line read at first sight, escaped" \
	"$NBGEN send-wait-exec 127.0.0.1 $PORT 7000 4000 /bin/true a\\u001b[31m b c d" \
	"$(jq -c --argjson p "$LONG" 'select(.summary and .pid == $p) | .cmdline' "$T/nb.json" | sed 's/^"//; s/"$//')"
