// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The arithmetic of TCP receive counting on rung 1 (bpf/netbpf.h): the
 * progress of copied_seq, its wrap at 2^32, the start on a socket first
 * seen mid-stream, and the FIN's sequence step that is no payload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "netbpf.h"

/* One count as tcp_consumed() makes it, without the atomics: the bytes
 * this step adds, moving 'counted' and 'fin' as the BPF program does. */
static __s64 step(__u64 *counted, __u64 *fin, __u32 copied, __u32 rcv_nxt, int fin_arrived)
{
	__s64 delta = nb_tcp_delta(*counted, copied);

	if (delta <= 0)
		return 0;
	*counted = copied;
	if (!*fin && nb_tcp_fin_taken(copied, rcv_nxt, fin_arrived)) {
		*fin = 1;
		delta--;
	}
	return delta;
}

static void progress(void **state)
{
	(void)state;
	assert_int_equal(nb_tcp_delta(1000, 1100), 100);
	assert_int_equal(nb_tcp_delta(1000, 1000), 0);
	/* only the low 32 bits of the 64-bit slot are a sequence number */
	assert_int_equal(nb_tcp_delta(0x100000000ull + 1000, 1100), 100);
}

static void wraps(void **state)
{
	(void)state;
	assert_int_equal(nb_tcp_delta(0xfffffff0u, 0x10u), 0x20);
	assert_int_equal(nb_tcp_delta(0xffffffffu, 0), 1);
	/* a reader that counted further already: nothing, never negative bytes */
	assert_true(nb_tcp_delta(0x10u, 0xfffffff0u) < 0);
	assert_true(nb_tcp_delta(2000, 1000) < 0);
}

static void first_sight(void **state)
{
	(void)state;
	/* a read of 300 bytes left copied_seq at 5000: the count starts at 4700 */
	assert_int_equal(nb_tcp_start(5000, 300), 4700);
	assert_int_equal(nb_tcp_delta(nb_tcp_start(5000, 300), 5000), 300);
	/* across the wrap */
	assert_int_equal(nb_tcp_start(100, 300), 0xffffff38u);
	assert_int_equal(nb_tcp_delta(nb_tcp_start(100, 300), 100), 300);
}

static void fin(void **state)
{
	(void)state;
	assert_true(nb_tcp_fin_taken(7000, 7000, 1));
	assert_false(nb_tcp_fin_taken(7000, 7000, 0));	/* no FIN yet */
	assert_false(nb_tcp_fin_taken(6999, 7000, 1));	/* data left to read */
}

/* A connection established at 1000 (ISN + 1): reads of 100 and 250 bytes,
 * a repeated count at the same place (the second tracepoint of one read),
 * then the last 50 bytes and the FIN in one read (copied_seq moves 51):
 * 400 bytes in all, the FIN's step counted never. */
static void connection(void **state)
{
	__u64 counted = 1000, fin_done = 0, total = 0;

	(void)state;
	total += step(&counted, &fin_done, 1100, 1400, 0);
	total += step(&counted, &fin_done, 1350, 1400, 0);
	total += step(&counted, &fin_done, 1350, 1400, 0);
	assert_int_equal(total, 350);
	total += step(&counted, &fin_done, 1401, 1401, 1);
	assert_int_equal(total, 400);
	assert_int_equal(fin_done, 1);
	/* a read after the end (returns 0) adds nothing, the FIN not again */
	total += step(&counted, &fin_done, 1401, 1401, 1);
	assert_int_equal(total, 400);
}

/* The same 400 bytes across the 2^32 wrap, the FIN read separately. */
static void connection_wrapping(void **state)
{
	__u32 isn = 0xffffff00u;
	__u64 counted = isn, fin_done = 0, total = 0;

	(void)state;
	total += step(&counted, &fin_done, isn + 200, isn + 400, 0);
	total += step(&counted, &fin_done, isn + 400, isn + 401, 1);	/* FIN arrived, not read */
	assert_int_equal(total, 400);
	assert_int_equal(fin_done, 0);
	total += step(&counted, &fin_done, isn + 401, isn + 401, 1);
	assert_int_equal(total, 400);
	assert_int_equal(fin_done, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(progress),
		cmocka_unit_test(wraps),
		cmocka_unit_test(first_sight),
		cmocka_unit_test(fin),
		cmocka_unit_test(connection),
		cmocka_unit_test(connection_wrapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
