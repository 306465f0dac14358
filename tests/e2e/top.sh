#!/bin/bash
# netbpf top on a real terminal: tmux at 120x40, known traffic from nbgen on
# loopback (in a cgroup of the test's own, counted with --cgroup),
# assertions on what capture-pane shows; keys for views, sorting,
# drill-down, units, filter, help and pause; resizes; q, Ctrl-C, SIGTERM
# and --count end with exit 0 and the terminal as it was.
. "$(dirname "$0")/lib.sh"
require_root top
if ! command -v tmux >/dev/null; then
	skip top "tmux is missing (hint: apt-get install tmux)"
	exit 0
fi

PORT=7811
START='[0-9]{2}:[0-9]{2}:[0-9]{2}'	# a process's start time, today
# top draws UTF-8 (sparklines, sort marks) where the locale says so
export LC_ALL=C.UTF-8
TM=(tmux -u -L "nbtop$$" -f /dev/null)
CLEANUPS+=("tmux -L nbtop$$ kill-server")

# the pane: terminal state before and after, exit status, then it stays
cat >"$T/pane.sh" <<'EOF'
out=$1; shift
stty -g >"$out.stty.before"
"$NETBPF" top "$@" 2>"$out.err"
echo $? >"$out.rc"
stty -g >"$out.stty.after"
echo "top has exited"
sleep 600
EOF

# start_top SESSION ARGS...: netbpf top in a new 120x40 tmux session
start_top() {
	local s=$1
	shift
	"${TM[@]}" new-session -d -s "$s" -x 120 -y 40 \
		"NETBPF='$NETBPF' bash '$T/pane.sh' '$T/$s' $*"
}
screen() { "${TM[@]}" capture-pane -p -t "$1"; }
keys() { local s=$1; shift; "${TM[@]}" send-keys -t "$s" "$@"; }
# wait_screen SESSION REGEX [SECONDS]: until a line of the screen matches
wait_screen() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		screen "$1" >"$T/screen"
		grep -qE -- "$2" "$T/screen" && return 0
		sleep 0.1
	done
	return 1
}
# expect NAME SESSION REGEX: pass when the screen shows it (within 10 s)
expect() {
	if wait_screen "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "no line matches '$3'; screen:"
		sed 's/^/    /' "$T/screen"
	fi
}
# rows SESSION: the table rows (below the four header lines, above the footer)
rows() { screen "$1" | sed -n '5,39p' | grep -vE '^ *$'; }
# process rows as "pid sent_bytes": units back to bytes
sent_column() {
	rows "$1" | sed 's/ (exited)//' | awk '
	function b(v, u) { return v * (u == "KiB" ? 1024 : u == "MiB" ? 1048576 : u == "GiB" ? 1073741824 : 1) }
	$1 ~ /^[0-9]+$/ { print $1, b($9, $10) }'
}
wait_rc() {	# SESSION: the exit status of its netbpf top
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/$1.rc" ] && { cat "$T/$1.rc"; return; }
		sleep 0.1
	done
	echo "still running"
}
check_restored() {	# NAME SESSION
	check_eq "$1: exit status" 0 "$(wait_rc "$2")"
	check_eq "$1: terminal modes restored" "$(cat "$T/$2.stty.before")" "$(cat "$T/$2.stty.after" 2>/dev/null)"
	check_eq "$1: alternate screen left, cursor shown" "0 1" \
		"$("${TM[@]}" display -p -t "$2" '#{alternate_on} #{cursor_flag}')"
	check_eq "$1: nothing on stderr" "" "$(cat "$T/$2.err")"
	if wait_screen "$2" "top has exited" 5 && ! grep -q "netbpf top   up" "$T/screen"; then
		pass "$1: the shell's screen is back"
	else
		fail "$1: the shell's screen is back" "$(cat "$T/screen")"
	fi
}

# not a terminal: top refuses, trace is the hint
"$NETBPF" top >"$T/notty" 2>"$T/notty.err"
check_eq "top without a terminal: exit 2" 2 $?
check_eq "top without a terminal: one line" "netbpf: top needs a terminal (hint: use netbpf trace)" \
	"$(cat "$T/notty.err")"

# The traffic runs in a cgroup of the test's own, and top counts only that
# cgroup (--cgroup, in the kernel): other processes on this machine do not
# change the rows.
root=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$root" ] || { fail top "no cgroup2 mount"; exit 1; }
CG=/nbtop$$
mkdir "$root$CG" && CLEANUPS+=("echo 1 >$root$CG/cgroup.kill; for _ in \$(seq 50); do rmdir $root$CG && break; sleep 0.1; done")
# incg CMD...: CMD in that cgroup, as this (sub)shell's process: with &,
# $! is CMD's pid
incg() { exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$root$CG" "$@"; }

start_top main -d 0.5 --cgroup "$CG"
if ! wait_screen main "^netbpf top   up" 20; then
	fail "top starts" "$(screen main; cat "$T/main.err")"
	exit 1
fi
pass "top starts"
expect "header: hooks and attach method" main "hooks (tracepoint|fentry|kprobe)   attach (tcx|clsact)"
expect "header: netbpf's own CPU" main "netbpf cpu [0-9]+\.[0-9]%"
expect "footer: keys" main "^q Quit  Tab View  Enter Flows"

# traffic: a server that sends 200000 bytes to each of 40 clients, one
# every 0.25 s; the clients are short-lived processes named nbkid00
t0=$EPOCHREALTIME
incg "$NBGEN" tcp-server 127.0.0.1 $PORT 200000 40 >"$T/srv" &
SRV=$!
t1=$EPOCHREALTIME
CLEANUPS+=("kill $SRV; wait $SRV")
incg bash -c "for _ in \$(seq 40); do '$NBGEN' burst 127.0.0.1 $PORT 1 20000 >/dev/null || break; sleep 0.25; done" &
GEN=$!
CLEANUPS+=("kill $GEN")

expect "the server appears: pid, user, name, non-zero rate" main \
	"^ *$SRV root +$START +nbgen +[1-9][0-9.]* (KiB|MiB|B)/s "
expect "exited clients stay, marked" main "^ *[0-9]+ .* nbkid00 \(exited\) "
expect "the totals in the header move" main "^netbpf top   up [1-9]"
expect "history: a sparkline" main "^ *$SRV root +$START +nbgen .*[▁▂▃▄▅▆▇█]"

# pause: the rows stay as they are while counting goes on
keys main p
expect "p: PAUSED shown" main "PAUSED"
rows main >"$T/paused1"
sleep 1.2
rows main >"$T/paused2"
if cmp -s "$T/paused1" "$T/paused2" && [ -s "$T/paused1" ]; then
	pass "pause: the rows do not change"
else
	fail "pause: the rows do not change" "$(diff "$T/paused1" "$T/paused2" | head -10)"
fi

# sorting (on the paused screen): PID, then reversed, then SENT both ways
keys main '>'
expect "'>': sort by PID" main "sort: PID asc"
if rows main | awk '{print $1}' | sort -n -c 2>/dev/null; then
	pass "sort: PID ascending"
else
	fail "sort: PID ascending" "$(rows main | awk '{print $1}' | xargs)"
fi
keys main r
expect "r: reversed" main "sort: PID desc"
if rows main | awk '{print $1}' | sort -n -r -c 2>/dev/null; then
	pass "sort: PID descending"
else
	fail "sort: PID descending" "$(rows main | awk '{print $1}' | xargs)"
fi
keys main '>' '>' '>' '>' '>' '>'
expect "'>' x6: sort by SENT, marked in the titles" main "sort: SENT desc"
expect "the sorted column is marked" main "  SENT▼ "
if sent_column main | awk '{print $2}' | sort -g -r -c 2>/dev/null && [ "$(sent_column main | wc -l)" -ge 2 ]; then
	pass "sort: SENT largest first"
else
	fail "sort: SENT largest first" "$(sent_column main | xargs)"
fi
check_eq "sort: the server sent most" "$SRV" "$(sent_column main | head -1 | cut -d' ' -f1)"
keys main r
expect "r: SENT smallest first" main "sort: SENT asc"
if sent_column main | awk '{print $2}' | sort -g -c 2>/dev/null; then
	pass "sort: SENT smallest first"
else
	fail "sort: SENT smallest first" "$(sent_column main | xargs)"
fi
keys main r

# views
keys main 2
expect "2: interfaces view" main "\[2 Interfaces\]"
expect "interfaces: loopback with its bytes" main "^ +1 lo +[0-9.]+ .*[1-9][0-9.]* (KiB|MiB|GiB) +[1-9][0-9.]* (KiB|MiB|GiB)"
keys main Tab
expect "Tab: cgroups view" main "\[3 Cgroups\]"
expect "cgroups: the columns" main "^CGROUP +CONTAINER +SENT/s +RECV/s +SENT +RECEIVED HISTORY"
expect "cgroups: the server's cgroup with its bytes" main "^$CG +[0-9.]+ [KMG]?i?B/s +[0-9.]+ [KMG]?i?B/s +[1-9][0-9.]* (KiB|MiB) "
keys main Tab
expect "Tab: hosts view" main "\[4 Hosts\]"
expect "hosts: the columns" main "^INTERFACE +LOCAL +REMOTE +SENT/s +RECV/s +SENT +RECEIVED HISTORY"
keys main Tab
expect "Tab: back to processes" main "\[1 Processes\]"
expect "processes: the columns" main "PID USER +START +COMMAND +SENT/s +RECV/s +SENT[^ ]* +RECEIVED HISTORY"

# drill down into the server (the first row: most bytes sent), and back
keys main Enter
expect "Enter: flows of the selected process" main "^Flows of $SRV nbgen"
expect "flows: the server's connections" main "^tcp +127\.0\.0\.1:$PORT +127\.0\.0\.1:[0-9]+ "
keys main Escape
expect "Esc: back to processes" main "\[1 Processes\]"

# units and order
keys main b
expect "b: rates in bits" main "^ *$SRV root +$START +nbgen +[0-9.]+ [kMG]?bit/s"
keys main b
expect "b again: bytes" main "^ *$SRV root +$START +nbgen +[0-9.]+ (KiB|MiB|B)/s"
keys main t
expect "t: totals first" main "PID USER +START +COMMAND +SENT[^ ]* +RECEIVED +SENT/s +RECV/s"
keys main t
expect "t again: rates first" main "COMMAND +SENT/s +RECV/s +SENT[^ ]* +RECEIVED"

# filter by name
keys main / z z n o p e Enter
expect "/: filter shown" main "filter: zznope"
expect "filter: no row matches" main "^Nothing matches the filter"
keys main Escape
expect "Esc: filter cleared" main "^ *$SRV root +$START +nbgen "
keys main / n b g Enter
expect "filter nbg: the server stays" main "^ *$SRV root +$START +nbgen "
if rows main | grep -q "nbkid"; then
	fail "filter nbg: the clients go" "$(rows main | grep nbkid | head -3)"
else
	pass "filter nbg: the clients go"
fi
keys main Escape
keys main / K I D Enter
expect "filter KID: the clients, any case" main "^ *[0-9]+ .* nbkid00 \(exited\) "
if rows main | grep -q "nbgen"; then
	fail "filter KID: the server goes" "$(rows main | grep nbgen | head -3)"
else
	pass "filter KID: the server goes"
fi
keys main Escape

# filters belong to their view: the process view's does not empty the
# flows of the selected process, and is still there when back
keys main / n b g Enter
expect "filter nbg in processes" main "filter: nbg"
keys main Enter
expect "flows under a process filter: the connections" main "^tcp +127\.0\.0\.1:$PORT +127\.0\.0\.1:[0-9]+ "
if grep -qE "Nothing matches|filter: nbg" "$T/screen"; then
	fail "flows: no filter of their own" "$(cat "$T/screen")"
else
	pass "flows: no filter of their own"
fi
keys main Escape
expect "back: the process view's filter is still there" main "filter: nbg"
keys main 2
expect "interfaces: no filter of their own" main "^ +1 lo "
keys main 1 Escape

# the start time, against the fork's (taken by this shell around it; the
# two seconds it may straddle), and the command line on a wide screen
s0=$(date -d "@${t0%.*}" +%H:%M:%S) s1=$(date -d "@${t1%.*}" +%H:%M:%S)
expect "START: the server's start time" main "^ *$SRV root +($s0|$s1) +nbgen "
"${TM[@]}" resize-window -t main -x 200 -y 40
expect "200 columns: PEAK/s and the whole command line" main \
	"^ *$SRV root +$START +nbgen .* [0-9.]+[KMG]?/s .* $NBGEN tcp-server 127\.0\.0\.1 $PORT 200000 40 *$"
expect "200 columns: the titles" main "^ +PID USER +START +COMMAND +SENT/s +RECV/s +SENT[^ ]* +RECEIVED +PEAK/s HISTORY +CMDLINE *$"

# averages: a cycles through the last interval, 2 s, 10 s, 40 s
keys main a
expect "a: 2 s averages" main "rates, 2 s avg"
keys main a a
expect "a a: 40 s averages, the server's rate" main "^ *$SRV root +$START +nbgen +[1-9][0-9.]* (KiB|MiB|B)/s "
expect "40 s averages in the header" main "rates, 40 s avg"
keys main a
expect "a: back to the last interval" main "rates, last interval"

# 80 columns: the footer fits and keeps h Help; the process columns give way
"${TM[@]}" resize-window -t main -x 80 -y 24
expect "80 columns: the footer ends with h Help" main "^q Quit  Tab View .*  / Filter  h Help *$"
expect "80 columns: the process columns" main "^ +PID USER +START +COMMAND +SENT/s +RECV/s +CMDLINE *$"
"${TM[@]}" resize-window -t main -x 120 -y 40

# help
keys main h
expect "h: help" main "^netbpf top: keys"
keys main x
expect "any key closes the help" main "^ *$SRV root +$START +nbgen "

# resize: narrow, tiny, and back
"${TM[@]}" resize-window -t main -x 60 -y 20
expect "60 columns: the main columns stay" main "^ +PID USER +START +COMMAND +SENT/s +RECV/s *$"
if grep -q HISTORY "$T/screen"; then fail "60 columns: HISTORY dropped" "still shown"; else pass "60 columns: HISTORY dropped"; fi
expect "60 columns: the server row" main "^ *$SRV root +$START +nbgen "
"${TM[@]}" resize-window -t main -x 20 -y 5
expect "20x5: too small, said so" main "^netbpf top: termina"
"${TM[@]}" resize-window -t main -x 120 -y 40
expect "back to 120x40" main "PID USER +START +COMMAND .*HISTORY"

keys main p
expect "p again: running" main "sort: .*   rates, last interval *$"
keys main q
check_restored "q" main

# SIGTERM ends it the same way
start_top term -d 0.5
if wait_screen term "^netbpf top   up" 20; then
	panepid=$("${TM[@]}" display -p -t term '#{pane_pid}')
	kill -TERM "$(pgrep -P "$panepid" -x netbpf)"
	check_restored "SIGTERM" term
else
	fail "SIGTERM" "top did not start: $(cat "$T/term.err")"
fi

# Ctrl-C on the terminal: SIGINT, same way out
start_top intr -d 0.5
if wait_screen intr "^netbpf top   up" 20; then
	keys intr C-c
	check_restored "Ctrl-C" intr
else
	fail "Ctrl-C" "top did not start: $(cat "$T/intr.err")"
fi

# --count applies to top too
start_top count -d 0.2 -n 3
check_restored "--count 3" count

kill "$GEN" "$SRV" 2>/dev/null
wait "$SRV" "$GEN" 2>/dev/null
exit 0
