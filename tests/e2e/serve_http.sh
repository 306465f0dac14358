#!/bin/bash
# netbpf serve as a fleet agent: scrapes get through 256 idle and slow
# clients; no stderr line per bad request; a busy port is one error line;
# the HTTP threads hold no capabilities and the main thread only
# CAP_NET_ADMIN (also when started as nobody with three capabilities);
# TLS and basic auth from --web-config, and its errors.
. "$(dirname "$0")/lib.sh"
require_root serve_http
SLOW=$ROOT/.output/tests/slowhttp
for tool in curl openssl python3 capsh; do
	command -v "$tool" >/dev/null || { fail serve_http "no $tool: make test-deps"; exit 1; }
done
[ -x "$SLOW" ] || { fail serve_http "build first: make test"; exit 1; }
PORT=$((20000 + ($$ + 7) % 20000))
URL=http://127.0.0.1:$PORT

# wait_up URL [CURL-ARGS...]: until the server answers at all (any status)
wait_up() {
	local url=$1
	shift
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url")" != 000 ] && return 0
		sleep 0.1
	done
	return 1
}

# caps_of PID: "comm CapEff CapPrm CapBnd" for every thread, one a line
caps_of() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "$(cat "$t/comm")" \
			"$(awk '$1 == "CapEff:" || $1 == "CapPrm:" || $1 == "CapBnd:" { printf "%s ", $2 }' "$t/status")"
	done
}

# --- plain HTTP, started without -v: nothing on stderr at all ---
"$NETBPF" serve -d 0.2 --listen "127.0.0.1:$PORT" 2>"$T/err" &
SRV=$!
CLEANUPS+=("kill -KILL $SRV")
wait_up "$URL/metrics" || { fail "serve starts" "$(cat "$T/err")"; exit 1; }

"$SLOW" 127.0.0.1 "$PORT" 256 60 >"$T/slow" &
SLOWPID=$!
CLEANUPS+=("kill -TERM $SLOWPID")
for _ in $(seq 100); do grep -qs '^open' "$T/slow" && break; sleep 0.1; done
check_eq "256 slow clients connected" "open 256" "$(head -1 "$T/slow")"
ok=0
held=256
for _ in 1 2 3 4 5; do
	curl -sf --max-time 2 -o "$T/m" "$URL/metrics" && grep -q '^netbpf_build_info' "$T/m" && ok=$((ok + 1))
	# the server's side of the slow connections, open while it answers
	n=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
	[ "$n" -lt "$held" ] && held=$n
	sleep 0.5	# the odd clients trickle a header byte a second meanwhile
done
check_eq "5 scrapes within 2 s each, beside 256 slow clients" 5 "$ok"
check_eq "the server held the 256 slow connections meanwhile" 256 "$held"

# bad requests, garbage and clients that hang up mid-request
for i in $(seq 40); do
	case $((i % 4)) in
	0) printf 'NOT HTTP AT ALL\r\n\r\n' ;;
	1) printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n' ;;
	2) printf 'GET /metrics HTTP/1.1\r\nHost' ;;
	3) printf 'GET /%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(head -c 3000 /dev/zero | tr '\0' a)" ;;
	esac | timeout 2 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
done
curl -s -o /dev/null "$URL/%zz"
curl -s -o /dev/null -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' b)" "$URL/metrics"
curl -sf --max-time 2 -o /dev/null "$URL/metrics"
check_eq "a scrape after 42 bad requests" 0 $?
check_eq "no stderr line for bad requests and slow clients" "" "$(cat "$T/err")"

main=$(caps_of "$SRV" | head -1)
check_eq "main thread keeps CAP_NET_ADMIN only (eff, prm, bounding)" \
	"netbpf 0000000000001000 0000000000001000 0000000000001000 " "$main"
http=$(caps_of "$SRV" | tail -n +2)
check_eq "HTTP threads: 2" 2 "$(grep -c . <<<"$http")"
check_eq "HTTP threads hold no capabilities" "" \
	"$(grep -v ' 0000000000000000 0000000000000000 0000000000000000 $' <<<"$http")"
check_eq "no_new_privs" 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$SRV/status")"

# an interface that appears after start-up is still counted (tcx or clsact
# with what the main thread kept)
VA=nbhv$$
ip link add "$VA" type veth peer name "${VA}p" && CLEANUPS+=("ip link del $VA")
ip link set "$VA" up
ip link set "${VA}p" up
sleep 0.3
ping -c 1 -W 0.2 -I "$VA" 169.254.77.1 >/dev/null 2>&1
sleep 0.5
curl -sf "$URL/metrics" >"$T/m"
grep -q "^netbpf_interface_transmit_bytes_total{interface=\"$VA\"[,}].* [1-9]" "$T/m" &&
	pass "a new interface is counted after the capabilities are dropped" ||
	fail "a new interface is counted after the capabilities are dropped" "$(grep "$VA" "$T/m")"
kill -TERM "$SLOWPID" 2>/dev/null
kill -TERM "$SRV"
wait "$SRV"
check_eq "SIGTERM: exit 0" 0 $?
check_eq "stderr still empty at exit" "" "$(cat "$T/err")"

# --- a busy port: exactly one line, before any BPF is loaded ---
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("bound", flush=True); time.sleep(30)
' "$PORT" >"$T/holder" &
HOLDER=$!
CLEANUPS+=("kill $HOLDER")
for _ in $(seq 50); do grep -qs bound "$T/holder" && break; sleep 0.1; done
"$NETBPF" serve --listen "127.0.0.1:$PORT" 2>"$T/busy"
check_eq "busy port: exit 1" 1 $?
check_eq "busy port: exactly one line" 1 "$(wc -l <"$T/busy")"
grep -q "^netbpf: cannot listen on 127.0.0.1:$PORT: Address already in use (hint: " "$T/busy" &&
	pass "busy port: netbpf: line with a hint" || fail "busy port: netbpf: line with a hint" "$(cat "$T/busy")"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null

# --- as nobody with only CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN ---
CAPS=cap_bpf,cap_perfmon,cap_net_admin
capsh --keep=1 --user=nobody --inh="$CAPS" --addamb="$CAPS" -- \
	-c "exec $NETBPF serve -d 0.2 --listen 127.0.0.1:$PORT" 2>"$T/err" &
SRV=$!
CLEANUPS+=("kill -KILL $SRV")
if wait_up "$URL/metrics"; then
	check_eq "nobody + 3 capabilities: uid" 65534 "$(awk '$1 == "Uid:" { print $2 }' "/proc/$SRV/status")"
	curl -sf "$URL/metrics" >"$T/m"
	check_eq "nobody + 3 capabilities: metrics" 1 "$(grep -c '^netbpf_build_info{' "$T/m")"
	check_eq "nobody + 3 capabilities: main thread keeps CAP_NET_ADMIN (eff, prm)" \
		"0000000000001000 0000000000001000" "$(caps_of "$SRV" | head -1 | awk '{ print $2, $3 }')"
	check_eq "nobody + 3 capabilities: HTTP threads hold none" "" \
		"$(caps_of "$SRV" | tail -n +2 | awk '$2 != "0000000000000000" || $3 != "0000000000000000"')"
	kill -TERM "$SRV"
	wait "$SRV"
	check_eq "nobody + 3 capabilities: exit 0" 0 $?
else
	fail "nobody + 3 capabilities: starts" "$(cat "$T/err")"
fi
check_eq "nobody + 3 capabilities: stderr empty" "" "$(cat "$T/err")"

# --- TLS and basic auth ---
W=$T/web
mkdir -p "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$W/key.pem" -out "$W/cert.pem" -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$W/other.pem" -out "$W/othercert.pem" -subj /CN=other 2>/dev/null
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))')
cat >"$W/web.yml" <<EOF
# relative paths start at this file's folder
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  prometheus: '$HASH'
EOF
"$NETBPF" serve -v -d 0.2 --web-config "$W/web.yml" --listen "127.0.0.1:$PORT" 2>"$T/err" &
SRV=$!
CLEANUPS+=("kill -KILL $SRV")
S=https://127.0.0.1:$PORT
wait_up "$S/metrics" --cacert "$W/cert.pem" || fail "TLS serve starts" "$(cat "$T/err")"
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$W/cert.pem" "$@"; }
check_eq "TLS, right password: 200" 200 "$(code -u 'prometheus:s3cret pass' "$S/metrics")"
curl -sf --cacert "$W/cert.pem" -u 'prometheus:s3cret pass' "$S/metrics" >"$T/m"
check_eq "TLS, right password: the metrics" 1 "$(grep -c '^netbpf_build_info{' "$T/m")"
check_eq "TLS, no password: 401" 401 "$(code "$S/metrics")"
check_eq "TLS, wrong password: 401" 401 "$(code -u prometheus:wrong "$S/metrics")"
check_eq "TLS, unknown user: 401" 401 "$(code -u nobody:'s3cret pass' "$S/metrics")"
check_eq "401 says how to log in" 'WWW-Authenticate: Basic realm="netbpf"' \
	"$(curl -s -D - -o /dev/null --cacert "$W/cert.pem" "$S/metrics" | tr -d '\r' | grep -i '^www-authenticate')"
check_eq "TLS, 404 behind the password" 404 "$(code -u 'prometheus:s3cret pass' "$S/nope")"
for _ in 1 2 3 4 5; do curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/metrics"; done
curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/metrics"
rc=$?
[ "$rc" -ne 0 ] && pass "plain HTTP to the TLS port fails (curl $rc)" || fail "plain HTTP to the TLS port fails" "curl exited 0"
check_eq "-v: at most one line for 6 bad TLS clients" 1 "$(grep -c '^netbpf: http: ' "$T/err")"
# (-v adds libbpf's own messages, "libbpf: ...", e.g. about a clsact that exists)
check_eq "-v: every stderr line is netbpf's or libbpf's" "" "$(grep -v '^netbpf: \|^libbpf: ' "$T/err")"
check_eq "TLS: a scrape still works" 200 "$(code -u 'prometheus:s3cret pass' "$S/metrics")"
kill -TERM "$SRV"
wait "$SRV"
check_eq "TLS serve: exit 0" 0 $?

# --- errors in the web config: exit 2, one line naming the file ---
bad_cfg() {	# NAME EXPECTED-TEXT FILE-CONTENT
	printf '%s\n' "$3" >"$W/bad.yml"
	"$NETBPF" serve --web-config "$W/bad.yml" --listen "127.0.0.1:$PORT" 2>"$T/cfg"
	check_eq "web config, $1: exit 2" 2 $?
	check_eq "web config, $1: one line" 1 "$(wc -l <"$T/cfg")"
	grep -qF "netbpf: $W/bad.yml: " "$T/cfg" && grep -qF "$2" "$T/cfg" &&
		pass "web config, $1: names the file and the problem" ||
		fail "web config, $1: names the file and the problem" "$(cat "$T/cfg")"
}
bad_cfg "not YAML" "did not find expected node content" $'tls_server_config: [\n'
bad_cfg "unknown key" "unknown key 'tls_config'" $'tls_config:\n  cert_file: cert.pem'
bad_cfg "no key_file" "needs both cert_file and key_file" $'tls_server_config:\n  cert_file: cert.pem'
bad_cfg "missing cert" "cannot read cert_file $W/none.pem" $'tls_server_config:\n  cert_file: none.pem\n  key_file: key.pem'
bad_cfg "key of another cert" "do not match" $'tls_server_config:\n  cert_file: cert.pem\n  key_file: other.pem'
bad_cfg "plain password" "not a bcrypt hash" $'basic_auth_users:\n  prometheus: secret'
bad_cfg "client certificates" "client_auth_type is not supported" \
	$'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: RequireAndVerifyClientCert'
"$NETBPF" serve --web-config "$W/none.yml" 2>"$T/cfg"
check_eq "web config missing: exit 2" 2 $?
grep -q "^netbpf: $W/none.yml: cannot read the web config: No such file or directory (hint: " "$T/cfg" &&
	pass "web config missing: one line" || fail "web config missing: one line" "$(cat "$T/cfg")"
