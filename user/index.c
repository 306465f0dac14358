// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "index.h"

uint64_t nb_index_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

uint64_t nb_index_hash_str(const char *s)
{
	return nb_index_hash(s, strlen(s));
}

void nb_index_init(struct nb_index *ix, uint32_t min_cap,
		   bool (*same)(const void *item, const void *key))
{
	memset(ix, 0, sizeof(*ix));
	ix->min_cap = min_cap;
	ix->same = same;
}

void nb_index_free(struct nb_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->n = ix->cap = 0;
}

static void place(struct nb_index_slot *slots, uint32_t cap, uint64_t hash, void *item)
{
	uint32_t i = hash & (cap - 1);

	while (slots[i].item)
		i = (i + 1) & (cap - 1);
	slots[i].hash = hash;
	slots[i].item = item;
}

static int resize(struct nb_index *ix, uint32_t cap)
{
	struct nb_index_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (uint32_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].item)
			place(slots, cap, ix->slots[i].hash, ix->slots[i].item);
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	return 0;
}

/* the one rule for giving memory back: halve while an eighth full */
static uint32_t shrunk(const struct nb_index *ix, uint32_t n)
{
	uint32_t cap = ix->cap;

	while (cap > ix->min_cap && (n + 1) * 8 < cap)
		cap /= 2;
	return cap;
}

void *nb_index_find(const struct nb_index *ix, uint64_t hash, const void *key)
{
	if (!ix->cap)
		return NULL;
	for (uint32_t i = hash & (ix->cap - 1); ix->slots[i].item; i = (i + 1) & (ix->cap - 1))
		if (ix->slots[i].hash == hash && ix->same(ix->slots[i].item, key))
			return ix->slots[i].item;
	return NULL;
}

int nb_index_add(struct nb_index *ix, uint64_t hash, void *item)
{
	/* at most half full */
	if ((ix->n + 1) * 2 > ix->cap &&
	    resize(ix, ix->cap ? ix->cap * 2 : ix->min_cap ? ix->min_cap : 16))
		return -1;
	place(ix->slots, ix->cap, hash, item);
	ix->n++;
	return 0;
}

void *nb_index_remove(struct nb_index *ix, uint64_t hash, const void *key)
{
	uint32_t mask = ix->cap - 1, i, j;
	void *item = NULL;

	if (!ix->cap)
		return NULL;
	for (i = hash & mask; ix->slots[i].item; i = (i + 1) & mask)
		if (ix->slots[i].hash == hash && ix->same(ix->slots[i].item, key))
			break;
	item = ix->slots[i].item;
	if (!item)
		return NULL;
	ix->slots[i].item = NULL;
	ix->n--;
	/* backward shift: pull later members of the run into the hole */
	for (j = (i + 1) & mask; ix->slots[j].item; j = (j + 1) & mask) {
		uint32_t home = ix->slots[j].hash & mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);

		if (!stays) {
			ix->slots[i] = ix->slots[j];
			ix->slots[j].item = NULL;
			i = j;
		}
	}
	if (shrunk(ix, ix->n) < ix->cap)
		resize(ix, shrunk(ix, ix->n));	/* without memory: stays larger */
	return item;
}

void nb_index_empty(struct nb_index *ix, uint32_t room)
{
	uint32_t cap = shrunk(ix, room);

	ix->n = 0;
	if (cap < ix->cap) {
		struct nb_index_slot *slots = realloc(ix->slots, cap * sizeof(*slots));

		if (slots) {
			ix->slots = slots;
			ix->cap = cap;
		}
	}
	if (ix->cap)
		memset(ix->slots, 0, ix->cap * sizeof(*ix->slots));
}

void *nb_index_next(const struct nb_index *ix, uint32_t *pos)
{
	while (*pos < ix->cap) {
		void *item = ix->slots[(*pos)++].item;

		if (item)
			return item;
	}
	return NULL;
}
