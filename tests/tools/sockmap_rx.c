// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockmap_rx OBJ ADDR PORT BYTES: accept one TCP connection from a child
 * of its own, put it in the sockmap of OBJ (tests/tools/sockmap.bpf.c,
 * verdict program attached), then let the child send BYTES; read to EOF.
 * Prints what each moved by its own count, as nbgen does, one JSON line
 * each: {"role":"client"|"server","pid":N,"sent":N,"received":N}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <poll.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int fatal(const char *what)
{
	fprintf(stderr, "sockmap_rx: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct bpf_object *obj;
	struct bpf_program *prog;
	int lfd, fd, map, one = 1;
	unsigned long long got = 0;
	__u32 key = 0;
	__u64 val;
	char buf[65536];
	ssize_t r;

	int go[2];
	pid_t kid;

	if (argc != 5) {
		fprintf(stderr, "usage: sockmap_rx OBJ ADDR PORT BYTES\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		return fatal("load");
	map = bpf_object__find_map_fd_by_name(obj, "socks");
	prog = bpf_object__find_program_by_name(obj, "parse");
	if (map < 0 || !prog)
		return fatal("find");
	if (bpf_prog_attach(bpf_program__fd(prog), map, BPF_SK_SKB_STREAM_PARSER, 0))
		return fatal("attach the parser");
	prog = bpf_object__find_program_by_name(obj, "pass");
	if (!prog || bpf_prog_attach(bpf_program__fd(prog), map, BPF_SK_SKB_STREAM_VERDICT, 0))
		return fatal("attach the verdict program");
	sa.sin_port = htons(atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		return fatal("listen");
	if (pipe(go))
		return fatal("pipe");
	kid = fork();
	if (kid == 0) {
		unsigned long long left = strtoull(argv[4], NULL, 10), sent = 0;
		int c = socket(AF_INET, SOCK_STREAM, 0);
		char g;

		memset(buf, 'x', sizeof(buf));
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) || read(go[0], &g, 1) != 1)
			_exit(fatal("connect"));
		while (left) {
			r = send(c, buf, left < sizeof(buf) ? left : sizeof(buf), 0);
			if (r <= 0)
				_exit(fatal("send"));
			left -= r;
			sent += r;
		}
		close(c);
		printf("{\"role\":\"client\",\"pid\":%d,\"sent\":%llu,\"received\":0}\n",
		       (int)getpid(), sent);
		fflush(stdout);
		_exit(0);
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return fatal("accept");
	val = fd;
	if (bpf_map_update_elem(map, &key, &val, BPF_ANY))
		return fatal("add the socket to the sockmap");
	/* only now the child sends: every byte goes through the sockmap */
	if (write(go[1], "g", 1) != 1)
		return fatal("pipe");
	/* with a sockmap, recv may say EAGAIN on a blocking socket */
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };

		r = recv(fd, buf, sizeof(buf), 0);
		if (r > 0) {
			got += r;
			continue;
		}
		if (r == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return fatal("recv");
		poll(&p, 1, 100);
	}
	fflush(stdout);
	waitpid(kid, NULL, 0);
	printf("{\"role\":\"server\",\"pid\":%d,\"sent\":0,\"received\":%llu}\n",
	       (int)getpid(), got);
	return 0;
}
