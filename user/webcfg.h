/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netbpf serve --web-config FILE: TLS and basic authentication, in the web
 * configuration format of the Prometheus exporters:
 *
 *   tls_server_config:
 *     cert_file: server.crt      # relative to the file's own folder
 *     key_file: server.key
 *   basic_auth_users:
 *     prometheus: $2y$10$...     # bcrypt (htpasswd -nB)
 */
#ifndef NB_WEBCFG_H
#define NB_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>

struct nb_webuser {
	char *name;
	char *hash;		/* bcrypt: $2a$, $2b$ or $2y$ */
	unsigned char seen[32];	/* SHA-256 of salt, name and the last good password */
	bool has_seen;
};

struct nb_webcfg {
	char *cert, *key;	/* PEM text, or NULL: plain HTTP */
	struct nb_webuser *users;
	int nusers;		/* 0: no authentication */
	unsigned char salt[16];
	double tokens, last;	/* bcrypt checks allowed now; when counted */
};

/* Read and check the file (certificate and key included). 0, or -1 with
 * a message that names the file and the problem in err (no "netbpf: "). */
int nb_webcfg_load(const char *path, struct nb_webcfg *w, char *err, size_t errlen);
void nb_webcfg_free(struct nb_webcfg *w);

enum nb_auth { NB_AUTH_OK, NB_AUTH_DENIED, NB_AUTH_BUSY };
/*
 * Check a user name and password (either may be NULL). A password that
 * passed once is known again by a SHA-256 of it, without bcrypt; bcrypt
 * checks of unknown passwords are limited to NB_AUTH_RATE a second
 * (NB_AUTH_BUSY past that), so wrong passwords cannot keep the HTTP
 * threads busy. Thread-safe.
 */
#define NB_AUTH_RATE 8
enum nb_auth nb_webcfg_check(struct nb_webcfg *w, const char *user, const char *pass);

#endif
