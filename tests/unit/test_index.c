// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one keyed index: add, find, remove, add again, growth, and memory
 * that stays bounded under churn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "index.h"

struct item {
	uint64_t id;
};

static bool has(const void *item, const void *key)
{
	return ((const struct item *)item)->id == *(const uint64_t *)key;
}

static uint64_t h(uint64_t id)
{
	return nb_index_hash(&id, sizeof(id));
}

/* a hash that puts every key in one run: removals must shift it right */
static uint64_t h_bad(uint64_t id)
{
	return id % 3;
}

/* items 0..n-1 with ids 0..n-1, added */
static void fill(struct nb_index *ix, struct item *v, uint64_t n, uint64_t (*hf)(uint64_t))
{
	for (uint64_t i = 0; i < n; i++) {
		v[i].id = i;
		assert_int_equal(nb_index_add(ix, hf(i), &v[i]), 0);
	}
}

static struct item *find(struct nb_index *ix, uint64_t id, uint64_t (*hf)(uint64_t))
{
	return nb_index_find(ix, hf(id), &id);
}

static void test_add_find_remove(void **state)
{
	struct nb_index ix;
	struct item a = { 1 }, b = { 2 }, c = { 3 };
	uint64_t k = 2;

	nb_index_init(&ix, 16, has);
	assert_null(find(&ix, 1, h));
	assert_null(nb_index_remove(&ix, h(1), &k));
	assert_int_equal(nb_index_add(&ix, h(1), &a), 0);
	assert_int_equal(nb_index_add(&ix, h(2), &b), 0);
	assert_int_equal(nb_index_add(&ix, h(3), &c), 0);
	assert_int_equal(ix.n, 3);
	assert_ptr_equal(find(&ix, 1, h), &a);
	assert_ptr_equal(find(&ix, 2, h), &b);
	assert_ptr_equal(find(&ix, 3, h), &c);
	assert_null(find(&ix, 4, h));
	assert_ptr_equal(nb_index_remove(&ix, h(2), &k), &b);
	assert_null(find(&ix, 2, h));
	assert_null(nb_index_remove(&ix, h(2), &k));
	assert_ptr_equal(find(&ix, 1, h), &a);
	assert_ptr_equal(find(&ix, 3, h), &c);
	/* in again after its removal */
	assert_int_equal(nb_index_add(&ix, h(2), &b), 0);
	assert_ptr_equal(find(&ix, 2, h), &b);
	assert_int_equal(ix.n, 3);
	nb_index_free(&ix);
	assert_int_equal(ix.cap, 0);
	assert_null(find(&ix, 1, h));
}

/* Collisions: every key in a few long runs, removed from the middle. */
static void test_runs(void **state)
{
	struct nb_index ix;
	struct item v[300];

	nb_index_init(&ix, 16, has);
	fill(&ix, v, 300, h_bad);
	for (uint64_t i = 0; i < 300; i += 2)
		assert_ptr_equal(nb_index_remove(&ix, h_bad(i), &i), &v[i]);
	for (uint64_t i = 0; i < 300; i++)
		if (i % 2)
			assert_ptr_equal(find(&ix, i, h_bad), &v[i]);
		else
			assert_null(find(&ix, i, h_bad));
	nb_index_free(&ix);
}

/* Growth keeps every item findable; at most half full. */
static void test_growth(void **state)
{
	struct nb_index ix;
	struct item *v = calloc(100000, sizeof(*v));
	uint32_t pos = 0, seen = 0;

	nb_index_init(&ix, 64, has);
	for (uint64_t i = 0; i < 100000; i++) {
		v[i].id = i * 7919;
		assert_int_equal(nb_index_add(&ix, h(v[i].id), &v[i]), 0);
		assert_true(ix.n * 2 <= ix.cap);
	}
	assert_int_equal(ix.cap, 262144);
	for (uint64_t i = 0; i < 100000; i++)
		assert_ptr_equal(find(&ix, i * 7919, h), &v[i]);
	while (nb_index_next(&ix, &pos))
		seen++;
	assert_int_equal(seen, 100000);
	nb_index_free(&ix);
	free(v);
}

/* Churn: a million adds and removals around 1,000 live items never grow
 * the index past what 1,000 need, and removing them all gives the memory
 * back down to the minimum. */
static void test_churn(void **state)
{
	struct nb_index ix;
	struct item *v = calloc(1000, sizeof(*v));
	uint32_t maxcap = 0;

	nb_index_init(&ix, 64, has);
	fill(&ix, v, 1000, h);
	for (uint64_t i = 1000; i < 1000000; i++) {
		uint64_t old = v[i % 1000].id;

		assert_ptr_equal(nb_index_remove(&ix, h(old), &old), &v[i % 1000]);
		v[i % 1000].id = i;
		assert_int_equal(nb_index_add(&ix, h(i), &v[i % 1000]), 0);
		if (ix.cap > maxcap)
			maxcap = ix.cap;
	}
	assert_int_equal(maxcap, 2048);
	assert_int_equal(ix.n, 1000);
	for (uint64_t i = 999000; i < 1000000; i++)
		assert_ptr_equal(find(&ix, i, h), &v[i % 1000]);
	for (uint64_t i = 999000; i < 1000000; i++)
		nb_index_remove(&ix, h(i), &i);
	assert_int_equal(ix.n, 0);
	assert_int_equal(ix.cap, 64);
	nb_index_free(&ix);
	free(v);
}

/* Emptying keeps room for what comes back and gives the rest back. */
static void test_empty(void **state)
{
	struct nb_index ix;
	struct item v[5000];

	nb_index_init(&ix, 128, has);
	fill(&ix, v, 5000, h);
	assert_int_equal(ix.cap, 16384);
	nb_index_empty(&ix, 4000);
	assert_int_equal(ix.n, 0);
	assert_int_equal(ix.cap, 16384);
	assert_null(find(&ix, 1, h));
	nb_index_empty(&ix, 100);
	assert_int_equal(ix.cap, 512);
	nb_index_empty(&ix, 0);
	assert_int_equal(ix.cap, 128);
	for (uint64_t i = 0; i < 5000; i++)
		nb_index_add(&ix, h(i), &v[i]);
	assert_ptr_equal(find(&ix, 4999, h), &v[4999]);
	nb_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find_remove),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
