/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The collector: once per interval, batch-read the maps, fold per-CPU
 * values, update the table (deltas, rates), remember exited processes and
 * free their map entries. Front ends read the table, never a map.
 */
#ifndef NB_COLLECTOR_H
#define NB_COLLECTOR_H

#include <stdint.h>
#include "clock.h"	/* nb_mono_now() for every user of the collector */
#include "loader.h"
#include "stats.h"
#include "tc.h"

/* What the collector knows of one process slot (struct nb_slot). */
struct nb_slot_seen {
	uint64_t tx, rx;	/* the slot's counters at the last read */
	uint64_t start_ns;
	uint32_t tgid;
	struct nb_row *row;	/* NULL: not read yet, or freed */
};

#define NB_FLOW_IDLE_S 60.0

/* What the collector knows of one flow slot (struct nb_flow_slot). */
struct nb_flow_seen {
	uint64_t born;		/* the slot's, at the last read: tells a new use */
	uint64_t tx, rx;	/* its counters at the last read */
	uint64_t ptx, prx;	/* of them, added to its process's row (flows_carry) */
	double moved_at;	/* monotonic seconds */
	bool ending;		/* marked exited: read once more, then freed */
	bool named;		/* its row has its process's name */
};

/* A retired row, kept compactly for trace's summary (136 bytes, and a
 * process's command line cut to NB_RETIRED_CMDLINE bytes); a host row's
 * addresses are in its key. */
struct nb_retired {
	struct nb_rowkey key;
	struct nb_counts cur;
	char name[NB_COMM_LEN];	/* comm, ifname (iface, host) */
	uint64_t cgroup_id;
	uint32_t uid;
	uint32_t id;		/* pid, ifindex (iface, host) */
	char *cmdline;		/* process: malloc'd, or NULL */
};

#define NB_RETIRED_CMDLINE 256

/* BPF statistics of one program: the kernel's own counters. */
struct nb_prog_stat {
	char name[16];
	uint64_t run_time_ns, run_cnt;
	uint64_t recursion_misses;	/* runs the kernel skipped: events lost */
};

#define NB_MAX_PROGS 48

struct nb_collector {
	struct nb_loader *loader;
	struct nb_tc *tc;		/* interface counters, or NULL */
	struct nb_iface_sample *ifs;	/* buffer for nb_tc_read */
	int ifs_cap;
	uint64_t tc_drops;
	uint64_t tc_host_drops;		/* host pairs not counted: map full */
	void *host_keys, *host_vals;	/* buffers for the host pair map */
	uint64_t hosts_evicted;		/* idle host pair entries we deleted */
	bool resolve;			/* reverse DNS for host rows */
	struct nb_resolver *resolver;	/* started at the first host row */
	struct nb_flow_seen *flow_seen;	/* one per flow slot */
	uint32_t flows_live;		/* flow slots in use at the last poll */
	uint64_t flow_evictions;	/* flow slots given back early: few free */
	double flow_idle_s;		/* a flow slot idle this long is given back
					 * (NB_FLOW_IDLE_S, NETBPF_FLOW_IDLE_S) */
	double next_flow_check;		/* of the flow rows (check_flow_rows) */
	struct nb_table table;
	int ncpus;
	double start_ts;		/* Unix time at start */
	double last_mono, start_mono;	/* monotonic seconds */
	double start_boot;		/* CLOCK_BOOTTIME seconds at start_ts */
	double interval_s;		/* length of the last interval */
	double ts;			/* Unix time of the last read */
	uint64_t drops[NB_NDROPS];	/* cumulative */
	/* flows_carry: a flow slot's bytes that reached its last read with no
	 * row of its process left to take them (see carry_to_proc) */
	uint64_t carry_lost;
	bool batch_ok;			/* bpf_map_lookup_batch works here */

	/* processes: the slots, through mmap */
	struct nb_slot_seen *seen;	/* one per slot */
	uint32_t *exited;		/* slots to free after this poll */
	uint32_t nexited;

	/* retirement: rows of what has ended stay linger_s, then go; with
	 * keep_retired, trace keeps a compact copy for its summary, at most
	 * retired_max of them (the others are counted in retired_lost) */
	double linger_s;
	bool keep_retired;
	bool cmdline_on;		/* read processes' command lines (procinfo.h) */
	struct nb_retired *retired;
	size_t nretired, retired_cap, retired_max;
	uint64_t retired_lost;
	/* their command lines: at most retired_cmd_max bytes in all; those
	 * past it are not kept (counted in retired_cmd_lost) */
	size_t retired_cmd_bytes, retired_cmd_max;
	uint64_t retired_cmd_lost;
	double next_cgroup_check;

	/* the programs' statistics, read every poll */
	struct nb_prog_stat progs[NB_MAX_PROGS];
	int nprogs;
	uint64_t lost_events;		/* sum of recursion_misses */
};

int nb_collector_init(struct nb_collector *c, struct nb_loader *l, struct nb_tc *tc);
/* trace's summary: put the retired rows back in the table, once, at the end. */
void nb_collector_restore_retired(struct nb_collector *c);
/* Unix time at which a process started, from its start_ns (the kernel's
 * CLOCK_BOOTTIME nanoseconds, task_struct.start_boottime: what
 * /proc/PID/stat shows as the start, suspend included). */
double nb_start_time(const struct nb_collector *c, uint64_t start_ns);
/* Updates lost for good: full maps, and runs the kernel skipped. */
uint64_t nb_collector_lost(const struct nb_collector *c);
/* The programs' statistics as of the last poll, their number in *n; NULL
 * (and 0) when the kernel keeps no run time (kernel.bpf_stats_enabled). */
const struct nb_prog_stat *nb_collector_progs(const struct nb_collector *c, int *n);
/* Read all maps and end an interval. 0 or negative errno. */
int nb_collector_poll(struct nb_collector *c);
void nb_collector_free(struct nb_collector *c);

/* Read every entry of a map (batch, or one by one where batch is missing).
 * value_size is per entry (times the CPUs for per-CPU maps). Returns the
 * number of entries, or a negative errno. */
int nb_map_read_all(int fd, uint32_t key_size, uint32_t value_size, uint32_t max,
		    void *keys, void *vals, bool *batch_ok);

/* The keys of process and interface rows. */
struct nb_rowkey nb_proc_rowkey(uint32_t tgid, uint64_t start_ns);
struct nb_rowkey nb_iface_rowkey(uint32_t ifindex);
struct nb_rowkey nb_flow_rowkey(const struct nb_flow_key *f);
struct nb_rowkey nb_cgroup_rowkey(uint64_t id);
struct nb_host_key;
struct nb_rowkey nb_host_rowkey(const struct nb_host_key *h);

/* A host pair entry that has not moved for this long is deleted from the
 * map (its row keeps what it counted; a later packet makes a new entry). */
#define NB_HOST_IDLE_S 60.0
/* Its row ends after this long without a packet, and is retired as other
 * ended rows are: a pair back after that starts from zero again (trace's
 * summary adds the two up). Sooner when more rows than NB_TC_MAX_HOSTS
 * are out of the map: then all of those end, so host rows stay within
 * twice the map's size whatever comes. */
#define NB_HOST_RETIRE_S 600.0

#endif
