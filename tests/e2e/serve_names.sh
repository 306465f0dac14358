#!/bin/bash
# netbpf serve and trace with hostile command names: the scraped page passes
# promtool and holds every series once, with the bytes each process moved
# by its own count; text trace output holds no raw control byte and is
# valid UTF-8; across an exec and a process exit no counter goes down and
# the bytes stay where they were counted.
. "$(dirname "$0")/lib.sh"
require_root serve_names
command -v promtool >/dev/null || { fail serve_names "promtool missing (make test-deps installs prometheus)"; exit 1; }
PORT=$((20000 + ($$ + 7) % 20000))
URL=http://127.0.0.1:$PORT
ip netns add "$NSB" && CLEANUPS+=("ip netns del $NSB")
VA=nbvn$$
ip link add "$VA" type veth peer name vb netns "$NSB" && CLEANUPS+=("ip link del $VA")
sysctl -qw "net.ipv6.conf.$VA.disable_ipv6=1"
ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
ip addr add 10.82.0.1/24 dev "$VA"
ip link set "$VA" up
ip -n "$NSB" addr add 10.82.0.2/24 dev vb
ip -n "$NSB" link set vb up
ip -n "$NSB" link set lo up

FFFD=$'\xef\xbf\xbd'
"$NETBPF" serve -v -d 0.2 --listen "127.0.0.1:$PORT" 2>"$T/err" &
SRV=$!
CLEANUPS+=("kill -KILL $SRV")
"$NETBPF" trace -d 0.2 --by process,iface,cgroup,total >"$T/trace.txt" 2>"$T/trace.err" &
TRC=$!
CLEANUPS+=("kill -KILL $TRC")
for _ in $(seq 100); do grep -q "serving metrics" "$T/err" && break; sleep 0.1; done
for _ in $(seq 100); do [ -s "$T/trace.txt" ] && break; sleep 0.1; done

# run_named PORT BYTES NAME...: a client named NAME sends BYTES to a server
# in the namespace; its report goes to $T/gen.PORT
run_named() {
	local port=$1 n=$2
	shift 2
	ip netns exec "$NSB" "$NBGEN" tcp-server 10.82.0.2 "$port" 0 >/dev/null &
	local bg=$!
	sleep 0.2
	"$@" tcp-client 10.82.0.2 "$port" "$n" >"$T/gen.$port"
	wait "$bg"
}
PWN=$'\e]0;PWN\a\e[2J'
run_named 7711 11111 "$NBGEN" named "$PWN"
run_named 7712 12121 "$NBGEN" named $'a\nb"c\\d'
run_named 7713 13131 "$NBGEN" named $'\xc2\x9b\x7fC1'
# a binary whose 16-byte name the kernel cuts inside the 'é'
cp "$NBGEN" "$T/abcdefghijklmné"
run_named 7714 14141 "$T/abcdefghijklmné"
sleep 0.6	# a new page every interval
curl -sf "$URL/metrics" >"$T/m1"
check_eq "GET /metrics" 0 $?

metric() { K=$1 awk 'BEGIN { k = ENVIRON["K"] } substr($0, 1, length(k) + 1) == k " " { print substr($0, length(k) + 2) }' "$2"; }
sent() { jq -r .sent "$T/gen.$1"; }
tx() { metric "netbpf_process_transmit_bytes_total{comm=\"$1\"}" "$2"; }
check_eq "escape-sequence name: one series, its bytes" "$(sent 7711)" "$(tx "$FFFD]0;PWN$FFFD$FFFD[2J" "$T/m1")"
check_eq "newline, quote, backslash escaped" "$(sent 7712)" "$(tx 'a\nb\"c\\d' "$T/m1")"
check_eq "C1 and DEL replaced" "$(sent 7713)" "$(tx "$FFFD${FFFD}C1" "$T/m1")"
check_eq "name cut inside a character" "$(sent 7714)" "$(tx "abcdefghijklmn$FFFD" "$T/m1")"

# a process sends as nbpre, is scraped, execs nbpost (same pid, a new
# name), sends again and exits; then a last scrape
cp "$NBGEN" "$T/nbpost"
ip netns exec "$NSB" "$NBGEN" tcp-server 10.82.0.2 7715 0 >/dev/null &
S1=$!
ip netns exec "$NSB" "$NBGEN" tcp-server 10.82.0.2 7716 0 >/dev/null &
S2=$!
sleep 0.2
"$NBGEN" named nbpre send-wait-exec 10.82.0.2 7715 3000 3000 \
	"$T/nbpost" tcp-client 10.82.0.2 7716 4000 >"$T/gen.pre" &
EX=$!
for _ in $(seq 50); do [ -s "$T/gen.pre" ] && break; sleep 0.1; done
sleep 0.8	# nbpre has sent and waits: a few intervals later, scrape
curl -sf "$URL/metrics" >"$T/m2"
check_eq "the exec had not happened at scrape 2" nbpre "$(cat "/proc/$EX/comm" 2>/dev/null)"
wait "$EX" "$S1" "$S2"
sleep 0.6
curl -sf "$URL/metrics" >"$T/m3"
check_eq "before the exec: nbpre" 3000 "$(tx nbpre "$T/m2")"
check_eq "after the exec and the exit: nbpre keeps its bytes" 3000 "$(tx nbpre "$T/m3")"
check_eq "after the exec: nbpost has its own" 4000 "$(tx nbpost "$T/m3")"
check_eq "the hostile series outlive their processes" "$(sent 7711)" "$(tx "$FFFD]0;PWN$FFFD$FFFD[2J" "$T/m3")"

for m in m1 m2 m3; do
	out=$(promtool check metrics <"$T/$m" 2>&1)
	check_eq "promtool check metrics ($m)" "0 " "$? $out"
	check_eq "no series twice ($m)" "" "$(grep -v '^#' "$T/$m" | sed 's/ [^ ]*$//' | sort | uniq -d)"
done
# every counter of a scrape is on the next one, at least as high
down() {
	awk 'NR == FNR { if ($0 !~ /^#/) { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/.* /, "", v); a[k] = v }; next }
	     $0 !~ /^#/ { k = $0; sub(/ [^ ]*$/, "", k); v = $0; sub(/.* /, "", v); b[k] = v }
	     END { for (k in a) if (!(k in b) || b[k] + 0 < a[k] + 0) print k, a[k], "->", (k in b ? b[k] : "gone") }' "$1" "$2"
}
check_eq "no counter down or gone, scrape 1 to 2" "" "$(down "$T/m1" "$T/m2" | grep _total)"
check_eq "no counter down or gone, scrape 2 to 3" "" "$(down "$T/m2" "$T/m3" | grep _total)"

kill -INT "$TRC"
wait "$TRC"
# text output: no control byte but newline, no C1, valid UTF-8; the names
# are there, escaped
check_eq "trace: no raw control byte" "" \
	"$(LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$T/trace.txt" | head -3 | cat -v)"
iconv -f UTF-8 -t UTF-8 "$T/trace.txt" >/dev/null 2>&1
check_eq "trace: valid UTF-8" 0 $?
grep -qF '\x1b]0;PWN\x07' "$T/trace.txt" && pass "trace: the escape-sequence name, escaped" ||
	fail "trace: the escape-sequence name, escaped" "$(grep -a PWN "$T/trace.txt" | head -2)"
grep -qF 'a\nb"c\d' "$T/trace.txt" && pass "trace: a newline in a name fakes no row" ||
	fail "trace: a newline in a name fakes no row" "$(grep -a 'c\\d' "$T/trace.txt" | head -2)"
# the escape of the cut byte (\xc3) does not fit in the 16 columns: cut
grep -qF 'abcdefghijklmn +' "$T/trace.txt" && pass "trace: a name with a cut character, cut whole" ||
	fail "trace: a name with a cut character, cut whole" "$(grep -a abcdef "$T/trace.txt" | head -2 | cat -v)"
kill -TERM "$SRV"
wait "$SRV"
check_eq "serve: SIGTERM, exit 0" 0 $?
