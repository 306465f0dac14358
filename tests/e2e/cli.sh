#!/bin/bash
# The command line contract of SPEC.md: exit codes, one-line errors,
# --pid ending with the traced process, --count, signals, filters, doctor,
# and nothing left attached afterwards.
. "$(dirname "$0")/lib.sh"
require_root cli

# expect_error NAME CODE PATTERN -- ARGS...: exit CODE, one stderr line
# starting "netbpf: " that matches PATTERN
expect_error() {
	local name=$1 code=$2 pat=$3 rc err
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	err=$(cat "$T/err")
	if [ "$rc" != "$code" ]; then
		fail "$name" "exit $rc, expected $code; stderr: $err"
	elif [ "$(wc -l <"$T/err")" != 1 ] || [[ "$err" != "netbpf: "* ]]; then
		fail "$name" "expected one 'netbpf: ' line on stderr, got: $err"
	elif ! grep -qE -- "$pat" "$T/err"; then
		fail "$name" "message '$err' does not match '$pat'"
	else
		pass "$name"
	fi
}

expect_error "unknown option: exit 2" 2 "unknown option '--nope'" -- "$NETBPF" --nope
expect_error "bad interval: exit 2" 2 "bad interval '-1'" -- "$NETBPF" trace -d -1
expect_error "bad pid: exit 2" 2 "bad pid 'x1'" -- "$NETBPF" --pid x1
expect_error "unknown command: exit 2" 2 "unknown command 'tpo'" -- "$NETBPF" tpo
# what the user typed is quoted in the error, escaped: still one line, and
# no terminal escape reaches the screen
expect_error "bad pid with a newline and an escape: one line" 2 'bad pid .1\\n2\\x1b\[31m.' -- \
	"$NETBPF" --pid $'1\n2\e[31m'
expect_error "bad environment value with a newline: one line" 2 'bad NETBPF_MAX_FLOWS .1\\n2.' -- \
	env NETBPF_MAX_FLOWS=$'1\n2' "$NETBPF" trace -n 1
# a pid that does not exist: the highest possible pid is never in use here
maxpid=$(cat /proc/sys/kernel/pid_max)
expect_error "no such pid: exit 2" 2 "no such process: $((maxpid - 1))" -- "$NETBPF" --pid $((maxpid - 1)) -n 1
expect_error "no BTF: exit 1" 1 "no kernel BTF at /nonexistent" -- "$NETBPF" trace --btf /nonexistent -n 1
expect_error "backend not on this kernel: exit 1" 1 "no usable hook.*kprobe" -- "$NETBPF" trace --backend kprobe -n 1

# input that names nothing must not count everything: exit 2, one line
for opt in -p:--pid --port:--port -i:--iface --proto:--proto --by:--by; do
	for list in "" "," ",,"; do
		expect_error "${opt%:*} '$list': exit 2" 2 "^netbpf: ${opt#*:} '$list' has an empty item \\(hint: " -- \
			"$NETBPF" trace "${opt%:*}" "$list" -n 1
	done
done
expect_error "--pid 1,,2: exit 2" 2 "empty item" -- "$NETBPF" trace --pid "$$,,$$" -n 1
expect_error "--port 80,: exit 2" 2 "empty item" -- "$NETBPF" trace --port 80, -n 1
# numbers that strtoul would wrap, or take with a sign or a space
ere() { sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"; }	# a literal, as an ERE
for n in " -18446744073709547520" "-18446744073709547520" "+1" " 1" "18446744073709551617"; do
	expect_error "--pid '$n': exit 2" 2 "bad pid '$(ere "$n")'.*hint: " -- "$NETBPF" trace -p "$n" -n 1
	expect_error "--port '$n': exit 2" 2 "bad port '$(ere "$n")'.*hint: " -- "$NETBPF" trace --port "$n" -n 1
done
expect_error "-n ' -1': exit 2" 2 "bad count" -- "$NETBPF" trace -n " -1"
# a --cgroup that leaves the cgroup2 mount, or is a file: not a cgroup
expect_error "--cgroup ../../../../tmp: exit 2" 2 "not a cgroup v2 path: \\.\\./" -- \
	"$NETBPF" trace --cgroup ../../../../tmp -n 1
expect_error "--cgroup /cgroup.procs: exit 2" 2 "not a cgroup v2 path" -- \
	"$NETBPF" trace --cgroup /cgroup.procs -n 1
expect_error "--cgroup /no/such: exit 2" 2 "no such cgroup: /no/such" -- \
	"$NETBPF" trace --cgroup /no/such -n 1
head -c 4096 /dev/urandom >"$T/garbage.btf"
expect_error "--btf garbage: exit 2" 2 "not a BTF file \\(hint: " -- "$NETBPF" trace --btf "$T/garbage.btf" -n 1
expect_error "doctor --btf garbage: exit 2" 2 "not a BTF file" -- "$NETBPF" doctor --btf "$T/garbage.btf"
expect_error "--btf '': exit 2" 2 "--btf needs a file" -- "$NETBPF" trace --btf "" -n 1
# options that do not apply to the command
expect_error "serve -n 1: exit 2" 2 "--count does not apply to netbpf serve \\(hint: " -- "$NETBPF" serve -n 1
expect_error "serve --json: exit 2" 2 "--json does not apply to netbpf serve" -- "$NETBPF" serve --json
expect_error "top --json: exit 2" 2 "--json does not apply to netbpf top" -- "$NETBPF" top --json
expect_error "serve --by: exit 2" 2 "--by does not apply to netbpf serve" -- "$NETBPF" serve --by flow
expect_error "doctor -p: exit 2" 2 "--pid does not apply to netbpf doctor" -- "$NETBPF" doctor -p 1
expect_error "doctor -n: exit 2" 2 "--count does not apply to netbpf doctor" -- "$NETBPF" doctor -n 1
expect_error "trace --listen: exit 2" 2 "--listen does not apply to netbpf trace" -- "$NETBPF" trace --listen 127.0.0.1:1 -n 1
expect_error "trace --metrics-pid: exit 2" 2 "--metrics-pid does not apply" -- "$NETBPF" trace --metrics-pid -n 1
expect_error "trace --json --bits: exit 2" 2 "--bits does not apply to --json" -- "$NETBPF" trace --json --bits -n 1
# NETBPF_MAX_*: bad values are named with their range, not replaced
for v in "" abc 15 -100 " 100" 100x 16777217 18446744073709551616; do
	expect_error "NETBPF_MAX_FLOWS='$v': exit 2" 2 "bad NETBPF_MAX_FLOWS '$v': expected a number of entries from 16 to 16777216" -- \
		env NETBPF_MAX_FLOWS="$v" "$NETBPF" trace -n 1
done
expect_error "NETBPF_MAX_PROCS=8: exit 2" 2 "bad NETBPF_MAX_PROCS '8'.*16 to 4194304" -- \
	env NETBPF_MAX_PROCS=8 "$NETBPF" trace -n 1
for v in 0 86401 1.5; do
	expect_error "NETBPF_FLOW_IDLE_S='$v': exit 2" 2 "bad NETBPF_FLOW_IDLE_S '$v': expected a number of seconds from 1 to 86400" -- \
		env NETBPF_FLOW_IDLE_S="$v" "$NETBPF" trace -n 1
done
expect_error "NETBPF_TC_METHOD=xdp: exit 2" 2 "bad NETBPF_TC_METHOD 'xdp'" -- \
	env NETBPF_TC_METHOD=xdp "$NETBPF" trace -n 1
# root without a capability it needs: that capability is named
if command -v capsh >/dev/null; then
	expect_error "root without CAP_BPF: exit 1" 1 "root but missing CAP_BPF \\(hint: " -- \
		capsh --drop=cap_bpf,cap_sys_admin -- -c "exec '$NETBPF' trace -n 1"
	expect_error "root without CAP_NET_ADMIN: exit 1" 1 "root but missing CAP_NET_ADMIN \\(hint: " -- \
		capsh --drop=cap_net_admin -- -c "exec '$NETBPF' trace -n 1"
	expect_error "doctor, root without CAP_BPF: exit 1" 1 "cannot run here.*missing CAP_BPF" -- \
		capsh --drop=cap_bpf,cap_sys_admin -- -c "exec '$NETBPF' doctor"
else
	fail "root without CAP_BPF" "capsh (libcap2-bin) is missing"
fi

if command -v setpriv >/dev/null; then
	expect_error "not root: exit 1" 1 "not permitted.*missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN \\(hint: run as root" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NETBPF" trace -n 1
	expect_error "doctor not root: exit 1" 1 "cannot run here" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NETBPF" doctor
else
	fail "not root" "setpriv (util-linux) is missing"
fi

"$NETBPF" --help >"$T/help"
check_eq "--help exits 0" 0 $?
grep -q -- "--pid PID" "$T/help" && pass "--help lists --pid" || fail "--help lists --pid" "$(head -3 "$T/help")"
check_eq "--version" "netbpf" "$("$NETBPF" --version | cut -d' ' -f1)"
# -V: the version and the commit it was built from
want=unknown
[ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ] &&
	want=$(git -C "$ROOT" describe --always --dirty)
check_eq "-V: version and commit" "netbpf $(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile") (commit $want)" "$("$NETBPF" -V)"

# doctor: exit 0 and tracepoint chosen on this kernel
"$NETBPF" doctor --json >"$T/doc"
check_eq "doctor exits 0" 0 $?
check_eq "doctor chooses tp_btf" tracepoint "$(jq -r .backend "$T/doc")"
check_eq "doctor can_run" true "$(jq -r .can_run "$T/doc")"
check_eq "doctor chooses tcx" tcx "$(jq -r .attach_method "$T/doc")"
# veth is built into this kernel: its types are in vmlinux's BTF
check_eq "doctor: a veth's peer NAPI path known" true "$(jq -r .offload_veth_peer "$T/doc")"
check_eq "doctor: clsact works too" true "$(jq -r '.attach_methods[] | select(.name == "clsact") | .works' "$T/doc")"
check_eq "doctor: tracepoint works" true "$(jq -r '.backends[] | select(.name == "tracepoint") | .works' "$T/doc")"

# -n: exactly N interval totals, then the summary total
"$NETBPF" trace --json -d 0.1 -n 3 >"$T/n3"
check_eq "-n 3 exits 0" 0 $?
check_eq "-n 3: three interval totals" 3 "$(jq -c 'select(.type == "total" and .summary == false)' "$T/n3" | wc -l)"
check_eq "-n 3: one summary total, last" '{"type":"total","summary":true}' "$(tail -1 "$T/n3" | jq -c '{type, summary}')"
check_eq "-n 3: intervals are positive" true "$(jq -s '[.[] | select(.summary == false) | .interval_s] | all(. > 0)' "$T/n3")"

# a thread id is not a process
"$NBGEN" thread 5 >"$T/tid" &
PY=$!
for _ in $(seq 50); do [ -s "$T/tid" ] && break; sleep 0.1; done
expect_error "--pid with a thread id: exit 2" 2 "is a thread of process $PY" -- "$NETBPF" --pid "$(cat "$T/tid")" -n 1
kill "$PY" 2>/dev/null

# the reader goes away: netbpf trace | head ends, exit 0, nothing attached
timeout 60 bash -c '"$0" trace --json -d 0.1 | head -n 1' "$NETBPF" >/dev/null
check_eq "trace | head -n 1 ends" 0 $?

# --pid: counts only that process, and ends (exit 0) when it exits
"$NBGEN" tcp-server 127.0.0.1 7101 5000 3 >"$T/srv" &
SRV=$!
sleep 0.2
"$NETBPF" --json -v -d 0.2 --pid "$SRV" >"$T/pid.json" 2>"$T/pid.err" &
NBP=$!
for _ in $(seq 100); do grep -q "per-process hooks" "$T/pid.err" && break; sleep 0.1; done
for i in 1 2 3; do "$NBGEN" tcp-client 127.0.0.1 7101 $((i * 1000)) >/dev/null; done
wait "$SRV"
for _ in $(seq 50); do kill -0 "$NBP" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$NBP" 2>/dev/null; then
	fail "--pid ends when the process exits" "still running"
	kill -INT "$NBP"
fi
wait "$NBP"
check_eq "--pid exit status" 0 $?
check_eq "--pid: only that pid" "$SRV" "$(jq -r 'select(.type == "process") | .pid' "$T/pid.json" | sort -u | tr '\n' ' ' | xargs)"
check_eq "--pid: exact bytes" "15000 6000 true" "$(jq -r --argjson p "$SRV" 'select(.summary and .pid == $p) | "\(.tx_bytes) \(.rx_bytes) \(.exited)"' "$T/pid.json")"

# --proto and --comm filters, in the kernel
nb_start --proto udp
"$NBGEN" udp-recv 127.0.0.1 7102 3000 10 >"$T/u.rcv" 2>"$T/u.err" &
BG=$!
for _ in $(seq 50); do grep -q ready "$T/u.err" && break; sleep 0.1; done
"$NBGEN" udp-send 127.0.0.1 7102 300 10 >"$T/u.snd"
wait "$BG"
"$NBGEN" tcp-server 127.0.0.1 7103 4000 >"$T/t.srv" &
BG=$!
"$NBGEN" tcp-client 127.0.0.1 7103 4000 >"$T/t.cli"
wait "$BG"
sleep 0.3
nb_stop
check_gen "--proto udp: udp sender" "$T/u.snd"
check_gen "--proto udp: udp receiver" "$T/u.rcv"
check_eq "--proto udp: tcp not counted" "" "$(summary_field "$(gen_field "$T/t.cli" pid)" tx_bytes)"

# --comm: the server is nbgen, its 5 clients are named nbkid00..04
nb_start --comm nbgen
"$NBGEN" tcp-server 127.0.0.1 7104 100 5 >"$T/c.srv" &
BG=$!
"$NBGEN" burst 127.0.0.1 7104 5 2000 >"$T/c.kids"
wait "$BG"
sleep 0.3
nb_stop
check_gen "--comm nbgen: the nbgen server" "$T/c.srv"
check_eq "--comm nbgen: the clients did send" 5 "$(grep -c "\"sent\":200" "$T/c.kids")"
check_eq "--comm nbgen: the nbkid clients not counted" "" "$(jq -r 'select(.type == "process" and .comm != "nbgen") | .comm' "$T/nb.json" | sort -u | xargs)"

# signals: SIGTERM and SIGINT end with the summary and exit 0; after them
# and after SIGKILL, none of that netbpf's programs is left in the kernel.
# Its programs are the prog_ids in its fdinfo (other netbpf instances may
# run on this machine at the same time: names would not tell them apart).
prog_ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }
alive_ids() { for id in "$@"; do bpftool prog show id "$id" >/dev/null 2>&1 && echo "$id"; done; }
for sig in TERM INT KILL; do
	"$NETBPF" trace --json -d 0.2 >"$T/sig.json" 2>/dev/null &
	P=$!
	ids= named=0
	for _ in $(seq 100); do	# until all are loaded (it starts them one by one)
		ids=$(prog_ids "$P" | xargs)
		named=$(for id in $ids; do bpftool prog show id "$id"; done |
			grep -cE ' name (tp_send|tp_recv|nb_exit|nb_tc_ingress|nb_tc_egress) ')
		[ "$named" -ge 5 ] && break
		sleep 0.1
	done
	check_eq "SIG$sig: socket, exit and TC programs loaded" 5 "$named"
	kill -$sig "$P"
	wait "$P" 2>/dev/null
	rc=$?
	if [ $sig != KILL ]; then
		check_eq "SIG$sig: exit 0" 0 $rc
		check_eq "SIG$sig: summary printed" true "$(tail -1 "$T/sig.json" | jq .summary)"
	fi
	# the kernel frees programs asynchronously (RCU): give it a moment
	for _ in $(seq 30); do [ -z "$(alive_ids $ids)" ] && break; sleep 0.1; done
	check_eq "SIG$sig: nothing left attached" "" "$(alive_ids $ids)"
done

# a process map far too small: the lost updates are counted and said,
# netbpf goes on, and processes that fit are still exact. Only the test's
# processes count (a cgroup of its own): others on this host do not fill it.
cgroot=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CG=/nbfull$$
mkdir "$cgroot$CG" && CLEANUPS+=("rmdir $cgroot$CG")
NETBPF_MAX_PROCS=16 nb_start --by process --cgroup "$CG"
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgroot$CG" "$NBGEN" tcp-server 127.0.0.1 7105 0 60 >"$T/full.srv" &
BG=$!
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgroot$CG" "$NBGEN" burst 127.0.0.1 7105 60 1000 >"$T/full.kids"
wait "$BG"
sleep 0.5
nb_stop
check_eq "full process map: exit 0" 0 "$NB_RC"
lost=$(sed -n 's/^netbpf: warning: \([0-9]*\) updates lost .*a map was full.*/\1/p' "$T/nb.err" | tail -1)
[ "${lost:-0}" -gt 0 ] && pass "full process map: lost updates said ($lost)" || fail "full process map: lost updates said" "$(cat "$T/nb.err")"
ok=0 seen=0
while read -r line; do
	pid=$(jq -r .pid <<<"$line")
	got=$(summary_field "$pid" tx_bytes)
	[ -z "$got" ] && continue
	seen=$((seen + 1))
	[ "$got" = "$(jq -r .sent <<<"$line")" ] && ok=$((ok + 1))
done <"$T/full.kids"
[ "$seen" -gt 0 ] && [ "$ok" = "$seen" ] && pass "full process map: the $seen processes counted are exact" ||
	fail "full process map: the processes counted are exact" "$ok of $seen exact"
