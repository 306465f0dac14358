/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netbpf's one keyed index: an open-addressing hash table (linear probing,
 * deletion by backward shift, so no tombstones) from a key to an item the
 * caller owns. The caller gives each key's hash and a function that says
 * whether an item has a key; the index keeps the hash beside the item, so
 * growing never asks the caller again. It grows when half full and gives
 * memory back when an eighth full, never below its minimum, so its size
 * follows what it holds under any churn.
 */
#ifndef NB_INDEX_H
#define NB_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_index_slot {
	uint64_t hash;
	void *item;	/* NULL: empty */
};

struct nb_index {
	struct nb_index_slot *slots;
	uint32_t n, cap;	/* cap: a power of two, 0 before the first add */
	uint32_t min_cap;	/* a power of two */
	bool (*same)(const void *item, const void *key);
};

#define NB_INDEX_INIT(min, fn) { .min_cap = (min), .same = (fn) }

/* FNV-1a, over bytes or a string */
uint64_t nb_index_hash(const void *p, size_t n);
uint64_t nb_index_hash_str(const char *s);

void nb_index_init(struct nb_index *ix, uint32_t min_cap,
		   bool (*same)(const void *item, const void *key));
/* Frees the slots, not the items; the index can be used again. */
void nb_index_free(struct nb_index *ix);
/* The item with this key, or NULL. */
void *nb_index_find(const struct nb_index *ix, uint64_t hash, const void *key);
/* Adds an item (not NULL) under this hash; the caller knows it is not in
 * yet. -1 without memory. */
int nb_index_add(struct nb_index *ix, uint64_t hash, void *item);
/* Takes out the item with this key and returns it (NULL: none). */
void *nb_index_remove(struct nb_index *ix, uint64_t hash, const void *key);
/* Takes out every item, keeping room for 'room' items and giving the rest
 * of the memory back (as removals would). */
void nb_index_empty(struct nb_index *ix, uint32_t room);
/* The items, in no order: start with *pos = 0; NULL at the end. */
void *nb_index_next(const struct nb_index *ix, uint32_t *pos);

#endif
