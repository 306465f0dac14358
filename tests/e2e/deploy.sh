#!/bin/bash
# deploy/: the systemd unit, the Kubernetes DaemonSet, the Prometheus rules,
# the Grafana dashboard and the shell completions, each checked with the
# tool that will read it; and make install into a staging folder.
. "$(dirname "$0")/lib.sh"
DEP=$ROOT/deploy
PY=/usr/bin/python3	# Debian's, with python3-yaml

need() {	# NAME COMMAND: SKIP NAME unless COMMAND exists
	command -v "$2" >/dev/null && return 0
	skip "$1" "$2 is missing (make test-deps installs it)"
	return 1
}

# ---- make install: no apt-get, and these files under DESTDIR/PREFIX ----
if make -C "$ROOT" -n install 2>&1 | grep -qE 'deps\.sh|apt-get'; then
	fail "make install runs no apt-get" "$(make -C "$ROOT" -n install 2>&1 | grep -E 'deps\.sh|apt-get' | head -2)"
else
	pass "make install runs no apt-get"
fi
D=$T/destdir
if make -C "$ROOT" -s install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1; then
	check_eq "make install DESTDIR PREFIX=/usr: the files" \
		"./usr/lib/systemd/system/netbpf.service ./usr/sbin/netbpf ./usr/share/bash-completion/completions/netbpf ./usr/share/man/man8/netbpf.8 ./usr/share/zsh/site-functions/_netbpf" \
		"$(cd "$D" && find . -type f | sort | xargs)"
	check_eq "make install: the unit runs the installed binary" "ExecStart=/usr/sbin/netbpf serve --listen \${NETBPF_LISTEN} \$NETBPF_OPTS" \
		"$(grep '^ExecStart=' "$D/usr/lib/systemd/system/netbpf.service")"
	check_eq "make install: the binary is executable" 755 "$(stat -c %a "$D/usr/sbin/netbpf")"
	check_eq "make install: nothing outside DESTDIR" "usr" "$(ls "$D" | xargs)"
else
	fail "make install DESTDIR" "$(tail -3 "$T/install.log")"
fi

# ---- the systemd unit ----
if need "systemd unit" systemd-analyze && [ -x "$D/usr/sbin/netbpf" ]; then
	# systemd-analyze verify works without systemd as PID 1: it loads the
	# unit, checks every key, that ExecStart is executable and that the
	# Documentation= man page exists; it warns but exits 0 for unknown keys,
	# so any output is a failure. The installed copy, pointed at the staged
	# binary and man pages.
	mkdir -p "$T/unit"
	sed "s|^ExecStart=/usr/sbin/netbpf|ExecStart=$D/usr/sbin/netbpf|" \
		"$D/usr/lib/systemd/system/netbpf.service" >"$T/unit/netbpf.service"
	out=$(MANPATH=$D/usr/share/man systemd-analyze verify "$T/unit/netbpf.service" 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ -z "$out" ]; then
		pass "systemd-analyze verify netbpf.service"
	else
		fail "systemd-analyze verify netbpf.service" "exit $rc: $out"
	fi
	# and the check does catch a mistake
	printf '[Service]\nProtectSytem=strict\n' >>"$T/unit/netbpf.service"
	out=$(MANPATH=$D/usr/share/man systemd-analyze verify "$T/unit/netbpf.service" 2>&1)
	[[ $out == *ProtectSytem* ]] && pass "systemd-analyze verify catches a misspelt key" ||
		fail "systemd-analyze verify catches a misspelt key" "said: $out"
	# the sandbox, as systemd rates it (0 safest, 10 least safe)
	score=$(systemd-analyze security --offline=yes "$DEP/netbpf.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for netbpf.service: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'; then
		pass "systemd-analyze security: exposure $score (at most 3.0)"
	else
		fail "systemd-analyze security: exposure at most 3.0" "got '$score'"
	fi
	for k in "CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN" \
		 "AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_ADMIN" DynamicUser=yes \
		 NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		 LimitMEMLOCK=infinity; do
		grep -qx "$k" "$DEP/netbpf.service" && pass "unit: $k" || fail "unit: $k" "missing"
	done
fi

# ---- the DaemonSet, read by a real YAML parser ----
if need "DaemonSet" "$PY" && "$PY" -c 'import yaml' 2>/dev/null; then
	got=$("$PY" - "$DEP/netbpf-daemonset.yaml" <<'PYEOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d["kind"] == "DaemonSet"]
assert len(ds) == 1, "one DaemonSet"
pod = ds[0]["spec"]["template"]
spec = pod["spec"]
c = spec["containers"][0]
sc = c["securityContext"]
probe = c["livenessProbe"]["httpGet"]
port = probe["port"]
if isinstance(port, str):
    port = [p["containerPort"] for p in c["ports"] if p["name"] == port][0]
mounts = sorted(m["mountPath"] for m in c["volumeMounts"])
ann = pod["metadata"]["annotations"]
print(" ".join(str(x) for x in [
    "hostPID=%s" % spec["hostPID"], "hostNetwork=%s" % spec["hostNetwork"],
    "privileged=%s" % sc["privileged"], "readOnlyRootFilesystem=%s" % sc["readOnlyRootFilesystem"],
    "allowPrivilegeEscalation=%s" % sc["allowPrivilegeEscalation"],
    "add=%s" % ",".join(sorted(sc["capabilities"]["add"])),
    "drop=%s" % ",".join(sc["capabilities"]["drop"]),
    "liveness=%s:%s" % (probe["path"], port),
    "scrape=%s:%s%s" % (ann["prometheus.io/scrape"], ann["prometheus.io/port"], ann["prometheus.io/path"]),
    "args=%s" % ",".join(c["args"]),
    "mounts=%s" % ",".join(mounts)]))
PYEOF
)
	for want in hostPID=True hostNetwork=True privileged=False readOnlyRootFilesystem=True \
		    allowPrivilegeEscalation=False add=BPF,NET_ADMIN,PERFMON drop=ALL \
		    liveness=/metrics:9976 scrape=true:9976/metrics args=serve,--listen,\$\(NODE_IP\):9976 \
		    mounts=/sys/fs/cgroup,/sys/kernel/btf; do
		[[ " $got " == *" $want "* ]] && pass "DaemonSet: $want" || fail "DaemonSet: $want" "parsed: $got"
	done
else
	skip "DaemonSet" "python3-yaml is missing"
fi

# ---- Prometheus rules: syntax, and a test that makes each alert fire ----
if need "Prometheus rules" promtool; then
	out=$(promtool check rules "$DEP/prometheus-rules.yml" 2>&1)
	[ $? = 0 ] && pass "promtool check rules" || fail "promtool check rules" "$out"
	out=$(cd "$ROOT/tests/deploy" && promtool test rules prometheus-rules.test.yml 2>&1)
	[ $? = 0 ] && pass "promtool test rules" || fail "promtool test rules" "$out"
	# every alert of the rules file has a firing case in the test
	for a in $(sed -n 's/^ *- alert: *//p' "$DEP/prometheus-rules.yml"); do
		grep -A2 "alertname: $a\$" "$ROOT/tests/deploy/prometheus-rules.test.yml" | grep -q "exp_alerts:$" &&
			pass "rules test fires $a" || fail "rules test fires $a" "no expected firing alert"
	done
fi

# ---- the Grafana dashboard: every PromQL expression, in a real Prometheus ----
# Grafana's variables become what "All" gives; label_values(M, L) is
# Grafana's, its selector M is checked. With root, Prometheus scrapes a
# real netbpf serve each second, and the expressions must return data.
if need "dashboard" jq && need "dashboard" prometheus; then
	jq -r '.. | objects | select(has("expr")) | .expr' "$DEP/grafana-dashboard.json" >"$T/exprs"
	jq -r '.templating.list[] | select(.type == "query") | .definition' "$DEP/grafana-dashboard.json" |
		sed 's/^label_values(\(.*\), *[a-z_]*)$/\1/' >>"$T/exprs"
	sed -i 's/\$__rate_interval/1m/g; s/\$__interval/15s/g; s/\$[a-z_]*/.*/g' "$T/exprs"
	check_eq "dashboard: expressions found (16 panels, 3 variables)" 19 "$(wc -l <"$T/exprs")"
	# below the ephemeral range (32768-60999 here): a port the kernel
	# picked for some connection of an earlier test cannot be taken
	PPORT=$((20000 + $$ % 10000)) NPORT=$((10000 + $$ % 10000))
	live=0
	if [ "$(id -u)" = 0 ] && [ -x "$NETBPF" ]; then
		"$NETBPF" serve -d 0.5 --listen "127.0.0.1:$NPORT" 2>"$T/serve.err" &
		SERVE=$!
		CLEANUPS+=("kill $SERVE")
		live=1
		for _ in $(seq 100); do curl -sf "127.0.0.1:$NPORT/metrics" >/dev/null && break; sleep 0.1; done
		curl -sf "127.0.0.1:$NPORT/metrics" >/dev/null &&
			pass "dashboard: netbpf serve answers on 127.0.0.1:$NPORT" ||
			fail "dashboard: netbpf serve answers on 127.0.0.1:$NPORT" "$(tail -2 "$T/serve.err")"
	fi
	cat >"$T/prom.yml" <<PROMEOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: netbpf
    static_configs:
      - targets: ['127.0.0.1:$NPORT']
PROMEOF
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PPORT" >"$T/prom.log" 2>&1 &
	PROM=$!
	CLEANUPS+=("kill $PROM")
	for _ in $(seq 100); do curl -sf "127.0.0.1:$PPORT/-/ready" >/dev/null && break; sleep 0.2; done
	if ! curl -sf "127.0.0.1:$PPORT/-/ready" >/dev/null; then
		fail "dashboard: Prometheus started" "$(tail -3 "$T/prom.log")"
	else
		query() { curl -s --get --data-urlencode "query=$1" "127.0.0.1:$PPORT/api/v1/query"; }
		if [ $live = 1 ]; then	# until process rows have a rate: 2 scrapes with prometheus' own bytes
			for _ in $(seq 60); do
				[ "$(query 'rate(netbpf_process_transmit_bytes_total{comm="prometheus"}[1m])' |
					jq '.data.result | length')" -gt 0 ] && break
				sleep 0.5
			done
		fi
		stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
		while read -r e; do
			r=$(query "$e")
			if [ "$(jq -r .status <<<"$r")" != success ]; then
				fail "dashboard: $e" "$(jq -r .error <<<"$r")"
			elif [ $live = 0 ]; then
				pass "dashboard: $e (valid; no data without root)"
			elif [[ $e == *bpf_run* ]] && [ "$stats" != 1 ]; then
				pass "dashboard: $e (valid; no data: kernel.bpf_stats_enabled is 0)"
			elif [ "$(jq '.data.result | length' <<<"$r")" -gt 0 ]; then
				pass "dashboard: $e (has data)"
			else
				fail "dashboard: $e" "no data from a live netbpf"
			fi
		done <"$T/exprs"
		[ $live = 0 ] && skip "dashboard: expressions against a live netbpf" "needs root"
	fi
fi

# ---- shell completion ----
# the options netbpf --help prints, one per line
"$NETBPF" --help | sed -n '/^Options:/,/^$/p' | grep -E '^ +-' | sed 's/^ *//; s/   .*//' |
	grep -oE -- '-{1,2}[A-Za-z0-9][-A-Za-z0-9]*' | sort -u >"$T/help.opts"
check_eq "--help lists options" 32 "$(wc -l <"$T/help.opts")"
check_eq "bash: complete -p netbpf" "complete -F _netbpf netbpf" \
	"$(bash -c 'source "$1"; complete -p netbpf' _ "$DEP/netbpf.bash")"
bash -c 'source "$1"; COMP_WORDS=(netbpf -); COMP_CWORD=1; _netbpf; printf "%s\n" "${COMPREPLY[@]}"' \
	_ "$DEP/netbpf.bash" | sort -u >"$T/bash.opts"
check_eq "bash: the options are those of --help" "$(xargs <"$T/help.opts")" "$(xargs <"$T/bash.opts")"
check_eq "bash: commands" "top trace serve doctor" \
	"$(bash -c 'source "$1"; COMP_WORDS=(netbpf ""); COMP_CWORD=1; _netbpf; echo "${COMPREPLY[@]}"' _ "$DEP/netbpf.bash")"
check_eq "bash: --proto list items" "tcp,udp" \
	"$(bash -c 'source "$1"; COMP_WORDS=(netbpf --proto tcp,u); COMP_CWORD=2; _netbpf; echo "${COMPREPLY[@]}"' _ "$DEP/netbpf.bash")"
check_eq "bash: --by=VIEW" "flow" \
	"$(bash -c 'source "$1"; COMP_WORDS=(netbpf --by = fl); COMP_CWORD=3; _netbpf; echo "${COMPREPLY[@]}"' _ "$DEP/netbpf.bash")"
check_eq "bash: --backend" "fentry" \
	"$(bash -c 'source "$1"; COMP_WORDS=(netbpf --backend f); COMP_CWORD=2; _netbpf; echo "${COMPREPLY[@]}"' _ "$DEP/netbpf.bash")"
if need "zsh completion" zsh; then
	out=$(zsh -n "$DEP/_netbpf" 2>&1)
	[ $? = 0 ] && pass "zsh -n _netbpf" || fail "zsh -n _netbpf" "$out"
	check_eq "zsh: compinit finds _netbpf for netbpf" _netbpf \
		"$(cd "$T" && HOME=$T zsh -fc 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -D; print -r -- $_comps[netbpf]' _ "$DEP")"
	# the option specs: -p+ --pid= -4[ {-j,--json} (not the exclusion lists)
	grep -oE -- "-{1,2}[A-Za-z0-9][-A-Za-z0-9]*[]+=[,}]" "$DEP/_netbpf" | sed 's/.$//' |
		sort -u >"$T/zsh.opts"
	check_eq "zsh: the options are those of --help" "$(xargs <"$T/help.opts")" "$(xargs <"$T/zsh.opts")"
fi
