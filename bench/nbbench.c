// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nbbench: the load drivers of `make bench` (bench/run.sh).
 *
 *   nbbench pp-server ADDR PORT SIZE          echo SIZE-byte messages back, one
 *                                             connection after another, until killed
 *   nbbench pp-client ADDR PORT SIZE COUNT    COUNT round trips of SIZE bytes each
 *                                             way (TCP_NODELAY); prints the time
 *   nbbench hold procs|flows N ADDR PORT MS   N live processes (or N UDP flows in
 *                                             one process), each sending 8 bytes
 *                                             every MS ms (MS 0: once, then idle)
 *                                             to a sink on ADDR PORT
 *                                             that this process drains; prints
 *                                             "ready" when all run; until SIGTERM
 *   nbbench launch PATTERN SECS CMD [ARG...]  run CMD, print the seconds from exec
 *                                             to the first stderr line holding
 *                                             PATTERN, then SIGINT it and wait
 * Output is one JSON object per line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static char buf[65536];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void fatal(const char *what)
{
	fprintf(stderr, "nbbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end || !*s) {
		fprintf(stderr, "nbbench: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void addr(const char *host, const char *port, struct sockaddr_storage *ss,
		 socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int r = getaddrinfo(host, port, &hints, &ai);

	if (r) {
		fprintf(stderr, "nbbench: bad address %s: %s\n", host, gai_strerror(r));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

/* read or write exactly n bytes; 0 on EOF */
static int full(int fd, size_t n, int wr)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = wr ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
			       : recv(fd, buf + done, n - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fatal(wr ? "send" : "recv");
		if (r == 0)
			return 0;
		done += r;
	}
	return 1;
}

static __attribute__((noreturn)) void pp_server(const char *host, const char *port, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	addr(host, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16))
		fatal("bind/listen");
	fprintf(stderr, "nbbench: pp-server ready\n");
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			fatal("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (full(c, size, 0) && full(c, size, 1))
			;
		close(c);
	}
}

static int pp_client(const char *host, const char *port, size_t size, uint64_t count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = -1, one = 1;
	double t0, t1;

	addr(host, port, &ss, &len);
	for (int i = 0; i < 200; i++) {	/* the server may still be starting */
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			fatal("socket");
		if (!connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	}
	if (fd < 0)
		fatal("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = now();
	for (uint64_t i = 0; i < count; i++)
		if (!full(fd, size, 1) || !full(fd, size, 0)) {
			fprintf(stderr, "nbbench: server closed early\n");
			return 1;
		}
	t1 = now();
	close(fd);
	printf("{\"round_trips\":%llu,\"size\":%zu,\"seconds\":%.6f}\n",
	       (unsigned long long)count, size, t1 - t0);
	return 0;
}

static void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

static int udp_to(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM, 0);

	if (fd < 0)
		fatal("socket");
	if (connect(fd, (const struct sockaddr *)ss, len))
		fatal("connect");
	return fd;
}

/* One child: 8 bytes every ms milliseconds, first at a random offset; with
 * ms 0, 8 bytes once, then idle (a live process that moves nothing). */
static void holder_child(const struct sockaddr_storage *ss, socklen_t len, unsigned ms,
			 unsigned seed)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "nbhold");
	fd = udp_to(ss, len);
	if (!ms) {
		send(fd, buf, 8, 0);
		for (;;)
			pause();
	}
	sleep_ms(ms * (double)(seed % 1000) / 1000.0);
	for (;;) {
		if (send(fd, buf, 8, 0) < 0 && errno != ECONNREFUSED && errno != ENOBUFS &&
		    errno != EAGAIN)
			_exit(1);
		sleep_ms(ms);
	}
}

static int hold(const char *mode, uint64_t n, const char *host, const char *port, unsigned ms)
{
	struct sockaddr_storage ss;
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	socklen_t len;
	int sink, procs = !strcmp(mode, "procs"), one = 1, rcvbuf = 8 << 20;
	pid_t *kids = NULL;
	int *fds = NULL;
	uint64_t got = 0;
	double next;

	if (!procs && strcmp(mode, "flows")) {
		fprintf(stderr, "nbbench: hold procs|flows\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	addr(host, port, &ss, &len);
	sink = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (sink < 0)
		fatal("socket");
	setsockopt(sink, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(sink, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(sink, (struct sockaddr *)&ss, len))
		fatal("bind");
	fcntl(sink, F_SETFL, O_NONBLOCK);
	if (procs) {
		kids = calloc(n, sizeof(*kids));
		for (uint64_t i = 0; i < n && !stop; i++) {
			kids[i] = fork();
			if (kids[i] < 0)
				fatal("fork");
			if (kids[i] == 0) {
				close(sink);
				holder_child(&ss, len, ms, (unsigned)(i * 7919));
			}
		}
	} else {
		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n + 64) {
			rl.rlim_cur = rl.rlim_max > n + 64 ? n + 64 : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		fds = calloc(n, sizeof(*fds));
		for (uint64_t i = 0; i < n; i++)
			fds[i] = udp_to(&ss, len);
	}
	printf("{\"ready\":true,\"mode\":\"%s\",\"n\":%llu}\n", mode, (unsigned long long)n);
	fflush(stdout);
	next = now();
	while (!stop) {
		struct pollfd p = { sink, POLLIN, 0 };
		double left;

		if (!procs && now() >= next) {
			for (uint64_t i = 0; i < n; i++)
				send(fds[i], buf, 8, 0);
			next += ms / 1000.0;
		}
		left = procs ? 200 : (next - now()) * 1000;
		poll(&p, 1, left > 0 ? (int)left + 1 : 0);
		for (;;) {
			ssize_t r = recv(sink, buf + 64, 64, 0);

			if (r < 0)
				break;
			got += r;
		}
	}
	if (procs) {
		for (uint64_t i = 0; i < n; i++)
			if (kids[i] > 0)
				kill(kids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
	}
	fprintf(stderr, "nbbench: hold: sink received %llu bytes\n", (unsigned long long)got);
	return 0;
}

static int launch(const char *pattern, double secs, char **argv)
{
	int p[2], st;
	double t0, t;
	pid_t pid;
	FILE *f;
	char line[4096];

	if (pipe(p))
		fatal("pipe");
	t0 = now();
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[1], 2);
		dup2(null, 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	for (;;) {
		struct pollfd pf = { p[0], POLLIN, 0 };
		int left = (int)((t0 + secs - now()) * 1000);

		if (left <= 0 || poll(&pf, 1, left) <= 0) {
			fprintf(stderr, "nbbench: launch: no '%s' within %.0f s\n", pattern, secs);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		if (!fgets(line, sizeof(line), f)) {
			fprintf(stderr, "nbbench: launch: %s exited before '%s'\n", argv[0], pattern);
			waitpid(pid, NULL, 0);
			return 1;
		}
		if (strstr(line, pattern))
			break;
	}
	t = now() - t0;
	kill(pid, SIGINT);
	while (fgets(line, sizeof(line), f))	/* drain until it closes stderr */
		;
	waitpid(pid, &st, 0);
	printf("{\"seconds\":%.6f}\n", t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	memset(buf, 'x', sizeof(buf));
	if (!strcmp(cmd, "pp-server") && argc == 5)
		pp_server(argv[2], argv[3], num(argv[4]) < sizeof(buf) ? num(argv[4]) : sizeof(buf));
	if (!strcmp(cmd, "pp-client") && argc == 6)
		return pp_client(argv[2], argv[3], num(argv[4]) < sizeof(buf) ? num(argv[4]) : sizeof(buf),
				 num(argv[5]));
	if (!strcmp(cmd, "hold") && argc == 7)
		return hold(argv[2], num(argv[3]), argv[4], argv[5], num(argv[6]));
	if (!strcmp(cmd, "launch") && argc >= 5)
		return launch(argv[2], atof(argv[3]), argv + 4);
	fprintf(stderr, "usage: see the comment at the top of bench/nbbench.c\n");
	return 2;
}
