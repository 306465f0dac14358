// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* serve --web-config: the YAML, its errors, and the password check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crypt.h>
#include <cmocka.h>
#include "webcfg.h"

static char dir[] = "/tmp/nb-webcfg.XXXXXX";
static char path[256], err[1024], hash[128];
static struct nb_webcfg w;

static int load(const char *yaml)
{
	FILE *f = fopen(path, "w");

	fputs(yaml, f);
	fclose(f);
	return nb_webcfg_load(path, &w, err, sizeof(err));
}

/* err names the file and holds the text */
static void assert_err(const char *text)
{
	if (strncmp(err, path, strlen(path)) || !strstr(err, text))
		fail_msg("error '%s' lacks '%s: ' or '%s'", err, path, text);
}

static int setup(void **state)
{
	char salt[64];

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	/* cost 4, the lowest: fast */
	if (!crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)))
		return -1;
	snprintf(hash, sizeof(hash), "%s", crypt(("right horse"), salt));
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_empty(void **state)
{
	assert_int_equal(load(""), 0);
	assert_null(w.cert);
	assert_int_equal(w.nusers, 0);
	assert_int_equal(nb_webcfg_check(&w, NULL, NULL), NB_AUTH_OK);
	nb_webcfg_free(&w);
	assert_int_equal(load("tls_server_config:\nbasic_auth_users: ~\n"), 0);
	nb_webcfg_free(&w);
}

static void test_users(void **state)
{
	char yaml[512];

	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  prometheus: %s\n  \"other\": '%s'\n",
		 hash, hash);
	assert_int_equal(load(yaml), 0);
	assert_int_equal(w.nusers, 2);
	assert_string_equal(w.users[1].name, "other");
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "right horse"), NB_AUTH_OK);
	assert_true(w.users[0].has_seen);
	/* again, from the cache */
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "right horse"), NB_AUTH_OK);
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "wrong horse"), NB_AUTH_DENIED);
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "right horse "), NB_AUTH_DENIED);
	assert_int_equal(nb_webcfg_check(&w, "nobody", "right horse"), NB_AUTH_DENIED);
	assert_int_equal(nb_webcfg_check(&w, "prometheus", NULL), NB_AUTH_DENIED);
	assert_int_equal(nb_webcfg_check(&w, NULL, NULL), NB_AUTH_DENIED);
	assert_int_equal(nb_webcfg_check(&w, "other", "right horse"), NB_AUTH_OK);
	nb_webcfg_free(&w);
}

static void test_rate_limit(void **state)
{
	char yaml[512];
	int busy = 0;

	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  prometheus: %s\n", hash);
	assert_int_equal(load(yaml), 0);
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "right horse"), NB_AUTH_OK);
	for (int i = 0; i < 3 * NB_AUTH_RATE; i++)
		busy += nb_webcfg_check(&w, "prometheus", "guess") == NB_AUTH_BUSY;
	assert_true(busy >= NB_AUTH_RATE);
	/* a password that passed before is still let in without bcrypt */
	assert_int_equal(nb_webcfg_check(&w, "prometheus", "right horse"), NB_AUTH_OK);
	nb_webcfg_free(&w);
}

static void test_errors(void **state)
{
	assert_int_equal(load("tls_server_config: [\n"), -1);
	assert_err("line 2: ");
	assert_int_equal(load("- a\n- b\n"), -1);
	assert_err("line 1: expected tls_server_config and basic_auth_users");
	assert_int_equal(load("basic_auth:\n  a: b\n"), -1);
	assert_err("unknown key 'basic_auth'");
	assert_int_equal(load("tls_server_config:\n  cert_file: a.pem\n  cert: b.pem\n"), -1);
	assert_err("line 3: tls_server_config: unknown key 'cert'");
	assert_int_equal(load("tls_server_config:\n  key_file: a.pem\n"), -1);
	assert_err("needs both cert_file and key_file");
	assert_int_equal(load("tls_server_config:\n  cert_file: none.pem\n  key_file: none.pem\n"), -1);
	assert_err("cannot read cert_file /tmp/nb-webcfg.");
	assert_int_equal(load("tls_server_config:\n  cert_file: x\n  key_file: y\n  min_version: TLS13\n"), -1);
	assert_err("min_version is not supported");
	assert_int_equal(load("tls_server_config: yes\n"), -1);
	assert_err("tls_server_config must be a mapping");
	assert_int_equal(load("http_server_config:\n  http2: false\n"), -1);
	assert_err("http_server_config is not supported");
	assert_int_equal(load("basic_auth_users:\n  a: secret\n"), -1);
	assert_err("line 2: basic_auth_users: the password of 'a' is not a bcrypt hash");
	assert_int_equal(load("basic_auth_users:\n  a: $2b$99$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), -1);
	assert_err("not a bcrypt hash");
	assert_int_equal(load("basic_auth_users:\n  a:\n    - b\n"), -1);
	assert_err("not a bcrypt hash");
	assert_int_equal(load("basic_auth_users:\n  \"a:b\": x\n"), -1);
	assert_err("without ':'");
	assert_int_equal(load("basic_auth_users: []\n"), -1);
	assert_err("basic_auth_users must be a mapping");
	assert_int_equal(load("basic_auth_users:\nbasic_auth_users:\n"), -1);
	assert_err("line 2: basic_auth_users given twice");
	assert_int_equal(nb_webcfg_load("/nonexistent/web.yml", &w, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/web.yml: cannot read the web config: No such file or directory (hint: check the path given to --web-config)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
