/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* netbpf's own errors: one line on stderr, "netbpf: what (hint: how)". */
#ifndef NB_ERRORS_H
#define NB_ERRORS_H

#include <stdio.h>

/* Print the error line and return code from the calling function. */
#define nb_fail(code, ...) do { \
	fprintf(stderr, "netbpf: " __VA_ARGS__); \
	fputc('\n', stderr); \
	return code; \
} while (0)

/* "Operation not permitted" with a hint, for one-line errors. */
const char *nb_errhint(int err);

#endif
