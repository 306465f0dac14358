/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The cache of reverse DNS names (resolve.c fills it): bounded, set
 * associative (a hash picks a set of NB_HC_WAYS entries; a new address
 * takes the least recently used entry of its set), with negative entries
 * (an address with no name) and an expiry. Pure logic, no thread, no
 * lock: resolve.c holds its lock around every call.
 */
#ifndef NB_HOSTCACHE_H
#define NB_HOSTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_HC_WAYS	4
#define NB_HC_NAME	256	/* a DNS name is at most 253 characters */
#define NB_HC_TTL_S	600.0	/* a name is asked again after this long */
#define NB_HC_NEG_TTL_S	60.0	/* "no name" too, sooner */

enum nb_hc_state {
	NB_HC_MISS = 0,		/* not known: ask */
	NB_HC_PENDING,		/* asked, no answer yet */
	NB_HC_FOUND,		/* known: the name, or "" when it has none */
};

struct nb_hc_entry {
	uint8_t family;		/* 0: empty */
	uint8_t state;		/* enum nb_hc_state */
	uint8_t addr[16];
	double expires;		/* FOUND: monotonic seconds */
	uint64_t used;		/* for the replacement: larger is newer */
	char name[NB_HC_NAME];
};

struct nb_hostcache {
	struct nb_hc_entry *e;
	uint32_t nsets;		/* a power of two */
	uint64_t clock;
	uint64_t evictions;
};

/* Room for about 'entries' addresses (rounded up to a power of two). */
int nb_hostcache_init(struct nb_hostcache *c, uint32_t entries);
void nb_hostcache_free(struct nb_hostcache *c);
/* What the cache knows of an address at 'now'; with NB_HC_FOUND the
 * name ("" for none) is copied into out. An expired entry is a miss. */
enum nb_hc_state nb_hostcache_get(struct nb_hostcache *c, int family, const uint8_t *addr,
				  double now, char *out, size_t len);
/* The address is being asked for. */
void nb_hostcache_pending(struct nb_hostcache *c, int family, const uint8_t *addr);
/* The answer: name, or "" (or NULL) for none. */
void nb_hostcache_put(struct nb_hostcache *c, int family, const uint8_t *addr,
		      const char *name, double now);

#endif
