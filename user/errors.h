/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* netbpf's own errors: one line on stderr, "netbpf: what (hint: how)". */
#ifndef NB_ERRORS_H
#define NB_ERRORS_H

#include <stdio.h>

/* Print the error line and return code from the calling function. */
#define nb_fail(code, ...) do { \
	nb_errline(__VA_ARGS__); \
	return code; \
} while (0)

/* "netbpf: " and the message on stderr, as one line whatever it quotes
 * (an argument, an environment value): control characters and bytes
 * that are not UTF-8 are spelled as escapes (text.h). */
void nb_errline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "Operation not permitted" with a hint, for one-line errors. */
const char *nb_errhint(int err);

#endif
