/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netbpf top's own header, for its files only: the state of the view
 * (struct top) and what each file offers the others.
 *
 *   top.c         the run loop's callbacks, nb_top_run
 *   top_screen.c  the terminal: ncurses start and end, stderr kept aside
 *   top_view.c    the collector's table into a snapshot, and the view's rows
 *   top_draw.c    the columns, header, rows, footer and help
 *   top_keys.c    what each key does
 */
#ifndef NB_TOP_INT_H
#define NB_TOP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "layout.h"
#include "session.h"

#define LINGER_S	10.0	/* exited processes, gone interfaces stay this long */
#define LINGER_INTERVALS 3	/* ... and at least this many intervals */
#define HEAD_LINES	4	/* three header lines and the column titles */
#define MIN_COLS	30
#define MIN_LINES	(HEAD_LINES + 2)
#define MAX_COLS	1000
#define MAX_FIELDS	14

enum view { V_PROC, V_IFACE, V_CGROUP, V_FLOW, V_HOST, NVIEWS };

struct top {
	struct nb_session s;
	const struct nb_opts *o;
	struct nb_item *snap;	/* every row, as of the last update */
	int nsnap, snapcap;
	struct nb_item *rows;	/* the view: filtered and sorted */
	int nrows, rowscap;
	int nflows;		/* flow rows with bytes in the table */
	enum view view;
	struct nb_item flow_of;	/* the process whose flows are shown */
	enum nb_field sort[NVIEWS];
	bool reverse[NVIEWS];
	bool totals_first, bits, paused, help, prompt, utf8;
	char filter[NVIEWS][64];	/* each view its own */
	enum nb_avg avg;		/* the rate shown: last interval, or an average */
	struct nb_rate_clock clock;	/* the averages' buckets, for every row */
	struct nb_rates total;		/* the header's: the interfaces' sum */
	double total_peak[2];		/* its highest 2 s averages, up and down */
	struct nb_rowkey sel;
	bool has_sel;
	int first;		/* the view's row at the top of the screen */
	/* the header, as of the last update */
	double up[NB_NAVG], down[NB_NAVG], peak_up, peak_down, cpu, bpf_pct, bpf_ns;
	uint64_t sent, received, lost, skipped;	/* lost: skipped included */
	bool bpf_on;
	/* for per-interval deltas */
	double last_cpu_s, last_mono;
	uint64_t bpf_time, bpf_cnt;
	bool bpf_prev;
	struct nb_frontend fe;	/* fe.fd: the keyboard, or -1 */
	uint64_t idle_wakes;	/* keyboard readable with no key, in a row */
	bool curses;
	FILE *errlog;
	int saved_stderr;
};

/* top_screen.c: the full screen, with stderr into a temporary file while
 * it is up (copied back to stderr when it ends); 1 when the terminal
 * cannot take it (said in one line). An exit() from anywhere still
 * restores the terminal. */
int top_screen_start(struct top *t);
void top_screen_end(struct top *t);
/* The terminal's new size, after SIGWINCH. */
void top_screen_resize(void);

/* top_view.c */
/* netbpf's own cost over the last interval, for the header. */
void top_own_cost(struct top *t, double now);
/* After a poll: every row's state, then the snapshot unless paused. */
int top_update(struct top *t);
/* The table into the snapshot, now. */
int top_snapshot(struct top *t, double now);
/* The flows of the process t->flow_of into the snapshot. */
int top_snapshot_flows(struct top *t);
/* The view's rows: the snapshot filtered and sorted. */
int top_build_view(struct top *t);
/* The sort field in use. */
enum nb_field top_sort_field(const struct top *t);
/* The selected row's index in the view (the first row when none is
 * selected), or -1 for an empty view. */
int top_sel_index(struct top *t);

/* top_draw.c */
/* The columns of the current view; returns how many. */
int top_view_cols(const struct top *t, struct nb_col *c);
void top_draw(struct top *t);

/* top_keys.c: one key; returns true to quit. */
bool top_key(struct top *t, int ch);

#endif
