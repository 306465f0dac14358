// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* netbpf top's keys: views, flows, sort, filter, selection, pause, help. */
#define _GNU_SOURCE
#include <curses.h>
#include <string.h>
#include "top_int.h"

static void sort_step(struct top *t, int dir)
{
	struct nb_col c[MAX_FIELDS];
	enum nb_field order[MAX_FIELDS + 1];
	int n = top_view_cols(t, c), m = 0, at = 0;

	order[m++] = NB_F_BUSY;
	for (int i = 0; i < n; i++)
		if (c[i].field != NB_F_HIST)
			order[m++] = c[i].field;
	for (int i = 0; i < m; i++)
		if (order[i] == t->sort[t->view])
			at = i;
	t->sort[t->view] = order[(at + dir + m) % m];
	t->reverse[t->view] = false;
}

static void set_view(struct top *t, enum view v)
{
	/* host pairs cost a map update per packet: counted from now on */
	if (v == V_HOST && !nb_tc_hosts_counting(t->s.tc))
		nb_tc_hosts_on(t->s.tc, true);
	t->view = v;
	t->has_sel = false;
	t->first = 0;
}

/* A key typed at the filter prompt: it edits the current view's filter. */
static void prompt_key(struct top *t, int ch)
{
	char *f = t->filter[t->view];
	size_t len = strlen(f);

	if (ch == 27) {
		f[0] = '\0';
		t->prompt = false;
	} else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		t->prompt = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			f[len - 1] = '\0';
	} else if (ch >= 32 && ch < 256 && ch != 127 && len + 1 < sizeof(t->filter[0])) {
		f[len] = (char)ch;
		f[len + 1] = '\0';
	}
	t->has_sel = false;
}

/* The keys that select a row. */
static void move_key(struct top *t, int ch)
{
	int sel = top_sel_index(t), body = LINES - HEAD_LINES - 1;

	if (body < 1)
		body = 1;
	switch (ch) {
	case KEY_UP: case 'k':
		sel--;
		break;
	case KEY_DOWN: case 'j':
		sel++;
		break;
	case KEY_PPAGE:
		sel -= body;
		break;
	case KEY_NPAGE:
		sel += body;
		break;
	case KEY_HOME: case 'g':
		sel = 0;
		break;
	case KEY_END: case 'G':
		sel = t->nrows - 1;
		break;
	default:
		return;
	}
	if (sel >= t->nrows)
		sel = t->nrows - 1;
	if (sel < 0)
		sel = 0;
	if (t->nrows) {
		t->sel = t->rows[sel].key;
		t->has_sel = true;
	}
}

/* The views in the order of their keys, 1 to 4, and of Tab. */
static const enum view key_views[] = { V_PROC, V_IFACE, V_CGROUP, V_HOST };
#define NKEY_VIEWS ((int)(sizeof(key_views) / sizeof(key_views[0])))

/* The current view's place in key_views; the flows count as the
 * processes'. */
static int view_at(const struct top *t)
{
	for (int i = 0; i < NKEY_VIEWS; i++)
		if (key_views[i] == t->view)
			return i;
	return 0;
}

/* The keys that change the view: Tab and Shift-Tab, 1 to 4, Enter into the
 * selected process's flows, Esc back out of them (in other views Esc
 * clears the filter). Returns false for any other key. */
static bool view_key(struct top *t, int ch, int sel)
{
	switch (ch) {
	case '\t':
		set_view(t, key_views[(view_at(t) + 1) % NKEY_VIEWS]);
		break;
	case KEY_BTAB:
		set_view(t, key_views[(view_at(t) + NKEY_VIEWS - 1) % NKEY_VIEWS]);
		break;
	case '1': case '2': case '3': case '4':
		set_view(t, key_views[ch - '1']);
		break;
	case '\r': case '\n': case KEY_ENTER:
		if (t->view == V_PROC && sel >= 0) {
			t->flow_of = t->rows[sel];
			t->filter[V_FLOW][0] = '\0';	/* the last process's */
			set_view(t, V_FLOW);
			top_snapshot_flows(t);	/* out of memory: fewer rows */
		}
		break;
	case 27: case KEY_BACKSPACE: case KEY_LEFT:
		if (t->view == V_FLOW) {
			set_view(t, V_PROC);
			t->sel = t->flow_of.key;
			t->has_sel = true;
		} else if (ch == 27) {
			t->filter[t->view][0] = '\0';
		}
		break;
	default:
		return false;
	}
	return true;
}

/* The keys that change how the view shows: sort column and order, rates
 * or totals first, bits, averages, pause, the filter prompt, help.
 * Returns false for any other key. */
static bool show_key(struct top *t, int ch)
{
	switch (ch) {
	case '<': case ',':
		sort_step(t, -1);
		break;
	case '>': case '.':
		sort_step(t, 1);
		break;
	case 'r': case 'R':
		t->reverse[t->view] = !t->reverse[t->view];
		break;
	case 't': case 'T':
		t->totals_first = !t->totals_first;
		break;
	case 'b': case 'B':
		t->bits = !t->bits;
		break;
	case 'a': case 'A':	/* last interval, 2 s, 10 s, 40 s averages */
		t->avg = (t->avg + 1) % NB_NAVG;
		break;
	case 'p': case 'P': case ' ':
		t->paused = !t->paused;
		if (!t->paused)	/* at once; out of memory shows fewer rows */
			top_snapshot(t, nb_mono_now());
		break;
	case '/':
		t->prompt = true;
		break;
	case 'h': case 'H': case '?': case KEY_F(1):
		t->help = true;
		break;
	default:
		return false;
	}
	return true;
}

/* Returns true to quit. */
bool top_key(struct top *t, int ch)
{
	int sel = top_sel_index(t);

	if (t->prompt) {
		prompt_key(t, ch);
		return false;
	}
	if (t->help) {
		t->help = false;
		return ch == 'q' || ch == 'Q';
	}
	if (ch == 'q' || ch == 'Q' || ch == KEY_F(10))
		return true;
	if (!view_key(t, ch, sel) && !show_key(t, ch))
		move_key(t, ch);	/* the keys that select a row */
	return false;
}
