// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <bpf/libbpf.h>
#include "errors.h"
#include "text.h"

void nb_errline(const char *fmt, ...)
{
	char msg[2048], out[sizeof(msg) * 4 + 16];
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (const char *s = msg; *s && n + NB_TEXT_SPELL_MAX < sizeof(out);) {
		uint32_t cp;
		int len = nb_utf8_next(s, &cp);

		n += nb_text_spell(out + n, s, len, cp);
		s += len;
	}
	fprintf(stderr, "netbpf: %.*s\n", (int)n, out);
}

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
