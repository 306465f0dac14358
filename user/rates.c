// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "rates.h"

const double nb_avg_seconds[NB_NAVG] = { 0, 2, 10, 40 };

void nb_rate_clock_init(struct nb_rate_clock *c, double interval_s)
{
	memset(c, 0, sizeof(*c));
	c->bucket_s = interval_s > 1 ? interval_s : 1;
}

static int oldest(const struct nb_rate_clock *c, int w)
{
	return (c->head - c->k[w] + 1 + NB_RATE_SLOTS) % NB_RATE_SLOTS;
}

/* The oldest bucket of window w leaves it. */
static void drop(struct nb_rate_clock *c, int w)
{
	int o = oldest(c, w);

	if (!c->ndrop[w])
		c->drop_from[w] = o;
	c->ndrop[w]++;
	c->span[w] -= c->dur[o];
	c->k[w]--;
}

void nb_rate_clock_step(struct nb_rate_clock *c, double dt)
{
	/* a bucket is full at its length, give or take the loop's jitter */
	c->opened = !c->nbuckets || c->dur[c->head] >= c->bucket_s * 0.999;
	for (int w = 0; w < NB_NWIN; w++)
		c->ndrop[w] = 0;
	if (c->opened) {
		/* a window of every slot first lets go of its oldest bucket,
		 * the slot the new head takes (found from the old head) */
		for (int w = 0; w < NB_NWIN; w++)
			if (c->k[w] == NB_RATE_SLOTS)
				drop(c, w);
		c->head = c->nbuckets ? (c->head + 1) % NB_RATE_SLOTS : 0;
		for (int w = 0; w < NB_NWIN; w++)
			c->k[w]++;
		c->dur[c->head] = 0;
		if (c->nbuckets < NB_RATE_SLOTS)
			c->nbuckets++;
	}
	c->dur[c->head] += dt;
	for (int w = 0; w < NB_NWIN; w++) {
		double len = nb_avg_seconds[w + 1];

		c->span[w] += dt;
		/* the oldest bucket stays while its middle is within the window */
		while (c->k[w] > 1 && c->span[w] - c->dur[oldest(c, w)] / 2 > len + 1e-9)
			drop(c, w);
	}
}

void nb_rates_add(const struct nb_rate_clock *c, struct nb_rates *r, uint64_t tx, uint64_t rx)
{
	for (int w = 0; w < NB_NWIN; w++)
		for (int i = 0; i < c->ndrop[w]; i++) {
			int b = (c->drop_from[w] + i) % NB_RATE_SLOTS;

			r->sum[w][0] -= r->v[b][0];
			r->sum[w][1] -= r->v[b][1];
		}
	if (c->opened)
		r->v[c->head][0] = r->v[c->head][1] = 0;
	r->v[c->head][0] += tx;
	r->v[c->head][1] += rx;
	for (int w = 0; w < NB_NWIN; w++) {
		r->sum[w][0] += tx;
		r->sum[w][1] += rx;
	}
}

double nb_rates_avg(const struct nb_rate_clock *c, const struct nb_rates *r, enum nb_avg w,
		    int dir)
{
	if (!r || w <= NB_AVG_LAST || w >= NB_NAVG || c->span[w - 1] <= 0)
		return 0;
	return r->sum[w - 1][dir & 1] / c->span[w - 1];
}

bool nb_rates_idle(const struct nb_rates *r)
{
	return !r->sum[NB_NWIN - 1][0] && !r->sum[NB_NWIN - 1][1];
}
