// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostcache.h"

int nb_hostcache_init(struct nb_hostcache *c, uint32_t entries)
{
	uint32_t sets = 1;

	memset(c, 0, sizeof(*c));
	while (sets * NB_HC_WAYS < entries && sets < (1u << 20))
		sets *= 2;
	c->e = calloc((size_t)sets * NB_HC_WAYS, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	c->nsets = sets;
	return 0;
}

void nb_hostcache_free(struct nb_hostcache *c)
{
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static struct nb_hc_entry *set_of(const struct nb_hostcache *c, int family,
				  const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
	int n = family == 4 ? 4 : 16;

	for (int i = 0; i < n; i++) {	/* FNV-1a */
		h ^= addr[i];
		h *= 1099511628211ull;
	}
	return &c->e[(h & (c->nsets - 1)) * NB_HC_WAYS];
}

static bool same(const struct nb_hc_entry *e, int family, const uint8_t *addr)
{
	return e->family == family && !memcmp(e->addr, addr, family == 4 ? 4 : 16);
}

static struct nb_hc_entry *find(struct nb_hostcache *c, int family, const uint8_t *addr)
{
	struct nb_hc_entry *s = set_of(c, family, addr);

	for (int i = 0; i < NB_HC_WAYS; i++)
		if (same(&s[i], family, addr))
			return &s[i];
	return NULL;
}

/* The entry of an address, taking the set's empty or least recent one. */
static struct nb_hc_entry *take(struct nb_hostcache *c, int family, const uint8_t *addr)
{
	struct nb_hc_entry *s = set_of(c, family, addr), *e = find(c, family, addr);

	if (e)
		return e;
	e = &s[0];
	for (int i = 1; i < NB_HC_WAYS && e->family; i++)
		if (!s[i].family || s[i].used < e->used)
			e = &s[i];
	if (e->family)
		c->evictions++;
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, addr, family == 4 ? 4 : 16);
	return e;
}

enum nb_hc_state nb_hostcache_get(struct nb_hostcache *c, int family, const uint8_t *addr,
				  double now, char *out, size_t len)
{
	struct nb_hc_entry *e = find(c, family, addr);

	if (!e || (e->state == NB_HC_FOUND && now >= e->expires))
		return NB_HC_MISS;
	e->used = ++c->clock;
	if (e->state == NB_HC_FOUND && out && len)
		snprintf(out, len, "%s", e->name);
	return e->state;
}

void nb_hostcache_pending(struct nb_hostcache *c, int family, const uint8_t *addr)
{
	struct nb_hc_entry *e = take(c, family, addr);

	e->state = NB_HC_PENDING;
	e->used = ++c->clock;
}

void nb_hostcache_put(struct nb_hostcache *c, int family, const uint8_t *addr,
		      const char *name, double now)
{
	struct nb_hc_entry *e = take(c, family, addr);

	e->state = NB_HC_FOUND;
	e->used = ++c->clock;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->expires = now + (e->name[0] ? NB_HC_TTL_S : NB_HC_NEG_TTL_S);
}
