// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * netbpf top's figures: every interval the collector's table into a
 * snapshot (struct nb_item, layout.h) with each row's own state (history,
 * averages, peak, user, exit time) and the header's totals and cost; then
 * the view's rows, the snapshot filtered and sorted. Pause keeps polling
 * but freezes the snapshot, so keys work on the frozen screen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "cgroup.h"
#include "container.h"
#include "format.h"
#include "top_int.h"

/* netbpf's own cost over the last interval: its CPU, and the run time of
 * its BPF programs where the kernel keeps it */
void top_own_cost(struct top *t, double now)
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
int top_snapshot(struct top *t, double now)
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
int top_snapshot_flows(struct top *t)
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
int top_update(struct top *t)
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
	top_own_cost(t, now);
	/* the collector retires a row after top has stopped showing it */
	t->s.c.linger_s = linger(t) + t->o->interval;
	t->lost = nb_collector_lost(&t->s.c);
	t->skipped = t->s.c.lost_events;
	if (t->paused)
		return 0;
	return top_snapshot(t, now);
}

enum nb_field top_sort_field(const struct top *t)
{
	enum nb_field f = t->sort[t->view];

	/* "busiest" means most bytes when totals come first */
	return f == NB_F_BUSY && t->totals_first ? NB_F_TOTAL : f;
}

int top_build_view(struct top *t)
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
	nb_items_sort(t->rows, t->nrows, top_sort_field(t), t->reverse[t->view]);
	return 0;
}

int top_sel_index(struct top *t)
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
