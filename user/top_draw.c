// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf top's drawing: the columns of each view, the three header lines,
 * the column titles, the rows, the footer's keys and the help (ncursesw;
 * the cells themselves are layout.c's).
 */
#define _GNU_SOURCE
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "top_int.h"

static int add_col(struct nb_col *c, int n, const char *title, enum nb_field f, int width,
		   int min, int max, int drop, bool right)
{
	c[n] = (struct nb_col){ title, f, width, min, max, drop, right, false, false };
	return n + 1;
}

/* Each view's columns before the rates and totals; a NULL title ends a
 * view's. Narrow screens drop PEAK/s, HISTORY, the totals, then a
 * process's CMDLINE, START and USER. */
static const struct nb_col lead_cols[NVIEWS][5] = {
	[V_PROC] = {
		{ "PID", NB_F_ID, 7, 7, 0, 0, true },
		{ "USER", NB_F_USER, 8, 4, 0, 1, false },
		{ "START", NB_F_START, 8, 8, 0, 2, false },
		{ "COMMAND", NB_F_NAME, 16, 7, 24, 0, false },
	},
	[V_IFACE] = {
		{ "IFINDEX", NB_F_ID, 7, 4, 0, 3, true },
		{ "INTERFACE", NB_F_NAME, 16, 6, 22, 0, false },
		{ "CONTAINER", NB_F_REMOTE, 16, 9, 40, 6, false },
	},
	[V_CGROUP] = {
		{ "CGROUP", NB_F_NAME, 30, 10, 80, 0, false, .cut_left = true },
		{ "CONTAINER", NB_F_REMOTE, 20, 9, 40, 6, false },
	},
	[V_FLOW] = {
		{ "PROTO", NB_F_PROTO, 6, 3, 0, 3, false },
		{ "LOCAL", NB_F_NAME, 22, 9, 47, 0, false },
		{ "REMOTE", NB_F_REMOTE, 22, 9, 47, 0, false },
	},
	[V_HOST] = {	/* iftop's: interface, this host, the other one */
		{ "INTERFACE", NB_F_USER, 10, 4, 16, 3, false },
		{ "LOCAL", NB_F_NAME, 22, 7, 39, 0, false },
		{ "REMOTE", NB_F_REMOTE, 26, 7, 64, 0, false },
	},
};

/* The columns of the current view; rates before totals or after. */
int top_view_cols(const struct top *t, struct nb_col *c)
{
	bool rates = !t->totals_first;
	int n = 0;

	for (const struct nb_col *l = lead_cols[t->view]; l->title; l++)
		c[n++] = *l;
	for (int pass = 0; pass < 2; pass++) {
		if ((pass == 0) == rates) {
			n = add_col(c, n, t->view == V_IFACE ? "UP/s" : "SENT/s", NB_F_TX_RATE,
				    12, 7, 0, rates ? 0 : 5, true);
			n = add_col(c, n, t->view == V_IFACE ? "DOWN/s" : "RECV/s", NB_F_RX_RATE,
				    12, 7, 0, rates ? 0 : 4, true);
		} else {
			n = add_col(c, n, "SENT", NB_F_TX, 10, 6, 0, rates ? 5 : 0, true);
			n = add_col(c, n, "RECEIVED", NB_F_RX, 10, 6, 0, rates ? 4 : 0, true);
		}
	}
	n = add_col(c, n, "PEAK/s", NB_F_PEAK, 10, 7, 0, 9, true);
	c[n - 1].extra = true;	/* only where there is room for it */
	/* the command line takes what is left; the history stays narrow */
	n = add_col(c, n, "HISTORY", NB_F_HIST, 16, 8, t->view == V_PROC ? 16 : NB_HIST, 8, false);
	if (t->view == V_PROC)
		n = add_col(c, n, "CMDLINE", NB_F_CMDLINE, 20, 10, MAX_COLS, 3, false);
	return n;
}

static const char *field_title(const struct top *t, enum nb_field f)
{
	struct nb_col c[MAX_FIELDS];
	int n = top_view_cols(t, c);

	if (f == NB_F_BUSY)
		return t->totals_first ? "most bytes" : "busiest";
	for (int i = 0; i < n; i++)
		if (c[i].field == f)
			return c[i].title;
	return "?";
}

/* A line of exactly cols display columns: text cut or padded. */
static void put_line(int y, const char *text, int cols, attr_t attr)
{
	static char line[MAX_COLS * 4 + 1];

	nb_cell(line, sizeof(line), text, cols, false, false);
	if (attr)
		attron(attr);
	mvaddstr(y, 0, line);
	if (attr)
		attroff(attr);
}

/* After an exited process's or a gone interface's name. */
static const char *gone_mark(const struct nb_item *it)
{
	if (!it->exited || it->type == NB_ROW_FLOW)
		return "";
	return it->type == NB_ROW_IFACE ? " (gone)" : " (exited)";
}

/* The cells that are one of the item's strings; NULL for the others. */
static const char *item_text(const struct nb_item *it, enum nb_field f)
{
	switch (f) {
	case NB_F_USER:
		return it->user[0] ? it->user : "?";
	case NB_F_REMOTE:
		return it->remote;
	case NB_F_PROTO:
		return it->proto;
	case NB_F_CMDLINE:
		return it->cmdline;
	default:
		return NULL;
	}
}

/* One cell of a row, w display columns. */
static void draw_cell(const struct top *t, const struct nb_item *it, const struct nb_col *c,
		      int w, char *cell, size_t len)
{
	enum nb_field f = c->field;
	const char *text = item_text(it, f);
	char num[64];

	if (text) {
		nb_cell(cell, len, text, w, false, false);
		return;
	}
	switch (f) {
	case NB_F_ID:
		snprintf(num, sizeof(num), "%llu", (unsigned long long)it->id);
		nb_cell(cell, len, num, w, true, false);
		break;
	case NB_F_NAME:
		if (c->cut_left)
			nb_cell(cell, len, it->name, w, false, true);
		else
			nb_cell_marked(cell, len, it->name, gone_mark(it), w);
		break;
	case NB_F_TX_RATE: case NB_F_RX_RATE: case NB_F_PEAK:
		nb_fmt_fit(cell, len, f == NB_F_TX_RATE ? it->tx_rate :
			   f == NB_F_RX_RATE ? it->rx_rate : it->peak, true, t->bits, w);
		break;
	case NB_F_TX: case NB_F_RX:
		nb_fmt_fit(cell, len, f == NB_F_TX ? it->tx : it->rx, false, false, w);
		break;
	case NB_F_HIST:
		nb_sparkline(cell, len, &it->hist, w, t->utf8);
		break;
	case NB_F_START:
		nb_fmt_start(num, sizeof(num), it->start, t->s.c.ts);
		nb_cell(cell, len, num, w, false, false);
		break;
	default:
		cell[0] = '\0';
	}
}

static void draw_row(const struct top *t, const struct nb_item *it, const struct nb_col *c,
		     const int *w, int n, char *line, size_t len)
{
	size_t used = 0;

	line[0] = '\0';
	for (int i = 0; i < n; i++) {
		char cell[MAX_COLS * 4 + 1];

		if (!w[i])
			continue;
		draw_cell(t, it, &c[i], w[i], cell, sizeof(cell));
		used += snprintf(line + used, used < len ? len - used : 0, "%s%s",
				 used ? " " : "", cell);
		if (used >= len)
			break;
	}
}

static void draw_titles(const struct top *t, const struct nb_col *c, const int *w, int n,
			char *line, size_t len)
{
	enum nb_field f = top_sort_field(t);
	size_t used = 0;

	line[0] = '\0';
	for (int i = 0; i < n; i++) {
		char cell[256], title[64];

		if (!w[i])
			continue;
		if (c[i].field == f && t->sort[t->view] != NB_F_BUSY) {
			bool down = nb_field_desc(f) != t->reverse[t->view];

			snprintf(title, sizeof(title), "%s%s", c[i].title,
				 t->utf8 ? (down ? "▼" : "▲") : (down ? "v" : "^"));
		} else {
			snprintf(title, sizeof(title), "%s", c[i].title);
		}
		nb_cell(cell, sizeof(cell), title, w[i], c[i].right, false);
		used += snprintf(line + used, used < len ? len - used : 0, "%s%s",
				 used ? " " : "", cell);
		if (used >= len)
			break;
	}
}

static void draw_help(int cols, int lines)
{
	static const char *const help[] = {
		"netbpf top: keys",
		"",
		"  Tab, 1 2 3 4   next view; processes, interfaces, cgroups, hosts",
		"  Enter          flows of the selected process",
		"  Esc            back from flows; clear the filter",
		"  Up Down PgUp PgDn Home End   select a row",
		"  < >            sort by the previous / next column",
		"  r              reverse the order",
		"  t              rates or totals first",
		"  b              rates in bytes or bits per second",
		"  a              rates of the last interval, or 2 s, 10 s, 40 s averages",
		"  p, Space       pause the screen (counting goes on)",
		"  /              filter this view by name (a process: user, command",
		"                 line too); Enter keeps it, Esc clears",
		"  h, ?           this help",
		"  q              quit",
		"",
		"PEAK/s: a row's highest 2 s average, sent + received; the header's",
		"peak: the highest 2 s averages of all interfaces, up / down.",
		"Exited processes stay, marked (exited), for 10 seconds.",
		"Hosts: wire bytes per interface and host pair, counted from when",
		"the view is first shown (or from the start with --by host); / and",
		"an interface's name show that interface only.",
		"Any key closes this help.",
	};
	int n = sizeof(help) / sizeof(help[0]);

	for (int i = 0; i < n && HEAD_LINES + i < lines - 1; i++)
		put_line(HEAD_LINES + i, help[i], cols, 0);
}

/* The three header lines: totals, how netbpf runs, the view and its state. */
static void draw_header(struct top *t, int cols, char *line, size_t len)
{
	char a[32], b[32], d[32], e[32], f[32], g[32];
	static const char *const avg[NB_NAVG] = { "last interval", "2 s avg", "10 s avg",
						  "40 s avg" };
	char *flt = t->filter[t->view];
	int n;

	snprintf(line, len, "netbpf top   up %s   down %s   sent %s   received %s   peak %s / %s",
		 nb_fmt_rate(a, sizeof(a), t->up[t->avg], t->bits),
		 nb_fmt_rate(b, sizeof(b), t->down[t->avg], t->bits),
		 nb_fmt_bytes(d, sizeof(d), t->sent), nb_fmt_bytes(e, sizeof(e), t->received),
		 nb_fmt_rate(f, sizeof(f), t->peak_up, t->bits),
		 nb_fmt_rate(g, sizeof(g), t->peak_down, t->bits));
	put_line(0, line, cols, A_BOLD);

	n = snprintf(line, len, "interval %g s   hooks %s   attach %s   netbpf cpu %.1f%%",
		     t->o->interval, nb_backend_names[t->s.loader.backend], nb_tc_method(t->s.tc),
		     t->cpu);
	if (t->bpf_on)
		n += snprintf(line + n, len - n, "   bpf %.2f%% cpu, %.0f ns/event",
			      t->bpf_pct, t->bpf_ns);
	else
		n += snprintf(line + n, len - n, "   bpf run time: stats off");
	if (t->lost)
		n += snprintf(line + n, len - n, "   %llu updates lost (%llu map full, %llu skipped)",
			      (unsigned long long)t->lost,
			      (unsigned long long)(t->lost - t->skipped),
			      (unsigned long long)t->skipped);
	put_line(1, line, cols, 0);

	if (t->view == V_FLOW)
		n = snprintf(line, len, "Flows of %llu %s (Esc: back)",
			     (unsigned long long)t->flow_of.id, t->flow_of.name);
	else
		n = snprintf(line, len, "%s1 Processes%s %s2 Interfaces%s %s3 Cgroups%s %s4 Hosts%s",
			     t->view == V_PROC ? "[" : " ", t->view == V_PROC ? "]" : " ",
			     t->view == V_IFACE ? "[" : " ", t->view == V_IFACE ? "]" : " ",
			     t->view == V_CGROUP ? "[" : " ", t->view == V_CGROUP ? "]" : " ",
			     t->view == V_HOST ? "[" : " ", t->view == V_HOST ? "]" : " ");
	n += snprintf(line + n, len - n, "   sort: %s %s", field_title(t, t->sort[t->view]),
		      nb_field_desc(top_sort_field(t)) != t->reverse[t->view] ? "desc" : "asc");
	n += snprintf(line + n, len - n, "   %s, %s%s", t->totals_first ? "totals" : "rates",
		      avg[t->avg], t->bits ? ", bits" : "");
	if (flt[0])
		n += snprintf(line + n, len - n, "   filter: %s", flt);
	if (t->paused)
		n += snprintf(line + n, len - n, "   PAUSED");
	put_line(2, line, cols, 0);
}

/* What an empty view says. */
static const char *empty_note(const struct top *t)
{
	if (t->filter[t->view][0])
		return "Nothing matches the filter (Esc clears it).";
	if (t->view == V_FLOW)
		return t->s.loader.flows_on ? (t->nflows ? "No flows for this process." :
					       "No flows seen yet.") :
		       "Flows are not counted by this netbpf.";
	if (t->view == V_CGROUP)
		return "No cgroup has moved bytes yet.";
	if (t->view == V_IFACE)
		return "No interface counted yet.";
	if (t->view == V_HOST)
		return "No host pair seen yet (counted from when this view was first shown).";
	return "No process has moved bytes yet.";
}

static void draw_rows(struct top *t, const struct nb_col *c, const int *w, int n,
		      int cols, int lines, char *line, size_t len)
{
	int body = lines - HEAD_LINES - 1, sel = top_sel_index(t);

	if (sel < t->first)
		t->first = sel;
	if (sel >= t->first + body)
		t->first = sel - body + 1;
	if (t->first > t->nrows - body)
		t->first = t->nrows - body;
	if (t->first < 0)
		t->first = 0;
	for (int i = 0; i < body && t->first + i < t->nrows; i++) {
		const struct nb_item *it = &t->rows[t->first + i];
		attr_t attr = 0;

		draw_row(t, it, c, w, n, line, len);
		if (t->first + i == sel)
			attr = has_colors() ? COLOR_PAIR(2) : A_REVERSE;
		else if (it->exited)
			attr = A_DIM;
		put_line(HEAD_LINES + i, line, cols, attr);
	}
}

/* The keys, as many as fit; q and h always. */
static void draw_footer(const struct top *t, int cols, int y, char *line, size_t len)
{
	static const struct nb_key_hint keys[] = {
		{ "q Quit", 0 }, { "Tab View", 1 }, { "Enter Flows", 3 }, { "Esc Back", 8 },
		{ "</> Sort", 4 }, { "r Reverse", 9 }, { "t Rates/Totals", 7 }, { "b Bits", 10 },
		{ "a Avg", 5 }, { "p Pause", 6 }, { "/ Filter", 2 }, { "h Help", 0 },
	};

	if (t->prompt)
		snprintf(line, len, "Filter: %s_   (Enter keeps, Esc clears)", t->filter[t->view]);
	else
		nb_footer(line, len, keys, sizeof(keys) / sizeof(keys[0]), cols);
	put_line(y, line, cols, A_REVERSE);
}

void top_draw(struct top *t)
{
	char line[MAX_COLS * 4 + 64];
	struct nb_col c[MAX_FIELDS];
	int w[MAX_FIELDS], n, cols = COLS, lines = LINES;

	erase();
	if (cols > MAX_COLS)
		cols = MAX_COLS;
	if (cols < MIN_COLS || lines < MIN_LINES) {
		snprintf(line, sizeof(line), "netbpf top: terminal too small (%dx%d, needs %dx%d); q quits",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		put_line(0, line, cols, 0);
		refresh();
		return;
	}
	draw_header(t, cols, line, sizeof(line));
	n = top_view_cols(t, c);
	nb_layout_widths(c, n, cols, w);
	draw_titles(t, c, w, n, line, sizeof(line));
	put_line(3, line, cols, has_colors() ? COLOR_PAIR(1) : A_REVERSE);
	if (t->help)
		draw_help(cols, lines);
	else if (!t->nrows)
		put_line(HEAD_LINES, empty_note(t), cols, 0);
	else
		draw_rows(t, c, w, n, cols, lines, line, sizeof(line));
	draw_footer(t, cols, lines - 1, line, sizeof(line));
	refresh();
}
