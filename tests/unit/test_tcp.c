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

/* The same on a socket slot's word, as slot_consumed() makes it. */
static __s64 word_step(__u64 *word, __u64 tag, __u32 copied, __u32 rcv_nxt, int fin_arrived)
{
	return nb_sock_count(*word, tag, copied, nb_tcp_fin_taken(copied, rcv_nxt, fin_arrived),
			     word);
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

/* A socket's tag: never 0 for a cookie that has one, distinct for the
 * cookies that share a slot, none for cookies too large for 31 bits. */
static void sock_tags(void **state)
{
	(void)state;
	assert_int_equal(nb_sock_tag(0, 14), 0);
	assert_int_equal(nb_sock_tag(1, 14), 1);
	assert_int_equal(nb_sock_tag(16383, 14), 1);
	assert_int_equal(nb_sock_tag(16384 + 5, 14), 2);	/* slot 5, not cookie 5's tag */
	assert_int_not_equal(nb_sock_tag(5, 14), nb_sock_tag(16384 + 5, 14));
	assert_int_equal(nb_sock_tag(1, 0), 2);
	assert_int_equal(nb_sock_tag(0x7ffffffeull << 14, 14), 0x7fffffff);
	assert_int_equal(nb_sock_tag(0x7fffffffull << 14, 14), 0);
	assert_int_equal(nb_sock_tag(~0ull, 0), 0);
	/* the largest tag fills bits 33-63 and leaves the count alone */
	assert_int_equal(nb_sock_word_tag(nb_sock_word(0x7fffffff, 1, 0xffffffffu)), 0x7fffffff);
	assert_int_equal(nb_sock_word_fin(nb_sock_word(0x7fffffff, 0, 0xffffffffu)), 0);
	assert_int_equal(nb_tcp_delta(nb_sock_word(0x7fffffff, 1, 0xfffffff0u), 0x10), 0x20);
}

/* Slots: one cookie per (slot, tag); the cookies of one batch in
 * distinct slots; batches 2^14 apart (the low bits alone would put them
 * slot for slot on each other) spread over the slots. */
static void sock_index(void **state)
{
	static unsigned char used[1u << 14];
	unsigned distinct = 0;

	(void)state;
	/* the cookie, told back from its slot and tag */
	for (__u64 c = 1; c < (1ull << 40); c = c * 3 + 1) {
		for (__u32 bits = 0; bits <= 20; bits += 7) {
			__u64 hi, mix, lo;

			if (!nb_sock_tag(c, bits)) {	/* too large: the storage */
				assert_true((c >> bits) >= 0x7fffffffull);
				continue;
			}
			hi = nb_sock_tag(c, bits) - 1;
			mix = (hi * 0x9e3779b97f4a7c15ull) >> 32;
			lo = (nb_sock_index(c, bits) ^ mix) & ((1u << bits) - 1);

			assert_int_equal(hi << bits | lo, c);
		}
	}
	for (__u64 c = 40960; c < 40960 + 4096; c++) {
		assert_int_equal(used[nb_sock_index(c, 14)], 0);
		used[nb_sock_index(c, 14)] = 1;
	}
	for (unsigned i = 0; i < sizeof(used); i++)
		used[i] = 0;
	/* 32 batches of the same low bits, 100 sockets each: 3,200 cookies;
	 * at random, some 2,900 distinct slots are to be expected */
	for (__u64 b = 0; b < 32; b++)
		for (__u64 p = 0; p < 100; p++) {
			__u32 i = nb_sock_index(((b * 4 + 7) << 12) + p, 14);

			distinct += !used[i];
			used[i] = 1;
		}
	assert_true(distinct > 2800);
	assert_int_equal(nb_sock_index(12345, 0), 0);
	assert_true(nb_sock_index(~0ull, 20) < (1u << 20));
}

/* A connection counted on a slot's word: the same bytes as on the
 * storage, the FIN taken off once, and a word of another socket (its tag)
 * never counted. */
static void sock_word(void **state)
{
	__u64 word = nb_sock_word(7, 0, 0xfffff000u), counted = 0xfffff000u, fin = 0;
	__u32 c = 0xfffff000u;

	(void)state;
	for (int i = 0; i < 10; i++) {
		c += 1000;
		assert_int_equal(word_step(&word, 7, c, c, 0), step(&counted, &fin, c, c, 0));
		assert_int_equal(word_step(&word, 7, c, c, 0), 0);	/* the second hook */
	}
	/* the last 500 bytes and the FIN in one read (splice), as the
	 * storage counts them */
	assert_int_equal(word_step(&word, 7, c + 501, c + 501, 1),
			 step(&counted, &fin, c + 501, c + 501, 1));
	assert_int_equal(nb_sock_word_fin(word), 1);
	assert_int_equal(word_step(&word, 7, c + 501, c + 501, 1), 0);
	assert_int_equal(nb_sock_word_tag(word), 7);
	assert_int_equal((__u32)word, c + 501);
	/* the FIN alone (recvmsg that returned 0 after the data) */
	word = nb_sock_word(7, 0, 1000);
	assert_int_equal(word_step(&word, 7, 1001, 1001, 1), 0);
	assert_int_equal(nb_sock_word_fin(word), 1);
	assert_int_equal((__u32)word, 1001);
	/* data that arrived before the FIN: not the FIN's step yet */
	word = nb_sock_word(7, 0, 1000);
	assert_int_equal(word_step(&word, 7, 1500, 1600, 1), 500);
	assert_int_equal(nb_sock_word_fin(word), 0);
	/* another socket's slot: nothing counted, the word left alone */
	__u64 before = word;

	assert_int_equal(word_step(&word, 8, c + 900, c + 900, 0), 0);
	assert_int_equal(word, before);
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
		cmocka_unit_test(sock_tags),
		cmocka_unit_test(sock_index),
		cmocka_unit_test(sock_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
