// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * slowhttp: hold many slow HTTP clients open against a server, for
 * tests/e2e/serve_http.sh.
 *
 *   slowhttp ADDR PORT N SECONDS
 *
 * Opens N TCP connections to ADDR:PORT. Even-numbered ones connect and sit;
 * odd-numbered ones trickle a request header, one byte a second, and never
 * finish it. Prints "open N" once all are connected, then holds them for
 * SECONDS (or until SIGTERM) and prints "closed_by_server K": how many the
 * server closed meanwhile.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct rlimit r;
	int n, secs, *fds, closed = 0;
	size_t *sent;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: slowhttp ADDR PORT N SECONDS\n");
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	n = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < (rlim_t)n + 16) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	fds = calloc(n, sizeof(*fds));
	sent = calloc(n, sizeof(*sent));
	if (!fds || !sent)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof(a))) {
			fprintf(stderr, "slowhttp: connection %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("open %d\n", n);
	fflush(stdout);
	for (int t = 0; t < secs && !stop; t++) {
		for (int i = 1; i < n; i += 2) {
			if (fds[i] < 0 || sent[i] >= sizeof(req) - 1)
				continue;
			if (send(fds[i], req + sent[i], 1, MSG_NOSIGNAL) == 1)
				sent[i]++;
		}
		sleep(1);
	}
	/* which ones did the server close? (EOF or an error, without blocking) */
	for (int i = 0; i < n; i++) {
		char c;
		ssize_t k = recv(fds[i], &c, 1, MSG_DONTWAIT | MSG_PEEK);

		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed++;
		close(fds[i]);
	}
	printf("closed_by_server %d\n", closed);
	return 0;
}
