#!/bin/bash
# Churn: thousands of short-lived processes, each in one of hundreds of
# cgroups made and removed while netbpf runs, each sending from a socket of
# its own (a flow). Rows of what has gone are retired, yet:
#  - trace's summary still has every process, flow and cgroup, exact;
#  - serve's counters keep every byte (none go down), and its memory after
#    the churn is within 4 MiB of what it was after the first 1,000.
. "$(dirname "$0")/lib.sh"
require_root churn
root=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { fail churn "no cgroup2 mount"; exit 1; }
CGDIR=$root/nbchurn$$
mkdir "$CGDIR" && CLEANUPS+=("rmdir $CGDIR")

# ---- trace: every ended row in the summary ----
N=3000 G=300
nb_start --by process,flow,cgroup -d 0.2
"$NBGEN" churn 127.0.0.1 7931 $N 1 $G "$CGDIR" show >"$T/churn.out"
sleep 0.5
nb_stop
check_eq "trace: exit 0" 0 "$NB_RC"
check_eq "churn: every child sent" "0 $N $G" "$(jq -r 'select(.role == "churn-sink") | "\(.failed) \(.procs) \(.cgroups)"' "$T/churn.out")"
jq -r 'select(.role == "churn") | "\(.pid) \(.sent)"' "$T/churn.out" | sort >"$T/truth"
jq -r 'select(.summary and .type == "process" and .comm == "nbchurn") | "\(.pid) \(.tx_bytes)"' "$T/nb.json" | sort >"$T/got"
check_eq "trace summary: every one of the $N exited processes, exact" "$(wc -l <"$T/truth") $(md5sum <"$T/truth")" \
	"$(wc -l <"$T/got") $(md5sum <"$T/got")"
check_eq "trace summary: each marked exited" "$N" \
	"$(jq -r 'select(.summary and .type == "process" and .comm == "nbchurn" and .exited) | .pid' "$T/nb.json" | wc -l)"
check_eq "trace summary: a flow row for each, 8 bytes" "$N $((8 * N))" \
	"$(jq -s 'map(select(.summary and .type == "flow" and .comm == "nbchurn")) | "\(length) \(map(.tx_bytes) | add)"' -r "$T/nb.json")"
check_eq "trace summary: each removed cgroup with its processes' bytes" "$G $((8 * N / G))" \
	"$(jq -rs --arg p "/${CGDIR#"$root"/}/" 'map(select(.summary and .type == "cgroup" and (.cgroup | startswith($p)))) | "\(length) \(map(.tx_bytes) | unique | join(","))"' "$T/nb.json")"
sink=$(jq -r 'select(.role == "churn-sink") | "\(.pid) \(.received)"' "$T/churn.out")
check_eq "trace summary: the sink received what the children sent" "${sink#* }" "$(summary_field "${sink% *}" rx_bytes)"
# the last interval rows of a retired process were printed once, not again
check_eq "trace: no process row after its exited row" "" \
	"$(jq -r 'select(.summary | not) | select(.type == "process" and .comm == "nbchurn") | "\(.pid) \(.exited)"' "$T/nb.json" |
		awk '$2 == "true" { gone[$1] = 1; next } gone[$1] { print $1 }' | head -3)"

# ---- flow slots given back and used again: 60 flows through 16 ----
# Five waves of 12 processes, each flow in a slot of its own; a wave's
# slots are given back once its processes have exited, and the next wave
# takes them. Every flow counted, none lost. (--comm: only these, so that
# other traffic on the host cannot take the 16 slots.)
NETBPF_MAX_FLOWS=16 nb_start --by process,flow -d 0.2 --comm nbchurn
: >"$T/waves.out"
for w in 1 2 3 4 5; do
	"$NBGEN" churn 127.0.0.1 $((7940 + w)) 12 1 0 "$CGDIR" show >>"$T/waves.out"
	sleep 1
done
nb_stop
check_eq "flow slots reused: 5 waves of 12 processes sent" "5 60 0" \
	"$(jq -rs 'map(select(.role == "churn-sink")) | "\(length) \(map(.procs) | add) \(map(.failed) | add)"' "$T/waves.out")"
check_eq "flow slots reused: every flow of the 5 waves in the summary, 8 bytes each" "60 480" \
	"$(jq -s 'map(select(.summary and .type == "flow" and .comm == "nbchurn")) | "\(length) \(map(.tx_bytes) | add)"' -r "$T/nb.json")"
check_eq "flow slots reused: no flow update found the map full" 0 \
	"$(sed -n 's/.* and \([0-9]*\) flow updates found it full.*/\1/p' "$T/nb.err" | grep . || echo 0)"

# ---- a flow whose slot was given back while idle goes on on the same row ----
# NETBPF_FLOW_IDLE_S=1: a UDP socket sends 100 B, idles 2.5 s (its slot is
# given back), then sends 200 B (a new slot, the same key): the row's
# totals go on, 300 B, and the summary has one row.
NETBPF_FLOW_IDLE_S=1 nb_start --by flow -d 0.2 --comm nbpause
"$NBGEN" named nbpause udp-pause 127.0.0.1 7949 100 2500 200 >"$T/pause.out"
sleep 0.5
nb_stop
check_eq "idle flow: the sender sent 300 B" 300 "$(jq -r .sent "$T/pause.out")"
check_eq "idle flow: its last interval row has both sends" 300 \
	"$(jq -rs 'map(select(.type == "flow" and .comm == "nbpause" and (.summary | not))) | last | .tx_bytes' "$T/nb.json")"
check_eq "idle flow: one summary row, 300 B" "1 300" \
	"$(jq -rs 'map(select(.summary and .type == "flow" and .comm == "nbpause")) | "\(length) \(map(.tx_bytes) | add)"' "$T/nb.json")"

# ---- serve: bounded memory, counters that keep every byte ----
PORT=$((19000 + $$ % 1000))
"$NETBPF" serve -d 0.25 --listen 127.0.0.1:$PORT 2>"$T/serve.err" &
SP=$!
CLEANUPS+=("kill $SP")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS/ { print $2 }' /proc/"$SP"/status; }
comm_tx() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^netbpf_process_transmit_bytes_total\{comm="nbchurn"\}/ { print $2 }'; }
"$NBGEN" churn 127.0.0.1 7932 1000 1 100 "$CGDIR" >/dev/null
sleep 1.5
rss1=$(rss)
tx1=$(comm_tx)
curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^netbpf_' >"$T/scrape1"
"$NBGEN" churn 127.0.0.1 7933 20000 1 2000 "$CGDIR" >"$T/churn2.out"
sleep 1.5
rss2=$(rss)
tx2=$(comm_tx)
curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^netbpf_' >"$T/scrape2"
kill -INT $SP; wait $SP
# every counter of the first scrape is still there and has not gone down,
# though its cgroup (and its processes) were removed in between
check_eq "serve: cgroup series of removed cgroups in the first scrape" 100 \
	"$(grep -c "^netbpf_cgroup_transmit_bytes_total{cgroup=\"/${CGDIR#"$root"/}/" "$T/scrape1")"
check_eq "serve: no counter went down or vanished across the removals" "" \
	"$(awk 'FNR == NR { if ($1 ~ /_total[{]/ || $1 ~ /_total$/) v[$1] = $2; next }
		($1 in v) { seen[$1] = 1; if ($2 + 0 < v[$1] + 0) print "down:", $1, v[$1], $2 }
		END { for (k in v) if (!(k in seen)) print "gone:", k }' "$T/scrape1" "$T/scrape2" | head -5)"
check_eq "serve: every byte of the first 1,000 on the comm series" 8000 "$tx1"
check_eq "serve: and of all 21,000 after they are gone" 168000 "$tx2"
[ -n "$rss1" ] && [ -n "$rss2" ] && [ $((rss2 - rss1)) -lt 4096 ] &&
	pass "serve: RSS after 21,000 processes and 2,100 cgroups within 4 MiB of after 1,000 ($rss1 -> $rss2 KiB)" ||
	fail "serve: RSS bounded" "$rss1 -> $rss2 KiB"
check_eq "serve: no error line" "" "$(cat "$T/serve.err")"
