// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "format.h"
#include "layout.h"
#include "text.h"

/* Take up to excess columns from the shown columns (only the flexible ones,
 * those with a max, when flex_only), rightmost first; returns what is left. */
static int shrink(const struct nb_col *cols, int n, int *w, int excess, bool flex_only)
{
	for (int i = n - 1; i >= 0 && excess > 0; i--) {
		int take = w[i] - cols[i].min;

		if (!w[i] || take <= 0 || (flex_only && !cols[i].max))
			continue;
		if (take > excess)
			take = excess;
		w[i] -= take;
		excess -= take;
	}
	return excess;
}

/* Drop extra columns while the preferred widths do not fit; how many. */
static int drop_extras(const struct nb_col *cols, int n, int total, int *w)
{
	int dropped = 0;

	for (;;) {
		int need = -1, worst = -1;

		for (int i = 0; i < n; i++) {
			need += w[i] ? w[i] + 1 : 0;
			if (w[i] && cols[i].extra && cols[i].drop &&
			    (worst < 0 || cols[i].drop >= cols[worst].drop))
				worst = i;
		}
		if (need <= total || worst < 0)
			return dropped;
		w[worst] = 0;
		dropped++;
	}
}

int nb_layout_widths(const struct nb_col *cols, int n, int total, int *w)
{
	int shown = n, need, spare;

	for (int i = 0; i < n; i++)
		w[i] = cols[i].width;
	shown -= drop_extras(cols, n, total, w);
	for (;;) {
		int slack = 0, worst = -1;

		need = shown > 1 ? shown - 1 : 0;
		for (int i = 0; i < n; i++) {
			need += w[i];
			if (w[i] && cols[i].max)
				slack += w[i] - cols[i].min;
		}
		if (need <= total)
			break;
		if (need - slack <= total) {
			need = total + shrink(cols, n, w, need - total, true);
			break;
		}
		for (int i = 0; i < n; i++)
			if (w[i] && cols[i].drop && (worst < 0 || cols[i].drop >= cols[worst].drop))
				worst = i;
		if (worst < 0) {
			/* nothing left to drop: shrink the flexible columns, then
			 * the others; what still does not fit is cut at the edge */
			int excess = shrink(cols, n, w, need - total, true);

			need = total + shrink(cols, n, w, excess, false);
			break;
		}
		w[worst] = 0;
		shown--;
	}
	spare = total - need;
	for (int i = 0; i < n && spare > 0; i++) {
		int give;

		if (!w[i] || cols[i].max <= w[i])
			continue;
		give = cols[i].max - w[i];
		if (give > spare)
			give = spare;
		w[i] += give;
		spare -= give;
	}
	return shown;
}

/* One character of s: its length in bytes, how it is shown (the character,
 * or the escape text.h gives a control character or an invalid byte) and
 * its display width. */
static int next_char(const char *s, int *width, char *shown, int *shown_len)
{
	uint32_t cp;
	int len = nb_utf8_next(s, &cp);

	*shown_len = nb_text_spell(shown, s, len, cp);
	if (cp == NB_TEXT_BAD || nb_text_control(cp)) {
		*width = *shown_len;	/* ASCII: one column a byte */
		return len;
	}
	*width = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
	if (*width < 0)	/* not printable here (a C locale, say) */
		*width = 1;
	return len;
}

int nb_text_width(const char *s)
{
	int total = 0, w, sl;
	char sh[NB_TEXT_SPELL_MAX];

	while (*s) {
		s += next_char(s, &w, sh, &sl);
		total += w;
	}
	return total;
}

struct out {
	char *buf;
	size_t len, used;
	bool full;
};

/* All of s or, once the buffer is full, nothing: never half a character. */
static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->used + n >= o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->used, s, n);
	o->used += n;
	o->buf[o->used] = '\0';
}

static void pad(struct out *o, int n)
{
	while (n-- > 0)
		put(o, " ", 1);
}

/* Copy the characters of s that fit in width columns; returns the columns
 * used. */
static int copy_chars(struct out *o, const char *s, int width)
{
	int used = 0, w, sl;
	char sh[NB_TEXT_SPELL_MAX];

	while (*s) {
		int len = next_char(s, &w, sh, &sl);

		if (used + w > width)
			break;
		put(o, sh, sl);
		used += w;
		s += len;
	}
	return used;
}

char *nb_cell(char *buf, size_t len, const char *s, int width, bool right, bool cut_left)
{
	struct out o = { buf, len, 0, false };
	int tw = nb_text_width(s);

	if (!len)
		return buf;
	buf[0] = '\0';
	if (width <= 0)
		return buf;
	if (tw <= width) {
		if (right)
			pad(&o, width - tw);
		copy_chars(&o, s, tw);
		if (!right)
			pad(&o, width - tw);
		return buf;
	}
	if (cut_left) {
		/* skip characters until the rest fits in width - 1 */
		int w, sl, skip = tw - (width - 1);
		char sh[NB_TEXT_SPELL_MAX];

		while (*s && skip > 0) {
			int n = next_char(s, &w, sh, &sl);

			skip -= w;
			s += n;
		}
		put(&o, "+", 1);
		pad(&o, -skip);	/* a wide character was split */
		copy_chars(&o, s, width - 1 + skip);
		return buf;
	}
	pad(&o, width - 1 - copy_chars(&o, s, width - 1));
	put(&o, "+", 1);
	return buf;
}

char *nb_cell_marked(char *buf, size_t len, const char *name, const char *mark, int width)
{
	int mw = nb_text_width(mark);
	char tmp[256];

	if (!*mark || mw >= width - 1)
		return nb_cell(buf, len, name, width, false, false);
	if (nb_text_width(name) + mw <= width) {
		snprintf(tmp, sizeof(tmp), "%s%s", name, mark);
		return nb_cell(buf, len, tmp, width, false, false);
	}
	nb_cell(tmp, sizeof(tmp), name, width - mw, false, false);
	snprintf(buf, len, "%s%s", tmp, mark);
	return buf;
}

char *nb_fmt_fit(char *buf, size_t len, double v, bool rate, bool bits, int width)
{
	static const char *const bytes_u[] = { "B", "K", "M", "G", "T", "P" };
	static const char *const bits_u[] = { "b", "k", "M", "G", "T", "P" };
	const char *const *units = rate && bits ? bits_u : bytes_u;
	double step = rate && bits ? 1000 : 1024;
	const char *suffix = rate ? "/s" : "";
	char tmp[64];
	int u = 0;

	if (rate)
		nb_fmt_rate(tmp, sizeof(tmp), v, bits);
	else
		nb_fmt_bytes(tmp, sizeof(tmp), v);
	if ((int)strlen(tmp) <= width)
		return nb_cell(buf, len, tmp, width, true, false);
	/* the same scale as format.c, in letters */
	if (rate && bits)
		v *= 8;
	if (v < 0)
		v = 0;
	while (v >= step && u < 5) {
		v /= step;
		u++;
	}
	if (u && u < 5 && v >= step - 0.05) {
		v /= step;
		u++;
	}
	snprintf(tmp, sizeof(tmp), u ? "%.1f%s%s" : "%.0f%s%s", v, units[u], suffix);
	if ((int)strlen(tmp) > width)
		snprintf(tmp, sizeof(tmp), "%.0f%s%s", v, units[u], suffix);
	if ((int)strlen(tmp) > width)
		snprintf(tmp, sizeof(tmp), "%.0f%s", v, units[u]);
	return nb_cell(buf, len, tmp, width, true, false);
}

void nb_hist_push(struct nb_hist *h, double v)
{
	if (h->n == NB_HIST) {
		memmove(h->v, h->v + 1, (NB_HIST - 1) * sizeof(h->v[0]));
		h->n--;
	}
	h->v[h->n++] = v > 0 ? (float)v : 0;
}

char *nb_sparkline(char *buf, size_t len, const struct nb_hist *h, int width, bool utf8)
{
	static const char *const blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = ".:-=+*#@";
	struct out o = { buf, len, 0, false };
	int n = h->n < width ? h->n : width, first = h->n - n;
	float max = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (width <= 0)
		return buf;
	for (int i = first; i < h->n; i++)
		if (h->v[i] > max)
			max = h->v[i];
	pad(&o, width - n);
	for (int i = first; i < h->n; i++) {
		int level;

		if (h->v[i] <= 0 || max <= 0) {
			put(&o, " ", 1);
			continue;
		}
		level = (int)(h->v[i] / max * 8 + 0.999) - 1;
		if (level < 0)
			level = 0;
		if (level > 7)
			level = 7;
		if (utf8)
			put(&o, blocks[level], strlen(blocks[level]));
		else
			put(&o, &ascii[level], 1);
	}
	return buf;
}

bool nb_field_desc(enum nb_field f)
{
	switch (f) {
	case NB_F_BUSY: case NB_F_TX_RATE: case NB_F_RX_RATE: case NB_F_TX: case NB_F_RX:
	case NB_F_TOTAL: case NB_F_PEAK:
		return true;
	default:
		return false;
	}
}

static int num_cmp(double a, double b)
{
	return a < b ? -1 : a > b;
}

struct sort_ctx {
	enum nb_field f;
	bool reverse;
};

static int item_cmp(const void *pa, const void *pb, void *arg)
{
	const struct nb_item *a = pa, *b = pb;
	const struct sort_ctx *ctx = arg;
	int c;

	switch (ctx->f) {
	case NB_F_ID:      c = num_cmp(a->id, b->id); break;
	case NB_F_USER:    c = strcmp(a->user, b->user); break;
	case NB_F_NAME:    c = strcmp(a->name, b->name); break;
	case NB_F_REMOTE:  c = strcmp(a->remote, b->remote); break;
	case NB_F_PROTO:   c = strcmp(a->proto, b->proto); break;
	case NB_F_TX_RATE: c = num_cmp(a->tx_rate, b->tx_rate); break;
	case NB_F_RX_RATE: c = num_cmp(a->rx_rate, b->rx_rate); break;
	case NB_F_TX:      c = num_cmp(a->tx, b->tx); break;
	case NB_F_RX:      c = num_cmp(a->rx, b->rx); break;
	case NB_F_TOTAL:   c = num_cmp(a->tx + a->rx, b->tx + b->rx); break;
	case NB_F_START:   c = num_cmp(a->start, b->start); break;
	case NB_F_CMDLINE: c = strcmp(a->cmdline, b->cmdline); break;
	case NB_F_PEAK:    c = num_cmp(a->peak, b->peak); break;
	default:           c = num_cmp(a->tx_rate + a->rx_rate, b->tx_rate + b->rx_rate); break;
	}
	if (nb_field_desc(ctx->f))
		c = -c;
	if (ctx->reverse)
		c = -c;
	if (c)
		return c;
	if ((c = num_cmp(b->tx_rate + b->rx_rate, a->tx_rate + a->rx_rate)))
		return c;
	if ((c = num_cmp(b->tx + b->rx, a->tx + a->rx)))
		return c;
	if ((c = num_cmp(a->id, b->id)))
		return c;
	if ((c = strcmp(a->name, b->name)))
		return c;
	if ((c = strcmp(a->remote, b->remote)))
		return c;
	return num_cmp(a->start_ns, b->start_ns);
}

void nb_items_sort(struct nb_item *v, int n, enum nb_field f, bool reverse)
{
	struct sort_ctx ctx = { f, reverse };

	if (n > 1)
		qsort_r(v, n, sizeof(*v), item_cmp, &ctx);
}

bool nb_item_match(const struct nb_item *it, const char *filter)
{
	return !*filter || strcasestr(it->name, filter) || strcasestr(it->remote, filter) ||
	       strcasestr(it->user, filter) || strcasestr(it->cmdline, filter);
}

void nb_rowstate_free(void *p)
{
	struct nb_rowstate *st = p;

	if (st)
		free(st->rates);
	free(st);
}

char *nb_footer(char *buf, size_t len, const struct nb_key_hint *h, int n, int cols)
{
	int used = -2, maxprio = 0, keep = 0;
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		if (h[i].prio > maxprio)
			maxprio = h[i].prio;
	/* the priorities that fit, best first: used is the width so far */
	for (int p = 0; p <= maxprio; p++) {
		int add = 0;

		for (int i = 0; i < n; i++)
			if (h[i].prio == p)
				add += 2 + (int)strlen(h[i].text);
		if (p && used + add > cols)
			break;
		used += add;
		keep = p;
	}
	for (int i = 0; i < n && at < len; i++)
		if (h[i].prio <= keep)
			at += snprintf(buf + at, len - at, "%s%s", at ? "  " : "", h[i].text);
	return buf;
}

