// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc at first sight: the start time in a stat line, a command line
 * made one line, and this test's own command line read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "procfs.h"
#include "procinfo.h"

static void test_stat_start(void **state)
{
	/* a name with spaces and parentheses, as a hostile process sets it */
	const char *line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 "
			   "20 0 1 0 123456 1000 200 18446744073709551615";

	assert_int_equal(nb_stat_start(line), 123456);
	assert_int_equal(nb_stat_start("4242 (no end"), 0);
	assert_int_equal(nb_stat_start("4242 (x) S 1 2"), 0);
}

static void test_join(void **state)
{
	char buf[32];

	memcpy(buf, "curl\0-s\0http://x\0", 18);
	assert_int_equal(nb_cmdline_join(buf, 18), 16);
	assert_string_equal(buf, "curl -s http://x");
	memcpy(buf, "a\0\0b\0\0", 6);	/* an empty argument stays a space */
	assert_int_equal(nb_cmdline_join(buf, 6), 4);
	assert_string_equal(buf, "a  b");
	assert_int_equal(nb_cmdline_join(buf, 0), 0);
	assert_string_equal(buf, "");
}

/* This process's start, CLOCK_BOOTTIME ns, from its own stat line (the
 * tick it falls in: nb_proc_cmdline compares ticks). */
static unsigned long long own_start_ns(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	assert_non_null(f);
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	return nb_stat_start(line) * (1000000000ull / sysconf(_SC_CLK_TCK));
}

static void test_own(void **state)
{
	unsigned long long start = own_start_ns();
	char *s = nb_proc_cmdline(getpid(), start);

	/* run as .output/tests/test_procinfo, no arguments */
	assert_non_null(s);
	assert_non_null(strstr(s, "test_procinfo"));
	assert_null(strchr(s, ' '));
	free(s);
	/* another start time: a reused pid, nothing is taken */
	s = nb_proc_cmdline(getpid(), start + 1000000000ull);
	assert_string_equal(s, "");
	free(s);
	s = nb_proc_cmdline(0x7ffffffe, start);	/* no such process */
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_start),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_own),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
