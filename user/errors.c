// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <bpf/libbpf.h>
#include "errors.h"

const char *nb_errhint(int err)
{
	switch (-err) {
	case EPERM:
		return "not permitted: run as root (CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)";
	case EACCES:
		return "refused by the kernel's verifier (netbpf -v shows why)";
	case ENOENT:
	case ESRCH:
		return "the kernel lacks the hook or its BTF";
	case EOPNOTSUPP:
	case EINVAL:
		return "not supported by this kernel";
	}
	/* libbpf's own codes (4000 and up: "not an ELF file", ...) too */
	static char buf[128];

	libbpf_strerror(err, buf, sizeof(buf));
	return buf;
}
