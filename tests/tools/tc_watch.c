// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tc_watch: drive user/tc.c for the end-to-end test (tests/e2e/tc_module.sh).
 *
 *   tc_watch [-v] [-m auto|tcx|clsact] [-i IF[,IF...]] [-r BYTES]
 *   tc_watch -p auto|tcx|clsact     nb_tc_probe(): prints "PROBE METHOD ERRNO"
 *
 * Attaches, prints "READY PID METHOD", then follows link events and reads
 * commands on stdin, one per line:
 *   dump  one line "IF NAME IFINDEX RX_BYTES TX_BYTES RX_PACKETS TX_PACKETS
 *         GONE" per interface (nb_tc_read()), then "END DROPS"
 *   pause MS  stop reading link events for MS milliseconds, then "OK"
 *         (with a small -r receive buffer, events are lost: a resync)
 *   quit  (or end of input, SIGINT, SIGTERM) detach, print "CLOSED", exit 0
 * Errors: "ERR what: message" on stdout; a failed open exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include "../../user/tc.h"

static volatile sig_atomic_t exiting;
static bool verbose;

static void on_signal(int sig)
{
	exiting = 1;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return verbose && level != LIBBPF_DEBUG ? vfprintf(stderr, fmt, ap) : 0;
}

static void dump(struct nb_tc *tc)
{
	int max = nb_tc_count(tc) + 1;
	struct nb_iface_sample *s = calloc(max, sizeof(*s));
	int n = s ? nb_tc_read(tc, s, max) : -ENOMEM;

	if (n < 0)
		printf("ERR read: %s\n", strerror(-n));
	for (int i = 0; i < n; i++)
		printf("IF %s %u %llu %llu %llu %llu %d\n", s[i].ifname, s[i].ifindex,
		       (unsigned long long)s[i].rx_bytes, (unsigned long long)s[i].tx_bytes,
		       (unsigned long long)s[i].rx_packets, (unsigned long long)s[i].tx_packets,
		       s[i].gone);
	printf("END %llu\n", (unsigned long long)nb_tc_drops(tc));
	free(s);
}

int main(int argc, char **argv)
{
	char names[64][16], line[256];
	const char *method = "auto", *bad = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct nb_tc *tc;
	int opt, n = 0, err, rcvbuf = 0;

	while ((opt = getopt(argc, argv, "vm:i:p:r:")) != -1) {
		switch (opt) {
		case 'r':
			rcvbuf = atoi(optarg);
			break;
		case 'p':
			libbpf_set_print(print_fn);
			printf("PROBE %s %d\n", optarg, -nb_tc_probe(optarg));
			return 0;
		case 'v':
			verbose = true;
			break;
		case 'm':
			method = optarg;
			break;
		case 'i':
			for (char *save, *t = strtok_r(optarg, ",", &save); t && n < 64;
			     t = strtok_r(NULL, ",", &save))
				snprintf(names[n++], sizeof(names[0]), "%s", t);
			break;
		default:
			fprintf(stderr, "usage: tc_watch [-v] [-m METHOD] [-i IF[,IF...]] [-r BYTES]"
				" | -p METHOD\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stdin, NULL, _IONBF, 0);	/* nothing may wait in a buffer poll cannot see */
	libbpf_set_print(print_fn);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = nb_tc_open(&tc, n ? names : NULL, n, method, 0, &bad);
	if (err) {
		printf("ERR open: %s%s%s\n", strerror(-err), bad ? " on " : "", bad ? bad : "");
		return 1;
	}
	if (rcvbuf)
		setsockopt(nb_tc_netlink_fd(tc), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	printf("READY %d %s\n", getpid(), nb_tc_method(tc));

	while (!exiting) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = nb_tc_netlink_fd(tc), .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			printf("ERR poll: %s\n", strerror(errno));
			break;
		}
		if (p[1].revents) {
			err = nb_tc_handle_links(tc);
			if (err)
				printf("ERR links: %s\n", strerror(-err));
		}
		if (!p[0].revents)
			continue;
		if (!fgets(line, sizeof(line), stdin))
			break;
		if (!strncmp(line, "pause ", 6)) {
			usleep(atoi(line + 6) * 1000);
			printf("OK\n");
			continue;
		}
		/* events that came before the command count for it */
		err = nb_tc_handle_links(tc);
		if (err)
			printf("ERR links: %s\n", strerror(-err));
		if (!strncmp(line, "dump", 4))
			dump(tc);
		else if (!strncmp(line, "quit", 4))
			break;
		else
			printf("ERR command: %s", line);
	}
	nb_tc_close(tc);
	printf("CLOSED\n");
	return 0;
}
