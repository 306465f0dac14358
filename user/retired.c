// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rows that end (an exited process, a removed cgroup, an evicted flow, a
 * gone interface, an idle host pair): marked, shown for linger_s, then
 * retired from the table. trace keeps a compact copy of each for its
 * summary (struct nb_retired, bounded) and puts them back at exit.
 */
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "collector.h"
#include "collector_int.h"

void nb_row_ended(struct nb_row *r, double now)
{
	if (!r->ended_at)
		r->ended_at = now;
	r->exited = true;
}

/* A retired process's command line: its first NB_RETIRED_CMDLINE - 1
 * bytes (cut on a character boundary), while all of them together stay
 * within retired_cmd_max bytes; NULL past that (the summary shows ""). */
static char *retired_cmdline(struct nb_collector *c, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *k;

	if (!n)
		return NULL;
	if (n >= NB_RETIRED_CMDLINE) {
		n = NB_RETIRED_CMDLINE - 1;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;	/* s[n] continues a character: cut before it */
	}
	if (c->retired_cmd_bytes + n + 1 > c->retired_cmd_max) {
		c->retired_cmd_lost++;
		return NULL;
	}
	k = strndup(s, n);
	if (k)
		c->retired_cmd_bytes += n + 1;
	return k;
}

static void keep_retired(struct nb_collector *c, const struct nb_row *r)
{
	struct nb_retired *k;

	if (c->nretired == c->retired_cap) {
		size_t cap = c->retired_cap ? c->retired_cap * 2 : 1024;
		struct nb_retired *p;

		if (cap > c->retired_max)
			cap = c->retired_max;
		p = cap > c->retired_cap ? realloc(c->retired, cap * sizeof(*p)) : NULL;
		if (!p) {
			c->retired_lost++;
			return;
		}
		c->retired = p;
		c->retired_cap = cap;
	}
	k = &c->retired[c->nretired++];
	memset(k, 0, sizeof(*k));
	k->key = r->key;
	k->cur = r->cur;
	k->cgroup_id = r->cgroup_id;
	k->uid = r->uid;
	k->cmdline = retired_cmdline(c, r->cmdline);
	if (r->key.type == NB_ROW_IFACE || r->key.type == NB_ROW_HOST) {
		memcpy(k->name, r->ifname, sizeof(k->name));
		k->id = r->ifindex;
	} else {
		memcpy(k->name, r->comm, sizeof(k->name));
		k->id = r->pid;
	}
}

/* A row ended (exited, gone, evicted) at least linger_s ago, and shown at
 * least once since (it ended in an earlier poll), goes. A cgroup row goes
 * only once no live process row points to it. */
bool nb_collector_retire(struct nb_row *r, void *arg)
{
	struct nb_retire_ctx *x = arg;

	if (!r->ended_at || x->now - r->ended_at < x->c->linger_s || r->ended_at >= x->now)
		return false;
	if (r->key.type == NB_ROW_CGROUP && r->refs)
		return false;
	if (r->cg && r->cg->refs)
		r->cg->refs--;
	if (x->c->keep_retired)
		keep_retired(x->c, r);
	else if (r->key.type == NB_ROW_CGROUP)
		nb_cgroup_forget(r->cgroup_id);
	return true;
}

/* A retired row's counts added to the row of its key: the row is new
 * (zero), or the same key came back after it was retired (a host pair
 * active again, a flow back after its eviction, an interface moved out
 * and back): then the two add up. */
static void add_counts(struct nb_row *r, const struct nb_counts *c)
{
	r->cur.tx_bytes += c->tx_bytes;
	r->cur.rx_bytes += c->rx_bytes;
	r->cur.tx_packets += c->tx_packets;
	r->cur.rx_packets += c->rx_packets;
	r->prev = r->cur;
}

/* A host pair idle long enough to be retired may have come back since, as
 * a new row with the same key: the two add up. */
static void restore_host(struct nb_collector *c, struct nb_row *r, const struct nb_retired *k)
{
	struct nb_host_key h;

	memcpy(&h, k->key.k, sizeof(h));
	add_counts(r, &k->cur);
	if (!r->ifname[0]) {
		nb_host_labels(c, r, &h);
		memcpy(r->ifname, k->name, sizeof(k->name));
		r->ifname[sizeof(r->ifname) - 1] = '\0';
		r->exited = true;
	}
}

void nb_collector_restore_retired(struct nb_collector *c)
{
	for (size_t i = 0; i < c->nretired; i++) {
		const struct nb_retired *k = &c->retired[i];
		bool back = nb_table_get(&c->table, &k->key, false) != NULL;
		struct nb_row *r = nb_table_get(&c->table, &k->key, true);

		if (!r) {	/* out of memory: the rest is not shown */
			for (; i < c->nretired; i++)
				free(c->retired[i].cmdline);
			break;
		}
		struct nb_counts *g = &c->table.removed[k->key.type % NB_NROWTYPES];

		g->tx_bytes -= k->cur.tx_bytes;
		g->rx_bytes -= k->cur.rx_bytes;
		g->tx_packets -= k->cur.tx_packets;
		g->rx_packets -= k->cur.rx_packets;
		if (k->key.type == NB_ROW_HOST) {
			restore_host(c, r, k);
			continue;
		}
		add_counts(r, &k->cur);
		if (back) {	/* live again: its own labels stay */
			free(k->cmdline);
			continue;
		}
		r->exited = true;
		r->cgroup_id = k->cgroup_id;
		r->uid = k->uid;
		free(r->cmdline);
		r->cmdline = k->cmdline;	/* the row owns it now */
		if (k->key.type == NB_ROW_IFACE) {
			r->ifindex = k->id;
			memcpy(r->ifname, k->name, sizeof(k->name));
			continue;
		}
		r->pid = k->id;
		memcpy(r->comm, k->name, sizeof(k->name));
		r->start_ns = k->key.k[1];
		if (k->key.type == NB_ROW_FLOW) {
			struct nb_flow_key f;

			memcpy(&f, k->key.k, sizeof(f));
			r->start_ns = f.start_ns;
			r->proto = f.proto;
			r->family = f.family;
			r->lport = f.lport;
			r->rport = f.rport;
			memcpy(r->laddr, f.laddr, 16);
			memcpy(r->raddr, f.raddr, 16);
		}
	}
	free(c->retired);
	c->retired = NULL;
	c->nretired = c->retired_cap = c->retired_cmd_bytes = 0;
}
