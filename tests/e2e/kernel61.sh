#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The hook rungs this machine's kernel cannot run (fexit, kprobes) and the
# clsact attach method, proven on Debian's own 6.1 kernel booted under QEMU
# (tests/e2e/kernel612.sh does the same on 6.12):
# tests/kernel/run.sh (make test-kernel) does the work; this relays its
# PASS/FAIL/SKIP lines to tests/run.sh. SKIP (with the reason) where QEMU
# is missing or not root; NETBPF_REQUIRE_BPF=1 (CI) makes that a failure.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export NETBPF_KERNEL=6.1
unset NETBPF_KERNEL_GUEST_MODE
[[ "${NETBPF_KERNEL_PKG:-}" == linux-image-6.1.* ]] || unset NETBPF_KERNEL_PKG
"$ROOT/tests/kernel/run.sh"
rc=$?
[ "$rc" -eq 77 ] && exit 0	# skipped: the SKIP line says why
exit "$rc"
