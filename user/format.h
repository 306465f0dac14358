/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human units for the text front ends. */
#ifndef NB_FORMAT_H
#define NB_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "0 B", "999 B", "1.0 KiB", "12.3 MiB", ... (1024 steps) */
char *nb_fmt_bytes(char *buf, size_t len, double bytes);
/* The name of a user id ("1000" when it has none), cached. */
char *nb_user_name(uint32_t uid, char *out, size_t len);
/* "1.2 MiB/s", or in bits with SI steps: "9.8 Mbit/s" */
char *nb_fmt_rate(char *buf, size_t len, double bytes_per_s, bool bits);
/* A start time (Unix seconds) as ps shows it, in local time and at most
 * 8 columns: "14:03:59" when less than a day before now, else "Nov 24";
 * "-" when unknown (0). */
char *nb_fmt_start(char *buf, size_t len, double start, double now);
/* Copy s into buf, cut to width columns with a trailing '+' when cut. */
char *nb_fmt_trunc(char *buf, size_t len, const char *s, int width);

/* An address in text: "10.0.0.1" (family 4, 4 bytes) or "fd00::1" (6). */
char *nb_fmt_ip(char *buf, size_t len, int family, const unsigned char *addr);
/* "10.0.0.1:80", "[fd00::1]:443", "*" for no address and port. */
char *nb_fmt_endpoint(char *buf, size_t len, int family, const unsigned char *addr,
		      unsigned port);

#endif
