// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "stats.h"

static bool row_has(const void *item, const void *key);

void nb_table_init(struct nb_table *t)
{
	memset(t, 0, sizeof(*t));
	nb_index_init(&t->index, 128, row_has);
}

static void free_fe(const struct nb_table *t, void *fe)
{
	if (t->fe_free)
		t->fe_free(fe);
	else
		free(fe);
}

void nb_table_free(struct nb_table *t)
{
	for (uint32_t i = 0; i < t->nrows; i++) {
		free_fe(t, t->rows[i]->fe);
		free(t->rows[i]->ctr_name);
		free(t->rows[i]->host_name);
		free(t->rows[i]->cmdline);
		free(t->rows[i]);
	}
	free(t->rows);
	nb_index_free(&t->index);
	nb_table_init(t);	/* empty and ready again, as before */
}

static bool row_has(const void *item, const void *key)
{
	const struct nb_row *r = item;

	return !memcmp(&r->key, key, sizeof(r->key));
}

static uint64_t key_hash(const struct nb_rowkey *key)
{
	return nb_index_hash(key, sizeof(*key));
}

struct nb_row *nb_table_get(struct nb_table *t, const struct nb_rowkey *key,
			    bool create)
{
	uint64_t h = key_hash(key);
	struct nb_row *r = nb_index_find(&t->index, h, key);

	if (r || !create)
		return r;
	if (t->nrows == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		struct nb_row **rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = *key;
	if (nb_index_add(&t->index, h, r)) {
		free(r);
		return NULL;
	}
	t->rows[t->nrows++] = r;
	return r;
}

uint32_t nb_table_remove(struct nb_table *t, bool (*gone)(struct nb_row *r, void *arg),
			 void *arg)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->nrows; i++) {
		struct nb_row *r = t->rows[i];

		if (gone(r, arg)) {
			struct nb_counts *g = &t->removed[r->key.type % NB_NROWTYPES];

			g->tx_bytes += r->cur.tx_bytes;
			g->rx_bytes += r->cur.rx_bytes;
			g->tx_packets += r->cur.tx_packets;
			g->rx_packets += r->cur.rx_packets;
			free_fe(t, r->fe);
			free(r->ctr_name);
			free(r->host_name);
			free(r->cmdline);
			free(r);
			continue;
		}
		t->rows[n++] = r;
	}
	if (n == t->nrows)
		return 0;
	n = t->nrows - n;
	t->nrows -= n;
	/* give memory back after a burst: the row array and the index follow
	 * the rows that are left */
	while (t->cap > 64 && t->nrows * 4 < t->cap) {
		struct nb_row **rows = realloc(t->rows, t->cap / 2 * sizeof(*rows));

		if (!rows)
			break;
		t->rows = rows;
		t->cap /= 2;
	}
	/* indexed again from the keys the rows have now: a smaller index never
	 * needs memory to take them back */
	nb_index_empty(&t->index, t->nrows);
	for (uint32_t i = 0; i < t->nrows; i++)
		nb_index_add(&t->index, key_hash(&t->rows[i]->key), t->rows[i]);
	return n;
}

void nb_table_begin(struct nb_table *t)
{
	for (uint32_t i = 0; i < t->nrows; i++)
		t->rows[i]->seen = false;
}

static void carry(uint64_t *base, uint64_t *raw, uint64_t now, uint64_t *cur)
{
	if (now < *raw)
		*base += *raw;
	*raw = now;
	*cur = *base + now;
}

void nb_row_set(struct nb_row *r, const struct nb_counts *cum)
{
	carry(&r->base.tx_bytes, &r->raw.tx_bytes, cum->tx_bytes, &r->cur.tx_bytes);
	carry(&r->base.rx_bytes, &r->raw.rx_bytes, cum->rx_bytes, &r->cur.rx_bytes);
	carry(&r->base.tx_packets, &r->raw.tx_packets, cum->tx_packets, &r->cur.tx_packets);
	carry(&r->base.rx_packets, &r->raw.rx_packets, cum->rx_packets, &r->cur.rx_packets);
	r->seen = true;
}

void nb_row_restart(struct nb_row *r)
{
	r->base.tx_bytes += r->raw.tx_bytes;
	r->base.rx_bytes += r->raw.rx_bytes;
	r->base.tx_packets += r->raw.tx_packets;
	r->base.rx_packets += r->raw.rx_packets;
	memset(&r->raw, 0, sizeof(r->raw));
}

void nb_table_end(struct nb_table *t, double interval_s)
{
	for (uint32_t i = 0; i < t->nrows; i++) {
		struct nb_row *r = t->rows[i];

		r->delta.tx_bytes = nb_counter_delta(r->cur.tx_bytes, r->prev.tx_bytes);
		r->delta.rx_bytes = nb_counter_delta(r->cur.rx_bytes, r->prev.rx_bytes);
		r->delta.tx_packets = nb_counter_delta(r->cur.tx_packets, r->prev.tx_packets);
		r->delta.rx_packets = nb_counter_delta(r->cur.rx_packets, r->prev.rx_packets);
		r->tx_rate = nb_rate(r->delta.tx_bytes, interval_s);
		r->rx_rate = nb_rate(r->delta.rx_bytes, interval_s);
		r->moved = r->delta.tx_bytes || r->delta.rx_bytes;
		r->prev = r->cur;
	}
}

void nb_table_sum(const struct nb_table *t, uint32_t type,
		  struct nb_counts *cum, struct nb_counts *delta)
{
	*cum = t->removed[type % NB_NROWTYPES];
	memset(delta, 0, sizeof(*delta));
	for (uint32_t i = 0; i < t->nrows; i++) {
		const struct nb_row *r = t->rows[i];

		if (r->key.type != type)
			continue;
		cum->tx_bytes += r->cur.tx_bytes;
		cum->rx_bytes += r->cur.rx_bytes;
		cum->tx_packets += r->cur.tx_packets;
		cum->rx_packets += r->cur.rx_packets;
		delta->tx_bytes += r->delta.tx_bytes;
		delta->rx_bytes += r->delta.rx_bytes;
		delta->tx_packets += r->delta.tx_packets;
		delta->rx_packets += r->delta.rx_packets;
	}
}
