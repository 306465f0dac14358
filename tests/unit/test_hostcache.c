// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reverse DNS cache (hostcache.c), and host rows in trace's JSON and
 * text with a hostile name (no BPF, no root, no DNS). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tc_shared.h"
#include "collector.h"
#include "hostcache.h"
#include "trace.h"

static const uint8_t a4[16] = { 10, 0, 0, 1 };
static const uint8_t b4[16] = { 10, 0, 0, 2 };
static const uint8_t a6[16] = { 0xfd, 0, [15] = 1 };

static void test_states(void **state)
{
	struct nb_hostcache c;
	char name[NB_HC_NAME] = "x";

	assert_int_equal(nb_hostcache_init(&c, 16), 0);
	assert_int_equal(nb_hostcache_get(&c, 4, a4, 0, name, sizeof(name)), NB_HC_MISS);
	nb_hostcache_pending(&c, 4, a4);
	assert_int_equal(nb_hostcache_get(&c, 4, a4, 0, name, sizeof(name)), NB_HC_PENDING);
	nb_hostcache_put(&c, 4, a4, "one.example", 10);
	assert_int_equal(nb_hostcache_get(&c, 4, a4, 11, name, sizeof(name)), NB_HC_FOUND);
	assert_string_equal(name, "one.example");
	/* the same 16 bytes as IPv6 are another address */
	assert_int_equal(nb_hostcache_get(&c, 6, a4, 11, name, sizeof(name)), NB_HC_MISS);
	/* negative: known to have no name, for a shorter while */
	nb_hostcache_put(&c, 6, a6, NULL, 10);
	assert_int_equal(nb_hostcache_get(&c, 6, a6, 11, name, sizeof(name)), NB_HC_FOUND);
	assert_string_equal(name, "");
	assert_int_equal(nb_hostcache_get(&c, 6, a6, 10 + NB_HC_NEG_TTL_S, name, sizeof(name)),
			 NB_HC_MISS);
	assert_int_equal(nb_hostcache_get(&c, 4, a4, 10 + NB_HC_NEG_TTL_S, name, sizeof(name)),
			 NB_HC_FOUND);
	assert_int_equal(nb_hostcache_get(&c, 4, a4, 10 + NB_HC_TTL_S, name, sizeof(name)),
			 NB_HC_MISS);
	/* a long name is cut to fit the caller's buffer */
	nb_hostcache_put(&c, 4, b4, "abcdefghij", 0);
	nb_hostcache_get(&c, 4, b4, 1, name, 5);
	assert_string_equal(name, "abcd");
	nb_hostcache_free(&c);
}

/* Bounded: many addresses keep at most the cache's entries, the least
 * recently used of a set goes first. */
static void test_bounded(void **state)
{
	struct nb_hostcache c;
	uint8_t addr[16] = { 0 };
	int found = 0;

	assert_int_equal(nb_hostcache_init(&c, 64), 0);
	assert_int_equal(c.nsets * NB_HC_WAYS, 64);
	for (uint32_t i = 0; i < 1000; i++) {
		memcpy(addr, &i, 4);
		nb_hostcache_put(&c, 4, addr, "n", 0);
		/* the first address stays: it is used again and again */
		assert_int_equal(nb_hostcache_get(&c, 4, a4, 0, NULL, 0),
				 i ? NB_HC_FOUND : NB_HC_MISS);
		if (!i)
			nb_hostcache_put(&c, 4, a4, "kept", 0);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		memcpy(addr, &i, 4);
		found += nb_hostcache_get(&c, 4, addr, 0, NULL, 0) == NB_HC_FOUND;
	}
	assert_true(found <= 64 - 1);
	assert_true(found >= 32);
	assert_true(c.evictions >= 1000 - 64);
	nb_hostcache_free(&c);
}

static char *capture(struct nb_collector *c, struct nb_opts *o)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	nb_trace_interval(f, c, o);
	fclose(f);
	return out;
}

/* A host row: the fields of SPEC.md, and a name from DNS escaped. */
static void test_host_rows(void **state)
{
	struct nb_host_key h = { .ifindex = 3, .family = 4 };
	struct nb_collector c;
	struct nb_opts o;
	struct nb_rowkey k;
	struct nb_row *r;
	struct nb_counts n = { 1000, 3000, 4, 5 };
	char *out;

	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	nb_table_init(&c.table);
	memcpy(h.laddr, a4, 4);
	memcpy(h.raddr, b4, 4);
	k = nb_host_rowkey(&h);
	r = nb_table_get(&c.table, &k, true);
	r->ifindex = 3;
	strcpy(r->ifname, "eth0");
	r->family = 4;
	memcpy(r->laddr, a4, 16);
	memcpy(r->raddr, b4, 16);
	r->host_name = strdup("evil\x1b]0;x\x07.example\n");
	nb_row_set(r, &n);
	c.ts = 1700000000.5;
	c.interval_s = 1.0;
	nb_table_end(&c.table, 1.0);
	o.by = NB_BY(NB_ROW_HOST);
	o.json = true;
	out = capture(&c, &o);
	assert_string_equal(out,
		"{\"type\":\"host\",\"ts\":1700000000.500000,\"interval_s\":1.000000,"
		"\"tx_bytes\":1000,\"rx_bytes\":3000,\"tx_rate\":1000.000,\"rx_rate\":3000.000,"
		"\"summary\":false,\"ifname\":\"eth0\",\"ifindex\":3,\"family\":4,"
		"\"laddr\":\"10.0.0.1\",\"raddr\":\"10.0.0.2\",\"tx_packets\":4,\"rx_packets\":5,"
		"\"name\":\"evil\\u001b]0;x\\u0007.example\\n\"}\n");
	free(out);
	o.json = false;
	out = capture(&c, &o);
	assert_non_null(strstr(out, "eth0             10.0.0.1"));
	assert_non_null(strstr(out, "evil\\x1b]0;x\\x07.example\\n"));
	assert_null(strchr(out, '\x1b'));
	free(out);
	nb_table_free(&c.table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_host_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
