// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* trace's JSON Lines and text from a hand-filled table (no BPF, no root). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "collector.h"
#include "trace.h"

static struct nb_collector c;
static struct nb_opts o;

static void proc(uint32_t pid, const char *comm, uint64_t tx, uint64_t rx, bool exited)
{
	struct nb_rowkey k = nb_proc_rowkey(pid, 1000 + pid);
	struct nb_row *r = nb_table_get(&c.table, &k, true);
	struct nb_counts n = { .tx_bytes = tx, .rx_bytes = rx };

	r->pid = pid;
	r->start_ns = (90 + (uint64_t)pid) * 1000000000ull;	/* boot time */
	r->uid = 0;
	strncpy(r->comm, comm, sizeof(r->comm) - 1);
	r->cgroup_id = 0;	/* unknown: "" */
	if (!r->cmdline)	/* hostile bytes in the second one's */
		r->cmdline = strdup(pid == 10 ? "curl -s http://x" : "we\"ird\x1b arg\xff");
	r->exited = exited;
	nb_row_set(r, &n);
}

static void iface(uint32_t ifindex, const char *name, uint64_t bytes, uint64_t pkts)
{
	struct nb_rowkey k = nb_iface_rowkey(ifindex);
	struct nb_row *r = nb_table_get(&c.table, &k, true);
	struct nb_counts n = { bytes, bytes + 20, pkts, pkts + 1 };

	r->ifindex = ifindex;
	strcpy(r->ifname, name);
	nb_row_set(r, &n);
}

static int setup(void **state)
{
	memset(&c, 0, sizeof(c));
	nb_table_init(&c.table);
	memset(&o, 0, sizeof(o));
	o.by = NB_BY(NB_ROW_PROCESS) | NB_BY(NB_ROW_IFACE) | NB_BY(NB_ROW_TOTAL);
	o.json = true;
	c.ts = 1700000000.5;
	c.start_ts = 1700000000.0;	/* wall clock at ... */
	c.start_boot = 100;		/* ... this boot time */
	c.start_mono = 100;
	/* interval 1: two processes move bytes */
	proc(10, "curl", 1000, 4000, false);
	proc(11, "we\"ird\\name", 10, 0, false);
	iface(1, "lo", 600, 6);
	iface(2, "eth0", 50, 1);
	c.last_mono = 100.5;
	c.interval_s = 0.5;
	nb_table_end(&c.table, c.interval_s);
	/* interval 2: only pid 10 moves, pid 11 has exited */
	nb_table_begin(&c.table);
	proc(10, "curl", 1500, 4000, false);
	proc(11, "we\"ird\\name", 10, 0, true);
	iface(1, "lo", 1000, 10);
	iface(2, "eth0", 50, 1);
	/* eth0 is the host end of a container's veth (a hostile name) */
	{
		struct nb_rowkey k = nb_iface_rowkey(2);

		nb_table_get(&c.table, &k, false)->ctr_name = strdup("web-1\x1b");
	}
	c.last_mono = 102.5;
	c.interval_s = 2.0;
	nb_table_end(&c.table, c.interval_s);
	/* lost so far: 3 updates a full map refused, 7 runs the kernel skipped */
	c.drops[NB_DROP_PROCS] = 2;
	c.tc_drops = 1;
	c.lost_events = 7;
	return 0;
}

static int teardown(void **state)
{
	nb_table_free(&c.table);
	return 0;
}

static char *capture(bool summary)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	if (summary)
		nb_trace_summary(f, &c, &o);
	else
		nb_trace_interval(f, &c, &o);
	fclose(f);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_interval_json(void **state)
{
	char *out = capture(false);

	/* only the rows that moved, then the total of the interfaces */
	assert_int_equal(count_lines(out), 3);
	assert_string_equal(out,
		"{\"type\":\"process\",\"ts\":1700000000.500000,\"interval_s\":2.000000,"
		"\"tx_bytes\":1500,\"rx_bytes\":4000,\"tx_rate\":250.000,\"rx_rate\":0.000,"
		"\"summary\":false,\"pid\":10,\"comm\":\"curl\",\"uid\":0,\"user\":\"root\","
		"\"start_time\":1700000000.000,\"cmdline\":\"curl -s http://x\",\"cgroup\":\"\",\"container\":\"\",\"container_name\":\"\","
		"\"pod\":\"\",\"namespace\":\"\",\"exited\":false}\n"
		"{\"type\":\"iface\",\"ts\":1700000000.500000,\"interval_s\":2.000000,"
		"\"tx_bytes\":1000,\"rx_bytes\":1020,\"tx_rate\":200.000,\"rx_rate\":200.000,"
		"\"summary\":false,\"ifname\":\"lo\",\"ifindex\":1,\"tx_packets\":10,\"rx_packets\":11,\"gone\":false,"
		"\"container_name\":\"\"}\n"
		"{\"type\":\"total\",\"ts\":1700000000.500000,\"interval_s\":2.000000,"
		"\"tx_bytes\":1050,\"rx_bytes\":1090,\"tx_rate\":200.000,\"rx_rate\":200.000,"
		"\"summary\":false,\"dropped_updates\":3,\"lost_events\":7}\n");
	free(out);
}

static void test_summary_json(void **state)
{
	char *out = capture(true);

	/* every process and interface, the exited one too, then the total;
	 * rates over the whole 2.5 s */
	assert_int_equal(count_lines(out), 5);
	/* pid 10 started at boot time 100 s, as netbpf did (wall 1700000000) */
	assert_non_null(strstr(out, "\"pid\":10,\"comm\":\"curl\",\"uid\":0,\"user\":\"root\","
				    "\"start_time\":1700000000.000,\"cmdline\":\"curl -s http://x\",\"cgroup\":\"\",\"container\":\"\","
				    "\"container_name\":\"\",\"pod\":\"\",\"namespace\":\"\",\"exited\":false}"));
	assert_non_null(strstr(out, "\"tx_bytes\":10,\"rx_bytes\":0,\"tx_rate\":4.000,"
				    "\"rx_rate\":0.000,\"summary\":true,\"pid\":11,"
				    "\"comm\":\"we\\\"ird\\\\name\",\"uid\":0,\"user\":\"root\","
				    "\"start_time\":1700000001.000,\"cmdline\":\"we\\\"ird\\u001b arg\\ufffd\",\"cgroup\":\"\",\"container\":\"\","
				    "\"container_name\":\"\",\"pod\":\"\",\"namespace\":\"\",\"exited\":true}"));
	assert_non_null(strstr(out, "{\"type\":\"total\",\"ts\":1700000000.500000,\"interval_s\":2.500000,"
				    "\"tx_bytes\":1050,\"rx_bytes\":1090,\"tx_rate\":420.000,"
				    "\"rx_rate\":436.000,\"summary\":true,\"dropped_updates\":3,"
				    "\"lost_events\":7}\n"));
	assert_non_null(strstr(out, "\"summary\":true,\"ifname\":\"eth0\",\"ifindex\":2,"
				    "\"tx_packets\":1,\"rx_packets\":2,\"gone\":false,\"container_name\":\"web-1\\u001b\"}\n"));
	free(out);
}

static void test_by_process_only(void **state)
{
	char *out;

	o.by = NB_BY(NB_ROW_PROCESS);
	out = capture(false);
	assert_null(strstr(out, "\"total\""));
	assert_null(strstr(out, "\"iface\""));
	assert_int_equal(count_lines(out), 1);
	free(out);
}

static void test_text(void **state)
{
	char *out;

	o.json = false;
	out = capture(true);
	assert_non_null(strstr(out, "summary  up "));
	assert_non_null(strstr(out, "(sent 1.0 KiB, received 1.1 KiB)"));
	assert_non_null(strstr(out, "       2 eth0             web-1\\x1b "));
	assert_non_null(strstr(out, "       1 lo               -    "));
	/* user, start time (local time: TZ is UTC here), name, the counts,
	 * then the command line, escaped, and the mark */
	assert_non_null(strstr(out, "     PID USER     START    COMMAND "));
	assert_non_null(strstr(out, "      10 root     22:13:20 curl             "));
	assert_non_null(strstr(out, "  curl -s http://x\n"));
	assert_non_null(strstr(out, "      11 root     22:13:21 we\"ird\\name      "));
	assert_non_null(strstr(out, "  we\"ird\\x1b arg\\xff  (exited)\n"));
	free(out);
	/* none read (gone first): the name, as ps shows it */
	{
		struct nb_rowkey k = nb_proc_rowkey(10, 1010);
		struct nb_row *r = nb_table_get(&c.table, &k, false);

		r->cmdline[0] = '\0';
	}
	out = capture(true);
	assert_non_null(strstr(out, " 3.9 KiB  [curl]\n"));
	free(out);
	o.bits = true;
	out = capture(false);
	assert_non_null(strstr(out, "total  up 1.6 kbit/s  down 1.6 kbit/s"));
	assert_null(strstr(out, "we\"ird"));	/* did not move in this interval */
	free(out);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interval_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_process_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
