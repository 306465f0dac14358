// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host pair rows: the TC classifier's host map read into the table, the
 * interface's name and the remote address's name added, idle pairs taken
 * out of the map (their rows keep their totals).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "tc_shared.h"
#include "collector.h"
#include "collector_int.h"
#include "hostcache.h"
#include "resolve.h"
#include "tc.h"

/* Labels of a new host row: the key's addresses, the interface's name. */
void nb_host_labels(struct nb_collector *c, struct nb_row *r, const struct nb_host_key *h)
{
	struct nb_rowkey ik = nb_iface_rowkey(h->ifindex);
	const struct nb_row *i = nb_table_get(&c->table, &ik, false);
	char name[NB_HC_NAME];

	r->ifindex = h->ifindex;
	r->family = h->family;
	r->rport = h->rport;
	memcpy(r->laddr, h->laddr, 16);
	memcpy(r->raddr, h->raddr, 16);
	if (i)
		memcpy(r->ifname, i->ifname, sizeof(r->ifname));
	else
		snprintf(r->ifname, sizeof(r->ifname), "if%u", h->ifindex);
	if (c->resolver && nb_resolve(c->resolver, r->family, r->raddr, name, sizeof(name)) &&
	    name[0])
		r->host_name = strdup(name);
}

/* The remote address's name, asked until it has one (never waited for):
 * "no name", or a failed lookup, is cached for a minute (hostcache.h),
 * then asked again, so a name appears once DNS answers. */
static void host_name(struct nb_collector *c, struct nb_row *r)
{
	char name[NB_HC_NAME];

	if (r->host_name || !c->resolve)
		return;
	if (!c->resolver && nb_resolver_start(&c->resolver)) {
		c->resolve = false;	/* no thread: no names */
		return;
	}
	if (nb_resolve(c->resolver, r->family, r->raddr, name, sizeof(name)) && name[0])
		r->host_name = strdup(name);
}

/* An idle entry goes: its final value is read as it is deleted, so the
 * row loses nothing but an add that a CPU makes between its own lookup
 * and the deletion (after 60 idle seconds). */
static void host_evict(struct nb_collector *c, int fd, const struct nb_host_key *k,
		       struct nb_row *r, double now)
{
	struct nb_host_counts v;
	int err = bpf_map_lookup_and_delete_elem(fd, k, &v);

	if (err && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
		/* before Linux 5.14: read, then delete */
		err = bpf_map_lookup_elem(fd, k, &v);
		if (!err)
			err = bpf_map_delete_elem(fd, k);
	}
	if (err)
		return;
	nb_row_set(r, &(struct nb_counts){ .tx_bytes = v.tx_bytes, .rx_bytes = v.rx_bytes,
					   .tx_packets = v.tx_packets,
					   .rx_packets = v.rx_packets });
	nb_row_restart(r);
	c->hosts_evicted++;
}

/* Host pair rows, after the interface rows (for their names). */
int nb_collector_read_hosts(struct nb_collector *c, double now)
{
	int fd = nb_tc_hosts_fd(c->tc), n;
	struct nb_host_key *k;
	struct nb_host_counts *v;

	if (fd < 0)
		return 0;
	c->tc_host_drops = nb_tc_host_drops(c->tc);
	if (!c->host_keys) {
		c->host_keys = calloc(NB_TC_MAX_HOSTS, sizeof(*k));
		c->host_vals = calloc(NB_TC_MAX_HOSTS, sizeof(*v));
		if (!c->host_keys || !c->host_vals) {
			free(c->host_keys);
			free(c->host_vals);
			c->host_keys = NULL;
			c->host_vals = NULL;
			return -ENOMEM;
		}
	}
	k = c->host_keys;
	v = c->host_vals;
	n = nb_map_read_all(fd, sizeof(*k), sizeof(*v), NB_TC_MAX_HOSTS, k, v, &c->batch_ok);
	for (int i = 0; i < n; i++) {
		struct nb_rowkey rk = nb_host_rowkey(&k[i]);
		struct nb_row *r = nb_table_get(&c->table, &rk, true);
		struct nb_counts cnt = {
			.tx_bytes = v[i].tx_bytes, .rx_bytes = v[i].rx_bytes,
			.tx_packets = v[i].tx_packets, .rx_packets = v[i].rx_packets,
		};

		if (!r)
			return -ENOMEM;
		if (!r->ifname[0])
			nb_host_labels(c, r, &k[i]);
		if (!r->active_at || memcmp(&cnt, &r->raw, sizeof(cnt))) {
			r->active_at = now;
			r->ended_at = 0;	/* idle, and back */
			r->exited = false;
		}
		nb_row_set(r, &cnt);
		host_name(c, r);
		if (now - r->active_at >= NB_HOST_IDLE_S)
			host_evict(c, fd, &k[i], r, now);
	}
	if (n < 0)
		return n;
	/* out of the map, and quiet for long: the row ends; sooner when the
	 * rows out of the map outnumber the map's entries (a flood of new
	 * pairs would otherwise keep ten minutes' worth of them) */
	uint32_t out = 0;

	for (uint32_t i = 0; i < c->table.nrows; i++) {
		const struct nb_row *r = c->table.rows[i];

		out += r->key.type == NB_ROW_HOST && !r->seen && !r->ended_at;
	}
	for (uint32_t i = 0; i < c->table.nrows; i++) {
		struct nb_row *r = c->table.rows[i];

		if (r->key.type == NB_ROW_HOST && !r->seen && !r->ended_at &&
		    (now - r->active_at >= NB_HOST_RETIRE_S || out > NB_TC_MAX_HOSTS))
			nb_row_ended(r, now);
	}
	return 0;
}
