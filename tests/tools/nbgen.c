// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nbgen: netbpf's test traffic generator. Moves an exact number of bytes
 * and prints, as one JSON line, what it moved by its own count (the return
 * values of its send and receive calls): the truth netbpf is checked
 * against.
 *
 *   nbgen tcp-server ADDR PORT [SEND [CONNS]]  accept CONNS connections; on
 *                                             each send SEND bytes, read to EOF
 *   nbgen tcp-client ADDR PORT SEND           connect, send SEND, read to EOF
 *   nbgen udp-recv ADDR PORT BYTES SECONDS    receive until BYTES or SECONDS
 *   nbgen udp-send ADDR PORT SIZE COUNT       send COUNT datagrams of SIZE
 *   nbgen burst ADDR PORT PROCS SEND          PROCS child processes, each a
 *                                             tcp-client named nbkidNN
 * ADDR "::ffff:a.b.c.d" gives an IPv6 socket with a v4-mapped address; a
 * server on "::" takes IPv4 clients on its IPv6 socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static char buf[65536];

static void fatal(const char *what)
{
	fprintf(stderr, "nbgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end) {
		fprintf(stderr, "nbgen: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void addr(const char *host, const char *port, struct sockaddr_storage *ss,
		 socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int r = getaddrinfo(host, port, &hints, &ai);

	if (r) {
		fprintf(stderr, "nbgen: bad address %s: %s\n", host, gai_strerror(r));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static void report(const char *role, uint64_t sent, uint64_t received)
{
	char comm[17] = "";

	prctl(PR_GET_NAME, comm);
	printf("{\"role\":\"%s\",\"pid\":%d,\"comm\":\"%s\",\"sent\":%llu,\"received\":%llu}\n",
	       role, getpid(), comm, (unsigned long long)sent, (unsigned long long)received);
	fflush(stdout);
}

/* Send 'to_send' bytes and read to EOF at the same time (no deadlock when
 * both ends send more than the socket buffers hold). */
static void pump(int fd, uint64_t to_send, uint64_t *sent, uint64_t *received)
{
	uint64_t left = to_send;
	int eof = 0, wr_done = 0;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (!left) {
		shutdown(fd, SHUT_WR);
		wr_done = 1;
	}
	while (!eof || !wr_done) {
		struct pollfd p = { fd, (eof ? 0 : POLLIN) | (wr_done ? 0 : POLLOUT), 0 };
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0)
			fatal("poll (stalled for 20 s)");
		if (p.revents & POLLOUT) {
			n = send(fd, buf, left < sizeof(buf) ? left : sizeof(buf), MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				fatal("send");
			if (n > 0) {
				*sent += n;
				left -= n;
			}
			if (!left) {
				shutdown(fd, SHUT_WR);
				wr_done = 1;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && errno != EAGAIN)
				fatal("recv");
			if (n == 0)
				eof = 1;
			if (n > 0)
				*received += n;
		}
	}
}

static int tcp_connect(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	addr(host, port, &ss, &len);
	/* the server may still be starting: retry for up to 10 s */
	for (int i = 0; i < 200; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			fatal("socket");
		if (!connect(fd, (struct sockaddr *)&ss, len))
			return fd;
		close(fd);
		usleep(50000);
	}
	fatal("connect");
	return -1;
}

static int tcp_client(const char *host, const char *port, uint64_t n, const char *role)
{
	uint64_t sent = 0, received = 0;
	int fd = tcp_connect(host, port);

	pump(fd, n, &sent, &received);
	close(fd);
	report(role, sent, received);
	return 0;
}

static int tcp_server(const char *host, const char *port, uint64_t n, uint64_t conns)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0, received = 0;
	socklen_t len;
	int fd, one = 1, zero = 0;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128))
		fatal("bind/listen");
	for (uint64_t i = 0; i < conns; i++) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			fatal("accept");
		pump(c, n, &sent, &received);
		close(c);
	}
	close(fd);
	report("server", sent, received);
	return 0;
}

static int udp_recv(const char *host, const char *port, uint64_t want, uint64_t secs)
{
	struct sockaddr_storage ss;
	uint64_t received = 0;
	socklen_t len;
	int fd, zero = 0;
	time_t end = time(NULL) + secs;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		fatal("socket");
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len))
		fatal("bind");
	/* ready: the sender may start */
	fprintf(stderr, "nbgen: udp-recv ready\n");
	while (received < want && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			fatal("recv");
		received += n;
	}
	close(fd);
	report("udp-recv", 0, received);
	return 0;
}

static int udp_send(const char *host, const char *port, uint64_t size, uint64_t count)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0;
	socklen_t len;
	int fd;

	if (size > sizeof(buf))
		size = sizeof(buf);
	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		fatal("socket");
	for (uint64_t i = 0; i < count; i++) {
		ssize_t n = sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len);

		if (n < 0)
			fatal("sendto");
		sent += n;
		if (i % 16 == 15)
			usleep(1000);	/* pace: do not overrun the receiver's buffer */
	}
	close(fd);
	report("udp-send", sent, 0);
	return 0;
}

static int burst(const char *host, const char *port, uint64_t procs, uint64_t n)
{
	for (uint64_t i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			fatal("fork");
		if (pid == 0) {
			char name[16];

			snprintf(name, sizeof(name), "nbkid%02u", (unsigned)(i % 100));
			prctl(PR_SET_NAME, name);
			/* a different size each, so a mix-up shows */
			exit(tcp_client(host, port, n + i, "burst"));
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	memset(buf, 'x', sizeof(buf));
	if (!strcmp(cmd, "tcp-server") && argc >= 4)
		return tcp_server(argv[2], argv[3], argc > 4 ? num(argv[4]) : 0,
				  argc > 5 ? num(argv[5]) : 1);
	if (!strcmp(cmd, "tcp-client") && argc == 5)
		return tcp_client(argv[2], argv[3], num(argv[4]), "client");
	if (!strcmp(cmd, "udp-recv") && argc == 6)
		return udp_recv(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "udp-send") && argc == 6)
		return udp_send(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "burst") && argc == 6)
		return burst(argv[2], argv[3], num(argv[4]), num(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of tests/tools/nbgen.c\n");
	return 2;
}
