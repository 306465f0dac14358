/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The collector: once per interval, batch-read the maps, fold per-CPU
 * values, update the table (deltas, rates), remember exited processes and
 * free their map entries. Front ends read the table, never a map.
 */
#ifndef NB_COLLECTOR_H
#define NB_COLLECTOR_H

#include <stdint.h>
#include "loader.h"
#include "stats.h"
#include "tc.h"

struct nb_collector {
	struct nb_loader *loader;
	struct nb_tc *tc;		/* interface counters, or NULL */
	struct nb_iface_sample *ifs;	/* buffer for nb_tc_read */
	int ifs_cap;
	uint64_t tc_drops;
	uint64_t flows_deleted;		/* entries of exited processes we freed */
	uint64_t flow_evictions;	/* flows the LRU map pushed out */
	struct nb_table table;
	int ncpus;
	double start_ts;		/* Unix time at start */
	double last_mono, start_mono;	/* monotonic seconds */
	double interval_s;		/* length of the last interval */
	double ts;			/* Unix time of the last read */
	uint64_t drops[NB_NDROPS];	/* cumulative */
	uint64_t drops_reported;
	bool batch_ok;			/* bpf_map_lookup_batch works here */
	/* buffers sized for the maps */
	void *keys, *vals, *info_keys, *info_vals, *flow_keys, *flow_vals;
	void *cg_keys, *cg_vals;
};

int nb_collector_init(struct nb_collector *c, struct nb_loader *l, struct nb_tc *tc);
/* Read all maps and end an interval. 0 or negative errno. */
int nb_collector_poll(struct nb_collector *c);
void nb_collector_free(struct nb_collector *c);

/* Read every entry of a map (batch, or one by one where batch is missing).
 * value_size is per entry (times the CPUs for per-CPU maps). Returns the
 * number of entries, or a negative errno. */
int nb_map_read_all(int fd, uint32_t key_size, uint32_t value_size, uint32_t max,
		    void *keys, void *vals, bool *batch_ok);

/* Seconds, CLOCK_MONOTONIC and CLOCK_REALTIME. */
double nb_mono_now(void);
double nb_wall_now(void);

/* The keys of process and interface rows. */
struct nb_rowkey nb_proc_rowkey(uint32_t tgid, uint64_t start_ns);
struct nb_rowkey nb_iface_rowkey(uint32_t ifindex);
struct nb_rowkey nb_flow_rowkey(const struct nb_flow_key *f);
struct nb_rowkey nb_cgroup_rowkey(uint64_t id);

#endif
