#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# netbpf on a second kernel: one of Debian's own cloud kernels (6.1 by
# default, 6.12 with NETBPF_KERNEL=6.12), booted under QEMU (TCG: no KVM
# needed) with a small initramfs that holds netbpf, its shared libraries,
# the end-to-end tests and the traffic generator. Proves what this
# machine's kernel cannot run: fexit (rung 2), kprobes (rung 3), clsact;
# on 6.12 also rung 1 beside them, tcx, and SCTP.
#
#   tests/kernel/run.sh      (make test-kernel; tests/e2e/kernel61.sh and
#                             tests/e2e/kernel612.sh in make test)
#
# Environment:
#   NETBPF_KERNEL=X.Y        the kernel series: 6.1 (default) or 6.12; the
#                            newest linux-image-X.Y.*-cloud-amd64-unsigned
#                            the package lists know is fetched
#   NETBPF_KERNEL_PKG=name   that exact package instead (its series is taken
#                            from its name: NETBPF_KERNEL is then ignored)
#   NETBPF_KERNEL_SMP=N      guest CPUs (qemu -smp N, default 2)
#   NETBPF_KERNEL_MEM=MiB    guest memory (default 1024; 1024 + 32 per CPU
#                            above 8 CPUs: per-CPU maps grow with CPUs)
#   NETBPF_KERNEL_TCG=OPTS   more -accel tcg options: thread=single (one host
#                            thread for all vCPUs) or thread=multi (one each).
#                            Default: single when there are more guest CPUs
#                            than host CPUs (64 on 2: 26 s against 119 s for
#                            the map-memory guest), else QEMU's (multi)
#   NETBPF_KERNEL_TIMEOUT=S  bound on the boot and run (default 420 s; 1200
#                            s above 8 CPUs)
#   NETBPF_KERNEL_GUEST_MODE=test|mapmem  what the guest runs: the checks
#                            (tests/kernel/guest.sh, default) or the map
#                            memory figures (tests/kernel/mapmem.sh)
#   NETBPF_KERNEL_GUEST=FILE puts FILE in place of guest.sh (debugging)
#
# Steps, each cached under .output/kernel/X.Y/ (one folder per series, so
# both can be cached at once):
#   1. apt-get download the package, keep its vmlinuz and the modules
#      sch_ingress, cls_bpf, veth, and sctp where the package has it, with
#      the modules they depend on (read from each module's .modinfo),
#      decompressed (6.12 ships them as .ko.xz); pkg/modules/order says in
#      which order the guest loads them;
#   2. build the initramfs (busybox from busybox-static, netbpf, bash, jq,
#      ip, tc, bpftool, ethtool and their libraries found with ldd, the tests);
#      rebuilt when an input is newer than it;
#   3. boot it, bounded by the timeout; tests/kernel/init mounts, loads the
#      modules and runs the guest script, whose PASS/FAIL/SKIP lines come
#      back on the serial console (also kept in .output/kernel/X.Y/console.log).
# Output: the guest's "# ..." information lines (its kernel version first)
# and "PASS name" / "FAIL name: why" / "SKIP name: why" lines. Exit 0 when
# the guest ran to its end and nothing failed, 1 otherwise, 77 when it
# cannot run here (no QEMU or busybox-static, no package): the reason is
# printed. Root is not needed on this side (netbpf runs as root in the guest).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SMP=${NETBPF_KERNEL_SMP:-2}
MODE=${NETBPF_KERNEL_GUEST_MODE:-test}
MODULES="sch_ingress cls_bpf veth"	# needed: the guest fails without them
MODULES_OPT="sctp"			# loaded where the package has them
BUSYBOX=/bin/busybox	# busybox-static: the guest has no libc of its own for it

say() { echo "# $*"; }
cannot() { echo "SKIP second kernel${SERIES:+ $SERIES}: $*"; exit 77; }
die() { echo "FAIL second kernel${SERIES:+ $SERIES}: $*"; exit 1; }

if [ -n "${NETBPF_KERNEL_PKG:-}" ]; then
	SERIES=$(sed -nE 's/^linux-image-([0-9]+\.[0-9]+)[.-].*/\1/p' <<<"$NETBPF_KERNEL_PKG")
	[ -n "$SERIES" ] || die "NETBPF_KERNEL_PKG=$NETBPF_KERNEL_PKG: not a linux-image-X.Y... package name"
else
	SERIES=${NETBPF_KERNEL:-6.1}
fi
[[ "$SERIES" =~ ^[0-9]+\.[0-9]+$ ]] || die "NETBPF_KERNEL=$SERIES: use a series such as 6.1 or 6.12"
if ! [[ "$SMP" =~ ^[1-9][0-9]*$ ]] || [ "$SMP" -gt 255 ]; then
	die "NETBPF_KERNEL_SMP=$SMP: use 1 to 255"
fi
MEM=${NETBPF_KERNEL_MEM:-$((SMP > 8 ? 1024 + 32 * SMP : 1024))}
TIMEOUT=${NETBPF_KERNEL_TIMEOUT:-$((SMP > 8 ? 1200 : 420))}
TCG=${NETBPF_KERNEL_TCG-$( [ "$SMP" -gt "$(nproc)" ] && echo thread=single)}
case "$MODE" in test|mapmem) ;; *) die "NETBPF_KERNEL_GUEST_MODE=$MODE: use test or mapmem" ;; esac
K=$ROOT/.output/kernel/$SERIES

command -v qemu-system-x86_64 >/dev/null ||
	cannot "qemu-system-x86_64 is not installed (hint: apt-get install qemu-system-x86 busybox-static, or scripts/deps.sh test)"
if ! [ -x "$BUSYBOX" ] || ! "$BUSYBOX" cpio --help 2>&1 | grep -q -- '-o'; then
	cannot "no static busybox at $BUSYBOX (hint: apt-get install busybox-static)"
fi
for f in netbpf .output/tests/nbgen; do
	[ -x "$ROOT/$f" ] || die "no $f: build first (make netbpf tools)"
done
for c in bash jq ip tc bpftool ethtool clang ldd dpkg-deb objcopy xz; do
	command -v "$c" >/dev/null || die "no $c on this machine (hint: scripts/deps.sh test)"
done
mkdir -p "$K"
# the cache of the single-kernel layout (before one folder per series)
rm -rf "$ROOT/.output/kernel/pkg" "$ROOT/.output/kernel/root" "$ROOT/.output/kernel"/initrd.cpio* \
	"$ROOT/.output/kernel/console.log"
# one run of a series at a time: they share its cache, initramfs and console log
exec 9>"$K/lock"
flock -w "$TIMEOUT" 9 || die "another run holds ${K#"$ROOT"/}/lock"

# ---- 1. the kernel package ----

# the newest linux-image-X.Y.*-cloud-amd64-unsigned the package lists know:
# 6.1 is named linux-image-6.1.0-N-cloud-amd64-unsigned, 6.12 (bookworm's
# security updates) linux-image-6.12.N+deb12-cloud-amd64-unsigned
newest() {
	apt-cache search --names-only "^linux-image-${SERIES//./\\.}\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-cloud-amd64-unsigned\$" 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -1
}

# put_module TMP NAME REQUIRED: NAME.ko (found in the unpacked package in
# TMP, decompressed) into $K/pkg.new/modules, after the modules it
# depends on; its name appended to the load order
put_module() {
	local tmp=$1 name=$2 req=$3 f dep out=$K/pkg.new/modules
	[ -f "$out/$name.ko" ] && return 0
	# file names may spell with '-' what module names spell with '_'
	f=$(find "$tmp/x/lib/modules" -name "${name//_/[_-]}.ko*" | head -1)
	if [ -z "$f" ]; then
		[ "$req" = 1 ] && die "$(cat "$K/pkg.new/package") has no $name.ko"
		say "$(cat "$K/pkg.new/package") has no $name.ko: not loaded"
		return 1
	fi
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$out/$name.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$out/$name.ko" ;;
	*.ko) cp "$f" "$out/$name.ko" ;;
	*) die "$f: unknown module compression" ;;
	esac || die "cannot decompress $f"
	for dep in $(objcopy -O binary --only-section=.modinfo "$out/$name.ko" /dev/stdout |
		     tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		put_module "$tmp" "$dep" 1
	done
	echo "$name" >>"$out/order"
}

fetch_kernel() {
	local pkg=${NETBPF_KERNEL_PKG:-} deb tmp m
	if [ -z "$pkg" ]; then
		pkg=$(newest)
		if [ -z "$pkg" ]; then
			apt-get update -q >/dev/null 2>&1
			pkg=$(newest)
		fi
	fi
	[ -n "$pkg" ] || cannot "no linux-image-$SERIES.*-cloud-amd64-unsigned in the package lists (hint: apt-get update; 6.12 comes from bookworm-security)"
	say "fetching $pkg"
	tmp=$(mktemp -d "$K/dl.XXXXXX")
	# apt's sandbox user may not write here: download as root, quietly
	if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err"); then
		cat "$tmp/err" >&2
		rm -rf "$tmp"
		cannot "apt-get download $pkg failed"
	fi
	deb=$(ls "$tmp"/*.deb)
	mkdir -p "$tmp/x"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' './lib/modules/*' ||
		{ rm -rf "$tmp"; die "cannot unpack $deb"; }
	rm -rf "$K/pkg.new"
	mkdir -p "$K/pkg.new/modules"
	basename "$deb" >"$K/pkg.new/package"
	mv "$tmp"/x/boot/vmlinuz-* "$K/pkg.new/vmlinuz"
	for m in $MODULES; do
		put_module "$tmp" "$m" 1
	done
	for m in $MODULES_OPT; do
		put_module "$tmp" "$m" 0
	done
	rm -rf "$tmp" "$K/pkg"
	mv "$K/pkg.new" "$K/pkg"
}

if [ ! -f "$K/pkg/package" ] ||
   { [ -n "${NETBPF_KERNEL_PKG:-}" ] && ! grep -q "^${NETBPF_KERNEL_PKG}_" "$K/pkg/package"; }; then
	fetch_kernel
fi
say "kernel package: $(cat "$K/pkg/package") (cached in ${K#"$ROOT"/}/pkg; modules: $(xargs <"$K/pkg/modules/order"))"

# ---- 2. the initramfs ----

INITRD=$K/initrd.cpio
GUEST_FILES="netbpf .output/tests/nbgen tests/kernel/init tests/kernel/guest.sh tests/kernel/mapmem.sh
	bench/mapmem.sh tests/tools/foreign.bpf.c tests/e2e/lib.sh tests/e2e/proc_bytes.sh tests/e2e/iface.sh tests/e2e/packet.sh tests/e2e/offload.sh
	tests/kernel/run.sh"

stale() {
	local f
	[ -f "$INITRD" ] || return 0
	[ -n "${NETBPF_KERNEL_GUEST:-}" ] && return 0
	grep -qx "${NETBPF_KERNEL_GUEST:-}" "$INITRD.guest" 2>/dev/null || return 0
	[ "$K/pkg/package" -nt "$INITRD" ] && return 0
	for f in $GUEST_FILES; do
		[ "$ROOT/$f" -nt "$INITRD" ] && return 0
	done
	return 1
}

# copy BINARY into the tree at DEST, with every library ldd names
put_bin() {	# BINARY DEST
	local lib
	install -D -m 0755 "$1" "$R$2"
	for lib in $(ldd "$1" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
		[ -e "$R/lib/x86_64-linux-gnu/$(basename "$lib")" ] && continue
		install -D -m 0755 "$(readlink -f "$lib")" "$R/lib/x86_64-linux-gnu/$(basename "$lib")"
	done
}

build_initrd() {
	local b
	R=$K/root
	rm -rf "$R"
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,lib/modules,proc,sys,dev,tmp,run,etc,nb}
	mkdir -p "$R/var" && ln -s ../run "$R/var/run"
	install -m 0755 "$BUSYBOX" "$R/bin/busybox"
	for b in $("$BUSYBOX" --list); do
		[ -e "$R/bin/$b" ] || ln -s busybox "$R/bin/$b"
	done
	# real tools, found before busybox's applets in PATH
	put_bin "$(command -v bash)" /usr/bin/bash
	put_bin "$(command -v jq)" /usr/bin/jq
	put_bin "$(command -v ip)" /usr/sbin/ip
	put_bin "$(command -v tc)" /usr/sbin/tc
	put_bin "$(command -v bpftool)" /usr/sbin/bpftool
	put_bin "$(command -v ethtool)" /usr/sbin/ethtool
	put_bin "$ROOT/netbpf" /nb/netbpf
	put_bin "$ROOT/.output/tests/nbgen" /nb/.output/tests/nbgen
	install -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$R/lib64/ld-linux-x86-64.so.2"
	cp "$K"/pkg/modules/*.ko "$K/pkg/modules/order" "$R/lib/modules/"
	# the tests, at the same paths as in the tree (lib.sh finds netbpf
	# and nbgen from its own place)
	install -D -m 0755 "$ROOT/tests/kernel/init" "$R/init"
	install -D -m 0755 "${NETBPF_KERNEL_GUEST:-$ROOT/tests/kernel/guest.sh}" "$R/nb/tests/kernel/guest.sh"
	install -D -m 0755 "$ROOT/tests/kernel/mapmem.sh" "$R/nb/tests/kernel/mapmem.sh"
	install -D -m 0755 "$ROOT/bench/mapmem.sh" "$R/nb/bench/mapmem.sh"
	for b in lib.sh proc_bytes.sh iface.sh packet.sh offload.sh; do
		install -D -m 0644 "$ROOT/tests/e2e/$b" "$R/nb/tests/e2e/$b"
	done
	# the foreign TC filter the clsact checks must leave alone
	clang -O2 -g -target bpf -I"$ROOT/vmlinux" -c "$ROOT/tests/tools/foreign.bpf.c" \
		-o "$R/nb/foreign.o" || die "tests/tools/foreign.bpf.c did not compile"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
	printf 'root:x:0:\n' >"$R/etc/group"
	(cd "$R" && find . | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 >"$INITRD.tmp" 2>/dev/null) ||
		die "cannot pack the initramfs"
	mv "$INITRD.tmp" "$INITRD"
	echo "${NETBPF_KERNEL_GUEST:-}" >"$INITRD.guest"	# which guest script it holds
	rm -rf "$R"
}

if stale; then
	say "building the initramfs"
	build_initrd
fi

# ---- 3. boot ----

LOG=$K/console.log
say "booting $(sed 's/_.*//' "$K/pkg/package") under qemu-system-x86_64 -accel tcg${TCG:+,$TCG}, $SMP CPUs, $MEM MiB, guest mode $MODE (timeout ${TIMEOUT}s)"
start=$(date +%s)
# The guest prints on ttyS0; its init powers off at the end (-no-reboot
# turns a panic into an exit too). Lines are relayed as they come. The
# kernel command line tells the guest which series it should be running
# (guest.sh checks it) and what to run (init reads netbpf.mode).
boot() {
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "tcg${TCG:+,$TCG}" -cpu max -m "$MEM" -smp "$SMP" \
		-nographic -no-reboot -nic none -monitor none -serial stdio \
		-kernel "$K/pkg/vmlinuz" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init netbpf.kernel=$SERIES netbpf.mode=$MODE" \
		</dev/null 2>&1 | tr -d '\r' | tee "$LOG" | grep -a --line-buffered -E '^(PASS|FAIL|SKIP|#) '
	rc=${PIPESTATUS[0]}
}
boot
# A kernel that panicked while booting, before the guest's init printed a
# line, ran nothing of netbpf's: seen once in CI, an int3 oops while
# secondary CPUs came up under TCG. Booted once more, and said so.
if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && grep -aq 'Kernel panic' "$LOG" &&
	! grep -aqE '^(PASS|FAIL|SKIP|#) ' "$LOG"; then
	echo "# second kernel $SERIES: the kernel panicked while booting, before the guest ran anything: booting again"
	cp "$LOG" "$LOG.first"
	boot
fi
secs=$(($(date +%s) - start))

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "FAIL second kernel $SERIES: the guest did not finish within ${TIMEOUT}s (console: ${LOG#"$ROOT"/})"
	tail -30 "$LOG" | sed 's/^/    | /'
	exit 1
fi
if ! grep -aq '^NETBPF-GUEST-END' "$LOG"; then
	echo "FAIL second kernel $SERIES: the guest stopped before its end (qemu exit $rc; console: ${LOG#"$ROOT"/})"
	tail -30 "$LOG" | sed 's/^/    | /'
	exit 1
fi
say "guest ran ${secs}s"
if grep -aq '^FAIL ' "$LOG" || ! grep -aq '^PASS ' "$LOG"; then
	exit 1
fi
exit 0
