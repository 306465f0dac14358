// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "collector.h"

double nb_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double nb_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct nb_rowkey nb_proc_rowkey(uint32_t tgid, uint64_t start_ns)
{
	struct nb_rowkey k = { .type = NB_ROW_PROCESS };

	k.k[0] = tgid;
	k.k[1] = start_ns;
	return k;
}

struct nb_rowkey nb_iface_rowkey(uint32_t ifindex)
{
	struct nb_rowkey k = { .type = NB_ROW_IFACE };

	k.k[0] = ifindex;
	return k;
}

struct nb_rowkey nb_flow_rowkey(const struct nb_flow_key *f)
{
	struct nb_rowkey k = { .type = NB_ROW_FLOW };

	_Static_assert(sizeof(*f) <= sizeof(k.k), "flow key fits a row key");
	memcpy(k.k, f, sizeof(*f));
	return k;
}

struct nb_rowkey nb_cgroup_rowkey(uint64_t id)
{
	struct nb_rowkey k = { .type = NB_ROW_CGROUP };

	k.k[0] = id;
	return k;
}

#define NB_MAX_CGROUPS 8192	/* max_entries of the map 'cgroups' */

static int read_one_by_one(int fd, uint32_t key_size, uint32_t value_size,
			   uint32_t max, char *keys, char *vals)
{
	char prev[64], cur[64];
	void *pk = NULL;
	uint32_t n = 0;

	while (n < max && !bpf_map_get_next_key(fd, pk, cur)) {
		memcpy(prev, cur, key_size);
		pk = prev;
		/* an entry deleted between the two calls is simply skipped */
		if (bpf_map_lookup_elem(fd, cur, vals + (size_t)n * value_size))
			continue;
		memcpy(keys + (size_t)n * key_size, cur, key_size);
		n++;
	}
	return n;
}

int nb_map_read_all(int fd, uint32_t key_size, uint32_t value_size, uint32_t max,
		    void *keys, void *vals, bool *batch_ok)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char token[64];
	uint32_t n = 0;
	void *in = NULL;

	if (key_size > sizeof(token))
		return -EINVAL;
	while (*batch_ok && n < max) {
		uint32_t cnt = max - n;
		int err = bpf_map_lookup_batch(fd, in, token, (char *)keys + (size_t)n * key_size,
					       (char *)vals + (size_t)n * value_size, &cnt, &opts);

		if (err && errno != ENOENT) {
			if (n == 0 && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
				*batch_ok = false;	/* kernel before 5.6 */
				break;
			}
			return -errno;
		}
		n += cnt;
		if (err)	/* ENOENT: that was the last batch */
			return n;
		in = token;
	}
	if (*batch_ok)
		return n;
	return read_one_by_one(fd, key_size, value_size, max, keys, vals);
}

int nb_collector_init(struct nb_collector *c, struct nb_loader *l, struct nb_tc *tc)
{
	size_t n = l->procs_max;

	memset(c, 0, sizeof(*c));
	c->loader = l;
	c->tc = tc;
	c->batch_ok = true;
	nb_table_init(&c->table);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		return -EINVAL;
	c->keys = calloc(n, sizeof(struct nb_proc_key));
	c->vals = calloc(n, sizeof(struct nb_proc_counts) * c->ncpus);
	c->info_keys = calloc(n, sizeof(struct nb_proc_key));
	c->info_vals = calloc(n, sizeof(struct nb_proc_info));
	if (!c->keys || !c->vals || !c->info_keys || !c->info_vals)
		return -ENOMEM;
	c->cg_keys = calloc(NB_MAX_CGROUPS, sizeof(__u64));
	c->cg_vals = calloc(NB_MAX_CGROUPS, sizeof(struct nb_dir_counts) * c->ncpus);
	if (!c->cg_keys || !c->cg_vals)
		return -ENOMEM;
	if (l->flows_on) {
		c->flow_keys = calloc(l->flows_max, sizeof(struct nb_flow_key));
		c->flow_vals = calloc(l->flows_max, sizeof(struct nb_dir_counts) * c->ncpus);
		if (!c->flow_keys || !c->flow_vals)
			return -ENOMEM;
	}
	c->start_ts = c->ts = nb_wall_now();
	c->start_mono = c->last_mono = nb_mono_now();
	return 0;
}

void nb_collector_free(struct nb_collector *c)
{
	nb_table_free(&c->table);
	free(c->keys);
	free(c->vals);
	free(c->info_keys);
	free(c->info_vals);
	free(c->ifs);
	free(c->flow_keys);
	free(c->flow_vals);
	free(c->cg_keys);
	free(c->cg_vals);
	memset(c, 0, sizeof(*c));
}

/* Interface rows from the TC counters; a removed interface comes once
 * more with its final counts, marked gone. */
static int read_ifaces(struct nb_collector *c)
{
	int want, n;

	if (!c->tc)
		return 0;
	want = nb_tc_count(c->tc);
	if (want > c->ifs_cap) {
		struct nb_iface_sample *p = realloc(c->ifs, want * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->ifs = p;
		c->ifs_cap = want;
	}
	n = nb_tc_read(c->tc, c->ifs, c->ifs_cap);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const struct nb_iface_sample *f = &c->ifs[i];
		struct nb_rowkey k = nb_iface_rowkey(f->ifindex);
		struct nb_row *r = nb_table_get(&c->table, &k, true);
		struct nb_counts cnt = {
			.tx_bytes = f->tx_bytes, .rx_bytes = f->rx_bytes,
			.tx_packets = f->tx_packets, .rx_packets = f->rx_packets,
		};

		if (!r)
			return -ENOMEM;
		r->ifindex = f->ifindex;
		memcpy(r->ifname, f->ifname, sizeof(r->ifname));
		r->ifname[sizeof(r->ifname) - 1] = '\0';
		r->exited = f->gone;
		nb_row_set(r, &cnt);
	}
	c->tc_drops = nb_tc_drops(c->tc);
	return 0;
}

/*
 * Flow rows. Called after the process rows are up to date: a flow of an
 * exited process has made its last increment, so it is read a last time
 * and freed. Returns how many flow entries are left in the map.
 */
static int read_flows(struct nb_collector *c)
{
	struct nb_loader *l = c->loader;
	struct nb_flow_key *k = c->flow_keys;
	struct nb_dir_counts *v = c->flow_vals;
	int n, left;

	n = nb_map_read_all(l->flows_fd, sizeof(*k), sizeof(*v) * c->ncpus, l->flows_max,
			    k, v, &c->batch_ok);
	if (n < 0)
		return n;
	left = n;
	for (int i = 0; i < n; i++) {
		struct nb_rowkey rk = nb_flow_rowkey(&k[i]);
		struct nb_rowkey pk = nb_proc_rowkey(k[i].tgid, k[i].start_ns);
		struct nb_row *r = nb_table_get(&c->table, &rk, true);
		struct nb_row *p = nb_table_get(&c->table, &pk, false);
		const struct nb_dir_counts *fc = &v[(size_t)i * c->ncpus];
		struct nb_counts sum = {};
		uint64_t born = 0;

		if (!r)
			return -ENOMEM;
		for (int cpu = 0; cpu < c->ncpus; cpu++) {
			if (fc[cpu].born > born)
				born = fc[cpu].born;
			sum.tx_bytes += fc[cpu].bytes[NB_TX];
			sum.rx_bytes += fc[cpu].bytes[NB_RX];
			sum.tx_packets += fc[cpu].calls[NB_TX];
			sum.rx_packets += fc[cpu].calls[NB_RX];
		}
		r->pid = k[i].tgid;
		r->start_ns = k[i].start_ns;
		r->proto = k[i].proto;
		r->family = k[i].family;
		r->lport = k[i].lport;
		r->rport = k[i].rport;
		memcpy(r->laddr, k[i].laddr, 16);
		memcpy(r->raddr, k[i].raddr, 16);
		if (p) {
			memcpy(r->comm, p->comm, sizeof(r->comm));
			r->exited = p->exited;
		}
		nb_row_set_gen(r, &sum, born);
		if (r->exited && !bpf_map_delete_elem(l->flows_fd, &k[i])) {
			c->flows_deleted++;
			left--;
		}
	}
	return left;
}

/* Cgroup rows: cumulative bytes per cgroup id. */
static int read_cgroups(struct nb_collector *c)
{
	__u64 *k = c->cg_keys;
	struct nb_dir_counts *v = c->cg_vals;
	int n = nb_map_read_all(c->loader->cgroups_fd, sizeof(*k), sizeof(*v) * c->ncpus,
				NB_MAX_CGROUPS, k, v, &c->batch_ok);

	for (int i = 0; i < n; i++) {
		struct nb_rowkey rk = nb_cgroup_rowkey(k[i]);
		struct nb_row *r = nb_table_get(&c->table, &rk, true);
		const struct nb_dir_counts *dc = &v[(size_t)i * c->ncpus];
		struct nb_counts sum = {};

		if (!r)
			return -ENOMEM;
		for (int cpu = 0; cpu < c->ncpus; cpu++) {
			sum.tx_bytes += dc[cpu].bytes[NB_TX];
			sum.rx_bytes += dc[cpu].bytes[NB_RX];
			sum.tx_packets += dc[cpu].calls[NB_TX];
			sum.rx_packets += dc[cpu].calls[NB_RX];
		}
		if (r->cgroup_id != k[i])
			nb_cgroup_path(k[i]);	/* resolve while it exists */
		r->cgroup_id = k[i];
		nb_row_set(r, &sum);
	}
	return n < 0 ? n : 0;
}

static void read_drops(struct nb_collector *c)
{
	uint64_t v[c->ncpus];

	for (uint32_t i = 0; i < NB_NDROPS; i++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(c->loader->drops_fd, &i, v))
			continue;
		for (int cpu = 0; cpu < c->ncpus; cpu++)
			sum += v[cpu];
		c->drops[i] = sum;
	}
}

int nb_collector_poll(struct nb_collector *c)
{
	struct nb_loader *l = c->loader;
	struct nb_proc_key *ik = c->info_keys, *k = c->keys;
	struct nb_proc_info *iv = c->info_vals;
	struct nb_proc_counts *v = c->vals;
	int ninfo, n;
	double now;

	/*
	 * The info map first: a process seen as exited there has made its last
	 * increment already, so the counts read next are final and its entries
	 * can be freed afterwards without losing anything.
	 */
	ninfo = nb_map_read_all(l->info_fd, sizeof(*ik), sizeof(*iv), l->procs_max,
				ik, iv, &c->batch_ok);
	if (ninfo < 0)
		return ninfo;
	n = nb_map_read_all(l->procs_fd, sizeof(*k), sizeof(*v) * c->ncpus, l->procs_max,
			    k, v, &c->batch_ok);
	if (n < 0)
		return n;

	nb_table_begin(&c->table);
	for (int i = 0; i < ninfo; i++) {
		struct nb_rowkey rk = nb_proc_rowkey(ik[i].tgid, ik[i].start_ns);
		struct nb_row *r = nb_table_get(&c->table, &rk, true);

		if (!r)
			return -ENOMEM;
		r->pid = ik[i].tgid;
		r->start_ns = ik[i].start_ns;
		memcpy(r->comm, iv[i].comm, NB_COMM_LEN);
		r->comm[NB_COMM_LEN - 1] = '\0';
		if (r->cgroup_id != iv[i].cgroup_id)
			nb_cgroup_path(iv[i].cgroup_id);	/* resolve while it exists */
		r->cgroup_id = iv[i].cgroup_id;
		r->exited = iv[i].exited;
	}
	for (int i = 0; i < n; i++) {
		struct nb_rowkey rk = nb_proc_rowkey(k[i].tgid, k[i].start_ns);
		struct nb_row *r = nb_table_get(&c->table, &rk, true);
		const struct nb_proc_counts *pc = &v[(size_t)i * c->ncpus];
		struct nb_counts sum = {};

		if (!r)
			return -ENOMEM;
		r->pid = k[i].tgid;
		memset(r->proto_bytes, 0, sizeof(r->proto_bytes));
		for (int cpu = 0; cpu < c->ncpus; cpu++) {
			for (int p = 0; p < NB_NPROTO; p++) {
				r->proto_bytes[p][NB_TX] += pc[cpu].bytes[p][NB_TX];
				r->proto_bytes[p][NB_RX] += pc[cpu].bytes[p][NB_RX];
				sum.tx_bytes += pc[cpu].bytes[p][NB_TX];
				sum.rx_bytes += pc[cpu].bytes[p][NB_RX];
				sum.tx_packets += pc[cpu].calls[p][NB_TX];
				sum.rx_packets += pc[cpu].calls[p][NB_RX];
			}
		}
		nb_row_set(r, &sum);
	}
	read_drops(c);
	if (l->flows_on) {
		n = read_flows(c);
		if (n < 0)
			return n;
		/* what was inserted and is neither in the map nor freed by us
		 * was evicted by the LRU map */
		c->flow_evictions = c->drops[NB_FLOW_INSERTS] - c->flows_deleted - n;
		if ((int64_t)c->flow_evictions < 0)
			c->flow_evictions = 0;
	}
	if (c->loader->cgroups_on) {
		n = read_cgroups(c);
		if (n < 0)
			return n;
	}
	n = read_ifaces(c);
	if (n < 0)
		return n;

	now = nb_mono_now();
	c->interval_s = now - c->last_mono;
	c->last_mono = now;
	c->ts = nb_wall_now();
	nb_table_end(&c->table, c->interval_s);

	/* Free the entries of exited processes: their rows keep the totals. */
	for (int i = 0; i < ninfo; i++) {
		if (!iv[i].exited)
			continue;
		bpf_map_delete_elem(l->procs_fd, &ik[i]);
		bpf_map_delete_elem(l->info_fd, &ik[i]);
	}
	return 0;
}
