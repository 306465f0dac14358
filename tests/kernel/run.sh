#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# netbpf on a second kernel: Debian's own 6.1 cloud kernel, booted under
# QEMU (TCG: no KVM needed) with a small initramfs that holds netbpf, its
# shared libraries, the end-to-end tests and the traffic generator. Proves
# the rungs this machine's kernel cannot run: fexit (rung 2), kprobes
# (rung 3), and interface counters through clsact (6.1 has no tcx).
#
#   tests/kernel/run.sh      (make test-kernel; tests/e2e/kernel61.sh in make test)
#
# Steps, each cached under .output/kernel/:
#   1. apt-get download linux-image-6.1.0-*-cloud-amd64-unsigned (the newest
#      6.1 one Debian has; NETBPF_KERNEL_PKG=name picks another), keep its
#      vmlinuz and the modules sch_ingress, cls_bpf and veth;
#   2. build the initramfs (busybox from busybox-static, netbpf, bash, jq,
#      ip, tc, bpftool and their libraries found with ldd, the tests);
#      rebuilt when an input is newer than it;
#      (NETBPF_KERNEL_GUEST=FILE puts FILE in place of guest.sh: debugging)
#   3. boot it, bounded by a timeout (NETBPF_KERNEL_TIMEOUT, seconds,
#      default 420); tests/kernel/init mounts, loads the modules and runs
#      tests/kernel/guest.sh, whose PASS/FAIL/SKIP lines come back on the
#      serial console (also kept in .output/kernel/console.log).
# Output: the guest's "# ..." information lines (its kernel version first)
# and "PASS name" / "FAIL name: why" / "SKIP name: why" lines. Exit 0 when
# the guest ran to its end and nothing failed, 1 otherwise, 77 when it
# cannot run here (no QEMU or busybox-static, no package): the reason is
# printed. Root is not needed on this side (netbpf runs as root in the guest).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
K=$ROOT/.output/kernel
TIMEOUT=${NETBPF_KERNEL_TIMEOUT:-420}
MODULES="sch_ingress cls_bpf veth"
BUSYBOX=/bin/busybox	# busybox-static: the guest has no libc of its own for it

say() { echo "# $*"; }
cannot() { echo "SKIP second kernel: $*"; exit 77; }
die() { echo "FAIL second kernel: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null ||
	cannot "qemu-system-x86_64 is not installed (hint: apt-get install qemu-system-x86 busybox-static, or scripts/deps.sh test)"
if ! [ -x "$BUSYBOX" ] || ! "$BUSYBOX" cpio --help 2>&1 | grep -q -- '-o'; then
	cannot "no static busybox at $BUSYBOX (hint: apt-get install busybox-static)"
fi
for f in netbpf .output/tests/nbgen; do
	[ -x "$ROOT/$f" ] || die "no $f: build first (make netbpf tools)"
done
for c in bash jq ip tc bpftool clang ldd dpkg-deb; do
	command -v "$c" >/dev/null || die "no $c on this machine (hint: scripts/deps.sh test)"
done
mkdir -p "$K"
# one run at a time: they share the cache, the initramfs and the console log
exec 9>"$K/lock"
flock -w "$TIMEOUT" 9 || die "another run holds ${K#"$ROOT"/}/lock"

# ---- 1. the kernel package ----

fetch_kernel() {
	local pkg=${NETBPF_KERNEL_PKG:-} deb tmp
	if [ -z "$pkg" ]; then
		pkg=$(newest_61)
		if [ -z "$pkg" ]; then
			apt-get update -q >/dev/null 2>&1
			pkg=$(newest_61)
		fi
	fi
	[ -n "$pkg" ] || cannot "no linux-image-6.1.0-*-cloud-amd64-unsigned in the package lists (hint: apt-get update)"
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
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards \
		'./boot/vmlinuz-*' '*/sch_ingress.ko' '*/cls_bpf.ko' '*/veth.ko' ||
		{ rm -rf "$tmp"; die "cannot unpack $deb"; }
	rm -rf "$K/pkg"
	mkdir -p "$K/pkg/modules"
	mv "$tmp"/x/boot/vmlinuz-* "$K/pkg/vmlinuz"
	for m in $MODULES; do
		find "$tmp/x" -name "$m.ko" -exec mv {} "$K/pkg/modules/" \;
		[ -f "$K/pkg/modules/$m.ko" ] || { rm -rf "$tmp"; die "$pkg has no $m.ko"; }
	done
	basename "$deb" >"$K/pkg/package"
	rm -rf "$tmp"
}

# the newest linux-image-6.1.0-N-cloud-amd64-unsigned the package lists know
newest_61() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -1
}

if [ ! -f "$K/pkg/package" ] ||
   { [ -n "${NETBPF_KERNEL_PKG:-}" ] && ! grep -q "^${NETBPF_KERNEL_PKG}_" "$K/pkg/package"; }; then
	fetch_kernel
fi
say "kernel package: $(cat "$K/pkg/package") (cached in ${K#"$ROOT"/}/pkg)"

# ---- 2. the initramfs ----

INITRD=$K/initrd.cpio
GUEST_FILES="netbpf .output/tests/nbgen tests/kernel/init tests/kernel/guest.sh
	tests/tools/foreign.bpf.c tests/e2e/lib.sh tests/e2e/proc_bytes.sh tests/e2e/iface.sh
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
	put_bin "$ROOT/netbpf" /nb/netbpf
	put_bin "$ROOT/.output/tests/nbgen" /nb/.output/tests/nbgen
	install -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$R/lib64/ld-linux-x86-64.so.2"
	cp "$K"/pkg/modules/*.ko "$R/lib/modules/"
	# the tests, at the same paths as in the tree (lib.sh finds netbpf
	# and nbgen from its own place)
	install -D -m 0755 "$ROOT/tests/kernel/init" "$R/init"
	install -D -m 0755 "${NETBPF_KERNEL_GUEST:-$ROOT/tests/kernel/guest.sh}" "$R/nb/tests/kernel/guest.sh"
	for b in lib.sh proc_bytes.sh iface.sh; do
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
say "booting $(sed 's/_.*//' "$K/pkg/package") under qemu-system-x86_64 -accel tcg (timeout ${TIMEOUT}s)"
start=$(date +%s)
# The guest prints on ttyS0; its init powers off at the end (-no-reboot
# turns a panic into an exit too). Lines are relayed as they come.
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 \
	-nographic -no-reboot -nic none -monitor none -serial stdio \
	-kernel "$K/pkg/vmlinuz" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
	</dev/null 2>&1 | tr -d '\r' | tee "$LOG" | grep -a --line-buffered -E '^(PASS|FAIL|SKIP|#) '
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "FAIL second kernel: the guest did not finish within ${TIMEOUT}s (console: ${LOG#"$ROOT"/})"
	tail -30 "$LOG" | sed 's/^/    | /'
	exit 1
fi
if ! grep -aq '^NETBPF-GUEST-END' "$LOG"; then
	echo "FAIL second kernel: the guest stopped before its end (qemu exit $rc; console: ${LOG#"$ROOT"/})"
	tail -30 "$LOG" | sed 's/^/    | /'
	exit 1
fi
say "guest ran ${secs}s"
if grep -aq '^FAIL ' "$LOG" || ! grep -aq '^PASS ' "$LOG"; then
	exit 1
fi
exit 0
