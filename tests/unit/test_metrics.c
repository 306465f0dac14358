// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Prometheus page: processes folded by name (or by pid), escaping,
 * interfaces, drops, build info; hostile names, counters across exec, exit
 * and pid reuse, the series cap; every page checked with promtool when it
 * is installed (no BPF, no root). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "metrics.h"
#include "text.h"
#include "listen.h"
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
	struct nb_prog_stat p[1] = { { "tp_send", 1500000000, 42, 0 } };
	struct nb_metrics_info info = { "1.2.3", "tracepoint", progs ? p : NULL, 1 };
	struct nb_opts o = { .metrics_pid = per_pid };
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	nb_metrics_write(f, &c, &o, &info);
	fclose(f);
	return out;
}

/* promtool check metrics on the page (its lint included), when installed. */
static void promtool_ok(const char *page)
{
	char path[] = "/tmp/nb-metrics-XXXXXX", cmd[256], out[4096] = "";
	int fd, rc;
	FILE *p;
	size_t n;

	if (access("/usr/bin/promtool", X_OK)) {
		print_message("promtool missing (Debian package prometheus): page not checked\n");
		return;
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, strlen(page)), (ssize_t)strlen(page));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	rc = pclose(p);
	unlink(path);
	if (rc)
		print_error("promtool: %s\n", out);
	assert_int_equal(rc, 0);
}

/* The value of one series on the page, or -1 when it is not there. */
static long long value(const char *page, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = page; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

/* Every series of before is on after with a value at least as high, and
 * no series appears twice on after. */
static void never_down(const char *before, const char *after)
{
	for (const char *l = before; *l; l = strchr(l, '\n') + 1) {
		const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');
		char series[1024];

		if (*l == '#')
			continue;
		/* label values hold no raw space or newline, so the last space
		 * of the line starts the value */
		sp = memrchr(l, ' ', nl - l);
		assert_true(sp - l < (long)sizeof(series));
		memcpy(series, l, sp - l);
		series[sp - l] = '\0';
		if (value(after, series) < strtoll(sp + 1, NULL, 10))
			fail_msg("%s went from %s to %lld", series, sp + 1, value(after, series));
	}
	for (const char *l = after; *l; l = strchr(l, '\n') + 1) {
		const char *nl = strchr(l, '\n'), *sp = memrchr(l, ' ', nl - l);
		char key[1026];

		if (*l == '#')
			continue;
		snprintf(key, sizeof(key), "\n%.*s ", (int)(sp - l), l);
		/* found once: at l itself (after a newline, or at the start) */
		const char *again = strstr(nl, key);

		if (again)
			fail_msg("series twice: %.*s", (int)(sp - l), l);
	}
}

/* A new interval: rows and their deltas are what the test adds next. */
static void next_interval(void)
{
	nb_table_free(&c.table);
	nb_table_init(&c.table);
	c.ts += 1;
}

static struct nb_row *row(uint32_t type, uint64_t id, uint64_t start, const char *name,
			  uint64_t dtx, uint64_t drx)
{
	struct nb_rowkey k = type == NB_ROW_PROCESS ? nb_proc_rowkey(id, start) :
			     type == NB_ROW_CGROUP ? nb_cgroup_rowkey(id) : nb_iface_rowkey(id);
	struct nb_row *r = nb_table_get(&c.table, &k, true);

	r->pid = type == NB_ROW_PROCESS ? id : 0;
	r->cgroup_id = type == NB_ROW_CGROUP ? id : 0;
	r->ifindex = type == NB_ROW_IFACE ? id : 0;
	if (type == NB_ROW_IFACE)
		snprintf(r->ifname, sizeof(r->ifname), "%s", name);
	else
		snprintf(r->comm, sizeof(r->comm), "%s", name);
	r->delta = (struct nb_counts){ dtx, drx, dtx / 100, drx / 100 };
	r->cur.tx_bytes += dtx;
	r->cur.rx_bytes += drx;
	r->moved = dtx || drx;
	return r;
}

static int setup(void **state)
{
	struct nb_rowkey k = nb_iface_rowkey(2);
	struct nb_row *r;
	struct nb_counts n = { 1000, 2000, 10, 20 };

	nb_metrics_reset();
	unsetenv("NETBPF_METRICS_MAX_SERIES");
	memset(&c, 0, sizeof(c));
	c.ts = 1000;
	nb_table_init(&c.table);
	proc(10, "curl", 100, 1000, false);
	proc(11, "curl", 5, 7, true);	/* exited: still in the sum */
	proc(12, "we\"ird\\na\nme", 1, 2, false);
	r = nb_table_get(&c.table, &k, true);
	r->ifindex = 2;
	strcpy(r->ifname, "eth0");
	nb_row_set(r, &n);
	nb_table_end(&c.table, 1.0);	/* the first interval: delta = all */
	c.drops[NB_DROP_FLOWS] = 3;
	return 0;
}

static int teardown(void **state)
{
	nb_table_free(&c.table);
	nb_metrics_reset();
	return 0;
}

static void test_by_comm(void **state)
{
	char *m = render(false, false), *again;

	assert_non_null(strstr(m, "# TYPE netbpf_process_transmit_bytes_total counter\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\"} 105\n"));
	assert_non_null(strstr(m, "netbpf_process_receive_bytes_total{comm=\"curl\"} 1007\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"we\\\"ird\\\\na\\nme\"} 1\n"));
	assert_null(strstr(m, "pid="));
	assert_non_null(strstr(m, "netbpf_interface_transmit_bytes_total{interface=\"eth0\",device=\"eth0\",container_name=\"\"} 1000\n"));
	assert_non_null(strstr(m, "netbpf_interface_receive_packets_total{interface=\"eth0\",device=\"eth0\",container_name=\"\"} 20\n"));
	assert_non_null(strstr(m, "netbpf_dropped_updates_total{map=\"flows\"} 3\n"));
	assert_non_null(strstr(m, "netbpf_build_info{version=\"1.2.3\",backend=\"tracepoint\"} 1\n"));
	assert_null(strstr(m, "run_time"));	/* statistics off: no series */
	promtool_ok(m);
	/* the page rendered again in the same interval counts nothing twice */
	again = render(false, false);
	assert_string_equal(m, again);
	free(again);
	free(m);
}

static void test_by_pid_and_progs(void **state)
{
	char *m = render(true, true);

	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\",pid=\"10\"} 100\n"));
	assert_non_null(strstr(m, "netbpf_process_transmit_bytes_total{comm=\"curl\",pid=\"11\"} 5\n"));
	assert_non_null(strstr(m, "netbpf_bpf_run_time_seconds_total{program=\"tp_send\"} 1.500000000\n"));
	assert_non_null(strstr(m, "netbpf_bpf_run_count_total{program=\"tp_send\"} 42\n"));
	promtool_ok(m);
	free(m);
}

/* Names a process can give itself; ids of cgroups that cannot be
 * resolved (no such folder). */
#define CG1 0x7ff0000000000001ull
#define CG2 0x7ff0000000000002ull

static void test_hostile(void **state)
{
	char *m, *p;

	next_interval();
	row(NB_ROW_PROCESS, 30, 1, "\x1b]0;PWN\a\x1b[2J", 10, 1);
	row(NB_ROW_PROCESS, 31, 1, "abcdefghijklmn\xc3", 20, 2);	/* é cut by the kernel */
	row(NB_ROW_PROCESS, 32, 1, "a\"b\\c\nd\te", 30, 3);
	row(NB_ROW_PROCESS, 33, 1, "\xc2\x9b\x7f", 40, 4);	/* C1 CSI, DEL */
	row(NB_ROW_PROCESS, 34, 1, "x\xff", 1, 0);	/* two names, one label set */
	row(NB_ROW_PROCESS, 35, 1, "x\xfe", 2, 0);
	row(NB_ROW_PROCESS, 36, 1, "caf\xc3\xa9", 5, 0);
	row(NB_ROW_CGROUP, CG1, 0, "", 100, 10);
	row(NB_ROW_CGROUP, CG2, 0, "", 200, 20);
	row(NB_ROW_IFACE, 7, 0, "", 50, 60);	/* never named */
	/* a veth whose container has a hostile name */
	row(NB_ROW_IFACE, 8, 0, "veth8", 70, 80)->ctr_name = strdup("web\"1\n\x1b");
	m = render(false, false);
	promtool_ok(m);
	/* the page holds no control byte but the newlines ending lines, and is
	 * valid UTF-8 */
	for (p = m; *p; p++)
		assert_false(((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f);
	for (p = m; *p; p = strchr(p, '\n') + 1) {
		char line[2048];
		size_t n = strchr(p, '\n') - p;

		memcpy(line, p, n);
		line[n] = '\0';
		assert_true(nb_text_clean(line));
	}
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"\xef\xbf\xbd]0;PWN\xef\xbf\xbd\xef\xbf\xbd[2J\"}"), 10);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"abcdefghijklmn\xef\xbf\xbd\"}"), 20);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd" "e\"}"), 30);
	assert_int_equal(value(m, "netbpf_process_receive_bytes_total{comm=\"\xef\xbf\xbd\xef\xbf\xbd\"}"), 4);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"x\xef\xbf\xbd\"}"), 3);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"caf\xc3\xa9\"}"), 5);
	/* two cgroups that could not be resolved: two series, by id */
	assert_int_equal(value(m, "netbpf_cgroup_transmit_bytes_total{cgroup=\"id:9218868437227405313\",container=\"\",container_name=\"\",pod=\"\",namespace=\"\"}"), 100);
	assert_int_equal(value(m, "netbpf_cgroup_transmit_bytes_total{cgroup=\"id:9218868437227405314\",container=\"\",container_name=\"\",pod=\"\",namespace=\"\"}"), 200);
	assert_null(strstr(m, "cgroup=\"\""));
	assert_int_equal(value(m, "netbpf_interface_receive_bytes_total{interface=\"ifindex:7\",device=\"ifindex:7\",container_name=\"\"}"), 60);
	assert_int_equal(value(m, "netbpf_interface_receive_bytes_total{interface=\"veth8\",device=\"veth8\",container_name=\"web\\\"1\\n\xef\xbf\xbd\"}"), 80);
	never_down(m, m);
	free(m);
}

static void test_exec_exit_reuse(void **state)
{
	char *m1, *m2, *m3, *m4;
	struct nb_row *r;

	/* interval 1: pid 40 is "sh"; a cgroup; an interface */
	next_interval();
	row(NB_ROW_PROCESS, 40, 1, "sh", 100, 10);
	row(NB_ROW_PROCESS, 41, 1, "worker", 7, 0);
	row(NB_ROW_CGROUP, CG1, 0, "", 1000, 0);
	row(NB_ROW_IFACE, 3, 0, "veth0", 500, 500);
	m1 = render(false, false);
	/* interval 2: pid 40 execs curl (same row, new comm); the worker exits
	 * and shows a last time with its final delta */
	next_interval();
	r = row(NB_ROW_PROCESS, 40, 1, "curl", 50, 5);
	r->cur.tx_bytes = 150;	/* cumulative of the row: not what metrics use */
	r = row(NB_ROW_PROCESS, 41, 1, "worker", 3, 0);
	r->exited = true;
	row(NB_ROW_IFACE, 3, 0, "veth0", 0, 0);
	m2 = render(false, false);
	assert_int_equal(value(m2, "netbpf_process_transmit_bytes_total{comm=\"sh\"}"), 100);
	assert_int_equal(value(m2, "netbpf_process_transmit_bytes_total{comm=\"curl\"}"), 50);
	assert_int_equal(value(m2, "netbpf_process_transmit_bytes_total{comm=\"worker\"}"), 10);
	never_down(m1, m2);
	/* interval 3: the worker and the cgroup are retired from the table, the
	 * interface is gone; pid 40 is reused by a new "sh" */
	next_interval();
	row(NB_ROW_PROCESS, 40, 2, "sh", 8, 0);
	m3 = render(false, false);
	assert_int_equal(value(m3, "netbpf_process_transmit_bytes_total{comm=\"sh\"}"), 108);
	assert_int_equal(value(m3, "netbpf_process_transmit_bytes_total{comm=\"curl\"}"), 50);
	assert_int_equal(value(m3, "netbpf_process_transmit_bytes_total{comm=\"worker\"}"), 10);
	assert_int_equal(value(m3, "netbpf_cgroup_transmit_bytes_total{cgroup=\"id:9218868437227405313\",container=\"\",container_name=\"\",pod=\"\",namespace=\"\"}"), 1000);
	assert_int_equal(value(m3, "netbpf_interface_transmit_bytes_total{interface=\"veth0\",device=\"veth0\",container_name=\"\"}"), 500);
	never_down(m2, m3);
	/* interval 4: an interface of the same name comes back */
	next_interval();
	row(NB_ROW_IFACE, 9, 0, "veth0", 20, 0);
	m4 = render(false, false);
	assert_int_equal(value(m4, "netbpf_interface_transmit_bytes_total{interface=\"veth0\",device=\"veth0\",container_name=\"\"}"), 520);
	never_down(m3, m4);
	promtool_ok(m4);
	free(m1);
	free(m2);
	free(m3);
	free(m4);
}

/* A row that stays across intervals finds its series again from the hint
 * it keeps; the hint is not followed once the labels would differ (an
 * exec, another label set, the series of a reset exporter). */
static void test_series_hint(void **state)
{
	struct nb_row *a, *b;
	char *m;

	next_interval();
	a = row(NB_ROW_PROCESS, 50, 1, "nginx", 10, 1);
	b = row(NB_ROW_PROCESS, 51, 1, "redis", 20, 2);
	free(render(false, false));
	assert_int_not_equal(a->series, 0);
	assert_int_not_equal(b->series, a->series);
	/* the next interval, the same rows: one more delta each */
	c.ts += 1;
	a->delta = (struct nb_counts){ 5, 0, 0, 0 };
	b->delta = (struct nb_counts){ 7, 0, 0, 0 };
	m = render(false, false);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"nginx\"}"), 15);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"redis\"}"), 27);
	free(m);
	/* a execs redis: its hint (nginx) no longer fits */
	c.ts += 1;
	strcpy(a->comm, "redis");
	a->delta = (struct nb_counts){ 100, 0, 0, 0 };
	b->delta = (struct nb_counts){ 0, 0, 0, 0 };
	m = render(false, false);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"nginx\"}"), 15);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"redis\"}"), 127);
	assert_int_equal(a->series, b->series);
	free(m);
	/* a new exporter (reset), by pid: a's index now holds another series */
	nb_metrics_reset();
	c.ts += 1;
	b->delta = (struct nb_counts){ 1, 0, 0, 0 };
	a->delta = (struct nb_counts){ 2, 0, 0, 0 };
	m = render(true, false);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"redis\",pid=\"50\"}"), 2);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"redis\",pid=\"51\"}"), 1);
	assert_int_not_equal(a->series, b->series);
	free(m);
	/* and the same rows without pids: one series again */
	nb_metrics_reset();
	c.ts += 1;
	m = render(false, false);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"redis\"}"), 3);
	assert_null(strstr(m, "pid="));
	promtool_ok(m);
	free(m);
}

static void test_cap(void **state)
{
	char *m, name[16];
	long long sum = 0;

	nb_metrics_reset();
	setenv("NETBPF_METRICS_MAX_SERIES", "3", 1);
	next_interval();
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		row(NB_ROW_PROCESS, 50 + i, 1, name, 10 + i, 1);
	}
	m = render(false, false);
	promtool_ok(m);
	/* the first three label sets (by first appearance), then __other__ */
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"p0\"}"), 10);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"p2\"}"), 12);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"p3\"}"), -1);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"__other__\"}"), 13 + 14 + 15);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		char s[128];

		snprintf(s, sizeof(s), "netbpf_process_transmit_bytes_total{comm=\"%s\"}", name);
		sum += value(m, s);
	}
	sum += value(m, "netbpf_process_transmit_bytes_total{comm=\"__other__\"}");
	assert_int_equal(sum, 10 + 11 + 12 + 13 + 14 + 15);	/* totals still add up */
	free(m);
	/* known label sets keep counting; a new one still overflows; a process
	 * named __other__ is the overflow series */
	next_interval();
	row(NB_ROW_PROCESS, 50, 1, "p0", 5, 0);
	row(NB_ROW_PROCESS, 60, 1, "new", 100, 0);
	row(NB_ROW_PROCESS, 61, 1, "__other__", 1, 0);
	m = render(false, false);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"p0\"}"), 15);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"new\"}"), -1);
	assert_int_equal(value(m, "netbpf_process_transmit_bytes_total{comm=\"__other__\"}"), 42 + 101);
	never_down(m, m);
	free(m);
	unsetenv("NETBPF_METRICS_MAX_SERIES");
}

/* Many label sets: the series array moves as it grows, and every series
 * is still found and keeps counting. */
static void test_many_series(void **state)
{
	char *m, name[16], s[128];

	nb_metrics_reset();
	for (int round = 1; round <= 2; round++) {
		next_interval();
		for (int i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "m%d", i);
			row(NB_ROW_PROCESS, 5000 + i, 1, name, i, 1);
		}
		m = render(false, false);
		for (int i = 0; i < 1000; i += 37) {
			snprintf(s, sizeof(s), "netbpf_process_transmit_bytes_total{comm=\"m%d\"}", i);
			assert_int_equal(value(m, s), round * i);
		}
		free(m);
	}
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
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_exit_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_series, setup, teardown),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
