// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "collector.h"
#include "hostcache.h"
#include "resolve.h"

struct req {
	int family;
	uint8_t addr[16];
};

struct nb_resolver {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct nb_hostcache cache;
	struct req queue[NB_RES_QUEUE];
	int head, n;
	int refs;		/* the owner and each worker; the last frees */
	bool stop;
	uint64_t asked;
};

static void unref(struct nb_resolver *r)
{
	bool last;

	pthread_mutex_lock(&r->lock);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	nb_hostcache_free(&r->cache);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* The name of one address, blocking: "" when it has none. */
static void lookup(const struct req *q, char *name, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (q->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, q->addr, 4);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, q->addr, 16);
		sl = sizeof(*s);
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, name, len, NULL, 0, NI_NAMEREQD))
		name[0] = '\0';
}

static void *worker(void *arg)
{
	struct nb_resolver *r = arg;
	char name[NB_HC_NAME];
	struct req q;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->n && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop)
			break;
		q = r->queue[r->head];
		r->head = (r->head + 1) % NB_RES_QUEUE;
		r->n--;
		r->asked++;
		pthread_mutex_unlock(&r->lock);
		lookup(&q, name, sizeof(name));
		pthread_mutex_lock(&r->lock);
		nb_hostcache_put(&r->cache, q.family, q.addr, name, nb_mono_now());
	}
	pthread_mutex_unlock(&r->lock);
	unref(r);
	return NULL;
}

int nb_resolver_start(struct nb_resolver **rp)
{
	struct nb_resolver *r = calloc(1, sizeof(*r));
	sigset_t all, old;
	int err;

	*rp = NULL;
	if (!r || nb_hostcache_init(&r->cache, NB_RES_CACHE)) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->refs = 1;
	/* the workers take no signal: SIGINT and SIGTERM reach the run loop */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < NB_RES_THREADS; i++) {
		pthread_t t;

		r->refs++;
		err = pthread_create(&t, NULL, worker, r);
		if (err) {
			r->refs--;
			break;
		}
		pthread_detach(t);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r->refs == 1) {
		nb_resolver_stop(r);
		return -EAGAIN;
	}
	*rp = r;
	return 0;
}

int nb_resolve(struct nb_resolver *r, int family, const uint8_t *addr, char *out, size_t len)
{
	enum nb_hc_state st;
	int known = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	st = nb_hostcache_get(&r->cache, family, addr, nb_mono_now(), out, len);
	if (st == NB_HC_FOUND) {
		known = 1;
	} else if (st == NB_HC_MISS && r->n < NB_RES_QUEUE) {
		struct req *q = &r->queue[(r->head + r->n) % NB_RES_QUEUE];

		q->family = family;
		memset(q->addr, 0, sizeof(q->addr));
		memcpy(q->addr, addr, family == 4 ? 4 : 16);
		r->n++;
		nb_hostcache_pending(&r->cache, family, addr);
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return known;
}

uint64_t nb_resolver_asked(struct nb_resolver *r)
{
	uint64_t n;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	n = r->asked;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void nb_resolver_stop(struct nb_resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	unref(r);
}
