#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Debian's 6.12 kernel (bookworm's security updates) booted under QEMU: the
# three hook rungs side by side (doctor picks the tracepoint rung; exact
# bytes with it, with --backend fentry and with --backend kprobe), tcx and
# clsact, SCTP one-to-one and one-to-many. tests/kernel/run.sh does the
# work; this relays its PASS/FAIL/SKIP lines to tests/run.sh. SKIP (with
# the reason) where QEMU or the package is missing; NETBPF_REQUIRE_BPF=1
# (CI) makes that a failure.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export NETBPF_KERNEL=6.12
unset NETBPF_KERNEL_GUEST_MODE
[[ "${NETBPF_KERNEL_PKG:-}" == linux-image-6.12.* ]] || unset NETBPF_KERNEL_PKG
"$ROOT/tests/kernel/run.sh"
rc=$?
[ "$rc" -eq 77 ] && exit 0	# skipped: the SKIP line says why
exit "$rc"
