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
	switch (ch) {
	case 'q': case 'Q': case KEY_F(10):
		return true;
	case '\t':
		set_view(t, t->view == V_PROC || t->view == V_FLOW ? V_IFACE :
			    t->view == V_IFACE ? V_CGROUP : t->view == V_CGROUP ? V_HOST : V_PROC);
		break;
	case KEY_BTAB:
		set_view(t, t->view == V_PROC || t->view == V_FLOW ? V_HOST :
			    t->view == V_IFACE ? V_PROC : t->view == V_CGROUP ? V_IFACE : V_CGROUP);
		break;
	case '1':
		set_view(t, V_PROC);
		break;
	case '2':
		set_view(t, V_IFACE);
		break;
	case '3':
		set_view(t, V_CGROUP);
		break;
	case '4':
		set_view(t, V_HOST);
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
		move_key(t, ch);
		break;
	}
	return false;
}
