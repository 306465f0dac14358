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
 *   nbgen udp-recv-block ADDR PORT BYTES SECONDS  the same, waiting inside
 *                                             recv() (no poll() before it)
 *   nbgen udp-send ADDR PORT SIZE COUNT       send COUNT datagrams of SIZE
 *   nbgen udp-pause ADDR PORT SIZE MS SIZE2   one socket: a datagram of SIZE, MS
 *                                             milliseconds of nothing, one of SIZE2
 *   nbgen burst ADDR PORT PROCS SEND          PROCS child processes, each a
 *                                             tcp-client named nbkidNN
 *   nbgen churn ADDR PORT PROCS FLOWS GROUPS CGDIR [SHOW]  PROCS short-lived
 *                                             processes (nbchurn), 8 at a time, each
 *                                             sending one 8-byte UDP datagram from each
 *                                             of FLOWS sockets to a sink it runs; with
 *                                             GROUPS > 0 they live in GROUPS cgroups
 *                                             made (and removed) under CGDIR, one after
 *                                             another; SHOW: print every child's line
 *   nbgen pair-server ADDR PORT CONNS         accept CONNS connections, read each to
 *                                             EOF with two threads at once; prints
 *                                             "ready" on stderr once all are accepted
 *   nbgen pair-client ADDR PORT CONNS SEND GO  connect CONNS, wait until the file GO
 *                                             exists, then send SEND on each
 *                                             (connections older than netbpf, read by
 *                                             two readers at the first sight)
 *   nbgen many ADDR PORT CONNS SEND           CONNS connections one after another
 *                                             from one process, SEND bytes each
 *   nbgen sctp-server / sctp-client ...       as tcp-server / tcp-client, over SCTP one-to-one
 *                                             (each side first sends 8 bytes: how much
 *                                             it sends; SCTP has no half-close)
 *                                             (exit 3 where the kernel has no SCTP)
 *   nbgen sctp-m-server ADDR PORT RECV SEND   SCTP one-to-many (SOCK_SEQPACKET): receive
 *                                             RECV bytes of messages from any peer, then
 *                                             send SEND bytes to the last one
 *   nbgen sctp-m-client ADDR PORT SEND RECV   one-to-many: send SEND bytes in messages
 *                                             (the first makes the association), then
 *                                             receive RECV bytes (exit 3: no SCTP)
 *   nbgen send-exec ADDR PORT SEND PROG [ARG...]  tcp-client, then exec PROG
 *   nbgen send-wait-exec ADDR PORT SEND MS PROG [ARG...]  the same, MS
 *                                             milliseconds after the send
 *   nbgen named NAME MODE ARGS...             set the command name to NAME (any
 *                                             bytes: hostile-name tests), then MODE
 *   nbgen thread SECONDS                      a second thread: print its id, sleep
 *   nbgen ping ADDR COUNT SIZE                ICMP echo on a ping socket
 *   nbgen rawping ADDR COUNT SIZE             ICMP echo on a raw socket
 *   nbgen raw-send ADDR PROTO SIZE COUNT      raw IP datagrams of protocol PROTO
 *   nbgen raw-recv ADDR PROTO BYTES SECONDS   receive them (IPv4: with IP header)
 *   nbgen sendfile ADDR PORT BYTES            tcp-client sending a file with sendfile()
 *   nbgen splice-send ADDR PORT BYTES         tcp-client sending from a pipe with splice()
 *   nbgen splice-server ADDR PORT             accept one, read to EOF with splice()
 *   nbgen uring ADDR PORT BYTES               tcp-client doing send and recv with io_uring
 *   nbgen peek ADDR PORT BYTES                tcp-client that peeks before each read
 *   nbgen mmsg-send ADDR PORT SIZE COUNT      UDP with sendmmsg, 8 datagrams a call
 *   nbgen mmsg-recv ADDR PORT BYTES SECONDS   UDP with recvmmsg
 *   nbgen packet-send IF KIND SIZE COUNT      AF_PACKET: COUNT broadcast frames of
 *                                             ethertype 0x88b5 out of IF; KIND raw
 *                                             (SOCK_RAW, SIZE is the whole frame), dgram
 *                                             (SOCK_DGRAM, SIZE is the payload: the kernel
 *                                             adds the link header) or ring (SOCK_RAW
 *                                             with a TPACKET_V2 TX_RING: the frames are
 *                                             written to the ring, send(fd, NULL, 0)
 *                                             sends them; 'sent' is what send returned)
 *   nbgen packet-recv IF KIND FRAMES SECONDS  receive FRAMES frames of ethertype 0x88b5
 *                                             on IF; KIND raw, dgram, or ring (a
 *                                             TPACKET_V2 RX_RING read without recvmsg:
 *                                             'received' sums the frames' tp_snaplen)
 *   nbgen reconnect ADDR PORT1 PORT2 SEND     one TCP socket, two connections: SEND
 *                                             bytes to PORT1 and one byte back, then
 *                                             disconnect (connect AF_UNSPEC), connect
 *                                             to PORT2, send 2 * SEND, read to EOF
 *   nbgen state-churn ADDR PORT SECONDS RATE  TCP state changes in process context and
 *                                             in softirq on one CPU (pin it): for
 *                                             SECONDS, listen() and close() on fresh
 *                                             sockets without a pause, and RATE
 *                                             non-blocking connects a second to ADDR
 *                                             (which must drop them: one SYN retry,
 *                                             then the retransmit timer closes the
 *                                             socket in softirq); 'sent' counts the
 *                                             listens, 'received' the connects
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
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <sys/sendfile.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <liburing.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>

static char buf[65536];
static int stream_proto;	/* 0 (TCP), or IPPROTO_SCTP for the sctp modes */

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

/* A stream socket of the protocol asked for; exit 3 when the kernel has
 * no such protocol (the test reports that as not applicable here). */
static int stream_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, stream_proto);

	if (fd < 0 && stream_proto && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT)) {
		fprintf(stderr, "nbgen: this kernel has no SCTP: %s\n", strerror(errno));
		exit(3);
	}
	return fd;
}

static void report(const char *role, uint64_t sent, uint64_t received)
{
	char comm[17] = "", esc[17 * 6 + 1] = "";
	int n = 0;

	prctl(PR_GET_NAME, comm);
	/* the name may be anything (mode named): printable ASCII as it is,
	 * every other byte as \u00XX, so the line stays JSON */
	for (unsigned char *p = (unsigned char *)comm; *p; p++)
		n += sprintf(esc + n, *p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ?
			     "\\u%04x" : "%c", *p);
	printf("{\"role\":\"%s\",\"pid\":%d,\"comm\":\"%s\",\"sent\":%llu,\"received\":%llu}\n",
	       role, getpid(), esc, (unsigned long long)sent, (unsigned long long)received);
	fflush(stdout);
}

/* SCTP has no half-close: shutdown(SHUT_WR) starts the SHUTDOWN of the
 * whole association, after which the peer may send nothing more. So over
 * SCTP each side first sends, as 8 bytes, how much it will send, and reads
 * until it has had that much from the other. The 8 bytes count like the
 * rest: they too went through send and recv. */
static void pump_sized(int fd, uint64_t to_send, uint64_t *sent, uint64_t *received)
{
	uint64_t hdr = to_send, peer = 0, out = 0, got = 0;
	unsigned char in[8];

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (out < 8 + to_send || got < 8 || got < 8 + peer) {
		struct pollfd p = { fd, (out < 8 + to_send ? POLLOUT : 0) |
				    (got < 8 || got < 8 + peer ? POLLIN : 0), 0 };
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0)
			fatal("poll (stalled for 20 s)");
		if (p.revents & POLLOUT) {
			if (out < 8)
				n = send(fd, (char *)&hdr + out, 8 - out, MSG_NOSIGNAL);
			else
				n = send(fd, buf, 8 + to_send - out < sizeof(buf) ?
					 8 + to_send - out : sizeof(buf), MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				fatal("send");
			if (n > 0) {
				*sent += n;
				out += n;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && errno != EAGAIN)
				fatal("recv");
			if (n == 0) {
				errno = EPIPE;
				fatal("recv (the peer closed early)");
			}
			for (ssize_t i = 0; n > 0 && i < n && got + i < 8; i++)
				in[got + i] = buf[i];
			if (n > 0) {
				if (got < 8 && got + n >= 8)
					memcpy(&peer, in, 8);
				got += n;
				*received += n;
			}
		}
	}
}

/* Send 'to_send' bytes and read to EOF at the same time (no deadlock when
 * both ends send more than the socket buffers hold). */
static void pump(int fd, uint64_t to_send, uint64_t *sent, uint64_t *received)
{
	if (stream_proto == IPPROTO_SCTP) {
		pump_sized(fd, to_send, sent, received);
		return;
	}
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
		fd = stream_socket(ss.ss_family);
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

/* See reconnect above: the second connection's bytes are the second flow's. */
static int reconnect(const char *host, const char *port1, const char *port2, uint64_t n)
{
	struct sockaddr_storage a, b;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	uint64_t first = 0, sent = 0, received = 0;
	socklen_t la, lb;
	char c;
	int fd;

	addr(host, port1, &a, &la);
	addr(host, port2, &b, &lb);
	fd = tcp_connect(host, port1);
	while (first < n) {
		ssize_t w = send(fd, buf, n - first < sizeof(buf) ? n - first : sizeof(buf), 0);

		if (w <= 0)
			fatal("send");
		first += w;
	}
	if (recv(fd, &c, 1, MSG_WAITALL) != 1)
		fatal("recv");
	if (connect(fd, &unspec, sizeof(unspec)))
		fatal("connect AF_UNSPEC");
	if (connect(fd, (struct sockaddr *)&b, lb))
		fatal("connect again");
	pump(fd, 2 * n, &sent, &received);
	close(fd);
	report("reconnect", first + sent, 1 + received);
	return 0;
}

static int tcp_server(const char *host, const char *port, uint64_t n, uint64_t conns)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0, received = 0;
	socklen_t len;
	int fd, one = 1, zero = 0;

	addr(host, port, &ss, &len);
	fd = stream_socket(ss.ss_family);
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

/* SCTP one-to-many: one SOCK_SEQPACKET socket for every association. */
#define SCTP_MSG 4000	/* bytes per message */
#ifndef MSG_NOTIFICATION
#define MSG_NOTIFICATION 0x8000	/* linux/sctp.h: an event, not data */
#endif

static int seqpacket_socket(int family)
{
	int fd = socket(family, SOCK_SEQPACKET, IPPROTO_SCTP);

	if (fd < 0 && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT)) {
		fprintf(stderr, "nbgen: this kernel has no SCTP: %s\n", strerror(errno));
		exit(3);
	}
	if (fd < 0)
		fatal("socket");
	return fd;
}

/* Receive messages until 'want' data bytes came; every byte recvmsg
 * returned counts in *received (notifications too, were any on: netbpf
 * sees what the kernel hands over). The sender's address in *peer. */
static void seq_recv(int fd, uint64_t want, uint64_t *received,
		     struct sockaddr_storage *peer, socklen_t *peerlen)
{
	uint64_t data = 0;

	while (data < want) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = peer, .msg_namelen = sizeof(*peer),
				    .msg_iov = &iov, .msg_iovlen = 1 };
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0)
			fatal("poll (stalled for 20 s)");
		n = recvmsg(fd, &m, 0);
		if (n < 0)
			fatal("recvmsg");
		*received += n;
		if (!(m.msg_flags & MSG_NOTIFICATION))
			data += n;
		if (peerlen)
			*peerlen = m.msg_namelen;
	}
}

static void seq_send(int fd, uint64_t n, uint64_t *sent, const struct sockaddr_storage *to,
		     socklen_t tolen)
{
	while (n) {
		ssize_t r = sendto(fd, buf, n < SCTP_MSG ? n : SCTP_MSG, MSG_NOSIGNAL,
				   (const struct sockaddr *)to, tolen);

		if (r < 0)
			fatal("sendto");
		*sent += r;
		n -= r;
	}
}

static int sctp_m_server(const char *host, const char *port, uint64_t want, uint64_t n)
{
	struct sockaddr_storage ss, peer;
	uint64_t sent = 0, received = 0;
	socklen_t len, peerlen = 0;
	int fd, one = 1, zero = 0;

	addr(host, port, &ss, &len);
	fd = seqpacket_socket(ss.ss_family);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128))
		fatal("bind/listen");
	fprintf(stderr, "nbgen: sctp-m-server ready\n");
	seq_recv(fd, want, &received, &peer, &peerlen);
	seq_send(fd, n, &sent, &peer, peerlen);
	close(fd);	/* a graceful SHUTDOWN: the data queued is delivered */
	report("server", sent, received);
	return 0;
}

static int sctp_m_client(const char *host, const char *port, uint64_t n, uint64_t want)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0, received = 0;
	socklen_t len;
	int fd;

	addr(host, port, &ss, &len);
	fd = seqpacket_socket(ss.ss_family);
	seq_send(fd, n, &sent, &ss, len);
	seq_recv(fd, want, &received, NULL, NULL);
	close(fd);
	report("client", sent, received);
	return 0;
}

/* Receive until 'want' bytes or 'secs' seconds. 'block': wait inside
 * recv() itself (in the kernel's udp_recvmsg), not in poll() before it. */
static int udp_recv(const char *host, const char *port, uint64_t want, uint64_t secs, bool block)
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
	if (block) {
		struct timeval tv = { (time_t)secs, 0 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	/* ready: the sender may start */
	fprintf(stderr, "nbgen: udp-recv ready\n");
	while (received < want && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (!block && poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && block && (errno == EAGAIN || errno == EINTR))
			continue;
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

static int udp_pause(const char *host, const char *port, uint64_t size, uint64_t ms,
		     uint64_t size2)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t a, b;
	int fd;

	if (size > sizeof(buf) || size2 > sizeof(buf))
		fatal("udp-pause: datagram too large");
	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		fatal("socket");
	a = sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len);
	usleep(ms * 1000);
	b = sendto(fd, buf, size2, 0, (struct sockaddr *)&ss, len);
	if (a < 0 || b < 0)
		fatal("sendto");
	close(fd);
	report("udp-pause", a + b, 0);
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

/* One churn child: join its cgroup, send, exit. */
static void churn_child(const struct sockaddr_storage *ss, socklen_t len, uint64_t flows,
			const char *cg)
{
	uint64_t sent = 0;

	prctl(PR_SET_NAME, "nbchurn");
	if (cg) {
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		f = fopen(path, "w");
		if (!f || fprintf(f, "0\n") < 0 || fclose(f))
			_exit(3);
	}
	for (uint64_t i = 0; i < flows; i++) {
		int fd = socket(ss->ss_family, SOCK_DGRAM, 0);
		ssize_t r;

		if (fd < 0 || connect(fd, (const struct sockaddr *)ss, len))
			_exit(4);
		r = send(fd, buf, 8, 0);
		if (r > 0)
			sent += r;
		close(fd);
	}
	_exit(sent == 8 * flows ? 0 : 5);
}

static int churn(const char *host, const char *port, uint64_t procs, uint64_t flows,
		 uint64_t groups, const char *cgdir, bool show)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int sink, one = 1, rcvbuf = 32 << 20, running = 0, failed = 0;
	uint64_t per = groups ? (procs + groups - 1) / groups : procs, got = 0, made = 0;
	char cg[4096] = "";

	addr(host, port, &ss, &len);
	sink = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (sink < 0)
		fatal("socket");
	setsockopt(sink, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(sink, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(sink, (struct sockaddr *)&ss, len))
		fatal("bind");
	fcntl(sink, F_SETFL, O_NONBLOCK);
	for (uint64_t i = 0; i < procs || running; ) {
		int st;
		pid_t pid;

		if (i < procs && running < 8) {
			if (groups && i % per == 0) {
				/* the last group's processes are all gone: remove it */
				while (running > 0) {
					if (wait(&st) > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
						failed++;
					running--;
				}
				if (*cg && rmdir(cg))
					fatal("rmdir cgroup");
				snprintf(cg, sizeof(cg), "%s/nbchurn%d.%llu", cgdir, (int)getpid(),
					 (unsigned long long)made++);
				if (mkdir(cg, 0755))
					fatal("mkdir cgroup");
			}
			pid = fork();
			if (pid < 0)
				fatal("fork");
			if (pid == 0) {
				close(sink);
				churn_child(&ss, len, flows, groups ? cg : NULL);
			}
			if (show)
				printf("{\"role\":\"churn\",\"pid\":%d,\"sent\":%llu}\n", (int)pid,
				       (unsigned long long)(8 * flows));
			running++;
			i++;
		} else {
			if (wait(&st) > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
				failed++;
			running--;
		}
		for (;;) {
			ssize_t r = recv(sink, buf, sizeof(buf), 0);

			if (r <= 0)
				break;
			got += r;
		}
	}
	if (*cg && rmdir(cg))
		fatal("rmdir cgroup");
	for (;;) {
		ssize_t r = recv(sink, buf, sizeof(buf), 0);

		if (r <= 0)
			break;
		got += r;
	}
	printf("{\"role\":\"churn-sink\",\"pid\":%d,\"procs\":%llu,\"failed\":%d,\"cgroups\":%llu,\"received\":%llu}\n",
	       (int)getpid(), (unsigned long long)procs, failed, (unsigned long long)made,
	       (unsigned long long)got);
	return failed ? 1 : 0;
}

/* Two readers of one socket, as two threads of one process. */
struct pair_reader {
	int fd;
	uint64_t got;
};

static void *pair_read(void *arg)
{
	struct pair_reader *r = arg;
	char b[4096];
	ssize_t n;

	while ((n = recv(r->fd, b, sizeof(b), 0)) > 0)
		r->got += n;
	return NULL;
}

static int pair_server(const char *host, const char *port, uint64_t conns)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pair_reader *rd = calloc(2 * conns, sizeof(*rd));
	pthread_t *th = calloc(2 * conns, sizeof(*th));
	uint64_t received = 0;
	int fd, one = 1;

	if (!rd || !th)
		fatal("calloc");
	addr(host, port, &ss, &len);
	fd = stream_socket(ss.ss_family);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1024))
		fatal("bind/listen");
	for (uint64_t i = 0; i < conns; i++) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			fatal("accept");
		rd[2 * i].fd = rd[2 * i + 1].fd = c;
		if (pthread_create(&th[2 * i], NULL, pair_read, &rd[2 * i]) ||
		    pthread_create(&th[2 * i + 1], NULL, pair_read, &rd[2 * i + 1]))
			fatal("pthread_create");
	}
	fprintf(stderr, "ready\n");
	for (uint64_t i = 0; i < 2 * conns; i++) {
		pthread_join(th[i], NULL);
		received += rd[i].got;
	}
	report("server", 0, received);
	return 0;
}

static int pair_client(const char *host, const char *port, uint64_t conns, uint64_t n,
		       const char *go)
{
	int *fds = calloc(conns, sizeof(*fds));
	uint64_t sent = 0, received = 0;

	if (!fds)
		fatal("calloc");
	for (uint64_t i = 0; i < conns; i++)
		fds[i] = tcp_connect(host, port);
	while (access(go, F_OK))
		usleep(10000);
	/* every connection at once, so their first reads come together */
	for (uint64_t i = 0; i < conns; i++) {
		uint64_t left = n;

		while (left) {
			ssize_t r = send(fds[i], buf, left < 1000 ? left : 1000, 0);

			if (r <= 0)
				fatal("send");
			left -= r;
			sent += r;
		}
	}
	for (uint64_t i = 0; i < conns; i++)
		close(fds[i]);
	report("client", sent, received);
	return 0;
}

static int many(const char *host, const char *port, uint64_t conns, uint64_t n)
{
	uint64_t sent = 0, received = 0;

	for (uint64_t i = 0; i < conns; i++) {
		int fd = tcp_connect(host, port);

		pump(fd, n, &sent, &received);
		close(fd);
	}
	report("many", sent, received);
	return 0;
}

static void *sleeper(void *arg)
{
	printf("%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	sleep(*(unsigned int *)arg);
	return NULL;
}

static int thread(uint64_t secs)
{
	unsigned int s = secs;
	pthread_t t;

	if (pthread_create(&t, NULL, sleeper, &s))
		fatal("pthread_create");
	pthread_join(t, NULL);
	return 0;
}

/* ICMP echo: ping socket (SOCK_DGRAM) or raw socket; COUNT requests, one
 * reply awaited after each. */
static int ping(const char *host, uint64_t count, uint64_t size, int type)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0, received = 0;
	socklen_t len;
	int fd, v6;

	addr(host, "0", &ss, &len);
	v6 = ss.ss_family == AF_INET6;
	fd = socket(ss.ss_family, type, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0)
		fatal("socket (ping sockets need net.ipv4.ping_group_range)");
	if (size < 8 || size > 1400)
		size = 64;
	for (uint64_t i = 0; i < count; i++) {
		struct icmphdr *h = (struct icmphdr *)buf;
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		memset(buf, 'p', size);
		h->type = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		h->code = 0;
		h->checksum = 0;
		h->un.echo.id = htons(getpid() & 0xffff);
		h->un.echo.sequence = htons(i);
		if (!v6 && type == SOCK_RAW) {	/* the kernel does not sum raw ICMPv4 */
			uint32_t sum = 0;

			for (uint64_t k = 0; k + 1 < size; k += 2)
				sum += ((uint8_t)buf[k] << 8) | (uint8_t)buf[k + 1];
			if (size & 1)
				sum += (uint8_t)buf[size - 1] << 8;
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			h->checksum = htons(~sum & 0xffff);
		}
		n = sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len);
		if (n < 0)
			fatal("sendto");
		sent += n;
		/* read what comes within 2 s: the reply (and, on a raw socket,
		 * whatever other ICMP arrives: it is counted the same) */
		while (poll(&p, 1, 200) > 0) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0)
				fatal("recv");
			received += n;
			if (type == SOCK_DGRAM)
				break;
		}
	}
	close(fd);
	report("ping", sent, received);
	return 0;
}

static int raw_send(const char *host, uint64_t proto, uint64_t size, uint64_t count)
{
	struct sockaddr_storage ss;
	uint64_t sent = 0;
	socklen_t len;
	int fd;

	addr(host, "0", &ss, &len);
	fd = socket(ss.ss_family, SOCK_RAW, proto);
	if (fd < 0)
		fatal("socket");
	for (uint64_t i = 0; i < count; i++) {
		ssize_t n = sendto(fd, buf, size, 0, (struct sockaddr *)&ss, len);

		if (n < 0)
			fatal("sendto");
		sent += n;
	}
	close(fd);
	report("raw-send", sent, 0);
	return 0;
}

static int raw_recv(const char *host, uint64_t proto, uint64_t want, uint64_t secs)
{
	struct sockaddr_storage ss;
	uint64_t received = 0, want_pkts = want;
	socklen_t len;
	int fd;
	time_t end = time(NULL) + secs;

	addr(host, "0", &ss, &len);
	fd = socket(ss.ss_family, SOCK_RAW, proto);
	if (fd < 0)
		fatal("socket");
	fprintf(stderr, "nbgen: raw-recv ready\n");
	/* 'want' counts datagrams here: their size includes an IP header */
	for (uint64_t got = 0; got < want_pkts && time(NULL) < end;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			fatal("recv");
		received += n;
		got++;
	}
	close(fd);
	report("raw-recv", 0, received);
	return 0;
}

static int send_file(const char *host, const char *port, uint64_t n)
{
	char path[] = "/tmp/nbgen.XXXXXX";
	uint64_t sent = 0, received = 0;
	int fd, file = mkstemp(path);

	if (file < 0)
		fatal("mkstemp");
	unlink(path);
	for (uint64_t left = n; left;) {
		ssize_t w = write(file, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (w <= 0)
			fatal("write");
		left -= w;
	}
	fd = tcp_connect(host, port);
	for (off_t off = 0; (uint64_t)off < n;) {
		ssize_t w = sendfile(fd, file, &off, n - off);

		if (w <= 0)
			fatal("sendfile");
		sent += w;
	}
	shutdown(fd, SHUT_WR);
	for (ssize_t r; (r = recv(fd, buf, sizeof(buf), 0)) > 0;)
		received += r;
	close(fd);
	close(file);
	report("sendfile", sent, received);
	return 0;
}

static int splice_send(const char *host, const char *port, uint64_t n)
{
	uint64_t sent = 0, received = 0;
	int p[2], fd = tcp_connect(host, port);

	if (pipe(p))
		fatal("pipe");
	while (sent < n) {
		uint64_t chunk = n - sent < 16384 ? n - sent : 16384;
		ssize_t w = write(p[1], buf, chunk);

		if (w <= 0)
			fatal("write pipe");
		for (ssize_t left = w; left;) {
			ssize_t s = splice(p[0], NULL, fd, NULL, left, SPLICE_F_MOVE);

			if (s <= 0)
				fatal("splice");
			left -= s;
			sent += s;
		}
	}
	shutdown(fd, SHUT_WR);
	for (ssize_t r; (r = recv(fd, buf, sizeof(buf), 0)) > 0;)
		received += r;
	close(fd);
	report("splice-send", sent, received);
	return 0;
}

static int splice_server(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	uint64_t received = 0;
	socklen_t len;
	int fd, c, p[2], one = 1;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || pipe(p))
		fatal("socket/pipe");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8))
		fatal("bind/listen");
	c = accept(fd, NULL, NULL);
	if (c < 0)
		fatal("accept");
	for (;;) {
		ssize_t s = splice(c, NULL, p[1], NULL, 65536, SPLICE_F_MOVE);

		if (s < 0)
			fatal("splice");
		if (s == 0)
			break;
		received += s;
		while (s > 0) {	/* drain the pipe */
			ssize_t r = read(p[0], buf, s < (ssize_t)sizeof(buf) ? s : (ssize_t)sizeof(buf));

			if (r <= 0)
				fatal("read pipe");
			s -= r;
		}
	}
	close(c);
	close(fd);
	report("splice-server", 0, received);
	return 0;
}

static int uring(const char *host, const char *port, uint64_t n)
{
	struct io_uring ring;
	uint64_t sent = 0, received = 0;
	int fd = tcp_connect(host, port);

	if (io_uring_queue_init(8, &ring, 0))
		fatal("io_uring_queue_init");
	for (int recv_phase = 0; recv_phase < 2; recv_phase++) {
		for (;;) {
			struct io_uring_sqe *sqe;
			struct io_uring_cqe *cqe;
			int res;

			if (!recv_phase && sent == n)
				break;
			sqe = io_uring_get_sqe(&ring);
			if (recv_phase)
				io_uring_prep_recv(sqe, fd, buf, sizeof(buf), 0);
			else
				io_uring_prep_send(sqe, fd, buf,
						   n - sent < sizeof(buf) ? n - sent : sizeof(buf), 0);
			io_uring_submit(&ring);
			if (io_uring_wait_cqe(&ring, &cqe))
				fatal("io_uring_wait_cqe");
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			if (res < 0) {
				errno = -res;
				fatal(recv_phase ? "io_uring recv" : "io_uring send");
			}
			if (recv_phase && res == 0)
				break;
			*(recv_phase ? &received : &sent) += res;
		}
		if (!recv_phase)
			shutdown(fd, SHUT_WR);
	}
	io_uring_queue_exit(&ring);
	close(fd);
	report("uring", sent, received);
	return 0;
}

/* Peek at every chunk before reading it: only the reads count. */
static int peek(const char *host, const char *port, uint64_t n)
{
	uint64_t sent = 0, received = 0, peeked = 0;
	int fd = tcp_connect(host, port);

	while (sent < n) {
		ssize_t w = send(fd, buf, n - sent < sizeof(buf) ? n - sent : sizeof(buf), 0);

		if (w <= 0)
			fatal("send");
		sent += w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t p = recv(fd, buf, 1000, MSG_PEEK), r;

		if (p < 0)
			fatal("recv MSG_PEEK");
		if (p == 0)
			break;
		peeked += p;
		r = recv(fd, buf, p, 0);
		if (r <= 0)
			fatal("recv");
		received += r;
	}
	close(fd);
	fprintf(stderr, "nbgen: peeked %llu bytes\n", (unsigned long long)peeked);
	report("peek", sent, received);
	return 0;
}

static int mmsg_send(const char *host, const char *port, uint64_t size, uint64_t count)
{
	struct sockaddr_storage ss;
	struct mmsghdr msgs[8];
	struct iovec iov[8];
	uint64_t sent = 0, done = 0;
	socklen_t len;
	int fd;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
		fatal("socket/connect");
	while (done < count) {
		unsigned int k = count - done < 8 ? count - done : 8;
		int r;

		memset(msgs, 0, sizeof(msgs));
		for (unsigned int i = 0; i < k; i++) {
			iov[i] = (struct iovec){ buf, size };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msgs, k, 0);
		if (r < 0)
			fatal("sendmmsg");
		for (int i = 0; i < r; i++)
			sent += msgs[i].msg_len;
		done += r;
		usleep(1000);
	}
	close(fd);
	report("mmsg-send", sent, 0);
	return 0;
}

static int mmsg_recv(const char *host, const char *port, uint64_t want, uint64_t secs)
{
	static char bufs[8][2048];
	struct sockaddr_storage ss;
	struct mmsghdr msgs[8];
	struct iovec iov[8];
	uint64_t received = 0;
	socklen_t len;
	time_t end = time(NULL) + secs;
	int fd;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len))
		fatal("socket/bind");
	fprintf(stderr, "nbgen: mmsg-recv ready\n");
	while (received < want && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;

		if (poll(&p, 1, 200) <= 0)
			continue;
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < 8; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(fd, msgs, 8, MSG_DONTWAIT, NULL);
		if (r < 0 && errno != EAGAIN)
			fatal("recvmmsg");
		for (int i = 0; i < r; i++)
			received += msgs[i].msg_len;
	}
	close(fd);
	report("mmsg-recv", 0, received);
	return 0;
}

/* AF_PACKET: frames of a local experimental ethertype, to broadcast. */
#define NB_ETHERTYPE 0x88b5
#define RING_FRAMES 1024	/* 16 blocks of 64 */
#define RING_FRAME 2048

static int packet_socket(const char *ifname, const char *kind, struct sockaddr_ll *ll)
{
	int type = !strcmp(kind, "dgram") ? SOCK_DGRAM : SOCK_RAW;
	int fd = socket(AF_PACKET, type, htons(NB_ETHERTYPE));

	if (fd < 0)
		fatal("socket AF_PACKET");
	memset(ll, 0, sizeof(*ll));
	ll->sll_family = AF_PACKET;
	ll->sll_protocol = htons(NB_ETHERTYPE);
	ll->sll_ifindex = if_nametoindex(ifname);
	ll->sll_halen = ETH_ALEN;
	memset(ll->sll_addr, 0xff, ETH_ALEN);
	if (!ll->sll_ifindex)
		fatal("if_nametoindex");
	if (bind(fd, (struct sockaddr *)ll, sizeof(*ll)))
		fatal("bind AF_PACKET");
	return fd;
}

/* A TPACKET_V2 ring of RING_FRAMES frames (PACKET_TX_RING or PACKET_RX_RING). */
static unsigned char *packet_ring(int fd, int which)
{
	int v = TPACKET_V2;
	struct tpacket_req req = {
		.tp_block_size = RING_FRAME * 64, .tp_block_nr = RING_FRAMES / 64,
		.tp_frame_size = RING_FRAME, .tp_frame_nr = RING_FRAMES,
	};
	void *ring;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_PACKET, which, &req, sizeof(req)))
		fatal("setsockopt PACKET ring");
	ring = mmap(NULL, RING_FRAME * RING_FRAMES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		fatal("mmap ring");
	return ring;
}

static void eth_header(unsigned char *frame)
{
	memset(frame, 0xff, ETH_ALEN);				/* broadcast */
	memcpy(frame + ETH_ALEN, "\x02\x00\x00\x00\x77\x01", ETH_ALEN);	/* local */
	frame[12] = NB_ETHERTYPE >> 8;
	frame[13] = NB_ETHERTYPE & 0xff;
}

static int packet_send(const char *ifname, const char *kind, uint64_t size, uint64_t count)
{
	struct sockaddr_ll ll;
	uint64_t sent = 0;
	int fd = packet_socket(ifname, kind, &ll);

	if (!strcmp(kind, "ring")) {
		unsigned char *ring = packet_ring(fd, PACKET_TX_RING);
		size_t off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);

		if (size < ETH_HLEN || size > RING_FRAME - off)
			fatal("frame size");
		for (uint64_t done = 0; done < count;) {
			uint64_t batch = count - done < RING_FRAMES ? count - done : RING_FRAMES;
			ssize_t n;

			for (uint64_t i = 0; i < batch; i++) {
				struct tpacket2_hdr *h = (void *)(ring + i * RING_FRAME);

				while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
					usleep(100);	/* the kernel still owns it */
				memset((unsigned char *)h + off, 'x', size);
				eth_header((unsigned char *)h + off);
				h->tp_len = size;
				__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			}
			/* blocking: returns once every queued frame has left, with
			 * the sum of their lengths */
			n = send(fd, NULL, 0, 0);
			if (n < 0)
				fatal("send TX_RING");
			sent += n;
			done += batch;
		}
	} else {
		bool raw = !strcmp(kind, "raw");

		if (raw)
			eth_header((unsigned char *)buf);
		for (uint64_t i = 0; i < count; i++) {
			ssize_t n = raw ? send(fd, buf, size, 0) :
				sendto(fd, buf + ETH_HLEN, size, 0, (struct sockaddr *)&ll, sizeof(ll));

			if (n < 0)
				fatal("send AF_PACKET");
			sent += n;
		}
	}
	close(fd);
	report("packet-send", sent, 0);
	return 0;
}

static int packet_recv(const char *ifname, const char *kind, uint64_t frames, uint64_t secs)
{
	struct sockaddr_ll ll;
	uint64_t received = 0, got = 0;
	time_t end = time(NULL) + secs;
	int fd = packet_socket(ifname, kind, &ll);
	unsigned char *ring = NULL;
	unsigned slot = 0;

	int big = 32 << 20;

	/* room for every frame of a test: the sender does not wait */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		fatal("setsockopt SO_RCVBUFFORCE");
	if (!strcmp(kind, "ring"))
		ring = packet_ring(fd, PACKET_RX_RING);
	fprintf(stderr, "nbgen: packet-recv ready\n");
	while (got < frames && time(NULL) < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (ring) {
			struct tpacket2_hdr *h = (void *)(ring + slot * RING_FRAME);

			if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
				poll(&p, 1, 200);
				continue;
			}
			/* the socket is bound to NB_ETHERTYPE: every frame is ours */
			received += h->tp_snaplen;
			got++;
			__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			slot = (slot + 1) % RING_FRAMES;
			continue;
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			fatal("recv AF_PACKET");
		received += n;
		got++;
	}
	close(fd);
	report("packet-recv", 0, received);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* See state-churn above. Each connecting socket is kept open 5 s (its
 * SYN and the one retry time out after 3 s), so at most 5 * RATE are. */
static int state_churn(const char *host, const char *port, uint64_t secs, uint64_t rate)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double t0 = now_s(), next = t0, *at;
	uint64_t listens = 0, conns = 0, n = 5 * rate + 1, head = 0, tail = 0;
	int *fds, one = 1;

	addr(host, port, &ss, &len);
	fds = calloc(n, sizeof(*fds));
	at = calloc(n, sizeof(*at));
	if (!fds || !at || !rate)
		fatal("state-churn: RATE");
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){ n + 64, n + 64 }))
		fatal("setrlimit RLIMIT_NOFILE");
	for (double t = t0; t - t0 < secs; t = now_s()) {
		int s = socket(ss.ss_family, SOCK_STREAM, 0);

		if (s < 0 || listen(s, 1))
			fatal("listen");
		close(s);
		listens++;
		if (t >= next && (head + 1) % n != tail) {
			next += 1.0 / rate;
			s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)))
				fatal("socket");
			if (connect(s, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
				fatal("connect");
			fds[head] = s;
			at[head] = t;
			head = (head + 1) % n;
			conns++;
		}
		for (; tail != head && t - at[tail] > 5; tail = (tail + 1) % n)
			close(fds[tail]);
	}
	report("state-churn", listens, conns);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	memset(buf, 'x', sizeof(buf));
	if (!strcmp(cmd, "named") && argc >= 4) {
		if (prctl(PR_SET_NAME, argv[2]))
			fatal("prctl PR_SET_NAME");
		return main(argc - 2, argv + 2);
	}
	if (!strcmp(cmd, "tcp-server") && argc >= 4)
		return tcp_server(argv[2], argv[3], argc > 4 ? num(argv[4]) : 0,
				  argc > 5 ? num(argv[5]) : 1);
	if (!strcmp(cmd, "tcp-client") && argc == 5)
		return tcp_client(argv[2], argv[3], num(argv[4]), "client");
	if (!strcmp(cmd, "udp-recv") && argc == 6)
		return udp_recv(argv[2], argv[3], num(argv[4]), num(argv[5]), false);
	if (!strcmp(cmd, "udp-recv-block") && argc == 6)
		return udp_recv(argv[2], argv[3], num(argv[4]), num(argv[5]), true);
	if (!strcmp(cmd, "udp-send") && argc == 6)
		return udp_send(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "udp-pause") && argc == 7)
		return udp_pause(argv[2], argv[3], num(argv[4]), num(argv[5]), num(argv[6]));
	if (!strcmp(cmd, "pair-server") && argc == 5)
		return pair_server(argv[2], argv[3], num(argv[4]));
	if (!strcmp(cmd, "pair-client") && argc == 7)
		return pair_client(argv[2], argv[3], num(argv[4]), num(argv[5]), argv[6]);
	if (!strcmp(cmd, "churn") && (argc == 8 || argc == 9))
		return churn(argv[2], argv[3], num(argv[4]), num(argv[5]), num(argv[6]), argv[7],
			     argc == 9);
	if (!strcmp(cmd, "burst") && argc == 6)
		return burst(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strncmp(cmd, "sctp-", 5)) {
		stream_proto = IPPROTO_SCTP;
		if (!strcmp(cmd, "sctp-server") && argc >= 4)
			return tcp_server(argv[2], argv[3], argc > 4 ? num(argv[4]) : 0,
					  argc > 5 ? num(argv[5]) : 1);
		if (!strcmp(cmd, "sctp-client") && argc == 5)
			return tcp_client(argv[2], argv[3], num(argv[4]), "client");
		if (!strcmp(cmd, "sctp-m-server") && argc == 6)
			return sctp_m_server(argv[2], argv[3], num(argv[4]), num(argv[5]));
		if (!strcmp(cmd, "sctp-m-client") && argc == 6)
			return sctp_m_client(argv[2], argv[3], num(argv[4]), num(argv[5]));
	}
	if (!strcmp(cmd, "send-exec") && argc >= 6) {
		tcp_client(argv[2], argv[3], num(argv[4]), "client");
		execv(argv[5], argv + 5);
		fatal("exec");
	}
	if (!strcmp(cmd, "send-wait-exec") && argc >= 7) {
		uint64_t ms = num(argv[5]);

		tcp_client(argv[2], argv[3], num(argv[4]), "client");
		nanosleep(&(struct timespec){ ms / 1000, ms % 1000 * 1000000 }, NULL);
		execv(argv[6], argv + 6);
		fatal("exec");
	}
	if (!strcmp(cmd, "thread") && argc == 3)
		return thread(num(argv[2]));
	if (!strcmp(cmd, "many") && argc == 6)
		return many(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "ping") && argc == 5)
		return ping(argv[2], num(argv[3]), num(argv[4]), SOCK_DGRAM);
	if (!strcmp(cmd, "rawping") && argc == 5)
		return ping(argv[2], num(argv[3]), num(argv[4]), SOCK_RAW);
	if (!strcmp(cmd, "raw-send") && argc == 6)
		return raw_send(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "raw-recv") && argc == 6)
		return raw_recv(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "sendfile") && argc == 5)
		return send_file(argv[2], argv[3], num(argv[4]));
	if (!strcmp(cmd, "splice-send") && argc == 5)
		return splice_send(argv[2], argv[3], num(argv[4]));
	if (!strcmp(cmd, "splice-server") && argc == 4)
		return splice_server(argv[2], argv[3]);
	if (!strcmp(cmd, "uring") && argc == 5)
		return uring(argv[2], argv[3], num(argv[4]));
	if (!strcmp(cmd, "peek") && argc == 5)
		return peek(argv[2], argv[3], num(argv[4]));
	if (!strcmp(cmd, "mmsg-send") && argc == 6)
		return mmsg_send(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "mmsg-recv") && argc == 6)
		return mmsg_recv(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "packet-send") && argc == 6)
		return packet_send(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "reconnect") && argc == 6)
		return reconnect(argv[2], argv[3], argv[4], num(argv[5]));
	if (!strcmp(cmd, "state-churn") && argc == 6)
		return state_churn(argv[2], argv[3], num(argv[4]), num(argv[5]));
	if (!strcmp(cmd, "packet-recv") && argc == 6)
		return packet_recv(argv[2], argv[3], num(argv[4]), num(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of tests/tools/nbgen.c\n");
	return 2;
}
