// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: load the empty programs of bench/floor.bpf.c, attach them to the
 * hooks netbpf uses (tp_btf/sock_send_length, sock_recv_length,
 * tcp_rcv_space_adjust and inet_sock_set_state; tcx
 * ingress and egress of each interface named, in this network namespace,
 * first in the chain like netbpf's), print "floor: attached" on stderr and
 * hold them until SIGINT or SIGTERM.
 *
 *   floor [IFNAME...]
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

/* tcx (Linux 6.6): Debian 12's headers lack these; see user/tc_attach.c */
enum { FL_TCX_INGRESS = 46, FL_TCX_EGRESS = 47 };
#define FL_F_BEFORE	(1U << 3)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct floor_bpf *s;
	int links[2 * 64], nlinks = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s = floor_bpf__open_and_load();
	if (!s) {
		fprintf(stderr, "floor: load: %s\n", strerror(errno));
		return 1;
	}
	if (floor_bpf__attach(s)) {
		fprintf(stderr, "floor: attach: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i < argc && nlinks + 2 <= (int)(sizeof(links) / sizeof(links[0])); i++) {
		unsigned int ifindex = if_nametoindex(argv[i]);
		int progs[2] = { bpf_program__fd(s->progs.fl_tc_ingress),
				 bpf_program__fd(s->progs.fl_tc_egress) };
		int types[2] = { FL_TCX_INGRESS, FL_TCX_EGRESS };

		if (!ifindex) {
			fprintf(stderr, "floor: no such interface: %s\n", argv[i]);
			return 2;
		}
		for (int w = 0; w < 2; w++) {
			LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = FL_F_BEFORE);
			int fd = bpf_link_create(progs[w], ifindex, (enum bpf_attach_type)types[w], &lo);

			if (fd < 0) {
				fprintf(stderr, "floor: tcx attach to %s: %s\n", argv[i], strerror(-fd));
				return 1;
			}
			links[nlinks++] = fd;
		}
	}
	fprintf(stderr, "floor: attached\n");
	while (!stop)
		pause();
	for (int i = 0; i < nlinks; i++)
		close(links[i]);
	floor_bpf__destroy(s);
	return 0;
}
