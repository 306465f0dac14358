// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command-line parsing and its errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "opts.h"
#include "stats.h"

static char err[512];
static struct nb_opts o;

/* Parse a NULL-terminated list of arguments (after "netbpf"). */
static int parse(const char *first, ...)
{
	char *argv[32] = { "netbpf" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return nb_parse_opts(argc, argv, &o, err, sizeof(err));
}

static void test_defaults(void **state)
{
	assert_int_equal(parse(NULL), 0);
	assert_int_equal(o.command, NB_CMD_DEFAULT);
	assert_true(o.interval == 1.0);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.proto_mask, (1u << NB_NPROTO) - 1);
	assert_true(o.by & NB_BY(NB_ROW_PROCESS));
	assert_true(o.by & NB_BY(NB_ROW_TOTAL));
	assert_int_equal(o.backend, NB_BACKEND_AUTO);
}

static void test_full(void **state)
{
	assert_int_equal(parse("trace", "-p", "12,34", "--pid", "56", "-d", "0.25", "-n", "3",
			       "--json", "--comm", "curl", "--proto", "udp,icmp",
			       "--backend", "kprobe", "--bits", "--by", "process", NULL), 0);
	assert_int_equal(o.command, NB_CMD_TRACE);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[2], 56);
	assert_true(o.interval == 0.25);
	assert_int_equal(o.count, 3);
	assert_true(o.json && o.bits && o.has_comm);
	assert_string_equal(o.comm, "curl");
	assert_int_equal(o.proto_mask, (1u << NB_PROTO_UDP) | (1u << NB_PROTO_ICMP));
	assert_int_equal(o.backend, NB_BACKEND_KPROBE);
	assert_int_equal(o.by, NB_BY(NB_ROW_PROCESS));
	/* options after the command */
	assert_int_equal(parse("doctor", "--json", NULL), 0);
	assert_int_equal(o.command, NB_CMD_DOCTOR);
	assert_true(o.json);
}

static void test_errors(void **state)
{
	assert_int_equal(parse("--pid", "abc", NULL), 2);
	assert_non_null(strstr(err, "bad pid 'abc'"));
	assert_int_equal(parse("--pid", "0", NULL), 2);
	assert_int_equal(parse("--pid", "-5", NULL), 2);
	assert_int_equal(parse("--pid", "99999999999", NULL), 2);
	assert_int_equal(parse("-d", "0", NULL), 2);
	assert_non_null(strstr(err, "bad interval"));
	assert_int_equal(parse("-d", "1s", NULL), 2);
	assert_int_equal(parse("-d", "nan", NULL), 2);
	assert_int_equal(parse("-n", "0", NULL), 2);
	assert_int_equal(parse("-n", "x", NULL), 2);
	assert_int_equal(parse("--frobnicate", NULL), 2);
	assert_non_null(strstr(err, "unknown option '--frobnicate'"));
	assert_int_equal(parse("-Z", NULL), 2);
	assert_int_equal(parse("bogus", NULL), 2);
	assert_non_null(strstr(err, "unknown command 'bogus'"));
	assert_int_equal(parse("trace", "extra", NULL), 2);
	assert_int_equal(parse("--proto", "tcp,xyz", NULL), 2);
	assert_non_null(strstr(err, "unknown protocol 'xyz'"));
	assert_int_equal(parse("--backend", "ebpf", NULL), 2);
	assert_int_equal(parse("--comm", "a-name-that-is-too-long", NULL), 2);
	assert_int_equal(parse("--by", "nonsense", NULL), 2);
	assert_int_equal(parse("-d", NULL), 2);
	assert_non_null(strstr(err, "needs a value"));
	/* no message may contain a newline: errors are one line */
	assert_null(strchr(err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
