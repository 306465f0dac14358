/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The collector's table: one row per process, flow, cgroup or interface,
 * holding cumulative counters and the rates of the last interval. Pure
 * arithmetic, no BPF: the loader fills it, the front ends read it.
 */
#ifndef NB_STATS_H
#define NB_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include "index.h"
#include "netbpf.h"

enum nb_row_type {
	NB_ROW_PROCESS = 0,
	NB_ROW_FLOW,
	NB_ROW_CGROUP,
	NB_ROW_IFACE,
	NB_ROW_HOST,	/* a host pair on an interface (TC classifier) */
	NB_ROW_TOTAL,
	NB_NROWTYPES,
};

struct nb_rowkey {
	uint32_t type;
	uint32_t pad;
	uint64_t k[7];
};

struct nb_counts {
	uint64_t tx_bytes, rx_bytes;
	uint64_t tx_packets, rx_packets;
};

struct nb_row {
	struct nb_rowkey key;
	struct nb_counts cur;	/* cumulative since netbpf started */
	struct nb_counts raw;	/* the map's value at the last read */
	struct nb_counts base;	/* what entries before a re-creation had counted */
	struct nb_counts prev;	/* cumulative at the end of the last interval */
	struct nb_counts delta;	/* moved during the last interval */
	double tx_rate, rx_rate;	/* bytes per second over the last interval */
	bool moved;	/* moved bytes in the last interval */
	bool seen;	/* present in the last read of the maps */
	bool exited;	/* process: exited; iface, cgroup: gone; flow: its
			 * process exited, or it was idle 10 minutes */
	double ended_at;	/* monotonic seconds when it was found exited,
				 * gone or evicted; the collector retires the
				 * row some time after (see nb_collector) */
	uint32_t refs;	/* cgroup: live process rows in it */
	struct nb_row *cg;	/* process: its cgroup row, when counted */
	void *fe;	/* a front end's state for this row (top's); freed with it */
	uint32_t series;	/* serve: 1 + the index of a process row's series
				 * in metrics.c, 0 none; a hint it checks */

	/* labels, by type */
	uint32_t pid;		/* process, flow */
	char comm[NB_COMM_LEN];	/* process, flow */
	uint64_t cgroup_id;	/* process, cgroup */
	uint32_t uid;		/* process: at its first event */
	/* process: its command line from /proc at first sight, and again
	 * after an exec (procinfo.h), malloc'd, at most NB_CMDLINE_MAX
	 * bytes; "" when it was gone first; NULL until read */
	char *cmdline;
	uint32_t ifindex;	/* iface, host */
	char ifname[16];	/* iface, host */
	/* iface: the container on the other side of a veth (NULL: none, or
	 * not found yet), and the state of the search for it */
	char *ctr_name;
	int32_t peer_nsid;
	uint32_t peer_gen;
	uint8_t ctr_tries;
	bool ctr_init;
	double ctr_next;	/* monotonic seconds of the next try */
	/* host: the remote address's name (reverse DNS; NULL until known,
	 * "" when it has none); host, flow: when its counters last moved
	 * (monotonic seconds) */
	char *host_name;
	double active_at;
	/* flow: enum nb_proto, 4 or 6, addresses in network order (IPv4 in
	 * the first 4 bytes), ports in host order; the flow's process row has
	 * key nb_proc_rowkey(pid, start_ns) with the same start_ns; host: the
	 * same family and addresses, rport (0 unless ports are counted) */
	uint8_t proto, family;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint64_t start_ns;	/* process, flow: start time of the process */
};

struct nb_table {
	struct nb_row **rows;	/* in order of first appearance */
	uint32_t nrows, cap;
	struct nb_index index;	/* key to row */
	struct nb_counts removed[NB_NROWTYPES];	/* cumulative of removed rows */
	void (*fe_free)(void *fe);	/* frees a row's 'fe'; NULL: free() */
};

void nb_table_init(struct nb_table *t);
void nb_table_free(struct nb_table *t);
/* Find the row with this key; create it (zeroed) when 'create' is set. */
struct nb_row *nb_table_get(struct nb_table *t, const struct nb_rowkey *key,
			    bool create);
/* Start a read of the maps: every row is marked not seen. */
void nb_table_begin(struct nb_table *t);
/* Remove the rows for which 'gone' says true (the order of the others
 * stays); 'gone' may keep a copy. Returns how many were removed. */
uint32_t nb_table_remove(struct nb_table *t, bool (*gone)(struct nb_row *r, void *arg),
			 void *arg);
/* Record the cumulative counters a map read gave for this row. A value
 * below the last one means the map entry was made anew (an interface
 * attached again): what the old entry counted is kept. */
void nb_row_set(struct nb_row *r, const struct nb_counts *cum);
/* The map entry of this row was deleted after its final value was read:
 * a new entry starts from zero, and what the old one counted is kept. */
void nb_row_restart(struct nb_row *r);
/* End the interval: deltas and rates against the previous end. */
void nb_table_end(struct nb_table *t, double interval_s);
/* Sum of the rows of one type, cumulative (removed rows included) and
 * last delta. */
void nb_table_sum(const struct nb_table *t, uint32_t type,
		  struct nb_counts *cum, struct nb_counts *delta);

/* Counter difference that survives a reset (new < old gives new). */
static inline uint64_t nb_counter_delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

static inline double nb_rate(uint64_t delta, double interval_s)
{
	return interval_s > 0 ? (double)delta / interval_s : 0.0;
}

#endif
