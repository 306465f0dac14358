#!/bin/sh
# Check that the Debian packages netbpf needs are installed, and install the
# missing ones (as root, or through sudo). Usage: scripts/deps.sh build|test|bench
set -u

build="clang llvm bpftool make pkg-config libbpf-dev libelf-dev zlib1g-dev"
build="$build libmnl-dev"	# netlink link events (user/tc_links.c)
build="$build libncurses-dev"	# the full-screen view (user/top.c)
build="$build libmicrohttpd-dev"	# netbpf serve (user/serve.c)
build="$build libyaml-dev libcrypt-dev libgnutls28-dev"	# serve --web-config (user/webcfg.c)
test="libcmocka-dev iproute2 jq util-linux procps liburing-dev"
test="$test libcap2-bin"	# tests/e2e/cli.sh: capsh drops one capability of root
test="$test tmux"	# tests/e2e/top.sh drives netbpf top in tmux
test="$test curl"	# tests/e2e/serve.sh scrapes /metrics
test="$test ethtool"	# tests/e2e/offload.sh: TSO, GSO and GRO off and on
test="$test qemu-system-x86 busybox-static"	# tests/kernel: Debian's kernels under QEMU
test="$test podman runc"	# tests/e2e/containers.sh: real containers (busybox-static image)
# tests/e2e/deploy.sh: the tools that read deploy/ (systemd-analyze, promtool
# and prometheus, a YAML parser, zsh, and man for the unit's Documentation=);
# prometheus also for promtool on the page and tests/e2e/fleet.sh
test="$test systemd prometheus python3-yaml zsh man-db"
# tests/e2e/serve_http.sh: a self-signed certificate, a bcrypt hash
# (python3's crypt), netbpf as nobody with three capabilities (capsh)
test="$test openssl python3"
# tests/e2e/hosts.sh: a resolver of the test's own for reverse DNS (and
# python3 above for 17,000 host pairs)
test="$test dnsmasq-base"
# make bench: the tools netbpf is compared with, and iperf3 for bulk traffic
bench="iproute2 jq procps util-linux iperf3 nethogs bpftrace tmux liburing-dev"

case "${1:-build}" in
build) want="$build" ;;
test)  want="$build $test" ;;
bench) want="$build $bench" ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "netbpf: missing packages:$missing (hint: this is not a Debian system: install their equivalents by hand)" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	run=""
elif command -v sudo >/dev/null 2>&1; then
	run="sudo"
else
	echo "netbpf: missing packages:$missing (hint: as root, apt-get install$missing)" >&2
	exit 1
fi
echo "  DEPS    installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet: update, then install.
$run apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
	{ $run apt-get update -q >/dev/null && $run apt-get install -y -q --no-install-recommends $missing >/dev/null; } || {
	echo "netbpf: could not install:$missing (hint: apt-get install$missing)" >&2
	exit 1
}
