// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The collector's table: deltas, rates, resets, sums, growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "stats.h"

static struct nb_rowkey key(uint32_t type, uint64_t a, uint64_t b)
{
	struct nb_rowkey k = { .type = type };

	k.k[0] = a;
	k.k[1] = b;
	return k;
}

static void set(struct nb_table *t, struct nb_rowkey k, uint64_t tx, uint64_t rx)
{
	struct nb_counts c = { .tx_bytes = tx, .rx_bytes = rx };

	nb_row_set(nb_table_get(t, &k, true), &c);
}

static void test_delta_and_rate(void **state)
{
	struct nb_table t;
	struct nb_row *r;

	nb_table_init(&t);
	set(&t, key(NB_ROW_PROCESS, 10, 1), 1000, 500);
	nb_table_end(&t, 0.5);
	r = nb_table_get(&t, &(struct nb_rowkey){ .type = NB_ROW_PROCESS, .k = { 10, 1 } }, false);
	assert_non_null(r);
	assert_int_equal(r->delta.tx_bytes, 1000);
	assert_int_equal(r->delta.rx_bytes, 500);
	assert_true(r->tx_rate == 2000.0);
	assert_true(r->rx_rate == 1000.0);
	assert_true(r->moved);

	/* next interval: 300 more sent, nothing received */
	nb_table_begin(&t);
	set(&t, key(NB_ROW_PROCESS, 10, 1), 1300, 500);
	nb_table_end(&t, 2.0);
	assert_int_equal(r->delta.tx_bytes, 300);
	assert_int_equal(r->delta.rx_bytes, 0);
	assert_true(r->tx_rate == 150.0);
	assert_true(r->rx_rate == 0.0);
	assert_int_equal(r->cur.tx_bytes, 1300);

	/* a quiet interval: not moved, cumulative kept */
	nb_table_begin(&t);
	nb_table_end(&t, 1.0);
	assert_false(r->moved);
	assert_false(r->seen);
	assert_int_equal(r->cur.tx_bytes, 1300);
	nb_table_free(&t);
}

static void test_same_pid_new_start_is_new_row(void **state)
{
	struct nb_table t;
	struct nb_rowkey a = key(NB_ROW_PROCESS, 42, 100), b = key(NB_ROW_PROCESS, 42, 200);

	nb_table_init(&t);
	set(&t, a, 10, 0);
	set(&t, b, 20, 0);
	nb_table_end(&t, 1);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(nb_table_get(&t, &a, false)->cur.tx_bytes, 10);
	assert_int_equal(nb_table_get(&t, &b, false)->cur.tx_bytes, 20);
	nb_table_free(&t);
}

static void test_entry_made_anew(void **state)
{
	struct nb_table t;
	struct nb_rowkey k = key(NB_ROW_FLOW, 1, 2);
	struct nb_row *r;

	nb_table_init(&t);
	r = nb_table_get(&t, &k, true);
	nb_row_set(r, &(struct nb_counts){ 10000, 500, 0, 0 });
	nb_table_end(&t, 1);
	/* deleted after its last read and made again: the map starts from 0
	 * (it may count past the old value by the next read) */
	nb_table_begin(&t);
	r = nb_table_get(&t, &k, false);
	nb_row_restart(r);
	nb_row_set(r, &(struct nb_counts){ 12000, 100, 0, 0 });
	nb_table_end(&t, 1);
	assert_int_equal(r->cur.tx_bytes, 22000);
	assert_int_equal(r->cur.rx_bytes, 600);
	assert_int_equal(r->delta.tx_bytes, 12000);
	assert_int_equal(r->delta.rx_bytes, 100);
	nb_table_begin(&t);
	nb_row_set(r, &(struct nb_counts){ 12500, 100, 0, 0 });
	nb_table_end(&t, 1);
	assert_int_equal(r->cur.tx_bytes, 22500);
	assert_int_equal(r->delta.tx_bytes, 500);
	/* a value that goes down tells it too, without a restart */
	nb_table_begin(&t);
	set(&t, k, 40, 100);
	nb_table_end(&t, 1);
	assert_int_equal(r->cur.tx_bytes, 22540);
	assert_int_equal(r->delta.tx_bytes, 40);
	nb_table_free(&t);
}

static void test_counter_reset(void **state)
{
	assert_int_equal(nb_counter_delta(150, 100), 50);
	assert_int_equal(nb_counter_delta(30, 100), 30);	/* reset: count from 0 */
	assert_int_equal(nb_counter_delta(UINT64_MAX, 0), UINT64_MAX);
	assert_true(nb_rate(100, 0) == 0.0);
}

static void test_sum_by_type(void **state)
{
	struct nb_table t;
	struct nb_counts cum, delta;

	nb_table_init(&t);
	set(&t, key(NB_ROW_PROCESS, 1, 0), 100, 1);
	set(&t, key(NB_ROW_PROCESS, 2, 0), 200, 2);
	set(&t, key(NB_ROW_IFACE, 1, 0), 7, 7);
	nb_table_end(&t, 1);
	nb_table_begin(&t);
	set(&t, key(NB_ROW_PROCESS, 1, 0), 150, 1);
	nb_table_end(&t, 1);
	nb_table_sum(&t, NB_ROW_PROCESS, &cum, &delta);
	assert_int_equal(cum.tx_bytes, 350);
	assert_int_equal(cum.rx_bytes, 3);
	assert_int_equal(delta.tx_bytes, 50);
	assert_int_equal(delta.rx_bytes, 0);
	nb_table_free(&t);
}

static void test_many_rows(void **state)
{
	struct nb_table t;

	nb_table_init(&t);
	for (uint64_t i = 0; i < 20000; i++)
		set(&t, key(NB_ROW_FLOW, i, i * 7), i, 2 * i);
	nb_table_end(&t, 1);
	assert_int_equal(t.nrows, 20000);
	for (uint64_t i = 0; i < 20000; i += 997) {
		struct nb_rowkey k = key(NB_ROW_FLOW, i, i * 7);
		struct nb_row *r = nb_table_get(&t, &k, false);

		assert_non_null(r);
		assert_int_equal(r->cur.rx_bytes, 2 * i);
	}
	assert_null(nb_table_get(&t, &(struct nb_rowkey){ .type = NB_ROW_FLOW, .k = { 5, 0 } }, false));
	nb_table_free(&t);
}

static bool odd_pid(struct nb_row *r, void *arg)
{
	(*(int *)arg)++;
	return r->key.k[0] % 2;
}

/* Removing rows: the others keep their order and stay findable, the index
 * and arrays shrink after a burst, and the sums keep what removed rows
 * counted (a total never goes down when an interface or process goes). */
static void test_remove(void **state)
{
	struct nb_table t;
	struct nb_counts cum, delta;
	int calls = 0;

	nb_table_init(&t);
	for (uint64_t i = 0; i < 5000; i++)
		set(&t, key(NB_ROW_IFACE, i, 0), i, 2 * i);
	nb_table_end(&t, 1.0);
	nb_table_sum(&t, NB_ROW_IFACE, &cum, &delta);
	assert_int_equal(cum.tx_bytes, 4999ull * 5000 / 2);
	assert_int_equal(nb_table_remove(&t, odd_pid, &calls), 2500);
	assert_int_equal(calls, 5000);
	assert_int_equal(t.nrows, 2500);
	for (uint32_t i = 0; i < t.nrows; i++)
		assert_int_equal(t.rows[i]->key.k[0], 2 * i);
	for (uint64_t i = 0; i < 5000; i++) {
		struct nb_rowkey k = key(NB_ROW_IFACE, i, 0);
		struct nb_row *r = nb_table_get(&t, &k, false);

		if (i % 2) {
			assert_null(r);
		} else {
			assert_non_null(r);
			assert_int_equal(r->cur.rx_bytes, 2 * i);
		}
	}
	nb_table_sum(&t, NB_ROW_IFACE, &cum, &delta);
	assert_int_equal(cum.tx_bytes, 4999ull * 5000 / 2);
	assert_int_equal(cum.rx_bytes, 4999ull * 5000);
	/* all gone: the memory follows */
	calls = 0;
	assert_int_equal(nb_table_remove(&t, odd_pid, &calls), 0);
	for (uint32_t i = 0; i < t.nrows; i++)
		t.rows[i]->key.k[0] |= 1;
	assert_int_equal(nb_table_remove(&t, odd_pid, &calls), 2500);
	assert_int_equal(t.nrows, 0);
	assert_true(t.cap <= 64);
	assert_true(t.index.cap <= 128);
	nb_table_sum(&t, NB_ROW_IFACE, &cum, &delta);
	assert_int_equal(cum.tx_bytes, 4999ull * 5000 / 2);
	nb_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_and_rate),
		cmocka_unit_test(test_same_pid_new_start_is_new_row),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_entry_made_anew),
		cmocka_unit_test(test_sum_by_type),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
