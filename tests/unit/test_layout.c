// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The layout of netbpf top: column widths, cells, units, sparklines, order. */
#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "layout.h"

/* PID USER COMMAND SENT/s RECV/s SENT RECEIVED HISTORY, as top has them */
static const struct nb_col cols[] = {
	{ "PID", NB_F_ID, 7, 7, 0, 0, true, false, false },
	{ "USER", NB_F_USER, 8, 4, 0, 3, false, false, false },
	{ "COMMAND", NB_F_NAME, 16, 7, 24, 0, false, false, false },
	{ "SENT/s", NB_F_TX_RATE, 12, 7, 0, 0, true, false, false },
	{ "RECV/s", NB_F_RX_RATE, 12, 7, 0, 0, true, false, false },
	{ "SENT", NB_F_TX, 10, 6, 0, 5, true, false, false },
	{ "RECEIVED", NB_F_RX, 10, 6, 0, 4, true, false, false },
	{ "HISTORY", NB_F_HIST, 16, 8, 64, 9, false, false, false },
};
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

static int used(const int *w)
{
	int sum = 0, shown = 0;

	for (int i = 0; i < NCOLS; i++) {
		sum += w[i];
		shown += w[i] > 0;
	}
	return sum + shown - 1;
}

static void test_widths_wide(void **state)
{
	int w[NCOLS];

	/* 120: everything, spare to COMMAND (up to 24) then HISTORY */
	assert_int_equal(nb_layout_widths(cols, NCOLS, 120, w), 8);
	assert_int_equal(w[2], 24);
	assert_int_equal(w[7], 30);
	assert_int_equal(used(w), 120);
	/* 98: exactly the preferred widths */
	nb_layout_widths(cols, NCOLS, 98, w);
	assert_int_equal(w[2], 16);
	assert_int_equal(w[7], 16);
	assert_int_equal(used(w), 98);
}

static void test_widths_narrow(void **state)
{
	int w[NCOLS];

	/* 95: shrinking is enough, the rightmost column first */
	assert_int_equal(nb_layout_widths(cols, NCOLS, 95, w), 8);
	assert_int_equal(w[7], 13);
	assert_int_equal(w[2], 16);
	/* 80: HISTORY goes, then COMMAND shrinks by one */
	assert_int_equal(nb_layout_widths(cols, NCOLS, 80, w), 7);
	assert_int_equal(w[7], 0);
	assert_int_equal(w[2], 15);
	assert_int_equal(used(w), 80);
	/* 40: the totals and USER dropped, COMMAND at its min, then the
	 * rightmost rate column shrinks */
	assert_int_equal(nb_layout_widths(cols, NCOLS, 40, w), 4);
	assert_int_equal(w[0], 7);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 7);
	assert_int_equal(w[3], 12);
	assert_int_equal(w[4], 11);
	assert_int_equal(w[5], 0);
	assert_int_equal(w[6], 0);
	assert_int_equal(used(w), 40);
	/* 10: nothing left to drop: all at their min, the screen cuts */
	assert_int_equal(nb_layout_widths(cols, NCOLS, 10, w), 4);
	assert_int_equal(w[2], 7);
}

static void test_cells(void **state)
{
	char b[64];

	assert_string_equal(nb_cell(b, sizeof(b), "curl", 6, false, false), "curl  ");
	assert_string_equal(nb_cell(b, sizeof(b), "curl", 6, true, false), "  curl");
	assert_string_equal(nb_cell(b, sizeof(b), "verylongcommand", 8, false, false), "verylon+");
	assert_string_equal(nb_cell(b, sizeof(b), "/system.slice/ssh.service", 12, false, true),
			    "+ssh.service");
	assert_string_equal(nb_cell(b, sizeof(b), "abc", 0, false, false), "");
	/* control characters and broken UTF-8 show escaped, counted as wide
	 * as the escape, and never cut in half */
	assert_string_equal(nb_cell(b, sizeof(b), "a\tb\xff", 10, false, false), "a\\tb\\xff  ");
	assert_int_equal(nb_text_width("\x1b]0;X\a"), 4 + 4 + 4);
	assert_string_equal(nb_cell(b, sizeof(b), "\x1b[2J", 6, false, false), "\\x1b[+");
	assert_string_equal(nb_cell(b, sizeof(b), "x\x1b[2J", 5, false, false), "x   +");
	assert_string_equal(nb_cell(b, sizeof(b), "\xc2\x9b""2J", 12, false, false), "\\xc2\\x9b2J  ");
	assert_string_equal(nb_cell(b, sizeof(b), "a\nb", 8, false, true), "a\\nb    ");
	assert_string_equal(nb_cell(b, 6, "ab\x1b", 10, false, false), "ab");
	/* UTF-8: counted in columns, not bytes; a wide character is 2 */
	assert_int_equal(nb_text_width("é"), 1);
	assert_string_equal(nb_cell(b, sizeof(b), "héllo", 6, false, false), "héllo ");
	assert_string_equal(nb_cell(b, sizeof(b), "日本語", 4, false, false), "日 +");
	assert_string_equal(nb_cell(b, sizeof(b), "日本語", 4, false, true), "+ 語");
	/* a small buffer is never overrun */
	assert_string_equal(nb_cell(b, 4, "abcdef", 10, false, false), "abc");
}

static void test_marked(void **state)
{
	char b[64];

	assert_string_equal(nb_cell_marked(b, sizeof(b), "nbgen", " (exited)", 16),
			    "nbgen (exited)  ");
	/* the name is cut, the mark stays */
	assert_string_equal(nb_cell_marked(b, sizeof(b), "verylongcommand", " (exited)", 16),
			    "verylo+ (exited)");
	assert_string_equal(nb_cell_marked(b, sizeof(b), "nbgen", "", 8), "nbgen   ");
	/* no room for the mark: the name alone */
	assert_string_equal(nb_cell_marked(b, sizeof(b), "nbgen", " (exited)", 6), "nbgen ");
}

static void test_units(void **state)
{
	char b[64];

	/* fits: as trace prints it, right-aligned */
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1536, true, false, 12), "   1.5 KiB/s");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1536, false, false, 10), "   1.5 KiB");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 125000, true, true, 12), "  1.0 Mbit/s");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 0, true, false, 12), "       0 B/s");
	/* narrow: letters, then no decimal, then no "/s" */
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1536, true, false, 7), " 1.5K/s");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1000 * 1024, true, false, 7), "1000K/s");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1000 * 1024, true, false, 5), "1000K");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 125000, true, true, 7), " 1.0M/s");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1023, false, false, 6), "1023 B");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 1023, false, false, 5), "1023B");
	assert_string_equal(nb_fmt_fit(b, sizeof(b), 5.5 * 1024 * 1024, false, false, 6), "  5.5M");
	/* never wider than asked */
	assert_int_equal(strlen(nb_fmt_fit(b, sizeof(b), 123456789, true, true, 3)), 3);
}

static void test_sparkline(void **state)
{
	struct nb_hist h = { .n = 0 };
	char b[256];

	assert_string_equal(nb_sparkline(b, sizeof(b), &h, 4, true), "    ");
	nb_hist_push(&h, 0);
	nb_hist_push(&h, 1);
	nb_hist_push(&h, 4);
	nb_hist_push(&h, 8);
	/* scaled to the maximum, newest on the right, zero blank */
	assert_string_equal(nb_sparkline(b, sizeof(b), &h, 4, true), " ▁▄█");
	assert_string_equal(nb_sparkline(b, sizeof(b), &h, 4, false), " .=@");
	/* short history: padded on the left */
	assert_string_equal(nb_sparkline(b, sizeof(b), &h, 6, false), "   .=@");
	/* narrow: only the newest samples, rescaled */
	assert_string_equal(nb_sparkline(b, sizeof(b), &h, 2, false), "=@");
	/* the history keeps the last NB_HIST samples */
	for (int i = 0; i < NB_HIST + 5; i++)
		nb_hist_push(&h, i);
	assert_int_equal(h.n, NB_HIST);
	assert_true(h.v[NB_HIST - 1] == NB_HIST + 4);
	assert_true(h.v[0] == 5);
	nb_hist_push(&h, -3);
	assert_true(h.v[NB_HIST - 1] == 0);
}

static struct nb_item item(uint64_t id, const char *name, double tx_rate, double rx_rate,
			   uint64_t tx, uint64_t rx)
{
	struct nb_item it;

	memset(&it, 0, sizeof(it));
	it.id = id;
	strcpy(it.name, name);
	it.tx_rate = tx_rate;
	it.rx_rate = rx_rate;
	it.tx = tx;
	it.rx = rx;
	return it;
}

static void ids(const struct nb_item *v, int n, char *out)
{
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		sprintf(out + strlen(out), "%s%llu", i ? " " : "", (unsigned long long)v[i].id);
}

static void test_sort(void **state)
{
	struct nb_item v[4];
	char got[64];

	v[0] = item(30, "curl", 100, 0, 1000, 0);
	v[1] = item(10, "sshd", 0, 50, 5000, 9000);
	v[2] = item(20, "apt", 10, 500, 10, 20);
	v[3] = item(40, "Xorg", 0, 0, 0, 0);

	nb_items_sort(v, 4, NB_F_BUSY, false);
	ids(v, 4, got);
	assert_string_equal(got, "20 30 10 40");	/* 510, 100, 50, 0 per second */
	nb_items_sort(v, 4, NB_F_TX_RATE, false);
	ids(v, 4, got);
	assert_string_equal(got, "30 20 10 40");	/* ties: busiest first */
	nb_items_sort(v, 4, NB_F_RX, false);
	ids(v, 4, got);
	assert_string_equal(got, "10 20 30 40");	/* ties: the busiest first */
	nb_items_sort(v, 4, NB_F_TOTAL, false);
	ids(v, 4, got);
	assert_string_equal(got, "10 30 20 40");
	nb_items_sort(v, 4, NB_F_TOTAL, true);
	ids(v, 4, got);
	assert_string_equal(got, "40 20 30 10");
	/* numbers largest first, ids and text smallest first */
	nb_items_sort(v, 4, NB_F_ID, false);
	ids(v, 4, got);
	assert_string_equal(got, "10 20 30 40");
	nb_items_sort(v, 4, NB_F_ID, true);
	ids(v, 4, got);
	assert_string_equal(got, "40 30 20 10");
	nb_items_sort(v, 4, NB_F_NAME, false);
	ids(v, 4, got);
	assert_string_equal(got, "40 20 30 10");	/* Xorg apt curl sshd (bytes) */
	assert_true(nb_field_desc(NB_F_TX_RATE));
	assert_false(nb_field_desc(NB_F_NAME));
}

static void test_match(void **state)
{
	struct nb_item it = item(1, "nbgen", 0, 0, 0, 0);

	strcpy(it.user, "root");
	assert_true(nb_item_match(&it, ""));
	assert_true(nb_item_match(&it, "gen"));
	assert_true(nb_item_match(&it, "NBG"));
	assert_true(nb_item_match(&it, "roo"));
	assert_false(nb_item_match(&it, "curl"));
	strcpy(it.remote, "10.0.0.1:443");
	assert_true(nb_item_match(&it, ":443"));
}


/* An extra column goes before any other shrinks; where there is room it stays. */
static void test_widths_extra(void **state)
{
	static const struct nb_col c[] = {
		{ "COMMAND", NB_F_NAME, 16, 7, 24, 0, false, false, false },
		{ "SENT/s", NB_F_TX_RATE, 12, 7, 0, 0, true, false, false },
		{ "PEAK/s", NB_F_PEAK, 10, 7, 0, 9, true, false, true },
		{ "CMDLINE", NB_F_CMDLINE, 20, 10, 1000, 3, false, false, false },
	};
	int w[4];

	/* 61 = 16 + 12 + 10 + 20 + 3: all, at their preferred widths */
	assert_int_equal(nb_layout_widths(c, 4, 61, w), 4);
	assert_int_equal(w[2], 10);
	assert_int_equal(w[3], 20);
	/* 60: PEAK/s goes rather than COMMAND or CMDLINE shrinking; the
	 * room is given out left to right */
	assert_int_equal(nb_layout_widths(c, 4, 60, w), 3);
	assert_int_equal(w[0], 24);
	assert_int_equal(w[2], 0);
	assert_int_equal(w[3], 22);
}

/* The footer at 80 columns keeps the help key; wide, it shows all. */
static void test_footer(void **state)
{
	static const struct nb_key_hint h[] = {
		{ "q Quit", 0 }, { "Tab View", 1 }, { "Enter Flows", 3 }, { "Esc Back", 8 },
		{ "</> Sort", 4 }, { "r Reverse", 9 }, { "t Rates/Totals", 7 }, { "b Bits", 10 },
		{ "a Avg", 5 }, { "p Pause", 6 }, { "/ Filter", 2 }, { "h Help", 0 },
	};
	char b[256];

	nb_footer(b, sizeof(b), h, 12, 80);
	assert_string_equal(b, "q Quit  Tab View  Enter Flows  </> Sort  a Avg  p Pause  / Filter  h Help");
	nb_footer(b, sizeof(b), h, 12, 118);
	assert_int_equal(strlen(b), 118);
	assert_non_null(strstr(b, "b Bits  a Avg"));
	nb_footer(b, sizeof(b), h, 12, 30);
	assert_string_equal(b, "q Quit  Tab View  h Help");
	nb_footer(b, sizeof(b), h, 12, 10);	/* too narrow: the two that must stay */
	assert_string_equal(b, "q Quit  h Help");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widths_wide),
		cmocka_unit_test(test_widths_narrow),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_marked),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_widths_extra),
		cmocka_unit_test(test_footer),
	};

	/* display widths of UTF-8 text need a UTF-8 locale */
	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
