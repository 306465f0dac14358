/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* netbpf serve --listen ADDR:PORT: the address serve listens on. */
#ifndef NB_LISTEN_H
#define NB_LISTEN_H

struct sockaddr_storage;

/* "127.0.0.1:9976", "[::1]:9976" or "0.0.0.0:80" into a socket address;
 * 0 or -1. */
int nb_parse_listen(const char *s, struct sockaddr_storage *ss);

#endif
