#!/bin/bash
# Per-process socket bytes, exact, against what the generator moved itself:
# TCP/IPv4, TCP/IPv6, IPv4 on a dual-stack IPv6 socket, UDP both ways over
# IPv4 and IPv6, loopback, and 50 processes that live a few milliseconds.
. "$(dirname "$0")/lib.sh"
require_root proc_bytes
netns_up || { fail netns "cannot create namespaces"; exit 1; }
nb_start || { fail start "netbpf did not start"; exit 1; }
inA() { ip netns exec "$NSA" "$NBGEN" "$@"; }
# wait for the generators started in the background, never for netbpf
waitbg() { wait "$BG"; }
inB() { ip netns exec "$NSB" "$NBGEN" "$@"; }

# TCP over IPv4, both directions at once, different sizes
inB tcp-server 10.77.0.2 7001 3000000 >"$T/tcp4.srv" &
BG=$!
inA tcp-client 10.77.0.2 7001 1234567 >"$T/tcp4.cli"
waitbg
# TCP over IPv6
inB tcp-server fd77::2 7002 2000001 >"$T/tcp6.srv" &
BG=$!
inA tcp-client fd77::2 7002 777777 >"$T/tcp6.cli"
waitbg
# IPv4 clients of a dual-stack IPv6 server: an AF_INET client, and an
# AF_INET6 client with a v4-mapped address
inB tcp-server :: 7003 500000 2 >"$T/dual.srv" &
BG=$!
inA tcp-client 10.77.0.2 7003 300001 >"$T/dual.cli4"
inA tcp-client ::ffff:10.77.0.2 7003 300002 >"$T/dual.cli6"
waitbg
# UDP over IPv4 and IPv6: 200 datagrams of 1000 bytes
inB udp-recv 10.77.0.2 7004 200000 10 >"$T/udp4.rcv" 2>"$T/udp4.rcv.err" &
BG=$!
for _ in $(seq 50); do grep -q ready "$T/udp4.rcv.err" && break; sleep 0.1; done
inA udp-send 10.77.0.2 7004 1000 200 >"$T/udp4.snd"
waitbg
inB udp-recv fd77::2 7005 150000 10 >"$T/udp6.rcv" 2>"$T/udp6.rcv.err" &
BG=$!
for _ in $(seq 50); do grep -q ready "$T/udp6.rcv.err" && break; sleep 0.1; done
inA udp-send fd77::2 7005 1500 100 >"$T/udp6.snd"
waitbg
# UDP: IPv4 datagrams to a dual-stack IPv6 receiver
inB udp-recv :: 7006 64000 10 >"$T/udpd.rcv" 2>"$T/udpd.rcv.err" &
BG=$!
for _ in $(seq 50); do grep -q ready "$T/udpd.rcv.err" && break; sleep 0.1; done
inA udp-send 10.77.0.2 7006 640 100 >"$T/udpd.snd"
waitbg
# loopback in this namespace, IPv4 and IPv6
"$NBGEN" tcp-server 127.0.0.1 7007 100000 >"$T/lo4.srv" &
BG=$!
"$NBGEN" tcp-client 127.0.0.1 7007 99999 >"$T/lo4.cli"
waitbg
"$NBGEN" tcp-server ::1 7008 54321 >"$T/lo6.srv" &
BG=$!
"$NBGEN" tcp-client ::1 7008 12345 >"$T/lo6.cli"
waitbg
# 50 processes that connect, send, and exit within one interval
inB tcp-server 10.77.0.2 7009 0 50 >"$T/burst.srv" &
BG=$!
inA burst 10.77.0.2 7009 50 10000 >"$T/burst.cli"
waitbg
sleep 0.3
nb_stop
check_eq "netbpf exit status" 0 "$NB_RC"

for f in tcp4.srv tcp4.cli tcp6.srv tcp6.cli dual.srv dual.cli4 dual.cli6 \
	 udp4.rcv udp4.snd udp6.rcv udp6.snd udpd.rcv udpd.snd lo4.srv lo4.cli lo6.srv lo6.cli; do
	check_gen "$f" "$T/$f"
done
# UDP really moved something (a check on the generator itself)
check_eq "udp4 receiver got every datagram" 200000 "$(gen_field "$T/udp4.rcv" received)"

# the burst: every child by name, exact bytes, marked exited
# (one jq run for all 50: jq takes half a second to start under QEMU)
jq -nr --slurpfile nb "$T/nb.json" '
	[$nb[] | select(.summary and .type == "process")] as $rows |
	inputs as $c |
	{comm: $c.comm, tx: $c.sent, rx: $c.received, exited: true} as $want |
	([$rows[] | select(.pid == $c.pid)][0] // {}) as $r |
	{comm: $r.comm, tx: $r.tx_bytes, rx: $r.rx_bytes, exited: $r.exited} as $got |
	if $want == $got then "ok" else "burst pid \($c.pid): want \($want | tojson) got \($got | tojson)" end
' "$T/burst.cli" >"$T/burst.check"
grep -v '^ok$' "$T/burst.check"
ok=$(grep -c '^ok$' "$T/burst.check")
check_eq "50 short-lived processes, names and exact bytes" 50 "$ok"
check_eq "burst server received the sum" "$(jq -s 'map(.sent) | add' "$T/burst.cli")" "$(summary_field "$(gen_field "$T/burst.srv" pid)" rx_bytes)"
