// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Human units and JSON escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "format.h"
#include "json.h"
#include "netbpf.h"

static void test_bytes(void **state)
{
	char b[32];

	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 0), "0 B");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 1023), "1023 B");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 1024), "1.0 KiB");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 1536), "1.5 KiB");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 1048575), "1.0 MiB");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), 5.0 * 1024 * 1024 * 1024), "5.0 GiB");
	assert_string_equal(nb_fmt_bytes(b, sizeof(b), -5), "0 B");
}

static void test_rates(void **state)
{
	char b[32];

	assert_string_equal(nb_fmt_rate(b, sizeof(b), 0, false), "0 B/s");
	assert_string_equal(nb_fmt_rate(b, sizeof(b), 2048, false), "2.0 KiB/s");
	/* bits: SI steps, 125000 B/s = 1 Mbit/s */
	assert_string_equal(nb_fmt_rate(b, sizeof(b), 125000, true), "1.0 Mbit/s");
	assert_string_equal(nb_fmt_rate(b, sizeof(b), 100, true), "800 bit/s");
	assert_string_equal(nb_fmt_rate(b, sizeof(b), 1.25e9, true), "10.0 Gbit/s");
}

static void test_trunc(void **state)
{
	char b[32];

	assert_string_equal(nb_fmt_trunc(b, sizeof(b), "curl", 8), "curl");
	assert_string_equal(nb_fmt_trunc(b, sizeof(b), "verylongcommand", 8), "verylon+");
	assert_string_equal(nb_fmt_trunc(b, sizeof(b), "12345678", 8), "12345678");
	assert_string_equal(nb_fmt_trunc(b, 4, "abcdef", 10), "ab+");
}

static char *json_of(const char *s)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	struct nb_json j;

	nb_json_begin(&j, f);
	nb_json_str(&j, "s", s);
	nb_json_end(&j);
	fclose(f);
	return out;
}

static void test_json_escape(void **state)
{
	char *o;

	o = json_of("plain");
	assert_string_equal(o, "{\"s\":\"plain\"}\n");
	free(o);
	o = json_of("a\"b\\c");
	assert_string_equal(o, "{\"s\":\"a\\\"b\\\\c\"}\n");
	free(o);
	o = json_of("tab\there\nnl\x01\x1f\x7f");
	assert_string_equal(o, "{\"s\":\"tab\\there\\nnl\\u0001\\u001f\\u007f\"}\n");
	free(o);
	o = json_of("caf\xc3\xa9");	/* UTF-8 passes through */
	assert_string_equal(o, "{\"s\":\"caf\xc3\xa9\"}\n");
	free(o);
	/* a 2-byte character cut by the kernel's 15-byte comm, and junk */
	o = json_of("\xd0\xb0\xd0");
	assert_string_equal(o, "{\"s\":\"\xd0\xb0\\ufffd\"}\n");
	free(o);
	o = json_of("a\xff\xc0\xaf" "b\xed\xa0\x80\xf0\x9f\x98\x80");
	assert_string_equal(o, "{\"s\":\"a\\ufffd\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"}\n");
	free(o);
}

static void test_json_fields(void **state)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	struct nb_json j;

	nb_json_begin(&j, f);
	nb_json_u64(&j, "a", 18446744073709551615ull);
	nb_json_bool(&j, "b", true);
	nb_json_double(&j, "c", 1.5, 3);
	nb_json_double(&j, "d", 0.0 / 0.0, 1);	/* NaN is not JSON */
	nb_json_open(&j, "e", '[');
	nb_json_open(&j, NULL, '{');
	nb_json_i64(&j, "x", -1);
	nb_json_close(&j, '}');
	nb_json_open(&j, NULL, '{');
	nb_json_close(&j, '}');
	nb_json_close(&j, ']');
	nb_json_str(&j, "f", NULL);
	nb_json_end(&j);
	fclose(f);
	assert_string_equal(out, "{\"a\":18446744073709551615,\"b\":true,\"c\":1.500,\"d\":0.0,"
			    "\"e\":[{\"x\":-1},{}],\"f\":\"\"}\n");
	free(out);
}

/* Flow endpoints: IPv4, IPv6, none, and AF_PACKET's ifindex/ethertype. */
static void test_endpoints(void **state)
{
	unsigned char a[16] = { 10, 77, 0, 1 }, none[16] = { 0 }, pk[16] = { 0 };
	uint32_t ifindex = 7;
	char b[64];

	(void)state;
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), 4, a, 80), "10.77.0.1:80");
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), 4, none, 0), "*");
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), 6, none, 53), "[::]:53");
	memcpy(pk, &ifindex, 4);
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), NB_FAMILY_PACKET, pk, 0x88b5),
			    "if7/0x88b5");
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), NB_FAMILY_PACKET, none, 3),
			    "any/0x0003");
	assert_string_equal(nb_fmt_endpoint(b, sizeof(b), NB_FAMILY_PACKET, none, 0), "*");
}

/* Start times as ps shows them, local time (TZ is UTC here). */
static void test_start(void **state)
{
	char b[32];

	/* 1700000000 is 2023-11-14 22:13:20 UTC */
	assert_string_equal(nb_fmt_start(b, sizeof(b), 1700000000.9, 1700000100), "22:13:20");
	assert_string_equal(nb_fmt_start(b, sizeof(b), 1700000000, 1700000000 + 86399), "22:13:20");
	assert_string_equal(nb_fmt_start(b, sizeof(b), 1700000000, 1700000000 + 86400), "Nov 14");
	assert_string_equal(nb_fmt_start(b, sizeof(b), 0, 1700000000), "-");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_trunc),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
