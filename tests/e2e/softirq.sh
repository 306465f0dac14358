#!/bin/bash
# TCP data consumed in softirq: a sockmap with a stream parser makes the
# kernel read a socket's data in softirq (tcp_read_sock, which fires
# tcp_rcv_space_adjust with whatever task was interrupted as current; on
# loopback, the sender). The reader then gets the data with recvmsg. No
# byte may be charged to the interrupted task.
# (Known limit, in README: with a sockmap stream parser on this kernel the
# reader's own count is not exact, mostly 1.3-1.7x what it read and once
# 0.9996x; so before the fix too. Its figure is printed, not asserted.)
. "$(dirname "$0")/lib.sh"
require_root softirq
clang -O2 -g -target bpf -I"$ROOT/vmlinux" -c "$ROOT/tests/tools/sockmap.bpf.c" -o "$T/sockmap.o" ||
	{ fail softirq "tests/tools/sockmap.bpf.c did not compile"; exit 1; }
N=1000000
nb_start
timeout 20 "$ROOT/.output/tests/sockmap_rx" "$T/sockmap.o" 127.0.0.1 $((7600 + $$ % 300)) $N >"$T/sm.out" 2>"$T/sm.err"
rc=$?
sleep 0.5
nb_stop
if [ $rc -ne 0 ]; then
	fail "sockmap reader" "exit $rc: $(cat "$T/sm.err")"
	exit 0
fi
check_gen "sockmap: the sender sent, and received nothing" <(grep '"client"' "$T/sm.out")
pid=$(jq -r 'select(.role == "server") | .pid' "$T/sm.out")
echo "    sockmap: the reader received $N, netbpf says $(summary_field "$pid" rx_bytes)"
check_eq "sockmap: the reader sent nothing" 0 "$(summary_field "$pid" tx_bytes)"
