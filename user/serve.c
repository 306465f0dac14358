// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf serve: the collector's table as Prometheus text on /metrics.
 * libmicrohttpd answers from its own thread; the main loop renders the
 * page once per interval and swaps it in under a mutex, so a scrape never
 * touches the table while the collector updates it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>
#include "metrics.h"
#include "netbpf.skel.h"
#include "serve.h"
#include "session.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "0.0.0"
#endif

static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;
static char *page;
static size_t page_len;

int nb_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[128];
	const char *colon;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || colon == s || strlen(s) >= sizeof(host))
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || port == 0 || port > 65535)
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -1;
		host[n - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_len, void **state)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	const char *type = "text/plain; version=0.0.4; charset=utf-8";

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char msg[] = "only GET\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&page_lock);
		resp = MHD_create_response_from_buffer(page_len, page ? page : (char *)"",
						       MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&page_lock);
	} else if (!strcmp(url, "/")) {
		static const char msg[] = "netbpf: metrics are at /metrics\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
	} else {
		static const char msg[] = "not found: metrics are at /metrics\n";

		resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* BPF run time per program, when kernel.bpf_stats_enabled is 1. */
static int prog_stats(const struct nb_session *s, struct nb_prog_stats *out, int max)
{
	struct bpf_program *p;
	int n = 0, fds[2];
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int on = 0;

	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	if (!on)
		return -1;
	bpf_object__for_each_program(p, s->loader.skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || n == max || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(p));
		out[n].run_time_ns = info.run_time_ns;
		out[n].run_cnt = info.run_cnt;
		n++;
	}
	for (int i = 0; i < nb_tc_prog_fds(s->tc, fds) && n < max; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fds[i], &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", info.name);
		out[n].run_time_ns = info.run_time_ns;
		out[n].run_cnt = info.run_cnt;
		n++;
	}
	return n;
}

static void render(const struct nb_session *s, const struct nb_opts *o)
{
	struct nb_prog_stats progs[64];
	int nprogs = prog_stats(s, progs, 64);
	struct nb_metrics_info info = {
		.version = NETBPF_VERSION,
		.backend = nb_backend_names[s->loader.backend],
		.progs = nprogs >= 0 ? progs : NULL,
		.nprogs = nprogs,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	nb_metrics_write(f, &s->c, o, &info);
	fclose(f);
	pthread_mutex_lock(&page_lock);
	free(page);
	page = buf;
	page_len = len;
	pthread_mutex_unlock(&page_lock);
}

int nb_serve_run(const struct nb_opts *o)
{
	const char *listen = o->listen ? o->listen : "127.0.0.1:9976";
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	struct nb_session s;
	int ret;

	if (nb_parse_listen(listen, &ss)) {
		fprintf(stderr, "netbpf: bad --listen '%s' (hint: 127.0.0.1:9976 or [::1]:9976)\n", listen);
		return 2;
	}
	ret = nb_session_open(&s, o);
	if (ret)
		return ret;
	render(&s, o);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, answer, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_CONNECTION_LIMIT, 64u,
			     MHD_OPTION_END);
	if (!d) {
		nb_session_close(&s);
		fprintf(stderr, "netbpf: cannot listen on %s: %s (hint: another program may use the port; try --listen 127.0.0.1:9977)\n",
			listen, strerror(errno));
		return 1;
	}
	if (o->verbose)
		fprintf(stderr, "netbpf: serving metrics on http://%s/metrics\n", listen);
	for (;;) {
		enum nb_wake w = nb_session_wait(&s, -1);

		if (w == NB_WAKE_SIGNAL || w == NB_WAKE_PIDS_GONE)
			break;
		if (w != NB_WAKE_INTERVAL)
			continue;
		ret = nb_session_poll(&s);
		if (ret)
			break;
		render(&s, o);
	}
	MHD_stop_daemon(d);
	nb_session_close(&s);
	pthread_mutex_lock(&page_lock);
	free(page);
	page = NULL;
	pthread_mutex_unlock(&page_lock);
	return ret;
}
