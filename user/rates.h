/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rate averages over the last 2, 10 and 40 seconds (iftop's), for any row
 * of any view. Time is cut in buckets of at least 1 s (one interval when
 * the interval is longer; several when it is shorter, so -d 0.1 costs no
 * more memory than -d 1). One clock, shared by all rows, says which
 * buckets each window holds; every row keeps a ring of its bytes per
 * bucket and one running sum per window, so an interval costs O(1) per
 * row (a bucket leaves a window once).
 *
 * A window holds the newest buckets whose middle is at most its length
 * back from now (at least the newest one): with -d 1, the 2 s average is
 * the last two intervals. The average is exact over what the window
 * holds: its bytes over its span, which is within half a bucket of the
 * window's length once netbpf has run that long, and shorter before.
 */
#ifndef NB_RATES_H
#define NB_RATES_H

#include <stdbool.h>
#include <stdint.h>

#define NB_RATE_SLOTS 40	/* buckets: 40 s of 1 s buckets */
#define NB_NWIN 3

/* What top shows as a rate: the last interval, or an average. */
enum nb_avg { NB_AVG_LAST = 0, NB_AVG_2S, NB_AVG_10S, NB_AVG_40S, NB_NAVG };

/* The windows' lengths in seconds, by enum nb_avg (NB_AVG_LAST: 0). */
extern const double nb_avg_seconds[NB_NAVG];

struct nb_rate_clock {
	double bucket_s;		/* a bucket closes once it spans this */
	double dur[NB_RATE_SLOTS];	/* each bucket's length */
	int head;			/* the newest bucket, open */
	int nbuckets;			/* 0 before the first interval */
	int k[NB_NWIN];			/* per window: how many newest buckets */
	double span[NB_NWIN];		/* and their total length */
	/* what the last interval did, for nb_rates_add */
	bool opened;			/* head is a new bucket */
	int drop_from[NB_NWIN], ndrop[NB_NWIN];	/* buckets that left a window */
};

/* One row's bytes per bucket, sent and received: 688 bytes. */
struct nb_rates {
	uint64_t v[NB_RATE_SLOTS][2];
	uint64_t sum[NB_NWIN][2];
};

/* interval_s: the session's; buckets are max(interval_s, 1 s) long. */
void nb_rate_clock_init(struct nb_rate_clock *c, double interval_s);
/* An interval of dt seconds ended: call once, before the rows' adds. */
void nb_rate_clock_step(struct nb_rate_clock *c, double dt);
/* The row's bytes of that interval. Every row that has a struct nb_rates
 * gets exactly one add per step; a new one (zeroed) may start any time. */
void nb_rates_add(const struct nb_rate_clock *c, struct nb_rates *r, uint64_t tx, uint64_t rx);
/* Bytes per second over window w (NB_AVG_2S ...), sent (dir 0) or
 * received (1); 0 for a NULL r. */
double nb_rates_avg(const struct nb_rate_clock *c, const struct nb_rates *r, enum nb_avg w,
		    int dir);
/* True when nothing moved within the longest window: r may be freed (and
 * a new one started when the row moves again). */
bool nb_rates_idle(const struct nb_rates *r);

#endif
