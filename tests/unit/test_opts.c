// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command-line parsing and its errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "caps.h"
#include "cgroup.h"
#include "loader.h"
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
			       "--json", "--comm", "curl", "--proto", "udp,icmp,packet",
			       "--backend", "kprobe", "--bits", "--by", "process", NULL), 0);
	assert_int_equal(o.command, NB_CMD_TRACE);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[2], 56);
	assert_true(o.interval == 0.25);
	assert_int_equal(o.count, 3);
	assert_true(o.json && o.bits && o.has_comm);
	assert_string_equal(o.comm, "curl");
	assert_int_equal(o.proto_mask, (1u << NB_PROTO_UDP) | (1u << NB_PROTO_ICMP) |
				       (1u << NB_PROTO_PACKET));
	assert_int_equal(o.backend, NB_BACKEND_KPROBE);
	assert_int_equal(o.by, NB_BY(NB_ROW_PROCESS));
	/* host rows, and no reverse DNS for them */
	assert_int_equal(parse("trace", "--by", "host,total", "--no-resolve", NULL), 0);
	assert_int_equal(o.by, NB_BY(NB_ROW_HOST) | NB_BY(NB_ROW_TOTAL));
	assert_true(o.no_resolve);
	assert_int_equal(parse("trace", "--by", "iface", NULL), 0);
	assert_false(o.no_resolve);
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

/* Input that names nothing must not become "no filter" (everything). */
static void test_empty_lists(void **state)
{
	/* each option with one item that is valid on its own */
	static const char *const opts[][2] = {
		{ "-p", "7" }, { "--pid", "7" }, { "--port", "80" }, { "-i", "lo" },
		{ "--iface", "lo" }, { "--proto", "tcp" }, { "--by", "flow" },
	};
	static const char *const lists[] = { "", ",", ",,", "%s,", ",%s", "%s,,%s" };
	char list[64];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		for (size_t j = 0; j < sizeof(lists) / sizeof(lists[0]); j++) {
			snprintf(list, sizeof(list), lists[j], opts[i][1], opts[i][1]);
			assert_int_equal(parse(opts[i][0], list, NULL), 2);
			assert_non_null(strstr(err, "empty item"));
			assert_non_null(strstr(err, "hint: "));
			assert_null(strchr(err, '\n'));
		}
	assert_int_equal(parse("--btf", "", NULL), 2);
	assert_int_equal(parse("--listen", "", NULL), 2);
	assert_int_equal(parse("--cgroup", "", NULL), 2);
	/* and the non-empty ones still parse */
	assert_int_equal(parse("-p", "7", "--port", "80,443", "-i", "lo", "--by", "flow", NULL), 0);
	assert_int_equal(o.npids, 1);
	assert_int_equal(o.nports, 2);
	assert_int_equal(o.nifaces, 1);
}

/* Numbers: digits only. strtoul would take a sign, spaces, and wrap. */
static void test_strict_numbers(void **state)
{
	static const char *const bad[] = {
		" -18446744073709547520", "-18446744073709547520", "-1", "+1", " 1", "1 ",
		"0x10", "1e3", "18446744073709551616", "18446744073709551617", "4294967297",
		"",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse("--pid", bad[i], NULL), 2);
		assert_int_equal(parse("--port", bad[i], NULL), 2);
		assert_int_equal(parse("-n", bad[i], NULL), 2);
	}
	assert_int_equal(parse("--pid", "2147483648", NULL), 2);
	assert_int_equal(parse("-n", "4294967296", NULL), 2);
	assert_int_equal(parse("--port", "65536", NULL), 2);
	assert_int_equal(parse("--port", "65535", NULL), 0);
	assert_int_equal(parse("--pid", "2147483647", NULL), 0);
	assert_int_equal(nb_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(nb_parse_u64("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(nb_parse_u64("007", 10, &v), 0);
	assert_int_equal(v, 7);
}

static int resolve(bool tty, const char *first, ...)
{
	char *argv[32] = { "netbpf" };
	int argc = 1, r;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	r = nb_parse_opts(argc, argv, &o, err, sizeof(err));
	return r ? r : nb_resolve_command(&o, tty, err, sizeof(err));
}

/* An option that does not apply to the command is an error, not ignored. */
static void test_command_options(void **state)
{
	assert_int_equal(resolve(true, "serve", "-n", "1", NULL), 2);
	assert_non_null(strstr(err, "--count does not apply to netbpf serve"));
	assert_int_equal(resolve(true, "top", "--json", NULL), 2);
	assert_non_null(strstr(err, "--json does not apply to netbpf top"));
	assert_int_equal(resolve(true, "serve", "-j", NULL), 2);
	assert_int_equal(resolve(true, "serve", "--by", "flow", NULL), 2);
	assert_int_equal(resolve(true, "serve", "--bits", NULL), 2);
	assert_int_equal(resolve(true, "serve", "--no-resolve", NULL), 2);
	assert_non_null(strstr(err, "--no-resolve does not apply to netbpf serve (hint: "));
	assert_int_equal(resolve(true, "top", "--no-resolve", NULL), 0);
	assert_int_equal(resolve(true, "doctor", "-d", "2", NULL), 2);
	assert_int_equal(resolve(true, "doctor", "-p", "1", NULL), 2);
	assert_int_equal(resolve(true, "doctor", "-4", NULL), 2);
	assert_int_equal(resolve(true, "doctor", "-n", "1", NULL), 2);
	assert_int_equal(resolve(true, "trace", "--listen", "127.0.0.1:1", NULL), 2);
	assert_int_equal(resolve(true, "top", "--metrics-pid", NULL), 2);
	assert_int_equal(resolve(false, "trace", "--json", "--bits", NULL), 2);
	assert_non_null(strstr(err, "hint: "));
	/* what does apply */
	assert_int_equal(resolve(true, "serve", "-d", "0.5", "-p", "1", "--listen", "127.0.0.1:1",
				 "--metrics-pid", "--backend", "tracepoint", "-v", NULL), 0);
	assert_int_equal(resolve(true, "doctor", "--json", "--backend", "fentry", "--btf", "x", NULL), 0);
	assert_int_equal(resolve(true, "top", "-n", "3", "--by", "iface", "--bits", "-i", "lo", NULL), 0);
	assert_int_equal(resolve(false, "trace", "--json", "-n", "3", "--by", "flow", NULL), 0);
	/* the default command: top on a terminal, trace otherwise, with --pid
	 * and with --json */
	assert_int_equal(resolve(true, NULL), 0);
	assert_int_equal(o.command, NB_CMD_TOP);
	assert_int_equal(resolve(false, NULL), 0);
	assert_int_equal(o.command, NB_CMD_TRACE);
	assert_int_equal(resolve(true, "--json", NULL), 0);
	assert_int_equal(o.command, NB_CMD_TRACE);
	assert_int_equal(resolve(true, "-p", "1", NULL), 0);
	assert_int_equal(o.command, NB_CMD_TRACE);
	assert_int_equal(resolve(true, "--listen", "127.0.0.1:1", NULL), 2);
	assert_non_null(strstr(err, "does not apply to netbpf top"));
}

/* NETBPF_MAX_*: named in the message, with the valid range. */
static void test_env(void **state)
{
	static const char *const bad[] = { "", "abc", "15", "-100", " 100", "100x", "16777217",
					   "18446744073709551616" };

	unsetenv("NETBPF_MAX_FLOWS");
	unsetenv("NETBPF_MAX_PROCS");
	unsetenv("NETBPF_TC_METHOD");
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.max_flows, 0);
	assert_int_equal(o.max_procs, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("NETBPF_MAX_FLOWS", bad[i], 1);
		assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "NETBPF_MAX_FLOWS"));
		assert_non_null(strstr(err, "16 to 16777216"));
	}
	setenv("NETBPF_MAX_FLOWS", "16777216", 1);
	setenv("NETBPF_MAX_PROCS", "4194305", 1);
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "NETBPF_MAX_PROCS"));
	assert_non_null(strstr(err, "16 to 4194304"));
	setenv("NETBPF_MAX_PROCS", "16", 1);
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.max_flows, 16777216);
	assert_int_equal(o.max_procs, 16);
	setenv("NETBPF_TC_METHOD", "xdp", 1);
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "NETBPF_TC_METHOD"));
	unsetenv("NETBPF_MAX_FLOWS");
	unsetenv("NETBPF_MAX_PROCS");
	unsetenv("NETBPF_TC_METHOD");
}

/* NETBPF_SOCK_SLOTS: a power of two from 1 to 2^20. */
static void test_env_sock_slots(void **state)
{
	static const char *const bad[] = { "0", "3", "12", "1048575", "2097152", "x" };

	(void)state;
	setenv("NETBPF_SOCK_SLOTS", "1", 1);
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.sock_slots, 1);
	setenv("NETBPF_SOCK_SLOTS", "1048576", 1);
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.sock_slots, 1048576);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("NETBPF_SOCK_SLOTS", bad[i], 1);
		assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "NETBPF_SOCK_SLOTS"));
		assert_non_null(strstr(err, "1 to 1048576"));
		assert_null(strchr(err, '\n'));
	}
	unsetenv("NETBPF_SOCK_SLOTS");
	assert_int_equal(nb_parse_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.sock_slots, 0);
}

/* Which capability is missing, by name. */
static void test_missing_caps(void **state)
{
	const unsigned long long bpf = 1ull << NB_CAP_BPF, perfmon = 1ull << NB_CAP_PERFMON,
		net_admin = 1ull << NB_CAP_NET_ADMIN, sys_admin = 1ull << NB_CAP_SYS_ADMIN;
	char buf[128];

	assert_int_equal(nb_missing_caps(bpf | perfmon | net_admin, 40, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(nb_missing_caps(sys_admin | net_admin, 40, buf, sizeof(buf)), 0);
	/* root under capsh --drop=cap_bpf,cap_sys_admin */
	assert_int_equal(nb_missing_caps(~0ull & ~bpf & ~sys_admin, 40, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "CAP_BPF");
	assert_int_equal(nb_missing_caps(0, 40, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN");
	assert_int_equal(nb_missing_caps(bpf | perfmon, 40, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "CAP_NET_ADMIN");
	/* before Linux 5.8 there is no CAP_BPF: CAP_SYS_ADMIN it is */
	assert_int_equal(nb_missing_caps(net_admin, 37, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "CAP_SYS_ADMIN");
	assert_int_equal(nb_missing_caps(net_admin | sys_admin, 37, buf, sizeof(buf)), 0);
}

/* --cgroup: a path that leaves the cgroup2 mount is no cgroup. */
static void test_cgroup_dir(void **state)
{
	char dir[4096];
	int r = nb_cgroup_dir("/", dir, sizeof(dir));

	if (r == -ENODEV) {
		skip();	/* no cgroup v2 mounted here */
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(nb_cgroup_dir("../../../../tmp", dir, sizeof(dir)), -EXDEV);
	assert_int_equal(nb_cgroup_dir("/../../../../../../etc", dir, sizeof(dir)), -EXDEV);
	assert_int_equal(nb_cgroup_dir("/no/such/cgroup/here", dir, sizeof(dir)), -ENOENT);
	/* a file in a cgroup is not a cgroup */
	assert_int_equal(nb_cgroup_dir("/cgroup.procs", dir, sizeof(dir)), -EXDEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_lists),
		cmocka_unit_test(test_strict_numbers),
		cmocka_unit_test(test_command_options),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_env_sock_slots),
		cmocka_unit_test(test_missing_caps),
		cmocka_unit_test(test_cgroup_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
