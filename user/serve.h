/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NB_SERVE_H
#define NB_SERVE_H

#include "opts.h"

/* netbpf serve: metrics over HTTP until a signal. Returns the exit status. */
int nb_serve_run(const struct nb_opts *o);
/* "127.0.0.1:9976", "[::1]:9976" or "0.0.0.0:80" into a socket address;
 * 0 or -1. */
struct sockaddr_storage;
int nb_parse_listen(const char *s, struct sockaddr_storage *ss);

#endif
