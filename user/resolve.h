/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reverse DNS of remote addresses, for host pair rows: asynchronous and
 * cached. nb_resolve() never blocks: it answers from the cache
 * (hostcache.h) or queues the address for a worker thread that asks the
 * system's resolver (getnameinfo(3), glibc: /etc/hosts, then DNS as
 * /etc/nsswitch.conf and /etc/resolv.conf say). The queue is bounded: an
 * address that finds it full is asked for at a later call.
 */
#ifndef NB_RESOLVE_H
#define NB_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#define NB_RES_THREADS	2	/* a slow server holds one, not all */
#define NB_RES_QUEUE	256	/* addresses waiting for a worker */
#define NB_RES_CACHE	4096	/* addresses remembered */

struct nb_resolver;	/* opaque */

/* Start the workers. 0 or a negative errno. */
int nb_resolver_start(struct nb_resolver **r);
/* 1: known, the name (or "" for none) in out; 0: not yet (queued). */
int nb_resolve(struct nb_resolver *r, int family, const uint8_t *addr, char *out, size_t len);
/* How many addresses have been asked of the system's resolver. */
uint64_t nb_resolver_asked(struct nb_resolver *r);
/* Stop the workers. Never waits for an answer: a worker stuck in a slow
 * lookup frees what it shares once it returns (or dies with netbpf). */
void nb_resolver_stop(struct nb_resolver *r);

#endif
