// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The 2 s, 10 s and 40 s averages with fake intervals: hand-computed
 * values for intervals of 1 s, 0.5 s and 3 s, and, for irregular
 * intervals, a recomputation from the whole history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rates.h"

static struct nb_rate_clock c;
static struct nb_rates r;

static void step(double dt, uint64_t tx, uint64_t rx)
{
	nb_rate_clock_step(&c, dt);
	nb_rates_add(&c, &r, tx, rx);
}

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-6 * (fabs(want) + 1))
		fail_msg("got %.9f, want %.9f", got, want);
}

static void start(double interval)
{
	nb_rate_clock_init(&c, interval);
	memset(&r, 0, sizeof(r));
}

/* -d 1: 40 quiet seconds, then 10 s at 1000 B/s sent, 10 B/s received */
static void test_one_second(void **state)
{
	start(1);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 0);
	for (int i = 0; i < 40; i++)
		step(1, 0, 0);
	for (int i = 0; i < 10; i++)
		step(1, 1000, 10);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 1000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 0), 1000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 250);	/* 10000 B / 40 s */
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 1), 2.5);
	/* one quiet second: the 2 s window holds one busy one of two */
	step(1, 0, 0);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 500);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 0), 900);
	assert_false(nb_rates_idle(&r));
	for (int i = 0; i < 40; i++)
		step(1, 0, 0);
	assert_true(nb_rates_idle(&r));
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 0);
}

/* Traffic in every bucket for longer than the 40 s window holds: each
 * window's sum stays the sum of its own buckets as the oldest are
 * reused, and 40 quiet seconds later the row is idle (intervals of 1 s,
 * where the 40 s window holds all 40 slots, and 0.5 s). */
static void every_bucket(double interval)
{
	start(interval);
	for (int i = 0; i < (int)(200 / interval); i++) {
		step(interval, 100 + i % 7, 3);
		assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 1), 3 / interval);
	}
	for (int i = 0; i < (int)(41 / interval); i++)
		step(interval, 0, 0);
	assert_true(nb_rates_idle(&r));
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 0);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 0), 0);
}

static void test_every_bucket(void **state)
{
	every_bucket(1);
	every_bucket(0.5);
}

/* The first seconds: an average over what has run so far. */
static void test_young(void **state)
{
	start(1);
	step(1, 300, 0);
	step(1, 100, 0);
	step(1, 200, 0);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 150);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 0), 200);	/* 600 B / 3 s */
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 200);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_LAST, 0), 0);	/* not this module's */
}

/* -d 0.5: two intervals a bucket; 10 s at 1000 B/s after 50 quiet s */
static void test_half_second(void **state)
{
	start(0.5);
	for (int i = 0; i < 100; i++)
		step(0.5, 0, 0);
	for (int i = 0; i < 20; i++)
		step(0.5, 500, 0);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 1000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 0), 1000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 250);
	/* half a bucket more, quiet: the 2 s window spans 2.5 s now */
	step(0.5, 0, 0);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 2000 / 2.5);
}

/* -d 3: one interval a bucket; the windows hold 3, 9 and 39 s */
static void test_three_seconds(void **state)
{
	start(3);
	for (int i = 0; i < 20; i++)
		step(3, 0, 0);
	for (int i = 0; i < 4; i++)
		step(3, 3000, 6000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_2S, 0), 1000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_10S, 1), 2000);
	assert_near(nb_rates_avg(&c, &r, NB_AVG_40S, 0), 12000 / 39.0);
}

/* A row that starts late (its struct made at its first bytes) averages
 * as if it had been there, idle, all along. */
static void test_late_row(void **state)
{
	struct nb_rates late = { 0 };

	start(1);
	for (int i = 0; i < 60; i++) {
		nb_rate_clock_step(&c, 1);
		nb_rates_add(&c, &r, i >= 55 ? 100 : 0, 0);
		if (i >= 55)
			nb_rates_add(&c, &late, 100, 0);
	}
	for (int w = NB_AVG_2S; w < NB_NAVG; w++)
		assert_near(nb_rates_avg(&c, &late, w, 0), nb_rates_avg(&c, &r, w, 0));
	assert_near(nb_rates_avg(&c, &late, NB_AVG_10S, 0), 50);
}

/*
 * Irregular intervals (a loaded machine; -d 0.3 with jitter): every
 * average recomputed from the whole history with the same rule, bucket
 * by bucket: buckets close at 1 s, a window holds the newest buckets
 * whose middle is within it.
 */
#define NSTEPS 400
static void test_irregular(void **state)
{
	static double bdur[NSTEPS];
	static uint64_t bbytes[NSTEPS];
	int nb = 0;

	srand(7);
	start(0.3);
	for (int s = 0; s < NSTEPS; s++) {
		double dt = 0.3 + (rand() % 100) / 1000.0;
		uint64_t b = rand() % 5000;

		if (!nb || bdur[nb - 1] >= 0.999) {
			bdur[nb] = 0;
			bbytes[nb++] = 0;
		}
		bdur[nb - 1] += dt;
		bbytes[nb - 1] += b;
		step(dt, b, 0);
		for (int w = NB_AVG_2S; w < NB_NAVG; w++) {
			double span = 0, sum = 0;

			for (int i = nb - 1; i >= 0; i--) {
				if (i < nb - 1 && span + bdur[i] / 2 > nb_avg_seconds[w] + 1e-9)
					break;
				span += bdur[i];
				sum += bbytes[i];
			}
			assert_near(nb_rates_avg(&c, &r, w, 0), sum / span);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_second),
		cmocka_unit_test(test_every_bucket),
		cmocka_unit_test(test_young),
		cmocka_unit_test(test_half_second),
		cmocka_unit_test(test_three_seconds),
		cmocka_unit_test(test_late_row),
		cmocka_unit_test(test_irregular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
