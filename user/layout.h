/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The layout of netbpf top, without a terminal: column widths for a screen
 * width, cells cut or padded to a width (UTF-8 aware), units that fit a
 * column, sparklines, the rows of a view and their order, and the state
 * top keeps per row (history, owner). top.c draws what this computes.
 */
#ifndef NB_LAYOUT_H
#define NB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rates.h"
#include "stats.h"

/* What a column shows, and what a view can be sorted by. */
enum nb_field {
	NB_F_BUSY = 0,	/* sent/s + received/s: no column of its own */
	NB_F_ID,	/* pid, ifindex */
	NB_F_USER,
	NB_F_NAME,	/* command, interface, cgroup path, flow local end */
	NB_F_REMOTE,	/* flow remote end, cgroup container */
	NB_F_PROTO,
	NB_F_TX_RATE,
	NB_F_RX_RATE,
	NB_F_TX,
	NB_F_RX,
	NB_F_TOTAL,	/* sent + received: no column of its own */
	NB_F_HIST,	/* the sparkline: not sortable */
	NB_F_START,	/* process: start time */
	NB_F_CMDLINE,	/* process: command line */
	NB_F_PEAK,	/* the highest 2 s average of sent + received */
	NB_NFIELDS,
};

struct nb_col {
	const char *title;
	enum nb_field field;
	int width;	/* preferred */
	int min;	/* narrowest */
	int max;	/* widest when spare columns are given out; 0: width */
	int drop;	/* 0: always shown; else dropped first when highest */
	bool right;	/* right-aligned */
	bool cut_left;	/* cut at the start ("+ce/x.service"), for paths */
	bool extra;	/* dropped (with a 'drop') before any column shrinks */
};

/*
 * Widths that fit 'total' screen columns, one space between columns. When
 * the preferred widths do not fit: drop the extra columns, highest 'drop'
 * first, until they do or none is left; then shrink the flexible columns (those with
 * a max) towards their min, the rightmost first, if that is enough; else
 * drop the column with the highest 'drop' and try again; with nothing left
 * to drop, shrink every column towards its min (the caller cuts what still
 * does not fit). Spare columns go to the flexible columns, left to right,
 * up to their max. A dropped column has width 0. Returns the number of
 * columns shown.
 */
int nb_layout_widths(const struct nb_col *cols, int n, int total, int *w);

/* Display width of a UTF-8 string as nb_cell shows it (a control character
 * or a byte that does not decode counts the width of its escape). */
int nb_text_width(const char *s);
/*
 * s cut or padded to exactly width display columns, into buf (NUL
 * terminated). A cut string ends with '+' (or starts with it, cut_left).
 * Control characters and bytes that do not decode show escaped, as
 * text.h says ("\x1b", "\n"): names from other processes cannot move
 * the cursor or retitle the terminal.
 * Returns buf.
 */
char *nb_cell(char *buf, size_t len, const char *s, int width, bool right, bool cut_left);
/* name and a mark (" (exited)") in width columns: the name is cut, not the mark. */
char *nb_cell_marked(char *buf, size_t len, const char *name, const char *mark, int width);

/*
 * A rate (rate true, bytes per second; bits: in bit/s) or a byte count in
 * at most width columns: "1.2 MiB/s" when it fits, then "1.2M/s", "1M/s",
 * "1M", and a cut as the last resort.
 */
char *nb_fmt_fit(char *buf, size_t len, double v, bool rate, bool bits, int width);

/* History of a row's rate (sent + received), oldest first. */
#define NB_HIST 64
struct nb_hist {
	float v[NB_HIST];
	int n;
};
void nb_hist_push(struct nb_hist *h, double v);
/*
 * The last width samples as a sparkline, newest on the right, scaled to
 * their maximum: ' ' for zero, then eight levels "▁▂▃▄▅▆▇█" (utf8) or
 * ".:-=+*#@" (ASCII). Shorter histories are padded on the left.
 */
char *nb_sparkline(char *buf, size_t len, const struct nb_hist *h, int width, bool utf8);

/* One row of a view, copied from the table so a paused screen stays still. */
struct nb_item {
	struct nb_rowkey key;
	uint32_t type;		/* enum nb_row_type */
	uint64_t id;		/* pid, ifindex, cgroup id */
	uint64_t start_ns;	/* process, flow */
	char name[128];		/* comm, ifname, cgroup path, flow local end */
	char remote[64];	/* flow: remote end; cgroup: container */
	char user[32];		/* process */
	char proto[8];		/* flow */
	char cmdline[256];	/* process: the start of its command line */
	double start;		/* process: Unix time it started, 0 unknown */
	double rates[NB_NAVG][2];	/* sent, received: last interval, averages */
	double peak;		/* highest 2 s average, sent + received */
	double tx_rate, rx_rate;	/* the rates shown: one of 'rates' */
	uint64_t tx, rx;
	bool exited;		/* process exited, interface gone */
	struct nb_hist hist;
};

/* Sort by a field; numbers largest first, text A to Z, reverse flips.
 * Ties: busiest first, then most bytes, then id, then name. */
void nb_items_sort(struct nb_item *v, int n, enum nb_field f, bool reverse);
/* True when the field sorts largest first. */
bool nb_field_desc(enum nb_field f);
/* Case-insensitive substring match on name (and remote, user, command
 * line); "" matches all. */
bool nb_item_match(const struct nb_item *it, const char *filter);

/* State top keeps per row (struct nb_row's 'fe'). */
struct nb_rowstate {
	struct nb_hist hist;
	char user[32];		/* "" until read */
	double gone_since;	/* monotonic seconds, 0 while alive */
	struct nb_rates *rates;	/* averages; NULL while idle for 40 s */
	double peak;		/* highest 2 s average, sent + received */
};
/* Free a row state and what it holds (struct nb_table's fe_free). */
void nb_rowstate_free(void *st);

/*
 * The footer: key hints, each with a priority (0 always shown, then 1, 2,
 * ... as room allows), shown in their order two spaces apart within cols
 * display columns (hints are ASCII). Returns buf.
 */
struct nb_key_hint {
	const char *text;
	int prio;
};
char *nb_footer(char *buf, size_t len, const struct nb_key_hint *h, int n, int cols);

#endif
