// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf top: the live full-screen view. Runs the session loop of
 * session.h like trace does; every interval it reads the collector's
 * table into a snapshot (struct nb_item, layout.h) and draws it with
 * ncursesw. Pause keeps polling (counters, histories and the freeing of
 * exited processes' map entries go on) but freezes the snapshot, so keys
 * (sort, views, filter) work on the frozen screen.
 *
 * While the screen is up, stderr goes to a temporary file that is copied
 * back to the real stderr once the terminal is restored, so a message
 * (libbpf's, or a read error) does not scribble over the screen and is not
 * lost with the alternate screen.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "container.h"
#include "format.h"
#include "layout.h"
#include "session.h"
#include "top.h"

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
	uint64_t sent, received, lost;
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

static struct top *active;	/* for the atexit restore */

/* ---- the screen ---- */


/* stderr into a temporary file while the screen is up */
static void stderr_capture(struct top *t)
{
	t->saved_stderr = -1;
	fflush(stderr);
	t->errlog = tmpfile();
	if (!t->errlog)
		return;
	t->saved_stderr = dup(STDERR_FILENO);
	if (t->saved_stderr < 0 || dup2(fileno(t->errlog), STDERR_FILENO) < 0) {
		if (t->saved_stderr >= 0)
			close(t->saved_stderr);
		t->saved_stderr = -1;
		fclose(t->errlog);
		t->errlog = NULL;
	}
}

static void stderr_release(struct top *t)
{
	char buf[4096];
	size_t n;

	if (!t->errlog)
		return;
	fflush(stderr);
	dup2(t->saved_stderr, STDERR_FILENO);
	close(t->saved_stderr);
	rewind(t->errlog);
	while ((n = fread(buf, 1, sizeof(buf), t->errlog)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(t->errlog);
	t->errlog = NULL;
}

/* atexit: an exit() from anywhere still restores the terminal */
static void screen_restore(void)
{
	if (active && active->curses) {
		endwin();
		active->curses = false;
	}
	if (active)
		stderr_release(active);
}

static int screen_start(struct top *t)
{
	SCREEN *scr;

	stderr_capture(t);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		stderr_release(t);
		fprintf(stderr, "netbpf: cannot start the full-screen view on terminal type '%s' (hint: set TERM, or use netbpf trace)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	t->curses = true;
	active = t;
	atexit(screen_restore);
	cbreak();	/* Ctrl-C still sends SIGINT: the session handles it */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_BLACK, COLOR_GREEN);	/* column titles */
		init_pair(2, COLOR_BLACK, COLOR_CYAN);	/* selected row */
	}
	return 0;
}

static void screen_end(struct top *t)
{
	if (t->curses) {
		endwin();
		t->curses = false;
	}
	stderr_release(t);
}

/* ---- reading the table ---- */

/* netbpf's own cost over the last interval: its CPU, and the run time of
 * its BPF programs where the kernel keeps it */
static void own_cost(struct top *t, double now)
{
	struct rusage ru;
	double cpu_s, span = now - t->last_mono;
	uint64_t time = 0, cnt = 0;
	const struct nb_prog_stat *progs;
	int nprogs;

	getrusage(RUSAGE_SELF, &ru);
	cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (span > 0 && t->last_mono > 0)
		t->cpu = (cpu_s - t->last_cpu_s) / span * 100;
	t->last_cpu_s = cpu_s;

	progs = nb_collector_progs(&t->s.c, &nprogs);
	t->bpf_on = progs != NULL;
	if (t->bpf_on) {
		for (int i = 0; i < nprogs; i++) {
			time += progs[i].run_time_ns;
			cnt += progs[i].run_cnt;
		}
		if (t->bpf_prev && span > 0 && time >= t->bpf_time && cnt >= t->bpf_cnt) {
			t->bpf_pct = (time - t->bpf_time) / 1e9 / span * 100;
			t->bpf_ns = cnt > t->bpf_cnt ?
				(double)(time - t->bpf_time) / (cnt - t->bpf_cnt) : 0;
		}
		t->bpf_time = time;
		t->bpf_cnt = cnt;
	}
	t->bpf_prev = t->bpf_on;
	t->last_mono = now;
}

/* top's own state of a row, kept with the row and freed with it when the
 * collector retires the row. */
static struct nb_rowstate *row_state(const struct nb_row *r)
{
	struct nb_row *w = (struct nb_row *)r;

	if (!w->fe)
		w->fe = calloc(1, sizeof(struct nb_rowstate));
	return w->fe;
}

/* How long exited processes and gone interfaces stay on the screen. */
static double linger(const struct top *t)
{
	double l = t->o->interval * LINGER_INTERVALS;

	return l < LINGER_S ? LINGER_S : l;
}

static bool lingered_out(const struct top *t, const struct nb_rowstate *st, double now)
{
	return st->gone_since > 0 && now - st->gone_since > linger(t);
}

/* Room for 'need' items; after a burst (thousands of processes exited at
 * once) the array shrinks back, so top's memory follows what is shown. */
static int grow_items(struct nb_item **v, int *cap, int need)
{
	struct nb_item *p;
	int cap2;

	if (need <= *cap) {
		if (*cap <= 256 || need * 4 > *cap)
			return 0;
		p = realloc(*v, (*cap / 2) * sizeof(*p));
		if (p) {
			*v = p;
			*cap /= 2;
		}
		return 0;
	}
	cap2 = *cap ? *cap : 64;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(*v, cap2 * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = cap2;
	return 0;
}

/* A host pair: the interface in 'user' (the INTERFACE column), the local
 * address in 'name', the remote one's name (its address while none is
 * known) in 'remote'. */
static void host_item(struct nb_item *it, const struct nb_row *r)
{
	it->id = r->ifindex;
	snprintf(it->user, sizeof(it->user), "%s", r->ifname);
	nb_fmt_ip(it->name, sizeof(it->name), r->family, r->laddr);
	if (r->host_name && *r->host_name)
		snprintf(it->remote, sizeof(it->remote), "%s", r->host_name);
	else if (r->rport)
		nb_fmt_endpoint(it->remote, sizeof(it->remote), r->family, r->raddr, r->rport);
	else
		nb_fmt_ip(it->remote, sizeof(it->remote), r->family, r->raddr);
}

/* The rates of a row: the last interval's, then the averages. */
static void fill_rates(const struct top *t, struct nb_item *it, const struct nb_row *r,
		       const struct nb_rowstate *st)
{
	it->rates[NB_AVG_LAST][0] = r->tx_rate;
	it->rates[NB_AVG_LAST][1] = r->rx_rate;
	for (int w = NB_AVG_2S; w < NB_NAVG; w++)
		for (int d = 0; d < 2; d++)
			it->rates[w][d] = nb_rates_avg(&t->clock, st->rates, w, d);
	it->peak = st->peak;
	it->tx_rate = it->rates[t->avg][0];
	it->rx_rate = it->rates[t->avg][1];
}

static void fill_item(const struct top *t, struct nb_item *it, const struct nb_row *r,
		      const struct nb_rowstate *st)
{
	memset(it, 0, sizeof(*it));
	it->key = r->key;
	it->type = r->key.type;
	fill_rates(t, it, r, st);
	it->tx = r->cur.tx_bytes;
	it->rx = r->cur.rx_bytes;
	it->exited = r->exited;
	it->hist = st->hist;
	switch (r->key.type) {
	case NB_ROW_PROCESS:
		it->id = r->pid;
		it->start_ns = r->start_ns;
		snprintf(it->name, sizeof(it->name), "%s", r->comm);
		snprintf(it->user, sizeof(it->user), "%s", st->user);
		it->start = nb_start_time(&t->s.c, r->start_ns);
		/* ps's way: [comm] when there is no command line */
		if (r->cmdline && *r->cmdline)
			snprintf(it->cmdline, sizeof(it->cmdline), "%s", r->cmdline);
		else
			snprintf(it->cmdline, sizeof(it->cmdline), "[%s]", r->comm);
		break;
	case NB_ROW_IFACE:
		it->id = r->ifindex;
		snprintf(it->name, sizeof(it->name), "%s", r->ifname);
		/* the container on the other side of a veth */
		snprintf(it->remote, sizeof(it->remote), "%.63s", r->ctr_name ? r->ctr_name : "");
		break;
	case NB_ROW_CGROUP: {
		const char *path = nb_cgroup_path(r->cgroup_id);
		struct nb_container ct;

		it->id = r->cgroup_id;
		if (*path)
			snprintf(it->name, sizeof(it->name), "%s", path);
		else
			snprintf(it->name, sizeof(it->name), "cgroup %llu",
				 (unsigned long long)r->cgroup_id);
		/* the container's name (its short id when not found), or the
		 * systemd unit's; a pod's container as POD/NAME */
		nb_container_lookup(path, &ct);
		if (*ct.pod)
			snprintf(it->remote, sizeof(it->remote), "%.31s/%.31s", ct.pod, ct.name);
		else
			snprintf(it->remote, sizeof(it->remote), "%.63s", ct.name);
		break;
	}
	case NB_ROW_FLOW:
		it->id = r->pid;
		it->start_ns = r->start_ns;
		nb_fmt_endpoint(it->name, sizeof(it->name), r->family, r->laddr, r->lport);
		nb_fmt_endpoint(it->remote, sizeof(it->remote), r->family, r->raddr, r->rport);
		snprintf(it->proto, sizeof(it->proto), "%s",
			 r->proto < NB_NPROTO ? nb_proto_names[r->proto] : "other");
		break;
	case NB_ROW_HOST:
		host_item(it, r);
		break;
	}
}

/* Add one row to the snapshot unless it has been gone for long enough. */
static int snap_add(struct top *t, const struct nb_row *r, double now)
{
	struct nb_rowstate *st = row_state(r);

	if (!st)
		return -ENOMEM;
	if (!lingered_out(t, st, now))
		fill_item(t, &t->snap[t->nsnap++], r, st);
	return 0;
}

static bool flow_shown(const struct top *t, const struct nb_row *r)
{
	return t->view == V_FLOW && r->pid == t->flow_of.id && r->start_ns == t->flow_of.start_ns;
}

/* Copy the table into the snapshot: processes and cgroups that moved bytes,
 * every interface, the exited and gone ones for a while; flows only of the
 * process whose flows are shown (there can be very many). */
static int snapshot(struct top *t, double now)
{
	const struct nb_table *tab = &t->s.c.table;
	struct nb_counts cum, delta;

	t->nsnap = t->nflows = 0;
	if (grow_items(&t->snap, &t->snapcap, tab->nrows ? tab->nrows : 1))
		return -ENOMEM;
	for (uint32_t i = 0; i < tab->nrows; i++) {
		const struct nb_row *r = tab->rows[i];

		if (r->key.type >= NB_ROW_TOTAL)
			continue;
		if (r->key.type != NB_ROW_IFACE && !r->cur.tx_bytes && !r->cur.rx_bytes)
			continue;
		t->nflows += r->key.type == NB_ROW_FLOW;
		if (r->key.type == NB_ROW_FLOW && !flow_shown(t, r))
			continue;
		if (snap_add(t, r, now))
			return -ENOMEM;
	}
	/* the total is the sum over the interfaces, as in trace */
	nb_table_sum(tab, NB_ROW_IFACE, &cum, &delta);
	t->up[NB_AVG_LAST] = nb_rate(delta.tx_bytes, t->s.c.interval_s);
	t->down[NB_AVG_LAST] = nb_rate(delta.rx_bytes, t->s.c.interval_s);
	for (int w = NB_AVG_2S; w < NB_NAVG; w++) {
		t->up[w] = nb_rates_avg(&t->clock, &t->total, w, 0);
		t->down[w] = nb_rates_avg(&t->clock, &t->total, w, 1);
	}
	t->peak_up = t->total_peak[0];
	t->peak_down = t->total_peak[1];
	t->sent = cum.tx_bytes;
	t->received = cum.rx_bytes;
	return 0;
}

/* Entering the flows of a process: its flows as of the last poll, even on
 * a paused screen. */
static int snapshot_flows(struct top *t)
{
	const struct nb_table *tab = &t->s.c.table;
	double now = nb_mono_now();
	int n = 0;

	for (int i = 0; i < t->nsnap; i++)
		if (t->snap[i].type != NB_ROW_FLOW)
			t->snap[n++] = t->snap[i];
	t->nsnap = n;
	if (grow_items(&t->snap, &t->snapcap, t->nsnap + tab->nrows + 1))
		return -ENOMEM;
	for (uint32_t i = 0; i < tab->nrows; i++) {
		const struct nb_row *r = tab->rows[i];

		if (r->key.type == NB_ROW_FLOW && (r->cur.tx_bytes || r->cur.rx_bytes) &&
		    flow_shown(t, r) && snap_add(t, r, now))
			return -ENOMEM;
	}
	return 0;
}

/* A row's averages and peak after this interval's bytes. The averages'
 * ring is made at the row's first bytes and freed after 40 idle seconds,
 * so top's memory follows the rows that move. */
static int row_rates(const struct top *t, struct nb_rowstate *st, uint64_t tx, uint64_t rx)
{
	double two;

	if (!st->rates && (tx || rx)) {
		st->rates = calloc(1, sizeof(*st->rates));
		if (!st->rates)
			return -ENOMEM;
	}
	if (!st->rates)
		return 0;
	nb_rates_add(&t->clock, st->rates, tx, rx);
	two = nb_rates_avg(&t->clock, st->rates, NB_AVG_2S, 0) +
	      nb_rates_avg(&t->clock, st->rates, NB_AVG_2S, 1);
	if (two > st->peak)
		st->peak = two;
	if (nb_rates_idle(st->rates)) {
		free(st->rates);
		st->rates = NULL;
	}
	return 0;
}

/* The header's averages and peaks: the interfaces' sum. */
static void total_rates(struct top *t)
{
	struct nb_counts cum, delta;

	nb_table_sum(&t->s.c.table, NB_ROW_IFACE, &cum, &delta);
	nb_rates_add(&t->clock, &t->total, delta.tx_bytes, delta.rx_bytes);
	for (int d = 0; d < 2; d++) {
		double two = nb_rates_avg(&t->clock, &t->total, NB_AVG_2S, d);

		if (two > t->total_peak[d])
			t->total_peak[d] = two;
	}
}

/* After a poll: histories, averages, owners, exit times; then the snapshot. */
static int update(struct top *t)
{
	const struct nb_table *tab = &t->s.c.table;
	double now = nb_mono_now();

	nb_rate_clock_step(&t->clock, t->s.c.interval_s);
	total_rates(t);
	for (uint32_t i = 0; i < tab->nrows; i++) {
		const struct nb_row *r = tab->rows[i];
		struct nb_rowstate *st;

		if (r->key.type >= NB_ROW_TOTAL)
			continue;
		st = row_state(r);
		if (!st)
			return -ENOMEM;
		nb_hist_push(&st->hist, r->tx_rate + r->rx_rate);
		if (row_rates(t, st, r->delta.tx_bytes, r->delta.rx_bytes))
			return -ENOMEM;
		if (r->exited && !st->gone_since)
			st->gone_since = now;
		if (r->key.type == NB_ROW_PROCESS && !st->user[0])
			nb_user_name(r->uid, st->user, sizeof(st->user));
	}
	own_cost(t, now);
	/* the collector retires a row after top has stopped showing it */
	t->s.c.linger_s = linger(t) + t->o->interval;
	t->lost = nb_collector_lost(&t->s.c);
	if (t->paused)
		return 0;
	return snapshot(t, now);
}

/* ---- the view ---- */

static enum nb_field sort_field(const struct top *t)
{
	enum nb_field f = t->sort[t->view];

	/* "busiest" means most bytes when totals come first */
	return f == NB_F_BUSY && t->totals_first ? NB_F_TOTAL : f;
}

static int build_view(struct top *t)
{
	uint32_t type = t->view == V_PROC ? NB_ROW_PROCESS : t->view == V_IFACE ? NB_ROW_IFACE :
			t->view == V_CGROUP ? NB_ROW_CGROUP : t->view == V_HOST ? NB_ROW_HOST :
			NB_ROW_FLOW;

	if (grow_items(&t->rows, &t->rowscap, t->nsnap ? t->nsnap : 1))
		return -ENOMEM;
	t->nrows = 0;
	for (int i = 0; i < t->nsnap; i++) {
		const struct nb_item *it = &t->snap[i];

		if (it->type != type)
			continue;
		if (t->view == V_FLOW && (it->id != t->flow_of.id ||
					  it->start_ns != t->flow_of.start_ns))
			continue;
		if (!nb_item_match(it, t->filter[t->view]))
			continue;
		t->rows[t->nrows] = *it;
		/* the rate chosen now, also on a paused screen */
		t->rows[t->nrows].tx_rate = it->rates[t->avg][0];
		t->rows[t->nrows].rx_rate = it->rates[t->avg][1];
		t->nrows++;
	}
	nb_items_sort(t->rows, t->nrows, sort_field(t), t->reverse[t->view]);
	return 0;
}

static int add_col(struct nb_col *c, int n, const char *title, enum nb_field f, int width,
		   int min, int max, int drop, bool right)
{
	c[n] = (struct nb_col){ title, f, width, min, max, drop, right, false, false };
	return n + 1;
}

/* The columns of the current view; rates before totals or after. */
static int view_cols(const struct top *t, struct nb_col *c)
{
	bool rates = !t->totals_first;
	int n = 0;

	switch (t->view) {
	case V_PROC:
		/* narrow screens drop PEAK/s, HISTORY, the totals, then
		 * CMDLINE, START and USER */
		n = add_col(c, n, "PID", NB_F_ID, 7, 7, 0, 0, true);
		n = add_col(c, n, "USER", NB_F_USER, 8, 4, 0, 1, false);
		n = add_col(c, n, "START", NB_F_START, 8, 8, 0, 2, false);
		n = add_col(c, n, "COMMAND", NB_F_NAME, 16, 7, 24, 0, false);
		break;
	case V_IFACE:
		n = add_col(c, n, "IFINDEX", NB_F_ID, 7, 4, 0, 3, true);
		n = add_col(c, n, "INTERFACE", NB_F_NAME, 16, 6, 22, 0, false);
		n = add_col(c, n, "CONTAINER", NB_F_REMOTE, 16, 9, 40, 6, false);
		break;
	case V_CGROUP:
		n = add_col(c, n, "CGROUP", NB_F_NAME, 30, 10, 80, 0, false);
		c[n - 1].cut_left = true;
		n = add_col(c, n, "CONTAINER", NB_F_REMOTE, 20, 9, 40, 6, false);
		break;
	case V_FLOW:
		n = add_col(c, n, "PROTO", NB_F_PROTO, 6, 3, 0, 3, false);
		n = add_col(c, n, "LOCAL", NB_F_NAME, 22, 9, 47, 0, false);
		n = add_col(c, n, "REMOTE", NB_F_REMOTE, 22, 9, 47, 0, false);
		break;
	case V_HOST:	/* iftop's: interface, this host, the other one */
		n = add_col(c, n, "INTERFACE", NB_F_USER, 10, 4, 16, 3, false);
		n = add_col(c, n, "LOCAL", NB_F_NAME, 22, 7, 39, 0, false);
		n = add_col(c, n, "REMOTE", NB_F_REMOTE, 26, 7, 64, 0, false);
		break;
	default:
		break;
	}
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
	int n = view_cols(t, c);

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

static void draw_row(const struct top *t, const struct nb_item *it, const struct nb_col *c,
		     const int *w, int n, char *line, size_t len)
{
	size_t used = 0;

	line[0] = '\0';
	for (int i = 0; i < n; i++) {
		char cell[MAX_COLS * 4 + 1], num[64];
		const char *mark = "";

		if (!w[i])
			continue;
		if (it->exited)
			mark = it->type == NB_ROW_IFACE ? " (gone)" : " (exited)";
		switch (c[i].field) {
		case NB_F_ID:
			snprintf(num, sizeof(num), "%llu", (unsigned long long)it->id);
			nb_cell(cell, sizeof(cell), num, w[i], true, false);
			break;
		case NB_F_USER:
			nb_cell(cell, sizeof(cell), it->user[0] ? it->user : "?", w[i], false, false);
			break;
		case NB_F_NAME:
			if (c[i].cut_left)
				nb_cell(cell, sizeof(cell), it->name, w[i], false, true);
			else
				nb_cell_marked(cell, sizeof(cell), it->name,
					       it->type == NB_ROW_FLOW ? "" : mark, w[i]);
			break;
		case NB_F_REMOTE:
			nb_cell(cell, sizeof(cell), it->remote, w[i], false, false);
			break;
		case NB_F_PROTO:
			nb_cell(cell, sizeof(cell), it->proto, w[i], false, false);
			break;
		case NB_F_TX_RATE:
			nb_fmt_fit(cell, sizeof(cell), it->tx_rate, true, t->bits, w[i]);
			break;
		case NB_F_RX_RATE:
			nb_fmt_fit(cell, sizeof(cell), it->rx_rate, true, t->bits, w[i]);
			break;
		case NB_F_TX:
			nb_fmt_fit(cell, sizeof(cell), it->tx, false, false, w[i]);
			break;
		case NB_F_RX:
			nb_fmt_fit(cell, sizeof(cell), it->rx, false, false, w[i]);
			break;
		case NB_F_HIST:
			nb_sparkline(cell, sizeof(cell), &it->hist, w[i], t->utf8);
			break;
		case NB_F_START:
			nb_fmt_start(num, sizeof(num), it->start, t->s.c.ts);
			nb_cell(cell, sizeof(cell), num, w[i], false, false);
			break;
		case NB_F_CMDLINE:
			nb_cell(cell, sizeof(cell), it->cmdline, w[i], false, false);
			break;
		case NB_F_PEAK:
			nb_fmt_fit(cell, sizeof(cell), it->peak, true, t->bits, w[i]);
			break;
		default:
			cell[0] = '\0';
		}
		used += snprintf(line + used, used < len ? len - used : 0, "%s%s",
				 used ? " " : "", cell);
		if (used >= len)
			break;
	}
}

static void draw_titles(const struct top *t, const struct nb_col *c, const int *w, int n,
			char *line, size_t len)
{
	enum nb_field f = sort_field(t);
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

static int sel_index(struct top *t)
{
	for (int i = 0; t->has_sel && i < t->nrows; i++)
		if (!memcmp(&t->rows[i].key, &t->sel, sizeof(t->sel)))
			return i;
	if (!t->nrows)
		return -1;
	t->sel = t->rows[0].key;
	t->has_sel = true;
	return 0;
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
		n += snprintf(line + n, len - n, "   %llu updates lost (map full or skipped)",
			      (unsigned long long)t->lost);
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
		      nb_field_desc(sort_field(t)) != t->reverse[t->view] ? "desc" : "asc");
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
	int body = lines - HEAD_LINES - 1, sel = sel_index(t);

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

static void draw(struct top *t)
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
	n = view_cols(t, c);
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

/* ---- keys ---- */

static void sort_step(struct top *t, int dir)
{
	struct nb_col c[MAX_FIELDS];
	enum nb_field order[MAX_FIELDS + 1];
	int n = view_cols(t, c), m = 0, at = 0;

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
	int sel = sel_index(t), body = LINES - HEAD_LINES - 1;

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
static bool key(struct top *t, int ch)
{
	int sel = sel_index(t);

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
			snapshot_flows(t);	/* out of memory: fewer rows */
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
			snapshot(t, nb_mono_now());
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

static void resize(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

/* ---- the loop ---- */

/* ---- the run loop's callbacks ---- */

#define NB_RUN_NOMEM 3	/* an exit status of ours: out of memory */

static int redraw(struct top *t)
{
	if (build_view(t))
		return NB_RUN_NOMEM;
	draw(t);
	return 0;
}

static int top_interval(void *ctx, const struct nb_collector *c)
{
	struct top *t = ctx;

	(void)c;	/* t->s.c: update() and snapshot() read its table */
	if (update(t))
		return NB_RUN_NOMEM;
	return redraw(t);
}

static int top_input(void *ctx)
{
	struct top *t = ctx;
	int ch, nkeys = 0;

	/* KEY_RESIZE is resizeterm()'s own echo of a resize handled already
	 * (top_resize): nothing to do */
	while ((ch = getch()) != ERR) {
		nkeys++;
		if (ch != KEY_RESIZE && key(t, ch))
			return NB_RUN_STOP;
	}
	/* readable without keys, again and again: the terminal hung up
	 * (under nohup, say); stop reading it */
	t->idle_wakes = nkeys ? 0 : t->idle_wakes + 1;
	if (t->idle_wakes > 100)
		t->fe.fd = -1;
	return redraw(t);
}

static void top_resize(void *ctx)
{
	resize();
	redraw(ctx);
}

int nb_top_run(const struct nb_opts *o)
{
	struct top *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		fprintf(stderr, "netbpf: out of memory\n");
		return 1;
	}
	ret = nb_session_open(&t->s, o);
	if (ret) {
		free(t);
		return ret;
	}
	t->o = o;
	t->bits = o->bits;
	t->s.c.table.fe_free = nb_rowstate_free;
	nb_rate_clock_init(&t->clock, o->interval);
	t->view = o->by & NB_BY(NB_ROW_PROCESS) ? V_PROC :
		  o->by & NB_BY(NB_ROW_IFACE) ? V_IFACE :
		  o->by & NB_BY(NB_ROW_CGROUP) ? V_CGROUP :
		  o->by & NB_BY(NB_ROW_HOST) ? V_HOST : V_PROC;
	setlocale(LC_ALL, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	ret = screen_start(t);
	if (ret)
		goto out;
	own_cost(t, nb_mono_now());
	if (build_view(t))
		goto nomem;
	draw(t);
	t->fe = (struct nb_frontend){
		.ctx = t, .fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1,
		.interval = top_interval, .input = top_input, .resize = top_resize,
	};
	ret = nb_session_run(&t->s, &t->fe);
	if (ret == NB_RUN_NOMEM)
		goto nomem;
	screen_end(t);
	if (t->lost)
		fprintf(stderr, "netbpf: warning: %llu updates lost (a map was full, or events the kernel skipped) (hint: fewer processes or interfaces, or --pid)\n",
			(unsigned long long)t->lost);
	goto out;
nomem:
	screen_end(t);
	fprintf(stderr, "netbpf: out of memory\n");
	ret = 1;
out:
	active = NULL;
	nb_session_close(&t->s);
	free(t->snap);
	free(t->rows);
	free(t);
	return ret;
}
