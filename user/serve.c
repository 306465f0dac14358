// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf serve: the collector's table as Prometheus text on /metrics.
 * libmicrohttpd answers from its own thread; the main loop renders the
 * page once per interval and swaps it in under a mutex, so a scrape never
 * touches the table while the collector updates it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>
#include "metrics.h"
#include "caps.h"
#include "listen.h"
#include "serve.h"
#include "session.h"
#include "webcfg.h"
#include "errors.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "0.0.0"
#endif

/* HTTP limits (documented in README.md and netbpf.8) */
#define NB_HTTP_MAX_CONNS 1024		/* open connections, of any state */
#define NB_HTTP_TIMEOUT_S 10		/* idle seconds before a connection is closed */
#define NB_HTTP_CONN_MEMORY (16 * 1024)	/* request headers and buffers, per connection */
#define NB_HTTP_THREADS 2
#define NB_HTTP_BACKLOG 1024

/* What the main thread still needs once everything is loaded: attaching the
 * TC counters to interfaces that appear later (see user/tc.c) */
#define NB_SERVE_KEEP_CAPS (NB_CAPBIT(CAP_NET_ADMIN))

/*
 * The page is made when a scrape asks for it, not every interval: each
 * interval the main thread only adds the rows' deltas to the exporter's
 * counters and copies the few collector figures the page shows (under the
 * lock); the HTTP thread renders from those, at most once per interval.
 * So a host that is scraped every 15 s renders every 15 s, and many series
 * of removed cgroups cost nothing while nobody scrapes.
 */
static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;
static char *page;
static size_t page_len;
static bool page_stale = true;
static struct nb_collector figures;	/* drops, programs, evictions; no table */
static struct nb_metrics_info page_info;
static const struct nb_opts *page_opts;

/* With page_lock held. */
static void make_page(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!page_stale || !page_opts)
		return;
	f = open_memstream(&buf, &len);
	if (!f)
		return;	/* the last page stays */
	nb_metrics_write(f, &figures, page_opts, &page_info);
	fclose(f);
	free(page);
	page = buf;
	page_len = len;
	page_stale = false;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *body, size_t len, enum MHD_ResponseMemoryMode mode,
			     bool auth)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK && mode == MHD_RESPMEM_MUST_COPY ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (auth)	/* 401 with WWW-Authenticate: Basic realm="netbpf" */
		ret = MHD_queue_basic_auth_fail_response(conn, "netbpf", resp);
	else
		ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

#define REPLY(conn, status, msg, auth) \
	reply(conn, status, msg, sizeof(msg) - 1, MHD_RESPMEM_PERSISTENT, auth)

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_len, void **state)
{
	struct nb_webcfg *w = cls;
	enum MHD_Result ret;

	if (w->nusers) {
		char *pass = NULL;
		char *user = MHD_basic_auth_get_username_password(conn, &pass);
		enum nb_auth a = nb_webcfg_check(w, user, pass);

		if (pass)
			explicit_bzero(pass, strlen(pass));
		MHD_free(user);
		MHD_free(pass);
		if (a == NB_AUTH_BUSY)
			return REPLY(conn, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed logins: try again in a second\n", false);
		if (a != NB_AUTH_OK)
			return REPLY(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n", true);
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return REPLY(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", false);
	if (!strcmp(url, "/"))
		return REPLY(conn, MHD_HTTP_OK, "netbpf: metrics are at /metrics\n", false);
	if (strcmp(url, "/metrics"))
		return REPLY(conn, MHD_HTTP_NOT_FOUND, "not found: metrics are at /metrics\n", false);
	pthread_mutex_lock(&page_lock);
	make_page();
	ret = reply(conn, MHD_HTTP_OK, page ? page : "", page_len, MHD_RESPMEM_MUST_COPY, false);
	pthread_mutex_unlock(&page_lock);
	return ret;
}

struct serve_run {
	const struct nb_opts *o;
	const char *backend;
};

/* After each poll: the deltas into the exporter's counters, and the
 * figures the next page shows. */
static int render(void *ctx, const struct nb_collector *c)
{
	struct serve_run *sr = ctx;
	int nprogs;
	bool stats = nb_collector_progs(c, &nprogs) != NULL;

	pthread_mutex_lock(&page_lock);
	nb_metrics_feed(c, sr->o);
	memset(&figures, 0, sizeof(figures));
	figures.ts = c->ts;
	memcpy(figures.drops, c->drops, sizeof(figures.drops));
	figures.tc_drops = c->tc_drops;
	figures.tc_host_drops = c->tc_host_drops;
	figures.flow_evictions = c->flow_evictions;
	memcpy(figures.progs, c->progs, sizeof(figures.progs));
	figures.nprogs = c->nprogs;
	page_info = (struct nb_metrics_info){
		.version = NETBPF_VERSION,
		.backend = sr->backend,
		.progs = stats ? figures.progs : NULL,
		.nprogs = nprogs,
	};
	page_opts = sr->o;
	page_stale = true;
	pthread_mutex_unlock(&page_lock);
	return 0;
}

/*
 * libmicrohttpd's own messages. While the daemon starts, the first one is
 * kept for netbpf's error line; afterwards they are about single clients
 * (resets, bad requests, TLS handshakes that fail), so with -v at most one
 * line a minute says what happened, and without -v nothing.
 */
static struct {
	pthread_mutex_t lock;
	bool starting, verbose;
	char first[256];
	double last;
	unsigned long held;
} mhdlog = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void http_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	double now = nb_mono_now();
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	for (char *c = msg; *c; c++)	/* may quote what a client sent */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	pthread_mutex_lock(&mhdlog.lock);
	if (mhdlog.starting) {
		if (!mhdlog.first[0])
			snprintf(mhdlog.first, sizeof(mhdlog.first), "%s", msg);
	} else if (mhdlog.verbose && (!mhdlog.last || now - mhdlog.last >= 60)) {
		if (mhdlog.held)
			nb_errline("http: %s (and %lu more messages in the last minute)",
				msg, mhdlog.held);
		else
			nb_errline("http: %s", msg);
		mhdlog.last = now;
		mhdlog.held = 0;
	} else {
		mhdlog.held++;
	}
	pthread_mutex_unlock(&mhdlog.lock);
}

/* The listening socket, bound by netbpf (so a busy port is one clear
 * error line, and a port below 1024 binds before privileges go). */
static int open_listener(const struct sockaddr_storage *ss)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, ss->ss_family == AF_INET6 ?
		 sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) ||
	    listen(fd, NB_HTTP_BACKLOG)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* How many connections at once: NB_HTTP_MAX_CONNS, unless the file limit
 * (raised to its hard limit first) cannot give that many. */
static unsigned int conn_limit(void)
{
	struct rlimit r;
	rlim_t avail;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return 64;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
		getrlimit(RLIMIT_NOFILE, &r);
	}
	/* BPF objects, tcx links (two per interface) and netlink take fds too */
	avail = r.rlim_cur > 512 ? r.rlim_cur / 2 : 64;
	return avail < NB_HTTP_MAX_CONNS ? (unsigned int)avail : NB_HTTP_MAX_CONNS;
}

struct http_start {
	int fd, family;
	unsigned int limit;
	struct nb_webcfg *w;
	struct MHD_Daemon *d;
	int err;		/* errno of a failed start */
	int caps_err;		/* could not drop the capabilities */
};

/*
 * Runs in a thread of its own: drop every capability (and the bounding
 * set, while CAP_SETPCAP allows), then start the HTTP threads, which
 * inherit this empty set. The thread ends once they run.
 */
static void *start_http(void *arg)
{
	struct http_start *a = arg;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, a->w->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, a->w->key },
		/* TLS 1.2 and 1.3 only, as the Prometheus exporters */
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		  (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ MHD_OPTION_END, 0, NULL },
	};
	int err = nb_caps_bound(0);

	if (err && err != -EPERM) {	/* EPERM: no CAP_SETPCAP, nothing to drop */
		a->caps_err = err;
		return NULL;
	}
	err = nb_caps_limit(0);
	if (err) {
		a->caps_err = err;
		return NULL;
	}
	/*
	 * epoll in a small pool of threads: an idle or slow connection costs
	 * a file descriptor and its memory, no thread and no poll time; a
	 * second thread keeps scrapes going while one checks a bcrypt hash.
	 */
	a->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				MHD_USE_ERROR_LOG | (a->w->cert ? MHD_USE_TLS : 0) |
				(a->family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, answer, a->w,
				MHD_OPTION_LISTEN_SOCKET, a->fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)NB_HTTP_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, a->limit,
				/* Prometheus' own addresses share it with whatever else
				 * comes from there: a share, not a slot */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, a->limit / 2,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NB_HTTP_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)NB_HTTP_CONN_MEMORY,
				MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
				MHD_OPTION_ARRAY, a->w->cert ? tls : &tls[3],
				MHD_OPTION_END);
	a->err = errno;
	return NULL;
}

/* --listen, --web-config and the listening socket: the socket, or -1
 * with the error printed and *status the exit status. */
static int prepare(const struct nb_opts *o, const char *listen, struct sockaddr_storage *ss,
		   struct nb_webcfg *w, int *status)
{
	char err[1024];
	int fd;

	*status = 2;
	if (nb_parse_listen(listen, ss)) {
		nb_errline("bad --listen '%s' (hint: 127.0.0.1:9976 or [::1]:9976)", listen);
		return -1;
	}
	if (o->web_config && nb_webcfg_load(o->web_config, w, err, sizeof(err))) {
		nb_errline("%s", err);
		return -1;
	}
	*status = 1;
	if (w->cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		nb_errline("%s asks for TLS, but this libmicrohttpd was built without it (hint: Debian's libmicrohttpd12 has it)",
			o->web_config);
		nb_webcfg_free(w);
		return -1;
	}
	fd = open_listener(ss);
	if (fd < 0) {
		nb_errline("cannot listen on %s: %s (hint: %s)", listen, strerror(-fd),
			fd == -EADDRINUSE ? "another program uses the port; try --listen 127.0.0.1:9977" :
			fd == -EADDRNOTAVAIL ? "the address is not one of this host's" :
			fd == -EACCES ? "ports below 1024 need CAP_NET_BIND_SERVICE" :
			"check --listen");
		nb_webcfg_free(w);
		return -1;
	}
	return fd;
}

/* Start the HTTP threads from a thread without privileges (start_http);
 * hs->d is NULL when they did not start. */
static void start_daemon(struct http_start *hs)
{
	pthread_t t;

	mhdlog.starting = true;
	if (pthread_create(&t, NULL, start_http, hs) == 0)
		pthread_join(t, NULL);
	else
		hs->caps_err = -EAGAIN;
	pthread_mutex_lock(&mhdlog.lock);
	mhdlog.starting = false;
	pthread_mutex_unlock(&mhdlog.lock);
}

/* From here on the main thread only reads maps, and attaches the
 * counters to interfaces that appear: it keeps what that needs. */
static void keep_caps(const struct nb_opts *o, const struct nb_webcfg *w, const char *listen,
		      unsigned int limit)
{
	uint64_t keep = NB_SERVE_KEEP_CAPS & nb_caps_permitted();
	char names[128];
	int err;

	nb_caps_bound(keep);
	err = nb_caps_limit(keep);
	if (err)
		nb_errline("warning: cannot drop capabilities: %s", strerror(-err));
	if (o->verbose) {
		nb_caps_names(nb_caps_permitted(), names, sizeof(names));
		nb_errline("serving metrics on %s://%s/metrics (%u connections at most; capabilities kept: %s; the HTTP threads have none)",
			w->cert ? "https" : "http", listen, limit, names);
	}
}

int nb_serve_run(const struct nb_opts *o)
{
	const char *listen = o->listen ? o->listen : "127.0.0.1:9976";
	struct sockaddr_storage ss;
	struct nb_webcfg w = {};
	struct http_start hs = {};
	struct nb_session s;
	struct serve_run sr;
	struct nb_frontend fe;
	int ret, fd;

	fd = prepare(o, listen, &ss, &w, &ret);
	if (fd < 0)
		return ret;
	ret = nb_session_open(&s, o);
	if (ret) {
		close(fd);
		nb_webcfg_free(&w);
		return ret;
	}
	sr = (struct serve_run){ .o = o, .backend = nb_backend_names[s.loader.backend] };
	render(&sr, &s.c);	/* a page before the first interval */

	hs = (struct http_start){ .fd = fd, .family = ss.ss_family, .limit = conn_limit(), .w = &w };
	mhdlog.verbose = o->verbose;
	start_daemon(&hs);
	if (!hs.d) {
		nb_session_close(&s);
		close(fd);
		nb_webcfg_free(&w);
		if (hs.caps_err)
			nb_errline("cannot start the HTTP threads without privileges: %s (hint: netbpf doctor)",
				strerror(-hs.caps_err));
		else
			nb_errline("cannot serve on %s: %s (hint: netbpf -v serve says more)",
				listen, mhdlog.first[0] ? mhdlog.first : strerror(hs.err));
		return 1;
	}
	keep_caps(o, &w, listen, hs.limit);
	fe = (struct nb_frontend){ .ctx = &sr, .fd = -1, .interval = render, .warn_lost = true };
	ret = nb_session_run(&s, &fe);
	MHD_stop_daemon(hs.d);
	nb_session_close(&s);
	nb_webcfg_free(&w);
	pthread_mutex_lock(&page_lock);
	free(page);
	page = NULL;
	pthread_mutex_unlock(&page_lock);
	return ret;
}
