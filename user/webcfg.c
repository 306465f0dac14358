// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The web configuration file (see webcfg.h): YAML through libyaml's
 * document loader, the certificate and key checked with GnuTLS (the TLS
 * library libmicrohttpd uses), passwords with libcrypt's bcrypt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crypt.h>
#include <sys/random.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <yaml.h>
#include "clock.h"
#include "webcfg.h"

#define MAX_FILE (1 << 20)	/* a certificate chain is a few kB */

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

struct ld {
	const char *path;	/* the config file, for messages */
	char *err;
	size_t errlen;
	yaml_document_t *doc;
};

static int bad(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	size_t k;
	va_list ap;

	if (n)
		k = snprintf(l->err, l->errlen, "%s: line %zu: ", l->path, n->start_mark.line + 1);
	else
		k = snprintf(l->err, l->errlen, "%s: ", l->path);
	if (k >= l->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(l->err + k, l->errlen - k, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* An empty value (key: with nothing after it), ~ or null. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return !n || (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		      (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		       !strcmp(s, "NULL")));
}

/* The whole of a small file, NUL-terminated. */
static char *slurp(const char *path, int *err)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		*err = errno;
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		*err = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE + 1, f);
	*err = ferror(f) ? EIO : n > MAX_FILE ? EFBIG : 0;
	fclose(f);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* A path from the file, relative to the file's own folder. */
static char *resolve(const char *cfg, const char *p)
{
	const char *slash = strrchr(cfg, '/');
	char *out;

	if (p[0] == '/' || !slash)
		return strdup(p);
	if (asprintf(&out, "%.*s/%s", (int)(slash - cfg), cfg, p) < 0)
		return NULL;
	return out;
}

static int read_pem(struct ld *l, const yaml_node_t *n, const char *key, char **out)
{
	const char *v = scalar(n);
	char *path;
	int err;

	if (!v || !*v)
		return bad(l, n, "%s must be a file name", key);
	path = resolve(l->path, v);
	if (!path)
		return bad(l, n, "out of memory");
	*out = slurp(path, &err);
	if (!*out) {
		bad(l, n, "cannot read %s %s: %s (hint: a relative path starts at the web config's folder)",
		    key, path, strerror(err));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* Do the certificate and the key load, and belong together? */
static int check_tls(struct ld *l, const yaml_node_t *n, const char *cert, const char *key)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = { (unsigned char *)cert, strlen(cert) };
	gnutls_datum_t k = { (unsigned char *)key, strlen(key) };
	int r = gnutls_certificate_allocate_credentials(&cred);
	char why[200];
	size_t len;

	if (r < 0)
		return bad(l, n, "TLS: %s", gnutls_strerror(r));
	r = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (r >= 0)
		return 0;
	snprintf(why, sizeof(why), "%s", gnutls_strerror(r));
	len = strlen(why);
	if (len && why[len - 1] == '.')
		why[len - 1] = '\0';
	return bad(l, n, "cert_file and key_file: %s (hint: PEM files, the key unencrypted and made for this certificate)",
		   why);
}

static int load_tls(struct ld *l, const yaml_node_t *map, struct nb_webcfg *w)
{
	/* exporter-toolkit settings netbpf does not implement: refused, not
	 * ignored, as ignoring them would weaken what the file asks for */
	static const char *const unsupported[] = {
		"client_auth_type", "client_ca_file", "client_allowed_sans", "min_version",
		"max_version", "cipher_suites", "curve_preferences",
		"prefer_server_cipher_suites", NULL,
	};
	const yaml_node_t *cert = NULL, *key = NULL;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return bad(l, map, "tls_server_config must be a mapping with cert_file and key_file");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *name = scalar(k);
		bool known = false;

		if (!name)
			return bad(l, k, "tls_server_config: keys must be names");
		if (!strcmp(name, "cert_file") || !strcmp(name, "key_file")) {
			const yaml_node_t **slot = name[0] == 'c' ? &cert : &key;

			if (*slot)
				return bad(l, k, "%s given twice", name);
			*slot = v;
			continue;
		}
		for (int i = 0; unsupported[i]; i++)
			known |= !strcmp(name, unsupported[i]);
		return bad(l, k, known ? "tls_server_config: %s is not supported by netbpf"
				       : "tls_server_config: unknown key '%s' (hint: cert_file, key_file)",
			   name);
	}
	if (!cert || !key)
		return bad(l, map, "tls_server_config needs both cert_file and key_file (hint: PEM files, paths relative to this file)");
	if (read_pem(l, cert, "cert_file", &w->cert) || read_pem(l, key, "key_file", &w->key))
		return -1;
	return check_tls(l, map, w->cert, w->key);
}

static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) &&
	       h[3] == '$';
}

static int load_users(struct ld *l, const yaml_node_t *map, struct nb_webcfg *w)
{
	struct crypt_data *cd;
	int n;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return bad(l, map, "basic_auth_users must be a mapping of user names to bcrypt hashes");
	n = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
	w->users = calloc(n ? n : 1, sizeof(*w->users));
	cd = calloc(1, sizeof(*cd));
	if (!w->users || !cd) {
		free(cd);
		return bad(l, map, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
		const yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *name = scalar(k), *hash = scalar(v);
		const char *out;

		if (!name || !*name || strchr(name, ':')) {
			free(cd);
			return bad(l, k, "basic_auth_users: a user name must be a non-empty string without ':'");
		}
		for (int j = 0; j < w->nusers; j++)
			if (!strcmp(w->users[j].name, name)) {
				free(cd);
				return bad(l, k, "basic_auth_users: user '%s' given twice", name);
			}
		/* the hash must work here, or nobody could ever log in */
		out = hash && is_bcrypt(hash) ? crypt_rn("", hash, cd, sizeof(*cd)) : NULL;
		if (!out || out[0] == '*') {
			free(cd);
			return bad(l, v ? v : k, "basic_auth_users: the password of '%s' is not a bcrypt hash (hint: htpasswd -nbB USER PASSWORD, keep what follows the ':')",
				   name);
		}
		w->users[i].name = strdup(name);
		w->users[i].hash = strdup(hash);
		w->nusers++;
		if (!w->users[i].name || !w->users[i].hash) {
			free(cd);
			return bad(l, k, "out of memory");
		}
	}
	free(cd);
	return 0;
}

int nb_webcfg_load(const char *path, struct nb_webcfg *w, char *err, size_t errlen)
{
	struct ld l = { path, err, errlen, NULL };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	bool seen_tls = false, seen_users = false;
	FILE *f;
	int ret = -1;

	memset(w, 0, sizeof(*w));
	w->tokens = NB_AUTH_RATE;
	if (getrandom(w->salt, sizeof(w->salt), 0) != sizeof(w->salt))
		return bad(&l, NULL, "no random numbers: %s", strerror(errno));
	f = fopen(path, "re");
	if (!f)
		return bad(&l, NULL, "cannot read the web config: %s (hint: check the path given to --web-config)", strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return bad(&l, NULL, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		bad(&l, NULL, "line %zu: %s%s%s (hint: YAML as in the Prometheus exporters' web config)",
		    parser.problem_mark.line + 1, parser.problem ? parser.problem : "not YAML",
		    parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	l.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root) && root->type != YAML_MAPPING_NODE) {
		bad(&l, root, "expected tls_server_config and basic_auth_users");
		goto out;
	}
	for (yaml_node_pair_t *p = root && root->type == YAML_MAPPING_NODE ?
				   root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *name = scalar(k);
		bool *seen;

		if (!name) {
			bad(&l, k, "keys must be names");
			goto out;
		}
		if (!strcmp(name, "tls_server_config"))
			seen = &seen_tls;
		else if (!strcmp(name, "basic_auth_users"))
			seen = &seen_users;
		else if (!strcmp(name, "http_server_config")) {
			bad(&l, k, "http_server_config is not supported by netbpf");
			goto out;
		} else {
			bad(&l, k, "unknown key '%s' (hint: tls_server_config, basic_auth_users)", name);
			goto out;
		}
		if (*seen) {
			bad(&l, k, "%s given twice", name);
			goto out;
		}
		*seen = true;
		if (seen == &seen_tls ? load_tls(&l, v, w) : load_users(&l, v, w))
			goto out;
	}
	ret = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (ret)
		nb_webcfg_free(w);
	return ret;
}

void nb_webcfg_free(struct nb_webcfg *w)
{
	if (w->key)
		explicit_bzero(w->key, strlen(w->key));
	free(w->key);
	free(w->cert);
	for (int i = 0; i < w->nusers; i++) {
		free(w->users[i].name);
		free(w->users[i].hash);
	}
	free(w->users);
	memset(w, 0, sizeof(*w));
}

static bool same(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return !d;
}

enum nb_auth nb_webcfg_check(struct nb_webcfg *w, const char *user, const char *pass)
{
	struct nb_webuser *u = NULL;
	unsigned char digest[32];
	struct crypt_data *cd;
	gnutls_datum_t parts;
	const char *out, *hash;
	char *buf;
	size_t nu, np;
	bool ok;
	double t;

	if (!w->nusers)
		return NB_AUTH_OK;
	if (!user || !pass)
		return NB_AUTH_DENIED;
	for (int i = 0; i < w->nusers && !u; i++)
		if (!strcmp(w->users[i].name, user))
			u = &w->users[i];
	/* the fast path: this password passed before */
	nu = strlen(user);
	np = strlen(pass);
	buf = malloc(sizeof(w->salt) + nu + 1 + np);
	if (!buf)
		return NB_AUTH_BUSY;
	memcpy(buf, w->salt, sizeof(w->salt));
	memcpy(buf + sizeof(w->salt), user, nu + 1);
	memcpy(buf + sizeof(w->salt) + nu + 1, pass, np);
	parts.data = (unsigned char *)buf;
	parts.size = sizeof(w->salt) + nu + 1 + np;
	ok = !gnutls_hash_fast(GNUTLS_DIG_SHA256, parts.data, parts.size, digest);
	explicit_bzero(buf, parts.size);
	free(buf);
	if (!ok)
		return NB_AUTH_BUSY;
	pthread_mutex_lock(&auth_lock);
	if (u && u->has_seen && same(u->seen, digest, sizeof(digest))) {
		pthread_mutex_unlock(&auth_lock);
		return NB_AUTH_OK;
	}
	t = nb_mono_now();
	w->tokens += (t - w->last) * NB_AUTH_RATE;
	if (w->tokens > NB_AUTH_RATE)
		w->tokens = NB_AUTH_RATE;
	w->last = t;
	if (w->tokens < 1) {
		pthread_mutex_unlock(&auth_lock);
		return NB_AUTH_BUSY;
	}
	w->tokens -= 1;
	pthread_mutex_unlock(&auth_lock);

	/* an unknown user costs the same bcrypt as a known one */
	hash = u ? u->hash : w->users[0].hash;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return NB_AUTH_BUSY;
	out = crypt_rn(pass, hash, cd, sizeof(*cd));
	ok = u && out && strlen(out) == strlen(hash) && same(out, hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	if (!ok)
		return NB_AUTH_DENIED;
	pthread_mutex_lock(&auth_lock);
	memcpy(u->seen, digest, sizeof(digest));
	u->has_seen = true;
	pthread_mutex_unlock(&auth_lock);
	return NB_AUTH_OK;
}
