/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus text exposition of the collector's table (netbpf serve). */
#ifndef NB_METRICS_H
#define NB_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "collector.h"
#include "opts.h"

/* Run-time statistics of one BPF program (kernel.bpf_stats_enabled). */
struct nb_prog_stats {
	char name[32];
	uint64_t run_time_ns, run_cnt;
};

struct nb_metrics_info {
	const char *version, *backend;
	const struct nb_prog_stats *progs;	/* NULL when the statistics are off */
	int nprogs;
};

/* Write every metric; label values escaped as the format wants. */
void nb_metrics_write(FILE *f, const struct nb_collector *c, const struct nb_opts *o,
		      const struct nb_metrics_info *info);
/* A label value: backslash, double quote and newline escaped. */
void nb_metrics_label(FILE *f, const char *v);

#endif
