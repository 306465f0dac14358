// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Prometheus page: processes folded by name (or by pid), escaping,
 * interfaces, drops, build info (no BPF, no root). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "metrics.h"
#include "serve.h"
#include <sys/socket.h>
#include <netinet/in.h>

static struct nb_collector c;

static void proc(uint32_t pid, const char *comm, uint64_t tx, uint64_t rx, bool exited)
{
	struct nb_rowkey k = nb_proc_rowkey(pid, pid);
	struct nb_row *r = nb_table_get(&c.table, &k, true);
	struct nb_counts n = { .tx_bytes = tx, .rx_bytes = rx };

	r->pid = pid;
	strcpy(r->comm, comm);
	r->exited = exited;
	nb_row_set(r, &n);
}

static char *render(bool per_pid, bool progs)
{
	struct nb_prog_stats p[1] = { { "tp_send", 1500000000, 42 } };
	struct nb_metrics_info info = { "1.2.3", "tracepoint", progs ? p : NULL, 1 };
	struct nb_opts o = { .metrics_pid = per_pid };
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	nb_metrics_write(f, &c, &o, &info);
	fclose(f);
	return out;
}

static int setup(void **state)
{
	struct nb_rowkey k = nb_iface_rowkey(2);
	struct nb_row *r;
	struct nb_counts n = { 1000, 2000, 10, 20 };

	memset(&c, 0, sizeof(c));
	nb_table_init(&c.table);
	proc(10, "curl", 100, 1000, false);
	proc(11, "curl", 5, 7, true);	/* exited: still in the sum */
	proc(12, "we\"ird\\na\nme", 1, 2, false);
	r = nb_table_get(&c.table, &k, true);
	r->ifindex = 2;
	strcpy(r->ifname, "eth0");
	nb_row_set(r, &n);
	c.drops[NB_DROP_FLOWS] = 3;
	return 0;
}

static int teardown(void **state)
{
	nb_table_free(&c.table);
	return 0;
}

static void test_by_comm(void **state)
{
	char *m = render(false, false);

	assert_non_null(strstr(m, "# TYPE netbpf_process_transmit_bytes_total counter\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\"} 105\n"));
	assert_non_null(strstr(m, "netbpf_process_receive_bytes_total{comm=\"curl\"} 1007\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"we\\\"ird\\\\na\\nme\"} 1\n"));
	assert_null(strstr(m, "pid="));
	assert_non_null(strstr(m, "netbpf_interface_transmit_bytes_total{interface=\"eth0\"} 1000\n"));
	assert_non_null(strstr(m, "netbpf_interface_receive_packets_total{interface=\"eth0\"} 20\n"));
	assert_non_null(strstr(m, "netbpf_dropped_updates_total{map=\"flows\"} 3\n"));
	assert_non_null(strstr(m, "netbpf_build_info{version=\"1.2.3\",backend=\"tracepoint\"} 1\n"));
	assert_null(strstr(m, "run_time"));	/* statistics off: no series */
	free(m);
}

static void test_by_pid_and_progs(void **state)
{
	char *m = render(true, true);

	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\",pid=\"10\"} 100\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\",pid=\"11\"} 5\n"));
	assert_non_null(strstr(m, "netbpf_bpf_run_time_seconds_total{program=\"tp_send\"} 1.500000000\n"));
	assert_non_null(strstr(m, "netbpf_bpf_run_count_total{program=\"tp_send\"} 42\n"));
	free(m);
}

static void test_listen(void **state)
{
	struct sockaddr_storage ss;

	assert_int_equal(nb_parse_listen("127.0.0.1:9976", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9976);
	assert_int_equal(nb_parse_listen("[::1]:80", &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(nb_parse_listen("0.0.0.0:65535", &ss), 0);
	assert_int_equal(nb_parse_listen("127.0.0.1", &ss), -1);
	assert_int_equal(nb_parse_listen("127.0.0.1:0", &ss), -1);
	assert_int_equal(nb_parse_listen("127.0.0.1:65536", &ss), -1);
	assert_int_equal(nb_parse_listen("localhost:80", &ss), -1);
	assert_int_equal(nb_parse_listen("::1:80", &ss), -1);
	assert_int_equal(nb_parse_listen("[::1:80", &ss), -1);
	assert_int_equal(nb_parse_listen(":80", &ss), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_by_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_pid_and_progs, setup, teardown),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
