#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The second-kernel guest in map-memory mode (tests/kernel/run.sh with
# NETBPF_KERNEL_GUEST_MODE=mapmem, usually NETBPF_KERNEL_SMP=64; bench/run.sh
# section mapmem): the kernel memory of netbpf's maps with as many CPUs as
# QEMU gave, measured by bench/mapmem.sh, for "netbpf trace" with its
# default views and with every view. Each figure comes back on the console
# as "# mapmem views=VIEWS <bench/mapmem.sh line>"; each measurement that
# worked is a PASS line.
set -u
cd /nb || exit 1
failures=0
echo "# guest kernel $(uname -r) ($(uname -m)), $(nproc) CPUs online, possible $(cat /sys/devices/system/cpu/possible)"
for views in default process,flow,cgroup,iface,total; do
	args=()
	[ "$views" = default ] || args=(--by "$views")
	if out=$(bash bench/mapmem.sh -- "${args[@]}" 2>&1) && grep -q '^total ' <<<"$out"; then
		while IFS= read -r line; do echo "# mapmem views=$views $line"; done <<<"$out"
		echo "PASS mapmem views=$views: $(grep '^total ' <<<"$out" | cut -d' ' -f2-)"
	else
		echo "FAIL mapmem views=$views: $(tr '\n' ' ' <<<"$out")"
		failures=$((failures + 1))
	fi
done
echo "# guest: $failures failed"
[ "$failures" -eq 0 ]
